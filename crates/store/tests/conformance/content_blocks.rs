//! Content Blocks: created and updated durably, names unique, every write bumping the
//! revision another node reads, a write that is refused leaving nothing behind.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use leadwire_core::content_block::{ContentBlock, ContentBlockState, ContentType, Origin};
use leadwire_store::{ContentBlockWrite, Store};
use uuid::Uuid;

fn block(name: &str, content: &str) -> ContentBlock {
    let at = Utc
        .with_ymd_and_hms(2026, 12, 7, 5, 0, 0)
        .single()
        .expect("a valid time");
    ContentBlock {
        id: Uuid::new_v4().to_string(),
        name: name.into(),
        content: content.into(),
        description: Some("footer for lead emails".into()),
        content_type: ContentType::Html,
        state: ContentBlockState::Active,
        tags: vec!["sales".into(), "footer".into()],
        created_at: at,
        updated_at: at,
        origin: Origin::Api,
    }
}

pub async fn content_blocks_are_created_updated_and_listed(store: Arc<dyn Store>) {
    assert_eq!(store.content_block_revision().await.expect("revision"), 0);
    assert!(store.content_blocks().await.expect("list").is_empty());

    let footer = block("footer", "Bye {{${first_name}}}");
    let mut header = block("header", "Hello");
    header.created_at += chrono::TimeDelta::seconds(1);
    header.updated_at = header.created_at;
    header.description = None;
    header.content_type = ContentType::Text;
    header.state = ContentBlockState::Draft;
    header.tags = Vec::new();
    for created in [&footer, &header] {
        let outcome = store.create_content_block(created).await.expect("create");
        assert_eq!(outcome, ContentBlockWrite::Written);
    }
    let after_creates = store.content_block_revision().await.expect("revision");
    assert_eq!(after_creates, 2);
    assert_eq!(
        store.content_blocks().await.expect("list"),
        vec![footer.clone(), header.clone()],
        "read back as written, oldest first"
    );

    let mut edited = footer.clone();
    edited.content = "Thanks {{${first_name}}}".into();
    edited.updated_at += chrono::TimeDelta::minutes(5);
    edited.created_at += chrono::TimeDelta::days(9);
    let outcome = store.update_content_block(&edited).await.expect("update");
    assert_eq!(outcome, ContentBlockWrite::Written);
    assert!(store.content_block_revision().await.expect("revision") > after_creates);
    let listed = store.content_blocks().await.expect("list");
    assert_eq!(listed[0].content, edited.content);
    assert_eq!(listed[0].updated_at, edited.updated_at);
    assert_eq!(
        listed[0].created_at, footer.created_at,
        "creation time is kept"
    );
}

pub async fn content_block_names_are_unique_and_refusals_change_nothing(store: Arc<dyn Store>) {
    let footer = block("footer", "a");
    store.create_content_block(&footer).await.expect("create");
    let revision = store.content_block_revision().await.expect("revision");

    let twin = block("footer", "b");
    let outcome = store.create_content_block(&twin).await.expect("create");
    assert_eq!(outcome, ContentBlockWrite::NameTaken);

    let mut other = block("other", "c");
    other.created_at += chrono::TimeDelta::seconds(1);
    store.create_content_block(&other).await.expect("create");
    let mut renamed = other.clone();
    renamed.name = "footer".into();
    let outcome = store.update_content_block(&renamed).await.expect("update");
    assert_eq!(outcome, ContentBlockWrite::NameTaken);

    let unknown = block("ghost", "d");
    let outcome = store.update_content_block(&unknown).await.expect("update");
    assert_eq!(outcome, ContentBlockWrite::NotFound);

    assert_eq!(
        store.content_block_revision().await.expect("revision"),
        revision + 1,
        "only the one create that was written bumped the revision"
    );
    let names: Vec<String> = store
        .content_blocks()
        .await
        .expect("list")
        .into_iter()
        .map(|block| block.name)
        .collect();
    assert_eq!(names, vec!["footer".to_owned(), "other".to_owned()]);
}
