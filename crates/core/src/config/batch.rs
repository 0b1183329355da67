//! Batched delivery of a webhook template through Salesforce's sObject Collections: which
//! single-record requests a Collections call can carry (a create, an update by id, an
//! upsert by external id), and the `check` of a template's `batch = { max_records = 200,
//! max_wait = "2s" }` (the setting itself is `templates::BatchSettings`).
//!
//! A batched template is written as the single-record request it stands for, e.g.
//! `POST {{connection.instance_url}}/services/data/v60.0/sobjects/Lead/`; delivery renders
//! each send as usual, then [`SObjectRequest::parse`] reads the rendered URL to place the
//! record in its Collections call:
//!
//! | template | record | Collections call |
//! |---|---|---|
//! | `POST …/sobjects/Lead/` | the body | `POST …/composite/sobjects` |
//! | `PATCH …/sobjects/Lead/{id}` | the body and `id` | `PATCH …/composite/sobjects` |
//! | `PATCH …/sobjects/Lead/{Field}/{value}` | the body and `Field` | `PATCH …/composite/sobjects/Lead/{Field}` |

use super::diagnostics::{ConfigPath, Diagnostic};
use super::templates::{HttpMethod, WebhookTemplate};

use super::templates::{MAX_BATCH_WAIT_SECONDS, MAX_COLLECTION_RECORDS};
/// The first API version that serves sObject Collections create and update.
const COLLECTIONS_SINCE: u32 = 42;
/// The first API version that serves sObject Collections upsert.
const COLLECTIONS_UPSERT_SINCE: u32 = 46;
/// The first API version that serves Bulk API 2.0 ingest jobs.
const BULK_INGEST_SINCE: u32 = 41;

/// The API that carries many single-record writes in one call or job; each serves them
/// from its own API version on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteApi {
    /// sObject Collections (`…/composite/sobjects`), batched delivery.
    Collections,
    /// Bulk API 2.0 ingest jobs (`…/jobs/ingest`), bulk sends.
    BulkIngest,
}

impl WriteApi {
    /// The first API version serving `write` through this API, and its name for errors.
    fn since(self, write: &SObjectWrite<'_>) -> (u32, &'static str) {
        match (self, write) {
            (Self::Collections, SObjectWrite::Upsert { .. }) => {
                (COLLECTIONS_UPSERT_SINCE, "sObject Collections upsert")
            }
            (Self::Collections, _) => (COLLECTIONS_SINCE, "sObject Collections create and update"),
            (Self::BulkIngest, _) => (BULK_INGEST_SINCE, "Bulk API 2.0 ingest"),
        }
    }
}

/// Which write a single-record sObject request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SObjectWrite<'a> {
    /// `POST …/sobjects/{Type}/`.
    Create,
    /// `PATCH …/sobjects/{Type}/{id}`.
    Update { id: &'a str },
    /// `PATCH …/sobjects/{Type}/{Field}/{value}`.
    Upsert { field: &'a str, value: &'a str },
}

/// A single-record sObject request, read from its method and URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SObjectRequest<'a> {
    /// The URL up to and including `/services/data/vNN.N`.
    pub api_base: &'a str,
    /// The object type, e.g. `Lead`.
    pub sobject: &'a str,
    pub write: SObjectWrite<'a>,
}

