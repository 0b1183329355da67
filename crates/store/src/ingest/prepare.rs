//! Groups prepared ahead of the write lock (SQLite), so that applying one group overlaps
//! writing the one before: the requests that arrive while a group is written are applied
//! as they come.
//!
//! A group whose objects all name their user by external id can be applied without a
//! transaction: its profiles come from the working set of the group being written (as
//! that group leaves them) or else from a snapshot read on a read connection. Under the
//! write lock, the store's [`write_log`](crate::write_log) tells whether any other
//! transaction has changed those profiles since the read began; if none has, the
//! prepared writes are exactly what applying the group under the lock would make, and
//! they are made. If one has (or the group before was not written as prepared), the group
//! is applied again inside the transaction, as usual.

use chrono::{DateTime, Utc};
use leadwire_core::attributes::AttributeLimits;

use super::session::{EncodedStep, Session};
use super::{Halt, TrackOutcome, TrackRequest, apply_request, external_ids, named_by_external_ids};
use crate::error::StoreResult;
use crate::repository::Store;

/// A group applied in memory, request by request as they arrive, with its writes waiting.
pub(super) struct Plan {
    pub session: Session,
    pub outcomes: Vec<TrackOutcome>,
    /// The write-log position the first snapshot read began at.
    snapshot: Option<u64>,
    /// The log entry of the group written just before, whose working set this plan
    /// started from: its writes are already in this plan's profiles.
    pub carried_from: Option<u64>,
    /// False once a request could not be prepared: the group is then applied under the
    /// write lock.
    usable: bool,
    /// The writes to make, encoded once every request is applied.
    writes: Vec<EncodedStep>,
}

/// How writing a plan went.
pub(super) enum Written {
    /// Committed; the log entry of its profile writes, if it made any.
    Committed(Option<u64>),
    /// Another transaction changed the plan's profiles after they were read; nothing was
    /// written.
    Stale,
}

impl Plan {
    pub fn new() -> Self {
        Self {
            session: Session::default(),
            outcomes: Vec::new(),
            snapshot: None,
            carried_from: None,
            usable: true,
            writes: Vec::new(),
        }
    }

    /// Whether every request added so far was prepared.
    pub fn is_usable(&self) -> bool {
        self.usable && self.snapshot.is_some()
    }

    /// Applies a group's requests without a transaction, starting from `earlier` (the
    /// working set of the group being written) where it knows a user and from one
    /// snapshot read otherwise. A request that needs lookups a working set cannot answer
    /// (or a store that cannot read snapshots) makes the plan unusable.
    pub async fn add_all(
        &mut self,
        store: &dyn Store,
        requests: &[(&TrackRequest, DateTime<Utc>)],
        limits: &AttributeLimits,
        earlier: Option<&Session>,
    ) -> StoreResult<()> {
        if !requests
            .iter()
            .all(|(request, _)| named_by_external_ids(request))
        {
            self.usable = false;
            return Ok(());
        }
        let ids = external_ids(requests.iter().map(|(request, _)| *request));
        let unread = match earlier {
            Some(earlier) => self.session.carry_over(earlier, &ids),
            None => ids,
        };
        let Some((start, profiles)) = store.snapshot_profiles_by_external_id(&unread).await? else {
            self.usable = false;
            return Ok(());
        };
        self.snapshot = Some(start);
        self.session.absorb(&unread, profiles);
        for (request, now) in requests {
            match apply_request(None, &mut self.session, request, limits, *now).await {
                Ok(outcome) => self.outcomes.push(outcome),
                Err(Halt::NeedsLookup) => {
                    self.usable = false;
                    return Ok(());
                }
                Err(Halt::Store(error)) => return Err(error),
            }
        }
        self.writes = self.session.encode(&store.trigger_interest())?;
        Ok(())
    }

    /// Gives up preparing: the group will be applied under the write lock.
    pub fn abandon(&mut self) {
        self.usable = false;
    }
}

