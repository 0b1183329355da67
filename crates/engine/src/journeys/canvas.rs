//! The canvas worker: advances one canvas entry through core's step machine
//! ([`leadwire_core::canvas::advance`]) in one transaction, performing each step's action
//! until the user waits or exits:
//!
//! - Audience Paths and Decision Split move at once;
//! - User Update renders its values, writes the profile through `save_profiles` (so the
//!   change produces triggers like any other) and moves on with the updated profile;
//! - Message enqueues a [`SendTask`] whose follow-up is a canvas task with
//!   `message_finished`, so the user advances when the send is finished, whatever its outcome;
//! - Delay enqueues a canvas task at the end of the delay (a durable timer);
//! - Action Paths marks the entry as waiting for actions and enqueues the window's end
//!   (the trigger worker routes actions to waiting entries, see `triggers`).

use chrono::{DateTime, Utc};
use leadwire_core::activity::MessageSource;
use leadwire_core::canvas::{
    AdvanceInput, Canvas, CanvasUserState, ExitReason, NextAction, Transition,
};
use leadwire_core::profile::Profile;
use leadwire_core::queue::{CanvasTask, FollowUp, SendTask};
use leadwire_core::track::UserIdentifier;
use leadwire_store::{CanvasEntry, ClaimedJob, NewTask, StoreResult, StoreTransaction};
use uuid::Uuid;

use super::campaigns::enqueue_send;
use super::context::{Journeys, event_counts};
use super::error::JourneyError;
use super::user_update::apply_user_update;

/// At most this many steps in one task; a longer run continues in a new task.
const MAX_STEPS_PER_TASK: usize = 64;

/// Enqueues a canvas task for `entry` at its current step, due at `run_at`.
pub(crate) async fn enqueue_step(
    tx: &mut dyn StoreTransaction,
    entry: &CanvasEntry,
    message_finished: bool,
    run_at: DateTime<Utc>,
) -> StoreResult<()> {
    tx.enqueue_all(&[NewTask::new(step_task(entry, message_finished), run_at)])
        .await
}

/// The canvas task that advances `entry` from its current step.
fn step_task(entry: &CanvasEntry, message_finished: bool) -> CanvasTask {
    CanvasTask {
        entry_id: entry.id,
        user_id: Some(entry.user_id),
        seq: entry.state.history.len(),
        message_finished,
    }
}

/// Enters `profile` into `canvas` and enqueues its first step, once re-entry control has
/// atomically recorded the entry; `None` when a concurrent entry got there first.
pub(crate) async fn enter(
    tx: &mut dyn StoreTransaction,
    canvas: &leadwire_core::canvas::Canvas,
    profile: &Profile,
    entry_properties: serde_json::Map<String, serde_json::Value>,
    now: DateTime<Utc>,
) -> StoreResult<Option<CanvasEntry>> {
    let cutoff = canvas.allow_reentry_after.map(|wait| wait.before(now));
    if !tx
        .claim_canvas_entry(profile.id, canvas.api_id(), now, cutoff)
        .await?
    {
        tracing::debug!(canvas = canvas.api_id(), user = %profile.id, "a concurrent entry won; not entered again");
        return Ok(None);
    }
    let state = CanvasUserState::enter(canvas, now, entry_properties);
    let entry = CanvasEntry::new(profile.id, state);
    tx.save_canvas_entry(&entry).await?;
    enqueue_step(tx, &entry, false, now).await?;
    tracing::debug!(canvas = canvas.api_id(), user = %profile.id, entry = %entry.id, "user entered canvas");
    Ok(Some(entry))
}

