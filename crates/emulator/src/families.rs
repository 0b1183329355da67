//! API families: which Salesforce API a request belongs to (sObject REST, Collections, Composite, query, Bulk API 2.0 ingest, OAuth, limits), for the per-API counters.

use serde::{Deserialize, Serialize};

/// The API a request belongs to. A new resource gets its family here, in [`ApiFamily::of_path`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ApiFamily {
    /// `sobjects/…`: single-record create, read, update, delete, upsert; describe.
    Sobjects,
    /// `composite/sobjects…`: sObject Collections.
    Collections,
    /// `composite`: up to 25 dependent subrequests.
    Composite,
    /// `query`, `queryAll` and their `nextRecordsUrl` pages.
    Query,
    /// `jobs/ingest…`: Bulk API 2.0 ingest jobs.
    BulkIngest,
    /// `/services/oauth2/…`: token, revoke, introspect.
    Oauth,
    /// `limits`.
    Limits,
    /// Everything else: the version list, the resource map, unknown paths.
    Other,
}

impl ApiFamily {
    /// Every family, in the order the counters list them.
    pub const ALL: [ApiFamily; 8] = [
        ApiFamily::Sobjects,
        ApiFamily::Collections,
        ApiFamily::Composite,
        ApiFamily::Query,
        ApiFamily::BulkIngest,
        ApiFamily::Oauth,
        ApiFamily::Limits,
        ApiFamily::Other,
    ];

    /// The family of a request path (any method, version or trailing slash).
    pub fn of_path(path: &str) -> Self {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            ["services", "oauth2", ..] => Self::Oauth,
            ["services", "data", _version, rest @ ..] => Self::of_resource(rest),
            _ => Self::Other,
        }
    }

    /// The family of a resource path under `/services/data/vXX.X/` (also composite subrequests).
    pub fn of_resource(rest: &[&str]) -> Self {
        match rest {
            ["sobjects", ..] => Self::Sobjects,
            ["composite", "sobjects", ..] => Self::Collections,
            ["composite", ..] => Self::Composite,
            ["query" | "queryAll", ..] => Self::Query,
            ["jobs", "ingest", ..] => Self::BulkIngest,
            ["limits"] => Self::Limits,
            _ => Self::Other,
        }
    }

    /// The index of the family in [`ApiFamily::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_family() {
        let cases = [
            ("/services/oauth2/token", ApiFamily::Oauth),
            ("/services/data/v60.0/sobjects/Lead", ApiFamily::Sobjects),
            (
                "/services/data/v60.0/sobjects/Lead/Ext__c/1",
                ApiFamily::Sobjects,
            ),
            (
                "/services/data/v60.0/composite/sobjects",
                ApiFamily::Collections,
            ),
            (
                "/services/data/v60.0/composite/sobjects/Lead/Ext__c",
                ApiFamily::Collections,
            ),
            ("/services/data/v60.0/composite", ApiFamily::Composite),
            ("/services/data/v60.0/query/", ApiFamily::Query),
            ("/services/data/v60.0/queryAll/01g-2000", ApiFamily::Query),
            (
                "/services/data/v60.0/jobs/ingest/750x/batches",
                ApiFamily::BulkIngest,
            ),
            ("/services/data/v60.0/limits/", ApiFamily::Limits),
            ("/services/data/", ApiFamily::Other),
            ("/services/data/v60.0/", ApiFamily::Other),
        ];
        for (path, family) in cases {
            assert_eq!(ApiFamily::of_path(path), family, "{path}");
        }
        for (index, family) in ApiFamily::ALL.iter().enumerate() {
            assert_eq!(family.index(), index);
        }
    }
}
