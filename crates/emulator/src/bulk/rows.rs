//! One CSV row applied to the Lead store through the same writes (and so the same
//! validation) as the REST and Collections resources, turned into a row outcome.

use http::HeaderMap;
use serde_json::{Map, Value};

use super::job::{JobSpec, Operation};
use super::results::RowOutcome;
use crate::leads::{self, UpsertOutcome};
use crate::state::EmulatorState;
use leadwire_salesforce::errors::{ApiError, ApiErrorItem};
use leadwire_salesforce::ids::RecordId;

/// The value that sets a field to null; an empty value leaves it unchanged.
const NULL_VALUE: &str = "#N/A";

/// `CODE:message:fields --`, the `sf__Error` form of one error.
pub fn sf_error(item: &ApiErrorItem) -> String {
    let fields = item.fields.clone().unwrap_or_default().join(",");
    let gap = if fields.is_empty() { "" } else { " " };
    format!("{}:{}:{fields}{gap}--", item.error_code, item.message)
}

fn failure(id: Option<RecordId>, error: &ApiError) -> RowOutcome {
    let text: Vec<String> = error.errors.iter().map(sf_error).collect();
    RowOutcome::Failed {
        id,
        error: text.join(" ").into_boxed_str(),
    }
}

fn failed_item(
    id: Option<RecordId>,
    code: &str,
    message: String,
    fields: Vec<String>,
) -> RowOutcome {
    RowOutcome::Failed {
        id,
        error: sf_error(&ApiErrorItem::with_fields(code, message, fields)).into_boxed_str(),
    }
}

/// A row as a Lead JSON object: `#N/A` becomes null, empty values are left out.
fn row_object(columns: &[String], values: &[std::borrow::Cow<'_, str>]) -> Map<String, Value> {
    let mut object = Map::new();
    for (column, value) in columns.iter().zip(values) {
        let value = match value.as_ref() {
            "" => continue,
            NULL_VALUE => Value::Null,
            text => Value::String(text.to_owned()),
        };
        object.insert(column.clone(), value);
    }
    object
}

/// Takes the `Id` column out of a row object: `Ok(None)` when absent or empty.
fn take_id(object: &mut Map<String, Value>) -> Result<Option<String>, ()> {
    let key = object
        .keys()
        .find(|key| key.eq_ignore_ascii_case("Id"))
        .cloned();
    match key.and_then(|key| object.remove(&key)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(()),
    }
}

fn malformed_id(text: &str) -> RowOutcome {
    failed_item(
        None,
        "MALFORMED_ID",
        format!("malformed id {text}"),
        vec!["Id".into()],
    )
}

/// Applies one row; `fail` makes it fail as a locked row would (the fault hook).
pub fn apply(
    state: &EmulatorState,
    spec: &JobSpec,
    columns: &[String],
    values: &[std::borrow::Cow<'_, str>],
    fail: bool,
) -> RowOutcome {
    if values.len() != columns.len() {
        return failed_item(
            None,
            "INVALID_FIELD",
            format!(
                "The row has {} values but the header names {} columns",
                values.len(),
                columns.len()
            ),
            Vec::new(),
        );
    }
    let mut object = row_object(columns, values);
    let Ok(id_text) = take_id(&mut object) else {
        return failed_item(
            None,
            "MALFORMED_ID",
            "malformed id".into(),
            vec!["Id".into()],
        );
    };
    let id = match id_text.as_deref().map(|text| (text, RecordId::parse(text))) {
        None => None,
        Some((_, Some(id))) => Some(id),
        Some((text, None)) if spec.operation != Operation::Insert => return malformed_id(text),
        Some((_, None)) => None,
    };
    if fail {
        return failed_item(
            id,
            "UNABLE_TO_LOCK_ROW",
            "unable to obtain exclusive access to this record".into(),
            Vec::new(),
        );
    }
    let raw = Value::Object(object.clone()).to_string();
    let raw = raw.as_bytes();
    let headers = HeaderMap::new();
    match spec.operation {
        Operation::Insert => {
            if id_text.is_some() {
                return failed_item(
                    None,
                    "INVALID_FIELD",
                    "cannot specify Id in an insert call".into(),
                    vec!["Id".into()],
                );
            }
            match leads::create(state, &object, raw, &headers) {
                Ok(id) => RowOutcome::Succeeded { id, created: true },
                Err(error) => failure(None, &error),
            }
        }
        Operation::Update | Operation::Delete => {
            let Some(id) = id else {
                let call = spec.operation.name();
                return failed_item(
                    None,
                    "MISSING_ARGUMENT",
                    format!("Id not specified in an {call} call"),
                    Vec::new(),
                );
            };
            let written = if spec.operation == Operation::Update {
                leads::update(state, id.as_str(), &object, raw, &headers)
            } else {
                leads::delete(state, id.as_str())
            };
            match written {
                Ok(id) => RowOutcome::Succeeded { id, created: false },
                Err(error) => failure(Some(id), &error),
            }
        }
        Operation::Upsert => upsert(state, spec, object, id, raw, &headers),
    }
}

fn upsert(
    state: &EmulatorState,
    spec: &JobSpec,
    object: Map<String, Value>,
    id: Option<RecordId>,
    raw: &[u8],
    headers: &HeaderMap,
) -> RowOutcome {
    let field = spec.external_id_field.as_deref().unwrap_or("Id");
    if field.eq_ignore_ascii_case("Id") {
        let written = match id {
            None => leads::create(state, &object, raw, headers).map(|id| (id, true)),
            Some(id) => {
                leads::update(state, id.as_str(), &object, raw, headers).map(|id| (id, false))
            }
        };
        return match written {
            Ok((id, created)) => RowOutcome::Succeeded { id, created },
            Err(error) => failure(id, &error),
        };
    }
    let value = object
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(field))
        .and_then(|(_, value)| value.as_str().map(str::to_owned));
    let Some(value) = value else {
        return failed_item(
            None,
            "MISSING_ARGUMENT",
            format!("{field} not specified"),
            vec![field.to_owned()],
        );
    };
    match leads::upsert(state, field, &value, &object, raw, headers) {
        Ok(UpsertOutcome::Created(id)) => RowOutcome::Succeeded { id, created: true },
        Ok(UpsertOutcome::Updated(id)) => RowOutcome::Succeeded { id, created: false },
        Ok(UpsertOutcome::Ambiguous(ids)) => RowOutcome::Failed {
            id: None,
            error: sf_error(&leads::duplicate_external_id(&ids)).into_boxed_str(),
        },
        Err(error) => failure(None, &error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_like_salesforce_results() {
        let with_field = ApiErrorItem::with_fields(
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [Company]",
            vec!["Company".into()],
        );
        assert_eq!(
            sf_error(&with_field),
            "REQUIRED_FIELD_MISSING:Required fields are missing: [Company]:Company --"
        );
        let bare = ApiErrorItem::with_fields("ENTITY_IS_DELETED", "entity is deleted", Vec::new());
        assert_eq!(sf_error(&bare), "ENTITY_IS_DELETED:entity is deleted:--");
    }
}
