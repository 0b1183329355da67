//! Filters that encode or escape text: HTML escaping, percent-encoding and base64. Each
//! sizes its result first and charges it to the render's budget before building it.

use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use super::{FilterArgs, FilterEnv, FilterFn};
use crate::errors::RenderError;
use crate::value::Value;

type R = Result<Value, RenderError>;

pub(super) fn lookup(name: &str) -> Option<FilterFn> {
    Some(match name {
        "escape" | "h" => escape,
        "escape_once" => escape_once,
        "url_encode" => url_encode,
        "url_decode" => url_decode,
        "base64_encode" => base64_encode,
        "base64_decode" => base64_decode,
        "base64_url_safe_encode" => base64_url_safe_encode,
        "base64_url_safe_decode" => base64_url_safe_decode,
        _ => return None,
    })
}

fn html_entity(c: char) -> Option<&'static str> {
    Some(match c {
        '&' => "&amp;",
        '<' => "&lt;",
        '>' => "&gt;",
        '"' => "&quot;",
        '\'' => "&#39;",
        _ => return None,
    })
}

/// The size of `text` once HTML-escaped.
fn escaped_len(text: &str) -> usize {
    let extra: usize = text
        .chars()
        .filter_map(html_entity)
        .map(|entity| entity.len() - 1)
        .sum();
    text.len().saturating_add(extra)
}

fn push_escaped(out: &mut String, c: char) {
    match html_entity(c) {
        Some(entity) => out.push_str(entity),
        None => out.push(c),
    }
}

fn escape(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    let text = env.text(input)?;
    let len = escaped_len(&text);
    env.charge(len)?;
    let mut out = String::with_capacity(len);
    text.chars().for_each(|c| push_escaped(&mut out, c));
    Ok(Value::string(out))
}

fn escape_once(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let text = env.text(input)?;
    let len = escaped_len(&text);
    env.charge(len)?;
    let mut out = String::with_capacity(len);
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
        push_escaped(&mut out, c);
        rest = &rest[c.len_utf8()..];
    }
    Ok(Value::string(out))
}

/// Percent-encodes every byte but ASCII alphanumerics and those `keep` allows, sized and
/// charged first.
pub(super) fn percent_encode(
    text: &str,
    keep: impl Fn(u8) -> bool,
    space_as_plus: bool,
    env: &FilterEnv,
) -> Result<String, RenderError> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || keep(b) || (b == b' ' && space_as_plus);
    let escaped = text.bytes().filter(|b| !plain(*b)).count();
    let len = text.len().saturating_add(escaped.saturating_mul(2));
    env.charge(len)?;
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(len);
    for b in text.bytes() {
        if b == b' ' && space_as_plus {
            out.push('+');
        } else if plain(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
    Ok(out)
}

fn url_encode(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    let keep = |b| matches!(b, b'_' | b'.' | b'-' | b'~');
    Ok(Value::string(percent_encode(
        &env.text(input)?,
        keep,
        true,
        env,
    )?))
}

fn url_decode(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let text = env.text(input)?.replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&text)
        .decode_utf8_lossy()
        .into_owned();
    env.string(decoded)
}

fn encode_with(
    input: &Value,
    a: &FilterArgs<'_>,
    env: &FilterEnv,
    engine: &impl base64::Engine,
) -> R {
    a.arity(0, 0)?;
    let text = env.text(input)?;
    env.charge(text.len().div_ceil(3).saturating_mul(4))?;
    Ok(Value::string(engine.encode(text.as_bytes())))
}

fn base64_encode(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    encode_with(input, a, env, &STANDARD)
}

fn base64_url_safe_encode(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    encode_with(input, a, env, &URL_SAFE)
}

fn decode_with(
    input: &Value,
    a: &FilterArgs<'_>,
    env: &FilterEnv,
    engine: &impl base64::Engine,
) -> R {
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
    env.string(String::from_utf8_lossy(&bytes).into_owned())
}

fn base64_decode(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    decode_with(input, a, env, &STANDARD)
}

fn base64_url_safe_decode(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    decode_with(input, a, env, &URL_SAFE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_exact() {
        let env = FilterEnv::new(chrono::Utc::now(), crate::Limits::default());
        let text = "a<b & 'c' \"d\" é";
        assert_eq!(escaped_len(text), {
            let mut out = String::new();
            text.chars().for_each(|c| push_escaped(&mut out, c));
            out.len()
        });
        let encoded = percent_encode("a b/é", |_| false, true, &env).expect("fits");
        assert_eq!(encoded, "a+b%2F%C3%A9");
        assert_eq!(
            env.budget.remaining(),
            crate::Limits::default().max_value_bytes - 12
        );
    }
}
