//! Array filters. Inputs are flattened first, as Liquid does.

use std::cmp::Ordering;

use super::{FilterArgs, FilterEnv, FilterFn, collection_limit, flat_list};
use crate::errors::RenderError;
use crate::value::{Number, Value, number::MathOp, number::apply_math};

type R = Result<Value, RenderError>;

pub(super) fn lookup(name: &str) -> Option<FilterFn> {
    Some(match name {
        "join" => join,
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
        "concat" => concat,
        "uniq" => uniq,
        "sum" => sum,
        "slice" => slice,
        "split" => split,
        _ => return None,
    })
}

fn join(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 1)?;
    let sep = if a.args.is_empty() {
        " ".into()
    } else {
        a.get(0).to_str()
    };
    match input {
        Value::Array(_) | Value::Range(..) => {
            let items = flat_list(input, env)?;
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&sep);
                }
                item.write_to(&mut out);
            }
            Ok(Value::string(out))
        }
        other => Ok(Value::string(other.to_str().into_owned())),
    }
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
    Ok(Value::array(items))
}

fn property(item: &Value, key: &Value) -> Value {
    match key {
        Value::Nil => item.clone(),
        key => item.get_index(&Value::str(&key.to_str())),
    }
}

fn sort(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 1)?;
    let mut items = flat_list(input, env)?;
    let key = a.get(0);
    let mut failure = None;
    items.sort_by(|x, y| {
        let (x, y) = (property(x, key), property(y, key));
        match (x.is_nil(), y.is_nil()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => match x.liquid_cmp(&y) {
                Ok(Some(order)) => order,
                _ => {
                    failure = Some(format!(
                        "cannot compare {} with {}",
                        x.type_name(),
                        y.type_name()
                    ));
                    Ordering::Equal
                }
            },
        }
    });
    match failure {
        Some(message) => Err(a.error(message)),
        None => Ok(Value::array(items)),
    }
}

fn sort_natural(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 1)?;
    let mut items = flat_list(input, env)?;
    let key = a.get(0);
    items.sort_by_cached_key(|item| {
        let value = property(item, key);
        (value.is_nil(), value.to_str().to_lowercase())
    });
    Ok(Value::array(items))
}

fn map(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 1)?;
    let key = a.get(0);
    let mut out = Vec::new();
    for item in flat_list(input, env)? {
        match item {
            Value::Object(_) if key.is_nil() => out.push(Value::Nil),
            Value::Object(_) => out.push(property(&item, key)),
            Value::Nil => out.push(Value::Nil),
            other => return Err(a.error(format!("cannot map over a {}", other.type_name()))),
        }
    }
    Ok(Value::array(out))
}

