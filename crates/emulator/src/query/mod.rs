//! `/query` and `/queryAll`: the SOQL subset over leads, with paging through `nextRecordsUrl` and Salesforce's positional error texts.

mod eval;
mod lexer;
mod parser;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use http::StatusCode;
use serde_json::{Map, Value, json};

use super::dispatch::{Call, query_param};
use super::record::{attributes, field_value};
use super::reply::{Answer, Outcome};
use super::state::QueryCursor;
use leadwire_salesforce::errors::{ApiError, ApiErrorItem};
use parser::{Name, Selection};

/// A SOQL error: its code, where it is, and the message.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryError {
    pub code: &'static str,
    pub row: usize,
    pub column: usize,
    pub message: String,
}

impl QueryError {
    fn malformed(row: usize, column: usize, message: String) -> Self {
        Self {
            code: "MALFORMED_QUERY",
            row,
            column,
            message,
        }
    }

    fn unexpected(row: usize, column: usize, text: &str) -> Self {
        Self::malformed(row, column, format!("unexpected token: '{text}'"))
    }

    fn unexpected_end((row, column): (usize, usize)) -> Self {
        Self::malformed(row, column, "unexpected token: <EOF>".to_owned())
    }

    fn invalid_field(name: &Name) -> Self {
        Self {
            code: "INVALID_FIELD",
            row: name.row,
            column: name.column,
            message: format!(
                "No such column '{}' on entity 'Lead'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
                name.text
            ),
        }
    }

    /// Salesforce's positional form: the query line, a caret, `ERROR at Row:r:Column:c`, the message.
    fn into_api_error(self, soql: &str) -> ApiError {
        let line = soql
            .split('\n')
            .nth(self.row.saturating_sub(1))
            .unwrap_or_default();
        let caret = " ".repeat(self.column.saturating_sub(1));
        let message = format!(
            "\n{line}\n{caret}^\nERROR at Row:{}:Column:{}\n{}",
            self.row, self.column, self.message
        );
        ApiError::bad_request(self.code, message)
    }
}

const MAX_CURSORS: usize = 1000;

fn batch_size(call: &Call) -> usize {
    call.headers
        .get("sforce-query-options")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .find_map(|part| part.trim().strip_prefix("batchSize="))
        })
        .and_then(|n| n.trim().parse::<usize>().ok())
        .map_or(call.state.config().query_batch_size, |n| n.clamp(200, 2000))
        .max(1)
}

/// `GET …/query?q=` (or `queryAll` with `include_deleted`).
pub fn run(call: &Call, include_deleted: bool) -> Outcome {
    if !matches!(*call.method, http::Method::GET | http::Method::HEAD) {
        return Err(ApiError::method_not_allowed(
            call.method.as_str(),
            "GET,HEAD",
        ));
    }
    let Some(soql) = query_param(call.query, "q") else {
        return Err(ApiError::malformed_query(
            "A query string has to be specified",
        ));
    };
    let query = parser::parse(&soql).map_err(|e| e.into_api_error(&soql))?;
    if !query.object.text.eq_ignore_ascii_case("Lead") {
        return Err(ApiError::bad_request(
            "INVALID_TYPE",
            format!(
                "\n{soql}\n{}^\nERROR at Row:{}:Column:{}\nsObject type '{}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.",
                " ".repeat(query.object.column.saturating_sub(1)),
                query.object.row,
                query.object.column,
                query.object.text
            ),
        ));
    }
    let catalog = &call.state.inner.catalog;
    eval::check_fields(&query, catalog).map_err(|e| e.into_api_error(&soql))?;
    let mut records = call.state.inner.leads.all();
    if !include_deleted {
        records.retain(|record| !record.deleted);
    }
    let selected = eval::select(&query, catalog, &records);
    let fields: Vec<usize> = match &query.select {
        Selection::Count => {
            return Ok(Answer::ok(
                json!({"totalSize": selected.len(), "done": true, "records": []}),
            ));
        }
        Selection::CountField(_) => {
            let aggregate =
                json!({"attributes": {"type": "AggregateResult"}, "expr0": selected.len()});
            return Ok(Answer::ok(
                json!({"totalSize": 1, "done": true, "records": [aggregate]}),
            ));
        }
        Selection::Fields(names) => names
            .iter()
            .filter_map(|name| catalog.index_of(&name.text))
            .collect(),
    };
    let rows: Vec<Value> = selected
        .into_iter()
        .map(|record| {
            let mut row = Map::new();
            row.insert(
                "attributes".into(),
                attributes(call.version, record.id.as_str()),
            );
            for index in &fields {
                row.insert(
                    catalog.at(*index).name.clone(),
                    field_value(catalog, record, *index),
                );
            }
            Value::Object(row)
        })
        .collect();
    let cursor = QueryCursor {
        rows: Arc::new(rows),
        batch_size: batch_size(call),
    };
    Ok(Answer::ok(page(call, cursor, None, 0)))
}

/// One page of a result, registering a cursor when more remain.
fn page(call: &Call, cursor: QueryCursor, query_id: Option<&str>, offset: usize) -> Value {
    let total = cursor.rows.len();
    let end = (offset + cursor.batch_size).min(total);
    let records: Vec<Value> = cursor
        .rows
        .get(offset..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    if end >= total {
        return json!({"totalSize": total, "done": true, "records": records});
    }
    let id = match query_id {
        Some(id) => id.to_owned(),
        None => {
            let number = call.state.inner.next_cursor.fetch_add(1, Ordering::Relaxed);
            let id = format!("01gKa{number:0>10}");
            let mut cursors = call
                .state
                .inner
                .cursors
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if cursors.len() >= MAX_CURSORS {
                cursors.clear();
            }
            cursors.insert(id.clone(), cursor);
            id
        }
    };
    json!({
        "totalSize": total,
        "done": false,
        "nextRecordsUrl": format!("/services/data/v{}/query/{id}-{end}", call.version),
        "records": records,
    })
}

/// `GET …/query/{queryId}-{offset}`.
pub fn more(call: &Call, locator: &str) -> Outcome {
    let invalid = || {
        ApiError::one(
            StatusCode::NOT_FOUND,
            ApiErrorItem::new("INVALID_QUERY_LOCATOR", "Invalid query locator"),
        )
    };
    let (id, offset) = locator.rsplit_once('-').ok_or_else(invalid)?;
    let offset: usize = offset.parse().map_err(|_| invalid())?;
    let cursor = call
        .state
        .inner
        .cursors
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(id)
        .cloned()
        .ok_or_else(invalid)?;
    if offset >= cursor.rows.len() {
        return Err(invalid());
    }
    Ok(Answer::ok(page(call, cursor, Some(id), offset)))
}
