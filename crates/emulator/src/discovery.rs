//! Discovery resources: the version list, the per-version resource map, and `/limits`.

use serde_json::{Map, Value, json};

use super::config::{ORG_ID, USER_ID};

/// The oldest supported API version; older ones answer 410.
pub const OLDEST_VERSION: u32 = 31;
/// The newest API version the emulator serves (Winter '27).
pub const NEWEST_VERSION: u32 = 68;

/// The release label of an API version, e.g. `Spring '24` for 60.
pub fn release_label(major: u32) -> String {
    let offset = i64::from(major) - 59;
    let year = 24 + offset.div_euclid(3);
    let season = ["Winter", "Spring", "Summer"][offset.rem_euclid(3) as usize];
    // A real quirk: v42.0's label uses a typographic apostrophe.
    let apostrophe = if major == 42 { '\u{2019}' } else { '\'' };
    format!("{season} {apostrophe}{year:02}")
}

/// `GET /services/data/`: every supported version, oldest first.
pub fn versions() -> Value {
    Value::Array(
        (OLDEST_VERSION..=NEWEST_VERSION)
            .map(|major| {
                json!({
                    "label": release_label(major),
                    "url": format!("/services/data/v{major}.0"),
                    "version": format!("{major}.0")
                })
            })
            .collect(),
    )
}

/// The identity URL of the integration user.
pub fn identity_url(instance_url: &str) -> String {
    format!("{instance_url}/id/{ORG_ID}/{USER_ID}")
}

/// `GET /services/data/vXX.X/`.
pub fn resource_map(version: &str, instance_url: &str) -> Value {
    let mut map = Map::new();
    for name in [
        "tooling",
        "metadata",
        "eclair",
        "folders",
        "prechatForms",
        "chatter",
        "tabs",
        "appMenu",
        "quickActions",
        "queryAll",
        "commerce",
        "wave",
        "iot",
        "analytics",
        "search",
        "identity",
        "composite",
        "parameterizedSearch",
        "fingerprint",
        "theme",
        "nouns",
        "event",
        "serviceTemplates",
        "recent",
        "connect",
        "licensing",
        "limits",
        "process",
        "async-queries",
        "query",
        "match",
        "emailConnect",
        "compactLayouts",
        "knowledgeManagement",
        "sobjects",
        "actions",
        "support",
    ] {
        let url = if name == "identity" {
            identity_url(instance_url)
        } else {
            format!("/services/data/v{version}/{name}")
        };
        map.insert(name.to_owned(), Value::String(url));
    }
    Value::Object(map)
}

/// `GET …/limits`, each counted allocation given as (max, used).
pub fn limits((max, used): (u64, u64), (batch_max, batches_used): (u64, u64)) -> Value {
    let pair = |max: u64, remaining: u64| json!({"Max": max, "Remaining": remaining});
    json!({
        "ConcurrentAsyncGetReportInstances": pair(200, 200),
        "ConcurrentSyncReportRuns": pair(20, 20),
        "DailyApiRequests": pair(max, max.saturating_sub(used)),
        "DailyAsyncApexExecutions": pair(250_000, 250_000),
        "DailyBulkApiBatches": pair(batch_max, batch_max.saturating_sub(batches_used)),
        "DailyBulkV2QueryJobs": pair(10_000, 10_000),
        "DailyGenericStreamingApiEvents": pair(10_000, 10_000),
        "DailyStreamingApiEvents": pair(10_000, 10_000),
        "DataStorageMB": pair(5, 5),
        "FileStorageMB": pair(20, 20),
        "HourlyODataCallout": pair(10_000, 10_000),
        "SingleEmail": pair(15, 15)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_release_calendar() {
        assert_eq!(release_label(31), "Summer '14");
        assert_eq!(release_label(42), "Spring \u{2019}18");
        assert_eq!(release_label(59), "Winter '24");
        assert_eq!(release_label(60), "Spring '24");
        assert_eq!(release_label(68), "Winter '27");
    }
}
