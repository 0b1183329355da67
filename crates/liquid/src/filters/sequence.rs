//! Filters between strings and arrays (`join`, `split`, `slice`, `concat`): each counts
//! what it makes as it goes, so a result past the render's budget is never built.

use super::{FilterArgs, FilterEnv, FilterFn, collection_limit, flat_list};
use crate::budget::ITEM_BYTES;
use crate::errors::RenderError;
use crate::value::Value;

type R = Result<Value, RenderError>;

pub(super) fn lookup(name: &str) -> Option<FilterFn> {
    Some(match name {
        "join" => join,
        "split" => split,
        "slice" => slice,
        "concat" => concat,
        _ => return None,
    })
}

fn join(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 1)?;
    let sep = if a.args.is_empty() {
        " ".into()
    } else {
        env.text(a.get(0))?
    };
    if !matches!(input, Value::Array(_) | Value::Range(..)) {
        return match input {
            Value::Str(_) => Ok(input.clone()),
            other => env.string(env.text(other)?.into_owned()),
        };
    }
    let items = flat_list(input, env)?;
    let max = env.budget.remaining();
    let seps = sep.len().saturating_mul(items.len().saturating_sub(1));
    if seps > max {
        return Err(env.budget.exceeded());
    }
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(&sep);
        }
        item.write_within(&mut out, max)
            .map_err(|_| env.budget.exceeded())?;
    }
    env.string(out)
}

fn split(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 1)?;
    let text = env.text(input)?;
    let sep = env.text(a.get(0))?;
    let parts = if sep.is_empty() {
        let chars = text.char_indices();
        collect_parts(chars.map(|(i, c)| &text[i..i + c.len_utf8()]), env)?
    } else if sep == " " {
        collect_parts(text.split_whitespace(), env)?
    } else {
        collect_parts(text.split(&*sep), env)?
    };
    Ok(Value::array(parts))
}

/// The parts as values, without trailing empty parts; fails past the collection limit
/// or the budget before making the part that passes it.
fn collect_parts<'t>(
    parts: impl Iterator<Item = &'t str>,
    env: &FilterEnv,
) -> Result<Vec<Value>, RenderError> {
    let max = env.limits.max_collection_len;
    let empty = Value::str("");
    let mut out = Vec::new();
    let mut empties = 0usize;
    for part in parts {
        if part.is_empty() {
            empties += 1;
            continue;
        }
        if out.len().saturating_add(empties) >= max {
            return Err(collection_limit(max));
        }
        env.charge(
            (empties + 1)
                .saturating_mul(ITEM_BYTES)
                .saturating_add(part.len()),
        )?;
        out.extend(std::iter::repeat_n(empty.clone(), empties));
        empties = 0;
        out.push(Value::str(part));
    }
    Ok(out)
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
    if let Value::Array(_) | Value::Range(..) = input {
        let items = flat_list(input, env)?;
        let window = window(items.len()).map(|(s, e)| items[s..e].to_vec());
        return env.array(window.unwrap_or_default());
    }
    let text = env.text(input)?;
    let Some((from, to)) = window(text.chars().count()) else {
        return Ok(Value::str(""));
    };
    let byte = |n: usize| text.char_indices().nth(n).map_or(text.len(), |(i, _)| i);
    env.charge(byte(to) - byte(from))?;
    Ok(Value::str(&text[byte(from)..byte(to)]))
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
    env.array(items)
}
