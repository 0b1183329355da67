//! The objects of a `/users/track` request (reference §9), parsed and validated without I/O:
//! which user an object names, and the typed event and purchase objects.

mod objects;

pub use objects::{EventObject, PurchaseObject, parse_event, parse_purchase};

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::attributes::{AttributeError, MAX_STRING_LENGTH, check_no_nul, email_address};
use crate::profile::UserAlias;

/// At most this many objects of each type in one request.
pub const MAX_OBJECTS_PER_TYPE: usize = 75;

/// How an object names its user. When several identifiers are present the first in this
/// order wins: `external_id`, `user_alias`, `braze_id`, `email`, `phone` (email beats phone).
/// An email must be a valid address (as the `email` attribute must), so a lookup never
/// carries a control character to the database.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserIdentifier {
    ExternalId(String),
    Alias(UserAlias),
    BrazeId(Uuid),
    Email(String),
    Phone(String),
}

impl UserIdentifier {
    /// The field of the object that held the identifier, for error messages.
    pub fn field(&self) -> &'static str {
        match self {
            Self::ExternalId(_) => "external_id",
            Self::Alias(_) => "user_alias",
            Self::BrazeId(_) => "braze_id",
            Self::Email(_) => "email",
            Self::Phone(_) => "phone",
        }
    }
}

/// Reads the user identifier of a track object.
pub fn identifier_of(object: &Map<String, Value>) -> Result<UserIdentifier, AttributeError> {
    if let Some(value) = object.get("external_id").filter(|v| !v.is_null()) {
        return identifier_string("external_id", value).map(UserIdentifier::ExternalId);
    }
    if let Some(value) = object.get("user_alias").filter(|v| !v.is_null()) {
        return alias(value).map(UserIdentifier::Alias);
    }
    if let Some(value) = object.get("braze_id").filter(|v| !v.is_null()) {
        let text = identifier_string("braze_id", value)?;
        return Uuid::parse_str(&text)
            .map(UserIdentifier::BrazeId)
            .map_err(|_| {
                AttributeError::new("braze_id", format!("no user has braze_id `{text}`"))
            });
    }
    if let Some(value) = object.get("email").filter(|v| !v.is_null()) {
        let text = identifier_string("email", value)?;
        return email_address(&text).map(UserIdentifier::Email);
    }
    if let Some(value) = object.get("phone").filter(|v| !v.is_null()) {
        return identifier_string("phone", value).map(UserIdentifier::Phone);
    }
    Err(AttributeError::new(
        "external_id",
        "each object needs one of external_id, user_alias, braze_id, email or phone",
    ))
}

/// An identifier value (external id, alias part, email, phone): a non-empty string of at
/// most the string limit, without NUL; `field` names it in the error.
pub fn identifier_string(field: &str, value: &Value) -> Result<String, AttributeError> {
    match value {
        Value::String(text) if text.is_empty() => {
            Err(AttributeError::new(field, "must not be empty"))
        }
        Value::String(text) if text.chars().count() > MAX_STRING_LENGTH => Err(
            AttributeError::new(field, format!("is at most {MAX_STRING_LENGTH} characters")),
        ),
        Value::String(text) => check_no_nul(&field, text).map(|()| text.clone()),
        _ => Err(AttributeError::new(field, "must be a string")),
    }
}

/// Parses `{"alias_name": "...", "alias_label": "..."}`.
pub fn alias(value: &Value) -> Result<UserAlias, AttributeError> {
    if !value.is_object() {
        return Err(AttributeError::new(
            "user_alias",
            "must be an object {\"alias_name\": string, \"alias_label\": string}",
        ));
    }
    let part = |key: &str| {
        identifier_string(
            &format!("user_alias.{key}"),
            value.get(key).unwrap_or(&Value::Null),
        )
    };
    Ok(UserAlias {
        alias_name: part("alias_name")?,
        alias_label: part("alias_label")?,
    })
}

