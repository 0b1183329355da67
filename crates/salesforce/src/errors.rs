//! The Salesforce error envelopes: the REST array `[{"message","errorCode","fields"}]`, the per-record `statusCode` form of collections, and the OAuth `{"error","error_description"}` body.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// One entry of a REST error array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiErrorItem {
    pub message: String,
    #[serde(rename = "errorCode")]
    pub error_code: String,
    /// Present for field-level DML errors (possibly empty), absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    /// Extra keys such as `duplicateResut`, written before the standard keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ApiErrorItem {
    /// An error with no `fields` key.
    pub fn new(error_code: &str, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            error_code: error_code.to_owned(),
            fields: None,
            extra: Map::new(),
        }
    }

    /// An error that names the fields it is about.
    pub fn with_fields(error_code: &str, message: impl Into<String>, fields: Vec<String>) -> Self {
        Self {
            fields: Some(fields),
            ..Self::new(error_code, message)
        }
    }

    /// The per-record form used by sObject Collections: `statusCode` instead of `errorCode`,
    /// and `fields` always present.
    pub fn to_collection_json(&self) -> Value {
        json!({
            "statusCode": self.error_code,
            "message": self.message,
            "fields": self.fields.clone().unwrap_or_default(),
        })
    }

    /// The REST form, with any extra keys first (as in the DUPLICATES_DETECTED capture).
    pub fn to_json(&self) -> Value {
        let mut object = self.extra.clone();
        object.insert("message".into(), Value::String(self.message.clone()));
        object.insert("errorCode".into(), Value::String(self.error_code.clone()));
        if let Some(fields) = &self.fields {
            object.insert("fields".into(), json!(fields));
        }
        Value::Object(object)
    }
}

/// A REST error response: a status and the error array.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub errors: Vec<ApiErrorItem>,
}

impl ApiError {
    /// A response with one error.
    pub fn one(status: StatusCode, item: ApiErrorItem) -> Self {
        Self {
            status,
            errors: vec![item],
        }
    }

    /// 400 with one error that has no `fields`.
    pub fn bad_request(error_code: &str, message: impl Into<String>) -> Self {
        Self::one(
            StatusCode::BAD_REQUEST,
            ApiErrorItem::new(error_code, message),
        )
    }

    /// 401 INVALID_SESSION_ID, sent with `WWW-Authenticate: Token`.
    pub fn invalid_session() -> Self {
        Self::one(
            StatusCode::UNAUTHORIZED,
            ApiErrorItem::new("INVALID_SESSION_ID", "Session expired or invalid"),
        )
    }

    /// 404 NOT_FOUND "The requested resource does not exist".
    pub fn resource_not_found() -> Self {
        Self::one(
            StatusCode::NOT_FOUND,
            ApiErrorItem::new("NOT_FOUND", "The requested resource does not exist"),
        )
    }

    /// 404 NOT_FOUND for a path segment that is neither an id nor an external-id field.
    pub fn external_id_field_not_found(segment: &str) -> Self {
        Self::one(
            StatusCode::NOT_FOUND,
            ApiErrorItem::new(
                "NOT_FOUND",
                format!(
                    "Provided external ID field does not exist or is not accessible: {segment}"
                ),
            ),
        )
    }

    /// 404 ENTITY_IS_DELETED.
    pub fn entity_is_deleted() -> Self {
        Self::one(
            StatusCode::NOT_FOUND,
            ApiErrorItem::with_fields("ENTITY_IS_DELETED", "entity is deleted", Vec::new()),
        )
    }

    /// 405 METHOD_NOT_ALLOWED naming the allowed methods.
    pub fn method_not_allowed(method: &str, allowed: &str) -> Self {
        Self::one(
            StatusCode::METHOD_NOT_ALLOWED,
            ApiErrorItem::new(
                "METHOD_NOT_ALLOWED",
                format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
            ),
        )
    }

    /// 403 REQUEST_LIMIT_EXCEEDED.
    pub fn request_limit_exceeded() -> Self {
        Self::one(
            StatusCode::FORBIDDEN,
            ApiErrorItem::new("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
        )
    }

    /// 400 MALFORMED_QUERY.
    pub fn malformed_query(message: impl Into<String>) -> Self {
        Self::bad_request("MALFORMED_QUERY", message)
    }

    /// 400 JSON_PARSER_ERROR.
    pub fn json_parser(message: impl Into<String>) -> Self {
        Self::bad_request("JSON_PARSER_ERROR", message)
    }

    /// The JSON array body.
    pub fn body(&self) -> Value {
        Value::Array(self.errors.iter().map(ApiErrorItem::to_json).collect())
    }
}

/// The OAuth endpoints' error body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OAuthError {
    pub error: String,
    pub error_description: String,
}

impl OAuthError {
    /// An error with the exact Salesforce code and description.
    pub fn new(error: &str, description: &str) -> Self {
        Self {
            error: error.to_owned(),
            error_description: description.to_owned(),
        }
    }

    /// Unknown client id.
    pub fn invalid_client_id() -> Self {
        Self::new("invalid_client_id", "client identifier invalid")
    }

    /// Wrong client secret.
    pub fn invalid_client() -> Self {
        Self::new("invalid_client", "invalid client credentials")
    }

    /// Missing or unknown grant type.
    pub fn unsupported_grant_type() -> Self {
        Self::new("unsupported_grant_type", "grant type not supported")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_errors_keep_salesforce_key_order_and_omit_absent_fields() {
        let body = ApiError::invalid_session().body().to_string();
        assert_eq!(
            body,
            r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#
        );
        let item = ApiErrorItem::with_fields(
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [Company]",
            vec!["Company".into()],
        );
        assert_eq!(
            item.to_json().to_string(),
            r#"{"message":"Required fields are missing: [Company]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Company"]}"#
        );
        assert_eq!(
            item.to_collection_json().to_string(),
            r#"{"statusCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing: [Company]","fields":["Company"]}"#
        );
    }

    #[test]
    fn error_items_parse_back() {
        let parsed: Vec<ApiErrorItem> = serde_json::from_str(
            r#"[{"message":"entity is deleted","errorCode":"ENTITY_IS_DELETED","fields":[]}]"#,
        )
        .unwrap_or_default();
        assert_eq!(parsed, ApiError::entity_is_deleted().errors);
    }
}