/// Handles one canvas task inside `tx`, completing it there.
pub(crate) async fn handle_in(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    job: &ClaimedJob,
    task: &CanvasTask,
    now: DateTime<Utc>,
) -> Result<(), JourneyError> {
    if let Some(user_id) = task.user_id {
        // Profile first, then entry: the trigger worker's lock order.
        tx.find_profile(&UserIdentifier::BrazeId(user_id)).await?;
    }
    if let Some(mut entry) = tx.canvas_entry(task.entry_id).await? {
        if entry.is_active() && entry.state.history.len() == task.seq {
            run_entry(journeys, tx, &mut entry, task.message_finished, now).await?;
            tx.save_canvas_entry(&entry).await?;
        } else {
            tracing::trace!(entry = %task.entry_id, "stale canvas task; the entry has moved on");
        }
    }
    tx.complete_job(job).await?;
    Ok(())
}

/// Advances the entry until it waits or exits. Returns the number of steps completed.
pub(crate) async fn run_entry(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    entry: &mut CanvasEntry,
    mut message_finished: bool,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let Some(canvas) = journeys.config.canvas_by_api_id(entry.canvas()) else {
        tracing::warn!(canvas = entry.canvas(), entry = %entry.id, "the canvas is no longer in the config; the user exits");
        entry.state.exit(ExitReason::StepRemoved, now);
        entry.awaiting_action = false;
        return Ok(0);
    };
    let Some(mut profile) = tx
        .find_profile(&UserIdentifier::BrazeId(entry.user_id))
        .await?
    else {
        tracing::debug!(entry = %entry.id, "the user was deleted; the entry is left as it is");
        return Ok(0);
    };
    let counts = event_counts(&*journeys.store, entry.user_id, canvas.step_filters(), now).await?;
    let mut steps = 0;
    loop {
        let next = leadwire_core::canvas::advance(
            canvas,
            &entry.state,
            &AdvanceInput {
                profile: &profile,
                history: &counts,
                now,
                actions: &entry.actions,
            },
        );
        let transition = match next {
            NextAction::Move(transition) => transition,
            NextAction::UpdateUser { step, then } => {
                apply_user_update(journeys, tx, canvas, entry, &mut profile, step, now).await?;
                then
            }
            NextAction::SendWebhook { then, .. } if message_finished => {
                message_finished = false;
                then
            }
            NextAction::SendWebhook { template, .. } => {
                send_message(tx, canvas, entry, template, now).await?;
                return Ok(steps);
            }
            NextAction::WaitUntil(at) => {
                enqueue_step(tx, entry, false, at).await?;
                return Ok(steps);
            }
            NextAction::WaitForAction { until } => {
                if !entry.awaiting_action {
                    entry.awaiting_action = true;
                    enqueue_step(tx, entry, false, until).await?;
                }
                return Ok(steps);
            }
            NextAction::Exit(reason) => {
                entry.state.exit(reason, now);
                entry.awaiting_action = false;
                return Ok(steps);
            }
        };
        follow(canvas, entry, transition, now);
        steps += 1;
        if entry.state.has_exited() {
            return Ok(steps);
        }
        if steps >= MAX_STEPS_PER_TASK {
            enqueue_step(tx, entry, false, now).await?;
            return Ok(steps);
        }
    }
}

fn follow(canvas: &Canvas, entry: &mut CanvasEntry, transition: Transition, now: DateTime<Utc>) {
    entry.state.follow(canvas, transition, now);
    entry.actions.clear();
    entry.awaiting_action = false;
}

async fn send_message(
    tx: &mut dyn StoreTransaction,
    canvas: &Canvas,
    entry: &CanvasEntry,
    template: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let step = entry.state.current_step().unwrap_or_default().to_owned();
    let send = SendTask {
        send_id: Uuid::now_v7(),
        tracking_send_id: None,
        user_id: entry.user_id,
        template: template.to_owned(),
        source: MessageSource::Canvas {
            canvas: canvas.name.clone(),
            step,
        },
        created_at: now,
        event_properties: entry.state.event_properties.clone(),
        api_trigger_properties: None,
        canvas_entry_properties: Some(entry.state.entry_properties.clone()),
        follow_up: Some(FollowUp::new(step_task(entry, true))),
        webhook: None,
    };
    enqueue_send(tx, &send, now).await
}
