//! The store conformance suite, run against SQLite always and against PostgreSQL when
//! `LEADWIRE_TEST_DATABASE_URL` is set (each test in a schema of its own).

#[path = "conformance/activity.rs"]
mod activity;
#[path = "conformance/batch.rs"]
mod batch;
#[path = "conformance/bulk_jobs.rs"]
mod bulk_jobs;
#[path = "conformance/bulk_runs.rs"]
mod bulk_runs;
#[path = "conformance/content_blocks.rs"]
mod content_blocks;
#[path = "conformance/group_commit.rs"]
mod group_commit;
#[path = "conformance/harness.rs"]
mod harness;
#[path = "conformance/identity.rs"]
mod identity;
#[path = "conformance/ingest.rs"]
mod ingest;
#[path = "conformance/journeys.rs"]
mod journeys;
#[path = "conformance/profiles.rs"]
mod profiles;
#[path = "conformance/queue.rs"]
mod queue;
#[path = "conformance/registry.rs"]
mod registry;
#[path = "conformance/schedules.rs"]
mod schedules;
#[path = "conformance/segments.rs"]
mod segments;
#[path = "conformance/send_ids.rs"]
mod send_ids;
#[path = "conformance/stats.rs"]
mod stats;
#[path = "conformance/upgrade.rs"]
mod upgrade;

macro_rules! conformance {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let harness = crate::harness::sqlite().await;
                    crate::$module::$name(harness.store.clone()).await;
                    harness.finish().await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(harness) = crate::harness::postgres().await else { return };
                    crate::$module::$name(harness.store.clone()).await;
                    harness.finish().await;
                }
            )*
        }
    };
}

conformance!(
    profiles::profiles_are_found_by_every_identifier,
    profiles::duplicate_emails_follow_brazes_rule,
    profiles::triggers_commit_and_roll_back_with_the_profile,
    profiles::the_interest_filter_limits_triggers,
    profiles::event_history_counts_and_summaries,
    profiles::delete_removes_profile_aliases_and_history,
    profiles::aliases_belong_to_one_user,
    identity::a_merge_folds_the_profile_its_history_and_journeys_into_the_kept_one,
    identity::a_merge_takes_over_a_claimed_job_of_the_merged_user,
    identity::a_renamed_external_id_names_its_user_until_removed,
    identity::aliases_are_renamed_within_their_label,
    identity::every_profile_sharing_an_email_is_found,
    queue::delayed_jobs_wait_for_run_at,
    queue::an_expired_lease_is_claimed_again_and_the_old_lease_is_lost,
    queue::an_extended_lease_holds_past_its_first_end,
    queue::retry_and_fail,
    queue::the_oldest_due_job_is_the_oldest_waiting_one,
    queue::concurrent_claimers_never_get_the_same_job,
    queue::tasks_carry_their_payload,
    queue::a_commit_wakes_the_queues_it_enqueued_into,
    ingest::track_applies_valid_objects_and_reports_rejected_ones,
    ingest::track_writes_triggers_for_changes_only,
    ingest::a_profile_write_is_one_trigger_job_of_its_triggers_in_order,
    ingest::update_existing_only_and_identifier_rules,
    ingest::update_existing_only_on_events_and_purchases,
    ingest::changed_identifiers_are_written_beside_unchanged_ones,
    ingest::events_and_purchases_create_users_and_history,
    group_commit::concurrent_requests_keep_their_own_outcomes_and_triggers,
    group_commit::a_writer_ends_when_its_store_is_closed,
    journeys::canvas_entries_round_trip_and_track_activity,
    journeys::campaign_receipts_and_rate_windows_are_kept,
    journeys::reentry_claims_are_atomic,
    journeys::exited_entries_are_pruned_and_profiles_paged,
    journeys::a_job_completes_with_its_transaction,
    journeys::deleting_a_profile_removes_its_journey_state,
    activity::activity_is_filtered_and_paged_newest_first,
    activity::old_activity_is_pruned,
    activity::test_sends_round_trip_and_count_toward_no_journey,
    activity::jobs_end_in_the_transaction_that_records_them,
    batch::many_rows_are_read_and_written_per_statement,
    batch::completing_many_jobs_reports_the_lost_leases,
    batch::a_buffered_transaction_reads_its_own_writes_and_writes_at_commit,
    batch::a_lost_lease_rolls_the_whole_buffered_batch_back,
    batch::a_claim_inside_a_transaction_counts_only_if_it_commits,
    batch::a_rolled_back_transaction_leaves_nothing_and_releases_its_claims,
    segments::segment_sizes_are_one_row_per_segment_and_day,
    segments::one_export_of_a_segment_runs_at_a_time,
    stats::activity_is_counted_by_bucket_type_and_source,
    stats::canvas_steps_count_arrivals_presence_exits_and_paths,
    stats::entries_at_a_step_are_listed_newest_arrival_first,
    stats::canvas_entries_are_counted_once_on_the_day_they_entered,
    registry::config_items_keep_their_creation_edit_and_archive_times,
    content_blocks::content_blocks_are_created_updated_and_listed,
    content_blocks::content_block_names_are_unique_and_refusals_change_nothing,
    schedules::schedules_round_trip_are_replaced_listed_and_deleted,
    schedules::a_schedule_and_its_job_commit_or_roll_back_together,
    send_ids::send_ids_are_registered_up_to_a_daily_limit,
    send_ids::concurrent_registrations_never_pass_the_limit,
    send_ids::a_tracked_send_is_counted_per_day,
    bulk_jobs::bulk_jobs_round_trip_move_on_and_are_listed_while_unfinished,
    bulk_jobs::a_bulk_job_is_recorded_once_and_only_if_its_transaction_commits,
    bulk_jobs::bulk_jobs_are_tallied_by_template_and_state,
    bulk_runs::bulk_runs_round_trip_move_on_and_are_listed_while_running,
    bulk_runs::a_run_moves_with_the_job_that_advances_it_or_not_at_all,
);

