//! `segment_id` and `audience` of a request, looked up in a config and evaluated.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::filters::{FilterContext, NoEvents};
use crate::profile::Profile;

fn now() -> DateTime<Utc> {
    "2030-06-01T00:00:00Z".parse().expect("time")
}

fn profile(custom: Value) -> Profile {
    let mut profile = Profile::new(Uuid::nil(), now());
    if let Value::Object(custom) = custom {
        profile.custom = custom;
    }
    profile
}

#[test]
fn a_request_audience_names_a_known_segment() {
    let config: Config = toml::from_str(
        r#"
[[segments]]
id = "seg-vip"
name = "VIP"
filters = [{ attribute = "tier", op = "equals", value = "vip" }]
"#,
    )
    .expect("config");
    let body = |value: Value| value.as_object().cloned().expect("object");
    assert_eq!(
        RequestAudience::parse(&body(json!({})), &config, now()).expect("none"),
        None
    );
    let audience = RequestAudience::parse(&body(json!({"segment_id": "seg-vip"})), &config, now())
        .expect("valid")
        .expect("some");
    let filters = audience.filters(&config, now()).expect("filters");
    let vip = profile(json!({"tier": "vip"}));
    let other = profile(json!({"tier": "free"}));
    let context = |profile| FilterContext {
        profile,
        history: &NoEvents,
        now: now(),
    };
    assert!(crate::filters::all_match(&filters, &context(&vip)));
    assert!(!crate::filters::all_match(&filters, &context(&other)));
    let error = RequestAudience::parse(&body(json!({"segment_id": "nope"})), &config, now())
        .expect_err("unknown");
    assert!(
        error.contains("segment_id `nope` names no segment"),
        "{error}"
    );
}
