//! Segments at runtime: whether a profile passes a list of filters ([`admits`]), who is in
//! a segment, a page of profiles at a time in profile id order ([`members_after`]), how
//! many pass ([`count_members`], for segment sizes and a broadcast's `bulk_threshold`), and
//! the size measurements behind `GET /segments/data_series` ([`measure_due`]), which the
//! journey workers' housekeeping loop runs.

use chrono::{DateTime, TimeDelta, Utc};
use leadwire_core::config::Config;
use leadwire_core::config::segment::Segment;
use leadwire_core::filters::{Filter, FilterContext, all_match};
use leadwire_core::profile::Profile;
use leadwire_core::track::UserIdentifier;
use leadwire_store::{SegmentSize, Store, StoreResult};
use uuid::Uuid;

use super::context::event_counts;

/// Profiles read per page.
pub const PAGE_SIZE: u32 = 500;

/// A segment is measured again once its last measurement of the day is this old.
pub const MEASURE_EVERY: TimeDelta = TimeDelta::hours(1);

/// One page of a segment's members.
#[derive(Debug)]
pub struct MemberPage {
    /// The members among the page's profiles, in id order.
    pub members: Vec<Profile>,
    /// Where the next page starts (after this id); `None` when this was the last page.
    pub next: Option<Uuid>,
}

/// The members of `segment` among the next `limit` profiles after `after` (all profiles
/// from the start when `None`), evaluated at `now`.
pub async fn members_after(
    store: &dyn Store,
    filters: &[Filter],
    after: Option<Uuid>,
    limit: u32,
    now: DateTime<Utc>,
) -> StoreResult<MemberPage> {
    let ids = store.profile_ids_after(after, limit).await?;
    let full = u32::try_from(ids.len()).is_ok_and(|len| len == limit);
    let next = if full { ids.last().copied() } else { None };
    let mut members = Vec::new();
    for id in ids {
        let Some(profile) = store.find_profile(&UserIdentifier::BrazeId(id)).await? else {
            continue;
        };
        if admits(store, filters, &profile, now).await? {
            members.push(profile);
        }
    }
    Ok(MemberPage { members, next })
}

/// Whether `profile` passes every filter of `filters` at `now` (an empty list admits
/// everyone), reading the event counts they need from `store`.
pub(crate) async fn admits(
    store: &dyn Store,
    filters: &[Filter],
    profile: &Profile,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    if filters.is_empty() {
        return Ok(true);
    }
    let history = event_counts(store, profile.id, filters, now).await?;
    let context = FilterContext {
        profile,
        history: &history,
        now,
    };
    Ok(all_match(filters, &context))
}

/// How many users are in `segment` at `now`.
pub async fn measure(store: &dyn Store, segment: &Segment, now: DateTime<Utc>) -> StoreResult<u64> {
    count_members(store, &segment.filters, u64::MAX, now).await
}

/// How many users pass `filters` at `now`, a page at a time, reading no page past the one
/// where the count reaches `at_most` (it may end past it, within that page). With no
/// filters everyone passes: the profile ids are the count, and no profile is read.
pub(crate) async fn count_members(
    store: &dyn Store,
    filters: &[Filter],
    at_most: u64,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let mut count = 0u64;
    let mut after = None;
    loop {
        let (found, next) = if filters.is_empty() {
            let ids = store.profile_ids_after(after, PAGE_SIZE).await?;
            let full = u32::try_from(ids.len()).is_ok_and(|len| len == PAGE_SIZE);
            (ids.len(), ids.last().copied().filter(|_| full))
        } else {
            let page = members_after(store, filters, after, PAGE_SIZE, now).await?;
            (page.members.len(), page.next)
        };
        count = count.saturating_add(u64::try_from(found).unwrap_or(u64::MAX));
        match next {
            Some(next) if count < at_most => after = Some(next),
            _ => return Ok(count),
        }
    }
}

/// Measures every segment of `config` not measured today within [`MEASURE_EVERY`], and
/// stores its size as today's row; returns how many were measured.
pub async fn measure_due(
    store: &dyn Store,
    config: &Config,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let today = now.date_naive();
    let mut measured = 0;
    for segment in &config.segments {
        let rows = store.segment_sizes(&segment.id, today, today).await?;
        if rows.iter().any(|row| now - row.measured_at < MEASURE_EVERY) {
            continue;
        }
        let size = measure(store, segment, now).await?;
        store
            .record_segment_size(&SegmentSize {
                segment_id: segment.id.clone(),
                day: today,
                size,
                measured_at: now,
            })
            .await?;
        measured += 1;
    }
    Ok(measured)
}
