//! The config read back through Braze's export endpoints: `GET /campaigns/list`,
//! `/campaigns/details`, `/campaigns/data_series`, `/canvas/list`, `/canvas/details`,
//! `/canvas/data_series`, `/canvas/data_summary` and `/sends/data_series`. Ids are api ids
//! (a campaign or canvas without `api_id` is named by its name, as
//! `/campaigns/trigger/send` and the console name it); dates come from the store's config
//! registry ([`registry`]); numbers from the counters the console reads ([`series`]), a
//! tracked send's from the activity log ([`sends`]).

mod campaigns;
mod canvases;
mod listing;
mod params;
mod registry;
mod sends;
mod series;
mod webhook;

pub(crate) use campaigns::{api_campaign, campaign_data_series, campaign_details, campaigns_list};
pub(crate) use canvases::{canvas_data_series, canvas_data_summary, canvas_details, canvas_list};
pub use registry::{config_items, register_config};
pub(crate) use sends::send_data_series;

use chrono::{DateTime, SecondsFormat, Utc};
use leadwire_core::config::Config;
use leadwire_store::{ConfigKind, ConfigVersion, Store, StoreResult};

use crate::state::AppState;

/// The loaded config's campaigns and canvases (none when the server runs without any).
fn config(state: &AppState) -> Option<&Config> {
    state.journeys.as_deref().map(|journeys| journeys.config())
}

/// A time as Braze writes one: `2026-12-07T04:00:00+00:00`.
pub(crate) fn iso(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// When the item was created and last edited (the epoch when the registry has no record).
pub(crate) async fn version(
    store: &dyn Store,
    kind: ConfigKind,
    api_id: &str,
) -> StoreResult<(DateTime<Utc>, DateTime<Utc>)> {
    let versions = store.config_versions(kind).await?;
    Ok(versions
        .iter()
        .find(|version| version.api_id == api_id)
        .map_or(
            (DateTime::UNIX_EPOCH, DateTime::UNIX_EPOCH),
            |version: &ConfigVersion| (version.created_at, version.last_edited),
        ))
}
