//! A value as text or JSON within a byte limit: an array that holds one large string many
//! times is refused before its text is written out.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::{Serialize, Serializer};

use super::{Value, format_float};

/// The text would pass the limit it was written within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooLong;

/// A string that refuses to grow past `max` bytes.
struct Bounded<'o> {
    out: &'o mut String,
    max: usize,
}

impl Bounded<'_> {
    fn push(&mut self, text: &str) -> Result<(), TooLong> {
        self.fits(text.len())?;
        self.out.push_str(text);
        Ok(())
    }

    /// Writes a few bytes (a number), taking them back if they pass the limit.
    fn write_small(&mut self, args: std::fmt::Arguments<'_>) -> Result<(), TooLong> {
        let before = self.out.len();
        let _ = self.out.write_fmt(args);
        if self.out.len() > self.max {
            self.out.truncate(before);
            return Err(TooLong);
        }
        Ok(())
    }

    fn fits(&self, more: usize) -> Result<(), TooLong> {
        if self.out.len().saturating_add(more) > self.max {
            return Err(TooLong);
        }
        Ok(())
    }
}

impl Value {
    /// Appends the rendered form to `out`, failing before `out` would pass `max` bytes.
    pub(crate) fn write_within(&self, out: &mut String, max: usize) -> Result<(), TooLong> {
        write_value(self, &mut Bounded { out, max })
    }

    /// The rendered form, borrowed for a string; at most `max` bytes when it has to be made.
    pub(crate) fn to_str_within(&self, max: usize) -> Result<Cow<'_, str>, TooLong> {
        match self {
            Value::Str(s) => Ok(Cow::Borrowed(s)),
            Value::Nil | Value::Blank | Value::Empty => Ok(Cow::Borrowed("")),
            other => {
                let mut out = String::new();
                other.write_within(&mut out, max)?;
                Ok(Cow::Owned(out))
            }
        }
    }
}

fn write_value(value: &Value, b: &mut Bounded<'_>) -> Result<(), TooLong> {
    match value {
        Value::Nil | Value::Blank | Value::Empty => Ok(()),
        Value::Bool(v) => b.push(if *v { "true" } else { "false" }),
        Value::Int(i) => b.write_small(format_args!("{i}")),
        Value::Float(f) => b.push(&format_float(*f)),
        Value::Str(s) => b.push(s),
        Value::Array(items) => items.iter().try_for_each(|item| write_value(item, b)),
        Value::Object(_) => write_inspect(value, b),
        Value::Range(from, to) => b.write_small(format_args!("{from}..{to}")),
    }
}

/// Ruby's `inspect`, used when an object is printed.
fn write_inspect(value: &Value, b: &mut Bounded<'_>) -> Result<(), TooLong> {
    match value {
        Value::Nil => b.push("nil"),
        Value::Str(s) => write_quoted(s, b),
        Value::Array(items) => {
            b.push("[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    b.push(", ")?;
                }
                write_inspect(item, b)?;
            }
            b.push("]")
        }
        Value::Object(map) => {
            b.push("{")?;
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    b.push(", ")?;
                }
                write_quoted(k, b)?;
                b.push("=>")?;
                write_inspect(v, b)?;
            }
            b.push("}")
        }
        other => write_value(other, b),
    }
}

/// A quoted, escaped string: at least its length plus two, checked before and after.
fn write_quoted(s: &str, b: &mut Bounded<'_>) -> Result<(), TooLong> {
    b.fits(s.len().saturating_add(2))?;
    let _ = write!(b.out, "{s:?}");
    b.fits(0)
}

/// Serialises a value as [`Value::to_json`] would, without building the JSON tree first.
pub(crate) struct Json<'v>(pub &'v Value);

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Nil => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) if f.is_finite() => s.serialize_f64(*f),
            Value::Float(_) => s.serialize_unit(),
            Value::Str(text) => s.serialize_str(text),
            Value::Array(items) => s.collect_seq(items.iter().map(Json)),
            Value::Object(map) => s.collect_map(map.iter().map(|(k, v)| (&**k, Json(v)))),
            Value::Range(from, to) => s.collect_seq((*from..=*to).take(100_000)),
            Value::Blank | Value::Empty => s.serialize_str(""),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn an_array_of_one_string_many_times_stops_at_the_limit() {
        let big = Value::string("x".repeat(1000));
        let array = Value::array(vec![big; 1000]);
        let mut out = String::new();
        assert_eq!(array.write_within(&mut out, 10_000), Err(TooLong));
        assert!(out.len() <= 10_000);
        assert!(array.to_str_within(999).is_err());
        assert_eq!(
            array.to_str_within(1_000_000).map(|t| t.len()),
            Ok(1_000_000)
        );
    }

    #[test]
    fn objects_print_as_ruby_inspects_them() {
        let json = serde_json::json!({"a": [1, "two", null], "b": {"c": 1.5}});
        let value = Value::from_json(&json);
        let mut out = String::new();
        value.write_within(&mut out, 100).expect("fits");
        assert_eq!(out, r#"{"a"=>[1, "two", nil], "b"=>{"c"=>1.5}}"#);
        let mut short = String::new();
        assert_eq!(value.write_within(&mut short, 10), Err(TooLong));
    }

    #[test]
    fn json_matches_to_json() {
        let json = serde_json::json!({"z": [1, "two", null, 2.5], "a": {"c": true}, "e": ""});
        let mut value = Value::from_json(&json);
        if let Value::Object(map) = &mut value {
            Arc::make_mut(map).insert(Arc::from("r"), Value::Range(1, 3));
        }
        let direct = serde_json::to_string(&Json(&value)).expect("serialises");
        let via_tree = serde_json::to_string(&value.to_json()).expect("serialises");
        assert_eq!(direct, via_tree);
    }
}