/// Makes a usable plan's writes in a transaction of their own, unless its profiles went
/// stale.
pub(super) async fn write(store: &dyn Store, plan: &Plan) -> StoreResult<Written> {
    let Some(snapshot) = plan.snapshot.filter(|_| plan.usable) else {
        return Ok(Written::Stale);
    };
    let mut tx = store.begin().await?;
    let stale =
        store.profiles_changed_since(snapshot, plan.carried_from, &mut plan.session.profile_ids());
    if stale {
        return Ok(Written::Stale);
    }
    for step in &plan.writes {
        step.write(tx.as_mut()).await?;
    }
    Ok(Written::Committed(tx.commit_logged().await?))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use leadwire_core::track::UserIdentifier;
    use serde_json::{Value, json};

    use super::*;
    use crate::ingest::track;
    use crate::sql::sqlite::SqliteStore;

    struct TempStore {
        store: SqliteStore,
        path: PathBuf,
    }

    impl Drop for TempStore {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let mut file = self.path.clone().into_os_string();
                file.push(suffix);
                std::fs::remove_file(file).ok();
            }
        }
    }

    async fn temp_store() -> TempStore {
        let path =
            std::env::temp_dir().join(format!("leadwire-prepare-{}.db", uuid::Uuid::new_v4()));
        let store = SqliteStore::open(&path, 2).await.expect("open SQLite");
        TempStore { store, path }
    }

    fn add_score(user: &str, by: i64) -> TrackRequest {
        TrackRequest {
            attributes: Some(vec![
                json!({"external_id": user, "lead_score": {"inc": by}}),
            ]),
            ..TrackRequest::default()
        }
    }

    async fn track_now(store: &dyn Store, request: &TrackRequest) {
        let outcome = track(store, request, &AttributeLimits::default(), Utc::now())
            .await
            .expect("track");
        assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    }

    async fn plan(store: &dyn Store, request: &TrackRequest, earlier: Option<&Session>) -> Plan {
        let mut plan = Plan::new();
        plan.add_all(
            store,
            &[(request, Utc::now())],
            &AttributeLimits::default(),
            earlier,
        )
        .await
        .expect("prepare");
        assert!(plan.is_usable());
        plan
    }

    async fn score(store: &dyn Store, user: &str) -> Value {
        let profile = store
            .find_profile(&UserIdentifier::ExternalId(user.into()))
            .await
            .expect("read")
            .expect("profile");
        profile.custom["lead_score"].clone()
    }

    #[tokio::test]
    async fn a_plan_whose_profile_another_transaction_changed_writes_nothing() {
        let temp = temp_store().await;
        let store: &dyn Store = &temp.store;
        track_now(store, &add_score("ada", 1)).await;

        let stale = plan(store, &add_score("ada", 1), None).await;
        track_now(store, &add_score("ada", 10)).await;
        assert!(matches!(write(store, &stale).await, Ok(Written::Stale)));
        assert_eq!(
            score(store, "ada").await,
            json!(11),
            "the stale plan wrote nothing"
        );

        let fresh = plan(store, &add_score("ada", 1), None).await;
        track_now(store, &add_score("bob", 5)).await;
        assert!(matches!(
            write(store, &fresh).await,
            Ok(Written::Committed(Some(_)))
        ));
        assert_eq!(
            score(store, "ada").await,
            json!(12),
            "another user's write is no conflict"
        );
    }

    #[tokio::test]
    async fn a_plan_carried_over_from_the_group_before_counts_its_writes_once() {
        let temp = temp_store().await;
        let store: &dyn Store = &temp.store;
        track_now(store, &add_score("ada", 1)).await;

        let first = plan(store, &add_score("ada", 1), None).await;
        let mut second = plan(store, &add_score("ada", 1), Some(&first.session)).await;
        let Ok(Written::Committed(entry)) = write(store, &first).await else {
            panic!("the first plan commits");
        };
        assert!(
            matches!(write(store, &second).await, Ok(Written::Stale)),
            "without knowing the first plan's entry, its writes look like another writer's"
        );
        second.carried_from = entry;
        assert!(matches!(
            write(store, &second).await,
            Ok(Written::Committed(_))
        ));
        assert_eq!(score(store, "ada").await, json!(3));
    }
}
