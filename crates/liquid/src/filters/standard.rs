//! Standard Liquid string filters. A result that can outgrow its inputs is sized and
//! charged to the render's budget before it is built; others are charged once built.

use super::{FilterArgs, FilterEnv, FilterFn};
use crate::errors::RenderError;
use crate::value::Value;

type R = Result<Value, RenderError>;

pub(super) fn lookup(name: &str) -> Option<FilterFn> {
    Some(match name {
        "append" => append,
        "prepend" => prepend,
        "capitalize" => capitalize,
        "downcase" => downcase,
        "upcase" => upcase,
        "strip" => strip,
        "lstrip" => lstrip,
        "rstrip" => rstrip,
        "strip_html" => strip_html,
        "strip_newlines" => strip_newlines,
        "newline_to_br" => newline_to_br,
        "remove" => remove,
        "remove_first" => remove_first,
        "remove_last" => remove_last,
        "replace" => replace,
        "replace_first" => replace_first,
        "replace_last" => replace_last,
        "truncate" => truncate,
        "truncatewords" => truncatewords,
        "default" => default,
        _ => return None,
    })
}

/// `first` then `second`, charged before it is made.
fn joined(env: &FilterEnv, first: &str, second: &str) -> R {
    let len = first.len().saturating_add(second.len());
    env.charge(len)?;
    let mut out = String::with_capacity(len);
    out.push_str(first);
    out.push_str(second);
    Ok(Value::string(out))
}

fn append(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 1)?;
    joined(env, &env.text(input)?, &env.text(a.get(0))?)
}

fn prepend(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 1)?;
    joined(env, &env.text(a.get(0))?, &env.text(input)?)
}

fn capitalize(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let text = env.text(input)?;
    let mut chars = text.chars();
    env.string(match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.as_str().to_lowercase().chars())
            .collect(),
        None => String::new(),
    })
}

fn downcase(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    env.string(env.text(input)?.to_lowercase())
}

fn upcase(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    env.string(env.text(input)?.to_uppercase())
}

/// `part` of the text of `input`: the input itself when nothing was cut from a string.
fn part_of(input: &Value, text: &str, part: &str, env: &FilterEnv) -> R {
    if part.len() == text.len() && matches!(input, Value::Str(_)) {
        return Ok(input.clone());
    }
    env.charge(part.len())?;
    Ok(Value::str(part))
}

fn strip(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let text = env.text(input)?;
    part_of(input, &text, text.trim(), env)
}

fn lstrip(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let text = env.text(input)?;
    part_of(input, &text, text.trim_start(), env)
}

fn rstrip(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let text = env.text(input)?;
    part_of(input, &text, text.trim_end(), env)
}

fn strip_html(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let mut text = env.text(input)?.into_owned();
    for (open, close) in [
        ("<script", "</script>"),
        ("<style", "</style>"),
        ("<!--", "-->"),
    ] {
        text = remove_spans(&text, open, close);
    }
    text = remove_spans(&text, "<", ">");
    env.string(text)
}

/// Removes every `open … close` span (case-insensitive open for tags).
fn remove_spans(text: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let lower = text.to_ascii_lowercase();
    let mut pos = 0;
    while let Some(found) = lower[pos..].find(open) {
        let start = pos + found;
        match lower[start + open.len()..].find(close) {
            Some(end) => {
                out.push_str(&text[pos..start]);
                pos = start + open.len() + end + close.len();
            }
            None => break,
        }
    }
    out.push_str(&text[pos..]);
    out
}

fn strip_newlines(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    env.string(env.text(input)?.replace(['\r', '\n'], ""))
}

fn newline_to_br(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let text = env.text(input)?;
    let newlines = text.bytes().filter(|b| *b == b'\n').count();
    env.charge(text.len().saturating_add(newlines.saturating_mul(6)))?;
    Ok(Value::string(
        text.replace("\r\n", "\n").replace('\n', "<br />\n"),
    ))
}

fn remove(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 1)?;
    let (text, needle) = (env.text(input)?, env.text(a.get(0))?);
    if needle.is_empty() {
        return env.string(text.into_owned());
    }
    env.string(text.replace(&*needle, ""))
}

