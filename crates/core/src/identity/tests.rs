//! The merge rules, prioritization and identify decisions.

use chrono::{TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::profile::{Profile, UserAlias};
use crate::time::time_value;

fn alias(label: &str, name: &str) -> UserAlias {
    UserAlias {
        alias_name: name.into(),
        alias_label: label.into(),
    }
}

fn at(hour: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, hour, 0, 0)
        .single()
        .expect("a time")
}

#[test]
fn the_kept_profile_wins_and_its_gaps_are_filled() {
    let mut keep = Profile::new(Uuid::from_u128(1), at(5));
    keep.external_id = Some("keep".into());
    keep.standard.insert("first_name".into(), json!("Ada"));
    keep.standard.insert("last_name".into(), json!(""));
    keep.standard
        .insert("date_of_first_session".into(), time_value(at(4)));
    keep.standard
        .insert("date_of_last_session".into(), time_value(at(6)));
    keep.custom.insert("plan".into(), json!("pro"));
    keep.aliases.push(alias("crm", "k"));
    let mut merged = Profile::new(Uuid::from_u128(2), at(2));
    merged.external_id = Some("gone".into());
    merged.standard.insert("first_name".into(), json!("Bob"));
    merged
        .standard
        .insert("last_name".into(), json!("Lovelace"));
    merged
        .standard
        .insert("email".into(), json!("b@example.com"));
    merged
        .standard
        .insert("date_of_first_session".into(), time_value(at(3)));
    merged
        .standard
        .insert("date_of_last_session".into(), time_value(at(5)));
    merged.custom.insert("plan".into(), json!("free"));
    merged.custom.insert("score".into(), json!(7));
    merged.aliases.push(alias("crm", "m"));
    merged.aliases.push(alias("web", "m"));

    let now = at(9);
    let result = merge_profiles(&keep, &merged, now);
    assert_eq!(result.id, keep.id);
    assert_eq!(result.external_id.as_deref(), Some("keep"));
    assert_eq!(result.standard["first_name"], json!("Ada"));
    assert_eq!(
        result.standard["last_name"],
        json!("Lovelace"),
        "blank is a gap"
    );
    assert_eq!(result.standard["email"], json!("b@example.com"));
    assert_eq!(result.standard["date_of_first_session"], time_value(at(3)));
    assert_eq!(result.standard["date_of_last_session"], time_value(at(6)));
    assert_eq!(result.custom["plan"], json!("pro"));
    assert_eq!(result.custom["score"], json!(7));
    assert_eq!(result.aliases, vec![alias("crm", "k"), alias("web", "m")]);
    assert_eq!(result.created_at, at(2));
    assert_eq!(result.updated_at, now);
}

#[test]
fn first_is_earlier_and_last_is_later() {
    assert_eq!(later(Some(at(1)), Some(at(2))), Some(at(2)));
    assert_eq!(later(None, Some(at(2))), Some(at(2)));
    assert_eq!(earlier(Some(at(1)), Some(at(2))), Some(at(1)));
    assert_eq!(earlier(None, Some(at(2))), Some(at(2)));
    assert_eq!(earlier(None, None), None);
}

#[test]
fn entries_move_only_to_canvases_the_kept_profile_never_entered() {
    assert!(entry_moves(["a", "b"], "c"));
    assert!(!entry_moves(["a", "b"], "b"));
}

fn candidate(id: u128, external_id: Option<&str>, updated: u32) -> Profile {
    let mut profile = Profile::new(Uuid::from_u128(id), at(0));
    profile.external_id = external_id.map(str::to_owned);
    profile.updated_at = at(updated);
    profile
}

#[test]
fn prioritization_picks_one_profile_or_none() {
    let candidates = [
        candidate(1, None, 1),
        candidate(2, None, 3),
        candidate(3, Some("x"), 2),
    ];
    let parse = |value| Prioritization::parse(Some(&value)).expect("valid");
    let pick = |value| parse(value).pick(&candidates).map(|p| p.id.as_u128());
    assert_eq!(pick(json!(["identified"])), Some(3));
    assert_eq!(pick(json!(["unidentified"])), None, "two are left");
    assert_eq!(
        pick(json!(["unidentified", "most_recently_updated"])),
        Some(2)
    );
    assert_eq!(
        pick(json!(["unidentified", "least_recently_updated"])),
        Some(1)
    );
    assert_eq!(pick(json!(["most_recently_updated"])), Some(2));
    assert_eq!(parse(json!(["identified"])).pick(&[]), None);
}

#[test]
fn prioritization_errors_say_what_is_wrong() {
    let parse = |value: serde_json::Value| Prioritization::parse(Some(&value)).unwrap_err();
    assert_eq!(
        Prioritization::parse(None),
        Err(PrioritizationError::Missing)
    );
    assert_eq!(parse(json!("identified")), PrioritizationError::NotAnArray);
    assert_eq!(parse(json!([])), PrioritizationError::Empty);
    assert_eq!(
        parse(json!(["identified", "newest"])),
        PrioritizationError::Unknown { index: 1 }
    );
    assert_eq!(
        parse(json!(["identified", "unidentified"])),
        PrioritizationError::BothIdentifiedAndUnidentified
    );
    assert!(
        PrioritizationError::Unknown { index: 1 }
            .to_string()
            .contains("most_recently_updated")
    );
}

#[test]
fn identify_assigns_merges_or_skips() {
    let anonymous = candidate(1, None, 1);
    let mut identified = candidate(2, Some("u"), 1);
    let crm = alias("crm", "a");
    assert_eq!(
        identify_action(&anonymous, Some(&crm), None),
        IdentifyAction::AssignExternalId
    );
    assert_eq!(
        identify_action(&anonymous, Some(&crm), Some(&identified)),
        IdentifyAction::Merge
    );
    identified.aliases.push(alias("crm", "other"));
    assert_eq!(
        identify_action(&anonymous, Some(&crm), Some(&identified)),
        IdentifyAction::Skip,
        "one alias per label"
    );
    assert_eq!(
        identify_action(&anonymous, None, Some(&identified)),
        IdentifyAction::Merge,
        "found by email: no label to clash"
    );
    let other = candidate(3, Some("v"), 1);
    assert_eq!(
        identify_action(&other, None, Some(&identified)),
        IdentifyAction::Skip
    );
}
