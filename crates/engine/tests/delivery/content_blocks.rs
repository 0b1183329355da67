//! Content Blocks in delivery: a send renders the blocks as they are at send time, so a
//! block updated through the store changes the next send; a block that does not exist
//! fails the send with an activity-log error naming it, and nothing is sent.

use chrono::{TimeDelta, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType};
use leadwire_core::content_block::{ContentBlock, ContentBlockState, ContentType, Origin};
use leadwire_store::ContentBlockWrite;
use serde_json::Value;
use uuid::Uuid;

use crate::harness::{Harness, start};

/// The upsert, its `Company` from an API block that includes a config block.
const WITH_BLOCKS: &str = r#"
[[content_blocks]]
name = "suffix"
content = "{{custom_attribute.${company}}}"

[[webhook_templates]]
name = "Upsert With Blocks"
connection = "emulator"
url = "{{connections.emulator.instance_url}}/services/data/v60.0/sobjects/Lead/Leadwire_Id__c/{{${user_id}}}"
method = "PATCH"
[webhook_templates.headers]
Authorization = "Bearer {{connections.emulator.access_token}}"
[webhook_templates.body.json]
LastName = "{{${last_name}}}"
Company = "{{content_blocks.${company_line}}}"
"#;

fn stored(content: &str) -> ContentBlock {
    let now = Utc::now();
    ContentBlock {
        id: Uuid::new_v4().to_string(),
        name: "company_line".into(),
        content: content.into(),
        description: None,
        content_type: ContentType::Text,
        state: ContentBlockState::Active,
        tags: Vec::new(),
        created_at: now,
        updated_at: now,
        origin: Origin::Api,
    }
}

/// The `Company` each successful send carried, oldest first.
async fn companies(harness: &Harness) -> Vec<String> {
    let mut entries: Vec<ActivityEntry> = harness
        .activity()
        .await
        .into_iter()
        .filter(|entry| entry.activity_type == ActivityType::Success)
        .collect();
    entries.sort_by_key(|entry| entry.time);
    entries
        .iter()
        .map(|entry| {
            let body = entry
                .request
                .as_ref()
                .and_then(|request| request.body.as_deref())
                .expect("a recorded body");
            let body: Value = serde_json::from_str(body).expect("a JSON body");
            body["Company"].as_str().expect("a Company").to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_update_changes_the_next_send_and_a_missing_block_fails_it() {
    let harness = start(WITH_BLOCKS, crate::harness::one_minute_retries()).await;

    // No block yet: the send fails with an error naming it, and nothing goes out.
    harness.enqueue_sends(1, "Upsert With Blocks", false).await;
    harness.deliver_everything().await;
    let entries = harness.activity().await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_ne!(entries[0].activity_type, ActivityType::Success);
    assert!(
        entries[0]
            .message
            .contains("Content Block `company_line` does not exist"),
        "{}",
        entries[0].message
    );
    assert!(entries[0].request.is_none(), "nothing was sent");

    let mut block = stored("Acme / {{content_blocks.${suffix}}}");
    let written = harness.store.create_content_block(&block).await;
    assert_eq!(written.expect("create"), ContentBlockWrite::Written);
    harness.enqueue_sends(1, "Upsert With Blocks", false).await;
    harness.deliver_everything().await;
    assert_eq!(companies(&harness).await, vec!["Acme / Analytical Engines"]);

    block.content = "Globex".into();
    block.updated_at = Utc::now();
    let written = harness.store.update_content_block(&block).await;
    assert_eq!(written.expect("update"), ContentBlockWrite::Written);
    harness.clock.advance(TimeDelta::minutes(1));
    harness.enqueue_sends(1, "Upsert With Blocks", false).await;
    harness.deliver_everything().await;
    assert_eq!(
        companies(&harness).await,
        vec!["Acme / Analytical Engines", "Globex"],
        "the send after the update rendered the new content"
    );
    harness.finish().await;
}
