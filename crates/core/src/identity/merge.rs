//! How a merged profile folds into the kept one (Braze's merge behaviour): the kept
//! profile's values win, its gaps are filled from the merged profile, first-time fields take
//! the earlier value and last-time fields the later one. Events and purchases keep their own
//! rows (so counts add up and first/last follow from the rows); canvas entries move only to
//! canvases the kept profile has never been in.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::profile::Profile;
use crate::time::{as_time, parse_date};

/// Standard attributes whose earlier value wins.
const FIRST_TIMES: &[&str] = &["date_of_first_session"];
/// Standard attributes whose later value wins.
const LAST_TIMES: &[&str] = &["date_of_last_session", "marked_email_as_spam_at"];

/// The profile `keep` becomes once `merged` is folded into it at `now`. Identifiers stay
/// the kept profile's; each of the merged profile's aliases moves over unless the kept
/// profile already holds an alias with that label (a user holds at most one per label).
pub fn merge_profiles(keep: &Profile, merged: &Profile, now: DateTime<Utc>) -> Profile {
    let mut result = keep.clone();
    for (name, value) in &merged.standard {
        let pick = match result.standard.get(name) {
            None | Some(Value::Null) => Some(value.clone()),
            Some(kept) if FIRST_TIMES.contains(&name.as_str()) => {
                pick_time(kept, value, |a, b| b < a)
            }
            Some(kept) if LAST_TIMES.contains(&name.as_str()) => {
                pick_time(kept, value, |a, b| b > a)
            }
            Some(Value::String(kept)) if kept.is_empty() => Some(value.clone()),
            Some(_) => None,
        };
        if let Some(value) = pick {
            result.standard.insert(name.clone(), value);
        }
    }
    for (name, value) in &merged.custom {
        match result.custom.get(name) {
            None | Some(Value::Null) => {
                result.custom.insert(name.clone(), value.clone());
            }
            Some(_) => {}
        }
    }
    for alias in &merged.aliases {
        if !result
            .aliases
            .iter()
            .any(|kept| kept.alias_label == alias.alias_label)
        {
            result.aliases.push(alias.clone());
        }
    }
    result.created_at = result.created_at.min(merged.created_at);
    result.updated_at = now;
    result
}

/// `merged` when `replaces(kept, merged)` holds for the two times; a value that is no time
/// never replaces one that is.
fn pick_time(
    kept: &Value,
    merged: &Value,
    replaces: impl Fn(DateTime<Utc>, DateTime<Utc>) -> bool,
) -> Option<Value> {
    match (time_of(kept), time_of(merged)) {
        (Some(a), Some(b)) if replaces(a, b) => Some(merged.clone()),
        (None, Some(_)) => Some(merged.clone()),
        _ => None,
    }
}

fn time_of(value: &Value) -> Option<DateTime<Utc>> {
    as_time(value).or_else(|| value.as_str().and_then(parse_date))
}

/// The later of two optional times ("last" fields: last received, last entered).
pub fn later(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.max(b)
}

/// The earlier of two optional times, a missing one giving way ("first" fields).
pub fn earlier(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether a canvas entry of the merged profile in `canvas` moves to the kept profile: only
/// when the kept profile has never entered that canvas (its own journey wins); otherwise the
/// entry is dropped with the merged profile.
pub fn entry_moves<'a>(kept_canvases: impl IntoIterator<Item = &'a str>, canvas: &str) -> bool {
    !kept_canvases.into_iter().any(|kept| kept == canvas)
}
