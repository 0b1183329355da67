//! Response capture never renames: a captured Lead id fills `external_id` only for a
//! profile without one; a profile with an external_id keeps it, the Lead id is kept in the
//! custom attribute the template names, and the activity entry says why.

use leadwire_core::activity::ActivityType;
use leadwire_core::attributes::ProfileChanges;
use leadwire_core::track::UserIdentifier;
use leadwire_engine::delivery::DeliverySettings;
use leadwire_store::ProfileWrite;
use serde_json::Value;
use uuid::Uuid;

use crate::harness::{Harness, SEED_CREATE, start};

/// The seed's Create Lead capturing the Lead id into both places.
fn both_captures() -> String {
    SEED_CREATE.replace(
        r#"capture = [{ field = "id", save_to = "custom_attribute.salesforce_lead_id" }]"#,
        r#"capture = [{ field = "id", save_to = "external_id" }, { field = "id", save_to = "custom_attribute.salesforce_lead_id" }]"#,
    )
}

async fn forget_external_id(harness: &Harness, user: Uuid) {
    let mut profile = harness
        .store
        .find_profile(&UserIdentifier::BrazeId(user))
        .await
        .expect("read")
        .expect("exists");
    profile.external_id = None;
    let mut tx = harness.store.begin().await.expect("begin");
    tx.save_profiles(&[ProfileWrite {
        profile: &profile,
        changes: &ProfileChanges::default(),
    }])
    .await
    .expect("save");
    tx.commit().await.expect("commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captured_lead_id_fills_a_missing_external_id_and_never_replaces_one() {
    let harness = start(&both_captures(), DeliverySettings::default()).await;
    let users = harness.enqueue_sends(2, "Create Lead", false).await;
    let (named, anonymous) = (users[0], users[1]);
    forget_external_id(&harness, anonymous).await;
    harness.deliver_everything().await;

    let profile = |user: Uuid| {
        let store = harness.store.clone();
        async move {
            store
                .find_profile(&UserIdentifier::BrazeId(user))
                .await
                .expect("read")
                .expect("exists")
        }
    };
    let lead_id = |profile: &leadwire_core::profile::Profile| {
        profile
            .custom
            .get("salesforce_lead_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .expect("the Lead id is captured")
    };

    let kept = profile(named).await;
    let kept_lead = lead_id(&kept);
    assert!(kept_lead.starts_with("00Q"), "{kept_lead}");
    assert_eq!(
        kept.external_id,
        Some(format!("lead-{}", named.simple())),
        "an existing external_id is never renamed by a capture"
    );

    let filled = profile(anonymous).await;
    assert_eq!(
        filled.external_id,
        Some(lead_id(&filled)),
        "a profile without an external_id gets the Lead id"
    );

    let activity = harness.activity().await;
    let entry = |user: Uuid| {
        activity
            .iter()
            .find(|entry| entry.user_id == user && entry.activity_type == ActivityType::Success)
            .expect("a success entry")
    };
    let note = &entry(named).message;
    assert!(
        note.contains(&format!(
            "the profile keeps external_id lead-{}; {kept_lead} was not saved as external_id",
            named.simple()
        )) && note.contains("it is kept in custom_attribute.salesforce_lead_id"),
        "{note}"
    );
    assert!(
        !entry(anonymous).message.contains("external_id"),
        "{}",
        entry(anonymous).message
    );
    harness.finish().await;
}