impl<'a> SObjectRequest<'a> {
    /// Reads `method` and `url` (rendered, or a template's text whose Liquid parts stand for
    /// values) as a create, an update by id or an upsert by external id that `api` can
    /// carry; the error says why it is none of them. The id or value is as written (a
    /// rendered one may hold `%XX` escapes, see [`percent_decoded`]).
    pub fn parse(api: WriteApi, method: HttpMethod, url: &'a str) -> Result<Self, String> {
        const DATA: &str = "/services/data/v";
        const SHAPES: &str = "a write of many records is made of creates (POST …/sobjects/Lead/), \
             updates by id (PATCH …/sobjects/Lead/{id}) or upserts by external id \
             (PATCH …/sobjects/Lead/{ExternalIdField}/{value})";
        let url = url.trim();
        if url.contains('?') || url.contains('#') {
            return Err(format!(
                "the URL has a query or fragment, which no sObject write takes; {SHAPES}"
            ));
        }
        let start = url.find(DATA).ok_or_else(|| {
            format!("the URL is not a Salesforce REST URL (…{DATA}NN.N/sobjects/…); {SHAPES}")
        })?;
        let after_v = &url[start + DATA.len()..];
        let (version, rest) = after_v.split_once('/').unwrap_or((after_v, ""));
        let major = parse_version(version)?;
        let api_base = &url[..start + DATA.len() + version.len()];
        let Some(path) = rest.strip_prefix("sobjects/") else {
            return Err(format!(
                "the URL does not address …/v{version}/sobjects/; {SHAPES}"
            ));
        };
        let mut segments: Vec<&str> = path.split('/').collect();
        if let [_, ""] = segments.as_slice() {
            segments.pop();
        }
        if segments.len() > 1 && segments.iter().any(|segment| segment.is_empty()) {
            return Err(format!(
                "the URL …/sobjects/{path} has an empty record id or external id value: \
                 does every user have the attribute it reads?"
            ));
        }
        let write = match (method, segments.as_slice()) {
            (HttpMethod::POST, [_]) => SObjectWrite::Create,
            (HttpMethod::PATCH, [_, id]) if !id.is_empty() => SObjectWrite::Update { id },
            (HttpMethod::PATCH, [_, field, value]) if !field.is_empty() && !value.is_empty() => {
                SObjectWrite::Upsert { field, value }
            }
            (HttpMethod::PATCH, [_] | [_, _]) => {
                return Err(format!(
                    "a PATCH of …/sobjects/{path} names no record: an update needs the record id \
                     after the object, an upsert the external id field and its value"
                ));
            }
            (HttpMethod::POST, _) => {
                return Err(format!(
                    "a POST to …/sobjects/{path} is not a create (a create posts to …/sobjects/Lead/)"
                ));
            }
            (method, _) => return Err(format!("{method} …/sobjects/{path}: {SHAPES}")),
        };
        let sobject = segments[0];
        literal_name("object", sobject)?;
        if let SObjectWrite::Upsert { field, .. } = write {
            literal_name("external id field", field)?;
        }
        let (since, what) = api.since(&write);
        if major < since {
            return Err(format!(
                "{what} needs API version {since}.0 or later; the URL uses v{version}"
            ));
        }
        Ok(Self {
            api_base,
            sobject,
            write,
        })
    }

    /// The method and URL of the Collections call that carries this record.
    pub fn collection_call(&self) -> (HttpMethod, String) {
        let base = format!("{}/composite/sobjects", self.api_base);
        match self.write {
            SObjectWrite::Create => (HttpMethod::POST, base),
            SObjectWrite::Update { .. } => (HttpMethod::PATCH, base),
            SObjectWrite::Upsert { field, .. } => (
                HttpMethod::PATCH,
                format!("{base}/{}/{field}", self.sobject),
            ),
        }
    }
}

fn parse_version(version: &str) -> Result<u32, String> {
    let (major, minor) = version.split_once('.').unwrap_or((version, "0"));
    match (major.parse::<u32>(), minor.parse::<u32>()) {
        (Ok(major), Ok(_)) => Ok(major),
        _ => Err(format!(
            "`v{version}` is not an API version; write it out, e.g. v60.0"
        )),
    }
}

fn literal_name(what: &str, name: &str) -> Result<(), String> {
    if !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
    {
        return Ok(());
    }
    Err(format!(
        "the {what} `{name}` must be written out in the URL (letters, digits and underscores), \
         since every record of a call shares it"
    ))
}

