//! Caps on the work one attributes object may ask for, checked before anything is applied.
//! Each is far above what Braze itself accepts or what real traffic sends, so they refuse
//! only abusive objects; they keep a `/users/track` request (and an API-triggered send's
//! `attributes`) from holding the single writer for long.

use std::io;

use serde_json::{Map, Value};

use super::{AttributeError, NON_ATTRIBUTE_KEYS};

/// At most this many attributes (standard and custom) in one attributes object. Braze
/// documents no such limit; 1,000 is far above what an integration sets in one object, so
/// it refuses only generated payloads.
pub const MAX_ATTRIBUTES_PER_OBJECT: usize = 1_000;

/// At most this many items in one array value: a set array, or the `add` or `remove` of an
/// operation. A stored array keeps at most 100 elements (Braze's largest configurable
/// length, [`LARGEST_MAX_ARRAY_LENGTH`](super::LARGEST_MAX_ARRAY_LENGTH)), so an array
/// of 1,000 only ever keeps its last hundred distinct items.
pub const MAX_ARRAY_VALUE_ITEMS: usize = 1_000;

/// At most this many array items over all the array values of one attributes object.
pub const MAX_ARRAY_ITEMS_PER_OBJECT: usize = 5_000;

/// Nested objects and arrays nest at most this many levels below the attribute. Braze
/// documents no depth limit; serde_json refuses bodies nested deeper than 128 anyway.
pub const MAX_NESTING_DEPTH: usize = 32;

/// A nested object, or an array holding objects, serialises to at most this many bytes.
/// Braze: "Objects have a maximum size of 100 KB. If an update causes the object to exceed
/// 100 KB, Braze drops the update" (docs, Nested custom attributes), and "Arrays of objects
/// ... have a maximum size of 100 KB" (docs, Array of objects).
pub const MAX_NESTED_VALUE_BYTES: usize = 100 * 1024;

/// Checks the attribute count and the array item counts of an attributes object.
pub(crate) fn check_object(object: &Map<String, Value>) -> Result<(), AttributeError> {
    let attributes = object
        .keys()
        .filter(|key| !NON_ATTRIBUTE_KEYS.contains(&key.as_str()))
        .count();
    if attributes > MAX_ATTRIBUTES_PER_OBJECT {
        return Err(AttributeError::new(
            "",
            format!(
                "an attributes object holds at most {MAX_ATTRIBUTES_PER_OBJECT} attributes (got {attributes}); split it over several objects"
            ),
        ));
    }
    let mut total = 0;
    for (name, value) in object {
        for (operation, items) in array_values(value) {
            if items > MAX_ARRAY_VALUE_ITEMS {
                let field = operation.map_or_else(|| name.clone(), |key| format!("{name}.{key}"));
                return Err(AttributeError::new(
                    field,
                    format!(
                        "holds {items} items; an array value holds at most {MAX_ARRAY_VALUE_ITEMS}"
                    ),
                ));
            }
            total += items;
        }
    }
    if total > MAX_ARRAY_ITEMS_PER_OBJECT {
        return Err(AttributeError::new(
            "",
            format!(
                "the arrays of an attributes object hold at most {MAX_ARRAY_ITEMS_PER_OBJECT} items in all (got {total})"
            ),
        ));
    }
    Ok(())
}

/// The array values of one attribute and their lengths: the value itself, or the operands
/// of an operation (`add`, `remove`, `$add`, `$remove`, `$update`; named by their key).
fn array_values(value: &Value) -> Vec<(Option<&'static str>, usize)> {
    match value {
        Value::Array(items) => vec![(None, items.len())],
        Value::Object(object) => ["add", "remove", "$add", "$remove", "$update"]
            .into_iter()
            .filter_map(|key| match object.get(key) {
                Some(Value::Array(items)) => Some((Some(key), items.len())),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Checks the serialised size of a new nested object or array of objects.
pub(crate) fn check_nested_size(name: &str, value: &Value) -> Result<(), AttributeError> {
    let nested = match value {
        Value::Object(_) => true,
        Value::Array(items) => items.iter().any(Value::is_object),
        _ => false,
    };
    if !nested {
        return Ok(());
    }
    let mut counter = ByteCounter(0);
    if serde_json::to_writer(&mut counter, value).is_err() {
        return Err(AttributeError::new(
            name,
            format!(
                "nested objects and arrays of objects are at most {MAX_NESTED_VALUE_BYTES} bytes as JSON; this update would make it larger"
            ),
        ));
    }
    Ok(())
}

/// Counts written bytes and fails past [`MAX_NESTED_VALUE_BYTES`], so an oversized value
/// is not serialised to the end.
struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 += bytes.len();
        if self.0 > MAX_NESTED_VALUE_BYTES {
            return Err(io::Error::other("too large"));
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