fn remove_first(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 1)?;
    let (text, needle) = (env.text(input)?, env.text(a.get(0))?);
    env.string(text.replacen(&*needle, "", 1))
}

fn remove_last(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 1)?;
    let (text, needle) = (env.text(input)?, env.text(a.get(0))?);
    env.string(replace_last_of(&text, &needle, ""))
}

fn replace_last_of(text: &str, needle: &str, with: &str) -> String {
    match text.rfind(needle) {
        Some(at) => format!("{}{}{}", &text[..at], with, &text[at + needle.len()..]),
        None => text.to_string(),
    }
}

/// The size of `text` with every `needle` replaced by `with`, counted before replacing.
fn replaced_len(text: &str, needle: &str, with: &str) -> usize {
    if needle.is_empty() {
        let slots = text.chars().count().saturating_add(1);
        return text.len().saturating_add(with.len().saturating_mul(slots));
    }
    if with.len() <= needle.len() {
        return text.len();
    }
    let found = text.matches(needle).count();
    text.len()
        .saturating_add(found.saturating_mul(with.len() - needle.len()))
}

fn replace(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 2)?;
    let (text, needle, with) = (env.text(input)?, env.text(a.get(0))?, env.text(a.get(1))?);
    env.charge(replaced_len(&text, &needle, &with))?;
    if needle.is_empty() {
        let mut out = String::with_capacity(text.len() * (with.len() + 1) + with.len());
        out.push_str(&with);
        for c in text.chars() {
            out.push(c);
            out.push_str(&with);
        }
        return Ok(Value::string(out));
    }
    Ok(Value::string(text.replace(&*needle, &with)))
}

fn replace_first(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 2)?;
    let (text, needle, with) = (env.text(input)?, env.text(a.get(0))?, env.text(a.get(1))?);
    env.charge(text.len().saturating_add(with.len()))?;
    Ok(Value::string(text.replacen(&*needle, &with, 1)))
}

fn replace_last(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(2, 2)?;
    let (text, needle, with) = (env.text(input)?, env.text(a.get(0))?, env.text(a.get(1))?);
    env.charge(text.len().saturating_add(with.len()))?;
    Ok(Value::string(replace_last_of(&text, &needle, &with)))
}

fn int_arg(a: &FilterArgs<'_>, i: usize, default: i64) -> Result<i64, RenderError> {
    match a.args.get(i) {
        None => Ok(default),
        Some(Value::Int(n)) => Ok(*n),
        Some(Value::Str(text)) => text
            .trim()
            .parse()
            .map_err(|_| a.error("expected an integer")),
        Some(_) => Err(a.error("expected an integer")),
    }
}

/// The ellipsis argument of `truncate` and `truncatewords`.
fn ellipsis<'a>(
    a: &'a FilterArgs<'_>,
    env: &FilterEnv,
) -> Result<std::borrow::Cow<'a, str>, RenderError> {
    if a.args.len() > 1 {
        env.text(a.get(1))
    } else {
        Ok("...".into())
    }
}

fn truncate(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 2)?;
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    let length = int_arg(a, 0, 50)?;
    let ellipsis = ellipsis(a, env)?;
    let text = env.text(input)?;
    let count = text.chars().count() as i64;
    if count <= length {
        return part_of(input, &text, &text, env);
    }
    let keep = (length - ellipsis.chars().count() as i64).max(0) as usize;
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(&ellipsis);
    env.string(out)
}

fn truncatewords(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 2)?;
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    let words_wanted = int_arg(a, 0, 15)?.max(1) as usize;
    let ellipsis = ellipsis(a, env)?;
    let text = env.text(input)?;
    let words: Vec<&str> = text.split_whitespace().take(words_wanted + 1).collect();
    if words.len() <= words_wanted {
        return part_of(input, &text, &text, env);
    }
    env.string(format!("{}{}", words[..words_wanted].join(" "), ellipsis))
}

fn default(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 1)?;
    let allow_false = a.kwarg("allow_false").is_some_and(Value::is_truthy);
    let use_default = match input {
        Value::Bool(false) => !allow_false,
        Value::Nil => true,
        other => other.is_empty_value(),
    };
    Ok(if use_default {
        a.get(0).clone()
    } else {
        input.clone()
    })
}
