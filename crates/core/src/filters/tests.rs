//! Tests for filter parsing and evaluation.

use chrono::{TimeDelta, TimeZone};
use serde_json::json;
use uuid::Uuid;

use super::*;

#[derive(Deserialize)]
struct Holder {
    filters: Vec<Filter>,
}

fn parse(source: &str) -> Result<Vec<Filter>, String> {
    toml::from_str::<Holder>(source)
        .map(|holder| holder.filters)
        .map_err(|error| error.to_string())
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("valid time")
}

fn lead(stage: &str, score: i64) -> Profile {
    let mut profile = Profile::new(Uuid::nil(), now());
    profile.custom.insert("lead_stage".into(), json!(stage));
    profile.custom.insert("lead_score".into(), json!(score));
    profile
}

fn check(filters: &[Filter], profile: &Profile, history: &dyn EventHistory) -> bool {
    all_match(
        filters,
        &FilterContext {
            profile,
            history,
            now: now(),
        },
    )
}

#[test]
fn mql_threshold_is_an_and_of_two_attribute_filters() {
    let filters = parse(
        r#"filters = [
            { attribute = "lead_stage", op = "equals", value = "Lead" },
            { attribute = "lead_score", op = "greater_than", value = 50 },
        ]"#,
    )
    .expect("valid filters");
    assert!(check(&filters, &lead("Lead", 51), &NoEvents));
    assert!(!check(&filters, &lead("Lead", 50), &NoEvents));
    assert!(!check(&filters, &lead("MQL", 90), &NoEvents));
    let mut wrong_type = lead("Lead", 0);
    wrong_type
        .custom
        .insert("lead_score".into(), json!("ninety"));
    assert!(!check(&filters, &wrong_type, &NoEvents));
    assert!(!check(
        &filters,
        &Profile::new(Uuid::nil(), now()),
        &NoEvents
    ));
}

#[test]
fn any_group_is_an_or() {
    let filters = parse(
        r#"filters = [{ any = [
            { attribute = "lead_stage", op = "equals", value = "MQL" },
            { attribute = "lead_score", op = "greater_than", value = 100 },
        ] }]"#,
    )
    .expect("valid filters");
    assert!(check(&filters, &lead("MQL", 0), &NoEvents));
    assert!(check(&filters, &lead("Lead", 101), &NoEvents));
    assert!(!check(&filters, &lead("Lead", 100), &NoEvents));
    let empty_all = parse("filters = [{ all = [] }]").expect("valid");
    assert!(check(&empty_all, &lead("Lead", 0), &NoEvents));
}

#[test]
fn email_available_reads_the_standard_attribute() {
    let filters = parse("filters = [{ email_available = true }]").expect("valid");
    let mut profile = lead("Lead", 0);
    assert!(!check(&filters, &profile, &NoEvents));
    profile
        .standard
        .insert("email".into(), json!("ada@example.com"));
    assert!(check(&filters, &profile, &NoEvents));
    let regex = parse(
        r#"filters = [{ attribute = "email", op = "matches_regex", value = "example\\.com$" }]"#,
    )
    .expect("valid");
    assert!(check(&regex, &profile, &NoEvents));
}

#[test]
fn custom_event_count_counts_inside_the_window() {
    let filters = parse(
        r#"filters = [{ custom_event = "webinar_joined", op = "greater_than", value = 1, within = "7d" }]"#,
    )
    .expect("valid");
    let mut log = EventLog::default();
    log.events
        .push(("webinar_joined".into(), now() - TimeDelta::days(1)));
    assert!(!check(&filters, &lead("Lead", 0), &log));
    log.events
        .push(("webinar_joined".into(), now() - TimeDelta::days(8)));
    assert!(
        !check(&filters, &lead("Lead", 0), &log),
        "outside the window"
    );
    log.events
        .push(("webinar_joined".into(), now() - TimeDelta::days(6)));
    assert!(check(&filters, &lead("Lead", 0), &log));
    let needed = filters[0].required_event_counts(now());
    assert_eq!(
        needed,
        vec![("webinar_joined".to_string(), now() - TimeDelta::days(7))]
    );
    let mut counts = EventCounts::default();
    counts.insert("webinar_joined", now() - TimeDelta::days(7), 2);
    assert!(check(&filters, &lead("Lead", 0), &counts));
}

#[test]
fn external_id_is_an_attribute() {
    let filters =
        parse(r#"filters = [{ attribute = "external_id", op = "exists" }]"#).expect("valid");
    let mut profile = lead("Lead", 0);
    assert!(!check(&filters, &profile, &NoEvents));
    profile.external_id = Some("00Q000000000001AAA".into());
    assert!(check(&filters, &profile, &NoEvents));
}

#[test]
fn malformed_filters_are_rejected_with_a_reason() {
    let cases = [
        (r#"filters = [{ attribute = "a" }]"#, "needs an `op`"),
        (
            r#"filters = [{ attribute = "a", op = "equals" }]"#,
            "needs a `value`",
        ),
        (
            r#"filters = [{ attribute = "a", op = "bigger" }]"#,
            "unknown variant",
        ),
        (
            r#"filters = [{ attribute = "a", email_available = true }]"#,
            "exactly one kind",
        ),
        (
            r#"filters = [{ custom_event = "e", op = "greater_than", value = 1 }]"#,
            "time window",
        ),
        (
            r#"filters = [{ custom_event = "e", op = "is_blank", within = "1d", value = 1 }]"#,
            "needs op",
        ),
        (
            r#"filters = [{ attribute = "a", op = "matches_regex", value = "(" }]"#,
            "invalid regular expression",
        ),
        (r#"filters = [{ atribute = "a" }]"#, "unknown field"),
        (
            r#"filters = [{ email_available = true, value = 1 }]"#,
            "belong to",
        ),
    ];
    for (source, expected) in cases {
        let error = parse(source).expect_err(source);
        assert!(error.contains(expected), "{source}: {error}");
    }
}

#[test]
fn dotted_names_reach_into_nested_custom_attributes() {
    let filters =
        parse(r#"filters = [{ attribute = "address.city", op = "equals", value = "Paris" }]"#)
            .expect("valid");
    let mut profile = lead("Lead", 0);
    assert!(!check(&filters, &profile, &NoEvents));
    profile
        .custom
        .insert("address".into(), json!({"city": "Paris"}));
    assert!(check(&filters, &profile, &NoEvents));
    profile.custom.insert("address.city".into(), json!("Lyon"));
    assert!(
        !check(&filters, &profile, &NoEvents),
        "an attribute with the dotted name wins"
    );
    profile
        .custom
        .insert("address".into(), json!("not an object"));
    profile.custom.remove("address.city");
    assert!(!check(&filters, &profile, &NoEvents));
}
