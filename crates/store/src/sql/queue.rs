//! The job queue in SQL, for both databases: claims lease the oldest ready jobs (failing
//! those whose payload cannot be read), and every later change to a job proves its lease
//! with the claim's token, so a job whose lease expired and was claimed again is left to
//! its new holder.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Executor, IntoArguments, Pool, Row as _, Transaction};
use uuid::Uuid;

use super::database::{Column, ParamRef, SqlDatabase};
use super::shared::{ROWS_PER_INSERT, encode};
use super::statement;
use crate::activity::JobFinish;
use crate::batch::LeasedJob;
use crate::error::{StoreError, StoreResult};
use crate::model::{from_micros, to_micros};
use crate::queue::{ClaimedJob, FailedJob, JobPayload, NewTask};
use leadwire_core::queue::Queue;

pub(crate) const INSERT_JOBS: &str = "INSERT INTO jobs (queue, payload, run_at, created_at) ";
const INSERT_JOB: &str = "INSERT INTO jobs (queue, payload, run_at, created_at) \
     VALUES ($1, $2, $3, $4) RETURNING id";
/// Leases the oldest ready jobs; `{lock}` is replaced by [`SqlDatabase::SKIP_LOCKED`].
const CLAIM: &str = "UPDATE jobs SET attempts = attempts + 1, lease_token = $1, \
     lease_until = $2 WHERE id IN (SELECT id FROM jobs WHERE queue = $3 AND failed_at IS NULL \
     AND run_at <= $4 AND (lease_until IS NULL OR lease_until <= $4) ORDER BY run_at, id \
     LIMIT $5{lock}) RETURNING id, payload, attempts, run_at, last_error";
const COMPLETE: &str = "DELETE FROM jobs WHERE id = $1 AND lease_token = $2";
const FAIL: &str = "UPDATE jobs SET failed_at = $3, last_error = $4, \
     lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2";
const RETRY_AT: &str = "UPDATE jobs SET run_at = $3, last_error = $4, \
     lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2";
const FAIL_UNREADABLE: &str =
    "UPDATE jobs SET failed_at = $2, last_error = $3, lease_token = NULL WHERE id = $1";
const PENDING_JOBS: &str = "SELECT COUNT(*) FROM jobs WHERE queue = $1 AND failed_at IS NULL";
const OLDEST_DUE_JOB: &str = "SELECT MIN(run_at) FROM jobs WHERE queue = $1 \
     AND failed_at IS NULL AND run_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)";
const FAILED_JOBS: &str = "SELECT id, attempts, last_error FROM jobs \
     WHERE queue = $1 AND failed_at IS NOT NULL ORDER BY id";

/// Releases a job to run again without counting the claim as an attempt.
const DEFER: &str = "UPDATE jobs SET run_at = $3, last_error = $4, \
     attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
     lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2";
/// Removes jobs of one lease: the token is the first parameter, the ids follow.
const COMPLETE_LEASED: &str = "DELETE FROM jobs WHERE lease_token = ";
/// Moves the end of one lease: the new end and the token are the first parameters, the ids
/// follow.
const EXTEND_LEASED: &str = "UPDATE jobs SET lease_until = ";
const EXTEND_LEASED_TOKEN: &str = " WHERE lease_token = ";
/// The ids of a statement on one lease, and what it answers.
const LEASED_IDS: &str = " AND id IN (";
const LEASED_RETURNING: &str = ") RETURNING id";

/// Job ids bound in one `IN (…)` list.
const IDS_PER_QUERY: usize = 500;

