//! The profile page's own sections: identifiers, attributes, recent events and purchases.

use chrono::{DateTime, Utc};
use leadwire_core::profile::Profile;
use leadwire_core::time::times_as_strings;
use leadwire_store::{ActivitySummary, EventRecord};
use maud::{Markup, html};
use serde_json::{Map, Value};

use super::profile::RECENT_EVENTS;
use crate::console::pages::widgets::{empty, when};

pub fn identifiers(profile: &Profile, now: DateTime<Utc>) -> Markup {
    let phone = profile.standard.get("phone").and_then(Value::as_str);
    html! {
        h2 { "Identifiers" }
        dl.facts #identifiers data-testid="identifiers" {
            dt { "external_id" }
            dd { @match &profile.external_id { Some(id) => code { (id) }, None => span.muted { "none (an anonymous or alias-only user)" } } }
            dt { "braze_id" }
            dd { code { (profile.id) } }
            dt { "email" }
            dd { @match profile.email() { Some(email) => (email), None => span.muted { "none" } } }
            dt { "phone" }
            dd { @match phone { Some(phone) => (phone), None => span.muted { "none" } } }
            dt { "aliases" }
            dd {
                @if profile.aliases.is_empty() {
                    span.muted { "none" }
                } @else {
                    ul.plain { @for alias in &profile.aliases {
                        li { code { (alias.alias_label) ":" (alias.alias_name) } }
                    } }
                }
            }
            dt { "created" }
            dd { (when(profile.created_at, now)) }
            dt { "updated" }
            dd { (when(profile.updated_at, now)) }
        }
    }
}

pub fn attributes(profile: &Profile) -> Markup {
    html! {
        h2 { "Attributes" }
        @if profile.standard.is_empty() && profile.custom.is_empty() {
            (empty("No attributes yet: post some in an attributes object to /users/track."))
        } @else {
            div.scroll { table #attributes {
                thead { tr { th scope="col" { "Attribute" } th scope="col" { "Kind" } th scope="col" { "Value" } } }
                tbody {
                    (attribute_rows("standard", &profile.standard))
                    (attribute_rows("custom", &profile.custom))
                }
            } }
        }
    }
}

fn attribute_rows(kind: &str, attributes: &Map<String, Value>) -> Markup {
    html! {
        @for (name, value) in attributes {
            tr data-attribute=(name) {
                th scope="row" { code { (name) } }
                td.muted { (kind) }
                td { (json_value(value)) }
            }
        }
    }
}

/// A stored value: text as text, numbers and booleans as code, nested values as pretty
/// JSON. Typed times show as their ISO 8601 text.
pub fn json_value(value: &Value) -> Markup {
    match times_as_strings(value) {
        Value::String(text) => html! { (text) },
        nested @ (Value::Array(_) | Value::Object(_)) => html! {
            pre { (serde_json::to_string_pretty(&nested).unwrap_or_default()) }
        },
        scalar => html! { code { (scalar) } },
    }
}

pub fn events(events: &[EventRecord], now: DateTime<Utc>) -> Markup {
    html! {
        h2 { "Recent events" }
        @if events.is_empty() {
            (empty("No custom events: post some in an events array to /users/track."))
        } @else {
            p.muted { "The " (events.len()) " most recent, newest first (at most " (RECENT_EVENTS) ")." }
            div.scroll { table #events {
                thead { tr { th scope="col" { "Event" } th scope="col" { "Time" } th scope="col" { "Properties" } } }
                tbody { @for event in events { tr {
                    td { (event.name) }
                    td { (when(event.time, now)) }
                    td { @if event.properties.is_empty() { span.muted { "none" } } @else { (json_value(&Value::Object(event.properties.clone()))) } }
                } } }
            } }
        }
    }
}

pub fn purchases(purchases: &[ActivitySummary], now: DateTime<Utc>) -> Markup {
    html! {
        h2 { "Purchases" }
        @if purchases.is_empty() {
            (empty("No purchases: post some in a purchases array to /users/track."))
        } @else {
            div.scroll { table #purchases {
                thead { tr { th scope="col" { "Product" } th.num scope="col" { "Quantity" } th scope="col" { "First" } th scope="col" { "Last" } } }
                tbody { @for purchase in purchases { tr {
                    td { (purchase.name) }
                    td.num { (purchase.count) }
                    td { (when(purchase.first, now)) }
                    td { (when(purchase.last, now)) }
                } } }
            } }
        }
    }
}