/// How one item matches `(key, value?)` for where/reject/find/find_index/has:
/// `Ok(None)` when the item makes the result undefined (a nil item).
fn matches(item: &Value, a: &FilterArgs<'_>) -> Result<Option<bool>, RenderError> {
    let key = a.get(0);
    let with_value = a.args.len() > 1 && !a.get(1).is_nil();
    match item {
        Value::Nil => Ok(None),
        Value::Object(_) => {
            let found = property(item, key);
            Ok(Some(if with_value {
                found.liquid_eq(a.get(1))
            } else {
                found.is_truthy()
            }))
        }
        Value::Str(text) => {
            let needle = key.to_str();
            let contains = text.contains(&*needle);
            Ok(Some(if with_value {
                contains && a.get(1).to_str() == needle
            } else {
                contains
            }))
        }
        other => match key {
            Value::Str(_) => Err(a.error(format!(
                "cannot look up a property of a {}",
                other.type_name()
            ))),
            key => Ok(Some(other.liquid_eq(key))),
        },
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
    let mut out = Vec::new();
    for item in flat_list(input, env)? {
        let keep = match &item {
            Value::Object(_) => {
                let found = property(&item, a.get(0));
                if a.args.len() > 1 && !a.get(1).is_nil() {
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
    Ok(Value::array(out))
}

fn reject(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 2)?;
    if a.get(0).is_nil() {
        return Ok(Value::Nil);
    }
    let mut out = Vec::new();
    for item in flat_list(input, env)? {
        match matches(&item, a)? {
            None => return Ok(Value::Nil),
            Some(true) => {}
            Some(false) => out.push(item),
        }
    }
    Ok(Value::array(out))
}

fn position(
    input: &Value,
    a: &FilterArgs<'_>,
    env: &FilterEnv,
) -> Result<Option<(usize, Value)>, Option<RenderError>> {
    a.arity(1, 2).map_err(Some)?;
    for (i, item) in flat_list(input, env).map_err(Some)?.into_iter().enumerate() {
        match matches(&item, a).map_err(Some)? {
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
    let key = a.get(0);
    let items = flat_list(input, env)?;
    Ok(Value::array(
        items
            .into_iter()
            .filter(|item| !property(item, key).is_nil())
            .collect(),
    ))
}

fn concat(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 1)?;
    if !matches!(a.get(0), Value::Array(_) | Value::Range(..)) {
        return Err(a.error("expected an array argument"));
    }
    let mut items = flat_list(input, env)?;
    items.extend(flat_list(a.get(0), env)?);
    if items.len() > env.limits.max_collection_len {
        return Err(collection_limit(env.limits.max_collection_len));
    }
    Ok(Value::array(items))
}

fn uniq(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 1)?;
    let key = a.get(0);
    let mut seen: Vec<Value> = Vec::new();
    let mut out = Vec::new();
    for item in flat_list(input, env)? {
        let id = property(&item, key);
        if !seen
            .iter()
            .any(|s| s.liquid_eq(&id) && s.type_name() == id.type_name())
        {
            seen.push(id);
            out.push(item);
        }
    }
    Ok(Value::array(out))
}

fn sum(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 1)?;
    let mut total = Number::Int(0);
    for item in flat_list(input, env)? {
        let value = match (&item, a.get(0)) {
            (Value::Object(_), Value::Nil) => Value::Int(0),
            (Value::Object(_), key) => property(&item, key),
            (_, Value::Nil) => item,
            (other, _) => {
                return Err(a.error(format!("cannot sum a property of a {}", other.type_name())));
            }
        };
        let number = value.as_number_strict().unwrap_or(Number::Int(0));
        total = apply_math(MathOp::Plus, total, number);
    }
    Ok(total.into_value())
}

fn slice_index(a: &FilterArgs<'_>, i: usize) -> Result<i64, RenderError> {
    match a.get(i) {
        Value::Int(n) => Ok(*n),
        Value::Str(text) => text
            .trim()
            .parse()
            .map_err(|_| a.error("expected an integer")),
        _ => Err(a.error("expected an integer")),
    }
}

fn slice(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 2)?;
    let start = slice_index(a, 0)?;
    let length = if a.args.len() > 1 && !a.get(1).is_nil() {
        slice_index(a, 1)?
    } else {
        1
    };
    let window = |len: usize| -> Option<(usize, usize)> {
        let len = len as i64;
        let start = if start < 0 { len + start } else { start };
        if start < 0 || start >= len || length <= 0 {
            return None;
        }
        let end = start.saturating_add(length).min(len);
        Some((start as usize, end as usize))
    };
    match input {
        Value::Array(_) | Value::Range(..) => {
            let items = flat_list(input, env)?;
            Ok(Value::array(
                window(items.len())
                    .map(|(s, e)| items[s..e].to_vec())
                    .unwrap_or_default(),
            ))
        }
        other => {
            let text = other.to_str();
            let chars: Vec<char> = text.chars().collect();
            Ok(Value::string(
                window(chars.len())
                    .map(|(s, e)| chars[s..e].iter().collect())
                    .unwrap_or_default(),
            ))
        }
    }
}

fn split(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 1)?;
    let text = input.to_str();
    let sep = a.get(0).to_str();
    let mut parts: Vec<Value> = if sep.is_empty() {
        text.chars().map(|c| Value::string(c.to_string())).collect()
    } else if sep == " " {
        text.split_whitespace().map(Value::str).collect()
    } else {
        text.split(&*sep).map(Value::str).collect()
    };
    while parts.last().is_some_and(|p| p.to_str().is_empty()) {
        parts.pop();
    }
    if parts.len() > env.limits.max_collection_len {
        return Err(collection_limit(env.limits.max_collection_len));
    }
    Ok(Value::array(parts))
}
