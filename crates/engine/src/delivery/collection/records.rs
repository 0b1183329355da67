//! A rendered single-record request as one record of an sObject Collections call: the
//! record (the body, its `attributes.type`, and the id or external id its URL names), the
//! call that carries it, and the call's body.

use leadwire_core::config::{HttpMethod, SObjectRequest, SObjectWrite, WriteApi, percent_decoded};
use serde_json::{Map, Value, json};

use crate::delivery::http::OutboundRequest;

/// Which write a Collections call makes, for the status each record's result maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Write {
    Create,
    Update,
    Upsert,
}

/// One send's record and the call it goes out in.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionRecord {
    pub write: Write,
    pub call_method: reqwest::Method,
    pub call_url: String,
    pub record: Map<String, Value>,
    /// The id or external id value the record writes, so one call never carries it twice
    /// (Salesforce fails both records of an upsert that repeats a value); none for a create.
    pub identity: Option<String>,
}

/// `request` as a Collections record, or why it cannot be one.
pub fn collection_record(request: &OutboundRequest) -> Result<CollectionRecord, String> {
    let method = match request.method {
        reqwest::Method::POST => HttpMethod::POST,
        reqwest::Method::PATCH => HttpMethod::PATCH,
        ref other => {
            return Err(format!(
                "a {other} cannot go out in an sObject Collections call (a create is a POST, an update or upsert a PATCH)"
            ));
        }
    };
    let parsed = SObjectRequest::parse(WriteApi::Collections, method, &request.url)
        .map_err(|why| format!("the rendered URL {}: {why}", request.url))?;
    let body = request.body.as_deref().unwrap_or_default();
    let mut record = match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(record)) => record,
        Ok(_) | Err(_) => {
            return Err(
                "the rendered body is not a JSON object, so it cannot be a record of an sObject Collections call"
                    .to_owned(),
            );
        }
    };
    let (write, identity) = match parsed.write {
        SObjectWrite::Create => (Write::Create, None),
        SObjectWrite::Update { id } => {
            let id = percent_decoded(id);
            record.insert("id".into(), Value::String(id.clone()));
            (Write::Update, Some(id))
        }
        SObjectWrite::Upsert { field, value } => {
            let value = percent_decoded(value);
            record.insert(field.to_owned(), Value::String(value.clone()));
            (Write::Upsert, Some(value))
        }
    };
    record.insert("attributes".into(), json!({ "type": parsed.sobject }));
    let (call_method, call_url) = parsed.collection_call();
    Ok(CollectionRecord {
        write,
        call_method: match call_method {
            HttpMethod::POST => reqwest::Method::POST,
            _ => reqwest::Method::PATCH,
        },
        call_url,
        record,
        identity,
    })
}

/// The body of a call carrying `records`: each record commits or fails on its own.
pub fn call_body<'a>(records: impl Iterator<Item = &'a Map<String, Value>>) -> String {
    let records: Vec<&Map<String, Value>> = records.collect();
    json!({ "allOrNone": false, "records": records }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: reqwest::Method, url: &str, body: &str) -> OutboundRequest {
        OutboundRequest {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Some(body.into()),
        }
    }

    const BASE: &str = "https://acme.my.salesforce.com/services/data/v60.0";

    #[test]
    fn each_write_becomes_its_record_and_call() {
        let create = collection_record(&request(
            reqwest::Method::POST,
            &format!("{BASE}/sobjects/Lead/"),
            r#"{"LastName":"Ng"}"#,
        ))
        .expect("a create");
        assert_eq!(create.call_url, format!("{BASE}/composite/sobjects"));
        assert_eq!(create.call_method, reqwest::Method::POST);
        assert_eq!(
            Value::Object(create.record),
            json!({"LastName": "Ng", "attributes": {"type": "Lead"}})
        );
        assert_eq!(create.identity, None);

        let update = collection_record(&request(
            reqwest::Method::PATCH,
            &format!("{BASE}/sobjects/Lead/00Q5g00000AbCdEAAV"),
            r#"{"Lead_Stage__c":"MQL"}"#,
        ))
        .expect("an update");
        assert_eq!(update.write, Write::Update);
        assert_eq!(update.record["id"], json!("00Q5g00000AbCdEAAV"));

        let upsert = collection_record(&request(
            reqwest::Method::PATCH,
            &format!("{BASE}/sobjects/Lead/Email__c/ada%40example.com"),
            r#"{"LastName":"Ng"}"#,
        ))
        .expect("an upsert");
        assert_eq!(
            upsert.call_url,
            format!("{BASE}/composite/sobjects/Lead/Email__c")
        );
        assert_eq!(upsert.record["Email__c"], json!("ada@example.com"));
        assert_eq!(upsert.identity.as_deref(), Some("ada@example.com"));
        let body: Value =
            serde_json::from_str(&call_body([&upsert.record].into_iter())).expect("JSON");
        assert_eq!(body["allOrNone"], json!(false));
        assert_eq!(body["records"][0]["LastName"], json!("Ng"));
    }

    #[test]
    fn a_request_that_is_no_record_says_why() {
        let empty_id = collection_record(&request(
            reqwest::Method::PATCH,
            &format!("{BASE}/sobjects/Lead/"),
            "{}",
        ))
        .expect_err("no id");
        assert!(empty_id.contains("names no record"), "{empty_id}");
        let array = collection_record(&request(
            reqwest::Method::POST,
            &format!("{BASE}/sobjects/Lead/"),
            "[1]",
        ))
        .expect_err("not an object");
        assert!(array.contains("not a JSON object"), "{array}");
    }
}
