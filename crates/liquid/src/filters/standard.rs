//! Standard Liquid string filters.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

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
        "escape" | "h" => escape,
        "escape_once" => escape_once,
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
        "url_encode" => url_encode,
        "url_decode" => url_decode,
        "base64_encode" => base64_encode,
        "base64_decode" => base64_decode,
        "base64_url_safe_encode" => base64_url_safe_encode,
        "base64_url_safe_decode" => base64_url_safe_decode,
        "default" => default,
        _ => return None,
    })
}

fn s(value: &Value) -> std::borrow::Cow<'_, str> {
    value.to_str()
}

fn append(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(1, 1)?;
    Ok(Value::string(format!("{}{}", s(input), s(a.get(0)))))
}

fn prepend(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(1, 1)?;
    Ok(Value::string(format!("{}{}", s(a.get(0)), s(input))))
}

fn capitalize(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let text = s(input);
    let mut chars = text.chars();
    Ok(Value::string(match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.as_str().to_lowercase().chars())
            .collect(),
        None => String::new(),
    }))
}

fn downcase(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(Value::string(s(input).to_lowercase()))
}

fn upcase(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(Value::string(s(input).to_uppercase()))
}

pub(super) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn escape(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    Ok(Value::string(html_escape(&s(input))))
}

fn escape_once(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let text = s(input);
    let mut out = String::with_capacity(text.len());
    let mut rest = &*text;
    while let Some(c) = rest.chars().next() {
        if c == '&' {
            let entity_len = rest[1..].find(';').filter(|&n| {
                n > 0
                    && n < 10
                    && rest[1..1 + n]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '#')
            });
            if let Some(n) = entity_len {
                out.push_str(&rest[..n + 2]);
                rest = &rest[n + 2..];
                continue;
            }
        }
        out.push_str(&html_escape(&c.to_string()));
        rest = &rest[c.len_utf8()..];
    }
    Ok(Value::string(out))
}

fn strip(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(Value::str(s(input).trim()))
}

fn lstrip(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(Value::str(s(input).trim_start()))
}

fn rstrip(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(Value::str(s(input).trim_end()))
}

fn strip_html(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let mut text = s(input).into_owned();
    for (open, close) in [
        ("<script", "</script>"),
        ("<style", "</style>"),
        ("<!--", "-->"),
    ] {
        text = remove_spans(&text, open, close);
    }
    text = remove_spans(&text, "<", ">");
    Ok(Value::string(text))
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

fn strip_newlines(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(Value::string(s(input).replace(['\r', '\n'], "")))
}

fn newline_to_br(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(Value::string(
        s(input).replace("\r\n", "\n").replace('\n', "<br />\n"),
    ))
}

fn remove(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(1, 1)?;
    let needle = s(a.get(0));
    if needle.is_empty() {
        return Ok(Value::string(s(input).into_owned()));
    }
    Ok(Value::string(s(input).replace(&*needle, "")))
}

fn remove_first(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(1, 1)?;
    Ok(Value::string(s(input).replacen(&*s(a.get(0)), "", 1)))
}

fn remove_last(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(1, 1)?;
    Ok(Value::string(replace_last_of(&s(input), &s(a.get(0)), "")))
}

fn replace_last_of(text: &str, needle: &str, with: &str) -> String {
    match text.rfind(needle) {
        Some(at) => format!("{}{}{}", &text[..at], with, &text[at + needle.len()..]),
        None => text.to_string(),
    }
}

fn replace(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(1, 2)?;
    let (text, needle, with) = (s(input), s(a.get(0)), s(a.get(1)));
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

fn replace_first(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(1, 2)?;
    Ok(Value::string(s(input).replacen(
        &*s(a.get(0)),
        &s(a.get(1)),
        1,
    )))
}

fn replace_last(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(2, 2)?;
    Ok(Value::string(replace_last_of(
        &s(input),
        &s(a.get(0)),
        &s(a.get(1)),
    )))
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

fn truncate(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 2)?;
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    let length = int_arg(a, 0, 50)?;
    let ellipsis = if a.args.len() > 1 {
        s(a.get(1)).into_owned()
    } else {
        "...".to_string()
    };
    let text = s(input);
    let count = text.chars().count() as i64;
    if count <= length {
        return Ok(Value::string(text.into_owned()));
    }
    let keep = (length - ellipsis.chars().count() as i64).max(0) as usize;
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(&ellipsis);
    Ok(Value::string(out))
}

fn truncatewords(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 2)?;
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    let words_wanted = int_arg(a, 0, 15)?.max(1) as usize;
    let ellipsis = if a.args.len() > 1 {
        s(a.get(1)).into_owned()
    } else {
        "...".to_string()
    };
    let text = s(input);
    let words: Vec<&str> = text.split_whitespace().take(words_wanted + 1).collect();
    if words.len() <= words_wanted {
        return Ok(Value::string(text.into_owned()));
    }
    Ok(Value::string(format!(
        "{}{}",
        words[..words_wanted].join(" "),
        ellipsis
    )))
}

pub(super) fn percent_encode(text: &str, keep: impl Fn(u8) -> bool, space_as_plus: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b == b' ' && space_as_plus {
            out.push('+');
        } else if b.is_ascii_alphanumeric() || keep(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn url_encode(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    Ok(Value::string(percent_encode(
        &s(input),
        |b| matches!(b, b'_' | b'.' | b'-' | b'~'),
        true,
    )))
}

fn url_decode(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let text = s(input).replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&text)
        .decode_utf8_lossy()
        .into_owned();
    Ok(Value::string(decoded))
}

fn base64_encode(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(Value::string(STANDARD.encode(s(input).as_bytes())))
}

fn base64_url_safe_encode(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(Value::string(URL_SAFE.encode(s(input).as_bytes())))
}

fn decode_with(input: &Value, a: &FilterArgs<'_>, engine: &base64::engine::GeneralPurpose) -> R {
    a.arity(0, 0)?;
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    let Value::Str(text) = input else {
        return Err(a.error("expected a string"));
    };
    let bytes = engine
        .decode(text.as_bytes())
        .map_err(|e| a.error(format!("invalid base64: {e}")))?;
    Ok(Value::string(String::from_utf8_lossy(&bytes).into_owned()))
}

fn base64_decode(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    decode_with(input, a, &STANDARD)
}

fn base64_url_safe_decode(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    decode_with(input, a, &URL_SAFE)
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