/// The job queue's statements on database `Self`.
pub(crate) trait QueueSql: SqlDatabase {
    /// Leases up to `limit` ready jobs of `queue` (inside the caller's transaction), in
    /// (run_at, id) order; a job whose payload cannot be read is failed instead.
    fn claim(
        connection: &mut Self::Connection,
        queue: Queue,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<ClaimedJob>>> + Send;

    /// Ends a leased job as `finish` says; `false` when the lease was lost (nothing
    /// changed).
    fn finish(
        connection: &mut Self::Connection,
        job: &ClaimedJob,
        finish: &JobFinish,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Removes these claimed jobs, one statement per lease token and [`IDS_PER_QUERY`]
    /// ids; returns the ids of those whose lease was lost, which are left as they are.
    fn complete_all(
        connection: &mut Self::Connection,
        jobs: &[LeasedJob],
    ) -> impl Future<Output = StoreResult<Vec<i64>>> + Send;

    /// Moves the lease end of these claimed jobs to `until`, one statement per lease token
    /// and [`IDS_PER_QUERY`] ids; returns the ids of those whose lease was lost.
    fn extend_all(
        connection: &mut Self::Connection,
        jobs: &[LeasedJob],
        until: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<i64>>> + Send;

    /// Runs `head`, an `IN (` list of ids, then `) RETURNING id`, once per lease token of
    /// `jobs` and [`IDS_PER_QUERY`] ids, binding `first` (when given) and the token before
    /// the ids; returns the ids no row answered for (their lease was lost).
    fn per_lease(
        connection: &mut Self::Connection,
        jobs: &[LeasedJob],
        head: &str,
        first: Option<i64>,
    ) -> impl Future<Output = StoreResult<Vec<i64>>> + Send;

    /// Enqueues `task`; returns its job id.
    fn enqueue(
        connection: &mut Self::Connection,
        task: &NewTask,
    ) -> impl Future<Output = StoreResult<i64>> + Send;

    /// Enqueues `tasks`, [`ROWS_PER_INSERT`] to a statement.
    fn enqueue_all(
        connection: &mut Self::Connection,
        tasks: &[NewTask],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Jobs of `queue` that are not failed.
    fn pending(pool: &Pool<Self>, queue: Queue) -> impl Future<Output = StoreResult<u64>> + Send;

    /// The run time of the oldest job of `queue` due at `now` and not leased.
    fn oldest_due(
        pool: &Pool<Self>,
        queue: Queue,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Option<DateTime<Utc>>>> + Send;

    /// The failed jobs of `queue`, in id order.
    fn failed(
        pool: &Pool<Self>,
        queue: Queue,
    ) -> impl Future<Output = StoreResult<Vec<FailedJob>>> + Send;
}

impl<DB> QueueSql for DB
where
    DB: SqlDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> &'q str: ParamRef<'q, DB>,
    String: Column<DB>,
    i64: Column<DB>,
    i32: Column<DB>,
{
    async fn claim(
        connection: &mut DB::Connection,
        queue: Queue,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedJob>> {
        let token = Uuid::new_v4();
        let lease_until = lease_end(now, lease);
        let sql = CLAIM.replace("{lock}", DB::SKIP_LOCKED);
        let rows = sqlx::query(&sql)
            .bind(token.to_string())
            .bind(to_micros(lease_until))
            .bind(queue.as_str())
            .bind(to_micros(now))
            .bind(i64::from(limit))
            .fetch_all(&mut *connection)
            .await?;
        let mut jobs = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get(0)?;
            let payload: String = row.try_get(1)?;
            let attempts: i32 = row.try_get(2)?;
            match JobPayload::read(queue, &payload) {
                Ok(payload) => jobs.push(ClaimedJob {
                    id,
                    queue,
                    payload,
                    attempts: u32::try_from(attempts).unwrap_or(0),
                    run_at: from_micros(row.try_get(3)?),
                    lease_token: token,
                    lease_until,
                    last_note: row.try_get(4)?,
                }),
                Err(error) => {
                    tracing::error!(job_id = id, %error, "job payload is unreadable; marking it failed");
                    sqlx::query(FAIL_UNREADABLE)
                        .bind(id)
                        .bind(to_micros(now))
                        .bind(format!("unreadable payload: {error}"))
                        .execute(&mut *connection)
                        .await?;
                }
            }
        }
        jobs.sort_by_key(|job| (job.run_at, job.id));
        Ok(jobs)
    }

    async fn finish(
        connection: &mut DB::Connection,
        job: &ClaimedJob,
        finish: &JobFinish,
    ) -> StoreResult<bool> {
        let token = job.lease_token.to_string();
        let (sql, at, note) = match finish {
            JobFinish::Complete => (COMPLETE, None, None),
            JobFinish::RetryAt { at, error } => (RETRY_AT, Some(at), Some(error)),
            JobFinish::Defer { at, reason } => (DEFER, Some(at), Some(reason)),
            JobFinish::Fail { error, now } => (FAIL, Some(now), Some(error)),
        };
        let mut query = sqlx::query(sql).bind(job.id).bind(token);
        if let (Some(at), Some(note)) = (at, note) {
            query = query.bind(to_micros(*at)).bind(note.as_str());
        }
        let done = query.execute(&mut *connection).await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    async fn complete_all(
        connection: &mut DB::Connection,
        jobs: &[LeasedJob],
    ) -> StoreResult<Vec<i64>> {
        let head = statement::list::<DB>(COMPLETE_LEASED, 1, 1, LEASED_IDS);
        DB::per_lease(connection, jobs, &head, None).await
    }

    async fn extend_all(
        connection: &mut DB::Connection,
        jobs: &[LeasedJob],
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<i64>> {
        let head = statement::list::<DB>(EXTEND_LEASED, 1, 1, EXTEND_LEASED_TOKEN);
        let head = statement::list::<DB>(&head, 2, 1, LEASED_IDS);
        DB::per_lease(connection, jobs, &head, Some(to_micros(until))).await
    }

    async fn per_lease(
        connection: &mut DB::Connection,
        jobs: &[LeasedJob],
        head: &str,
        first: Option<i64>,
    ) -> StoreResult<Vec<i64>> {
        let mut lost = Vec::new();
        let first_id = if first.is_some() { 3 } else { 2 };
        for (token, ids) in ids_by_lease(jobs) {
            let token = token.to_string();
            for chunk in ids.chunks(IDS_PER_QUERY) {
                let sql = statement::list::<DB>(head, first_id, chunk.len(), LEASED_RETURNING);
                let mut query = sqlx::query_scalar(&sql);
                if let Some(first) = first {
                    query = query.bind(first);
                }
                query = query.bind(token.as_str());
                for id in chunk {
                    query = query.bind(*id);
                }
                let done: HashSet<i64> = query
                    .fetch_all(&mut *connection)
                    .await?
                    .into_iter()
                    .collect();
                lost.extend(chunk.iter().filter(|id| !done.contains(id)));
            }
        }
        Ok(lost)
    }

    async fn enqueue(connection: &mut DB::Connection, task: &NewTask) -> StoreResult<i64> {
        let id: i64 = sqlx::query_scalar(INSERT_JOB)
            .bind(task.queue().as_str())
            .bind(task_payload(task)?)
            .bind(to_micros(task.run_at))
            .bind(to_micros(Utc::now()))
            .fetch_one(&mut *connection)
            .await?;
        Ok(id)
    }

    async fn enqueue_all(connection: &mut DB::Connection, tasks: &[NewTask]) -> StoreResult<()> {
        let created = to_micros(Utc::now());
        let mut rows = Vec::with_capacity(tasks.len());
        for task in tasks {
            rows.push((
                task.queue().as_str(),
                task_payload(task)?,
                to_micros(task.run_at),
            ));
        }
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let sql = statement::values::<DB>(INSERT_JOBS, chunk.len(), 4);
            let mut query = sqlx::query(&sql);
            for (queue, payload, run_at) in chunk {
                query = query
                    .bind(*queue)
                    .bind(payload.as_str())
                    .bind(*run_at)
                    .bind(created);
            }
            query.execute(&mut *connection).await?;
        }
        Ok(())
    }

    async fn pending(pool: &Pool<DB>, queue: Queue) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar(PENDING_JOBS)
            .bind(queue.as_str())
            .fetch_one(pool)
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn oldest_due(
        pool: &Pool<DB>,
        queue: Queue,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        let oldest: Option<i64> = sqlx::query_scalar(OLDEST_DUE_JOB)
            .bind(queue.as_str())
            .bind(to_micros(now))
            .fetch_one(pool)
            .await?;
        Ok(oldest.map(from_micros))
    }

    async fn failed(pool: &Pool<DB>, queue: Queue) -> StoreResult<Vec<FailedJob>> {
        let rows = sqlx::query(FAILED_JOBS)
            .bind(queue.as_str())
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(|row| {
                let attempts: i32 = row.try_get(1)?;
                Ok(FailedJob {
                    id: row.try_get(0)?,
                    queue,
                    attempts: u32::try_from(attempts).unwrap_or(0),
                    last_error: row.try_get(2)?,
                })
            })
            .collect()
    }
}

/// Ends a leased job as `finish` says in `tx`, commits, and reports a lost lease as
/// [`StoreError::LeaseLost`].
pub(crate) async fn finish_and_commit<DB: QueueSql>(
    mut tx: Transaction<'_, DB>,
    job: &ClaimedJob,
    finish: &JobFinish,
) -> StoreResult<()> {
    let kept = DB::finish(&mut tx, job, finish).await?;
    tx.commit().await?;
    lease_kept(kept, job.id)
}

/// `Ok` when a change to job `job_id` kept its lease, else [`StoreError::LeaseLost`].
pub(crate) fn lease_kept(kept: bool, job_id: i64) -> StoreResult<()> {
    if kept {
        Ok(())
    } else {
        Err(StoreError::LeaseLost { job_id })
    }
}

/// When a lease taken at `now` for `lease` ends (the latest time when that overflows).
fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    now.checked_add_signed(lease)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The ids of `jobs` grouped by lease token, in token order.
fn ids_by_lease(jobs: &[LeasedJob]) -> BTreeMap<Uuid, Vec<i64>> {
    let mut by_token: BTreeMap<Uuid, Vec<i64>> = BTreeMap::new();
    for job in jobs {
        by_token.entry(job.lease_token).or_default().push(job.id);
    }
    by_token
}

/// A task's stored payload: `{"type": "task", "body": <the task's JSON>}`.
fn task_payload(task: &NewTask) -> StoreResult<String> {
    encode("job payload", &JobPayload::Task(task.task.clone()))
}
