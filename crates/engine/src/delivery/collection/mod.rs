//! Batched delivery: the sends of a template with `batch` share sObject Collections calls.
//!
//! Each send renders and passes the policies on its own, as any send does, then joins the
//! open group of its template and call ([`Collector`]). The send that opened the group
//! waits until `max_records` sends have joined or `max_wait` has passed, makes the one call
//! for all of them (`delivery::collection_attempt`), and hands each send its own result
//! ([`split`]; a call refused whole for one record's content goes out again in halves until
//! that record is alone, [`bisect`]), which the verdict and record stages then treat as that
//! send's attempt: its own activity entry, response capture, retry or failure. No task is spawned: the call runs inside the send
//! that opened the group, and every send of the group waits inside its own claimed batch,
//! whose leases are renewed while it waits, so a crash leaves every send leased and sent
//! again, never lost.
//!
//! Groups are shared by the worker's lanes, so sends claimed by different lanes fill one
//! call. A record whose id or external id is already in the open group opens another group
//! (Salesforce refuses an upsert call that repeats a value).

pub mod bisect;
pub mod records;
pub mod split;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};
use tokio::sync::{Notify, oneshot};

use self::records::Write;
use super::http::{AttemptResult, OutboundRequest};

/// What one call is shared by: the template, and the call's method and URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupKey {
    pub template: String,
    pub method: reqwest::Method,
    pub url: String,
    pub write: Write,
}

/// A send's record waiting in a group, and where its result goes.
#[derive(Debug)]
pub struct Member {
    pub record: Map<String, Value>,
    pub identity: Option<String>,
    /// The send's rendered headers; the call goes out with those of its newest member (the
    /// freshest token).
    pub headers: Vec<(String, String)>,
    pub reply: oneshot::Sender<RecordAnswer>,
}

/// A record's share of a call: the call as sent (without its body) and the record's result,
/// or why the call was not made.
pub type RecordAnswer = Result<(OutboundRequest, AttemptResult), String>;

struct OpenGroup {
    id: u64,
    members: Vec<Member>,
    full: Arc<Notify>,
}

/// The duty of the send that opened a group: wait, then seal the group and make the call.
/// Dropped unsealed (the send was cancelled), it seals the group and drops its members, whose
/// sends then wait and go out again.
pub struct Duty {
    pub key: GroupKey,
    collector: Arc<Collector>,
    id: u64,
    full: Arc<Notify>,
    sealed: bool,
}

impl Duty {
    /// Waits until the group is full or `max_wait` has passed.
    pub async fn wait(&self, max_wait: std::time::Duration) {
        tokio::select! {
            () = tokio::time::sleep(max_wait) => {}
            () = self.full.notified() => {}
        }
    }

    /// Closes the group and returns its members; nothing joins it after this.
    pub fn seal(&mut self) -> Vec<Member> {
        if std::mem::replace(&mut self.sealed, true) {
            return Vec::new();
        }
        self.collector.remove(&self.key, self.id)
    }
}

impl Drop for Duty {
    fn drop(&mut self) {
        drop(self.seal());
    }
}

/// The open groups of every batched template, shared by the worker's lanes.
#[derive(Default)]
pub struct Collector {
    open: Mutex<HashMap<GroupKey, Vec<OpenGroup>>>,
    next_id: AtomicU64,
}

impl Collector {
    /// Adds `member` to an open group of `key` with room for it, or opens a group for it;
    /// a send that opens a group gets its [`Duty`].
    pub fn join(
        self: &Arc<Self>,
        key: GroupKey,
        member: Member,
        max_records: usize,
    ) -> Option<Duty> {
        let mut open = self.lock();
        let groups = open.entry(key.clone()).or_default();
        let room = groups.iter_mut().find(|group| {
            group.members.len() < max_records
                && (member.identity.is_none()
                    || !group
                        .members
                        .iter()
                        .any(|other| other.identity == member.identity))
        });
        if let Some(group) = room {
            group.members.push(member);
            if group.members.len() >= max_records {
                group.full.notify_one();
            }
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let full = Arc::new(Notify::new());
        if max_records <= 1 {
            full.notify_one();
        }
        groups.push(OpenGroup {
            id,
            members: vec![member],
            full: full.clone(),
        });
        Some(Duty {
            key,
            collector: self.clone(),
            id,
            full,
            sealed: false,
        })
    }

    /// Takes group `id` of `key` out of the open groups; returns its members.
    fn remove(&self, key: &GroupKey, id: u64) -> Vec<Member> {
        let mut open = self.lock();
        let Some(groups) = open.get_mut(key) else {
            return Vec::new();
        };
        let members = match groups.iter().position(|group| group.id == id) {
            Some(index) => groups.remove(index).members,
            None => Vec::new(),
        };
        if groups.is_empty() {
            open.remove(key);
        }
        members
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<GroupKey, Vec<OpenGroup>>> {
        // Plain values; a panic elsewhere cannot leave them inconsistent.
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn key() -> GroupKey {
        GroupKey {
            template: "Upsert Lead".into(),
            method: reqwest::Method::PATCH,
            url: "https://x/services/data/v60.0/composite/sobjects/Lead/F__c".into(),
            write: Write::Upsert,
        }
    }

    fn member(identity: &str) -> (Member, oneshot::Receiver<RecordAnswer>) {
        let (reply, answer) = oneshot::channel();
        let member = Member {
            record: Map::new(),
            identity: Some(identity.into()),
            headers: Vec::new(),
            reply,
        };
        (member, answer)
    }

    #[tokio::test]
    async fn a_group_fills_to_its_limit_then_another_opens() {
        let collector = Arc::new(Collector::default());
        let mut first = collector
            .join(key(), member("a").0, 2)
            .expect("the first send opens the group");
        assert!(collector.join(key(), member("b").0, 2).is_none());
        // Full: the opener need not wait out max_wait.
        first.wait(Duration::from_secs(3600)).await;
        let mut second = collector
            .join(key(), member("c").0, 2)
            .expect("a new group");
        let members = first.seal();
        let identities: Vec<_> = members.iter().map(|m| m.identity.clone()).collect();
        assert_eq!(identities, [Some("a".into()), Some("b".into())]);
        assert!(first.seal().is_empty(), "sealed once");
        assert_eq!(second.seal().len(), 1);
    }

    #[tokio::test]
    async fn a_dropped_duty_releases_the_sends_waiting_on_it() {
        let collector = Arc::new(Collector::default());
        let duty = collector.join(key(), member("a").0, 5).expect("opens");
        let (waiting, answer) = member("b");
        assert!(collector.join(key(), waiting, 5).is_none());
        drop(duty);
        assert!(
            answer.await.is_err(),
            "the waiting send hears the call will not be made"
        );
        assert!(
            collector.join(key(), member("c").0, 5).is_some(),
            "a new group opens"
        );
    }

    #[tokio::test]
    async fn a_repeated_identity_opens_another_group() {
        let collector = Arc::new(Collector::default());
        let mut first = collector.join(key(), member("a").0, 10).expect("opens");
        let repeat = collector.join(key(), member("a").0, 10);
        assert!(repeat.is_some(), "the same external id never shares a call");
        assert!(collector.join(key(), member("b").0, 10).is_none());
        assert_eq!(first.seal().len(), 2);
    }
}