/// Tests that need the harness itself (to plant bad data beside the store, or to open an
/// earlier release's database).
mod with_harness {
    use crate::upgrade::{
        COUNTERS_MIGRATION, ENTRY_DAYS_MIGRATION, HOUR_ROWS_MIGRATION, Stored, bucket_rows,
    };

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn counters_are_backfilled_from_stored_rows_on_sqlite() {
        let stored = Stored::new();
        let harness = crate::harness::sqlite_upgraded(COUNTERS_MIGRATION, &stored.seed()).await;
        crate::upgrade::counters_are_backfilled_from_stored_rows(&harness.store, &stored).await;
        harness.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn counters_are_backfilled_from_stored_rows_on_postgres() {
        let stored = Stored::new();
        let seed = stored.seed();
        let Some(harness) = crate::harness::postgres_upgraded(COUNTERS_MIGRATION, &seed).await
        else {
            return;
        };
        crate::upgrade::counters_are_backfilled_from_stored_rows(&harness.store, &stored).await;
        harness.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn entry_days_are_backfilled_from_stored_entries_on_sqlite() {
        let seed = Stored::new().seed();
        let harness = crate::harness::sqlite_upgraded(ENTRY_DAYS_MIGRATION, &seed).await;
        crate::upgrade::entry_days_are_backfilled_from_stored_entries(&harness.store).await;
        harness.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn entry_days_are_backfilled_from_stored_entries_on_postgres() {
        let seed = Stored::new().seed();
        let Some(harness) = crate::harness::postgres_upgraded(ENTRY_DAYS_MIGRATION, &seed).await
        else {
            return;
        };
        crate::upgrade::entry_days_are_backfilled_from_stored_entries(&harness.store).await;
        harness.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bucket_counts_move_to_hour_rows_on_sqlite() {
        let harness = crate::harness::sqlite_upgraded(HOUR_ROWS_MIGRATION, &bucket_rows()).await;
        crate::upgrade::bucket_counts_move_to_hour_rows(&harness.store).await;
        harness.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bucket_counts_move_to_hour_rows_on_postgres() {
        let seed = bucket_rows();
        let Some(harness) = crate::harness::postgres_upgraded(HOUR_ROWS_MIGRATION, &seed).await
        else {
            return;
        };
        crate::upgrade::bucket_counts_move_to_hour_rows(&harness.store).await;
        harness.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unfinished_jobs_stored_before_runs_get_a_running_run_on_sqlite() {
        use crate::bulk_runs::{RUNS_MIGRATION, jobs_before_runs};
        let (unfinished, finished) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let seed = jobs_before_runs(unfinished, finished);
        let harness = crate::harness::sqlite_upgraded(RUNS_MIGRATION, &seed).await;
        crate::bulk_runs::unfinished_jobs_stored_before_runs_get_a_running_run(
            &harness.store,
            unfinished,
            finished,
        )
        .await;
        harness.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unfinished_jobs_stored_before_runs_get_a_running_run_on_postgres() {
        use crate::bulk_runs::{RUNS_MIGRATION, jobs_before_runs};
        let (unfinished, finished) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let seed = jobs_before_runs(unfinished, finished);
        let Some(harness) = crate::harness::postgres_upgraded(RUNS_MIGRATION, &seed).await else {
            return;
        };
        crate::bulk_runs::unfinished_jobs_stored_before_runs_get_a_running_run(
            &harness.store,
            unfinished,
            finished,
        )
        .await;
        harness.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_request_leaves_the_others_alone_on_sqlite() {
        let harness = crate::harness::sqlite().await;
        crate::group_commit::a_failing_request_leaves_the_others_alone(&harness).await;
        harness.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_request_leaves_the_others_alone_on_postgres() {
        let Some(harness) = crate::harness::postgres().await else {
            return;
        };
        crate::group_commit::a_failing_request_leaves_the_others_alone(&harness).await;
        harness.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stored_rows_read_as_typed_tasks_and_unreadable_ones_fail_on_sqlite() {
        let harness = crate::harness::sqlite().await;
        crate::queue::stored_rows_read_as_typed_tasks_and_unreadable_ones_fail(&harness).await;
        harness.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stored_rows_read_as_typed_tasks_and_unreadable_ones_fail_on_postgres() {
        let Some(harness) = crate::harness::postgres().await else {
            return;
        };
        crate::queue::stored_rows_read_as_typed_tasks_and_unreadable_ones_fail(&harness).await;
        harness.finish().await;
    }
}
