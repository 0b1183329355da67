//! The User Update step: values rendered with Liquid (user, entry and event properties),
//! resolved by core into `/users/track` shapes and written through the store's
//! `/users/track` path ([`track_within`]) in the canvas task's transaction, so the user's
//! own changes validate and produce triggers exactly like an API write.
//!
//! Bad runtime data never stops the worker: a value that does not render (an
//! `abort_message`, a `connected_content` call, a Liquid error) or does not apply (a
//! non-number increment, an invalid composer object) skips that update, is logged, and the
//! user moves on.

use chrono::{DateTime, Utc};
use leadwire_core::canvas::{Canvas, ResolvedUserUpdate, UserUpdateStep};
use leadwire_core::profile::Profile;
use leadwire_core::track::UserIdentifier;
use leadwire_liquid::Globals;
use leadwire_store::ingest::{TrackRequest, track_within};
use leadwire_store::{CanvasEntry, StoreResult, StoreTransaction};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::context::Journeys;

pub(crate) async fn apply_user_update(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    canvas: &Canvas,
    entry: &CanvasEntry,
    profile: &mut Profile,
    step: &UserUpdateStep,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let globals = globals(canvas, entry, profile, now);
    let mut render = |source: &str| journeys.liquid.render(source, &globals);
    let resolved = match step.resolve(&mut render) {
        Ok(resolved) => resolved,
        Err(error) => {
            tracing::warn!(canvas = canvas.api_id(), step = step.name, user = %profile.id, %error, "User Update skipped");
            return Ok(());
        }
    };
    write(journeys, tx, canvas, step, profile, resolved, now).await
}

fn globals(canvas: &Canvas, entry: &CanvasEntry, profile: &Profile, now: DateTime<Utc>) -> Globals {
    let mut canvas_object = Map::new();
    canvas_object.insert("name".into(), json!(canvas.name));
    canvas_object.insert("api_id".into(), json!(canvas.api_id()));
    let mut globals = Globals::new()
        .with_user(&profile.to_attributes_object())
        .with_canvas_entry_properties(&entry.state.entry_properties)
        .with_canvas(&canvas_object)
        .with_now(now);
    if let Some(properties) = &entry.state.event_properties {
        globals = globals.with_event_properties(properties);
    }
    globals
}

/// Writes the resolved update through the `/users/track` path, addressed to the user by
/// braze_id; an object that does not apply is logged and skipped. `profile` becomes the
/// user as written.
async fn write(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    canvas: &Canvas,
    step: &UserUpdateStep,
    profile: &mut Profile,
    resolved: ResolvedUserUpdate,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let user = profile.id;
    let request = track_request(resolved, user);
    let outcome = track_within(tx, &request, &journeys.limits, now).await?;
    for error in &outcome.errors {
        let what = error.input_array.as_str();
        tracing::warn!(canvas = canvas.api_id(), step = step.name, %user, field = error.field, error = error.message, "User Update: {what} skipped");
    }
    if outcome.attributes_processed.unwrap_or(0) > 0
        && let Some(updated) = tx.find_profile(&UserIdentifier::BrazeId(user)).await?
    {
        *profile = updated;
    }
    Ok(())
}

/// The update as a `/users/track` request: one attributes object, then the composer's
/// events and purchases, each naming the user by braze_id.
fn track_request(resolved: ResolvedUserUpdate, user: Uuid) -> TrackRequest {
    let objects = |values: Vec<Value>| {
        let named: Vec<Value> = values
            .into_iter()
            .map(|value| with_user(value, user))
            .collect();
        (!named.is_empty()).then_some(named)
    };
    let attributes = if resolved.attributes.is_empty() {
        Vec::new()
    } else {
        vec![Value::Object(resolved.attributes)]
    };
    TrackRequest {
        attributes: objects(attributes),
        events: objects(resolved.events),
        purchases: objects(resolved.purchases),
    }
}

/// A `/users/track` object, given the user's id as the request names it.
fn with_user(mut value: Value, user: Uuid) -> Value {
    if let Value::Object(object) = &mut value {
        object.insert("braze_id".into(), Value::String(user.to_string()));
    }
    value
}
