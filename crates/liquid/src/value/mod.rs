//! The value model: an enum with cheap clones (strings, arrays and objects sit behind `Arc`).

mod compare;
pub(crate) mod number;
mod text;

use std::borrow::Cow;
use std::sync::Arc;

use indexmap::IndexMap;

pub use number::{Number, format_float};
pub(crate) use text::Json;

/// A Liquid object: insertion-ordered keys, as in the JSON it came from.
pub type Object = IndexMap<Arc<str>, Value, foldhash::fast::RandomState>;

/// A Liquid value.
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    Array(Arc<Vec<Value>>),
    Object(Arc<Object>),
    /// An inclusive integer range such as `(1..5)`, never materialised unless needed.
    Range(i64, i64),
    /// The `blank` literal.
    Blank,
    /// The `empty` literal.
    Empty,
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    pub fn string(s: String) -> Value {
        Value::Str(Arc::from(s))
    }

    pub fn array(items: Vec<Value>) -> Value {
        Value::Array(Arc::new(items))
    }

    pub fn object(object: Object) -> Value {
        Value::Object(Arc::new(object))
    }

    /// Converts JSON into a value (numbers that fit become `Int`).
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(s) => Value::str(s),
            serde_json::Value::Array(items) => {
                Value::array(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::object(object_from_json(map)),
        }
    }

    /// Converts back to JSON (ranges become arrays, `blank`/`empty` become `""`).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Nil => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Object(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
            Value::Range(a, b) => serde_json::Value::Array(
                (*a..=*b)
                    .take(100_000)
                    .map(serde_json::Value::from)
                    .collect(),
            ),
            Value::Blank | Value::Empty => serde_json::Value::String(String::new()),
        }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Liquid truthiness: only `nil` and `false` are falsy.
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    /// `== empty`: an empty string, array or object.
    pub fn is_empty_value(&self) -> bool {
        match self {
            Value::Str(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            Value::Range(a, b) => a > b,
            Value::Empty | Value::Blank => true,
            _ => false,
        }
    }

    /// `== blank`: nil, false, a whitespace-only string, or an empty collection.
    pub fn is_blank(&self) -> bool {
        match self {
            Value::Nil | Value::Bool(false) => true,
            Value::Str(s) => s.trim().is_empty(),
            other => other.is_empty_value(),
        }
    }

    /// Appends the rendered form of the value to `out` (objects as Ruby's `inspect`).
    pub fn write_to(&self, out: &mut String) {
        let _ = self.write_within(out, usize::MAX);
    }

    /// The rendered form as a string, borrowing when the value is a string.
    pub fn to_str(&self) -> Cow<'_, str> {
        match self {
            Value::Str(s) => Cow::Borrowed(s),
            Value::Nil | Value::Blank | Value::Empty => Cow::Borrowed(""),
            other => {
                let mut out = String::new();
                other.write_to(&mut out);
                Cow::Owned(out)
            }
        }
    }

    /// Property access: `obj.key`, `obj['key']`, plus `size`, `first` and `last`.
    pub fn get_key(&self, key: &str) -> Value {
        match self {
            Value::Object(map) => match map.get(key) {
                Some(v) => v.clone(),
                None => match key {
                    "size" => Value::Int(map.len() as i64),
                    "first" => map
                        .first()
                        .map(|(k, v)| Value::array(vec![Value::Str(k.clone()), v.clone()]))
                        .unwrap_or_default(),
                    _ => Value::Nil,
                },
            },
            Value::Array(items) => match key {
                "size" => Value::Int(items.len() as i64),
                "first" => items.first().cloned().unwrap_or_default(),
                "last" => items.last().cloned().unwrap_or_default(),
                _ => Value::Nil,
            },
            Value::Range(a, b) => match key {
                "size" => Value::Int(if a > b {
                    0
                } else {
                    b.saturating_sub(*a).saturating_add(1)
                }),
                "first" if a <= b => Value::Int(*a),
                "last" if a <= b => Value::Int(*b),
                _ => Value::Nil,
            },
            Value::Str(s) if key == "size" => Value::Int(s.chars().count() as i64),
            _ => Value::Nil,
        }
    }

    /// Index access: `arr[1]`, `arr[-1]`; a string index on an object is a key.
    pub fn get_index(&self, index: &Value) -> Value {
        match (self, index) {
            (Value::Array(items), Value::Int(i)) => {
                let len = items.len() as i64;
                let i = if *i < 0 { len + i } else { *i };
                if i < 0 {
                    return Value::Nil;
                }
                items.get(i as usize).cloned().unwrap_or_default()
            }
            (Value::Range(a, b), Value::Int(i)) => {
                let (a, b, i) = (*a as i128, *b as i128, *i as i128);
                let len = if a > b { 0 } else { b - a + 1 };
                let i = if i < 0 { len + i } else { i };
                if i < 0 || i >= len {
                    Value::Nil
                } else {
                    i64::try_from(a + i).map(Value::Int).unwrap_or_default()
                }
            }
            (Value::Array(_) | Value::Range(..), Value::Float(f)) => {
                self.get_index(&Value::Int(*f as i64))
            }
            (_, Value::Str(key)) => self.get_key(key),
            _ => Value::Nil,
        }
    }

    /// Items a `for` loop visits: array items, range numbers, `[key, value]` pairs of an
    /// object, or a non-empty string as one item. Capped at `max` items.
    pub fn iteration_items(&self, max: usize) -> Result<Vec<Value>, usize> {
        match self {
            Value::Array(items) => Ok(items.to_vec()),
            Value::Range(a, b) => {
                if a > b {
                    return Ok(Vec::new());
                }
                let len = (*b as i128 - *a as i128 + 1) as u128;
                if len > max as u128 {
                    return Err(max);
                }
                Ok((*a..=*b).map(Value::Int).collect())
            }
            Value::Object(map) => Ok(map
                .iter()
                .map(|(k, v)| Value::array(vec![Value::Str(k.clone()), v.clone()]))
                .collect()),
            Value::Str(s) if !s.is_empty() => Ok(vec![self.clone()]),
            _ => Ok(Vec::new()),
        }
    }

    /// Like `iteration_items`, but a scalar becomes a one-item list (used by array filters).
    pub fn to_list(&self, max: usize) -> Result<Vec<Value>, usize> {
        match self {
            Value::Nil | Value::Blank | Value::Empty => Ok(Vec::new()),
            Value::Array(_) | Value::Range(..) => self.iteration_items(max),
            other => Ok(vec![other.clone()]),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Array(_) | Value::Range(..) => "array",
            Value::Object(_) => "object",
            Value::Blank | Value::Empty => "string",
        }
    }
}

/// Converts a JSON object into a Liquid object.
pub fn object_from_json(map: &serde_json::Map<String, serde_json::Value>) -> Object {
    map.iter()
        .map(|(k, v)| (Arc::from(k.as_str()), Value::from_json(v)))
        .collect()
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::string(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
