//! Equality, ordering and `contains`, with Liquid's rules for `nil`, `blank` and `empty`.

use std::cmp::Ordering;
use std::sync::Arc;

use super::Value;

impl Value {
    /// `==` as Liquid defines it: numbers compare across int/float, no string/number
    /// coercion, `blank` and `empty` match their classes of values.
    pub fn liquid_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Blank, Value::Blank) | (Value::Empty, Value::Empty) => true,
            (Value::Blank, Value::Empty) | (Value::Empty, Value::Blank) => false,
            (Value::Blank, v) | (v, Value::Blank) => v.is_blank(),
            (Value::Empty, v) | (v, Value::Empty) => v.is_empty_value() && !v.is_nil(),
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                self.to_number().to_f64() == other.to_number().to_f64()
            }
            (Value::Str(a), Value::Str(b)) => Arc::ptr_eq(a, b) || a == b,
            (Value::Array(a), Value::Array(b)) => {
                Arc::ptr_eq(a, b)
                    || a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.liquid_eq(y))
            }
            (Value::Range(a1, b1), Value::Range(a2, b2)) => a1 == a2 && b1 == b2,
            (Value::Object(a), Value::Object(b)) => {
                Arc::ptr_eq(a, b)
                    || a.len() == b.len()
                        && a.iter()
                            .all(|(k, v)| b.get(k).is_some_and(|w| v.liquid_eq(w)))
            }
            _ => false,
        }
    }

    /// Ordering for `<`, `>`, `<=`, `>=`. `Ok(None)` when the values do not order (the
    /// condition is then false); `Err` when Liquid raises (a string against a number).
    pub fn liquid_cmp(&self, other: &Value) -> Result<Option<Ordering>, String> {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => Ok(Some(a.cmp(b))),
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => Ok(self
                .to_number()
                .to_f64()
                .partial_cmp(&other.to_number().to_f64())),
            (Value::Str(a), Value::Str(b)) if Arc::ptr_eq(a, b) => Ok(Some(Ordering::Equal)),
            (Value::Str(a), Value::Str(b)) => Ok(Some(a.cmp(b))),
            (Value::Str(_), Value::Int(_) | Value::Float(_))
            | (Value::Int(_) | Value::Float(_), Value::Str(_)) => Err(format!(
                "comparison of {} with {} failed",
                self.type_name(),
                other.type_name()
            )),
            _ => Ok(None),
        }
    }

    /// `contains`: substring for strings, membership for arrays, key for objects.
    pub fn liquid_contains(&self, needle: &Value) -> bool {
        if matches!(needle, Value::Nil | Value::Bool(false)) {
            return false;
        }
        match self {
            // A needle's text longer than the string cannot be in it, so none is made.
            Value::Str(s) => needle
                .to_str_within(s.len())
                .is_ok_and(|needle| s.contains(&*needle)),
            Value::Array(items) => items.iter().any(|item| item.liquid_eq(needle)),
            Value::Range(a, b) => needle.as_number_strict().is_some_and(|n| {
                matches!(needle, Value::Int(_) | Value::Float(_)) && {
                    let f = n.to_f64();
                    f >= *a as f64 && f <= *b as f64 && f.fract() == 0.0
                }
            }),
            Value::Object(map) => match needle {
                Value::Str(key) => map.contains_key(&**key),
                _ => false,
            },
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_and_empty_classes() {
        assert!(Value::Nil.liquid_eq(&Value::Blank));
        assert!(!Value::Nil.liquid_eq(&Value::Empty));
        assert!(Value::str("  ").liquid_eq(&Value::Blank));
        assert!(Value::str("").liquid_eq(&Value::Empty));
        assert!(!Value::Blank.liquid_eq(&Value::Empty));
        assert!(Value::Bool(false).liquid_eq(&Value::Blank));
    }

    #[test]
    fn string_against_number_is_an_error() {
        assert!(Value::str("2").liquid_cmp(&Value::Int(1)).is_err());
        assert_eq!(Value::Nil.liquid_cmp(&Value::Int(1)), Ok(None));
        assert!(Value::Int(1).liquid_eq(&Value::Float(1.0)));
        assert!(!Value::Int(1).liquid_eq(&Value::str("1")));
    }
}
