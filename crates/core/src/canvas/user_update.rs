//! The User Update step's operations, resolved into Braze's `/users/track` shapes so the
//! profile store applies them exactly as it applies API writes: set, increment and
//! decrement (`{"inc": n}`), add and remove (`{"add": [...]}`, `{"remove": [...]}`), and
//! the JSON composer's `attributes` / `events` / `purchases`.

use serde::Deserialize;
use serde_json::{Map, Value};

/// The JSON composer's size limit, in characters.
pub const MAX_COMPOSER_CHARS: usize = 65_536;

/// Keys the composer must not set: the platform supplies them.
const COMPOSER_FORBIDDEN_KEYS: &[&str] = &[
    "external_id",
    "user_alias",
    "braze_id",
    "api_key",
    "push_tokens",
    "push_token_import",
];

/// Profile updates: attribute actions with Liquid values, and/or the JSON composer (a
/// Liquid template rendering a `/users/track`-shaped object).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserUpdateStep {
    pub name: String,
    #[serde(default)]
    pub updates: Vec<AttributeUpdate>,
    #[serde(default)]
    pub json: Option<String>,
    #[serde(default)]
    pub next: Option<String>,
}

/// One attribute action: `{ attribute = "lead_score", action = "increment", value = 5 }`.
/// String values are Liquid templates; other TOML values are used as they are.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeUpdate {
    pub attribute: String,
    pub action: UpdateAction,
    pub value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateAction {
    Set,
    Increment,
    Decrement,
    Add,
    Remove,
}

/// A User Update step with its Liquid rendered, in `/users/track` shape (the worker adds
/// the user's identifier to each object).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResolvedUserUpdate {
    /// One attributes object: `{"lead_stage": "MQL", "lead_score": {"inc": 5}}`.
    pub attributes: Map<String, Value>,
    pub events: Vec<Value>,
    pub purchases: Vec<Value>,
}

/// Why a User Update could not be resolved. The worker logs it; the step fails for this
/// user only.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UserUpdateError {
    #[error("rendering `{field}` failed: {reason}")]
    Render { field: String, reason: String },
    #[error("`{attribute}`: {action:?} needs a number, got {value}")]
    NotANumber {
        attribute: String,
        action: UpdateAction,
        value: String,
    },
    #[error("the JSON composer is longer than {MAX_COMPOSER_CHARS} characters")]
    ComposerTooLong,
    #[error("the JSON composer did not render valid /users/track JSON: {0}")]
    ComposerShape(String),
}

impl UserUpdateStep {
    /// Renders every Liquid value with `render` and builds the `/users/track` objects.
    pub fn resolve(
        &self,
        render: &mut dyn FnMut(&str) -> Result<String, String>,
    ) -> Result<ResolvedUserUpdate, UserUpdateError> {
        let mut resolved = ResolvedUserUpdate::default();
        for update in &self.updates {
            let operation = update.resolve(render)?;
            merge_operation(&mut resolved.attributes, &update.attribute, operation);
        }
        if let Some(template) = &self.json {
            let rendered = render(template).map_err(|reason| UserUpdateError::Render {
                field: "json".into(),
                reason,
            })?;
            apply_composer(&rendered, &mut resolved)?;
        }
        Ok(resolved)
    }
}

impl AttributeUpdate {
    fn resolve(
        &self,
        render: &mut dyn FnMut(&str) -> Result<String, String>,
    ) -> Result<Value, UserUpdateError> {
        let value = match &self.value {
            Value::String(template) => {
                Value::String(render(template).map_err(|reason| UserUpdateError::Render {
                    field: self.attribute.clone(),
                    reason,
                })?)
            }
            literal => literal.clone(),
        };
        let operation = match self.action {
            UpdateAction::Set => value,
            UpdateAction::Increment => increment(self.number(&value)?),
            UpdateAction::Decrement => increment(-self.number(&value)?),
            UpdateAction::Add => op_object("add", items(value)),
            UpdateAction::Remove => op_object("remove", items(value)),
        };
        Ok(operation)
    }