/// `text` with its `%XX` escapes decoded (a path segment of a rendered URL); an invalid
/// escape is kept as written.
pub fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// Checks a template's `batch`: its limits, its connection, its URL and its body.
pub(super) fn check_batch(
    path: &ConfigPath,
    template: &WebhookTemplate,
    problems: &mut Vec<Diagnostic>,
) {
    let Some(batch) = template.batch else {
        return;
    };
    let name = &template.name;
    let at = path.key("batch");
    if !(1..=MAX_COLLECTION_RECORDS).contains(&batch.max_records) {
        problems.push(Diagnostic::error(
            at.key("max_records"),
            format!(
                "template `{name}`: batch.max_records = {} is outside 1 to {MAX_COLLECTION_RECORDS}",
                batch.max_records
            ),
            format!(
                "an sObject Collections call carries at most {MAX_COLLECTION_RECORDS} records; choose 1 to {MAX_COLLECTION_RECORDS}"
            ),
        ));
    }
    if batch.max_wait.seconds() > MAX_BATCH_WAIT_SECONDS {
        problems.push(Diagnostic::error(
            at.key("max_wait"),
            format!(
                "template `{name}`: batch.max_wait of {}s is longer than {MAX_BATCH_WAIT_SECONDS}s",
                batch.max_wait.seconds()
            ),
            "a send waits this long for others before its call; choose a few seconds, e.g. \"2s\"",
        ));
    }
    if template.connection.is_none() {
        problems.push(Diagnostic::error(
            path.key("name"),
            format!("template `{name}` is batched but names no connection"),
            "add connection = \"<a [[salesforce_connections]] name>\": batched sends go out \
             through that connection's sObject Collections",
        ));
    }
    if let Err(why) = SObjectRequest::parse(WriteApi::Collections, template.method, &template.url) {
        problems.push(Diagnostic::error(
            path.key("url"),
            format!("template `{name}` is batched but its request cannot be: {why}"),
            "write the single-record request (e.g. POST {{connection.instance_url}}/services/data/v60.0/sobjects/Lead/), or remove batch",
        ));
    }
    if !template.body.is_object() {
        problems.push(Diagnostic::error(
            path.key("body"),
            format!("template `{name}` is batched but its body is not a JSON object"),
            "give it body.json = { LastName = \"{{${last_name}}}\", … } (each record of the call is that object)",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "{{connection.instance_url}}/services/data/v60.0";

    fn parse(method: HttpMethod, path: &str) -> Result<SObjectRequest<'static>, String> {
        let url: &'static str = Box::leak(format!("{BASE}{path}").into_boxed_str());
        SObjectRequest::parse(WriteApi::Collections, method, url)
    }

    #[test]
    fn creates_updates_and_upserts_map_to_their_collections_calls() {
        let create = parse(HttpMethod::POST, "/sobjects/Lead/").expect("a create");
        assert_eq!(create.write, SObjectWrite::Create);
        assert_eq!(
            create.collection_call(),
            (HttpMethod::POST, format!("{BASE}/composite/sobjects"))
        );
        let update = parse(
            HttpMethod::PATCH,
            "/sobjects/Lead/{{custom_attribute.${salesforce_lead_id}}}",
        )
        .expect("an update");
        assert_eq!(
            update.write,
            SObjectWrite::Update {
                id: "{{custom_attribute.${salesforce_lead_id}}}"
            }
        );
        assert_eq!(update.collection_call().0, HttpMethod::PATCH);
        let upsert = parse(
            HttpMethod::PATCH,
            "/sobjects/Lead/Leadwire_Id__c/{{${braze_id}}}",
        )
        .expect("an upsert");
        assert_eq!(
            upsert.collection_call(),
            (
                HttpMethod::PATCH,
                format!("{BASE}/composite/sobjects/Lead/Leadwire_Id__c")
            )
        );
    }

    #[test]
    fn other_requests_say_why_they_are_not_batchable() {
        for (method, url, expected) in [
            (HttpMethod::GET, format!("{BASE}/sobjects/Lead/x"), "GET"),
            (
                HttpMethod::PATCH,
                format!("{BASE}/sobjects/Lead/"),
                "names no record",
            ),
            (
                HttpMethod::POST,
                format!("{BASE}/sobjects/Lead/00Q1"),
                "is not a create",
            ),
            (
                HttpMethod::POST,
                "https://example.com/lead".to_owned(),
                "not a Salesforce REST URL",
            ),
            (
                HttpMethod::POST,
                format!("{BASE}/query/"),
                "does not address",
            ),
            (
                HttpMethod::POST,
                "https://x/services/data/v41.0/sobjects/Lead/".to_owned(),
                "42.0 or later",
            ),
            (
                HttpMethod::PATCH,
                "https://x/services/data/v45.0/sobjects/Lead/F__c/1".to_owned(),
                "46.0 or later",
            ),
            (
                HttpMethod::POST,
                format!("{BASE}/sobjects/{{{{x}}}}/"),
                "must be written out",
            ),
            (
                HttpMethod::POST,
                format!("{BASE}/sobjects/Lead/?a=1"),
                "query",
            ),
        ] {
            let error = SObjectRequest::parse(WriteApi::Collections, method, &url).expect_err(&url);
            assert!(error.contains(expected), "{url}: {error}");
        }
    }

    #[test]
    fn an_empty_value_is_never_read_as_another_write() {
        let error = parse(HttpMethod::PATCH, "/sobjects/Lead/Leadwire_Id__c/")
            .expect_err("an upsert whose value rendered empty");
        assert!(error.contains("empty"), "{error}");
        let error = parse(HttpMethod::PATCH, "/sobjects/Lead//x").expect_err("an empty field");
        assert!(error.contains("empty"), "{error}");
    }

    #[test]
    fn each_api_has_its_own_first_version() {
        let url = "https://x/services/data/v41.0/sobjects/Lead/F__c/1";
        let bulk = SObjectRequest::parse(WriteApi::BulkIngest, HttpMethod::PATCH, url)
            .expect("Bulk API 2.0 serves v41.0");
        assert_eq!(
            bulk.write,
            SObjectWrite::Upsert {
                field: "F__c",
                value: "1"
            }
        );
        let error = SObjectRequest::parse(
            WriteApi::BulkIngest,
            HttpMethod::POST,
            "https://x/services/data/v40.0/sobjects/Lead/",
        )
        .expect_err("v40.0");
        assert!(
            error.contains("Bulk API 2.0 ingest needs API version 41.0"),
            "{error}"
        );
    }

    #[test]
    fn escapes_decode_and_bad_ones_stay() {
        assert_eq!(percent_decoded("ada%40example.com"), "ada@example.com");
        assert_eq!(percent_decoded("100%"), "100%");
        assert_eq!(percent_decoded("%zz%C3%A9"), "%zzé");
    }
}
