//! SQL for [`crate::batch`]: many rows per statement, shared by both databases;
//! [`implement_batch!`] implements the traits inside each backend's module.

/// Ids bound in one `IN (…)` list.
pub(crate) const IDS_PER_QUERY: usize = 500;

pub(crate) const PROFILES_BY_IDS: &str = "SELECT document FROM profiles WHERE id IN (";
pub(crate) const PROFILES_ORDER: &str = ") ORDER BY id";
pub(crate) const RECEIPTS_OF: &str = "SELECT profile_id, campaign, last_received_at, \
     last_exception_at, pending_send_id, previous_received_at FROM campaign_receipts \
     WHERE profile_id IN (";
pub(crate) const RECEIPTS_ORDER: &str = ") ORDER BY profile_id, campaign";
pub(crate) const UPSERT_RECEIPTS: &str = "INSERT INTO campaign_receipts \
     (profile_id, campaign, last_received_at, last_exception_at, pending_send_id, \
     previous_received_at) ";
pub(crate) const UPSERT_RECEIPTS_CONFLICT: &str = " ON CONFLICT (profile_id, campaign) DO UPDATE SET \
     last_received_at = excluded.last_received_at, last_exception_at = excluded.last_exception_at, \
     pending_send_id = excluded.pending_send_id, \
     previous_received_at = excluded.previous_received_at";
pub(crate) const COMPLETE_JOBS: &str = "DELETE FROM jobs WHERE lease_token = ";
pub(crate) const COMPLETE_JOBS_IDS: &str = " AND id IN (";
pub(crate) const COMPLETE_JOBS_RETURNING: &str = ") RETURNING id";

