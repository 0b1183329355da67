//! The config registry: when each campaign and canvas was first seen, last changed and
//! found missing from the config.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use leadwire_store::{ConfigItem, ConfigKind, ConfigVersion, Store};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 4, 0, 0)
        .single()
        .expect("a valid time")
}

fn item(kind: ConfigKind, api_id: &str, fingerprint: &str) -> ConfigItem {
    ConfigItem {
        kind,
        api_id: api_id.into(),
        name: format!("{api_id} name"),
        fingerprint: fingerprint.into(),
    }
}

/// The versions of `kind`, by api id.
async fn versions(store: &Arc<dyn Store>, kind: ConfigKind) -> Vec<ConfigVersion> {
    let mut versions = store.config_versions(kind).await.expect("versions");
    versions.sort_by(|a, b| a.api_id.cmp(&b.api_id));
    versions
}

fn version(
    kind: ConfigKind,
    api_id: &str,
    times: (DateTime<Utc>, DateTime<Utc>),
    archived_at: Option<DateTime<Utc>>,
) -> ConfigVersion {
    ConfigVersion {
        kind,
        api_id: api_id.into(),
        name: format!("{api_id} name"),
        created_at: times.0,
        last_edited: times.1,
        archived_at,
    }
}

pub async fn config_items_keep_their_creation_edit_and_archive_times(store: Arc<dyn Store>) {
    use ConfigKind::{Campaign, Canvas};
    let t0 = start();
    let t1 = t0 + TimeDelta::hours(1);
    let t2 = t0 + TimeDelta::hours(2);
    let t3 = t0 + TimeDelta::hours(3);
    assert!(versions(&store, Campaign).await.is_empty());
    let first = [
        item(Campaign, "welcome", "a"),
        item(Campaign, "new_lead", "b"),
        item(Canvas, "welcome", "c"),
    ];
    store.register_config(&first, t0).await.expect("register");
    assert_eq!(
        versions(&store, Campaign).await,
        [
            version(Campaign, "new_lead", (t0, t0), None),
            version(Campaign, "welcome", (t0, t0), None),
        ]
    );
    assert_eq!(
        versions(&store, Canvas).await,
        [version(Canvas, "welcome", (t0, t0), None)],
        "a canvas and a campaign may share an api id"
    );

    // The same config again changes nothing; a changed fingerprint is an edit.
    store.register_config(&first, t1).await.expect("register");
    let edited = [
        item(Campaign, "welcome", "a2"),
        item(Campaign, "new_lead", "b"),
        item(Canvas, "welcome", "c"),
    ];
    store.register_config(&edited, t2).await.expect("register");
    assert_eq!(
        versions(&store, Campaign).await,
        [
            version(Campaign, "new_lead", (t0, t0), None),
            version(Campaign, "welcome", (t0, t2), None),
        ]
    );

    // Missing from the config: archived, with its dates; back again: unarchived.
    store
        .register_config(&edited[..1], t3)
        .await
        .expect("register");
    assert_eq!(
        versions(&store, Campaign).await,
        [
            version(Campaign, "new_lead", (t0, t0), Some(t3)),
            version(Campaign, "welcome", (t0, t2), None),
        ]
    );
    assert_eq!(
        versions(&store, Canvas).await,
        [version(Canvas, "welcome", (t0, t0), Some(t3))]
    );
    let later = t3 + TimeDelta::hours(1);
    store
        .register_config(&edited, later)
        .await
        .expect("register");
    assert_eq!(
        versions(&store, Campaign).await[0],
        version(Campaign, "new_lead", (t0, t0), None)
    );
    let mut renamed = item(Campaign, "new_lead", "b");
    renamed.name = "New lead".into();
    store
        .register_config(&[renamed], later)
        .await
        .expect("register");
    let versions = versions(&store, Campaign).await;
    assert_eq!(versions[0].name, "New lead");
    assert_eq!(versions[0].last_edited, later, "a new name is an edit");
}
