//! The activity log and in-transaction job endings in SQL, for both databases.
//! [`implement_activity!`] expands, inside a backend's module, to the free functions that
//! `implement_store!` calls: `activity_insert`, `activity_query`, `activity_get`,
//! `activity_prune` and `finish_job`.

use leadwire_core::activity::{ActivityEntry, MessageSource};

use crate::error::{StoreError, StoreResult};

pub(crate) const INSERT_ACTIVITY: &str = "INSERT INTO activity_log \
     (id, time, activity_type, campaign, canvas, step, user_id, external_id, status, send_id, entry) ";
pub(crate) const INSERT_ACTIVITY_CONFLICT: &str = " ON CONFLICT (id) DO NOTHING";
pub(crate) const SELECT_ACTIVITY: &str = "SELECT entry FROM activity_log WHERE 1 = 1";
pub(crate) const ACTIVITY_BY_ID: &str = "SELECT entry FROM activity_log WHERE id = $1";
pub(crate) const PRUNE_ACTIVITY: &str = "DELETE FROM activity_log WHERE time < $1";
pub(crate) const DEFER_JOB: &str = "UPDATE jobs SET run_at = $3, last_error = $4, \
     attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
     lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2";

/// The filter columns of one entry.
pub(crate) struct ActivityRow {
    pub id: String,
    pub time: i64,
    pub activity_type: &'static str,
    pub campaign: Option<String>,
    pub canvas: Option<String>,
    pub step: Option<String>,
    pub user_id: String,
    pub external_id: Option<String>,
    pub status: Option<i32>,
    pub send_id: String,
    pub entry: String,
}

impl ActivityRow {
    pub(crate) fn new(entry: &ActivityEntry) -> StoreResult<Self> {
        let (campaign, canvas, step) = match &entry.source {
            MessageSource::Campaign { campaign } => (Some(campaign.clone()), None, None),
            MessageSource::Canvas { canvas, step } => {
                (None, Some(canvas.clone()), Some(step.clone()))
            }
            MessageSource::Manual => (None, None, None),
        };
        Ok(Self {
            id: entry.id.to_string(),
            time: entry.time.timestamp_micros(),
            activity_type: entry.activity_type.as_str(),
            campaign,
            canvas,
            step,
            user_id: entry.user_id.to_string(),
            external_id: entry.external_id.clone(),
            status: entry.status.map(i32::from),
            send_id: entry.send_id.to_string(),
            entry: super::shared::encode("activity entry", entry)?,
        })
    }
}

pub(crate) fn decode_entry(text: &str) -> StoreResult<ActivityEntry> {
    serde_json::from_str(text).map_err(|source| StoreError::Corrupt {
        what: "activity entry",
        source,
    })
}

