//! Braze REST endpoints leadwire will never serve (email, SMS, push, catalogs, subscription
//! groups, email templates, preference centers, KPIs, SCIM, …): each answers, whatever the
//! method, `404 {"message": "<path> is not supported by leadwire", "errors": [...]}` saying
//! what to use instead, so a client migrating from Braze learns why rather than meeting the
//! generic unknown-path 404. A key is still required (401 without one), as on every path.
//!
//! The list is Braze's documented REST paths and the npm `braze-api` 2.13 client's methods,
//! minus the families leadwire serves: `users/*`, `segments/*`, `campaigns/*`, `canvas/*`,
//! `messages/send`, `messages/schedule/*`, `messages/scheduled_broadcasts`, `sends/*`,
//! `content_blocks/*`.

use axum::Router;
use axum::routing::any;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

const CHANNELS: &str = "leadwire delivers webhooks only (to Salesforce or another HTTP endpoint) and sends no email, SMS or push; keep subscription states as attributes with POST /users/track (`email_subscribe`, `push_subscribe`, `subscription_groups`) and manage the channel with its own provider";
const CATALOGS: &str = "leadwire keeps no catalogs; put reference data in custom attributes with POST /users/track, or fetch it at send time with `connected_content` in a webhook template";
const TEMPLATES: &str = "leadwire has no email templates; webhook templates are `[[webhook_templates]]` in the config, and reusable snippets are Content Blocks (/content_blocks/*)";
const ANALYTICS: &str = "leadwire keeps no app KPIs or event analytics; read a user's events and purchases with POST /users/export/ids (`custom_events`, `purchases`), sends with GET /activity, and campaign and Canvas figures with /campaigns/data_series and /canvas/data_series";
const ADMIN: &str = "leadwire has no dashboard users, SDK keys or warehouse syncs; REST API keys and their permissions are the config's `[[api_keys]]`, and data comes in through POST /users/track";
const TRANSACTIONAL: &str = "leadwire sends no transactional email or Live Activities; send a webhook to one user with POST /campaigns/trigger/send or POST /messages/send";

/// Each unsupported path (axum syntax) and what to use instead.
pub(crate) const UNSUPPORTED: &[(&str, &str)] = &[
    ("/catalogs", CATALOGS),
    ("/catalogs/{catalog_name}", CATALOGS),
    ("/catalogs/{catalog_name}/fields", CATALOGS),
    ("/catalogs/{catalog_name}/fields/{field_name}", CATALOGS),
    ("/catalogs/{catalog_name}/items", CATALOGS),
    ("/catalogs/{catalog_name}/items/{item_id}", CATALOGS),
    ("/catalogs/{catalog_name}/selections", CATALOGS),
    (
        "/catalogs/{catalog_name}/selections/{selection_name}",
        CATALOGS,
    ),
    ("/cdi/integrations", ADMIN),
    ("/cdi/integrations/{integration_id}/job_sync_status", ADMIN),
    ("/cdi/integrations/{integration_id}/sync", ADMIN),
    ("/email/hard_bounces", CHANNELS),
    ("/email/unsubscribes", CHANNELS),
    ("/email/status", CHANNELS),
    ("/email/bounce/remove", CHANNELS),
    ("/email/spam/remove", CHANNELS),
    ("/email/blocklist", CHANNELS),
    ("/email/blacklist", CHANNELS),
    ("/sms/invalid_phone_numbers", CHANNELS),
    ("/sms/invalid_phone_numbers/remove", CHANNELS),
    ("/subscription/status/get", CHANNELS),
    ("/subscription/status/set", CHANNELS),
    ("/subscription/user/status", CHANNELS),
    ("/v2/subscription/status/set", CHANNELS),
    ("/preference_center/v1", CHANNELS),
    ("/preference_center/v1/list", CHANNELS),
    ("/preference_center/v1/{preference_center_id}", CHANNELS),
    (
        "/preference_center/v1/{preference_center_id}/url/{user_id}",
        CHANNELS,
    ),
    ("/templates/email/create", TEMPLATES),
    ("/templates/email/update", TEMPLATES),
    ("/templates/email/info", TEMPLATES),
    ("/templates/email/list", TEMPLATES),
    (
        "/transactional/v1/campaigns/{campaign_id}/send",
        TRANSACTIONAL,
    ),
    ("/messages/live_activity/update", TRANSACTIONAL),
    ("/custom_attributes", ANALYTICS),
    ("/events", ANALYTICS),
    ("/events/list", ANALYTICS),
    ("/events/data_series", ANALYTICS),
    ("/purchases/product_list", ANALYTICS),
    ("/purchases/quantity_series", ANALYTICS),
    ("/purchases/revenue_series", ANALYTICS),
    ("/sessions/data_series", ANALYTICS),
    ("/kpi/new_users/data_series", ANALYTICS),
    ("/kpi/dau/data_series", ANALYTICS),
    ("/kpi/mau/data_series", ANALYTICS),
    ("/kpi/uninstalls/data_series", ANALYTICS),
    ("/feed/list", ANALYTICS),
    ("/feed/details", ANALYTICS),
    ("/feed/data_series", ANALYTICS),
    ("/scim/v2/Users", ADMIN),
    ("/scim/v2/Users/{user_id}", ADMIN),
    ("/app_group/sdk_authentication/keys", ADMIN),
    ("/app_group/sdk_authentication/create", ADMIN),
    ("/app_group/sdk_authentication/delete", ADMIN),
    ("/app_group/sdk_authentication/primary", ADMIN),
];

/// `router` with every [`UNSUPPORTED`] path answering [`ApiError::NotSupported`].
pub(crate) fn routes(router: Router<AppState>) -> Router<AppState> {
    UNSUPPORTED.iter().fold(router, |router, &(path, instead)| {
        router.route(
            path,
            any(move |caller: Caller| async move { not_supported(caller, path, instead) }),
        )
    })
}

fn not_supported(caller: Caller, path: &'static str, instead: &'static str) -> ApiError {
    if caller.key.is_none() {
        return ApiError::Unauthorized;
    }
    ApiError::NotSupported {
        endpoint: path,
        instead,
    }
}