    fn number(&self, value: &Value) -> Result<f64, UserUpdateError> {
        let parsed = match value {
            Value::Number(number) => number.as_f64(),
            Value::String(text) => text.trim().parse::<f64>().ok(),
            _ => None,
        };
        parsed
            .filter(|number| number.is_finite())
            .ok_or_else(|| UserUpdateError::NotANumber {
                attribute: self.attribute.clone(),
                action: self.action,
                value: value.to_string(),
            })
    }
}

fn increment(amount: f64) -> Value {
    op_object("inc", number_value(amount))
}

/// Whole numbers stay integers, so `{"inc": 5}` is written as Braze expects.
fn number_value(amount: f64) -> Value {
    if amount.fract() == 0.0 && amount.abs() < 9.0e15 {
        Value::from(amount as i64)
    } else {
        serde_json::Number::from_f64(amount).map_or(Value::Null, Value::Number)
    }
}

fn items(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items),
        single => Value::Array(vec![single]),
    }
}

fn op_object(key: &str, value: Value) -> Value {
    let mut object = Map::new();
    object.insert(key.into(), value);
    Value::Object(object)
}

/// Combines two updates of one attribute: increments add up, add/remove lists append, and
/// anything else replaces what came before.
fn merge_operation(attributes: &mut Map<String, Value>, name: &str, operation: Value) {
    let Some(Value::Object(existing)) = attributes.get_mut(name) else {
        attributes.insert(name.into(), operation);
        return;
    };
    let Value::Object(incoming) = &operation else {
        attributes.insert(name.into(), operation);
        return;
    };
    let mergeable = incoming
        .keys()
        .chain(existing.keys())
        .all(|key| matches!(key.as_str(), "inc" | "add" | "remove"))
        && incoming.contains_key("inc") == existing.contains_key("inc");
    if !mergeable {
        attributes.insert(name.into(), operation);
        return;
    }
    for (key, value) in incoming {
        match (existing.get_mut(key), value) {
            (Some(Value::Number(sum)), Value::Number(more)) => {
                let total = sum.as_f64().unwrap_or(0.0) + more.as_f64().unwrap_or(0.0);
                if let Value::Number(number) = number_value(total) {
                    *sum = number;
                }
            }
            (Some(Value::Array(list)), Value::Array(more)) => list.extend(more.iter().cloned()),
            _ => {
                existing.insert(key.clone(), value.clone());
            }
        }
    }
}

fn apply_composer(
    rendered: &str,
    resolved: &mut ResolvedUserUpdate,
) -> Result<(), UserUpdateError> {
    if rendered.chars().count() > MAX_COMPOSER_CHARS {
        return Err(UserUpdateError::ComposerTooLong);
    }
    let shape = |message: &str| UserUpdateError::ComposerShape(message.to_owned());
    let parsed: Value = serde_json::from_str(rendered)
        .map_err(|error| UserUpdateError::ComposerShape(error.to_string()))?;
    let Value::Object(body) = parsed else {
        return Err(shape("the top level must be an object"));
    };
    for (key, value) in body {
        let Value::Array(objects) = value else {
            return Err(UserUpdateError::ComposerShape(format!(
                "`{key}` must be an array of objects"
            )));
        };
        for object in objects {
            let Value::Object(fields) = object else {
                return Err(UserUpdateError::ComposerShape(format!(
                    "`{key}` must be an array of objects"
                )));
            };
            if let Some(forbidden) = COMPOSER_FORBIDDEN_KEYS
                .iter()
                .find(|name| fields.contains_key(**name))
            {
                return Err(UserUpdateError::ComposerShape(format!(
                    "`{forbidden}` is supplied by leadwire; remove it from the composer"
                )));
            }
            match key.as_str() {
                "attributes" => {
                    for (name, operation) in fields {
                        merge_operation(&mut resolved.attributes, &name, operation);
                    }
                }
                "events" => resolved.events.push(Value::Object(fields)),
                "purchases" => resolved.purchases.push(Value::Object(fields)),
                other => {
                    return Err(UserUpdateError::ComposerShape(format!(
                        "unknown key `{other}`; use attributes, events or purchases"
                    )));
                }
            }
        }
    }
    Ok(())
}