/// A receipt row with its user and campaign.
pub(crate) type ReceiptRecordRow = (
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

pub(crate) fn decode_receipt_record(row: ReceiptRecordRow) -> Option<crate::batch::ReceiptRecord> {
    let (user, campaign, received, exception, pending, previous) = row;
    Some(crate::batch::ReceiptRecord {
        user_id: user.parse().ok()?,
        campaign,
        receipt: super::journeys::decode_receipt(Some((received, exception, pending, previous))),
    })
}

/// The receipts to write, the later of two for the same user and campaign kept.
pub(crate) fn last_receipts(
    receipts: &[crate::batch::ReceiptRecord],
) -> Vec<&crate::batch::ReceiptRecord> {
    let mut seen = std::collections::HashSet::with_capacity(receipts.len());
    let mut unique: Vec<_> = receipts
        .iter()
        .rev()
        .filter(|record| seen.insert((record.user_id, record.campaign.as_str())))
        .collect();
    unique.reverse();
    unique
}

/// Implements [`BatchReads`](crate::batch::BatchReads) for `$store` and
/// [`BatchWrites`](crate::batch::BatchWrites) for `$tx` over database `$db`, in the
/// backend's module (it reads the same private fields and constants as
/// [`super::implement_store!`]).
macro_rules! implement_batch {
    ($store:ident, $tx:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::batch::BatchReads for $store {
            async fn profiles_by_id(
                &self,
                ids: &[uuid::Uuid],
            ) -> $crate::error::StoreResult<Vec<leadwire_core::profile::Profile>> {
                let mut connection = self.reader().acquire().await?;
                profiles_by_id(&mut *connection, ids, "").await
            }
        }

        async fn profiles_by_id(
            connection: &mut <$db as sqlx::Database>::Connection,
            ids: &[uuid::Uuid],
            lock: &str,
        ) -> $crate::error::StoreResult<Vec<leadwire_core::profile::Profile>> {
            use $crate::sql::batch;
            let mut profiles = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(batch::IDS_PER_QUERY) {
                let mut query = sqlx::QueryBuilder::<$db>::new(batch::PROFILES_BY_IDS);
                let mut separated = query.separated(", ");
                for id in chunk {
                    separated.push_bind(id.to_string());
                }
                query.push(batch::PROFILES_ORDER);
                query.push(lock);
                let documents: Vec<String> = query
                    .build_query_scalar()
                    .fetch_all(&mut *connection)
                    .await?;
                for document in documents {
                    profiles.push($crate::sql::shared::decode_profile(&document)?);
                }
            }
            Ok(profiles)
        }

        #[async_trait::async_trait]
        impl $crate::batch::BatchWrites for $tx {
            async fn find_profiles_by_id(
                &mut self,
                ids: &[uuid::Uuid],
            ) -> $crate::error::StoreResult<Vec<leadwire_core::profile::Profile>> {
                profiles_by_id(&mut *self.tx, ids, <$store>::LOCK_ROWS).await
            }

            async fn campaign_receipts_of(
                &mut self,
                users: &[uuid::Uuid],
            ) -> $crate::error::StoreResult<Vec<$crate::batch::ReceiptRecord>> {
                use $crate::sql::batch;
                let mut records = Vec::new();
                for chunk in users.chunks(batch::IDS_PER_QUERY) {
                    let mut query = sqlx::QueryBuilder::<$db>::new(batch::RECEIPTS_OF);
                    let mut separated = query.separated(", ");
                    for id in chunk {
                        separated.push_bind(id.to_string());
                    }
                    query.push(batch::RECEIPTS_ORDER);
                    query.push(<$store>::LOCK_ROWS);
                    let rows: Vec<batch::ReceiptRecordRow> =
                        query.build_query_as().fetch_all(&mut *self.tx).await?;
                    records.extend(rows.into_iter().filter_map(batch::decode_receipt_record));
                }
                Ok(records)
            }

            async fn save_campaign_receipts(
                &mut self,
                receipts: &[$crate::batch::ReceiptRecord],
            ) -> $crate::error::StoreResult<()> {
                use $crate::model::to_micros;
                use $crate::sql::batch;
                let unique = batch::last_receipts(receipts);
                for chunk in unique.chunks($crate::sql::shared::ROWS_PER_INSERT) {
                    let mut query = sqlx::QueryBuilder::<$db>::new(batch::UPSERT_RECEIPTS);
                    query.push_values(chunk, |mut values, record| {
                        let receipt = &record.receipt;
                        values
                            .push_bind(record.user_id.to_string())
                            .push_bind(record.campaign.as_str())
                            .push_bind(receipt.last_received_at.map(to_micros))
                            .push_bind(receipt.last_exception_at.map(to_micros))
                            .push_bind(receipt.pending_send_id.map(|id| id.to_string()))
                            .push_bind(receipt.previous_received_at.map(to_micros));
                    });
                    query.push(batch::UPSERT_RECEIPTS_CONFLICT);
                    query.build().execute(&mut *self.tx).await?;
                }
                Ok(())
            }

            async fn enqueue_all(
                &mut self,
                tasks: &[$crate::queue::NewTask],
            ) -> $crate::error::StoreResult<()> {
                use $crate::model::to_micros;
                let created = to_micros(chrono::Utc::now());
                let mut rows = Vec::with_capacity(tasks.len());
                for task in tasks {
                    let payload = $crate::sql::shared::encode(
                        "job payload",
                        &$crate::queue::JobPayload::Task(task.payload.clone()),
                    )?;
                    rows.push((task.queue.as_str(), payload, to_micros(task.run_at)));
                    self.note_enqueued(&task.queue, 1);
                }
                for chunk in rows.chunks($crate::sql::shared::ROWS_PER_INSERT) {
                    let mut query =
                        sqlx::QueryBuilder::<$db>::new($crate::sql::shared::INSERT_JOBS);
                    query.push_values(chunk, |mut values, row| {
                        values
                            .push_bind(row.0)
                            .push_bind(row.1.as_str())
                            .push_bind(row.2)
                            .push_bind(created);
                    });
                    query.build().execute(&mut *self.tx).await?;
                }
                Ok(())
            }

            async fn complete_jobs(
                &mut self,
                jobs: &[$crate::batch::LeasedJob],
            ) -> $crate::error::StoreResult<Vec<i64>> {
                use $crate::sql::batch;
                let mut by_token: std::collections::BTreeMap<uuid::Uuid, Vec<i64>> =
                    std::collections::BTreeMap::new();
                for job in jobs {
                    by_token.entry(job.lease_token).or_default().push(job.id);
                }
                let mut lost = Vec::new();
                for (token, ids) in by_token {
                    for chunk in ids.chunks(batch::IDS_PER_QUERY) {
                        let mut query = sqlx::QueryBuilder::<$db>::new(batch::COMPLETE_JOBS);
                        query.push_bind(token.to_string());
                        query.push(batch::COMPLETE_JOBS_IDS);
                        let mut separated = query.separated(", ");
                        for id in chunk {
                            separated.push_bind(*id);
                        }
                        query.push(batch::COMPLETE_JOBS_RETURNING);
                        let done: std::collections::HashSet<i64> = query
                            .build_query_scalar()
                            .fetch_all(&mut *self.tx)
                            .await?
                            .into_iter()
                            .collect();
                        lost.extend(chunk.iter().filter(|id| !done.contains(id)));
                    }
                }
                Ok(lost)
            }

            async fn claim_jobs(
                &mut self,
                queue: &str,
                now: chrono::DateTime<chrono::Utc>,
                lease: std::time::Duration,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::queue::ClaimedJob>> {
                claim_in(&mut *self.tx, queue, now, lease, limit).await
            }
        }
    };
}

pub(crate) use implement_batch;
