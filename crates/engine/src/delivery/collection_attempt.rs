//! The attempt stage of a batched send (see [`super::collection`]): join a group, make the
//! call when it is this send's duty, and take this send's share of the answer as its
//! attempt.

use std::time::Duration;

use chrono::TimeDelta;
use leadwire_core::config::BatchSettings;
use tokio::sync::oneshot;

use super::collection::bisect::Bisection;
use super::collection::records::{CollectionRecord, call_body, collection_record};
use super::collection::{GroupKey, Member};
use super::http::OutboundRequest;
use super::policy::IDEMPOTENCY_HEADER;
use super::stages::{Attempted, Cleared, InFlightKeys};
use super::verdict::Verdict;
use super::worker::DeliveryWorker;

/// How long a send waits to go out again when the call it joined was never made.
const ABANDONED_WAIT: TimeDelta = TimeDelta::seconds(5);

impl DeliveryWorker {
    /// Sends `cleared`, the rendered request of a send of batched template `template`, as one
    /// record of an sObject Collections call; the attempt is that record's share of the call.
    pub(super) async fn attempt_in_collection(
        &self,
        template: &str,
        batch: BatchSettings,
        cleared: Cleared,
    ) -> Result<Box<Attempted>, Verdict> {
        let record = collection_record(&cleared.request).map_err(|why| {
            Verdict::Refused(format!(
                "batched template `{template}`: {why}; this send is not sent"
            ))
        })?;
        let CollectionRecord {
            write,
            call_method,
            call_url,
            record,
            identity,
        } = record;
        let own_body = serde_json::Value::Object(record.clone()).to_string();
        let key = GroupKey {
            template: template.to_owned(),
            method: call_method,
            url: call_url,
            write,
        };
        let (reply, answer) = oneshot::channel();
        let member = Member {
            record,
            identity,
            headers: without_idempotency_key(&cleared.request.headers),
            reply,
        };
        let max_records = usize::try_from(batch.max_records).unwrap_or(1).max(1);
        if let Some(mut duty) = self.collector.join(key, member, max_records) {
            duty.wait(Duration::from_secs(batch.max_wait.seconds()))
                .await;
            let members = duty.seal();
            self.call_collection(&duty.key, members, &cleared).await;
        }
        let Ok(answer) = answer.await else {
            let until = self.clock.now() + ABANDONED_WAIT;
            let reason = "the sObject Collections call this send joined was not made".to_owned();
            return Err(Verdict::Deferred { until, reason });
        };
        let (call, result) = answer.map_err(Verdict::Refused)?;
        Ok(Box::new(Attempted {
            request: OutboundRequest {
                body: Some(own_body),
                ..call
            },
            result,
            connection: cleared.connection,
            sent: true,
            at: self.clock.now(),
        }))
    }

    /// Makes the call for `members` (which `route` belongs with: same host and connection)
    /// and answers each member with its share; a call refused for what one of its records
    /// holds goes out again in halves until the refused records are alone
    /// ([`super::collection::bisect`]).
    async fn call_collection(&self, key: &GroupKey, members: Vec<Member>, route: &Cleared) {
        let Some(newest) = members.last() else {
            return;
        };
        let headers = newest.headers.clone();
        let sent = OutboundRequest {
            method: key.method.clone(),
            url: key.url.clone(),
            headers,
            body: None,
        };
        let mut bisection = Bisection::new(members.iter().map(|member| &member.record), key.write);
        while let Some(records) = bisection.next_call() {
            let carried: Vec<&Member> = records.iter().map(|&record| &members[record]).collect();
            let request = OutboundRequest {
                body: Some(call_body(carried.iter().map(|member| &member.record))),
                ..sent.clone()
            };
            tracing::debug!(template = %key.template, records = carried.len(), url = %key.url, "sObject Collections call");
            self.metrics
                .record_collection_call(&route.connection, carried.len());
            let outcome = self
                .attempt(carrying(route, request))
                .await
                .map(|attempted| attempted.result);
            bisection.answer(records, outcome);
        }
        if bisection.extra_calls() > 0 {
            tracing::info!(
                template = %key.template,
                records = members.len(),
                extra_calls = bisection.extra_calls(),
                limit_reached = bisection.limit_reached(),
                "sObject Collections call refused for its records' content; sent again in parts"
            );
        }
        for (member, result) in members.into_iter().zip(bisection.results()) {
            // A member whose send is gone (its worker stopped) needs no answer.
            let _ = member
                .reply
                .send(result.map(|result| (sent.clone(), result)));
        }
    }
}

/// `request` going out the way `route` does: same host, connection and in-flight caps.
fn carrying(route: &Cleared, request: OutboundRequest) -> Cleared {
    Cleared {
        request,
        host: route.host.clone(),
        connection: route.connection.clone(),
        in_flight: InFlightKeys {
            connection: route.in_flight.connection.clone(),
            host: route.in_flight.host.clone(),
        },
    }
}

fn without_idempotency_key(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case(IDEMPOTENCY_HEADER))
        .cloned()
        .collect()
}
