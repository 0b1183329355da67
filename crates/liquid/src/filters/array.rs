//! Array filters. Inputs are flattened first, as Liquid does. Results are charged to the
//! render's budget, and filters whose work grows with the items read the clock as they go.

use std::cmp::Ordering;

use super::{FilterArgs, FilterEnv, FilterFn, flat_list};
use crate::errors::RenderError;
use crate::value::{Number, Value, number::MathOp, number::apply_math};

type R = Result<Value, RenderError>;

pub(super) fn lookup(name: &str) -> Option<FilterFn> {
    Some(match name {
        "first" => first,
        "last" => last,
        "size" => size,
        "reverse" => reverse,
        "sort" => sort,
        "sort_natural" => sort_natural,
        "map" => map,
        "where" => where_filter,
        "reject" => reject,
        "find" => find,
        "find_index" => find_index,
        "has" => has,
        "compact" => compact,
        "uniq" => uniq,
        "sum" => sum,
        _ => return None,
    })
}

fn first(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(match input {
        Value::Array(_) | Value::Range(..) | Value::Object(_) => input.get_key("first"),
        _ => Value::Nil,
    })
}

fn last(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(match input {
        Value::Array(_) | Value::Range(..) => input.get_key("last"),
        _ => Value::Nil,
    })
}

fn size(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(match input {
        Value::Object(map) => Value::Int(map.len() as i64),
        Value::Array(_) | Value::Range(..) | Value::Str(_) => input.get_key("size"),
        _ => Value::Int(0),
    })
}

fn reverse(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let mut items = flat_list(input, env)?;
    items.reverse();
    env.array(items)
}

/// A property key, made once per filter call: `None` (a nil key) takes the item itself.
fn key_of(key: &Value, env: &FilterEnv) -> Result<Option<Value>, RenderError> {
    Ok(match key {
        Value::Nil => None,
        Value::Str(_) => Some(key.clone()),
        other => Some(Value::string(env.text(other)?.into_owned())),
    })
}

fn property(item: &Value, key: &Option<Value>) -> Value {
    match key {
        None => item.clone(),
        Some(key) => item.get_index(key),
    }
}

fn sort(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 1)?;
    let mut items = flat_list(input, env)?;
    let key = key_of(a.get(0), env)?;
    let mut failure = None;
    let mut compared = 0usize;
    items.sort_by(|x, y| {
        if failure.is_some() {
            return Ordering::Equal;
        }
        compared += 1;
        if let Err(e) = env.budget.step(compared) {
            failure = Some(e);
            return Ordering::Equal;
        }
        let (x, y) = (property(x, &key), property(y, &key));
        match (x.is_nil(), y.is_nil()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => match x.liquid_cmp(&y) {
                Ok(Some(order)) => order,
                _ => {
                    let message =
                        format!("cannot compare {} with {}", x.type_name(), y.type_name());
                    failure = Some(a.error(message));
                    Ordering::Equal
                }
            },
        }
    });
    match failure {
        Some(error) => Err(error),
        None => env.array(items),
    }
}

fn sort_natural(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 1)?;
    let items = flat_list(input, env)?;
    let key = key_of(a.get(0), env)?;
    let mut keyed = Vec::with_capacity(items.len());
    for item in items {
        let value = property(&item, &key);
        let text = env.text(&value)?.to_lowercase();
        env.charge(text.len())?;
        keyed.push(((value.is_nil(), text), item));
    }
    keyed.sort_by(|x, y| x.0.cmp(&y.0));
    env.array(keyed.into_iter().map(|(_, item)| item).collect())
}

fn map(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 1)?;
    let key = key_of(a.get(0), env)?;
    let mut out = Vec::new();
    for item in flat_list(input, env)? {
        match item {
            Value::Object(_) if key.is_none() => out.push(Value::Nil),
            Value::Object(_) => out.push(property(&item, &key)),
            Value::Nil => out.push(Value::Nil),
            other => return Err(a.error(format!("cannot map over a {}", other.type_name()))),
        }
    }
    env.array(out)
}

/// The `(key, value?)` test of where/reject/find/find_index/has, prepared once per call.
struct Probe<'a> {
    key: &'a Value,
    property: Option<Value>,
    /// The text of the key, looked for in string items.
    needle: std::borrow::Cow<'a, str>,
    value: Option<&'a Value>,
    /// The value, when given, has the key's text (a string item must then contain it).
    value_is_needle: bool,
}

impl<'a> Probe<'a> {
    fn new(a: &'a FilterArgs<'_>, env: &FilterEnv) -> Result<Self, RenderError> {
        let key = a.get(0);
        let needle = env.text(key)?;
        let value = (a.args.len() > 1 && !a.get(1).is_nil()).then(|| a.get(1));
        let value_is_needle = match value {
            Some(value) => env.text(value)? == needle,
            None => false,
        };
        Ok(Probe {
            key,
            property: key_of(key, env)?,
            needle,
            value,
            value_is_needle,
        })
    }

