//! Renders stored leads as Salesforce records: `attributes` first, then fields in describe order, with computed system fields (Id, Name, audit dates, Address).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::config::USER_ID;
use super::store::LeadRecord;
use leadwire_salesforce::fields::LeadCatalog;

/// Formats a datetime the way the REST API does: `2013-05-20T20:49:32.000+0000`.
pub fn format_datetime(time: &DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// The URL of a lead under an API version.
pub fn lead_url(version: &str, id: &str) -> String {
    format!("/services/data/v{version}/sobjects/Lead/{id}")
}

/// The `attributes` object of a lead.
pub fn attributes(version: &str, id: &str) -> Value {
    json!({"type": "Lead", "url": lead_url(version, id)})
}

/// The value of the field at `index`, computing system fields.
pub fn field_value(catalog: &LeadCatalog, record: &LeadRecord, index: usize) -> Value {
    let field = catalog.at(index);
    match field.name.as_str() {
        "Id" => Value::String(record.id.to_string()),
        "IsDeleted" => Value::Bool(record.deleted),
        "Name" => {
            let part = |name: &str| {
                catalog
                    .index_of(name)
                    .and_then(|i| record.get(i))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let joined: Vec<String> = [part("FirstName"), part("LastName")]
                .into_iter()
                .flatten()
                .collect();
            if joined.is_empty() {
                Value::Null
            } else {
                Value::String(joined.join(" "))
            }
        }
        "CreatedDate" => Value::String(format_datetime(&record.created_at)),
        "LastModifiedDate" | "SystemModstamp" => {
            Value::String(format_datetime(&record.modified_at))
        }
        "CreatedById" | "LastModifiedById" => Value::String(USER_ID.to_owned()),
        "Address" => address(catalog, record),
        _ => record.get(index).cloned().unwrap_or(Value::Null),
    }
}

fn address(catalog: &LeadCatalog, record: &LeadRecord) -> Value {
    let parts = [
        ("city", "City"),
        ("country", "Country"),
        ("geocodeAccuracy", "GeocodeAccuracy"),
        ("latitude", "Latitude"),
        ("longitude", "Longitude"),
        ("postalCode", "PostalCode"),
        ("state", "State"),
        ("street", "Street"),
    ];
    let mut object = Map::new();
    let mut any = false;
    for (key, field) in parts {
        let value = catalog
            .index_of(field)
            .and_then(|i| record.get(i))
            .cloned()
            .unwrap_or(Value::Null);
        any |= !value.is_null();
        object.insert(key.to_owned(), value);
    }
    if any {
        Value::Object(object)
    } else {
        Value::Null
    }
}

/// The record with `attributes` and the chosen fields (all of them when `fields` is `None`).
pub fn render(
    catalog: &LeadCatalog,
    record: &LeadRecord,
    version: &str,
    fields: Option<&[usize]>,
) -> Value {
    let id = record.id.to_string();
    let mut object = Map::new();
    object.insert("attributes".into(), attributes(version, &id));
    let mut put = |index: usize| {
        object.insert(
            catalog.at(index).name.clone(),
            field_value(catalog, record, index),
        );
    };
    match fields {
        Some(chosen) => chosen.iter().copied().for_each(&mut put),
        None => (0..catalog.fields().len()).for_each(&mut put),
    }
    Value::Object(object)
}
