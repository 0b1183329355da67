//! The identity writes of a [`SqlTransaction`]: merging one profile into another, renaming
//! an alias, renaming an external id. Each runs inside the caller's transaction, so a
//! merge commits whole or not at all; the rules come from `leadwire_core::identity`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leadwire_core::attributes::ProfileChanges;
use leadwire_core::canvas::removal_changes;
use leadwire_core::identity::{entry_moves, later, merge_profiles};
use leadwire_core::profile::{Profile, UserAlias};
use uuid::Uuid;

use super::database::Sql;
use super::transaction::SqlTransaction;
use crate::batch::{BatchWrites, ReceiptRecord};
use crate::error::StoreResult;
use crate::journeys::CampaignReceipt;
use crate::repository::{ProfileWrite, StoreTransaction};

/// See [`crate::StoreTransaction::merge_profiles`].
pub(super) async fn merge<DB: Sql>(
    t: &mut SqlTransaction<DB>,
    keep: Uuid,
    merged: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    if keep == merged {
        return Ok(false);
    }
    let mut ids = [keep, merged];
    ids.sort_unstable();
    let profiles = DB::by_ids(&mut t.tx, &ids, DB::LOCK_ROWS).await?;
    let find = |id: Uuid| profiles.iter().find(|profile| profile.id == id);
    let (Some(kept), Some(gone)) = (find(keep), find(merged)) else {
        return Ok(false);
    };
    let result = merge_profiles(kept, gone, now);
    for alias in &gone.aliases {
        DB::delete_alias(&mut t.tx, alias).await?;
    }
    save_profile(t, &result).await?;
    DB::move_history(&mut t.tx, merged, keep).await?;
    merge_canvas_state(t, keep, merged).await?;
    merge_receipts(t, keep, merged).await?;
    let moved = DB::repoint_jobs(&mut t.tx, merged, keep).await?;
    tracing::debug!(%keep, %merged, jobs = moved, "merged a profile");
    DB::delete(&mut t.tx, merged).await?;
    t.entry_states.clear();
    Ok(true)
}

/// Moves the merged user's entries into canvases the kept user never entered; the
/// others are dropped (deleted with the profile), an active one leaving its step's
/// counters. Re-entry marks keep the later entry time.
async fn merge_canvas_state<DB: Sql>(
    t: &mut SqlTransaction<DB>,
    keep: Uuid,
    merged: Uuid,
) -> StoreResult<()> {
    let kept_canvases = DB::entered_canvases(&mut t.tx, keep).await?;
    for entry in DB::all_entries(&mut t.tx, merged).await? {
        if entry_moves(kept_canvases.iter().map(String::as_str), entry.canvas()) {
            DB::move_entry(&mut t.tx, entry.id, keep).await?;
        } else if entry.is_active() {
            t.counts.apply(removal_changes(&entry.state));
        }
    }
    for (canvas, at) in DB::marks(&mut t.tx, merged).await? {
        let kept = DB::last_entry_at(&mut t.tx, keep, &canvas).await?;
        if let Some(last) = later(kept, Some(at)) {
            DB::set_mark(&mut t.tx, keep, &canvas, last).await?;
        }
    }
    Ok(())
}

/// Per campaign: the later receipt and exception times; a send still pending for the
/// kept user stays the pending one, else the merged user's (its job now names the kept
/// user).
async fn merge_receipts<DB: Sql>(
    t: &mut SqlTransaction<DB>,
    keep: Uuid,
    merged: Uuid,
) -> StoreResult<()> {
    let records = t.campaign_receipts_of(&[keep, merged]).await?;
    let mut kept: HashMap<String, CampaignReceipt> = records
        .iter()
        .filter(|record| record.user_id == keep)
        .map(|record| (record.campaign.clone(), record.receipt))
        .collect();
    let mut saved = Vec::new();
    for record in records
        .into_iter()
        .filter(|record| record.user_id == merged)
    {
        let theirs = record.receipt;
        let ours = kept.remove(&record.campaign).unwrap_or_default();
        let pending = if ours.pending_send_id.is_some() {
            ours
        } else {
            theirs
        };
        saved.push(ReceiptRecord {
            user_id: keep,
            campaign: record.campaign,
            receipt: CampaignReceipt {
                last_received_at: later(ours.last_received_at, theirs.last_received_at),
                last_exception_at: later(ours.last_exception_at, theirs.last_exception_at),
                pending_send_id: pending.pending_send_id,
                previous_received_at: pending.previous_received_at,
            },
        });
    }
    t.save_campaign_receipts(&saved).await
}

/// See [`crate::StoreTransaction::rename_alias`].
pub(super) async fn rename_alias_of<DB: Sql>(
    t: &mut SqlTransaction<DB>,
    user_id: Uuid,
    old: &UserAlias,
    new_name: &str,
) -> StoreResult<()> {
    let new = UserAlias {
        alias_name: new_name.to_owned(),
        alias_label: old.alias_label.clone(),
    };
    if !DB::alias_is_free(&mut t.tx, user_id, &new).await? {
        return Ok(());
    }
    let Some(mut profile) = DB::by_ids(&mut t.tx, &[user_id], DB::LOCK_ROWS)
        .await?
        .pop()
    else {
        return Ok(());
    };
    DB::delete_alias(&mut t.tx, old).await?;
    for alias in &mut profile.aliases {
        if alias == old {
            alias.alias_name = new.alias_name.clone();
        }
    }
    save_profile(t, &profile).await
}

/// See [`crate::StoreTransaction::rename_external_id`].
pub(super) async fn rename_external_id_of<DB: Sql>(
    t: &mut SqlTransaction<DB>,
    user_id: Uuid,
    new: &str,
) -> StoreResult<()> {
    let Some(mut profile) = DB::by_ids(&mut t.tx, &[user_id], DB::LOCK_ROWS)
        .await?
        .pop()
    else {
        return Ok(());
    };
    let old = profile.external_id.replace(new.to_owned());
    save_profile(t, &profile).await?;
    if let Some(old) = old {
        DB::insert_deprecated(&mut t.tx, &old, user_id).await?;
    }
    Ok(())
}

/// Writes `profile` without triggers (an identity change is no user action).
async fn save_profile<DB: Sql>(t: &mut SqlTransaction<DB>, profile: &Profile) -> StoreResult<()> {
    let changes = ProfileChanges::default();
    t.save_profiles(&[ProfileWrite {
        profile,
        changes: &changes,
    }])
    .await
}
