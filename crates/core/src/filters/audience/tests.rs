//! The connected audience mapping, evaluated over real profiles.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::filters::{FilterContext, NoEvents};
use crate::profile::Profile;

fn now() -> DateTime<Utc> {
    "2030-06-01T00:00:00Z".parse().expect("time")
}

fn profile(custom: Value, standard: Value) -> Profile {
    let mut profile = Profile::new(Uuid::nil(), now());
    if let Value::Object(custom) = custom {
        profile.custom = custom;
    }
    if let Value::Object(standard) = standard {
        profile.standard = standard;
    }
    profile
}

fn admits(audience: &Value, profile: &Profile) -> bool {
    let filter = connected_audience(audience, now()).expect("a valid audience");
    filter.matches(&FilterContext {
        profile,
        history: &NoEvents,
        now: now(),
    })
}

fn attribute(name: &str, comparison: &str, value: Value) -> Value {
    json!({"custom_attribute": {"custom_attribute_name": name, "comparison": comparison, "value": value}})
}

#[test]
fn comparisons_map_onto_filters() {
    let ada = profile(
        json!({"score": 50, "city": "Paris", "tags": ["vip"], "renews": "2030-06-03T00:00:00Z",
               "joined": "2030-05-01T00:00:00Z"}),
        json!({}),
    );
    let holds = [
        attribute("score", "equals", json!(50)),
        attribute("score", "greater_than_or_equal_to", json!(50)),
        attribute("score", "less_than_or_equal_to", json!(50)),
        attribute("score", "not_equal", json!(49)),
        attribute("city", "matches_regex", json!("^Par")),
        attribute("city", "does_not_match_regex", json!("^Lon")),
        attribute("tags", "includes_value", json!("vip")),
        attribute("tags", "does_not_include_value", json!("churned")),
        attribute("missing", "does_not_exist", Value::Null),
        attribute("renews", "less_than_x_days_in_the_future", json!(3)),
        attribute("joined", "greater_than_x_days_ago", json!(30)),
        attribute("joined", "after", json!("2030-04-01T00:00:00Z")),
    ];
    for audience in &holds {
        assert!(admits(audience, &ada), "{audience}");
    }
    let fails = [
        attribute("score", "greater_than", json!(50)),
        attribute("score", "less_than_or_equal_to", json!(49)),
        attribute("city", "does_not_match_regex", json!("^Par")),
        attribute("tags", "does_not_include_value", json!("vip")),
        attribute("renews", "greater_than_x_days_in_the_future", json!(3)),
        attribute("joined", "less_than_x_days_ago", json!(30)),
        attribute("joined", "before", json!("2030-04-01T00:00:00Z")),
    ];
    for audience in &fails {
        assert!(!admits(audience, &ada), "{audience}");
    }
}

#[test]
fn and_or_nest_and_subscriptions_default_to_subscribed() {
    let audience = json!({"AND": [
        attribute("score", "greater_than", json!(10)),
        {"OR": [
            {"email_subscription_status": {"comparison": "is", "value": "subscribed"}},
            {"push_subscription_status": {"comparison": "is", "value": "opted_in"}}
        ]}
    ]});
    let unset = profile(json!({"score": 20}), json!({}));
    let unsubscribed = profile(
        json!({"score": 20}),
        json!({"email_subscribe": "unsubscribed"}),
    );
    let pushed = profile(
        json!({"score": 20}),
        json!({"email_subscribe": "unsubscribed", "push_subscribe": "opted_in"}),
    );
    assert!(admits(&audience, &unset));
    assert!(!admits(&audience, &unsubscribed));
    assert!(admits(&audience, &pushed));
    let not_subscribed =
        json!({"email_subscription_status": {"comparison": "is_not", "value": "subscribed"}});
    assert!(!admits(&not_subscribed, &unset));
    assert!(admits(&not_subscribed, &unsubscribed));
}

#[test]
fn unsupported_and_malformed_parts_are_named() {
    let cases = [
        (
            json!({"last_used_app": {"comparison": "after", "value": "2030-01-01T00:00:00Z"}}),
            "audience.last_used_app is not supported",
        ),
        (
            json!({"AND": [{"OR": [attribute("a", "sounds_like", json!(1))]}]}),
            "audience.AND[0].OR[0].custom_attribute.comparison `sounds_like`",
        ),
        (json!({"AND": [], "OR": []}), "exactly one key"),
        (json!({"AND": {}}), "audience.AND must be an array"),
        (
            json!({"custom_attribute": {"comparison": "equals", "value": 1}}),
            "custom_attribute_name is required",
        ),
        (
            attribute("a", "greater_than", json!("big")),
            "compare numbers or ISO 8601 times",
        ),
        (
            attribute("a", "less_than_x_days_ago", json!("three")),
            "number of days",
        ),
        (
            attribute("a", "matches_regex", json!("(")),
            "invalid regular expression",
        ),
        (
            json!({"email_subscription_status": {"comparison": "is", "value": "maybe"}}),
            "opted_in",
        ),
        (
            json!({"device_model": {}}),
            "audience.device_model is not a connected audience filter",
        ),
        (json!([1]), "audience must be an object"),
    ];
    for (audience, expected) in cases {
        let error = connected_audience(&audience, now()).expect_err("refused");
        assert!(error.contains(expected), "{audience}: {error}");
    }
    let mut deep = attribute("a", "exists", Value::Null);
    for _ in 0..=MAX_DEPTH {
        deep = json!({"AND": [deep]});
    }
    let error = connected_audience(&deep, now()).expect_err("too deep");
    assert!(error.contains("nest at most"), "{error}");
}
