//! The README walkthrough's example with its `batch` lines uncommented, served end to end:
//! users tracked through `/users/track` become Leads through sObject Collections calls, a
//! few hundred Leads a call, and each user still has its own success entry and its own Lead
//! id captured on its profile.

mod support;

use std::collections::HashMap;

use leadwire_core::activity::ActivityType;
use leadwire_core::track::UserIdentifier;
use leadwire_store::ActivityQuery;
use serde_json::{Value, json};
use support::example_node::{ExampleNode, eventually};

const USERS: usize = 450;
const USERS_PER_REQUEST: usize = 75;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracked_users_become_leads_through_collections_calls() {
    let walk = ExampleNode::start_edited(|config| {
        assert_eq!(
            config.matches("# batch = {").count(),
            2,
            "Create Lead and Update Lead to MQL"
        );
        config.replace("# batch = {", "batch = {")
    })
    .await;
    for first in (0..USERS).step_by(USERS_PER_REQUEST) {
        let attributes: Vec<Value> = (first..first + USERS_PER_REQUEST)
            .map(|n| {
                json!({
                    "external_id": format!("batched-{n}"),
                    "email": format!("lead{n}@example.com"),
                    "last_name": format!("Lead {n}"),
                    "company": "Batch Inc",
                })
            })
            .collect();
        let (status, body) = walk
            .post("/users/track", json!({ "attributes": attributes }))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let store = walk.node.store().clone();
    let successes = eventually("a success entry per user", || {
        let store = store.clone();
        async move {
            let entries = all_activity(&*store).await;
            let successes: Vec<_> = entries
                .into_iter()
                .filter(|entry| entry.activity_type == ActivityType::Success)
                .collect();
            (successes.len() >= USERS).then_some(successes)
        }
    })
    .await;
    assert_eq!(successes.len(), USERS, "one success per user");

    let emulator = walk.node.emulator().expect("the emulator runs");
    let stats = emulator.stats();
    let calls = stats.endpoint("POST /composite/sobjects");
    assert_eq!(stats.endpoint("POST /sobjects/Lead"), 0, "no single create");
    // ⌈450 / 200⌉ = 3 when every group fills; a group that closes on max_wait adds one.
    // A slow machine closes more groups on max_wait, so the bound is loose: 10 Leads a call
    // on average at the least (unbatched would be 450 calls).
    assert!(
        calls >= 3 && calls as usize <= USERS / 10,
        "{calls} calls: {stats:?}"
    );
    let leads = support::soql(
        &walk.http,
        emulator.into(),
        "SELECT Id, LastName, Email FROM Lead",
    )
    .await;
    assert_eq!(leads.len(), USERS, "each Lead once");
    let by_email: HashMap<&str, &str> = leads
        .iter()
        .map(|lead| {
            (
                lead["Email"].as_str().expect("an email"),
                lead["Id"].as_str().expect("an id"),
            )
        })
        .collect();
    for n in 0..USERS {
        let profile = store
            .find_profile(&UserIdentifier::ExternalId(format!("batched-{n}")))
            .await
            .expect("readable")
            .expect("the profile exists");
        let lead_id = by_email[format!("lead{n}@example.com").as_str()];
        assert_eq!(
            profile.custom.get("salesforce_lead_id"),
            Some(&json!(lead_id)),
            "user {n} has its own Lead's id"
        );
        let entry = successes
            .iter()
            .find(|entry| entry.user_id == profile.id)
            .expect("the user's success entry");
        let sent = entry
            .request
            .as_ref()
            .and_then(|request| request.body.as_deref());
        let sent: Value = serde_json::from_str(sent.expect("its record")).expect("JSON");
        assert_eq!(
            sent["lastName"],
            json!(format!("Lead {n}")),
            "its own record"
        );
        assert!(
            entry
                .request
                .as_ref()
                .is_some_and(|request| request.url.ends_with("/composite/sobjects")),
            "{entry:?}"
        );
    }
    walk.stop().await;
}

async fn all_activity(
    store: &dyn leadwire_store::Store,
) -> Vec<leadwire_core::activity::ActivityEntry> {
    let mut all = Vec::new();
    let mut query = ActivityQuery::default();
    loop {
        let page = store.activity(&query).await.expect("activity");
        all.extend(page.entries);
        match page.next {
            Some(cursor) => query.before = Some(cursor),
            None => return all,
        }
    }
}