    /// How one item matches: `Ok(None)` when the item makes the result undefined (a nil item).
    fn matches(&self, item: &Value, a: &FilterArgs<'_>) -> Result<Option<bool>, RenderError> {
        match item {
            Value::Nil => Ok(None),
            Value::Object(_) => {
                let found = property(item, &self.property);
                Ok(Some(match self.value {
                    Some(value) => found.liquid_eq(value),
                    None => found.is_truthy(),
                }))
            }
            Value::Str(text) => {
                let contains = text.contains(&*self.needle);
                Ok(Some(if self.value.is_some() {
                    contains && self.value_is_needle
                } else {
                    contains
                }))
            }
            other => match self.key {
                Value::Str(_) => Err(a.error(format!(
                    "cannot look up a property of a {}",
                    other.type_name()
                ))),
                key => Ok(Some(other.liquid_eq(key))),
            },
        }
    }
}

fn where_filter(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 2)?;
    if matches!(input, Value::Int(_) | Value::Float(_) | Value::Bool(_)) {
        return Err(a.error("expected an array"));
    }
    if a.get(0).is_nil() {
        return Ok(Value::Nil);
    }
    let key = key_of(a.get(0), env)?;
    let with_value = a.args.len() > 1 && !a.get(1).is_nil();
    let mut out = Vec::new();
    for (n, item) in flat_list(input, env)?.into_iter().enumerate() {
        env.budget.step(n)?;
        let keep = match &item {
            Value::Object(_) => {
                let found = property(&item, &key);
                if with_value {
                    found.liquid_eq(a.get(1))
                } else {
                    found.is_truthy()
                }
            }
            _ => false,
        };
        if keep {
            out.push(item);
        }
    }
    env.array(out)
}

fn reject(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 2)?;
    if a.get(0).is_nil() {
        return Ok(Value::Nil);
    }
    let probe = Probe::new(a, env)?;
    let mut out = Vec::new();
    for (n, item) in flat_list(input, env)?.into_iter().enumerate() {
        env.budget.step(n)?;
        match probe.matches(&item, a)? {
            None => return Ok(Value::Nil),
            Some(true) => {}
            Some(false) => out.push(item),
        }
    }
    env.array(out)
}

fn position(
    input: &Value,
    a: &FilterArgs<'_>,
    env: &FilterEnv,
) -> Result<Option<(usize, Value)>, Option<RenderError>> {
    a.arity(1, 2).map_err(Some)?;
    let probe = Probe::new(a, env).map_err(Some)?;
    for (i, item) in flat_list(input, env).map_err(Some)?.into_iter().enumerate() {
        env.budget.step(i).map_err(Some)?;
        match probe.matches(&item, a).map_err(Some)? {
            None => return Err(None),
            Some(true) => return Ok(Some((i, item))),
            Some(false) => {}
        }
    }
    Ok(None)
}

fn find(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    match position(input, a, env) {
        Ok(found) => Ok(found.map(|(_, item)| item).unwrap_or_default()),
        Err(None) => Ok(Value::Nil),
        Err(Some(e)) => Err(e),
    }
}

fn find_index(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    match position(input, a, env) {
        Ok(found) => Ok(found.map(|(i, _)| Value::Int(i as i64)).unwrap_or_default()),
        Err(None) => Ok(Value::Nil),
        Err(Some(e)) => Err(e),
    }
}

fn has(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    if a.args.len() == 1
        && matches!(
            a.get(0),
            Value::Nil | Value::Bool(_) | Value::Int(_) | Value::Float(_)
        )
    {
        a.arity(1, 2)?;
        let items = flat_list(input, env)?;
        return Ok(Value::Bool(items.iter().any(|item| {
            !matches!(item, Value::Object(_)) && item.liquid_eq(a.get(0))
        })));
    }
    match position(input, a, env) {
        Ok(found) => Ok(Value::Bool(found.is_some())),
        Err(None) => Ok(Value::Nil),
        Err(Some(e)) => Err(e),
    }
}

fn compact(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 1)?;
    let key = key_of(a.get(0), env)?;
    let items = flat_list(input, env)?;
    env.array(
        items
            .into_iter()
            .filter(|item| !property(item, &key).is_nil())
            .collect(),
    )
}

fn uniq(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 1)?;
    let key = key_of(a.get(0), env)?;
    let mut seen: Vec<Value> = Vec::new();
    let mut out = Vec::new();
    for (n, item) in flat_list(input, env)?.into_iter().enumerate() {
        env.budget.step(n)?;
        let id = property(&item, &key);
        if !seen
            .iter()
            .any(|s| s.liquid_eq(&id) && s.type_name() == id.type_name())
        {
            seen.push(id);
            out.push(item);
        }
    }
    env.array(out)
}

fn sum(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 1)?;
    let key = key_of(a.get(0), env)?;
    let mut total = Number::Int(0);
    for item in flat_list(input, env)? {
        let value = match (&item, &key) {
            (Value::Object(_), None) => Value::Int(0),
            (Value::Object(_), key) => property(&item, key),
            (_, None) => item,
            (other, _) => {
                return Err(a.error(format!("cannot sum a property of a {}", other.type_name())));
            }
        };
        let number = value.as_number_strict().unwrap_or(Number::Int(0));
        total = apply_math(MathOp::Plus, total, number);
    }
    Ok(total.into_value())
}
