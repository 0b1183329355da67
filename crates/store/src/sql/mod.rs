//! The SQL backends. Following seafowl's repository pattern, one macro holds the
//! implementation both databases share ([`implement_store!`]); `sqlite.rs` and `postgres.rs`
//! hold what differs: connection setup, pools, migrations, and the row-locking clauses
//! (`FOR UPDATE`, `FOR UPDATE SKIP LOCKED` on PostgreSQL; nothing on SQLite, where write
//! transactions run one at a time on a single writer connection).

pub(crate) mod activity;
pub(crate) mod batch;
pub(crate) mod journeys;
pub mod postgres;
pub(crate) mod postgres_ingest;
pub(crate) mod shared;
pub mod sqlite;
pub(crate) mod sqlite_ingest;

/// Implements [`Store`](crate::Store) for `$store` and [`StoreTransaction`](crate::StoreTransaction)
/// for `$tx` over database `$db`. `$store` provides `reader()`, `begin_write()`, `interest`,
/// and the constants `LOCK_ROWS` / `SKIP_LOCKED`; module `$ingest` the statements of the
/// ingest path that differ by backend (`profiles_by_external_id`, `upsert_profiles`,
/// `insert_jobs`).
macro_rules! implement_store {
    ($store:ident, $tx:ident, $db:ty, $backend:expr, $ingest:ident) => {
        #[async_trait::async_trait]
        impl $crate::repository::Store for $store {
            fn backend(&self) -> $crate::repository::Backend {
                $backend
            }

            async fn begin(
                &self,
            ) -> $crate::error::StoreResult<Box<dyn $crate::repository::StoreTransaction>> {
                let tx = self.begin_write().await?;
                Ok(Box::new($tx {
                    tx,
                    interest: self.trigger_interest(),
                    signals: self.signals.clone(),
                    enqueued: Vec::new(),
                }))
            }

            fn set_trigger_interest(&self, interest: leadwire_core::trigger::TriggerInterest) {
                match self.interest.write() {
                    Ok(mut guard) => *guard = interest,
                    Err(poisoned) => *poisoned.into_inner() = interest,
                }
            }

            fn job_signals(&self) -> std::sync::Arc<$crate::signals::JobSignals> {
                self.signals.clone()
            }

            fn trigger_interest(&self) -> leadwire_core::trigger::TriggerInterest {
                match self.interest.read() {
                    Ok(guard) => guard.clone(),
                    Err(poisoned) => poisoned.into_inner().clone(),
                }
            }

            async fn find_profile(
                &self,
                identifier: &leadwire_core::track::UserIdentifier,
            ) -> $crate::error::StoreResult<Option<leadwire_core::profile::Profile>> {
                let mut connection = self.reader().acquire().await?;
                find_profile(&mut *connection, identifier, "").await
            }

            async fn events(
                &self,
                user_id: uuid::Uuid,
                name: Option<&str>,
                since: Option<chrono::DateTime<chrono::Utc>>,
            ) -> $crate::error::StoreResult<Vec<$crate::model::EventRecord>> {
                use sqlx::Row as _;
                let since = since.map($crate::model::to_micros).unwrap_or(i64::MIN);
                let rows = sqlx::query($crate::sql::shared::EVENTS)
                    .bind(user_id.to_string())
                    .bind(name)
                    .bind(since)
                    .fetch_all(self.reader())
                    .await?;
                rows.iter()
                    .map(|row| {
                        let id: String = row.try_get(0)?;
                        let profile_id: String = row.try_get(1)?;
                        let properties: String = row.try_get(5)?;
                        Ok($crate::model::EventRecord {
                            id: id.parse().unwrap_or_default(),
                            user_id: profile_id.parse().unwrap_or_default(),
                            name: row.try_get(2)?,
                            time: $crate::model::from_micros(row.try_get(3)?),
                            app_id: row.try_get(4)?,
                            properties: serde_json::from_str(&properties).map_err(|source| {
                                $crate::error::StoreError::Corrupt {
                                    what: "event properties",
                                    source,
                                }
                            })?,
                        })
                    })
                    .collect()
            }

            async fn count_events_since(
                &self,
                user_id: uuid::Uuid,
                name: &str,
                since: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<u64> {
                let count: i64 = sqlx::query_scalar($crate::sql::shared::COUNT_EVENTS)
                    .bind(user_id.to_string())
                    .bind(name)
                    .bind($crate::model::to_micros(since))
                    .fetch_one(self.reader())
                    .await?;
                Ok(u64::try_from(count).unwrap_or(0))
            }

            async fn event_summaries(
                &self,
                user_id: uuid::Uuid,
                since: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Vec<$crate::model::ActivitySummary>> {
                summaries(self.reader(), $crate::sql::shared::EVENT_SUMMARIES, user_id, since)
                    .await
            }

            async fn purchase_summaries(
                &self,
                user_id: uuid::Uuid,
                since: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Vec<$crate::model::ActivitySummary>> {
                summaries(self.reader(), $crate::sql::shared::PURCHASE_SUMMARIES, user_id, since)
                    .await
            }

            async fn claim(
                &self,
                queue: &str,
                now: chrono::DateTime<chrono::Utc>,
                lease: std::time::Duration,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::queue::ClaimedJob>> {
                let mut tx = self.begin_write().await?;
                let jobs = claim_in(&mut *tx, queue, now, lease, limit).await?;
                tx.commit().await?;
                Ok(jobs)
            }

            async fn complete(
                &self,
                job: &$crate::queue::ClaimedJob,
            ) -> $crate::error::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query($crate::sql::shared::COMPLETE)
                    .bind(job.id)
                    .bind(job.lease_token.to_string())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                leased(done.rows_affected(), job.id)
            }

            async fn fail(
                &self,
                job: &$crate::queue::ClaimedJob,
                error: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query($crate::sql::shared::FAIL)
                    .bind(job.id)
                    .bind(job.lease_token.to_string())
                    .bind($crate::model::to_micros(now))
                    .bind(error)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                leased(done.rows_affected(), job.id)
            }

            async fn retry_at(
                &self,
                job: &$crate::queue::ClaimedJob,
                at: chrono::DateTime<chrono::Utc>,
                error: &str,
            ) -> $crate::error::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query($crate::sql::shared::RETRY_AT)
                    .bind(job.id)
                    .bind(job.lease_token.to_string())
                    .bind($crate::model::to_micros(at))
                    .bind(error)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                leased(done.rows_affected(), job.id)
            }

            async fn pending_jobs(&self, queue: &str) -> $crate::error::StoreResult<u64> {
                let count: i64 = sqlx::query_scalar($crate::sql::shared::PENDING_JOBS)
                    .bind(queue)
                    .fetch_one(self.reader())
                    .await?;
                Ok(u64::try_from(count).unwrap_or(0))
            }

            async fn oldest_due_job(
                &self,
                queue: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<Option<chrono::DateTime<chrono::Utc>>> {
                let oldest: Option<i64> = sqlx::query_scalar($crate::sql::shared::OLDEST_DUE_JOB)
                    .bind(queue)
                    .bind($crate::model::to_micros(now))
                    .fetch_one(self.reader())
                    .await?;
                Ok(oldest.map($crate::model::from_micros))
            }

            async fn failed_jobs(
                &self,
                queue: &str,
            ) -> $crate::error::StoreResult<Vec<$crate::queue::FailedJob>> {
                use sqlx::Row as _;
                let rows = sqlx::query($crate::sql::shared::FAILED_JOBS)
                    .bind(queue)
                    .fetch_all(self.reader())
                    .await?;
                rows.iter()
                    .map(|row| {
                        let attempts: i32 = row.try_get(2)?;
                        Ok($crate::queue::FailedJob {
                            id: row.try_get(0)?,
                            queue: row.try_get(1)?,
                            attempts: u32::try_from(attempts).unwrap_or(0),
                            last_error: row.try_get(3)?,
                        })
                    })
                    .collect()
            }

            async fn activity(
                &self,
                query: &$crate::activity::ActivityQuery,
            ) -> $crate::error::StoreResult<$crate::activity::ActivityPage> {
                activity_query(self.reader(), query).await
            }

            async fn activity_entry(
                &self,
                id: uuid::Uuid,
            ) -> $crate::error::StoreResult<Option<leadwire_core::activity::ActivityEntry>> {
                activity_get(self.reader(), id).await
            }

            async fn prune_activity(
                &self,
                before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::error::StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                let pruned = activity_prune(&mut *tx, before).await?;
                tx.commit().await?;
                Ok(pruned)
            }

            async fn close(&self) {
                self.close_pools().await;
            }
        }

        fn leased(rows_affected: u64, job_id: i64) -> $crate::error::StoreResult<()> {
            if rows_affected == 0 {
                Err($crate::error::StoreError::LeaseLost { job_id })
            } else {
                Ok(())
            }
        }

        /// Leases up to `limit` ready jobs of `queue` on `connection` (inside the caller's
        /// transaction); a job whose payload cannot be read is failed instead.
        async fn claim_in(
            connection: &mut <$db as sqlx::Database>::Connection,
            queue: &str,
            now: chrono::DateTime<chrono::Utc>,
            lease: std::time::Duration,
            limit: u32,
        ) -> $crate::error::StoreResult<Vec<$crate::queue::ClaimedJob>> {
            use sqlx::Row as _;
            let token = uuid::Uuid::new_v4();
            let lease_until = $crate::sql::shared::lease_end(now, lease);
            let sql = $crate::sql::shared::CLAIM.replace("{lock}", <$store>::SKIP_LOCKED);
            let rows = sqlx::query(&sql)
                .bind(token.to_string())
                .bind($crate::model::to_micros(lease_until))
                .bind(queue)
                .bind($crate::model::to_micros(now))
                .bind(i64::from(limit))
                .fetch_all(&mut *connection)
                .await?;
            let mut jobs = Vec::with_capacity(rows.len());
            for row in rows {
                let id: i64 = row.try_get(0)?;
                let payload: String = row.try_get(2)?;
                let attempts: i32 = row.try_get(3)?;
                match serde_json::from_str(&payload) {
                    Ok(payload) => jobs.push($crate::queue::ClaimedJob {
                        id,
                        queue: row.try_get(1)?,
                        payload,
                        attempts: u32::try_from(attempts).unwrap_or(0),
                        run_at: $crate::model::from_micros(row.try_get(4)?),
                        lease_token: token,
                        lease_until,
                    }),
                    Err(error) => {
                        tracing::error!(job_id = id, %error, "job payload is unreadable; marking it failed");
                        sqlx::query($crate::sql::shared::FAIL_UNREADABLE)
                            .bind(id)
                            .bind($crate::model::to_micros(now))
                            .bind(format!("unreadable payload: {error}"))
                            .execute(&mut *connection)
                            .await?;
                    }
                }
            }
            jobs.sort_by_key(|job| (job.run_at, job.id));
            Ok(jobs)
        }

        async fn summaries(
            pool: &sqlx::Pool<$db>,
            sql: &str,
            user_id: uuid::Uuid,
            since: chrono::DateTime<chrono::Utc>,
        ) -> $crate::error::StoreResult<Vec<$crate::model::ActivitySummary>> {
            use sqlx::Row as _;
            let rows = sqlx::query(sql)
                .bind(user_id.to_string())
                .bind($crate::model::to_micros(since))
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| {
                    let count: i64 = row.try_get(3)?;
                    Ok($crate::model::ActivitySummary {
                        name: row.try_get(0)?,
                        first: $crate::model::from_micros(row.try_get(1)?),
                        last: $crate::model::from_micros(row.try_get(2)?),
                        count: u64::try_from(count).unwrap_or(0),
                    })
                })
                .collect()
        }

        async fn find_profile(
            connection: &mut <$db as sqlx::Database>::Connection,
            identifier: &leadwire_core::track::UserIdentifier,
            lock: &str,
        ) -> $crate::error::StoreResult<Option<leadwire_core::profile::Profile>> {
            use leadwire_core::track::UserIdentifier;
            use $crate::sql::shared;
            let document: Option<String> = match identifier {
                UserIdentifier::ExternalId(id) => {
                    sqlx::query_scalar(&format!("{}{lock}", shared::PROFILE_BY_EXTERNAL_ID))
                        .bind(id)
                        .fetch_optional(&mut *connection)
                        .await?
                }
                UserIdentifier::BrazeId(id) => {
                    sqlx::query_scalar(&format!("{}{lock}", shared::PROFILE_BY_ID))
                        .bind(id.to_string())
                        .fetch_optional(&mut *connection)
                        .await?
                }
                UserIdentifier::Alias(alias) => {
                    sqlx::query_scalar(&format!("{}{lock}", shared::PROFILE_BY_ALIAS))
                        .bind(&alias.alias_label)
                        .bind(&alias.alias_name)
                        .fetch_optional(&mut *connection)
                        .await?
                }
                UserIdentifier::Email(email) => {
                    sqlx::query_scalar(&format!("{}{lock}", shared::PROFILE_BY_EMAIL))
                        .bind(email.to_lowercase())
                        .fetch_optional(&mut *connection)
                        .await?
                }
                UserIdentifier::Phone(phone) => {
                    sqlx::query_scalar(&format!("{}{lock}", shared::PROFILE_BY_PHONE))
                        .bind(phone)
                        .fetch_optional(&mut *connection)
                        .await?
                }
            };
            document.as_deref().map(shared::decode_profile).transpose()
        }

        async fn insert_jobs(
            connection: &mut <$db as sqlx::Database>::Connection,
            rows: &[$crate::sql::shared::TriggerRow],
            now: i64,
        ) -> $crate::error::StoreResult<()> {
            $crate::sql::$ingest::insert_jobs(connection, rows, now).await
        }

        impl $tx {
            /// Remembers that `count` jobs went to `queue`, to wake its workers on commit.
            fn note_enqueued(&mut self, queue: &str, count: usize) {
                if count > 0 && !self.enqueued.iter().any(|known| known == queue) {
                    self.enqueued.push(queue.to_owned());
                }
            }
        }

        #[async_trait::async_trait]
        impl $crate::repository::StoreTransaction for $tx {
            async fn find_profile(
                &mut self,
                identifier: &leadwire_core::track::UserIdentifier,
            ) -> $crate::error::StoreResult<Option<leadwire_core::profile::Profile>> {
                find_profile(&mut *self.tx, identifier, <$store>::LOCK_ROWS).await
            }

            async fn find_profiles_by_external_id(
                &mut self,
                ids: &[&str],
            ) -> $crate::error::StoreResult<Vec<leadwire_core::profile::Profile>> {
                $crate::sql::$ingest::profiles_by_external_id(&mut *self.tx, ids).await
            }

            async fn save_profiles(
                &mut self,
                writes: &[$crate::repository::ProfileWrite<'_>],
            ) -> $crate::error::StoreResult<()> {
                use $crate::sql::shared;
                let rows = shared::profile_rows(writes)?;
                $crate::sql::$ingest::upsert_profiles(&mut *self.tx, &rows).await?;
                for write in writes {
                    for alias in &write.profile.aliases {
                        sqlx::query(shared::INSERT_ALIAS)
                            .bind(&alias.alias_label)
                            .bind(&alias.alias_name)
                            .bind(write.profile.id.to_string())
                            .execute(&mut *self.tx)
                            .await?;
                    }
                }
                let jobs = shared::profile_triggers(writes, &self.interest)?;
                let now = $crate::model::to_micros(chrono::Utc::now());
                self.note_enqueued($crate::sql::shared::TRIGGER_QUEUE_NAME, jobs.len());
                insert_jobs(&mut *self.tx, &jobs, now).await
            }

            async fn add_alias(
                &mut self,
                user_id: uuid::Uuid,
                alias: &leadwire_core::profile::UserAlias,
            ) -> $crate::error::StoreResult<()> {
                use $crate::sql::shared;
                let owner: Option<String> = sqlx::query_scalar(shared::ALIAS_OWNER)
                    .bind(&alias.alias_label)
                    .bind(&alias.alias_name)
                    .fetch_optional(&mut *self.tx)
                    .await?;
                let user = user_id.to_string();
                match owner {
                    Some(owner) if owner == user => return Ok(()),
                    Some(_) => {
                        return Err($crate::error::StoreError::AliasTaken {
                            alias_name: alias.alias_name.clone(),
                            alias_label: alias.alias_label.clone(),
                        })
                    }
                    None => {}
                }
                let Some(mut profile) = find_profile(
                    &mut *self.tx,
                    &leadwire_core::track::UserIdentifier::BrazeId(user_id),
                    <$store>::LOCK_ROWS,
                )
                .await?
                else {
                    return Ok(());
                };
                profile.aliases.push(alias.clone());
                let changes = leadwire_core::attributes::ProfileChanges::default();
                self.save_profiles(&[$crate::repository::ProfileWrite {
                    profile: &profile,
                    changes: &changes,
                }])
                .await
            }

            async fn record_events(
                &mut self,
                events: &[$crate::model::NewEvent],
            ) -> $crate::error::StoreResult<()> {
                use $crate::sql::shared;
                let mut rows = Vec::with_capacity(events.len());
                for event in events {
                    rows.push((
                        uuid::Uuid::now_v7().to_string(),
                        event.user_id.to_string(),
                        event,
                        shared::encode("event properties", &event.properties)?,
                    ));
                }
                for chunk in rows.chunks(shared::ROWS_PER_INSERT) {
                    let mut query = sqlx::QueryBuilder::<$db>::new(shared::INSERT_EVENTS);
                    query.push_values(chunk, |mut values, row| {
                        values
                            .push_bind(row.0.as_str())
                            .push_bind(row.1.as_str())
                            .push_bind(row.2.name.as_str())
                            .push_bind($crate::model::to_micros(row.2.time))
                            .push_bind(row.2.app_id.as_deref())
                            .push_bind(row.3.as_str());
                    });
                    query.build().execute(&mut *self.tx).await?;
                }
                let jobs = shared::event_triggers(events, &self.interest)?;
                let now = $crate::model::to_micros(chrono::Utc::now());
                self.note_enqueued($crate::sql::shared::TRIGGER_QUEUE_NAME, jobs.len());
                insert_jobs(&mut *self.tx, &jobs, now).await
            }

            async fn record_purchases(
                &mut self,
                purchases: &[$crate::model::NewPurchase],
            ) -> $crate::error::StoreResult<()> {
                use $crate::sql::shared;
                let mut rows = Vec::with_capacity(purchases.len());
                for purchase in purchases {
                    rows.push((
                        uuid::Uuid::now_v7().to_string(),
                        purchase.user_id.to_string(),
                        purchase,
                        shared::encode("purchase properties", &purchase.properties)?,
                    ));
                }
                for chunk in rows.chunks(shared::ROWS_PER_INSERT) {
                    let mut query = sqlx::QueryBuilder::<$db>::new(shared::INSERT_PURCHASES);
                    query.push_values(chunk, |mut values, row| {
                        values
                            .push_bind(row.0.as_str())
                            .push_bind(row.1.as_str())
                            .push_bind(row.2.product_id.as_str())
                            .push_bind(row.2.currency.as_str())
                            .push_bind(row.2.price)
                            .push_bind(i64::from(row.2.quantity))
                            .push_bind($crate::model::to_micros(row.2.time))
                            .push_bind(row.2.app_id.as_deref())
                            .push_bind(row.3.as_str());
                    });
                    query.build().execute(&mut *self.tx).await?;
                }
                let jobs = shared::purchase_triggers(purchases, &self.interest)?;
                let now = $crate::model::to_micros(chrono::Utc::now());
                self.note_enqueued($crate::sql::shared::TRIGGER_QUEUE_NAME, jobs.len());
                insert_jobs(&mut *self.tx, &jobs, now).await
            }

            async fn delete_profile(
                &mut self,
                user_id: uuid::Uuid,
            ) -> $crate::error::StoreResult<bool> {
                let id = user_id.to_string();
                let mut deleted = 0;
                for sql in $crate::sql::shared::DELETE_PROFILE {
                    deleted = sqlx::query(sql)
                        .bind(&id)
                        .execute(&mut *self.tx)
                        .await?
                        .rows_affected();
                }
                Ok(deleted > 0)
            }

            async fn enqueue(
                &mut self,
                task: &$crate::queue::NewTask,
            ) -> $crate::error::StoreResult<i64> {
                let payload = $crate::sql::shared::encode(
                    "job payload",
                    &$crate::queue::JobPayload::Task(task.payload.clone()),
                )?;
                let id: i64 = sqlx::query_scalar($crate::sql::shared::INSERT_JOB)
                    .bind(&task.queue)
                    .bind(payload)
                    .bind($crate::model::to_micros(task.run_at))
                    .bind($crate::model::to_micros(chrono::Utc::now()))
                    .fetch_one(&mut *self.tx)
                    .await?;
                self.note_enqueued(&task.queue, 1);
                Ok(id)
            }

            async fn record_activity(
                &mut self,
                entries: &[leadwire_core::activity::ActivityEntry],
            ) -> $crate::error::StoreResult<()> {
                activity_insert(&mut *self.tx, entries).await
            }

            async fn finish_job(
                &mut self,
                job: &$crate::queue::ClaimedJob,
                finish: &$crate::activity::JobFinish,
            ) -> $crate::error::StoreResult<bool> {
                finish_job(&mut *self.tx, job, finish).await
            }

            async fn commit(self: Box<Self>) -> $crate::error::StoreResult<()> {
                let $tx { tx, signals, enqueued, .. } = *self;
                tx.commit().await?;
                for queue in &enqueued {
                    signals.notify(queue);
                }
                Ok(())
            }

            async fn rollback(self: Box<Self>) -> $crate::error::StoreResult<()> {
                Ok(self.tx.rollback().await?)
            }
        }
    };
}

pub(crate) use implement_store;
