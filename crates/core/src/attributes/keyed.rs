//! [`Keyed`]: a JSON value with a hash that agrees with `Value`'s `==`, so array elements can
//! go into hash sets (`serde_json::Value` has no `Hash`).
//!
//! Equal values hash equally: object entries are combined order-independently (two objects
//! with the same entries in another order are equal), and `-0.0` hashes as `0.0`. The
//! hasher is seeded per operation ([`RandomState`]), so a client cannot choose colliding
//! elements.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};

use serde_json::{Number, Value};

/// A value and its hash, computed once.
#[derive(Debug, Clone)]
pub(crate) struct Keyed {
    hash: u64,
    pub(crate) value: Value,
}

impl Keyed {
    pub(crate) fn new(value: Value, state: &RandomState) -> Self {
        Self {
            hash: value_hash(&value, state),
            value,
        }
    }
}

impl PartialEq for Keyed {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.value == other.value
    }
}

impl Eq for Keyed {}

impl Hash for Keyed {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Wraps each value with its hash, all seeded alike.
pub(crate) fn keyed(values: Vec<Value>, state: &RandomState) -> Vec<Keyed> {
    values
        .into_iter()
        .map(|value| Keyed::new(value, state))
        .collect()
}

/// The values back out of their wrappers.
pub(crate) fn values(keyed: Vec<Keyed>) -> Vec<Value> {
    keyed.into_iter().map(|keyed| keyed.value).collect()
}

fn value_hash(value: &Value, state: &RandomState) -> u64 {
    let mut hasher = state.build_hasher();
    write_value(value, state, &mut hasher);
    hasher.finish()
}

fn write_value(value: &Value, state: &RandomState, hasher: &mut impl Hasher) {
    match value {
        Value::Null => hasher.write_u8(0),
        Value::Bool(flag) => {
            hasher.write_u8(1);
            flag.hash(hasher);
        }
        Value::Number(number) => {
            hasher.write_u8(2);
            write_number(number, hasher);
        }
        Value::String(text) => {
            hasher.write_u8(3);
            text.hash(hasher);
        }
        Value::Array(items) => {
            hasher.write_u8(4);
            hasher.write_usize(items.len());
            for item in items {
                write_value(item, state, hasher);
            }
        }
        Value::Object(object) => {
            hasher.write_u8(5);
            hasher.write_usize(object.len());
            let entries = object.iter().fold(0u64, |sum, (key, inner)| {
                let mut entry = state.build_hasher();
                key.hash(&mut entry);
                write_value(inner, state, &mut entry);
                sum.wrapping_add(entry.finish())
            });
            hasher.write_u64(entries);
        }
    }
}

/// Integers by value, floats by bits with `-0.0` folded into `0.0` (they compare equal).
fn write_number(number: &Number, hasher: &mut impl Hasher) {
    if let Some(unsigned) = number.as_u64().filter(|_| !number.is_f64()) {
        hasher.write_u8(0);
        hasher.write_u64(unsigned);
    } else if let Some(signed) = number.as_i64().filter(|_| !number.is_f64()) {
        hasher.write_u8(1);
        hasher.write_i64(signed);
    } else {
        let float = number.as_f64().unwrap_or_default();
        let float = if float == 0.0 { 0.0 } else { float };
        hasher.write_u8(2);
        hasher.write_u64(float.to_bits());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn same(a: Value, b: Value) -> bool {
        let state = RandomState::new();
        let (a, b) = (Keyed::new(a, &state), Keyed::new(b, &state));
        assert_eq!(a == b, a.value == b.value);
        a.hash == b.hash
    }

    #[test]
    fn equal_values_hash_alike_whatever_their_key_order() {
        assert!(same(
            json!({"a": 1, "b": [true, null]}),
            json!({"b": [true, null], "a": 1})
        ));
        assert!(same(json!(-0.0), json!(0.0)));
        assert!(same(json!("x"), json!("x")));
        assert!(!same(json!([1, 2]), json!([2, 1])));
        assert!(!same(json!({"a": 1}), json!({"a": 2})));
    }
}
