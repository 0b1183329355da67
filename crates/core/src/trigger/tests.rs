//! Tests for trigger declarations and matching.
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::*;
use crate::attributes::ProfileChanges;

#[derive(Deserialize)]
struct Holder {
    trigger: Trigger,
}

fn trigger(source: &str) -> Trigger {
    toml::from_str::<Holder>(source)
        .expect("valid trigger")
        .trigger
}

fn changed(name: &str, old: Option<Value>, new: Option<Value>) -> TriggerEvent {
    TriggerEvent::CustomAttributeChanged {
        name: name.into(),
        old,
        new: new.unwrap_or(Value::Null),
    }
}

fn event(name: &str, properties: Value) -> TriggerEvent {
    TriggerEvent::CustomEventPerformed {
        name: name.into(),
        properties: properties.as_object().cloned().unwrap_or_default(),
        time: Utc::now(),
    }
}

#[test]
fn add_email_address() {
    let add = trigger(r#"trigger = { type = "add_email_address" }"#);
    assert!(add.matches(&TriggerEvent::EmailAdded {
        email: "a@example.com".into()
    }));
    assert!(!add.matches(&TriggerEvent::EmailAdded { email: " ".into() }));
    assert!(!add.matches(&changed("email", None, Some(json!("a@example.com")))));
}

#[test]
fn change_custom_attribute_any_new_value() {
    let any = trigger(
        r#"trigger = { type = "change_custom_attribute_value", attribute = "lead_score" }"#,
    );
    assert!(any.matches(&changed("lead_score", Some(json!(1)), Some(json!(2)))));
    assert!(
        any.matches(&changed("lead_score", None, Some(json!(0)))),
        "first value fires"
    );
    assert!(
        !any.matches(&changed("lead_score", Some(json!(2)), Some(json!(2.0)))),
        "same value"
    );
    assert!(
        !any.matches(&changed("lead_score", Some(json!(2)), None)),
        "set to null"
    );
    assert!(!any.matches(&changed("lead_score", Some(json!(2)), Some(Value::Null))));
    assert!(!any.matches(&changed("lead score", Some(json!(1)), Some(json!(2)))));
}

#[test]
fn change_custom_attribute_specific_value() {
    let specific = trigger(
        r#"trigger = { type = "change_custom_attribute_value", attribute = "lead_stage", value = "MQL" }"#,
    );
    assert!(specific.matches(&changed(
        "lead_stage",
        Some(json!("Lead")),
        Some(json!("MQL"))
    )));
    assert!(!specific.matches(&changed(
        "lead_stage",
        Some(json!("Lead")),
        Some(json!("SQL"))
    )));
    assert!(!specific.matches(&changed(
        "lead_stage",
        Some(json!("MQL")),
        Some(json!("MQL"))
    )));
}

#[test]
fn custom_event_with_property_filters() {
    let cart = trigger(
        r#"trigger = { type = "perform_custom_event", event = "cart_updated", property_filters = [
            { property = "value", op = "greater_than", value = 100 },
            { property = "value", op = "less_than", value = 200 },
        ] }"#,
    );
    assert!(cart.matches(&event("cart_updated", json!({"value": 150}))));
    assert!(!cart.matches(&event("cart_updated", json!({"value": 250}))));
    assert!(
        !cart.matches(&event("cart_updated", json!({"value": "150"}))),
        "wrong type"
    );
    assert!(
        !cart.matches(&event("cart_updated", json!({}))),
        "missing property"
    );
    assert!(!cart.matches(&event("checkout", json!({"value": 150}))));
    let plain = trigger(r#"trigger = { type = "perform_custom_event", event = "webinar_joined" }"#);
    assert!(plain.matches(&event("webinar_joined", json!({"topic": "x"}))));
}

#[test]
fn purchase_any_or_specific_product() {
    let purchase = |product: &str| TriggerEvent::PurchaseMade {
        product_id: product.into(),
        currency: "USD".into(),
        price: 10.0,
        quantity: 1,
        properties: Map::new(),
        time: Utc::now(),
    };
    let any = trigger(r#"trigger = { type = "make_purchase" }"#);
    assert!(any.matches(&purchase("plan_pro")));
    let specific = trigger(r#"trigger = { type = "make_purchase", product_id = "plan_pro" }"#);
    assert!(specific.matches(&purchase("plan_pro")));
    assert!(!specific.matches(&purchase("plan_free")));
    assert!(!specific.matches(&event("plan_pro", json!({}))));
    assert_eq!(purchase("x").event_properties(), Some(&Map::new()));
}

#[test]
fn bad_trigger_declarations_are_rejected() {
    for (source, expected) in [
        (r#"trigger = { type = "open_app" }"#, "unknown variant"),
        (
            r#"trigger = { type = "perform_custom_event" }"#,
            "missing field `event`",
        ),
        (
            r#"trigger = { type = "make_purchase", product = "x" }"#,
            "unknown field",
        ),
        (
            r#"trigger = { type = "perform_custom_event", event = "e", property_filters = [{ property = "p", op = "equals" }] }"#,
            "needs a `value`",
        ),
    ] {
        let error = toml::from_str::<Holder>(source)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains(expected), "{source}: {error}");
    }
}

#[test]
fn profile_changes_become_trigger_events() {
    let changes = ProfileChanges {
        email_added: Some("a@example.com".into()),
        custom_changed: vec![crate::attributes::CustomAttributeChange {
            name: "lead_score".into(),
            old: None,
            new: json!(5),
        }],
    };
    let events = TriggerEvent::from_changes(&changes);
    assert_eq!(events.len(), 2);
    assert!(trigger(r#"trigger = { type = "add_email_address" }"#).matches(&events[0]));
    let score = trigger(
        r#"trigger = { type = "change_custom_attribute_value", attribute = "lead_score" }"#,
    );
    assert!(score.matches(&events[1]));
}

#[test]
fn trigger_events_round_trip_through_json() {
    let original = changed("lead_score", Some(json!(1)), Some(json!(2)));
    let text = serde_json::to_string(&original).expect("serializable");
    let back: TriggerEvent = serde_json::from_str(&text).expect("deserializable");
    assert_eq!(back, original);
}
