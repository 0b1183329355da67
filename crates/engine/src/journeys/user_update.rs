//! The User Update step: values rendered with Liquid (user, entry and event properties),
//! resolved by core into `/users/track` shapes, applied with core's attribute operations
//! and written with `save_profiles` / `record_events` / `record_purchases` in the canvas
//! task's transaction, so the user's own changes produce triggers like an API write.
//!
//! Bad runtime data never stops the worker: a value that does not render (an
//! `abort_message`, a `connected_content` call, a Liquid error) or does not apply (a
//! non-number increment, an invalid composer object) skips that update, is logged, and the
//! user moves on.

use chrono::{DateTime, Utc};
use leadwire_core::attributes::apply_attributes;
use leadwire_core::canvas::{Canvas, ResolvedUserUpdate, UserUpdateStep};
use leadwire_core::profile::Profile;
use leadwire_core::track::{parse_event, parse_purchase};
use leadwire_liquid::Globals;
use leadwire_store::{
    CanvasEntry, NewEvent, NewPurchase, ProfileWrite, StoreResult, StoreTransaction,
};
use serde_json::{Map, Value, json};

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
    let skip = |what: &str, error: &dyn std::fmt::Display| {
        tracing::warn!(canvas = canvas.api_id(), step = step.name, %user, %error, "User Update: {what} skipped");
    };
    if !resolved.attributes.is_empty() {
        let mut updated = profile.clone();
        match apply_attributes(&mut updated, &resolved.attributes, &journeys.limits, now) {
            Ok(changes) => {
                tx.save_profiles(&[ProfileWrite {
                    profile: &updated,
                    changes: &changes,
                }])
                .await?;
                *profile = updated;
            }
            Err(error) => skip("attributes", &error),
        }
    }
    let mut events = Vec::new();
    for value in resolved.events {
        match parse_event(&with_user(value, profile), now) {
            Ok(event) => events.push(NewEvent {
                user_id: profile.id,
                name: event.name,
                time: event.time,
                app_id: event.app_id,
                properties: event.properties,
            }),
            Err(error) => skip("event", &error),
        }
    }
    if !events.is_empty() {
        tx.record_events(&events).await?;
    }
    let mut purchases = Vec::new();
    for value in resolved.purchases {
        match parse_purchase(&with_user(value, profile), now) {
            Ok(purchase) => purchases.push(NewPurchase {
                user_id: profile.id,
                product_id: purchase.product_id,
                currency: purchase.currency,
                price: purchase.price,
                quantity: purchase.quantity,
                time: purchase.time,
                app_id: purchase.app_id,
                properties: purchase.properties,
            }),
            Err(error) => skip("purchase", &error),
        }
    }
    if !purchases.is_empty() {
        tx.record_purchases(&purchases).await?;
    }
    Ok(())
}

/// A composer event or purchase object, given the user's id as `/users/track` expects.
fn with_user(mut value: Value, profile: &Profile) -> Value {
    if let Value::Object(object) = &mut value {
        object.insert("braze_id".into(), Value::String(profile.id.to_string()));
    }
    value
}