macro_rules! implement_activity {
    ($db:ty) => {
        async fn activity_insert(
            connection: &mut <$db as sqlx::Database>::Connection,
            entries: &[leadwire_core::activity::ActivityEntry],
        ) -> $crate::error::StoreResult<()> {
            use $crate::sql::activity::{ActivityRow, INSERT_ACTIVITY, INSERT_ACTIVITY_CONFLICT};
            let rows = entries
                .iter()
                .map(ActivityRow::new)
                .collect::<$crate::error::StoreResult<Vec<_>>>()?;
            for chunk in rows.chunks(500) {
                let mut query = sqlx::QueryBuilder::<$db>::new(INSERT_ACTIVITY);
                query.push_values(chunk, |mut values, row| {
                    values
                        .push_bind(row.id.as_str())
                        .push_bind(row.time)
                        .push_bind(row.activity_type)
                        .push_bind(row.campaign.as_deref())
                        .push_bind(row.canvas.as_deref())
                        .push_bind(row.step.as_deref())
                        .push_bind(row.user_id.as_str())
                        .push_bind(row.external_id.as_deref())
                        .push_bind(row.status)
                        .push_bind(row.send_id.as_str())
                        .push_bind(row.entry.as_str());
                });
                query.push(INSERT_ACTIVITY_CONFLICT);
                query.build().execute(&mut *connection).await?;
            }
            Ok(())
        }

        async fn activity_query(
            pool: &sqlx::Pool<$db>,
            filter: &$crate::activity::ActivityQuery,
        ) -> $crate::error::StoreResult<$crate::activity::ActivityPage> {
            let mut query = sqlx::QueryBuilder::<$db>::new($crate::sql::activity::SELECT_ACTIVITY);
            if let Some(kind) = filter.activity_type {
                query.push(" AND activity_type = ").push_bind(kind.as_str());
            }
            for (column, value) in [
                ("campaign", &filter.campaign),
                ("canvas", &filter.canvas),
                ("step", &filter.step),
            ] {
                if let Some(value) = value {
                    query
                        .push(format!(" AND {column} = "))
                        .push_bind(value.clone());
                }
            }
            if let Some(user) = &filter.user {
                query
                    .push(" AND (user_id = ")
                    .push_bind(user.clone())
                    .push(" OR external_id = ")
                    .push_bind(user.clone())
                    .push(")");
            }
            if let Some(status) = filter.status {
                query.push(" AND status = ").push_bind(i32::from(status));
            }
            if let Some(since) = filter.since {
                query
                    .push(" AND time >= ")
                    .push_bind(since.timestamp_micros());
            }
            if let Some(send_id) = filter.send_id {
                query.push(" AND send_id = ").push_bind(send_id.to_string());
            }
            if let Some(before) = filter.before {
                query
                    .push(" AND (time < ")
                    .push_bind(before.time_micros)
                    .push(" OR (time = ")
                    .push_bind(before.time_micros)
                    .push(" AND id < ")
                    .push_bind(before.id.to_string())
                    .push("))");
            }
            if let Some(after) = filter.after {
                query
                    .push(" AND (time > ")
                    .push_bind(after.time_micros)
                    .push(" OR (time = ")
                    .push_bind(after.time_micros)
                    .push(" AND id > ")
                    .push_bind(after.id.to_string())
                    .push("))");
            }
            let order = if filter.after.is_some() {
                "ASC"
            } else {
                "DESC"
            };
            let limit = filter.page_size();
            query
                .push(format!(" ORDER BY time {order}, id {order} LIMIT "))
                .push_bind(i64::from(limit));
            let documents: Vec<String> = query.build_query_scalar().fetch_all(pool).await?;
            let entries = documents
                .iter()
                .map(|document| $crate::sql::activity::decode_entry(document))
                .collect::<$crate::error::StoreResult<Vec<_>>>()?;
            let next = (entries.len() == limit as usize)
                .then(|| entries.last().map($crate::activity::ActivityCursor::of))
                .flatten();
            Ok($crate::activity::ActivityPage { entries, next })
        }

        async fn activity_get(
            pool: &sqlx::Pool<$db>,
            id: uuid::Uuid,
        ) -> $crate::error::StoreResult<Option<leadwire_core::activity::ActivityEntry>> {
            let document: Option<String> =
                sqlx::query_scalar($crate::sql::activity::ACTIVITY_BY_ID)
                    .bind(id.to_string())
                    .fetch_optional(pool)
                    .await?;
            document
                .as_deref()
                .map($crate::sql::activity::decode_entry)
                .transpose()
        }

        async fn activity_prune(
            connection: &mut <$db as sqlx::Database>::Connection,
            before: chrono::DateTime<chrono::Utc>,
        ) -> $crate::error::StoreResult<u64> {
            let done = sqlx::query($crate::sql::activity::PRUNE_ACTIVITY)
                .bind(before.timestamp_micros())
                .execute(&mut *connection)
                .await?;
            Ok(done.rows_affected())
        }

        async fn finish_job(
            connection: &mut <$db as sqlx::Database>::Connection,
            job: &$crate::queue::ClaimedJob,
            finish: &$crate::activity::JobFinish,
        ) -> $crate::error::StoreResult<bool> {
            use $crate::activity::JobFinish;
            use $crate::sql::shared;
            let token = job.lease_token.to_string();
            let query = match finish {
                JobFinish::Complete => sqlx::query(shared::COMPLETE).bind(job.id).bind(token),
                JobFinish::RetryAt { at, error } => sqlx::query(shared::RETRY_AT)
                    .bind(job.id)
                    .bind(token)
                    .bind(at.timestamp_micros())
                    .bind(error.clone()),
                JobFinish::Defer { at, reason } => sqlx::query($crate::sql::activity::DEFER_JOB)
                    .bind(job.id)
                    .bind(token)
                    .bind(at.timestamp_micros())
                    .bind(reason.clone()),
                JobFinish::Fail { error, now } => sqlx::query(shared::FAIL)
                    .bind(job.id)
                    .bind(token)
                    .bind(now.timestamp_micros())
                    .bind(error.clone()),
            };
            let done = query.execute(&mut *connection).await?;
            Ok(done.rows_affected() > 0)
        }
    };
}

pub(crate) use implement_activity;
