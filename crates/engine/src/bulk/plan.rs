//! What a rendered request becomes in a Bulk API 2.0 job: the job's shape (REST base,
//! object, operation, external-id field) from its method and URL, and the CSV cells from
//! its JSON body. Salesforce's CSV rules: `#N/A` sets a field to null (JSON `null` and `""`
//! both clear a field in the REST call they stand for), a field the body leaves out stays
//! untouched (an empty cell).

use leadwire_core::config::{
    RenderedRequest, SObjectRequest, SObjectWrite, WriteApi, percent_decoded,
};
use serde_json::Value;

/// The operation of an ingest job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `POST …/sobjects/{Object}`.
    Insert,
    /// `PATCH …/sobjects/{Object}/{Id}`.
    Update,
    /// `PATCH …/sobjects/{Object}/{Field}/{value}`.
    Upsert,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Insert => "insert",
            Self::Update => "update",
            Self::Upsert => "upsert",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Insert, Self::Update, Self::Upsert]
            .into_iter()
            .find(|operation| operation.as_str() == text)
    }
}

/// What every row of one job shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobShape {
    /// `scheme://host/services/data/vXX.X`.
    pub api_base: String,
    pub object: String,
    pub operation: Operation,
    /// The upsert's external-id field.
    pub external_id_field: Option<String>,
}

impl JobShape {
    /// The columns a result row is matched to its user by: the external id of an upsert,
    /// the `Id` of an update, every column of an insert (`None`).
    pub fn key_column(&self) -> Option<&str> {
        match self.operation {
            Operation::Upsert => self.external_id_field.as_deref(),
            Operation::Update => Some("Id"),
            Operation::Insert => None,
        }
    }
}

/// One user's row: its job and its cells by column name, in body order.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRow {
    pub shape: JobShape,
    pub cells: Vec<(String, String)>,
}

/// The value that sets a field to null in a Bulk CSV.
pub const NULL_CELL: &str = "#N/A";

/// The row a rendered request stands for, or why it cannot go through Bulk API 2.0: the
/// request is read by [`SObjectRequest::parse`], as a batched send's is.
pub fn plan(request: &RenderedRequest) -> Result<PlannedRow, String> {
    let parsed = SObjectRequest::parse(WriteApi::BulkIngest, request.method, &request.url)
        .map_err(|why| {
            format!(
                "this template renders {} {}: {why}",
                request.method, request.url
            )
        })?;
    let (operation, key) = match parsed.write {
        SObjectWrite::Create => (Operation::Insert, None),
        SObjectWrite::Update { id } => (Operation::Update, Some(("Id", percent_decoded(id)))),
        SObjectWrite::Upsert { field, value } => {
            (Operation::Upsert, Some((field, percent_decoded(value))))
        }
    };
    let mut cells = body_cells(request.body.as_deref())?;
    if let Some((column, value)) = &key {
        cells.retain(|(name, _)| !name.eq_ignore_ascii_case(column));
        cells.insert(0, ((*column).to_owned(), value.clone()));
    }
    let external_id_field = match parsed.write {
        SObjectWrite::Upsert { field, .. } => Some(field.to_owned()),
        SObjectWrite::Create | SObjectWrite::Update { .. } => None,
    };
    Ok(PlannedRow {
        shape: JobShape {
            api_base: parsed.api_base.to_owned(),
            object: parsed.sobject.to_owned(),
            operation,
            external_id_field,
        },
        cells,
    })
}

/// The body's fields as CSV cells: strings as they are, numbers and booleans as text,
/// `null` and `""` as [`NULL_CELL`].
fn body_cells(body: Option<&str>) -> Result<Vec<(String, String)>, String> {
    let Some(body) = body.filter(|body| !body.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let value: Value = serde_json::from_str(body).map_err(|error| {
        format!("the body is not JSON ({error}); a Bulk row needs a JSON object")
    })?;
    let Value::Object(fields) = value else {
        return Err("the body is not a JSON object; a Bulk row needs one".into());
    };
    let mut cells = Vec::with_capacity(fields.len());
    for (name, value) in fields {
        let cell = match value {
            Value::Null => NULL_CELL.to_owned(),
            Value::String(text) if text.is_empty() => NULL_CELL.to_owned(),
            Value::String(text) => text,
            Value::Bool(flag) => flag.to_string(),
            Value::Number(number) => number.to_string(),
            Value::Array(_) | Value::Object(_) => {
                return Err(format!(
                    "the body's field `{name}` is an array or object; a Bulk CSV cell holds text, numbers and booleans"
                ));
            }
        };
        cells.push((name, cell));
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadwire_core::config::HttpMethod;

    fn request(method: HttpMethod, url: &str, body: &str) -> RenderedRequest {
        RenderedRequest {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Some(body.into()),
        }
    }

    #[test]
    fn creates_updates_and_upserts_become_job_shapes_and_cells() {
        let base = "https://x.example/services/data/v60.0/sobjects/Lead";
        let upsert = plan(&request(
            HttpMethod::PATCH,
            &format!("{base}/Leadwire_Id__c/a%20b"),
            r#"{"LastName":"Ng","Email":"","Phone":null,"NumberOfEmployees":5}"#,
        ))
        .expect("an upsert");
        assert_eq!(upsert.shape.operation, Operation::Upsert);
        assert_eq!(
            upsert.shape.api_base,
            "https://x.example/services/data/v60.0"
        );
        assert_eq!(
            upsert.shape.external_id_field.as_deref(),
            Some("Leadwire_Id__c")
        );
        assert_eq!(
            upsert.cells,
            [
                ("Leadwire_Id__c".to_owned(), "a b".to_owned()),
                ("LastName".into(), "Ng".into()),
                ("Email".into(), NULL_CELL.into()),
                ("Phone".into(), NULL_CELL.into()),
                ("NumberOfEmployees".into(), "5".into()),
            ]
        );
        let update = plan(&request(
            HttpMethod::PATCH,
            &format!("{base}/00Q000000000001AAA"),
            "{}",
        ))
        .expect("an update");
        assert_eq!(update.shape.operation, Operation::Update);
        assert_eq!(update.shape.key_column(), Some("Id"));
        let insert =
            plan(&request(HttpMethod::POST, base, r#"{"LastName":"Ng"}"#)).expect("a create");
        assert_eq!(insert.shape.operation, Operation::Insert);
        assert_eq!(insert.shape.key_column(), None);
        let refused = plan(&request(HttpMethod::GET, base, "{}")).expect_err("a GET");
        assert!(refused.contains("GET"), "{refused}");
        let empty = plan(&request(
            HttpMethod::PATCH,
            &format!("{base}/Leadwire_Id__c/"),
            "{}",
        ))
        .expect_err("an empty external id");
        assert!(empty.contains("empty"), "{empty}");
        let nested =
            plan(&request(HttpMethod::POST, base, r#"{"A":{"b":1}}"#)).expect_err("nested");
        assert!(nested.contains("`A`"), "{nested}");
    }
}
