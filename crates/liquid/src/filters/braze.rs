//! Braze's filters: hashing, encoding, JSON, property access, number formatting, time zones
//! and `money` without Shopify's division by 100.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::encoding::percent_encode;
use super::{FilterArgs, FilterEnv, FilterFn};
use crate::budget::ITEM_BYTES;
use crate::errors::RenderError;
use crate::value::{Json, Number, Value};

type R = Result<Value, RenderError>;

pub(super) fn lookup(name: &str) -> Option<FilterFn> {
    Some(match name {
        "md5" => md5,
        "sha1" => sha1,
        "sha2" => sha2,
        "hmac_sha1_hex" | "hmac_sha1" => hmac_sha1_hex,
        "hmac_sha1_base64" => hmac_sha1_base64,
        "hmac_sha256" | "hmac_sha256_hex" => hmac_sha256_hex,
        "hmac_sha256_base64" => hmac_sha256_base64,
        "hmac_sha512" => hmac_sha512,
        "url_escape" => url_escape,
        "url_param_escape" => url_param_escape,
        "json_escape" => json_escape,
        "json_parse" => json_parse,
        "as_json_string" => as_json_string,
        "property_accessor" => property_accessor,
        "number_with_delimiter" => number_with_delimiter,
        "money" => money,
        "time_zone" => time_zone,
        _ => return None,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn md5(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    env.string(hex(&Md5::digest(env.text(input)?.as_bytes())))
}

fn sha1(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    env.string(hex(&Sha1::digest(env.text(input)?.as_bytes())))
}

fn sha2(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    env.string(hex(&Sha256::digest(env.text(input)?.as_bytes())))
}

macro_rules! hmac_bytes {
    ($hash:ty, $input:expr, $a:expr, $env:expr) => {{
        $a.arity(1, 1)?;
        let key = $env.text($a.get(0))?;
        let mut mac = <Hmac<$hash>>::new_from_slice(key.as_bytes()).map_err(|e| $a.error(e))?;
        mac.update($env.text($input)?.as_bytes());
        mac.finalize().into_bytes()
    }};
}

fn hmac_sha1_hex(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    env.string(hex(&hmac_bytes!(Sha1, input, a, env)))
}

fn hmac_sha1_base64(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    env.string(STANDARD.encode(hmac_bytes!(Sha1, input, a, env)))
}

fn hmac_sha256_hex(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    env.string(hex(&hmac_bytes!(Sha256, input, a, env)))
}

fn hmac_sha256_base64(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    env.string(STANDARD.encode(hmac_bytes!(Sha256, input, a, env)))
}

fn hmac_sha512(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    env.string(hex(&hmac_bytes!(Sha512, input, a, env)))
}

/// Ruby's `URI.escape`: reserved and unreserved characters stay.
fn url_escape(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let keep = |b: u8| b"-_.!~*'();/?:@&=+$,[]".contains(&b);
    let text = env.text(input)?;
    Ok(Value::string(percent_encode(&text, keep, false, env)?))
}

/// Like `url_escape`, but reserved characters such as `&`, `=` and `?` are escaped too.
fn url_param_escape(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let keep = |b: u8| b"-_.!~*'()".contains(&b);
    let text = env.text(input)?;
    Ok(Value::string(percent_encode(&text, keep, false, env)?))
}

fn json_escape(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let quoted = json_within(&env.text(input)?, a, env)?;
    Ok(Value::str(&quoted[1..quoted.len() - 1]))
}

/// Bytes counted for the values `json_parse` makes from `text`: the text, and an item for
/// every comma, colon and opening bracket (each starts at most one value).
fn parsed_bytes(text: &str) -> usize {
    let starts = text
        .bytes()
        .filter(|b| matches!(b, b',' | b':' | b'[' | b'{'))
        .count();
    text.len()
        .saturating_add(starts.saturating_add(1).saturating_mul(ITEM_BYTES))
}

fn json_parse(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let text = env.text(input)?;
    env.charge(parsed_bytes(&text))?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(json) => Ok(Value::from_json(&json)),
        Err(_) => Ok(Value::Nil),
    }
}

fn as_json_string(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    json_within(&Json(input), a, env).map(Value::string)
}

/// A writer that refuses to hold more than the render's remaining budget.
struct Capped {
    bytes: Vec<u8>,
    max: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len().saturating_add(data.len()) > self.max {
            return Err(std::io::Error::other("over budget"));
        }
        self.bytes.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// JSON text of `value`, written within the budget and charged.
fn json_within(
    value: &(impl serde::Serialize + ?Sized),
    a: &FilterArgs<'_>,
    env: &FilterEnv,
) -> Result<String, RenderError> {
    let mut capped = Capped {
        bytes: Vec::new(),
        max: env.budget.remaining(),
    };
    match serde_json::to_writer(&mut capped, value) {
        Ok(()) => {}
        Err(e) if e.is_io() => return Err(env.budget.exceeded()),
        Err(e) => return Err(a.error(e)),
    }
    env.charge(capped.bytes.len())?;
    String::from_utf8(capped.bytes).map_err(|e| a.error(e))
}

fn property_accessor(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 1)?;
    Ok(input.get_key(&env.text(a.get(0))?))
}

fn group_thousands(int_digits: &str) -> String {
    let mut out = String::with_capacity(int_digits.len() + int_digits.len() / 3);
    for (i, c) in int_digits.chars().enumerate() {
        if i > 0 && (int_digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn number_with_delimiter(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let Some(number) = input.as_number_strict() else {
        return Ok(input.clone());
    };
    let text = number.into_value().to_str().into_owned();
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int_part, frac_part) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let mut out = format!("{sign}{}", group_thousands(int_part));
    if let Some(f) = frac_part {
        out.push('.');
        out.push_str(f);
    }
    env.string(out)
}

/// Braze's `money`: two decimals, no division by 100 (`145` → `145.00`).
fn money(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let value = match input.to_number() {
        Number::Int(i) => i as f64,
        Number::Float(f) => f,
    };
    env.string(format!("{value:.2}"))
}

/// Converts a date into a time zone (an IANA name or an offset such as `-0005`); the
/// result is a date string that `date` formats in that zone.
fn time_zone(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 1)?;
    let Some(datetime) = super::date::to_datetime(input, env.now) else {
        return Ok(input.clone());
    };
    let zone = env.text(a.get(0))?;
    let converted = if let Ok(tz) = zone.parse::<chrono_tz::Tz>() {
        let local = datetime.with_timezone(&tz);
        local.fixed_offset()
    } else if let Some(offset) = parse_offset(&zone) {
        datetime.with_timezone(&offset)
    } else {
        return Err(a.error(format!("unknown time zone `{zone}`")));
    };
    env.string(converted.format("%Y-%m-%d %H:%M:%S %z").to_string())
}

fn parse_offset(text: &str) -> Option<chrono::FixedOffset> {
    let (sign, digits) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    chrono::FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}
