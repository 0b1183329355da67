//! One page of `/campaigns/list` or `/canvas/list`: the configured items with their
//! registry dates, and with `include_archived` those the registry knows that the config no
//! longer has; filtered by `last_edit.time[gt]`, sorted by creation time (then api id),
//! 100 a page. An item the registry has not recorded yet (a node that has not registered
//! its config) reads as created and edited at the epoch.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leadwire_store::ConfigVersion;

use super::params::{ListQuery, PAGE_SIZE};

/// One listed campaign or canvas.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Listed<'a> {
    pub api_id: &'a str,
    pub name: &'a str,
    pub created_at: DateTime<Utc>,
    pub last_edited: DateTime<Utc>,
    /// Index of the configured item; `None` for an archived one.
    pub configured: Option<usize>,
}

/// The page `query` asks for of `configured` (api id and name, in config order) and the
/// registry's `versions` of their kind.
pub(super) fn page<'a>(
    configured: &[(&'a str, &'a str)],
    versions: &'a [ConfigVersion],
    query: &ListQuery,
) -> Vec<Listed<'a>> {
    let by_id: HashMap<&str, &ConfigVersion> = versions
        .iter()
        .map(|version| (version.api_id.as_str(), version))
        .collect();
    let mut items: Vec<Listed<'a>> = configured
        .iter()
        .enumerate()
        .map(|(index, (api_id, name))| {
            let dates = by_id
                .get(api_id)
                .map_or((DateTime::UNIX_EPOCH, DateTime::UNIX_EPOCH), |version| {
                    (version.created_at, version.last_edited)
                });
            Listed {
                api_id,
                name,
                created_at: dates.0,
                last_edited: dates.1,
                configured: Some(index),
            }
        })
        .collect();
    if query.include_archived {
        let present: Vec<&str> = configured.iter().map(|(api_id, _)| *api_id).collect();
        items.extend(
            versions
                .iter()
                .filter(|version| version.archived_at.is_some())
                .filter(|version| !present.contains(&version.api_id.as_str()))
                .map(|version| Listed {
                    api_id: &version.api_id,
                    name: &version.name,
                    created_at: version.created_at,
                    last_edited: version.last_edited,
                    configured: None,
                }),
        );
    }
    if let Some(after) = query.edited_after {
        items.retain(|item| item.last_edited > after);
    }
    items.sort_by(|a, b| (a.created_at, a.api_id).cmp(&(b.created_at, b.api_id)));
    if query.descending {
        items.reverse();
    }
    items
        .into_iter()
        .skip(query.page.saturating_mul(PAGE_SIZE))
        .take(PAGE_SIZE)
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone};
    use leadwire_store::ConfigKind;

    use super::*;

    fn at(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0)
            .single()
            .expect("a time")
            + TimeDelta::hours(hours)
    }

    fn version(api_id: &str, created: i64, archived: bool) -> ConfigVersion {
        ConfigVersion {
            kind: ConfigKind::Campaign,
            api_id: api_id.into(),
            name: api_id.to_uppercase(),
            created_at: at(created),
            last_edited: at(created + 1),
            archived_at: archived.then(|| at(10)),
        }
    }

    fn ids(items: &[Listed<'_>]) -> Vec<String> {
        items.iter().map(|item| item.api_id.to_owned()).collect()
    }

    #[test]
    fn pages_sort_filter_and_include_archived_ones_on_request() {
        let versions = [
            version("b", 1, false),
            version("a", 2, false),
            version("gone", 0, true),
        ];
        let configured = [("a", "A"), ("b", "B"), ("new", "New")];
        let mut query = ListQuery {
            page: 0,
            include_archived: false,
            descending: false,
            edited_after: None,
        };
        assert_eq!(
            ids(&page(&configured, &versions, &query)),
            ["new", "b", "a"]
        );
        query.include_archived = true;
        let listed = page(&configured, &versions, &query);
        assert_eq!(ids(&listed), ["new", "gone", "b", "a"]);
        assert_eq!(listed[1].configured, None);
        assert_eq!(listed[1].name, "GONE");
        query.descending = true;
        assert_eq!(
            ids(&page(&configured, &versions, &query)),
            ["a", "b", "gone", "new"]
        );
        query.edited_after = Some(at(2));
        assert_eq!(ids(&page(&configured, &versions, &query)), ["a"]);
        query.page = 1;
        assert!(page(&configured, &versions, &query).is_empty());
    }

    #[test]
    fn a_page_holds_a_hundred() {
        let names: Vec<String> = (0..250).map(|index| format!("c{index:03}")).collect();
        let configured: Vec<(&str, &str)> = names
            .iter()
            .map(|name| (name.as_str(), name.as_str()))
            .collect();
        let mut query = ListQuery {
            page: 2,
            include_archived: false,
            descending: false,
            edited_after: None,
        };
        let last = page(&configured, &[], &query);
        assert_eq!(last.len(), 50);
        assert_eq!(last[0].api_id, "c200");
        query.page = usize::MAX;
        assert!(page(&configured, &[], &query).is_empty());
    }
}