/// The `_update_existing_only` flag of an attributes, event or purchase object: `true` when
/// given as `true`; when omitted, `true` for objects identified by `user_alias` (alias-only
/// profiles are created only with an explicit `false`) and `false` otherwise.
///
/// An object whose user does not exist and whose flag is `true` creates and changes
/// nothing and is still answered as processed, as Braze answers it (the request succeeds;
/// Braze reports no error for it). Braze's event page says the flag is always `true` with
/// `user_alias`, its attributes page that it is the default; leadwire follows the attributes
/// page for all three object types, so an explicit `false` creates an alias-only user.
pub fn update_existing_only(
    object: &Map<String, Value>,
    identifier: &UserIdentifier,
) -> Result<bool, AttributeError> {
    match object.get("_update_existing_only") {
        None | Some(Value::Null) => Ok(matches!(identifier, UserIdentifier::Alias(_))),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(_) => Err(AttributeError::new(
            "_update_existing_only",
            "must be true or false",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn of(value: Value) -> Result<UserIdentifier, AttributeError> {
        match value {
            Value::Object(map) => identifier_of(&map),
            _ => Err(AttributeError::new("", "not an object")),
        }
    }

    #[test]
    fn identifiers_in_precedence_order() {
        assert_eq!(
            of(json!({"email": "a@x.io", "phone": "+1", "external_id": "u"})),
            Ok(UserIdentifier::ExternalId("u".into()))
        );
        assert_eq!(
            of(json!({"email": "a@x.io", "phone": "+1"})),
            Ok(UserIdentifier::Email("a@x.io".into()))
        );
        assert_eq!(
            of(json!({"phone": "+1"})),
            Ok(UserIdentifier::Phone("+1".into()))
        );
        assert_eq!(of(json!({})).unwrap_err().field, "external_id");
        assert_eq!(
            of(json!({"external_id": 3})).unwrap_err().field,
            "external_id"
        );
        assert_eq!(
            of(json!({"braze_id": "nope"})).unwrap_err().field,
            "braze_id"
        );
        assert_eq!(
            of(json!({"user_alias": {"alias_name": "n"}}))
                .unwrap_err()
                .field,
            "user_alias.alias_label"
        );
    }

    #[test]
    fn email_identifiers_must_be_valid_addresses() {
        assert_eq!(
            of(json!({"email": " a@x.io "})),
            Ok(UserIdentifier::Email("a@x.io".into()))
        );
        let error = of(json!({"email": "a\tb@x.io"})).unwrap_err();
        assert_eq!(error.field, "email");
        assert!(error.message.contains("a\\tb@x.io"), "{error}");
        let error = of(json!({"email": "a\u{0}@x.io"})).unwrap_err();
        assert_eq!(error.field, "email");
    }

    /// PostgreSQL cannot store a NUL in the identifier columns; the request is refused
    /// with the field named instead of failing in the store.
    #[test]
    fn identifiers_refuse_the_nul_character() {
        for (value, field) in [
            (json!({"external_id": "a\u{0}b"}), "external_id"),
            (json!({"phone": "+1\u{0}"}), "phone"),
            (json!({"braze_id": "\u{0}"}), "braze_id"),
            (
                json!({"user_alias": {"alias_name": "\u{0}", "alias_label": "l"}}),
                "user_alias.alias_name",
            ),
        ] {
            let error = of(value.clone()).unwrap_err();
            assert_eq!(error.field, field, "{value}");
            assert!(error.message.contains("NUL"), "{error}");
        }
    }

    #[test]
    fn alias_objects_default_to_update_only() {
        let object = json!({"user_alias": {"alias_name": "n", "alias_label": "l"}});
        let map = object.as_object().cloned().unwrap_or_default();
        let identifier = identifier_of(&map).expect("valid alias");
        assert_eq!(update_existing_only(&map, &identifier), Ok(true));
        let map = json!({"external_id": "u"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let identifier = identifier_of(&map).expect("valid id");
        assert_eq!(update_existing_only(&map, &identifier), Ok(false));
    }
}
