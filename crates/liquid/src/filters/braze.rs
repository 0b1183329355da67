//! Braze's filters: hashing, encoding, JSON, property access, number formatting, time zones
//! and `money` without Shopify's division by 100.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::standard::percent_encode;
use super::{FilterArgs, FilterEnv, FilterFn};
use crate::errors::RenderError;
use crate::value::{Number, Value};

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

fn md5(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(Value::string(hex(&Md5::digest(input.to_str().as_bytes()))))
}

fn sha1(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(Value::string(hex(&Sha1::digest(input.to_str().as_bytes()))))
}

fn sha2(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(Value::string(hex(&Sha256::digest(
        input.to_str().as_bytes(),
    ))))
}

macro_rules! hmac_bytes {
    ($hash:ty, $input:expr, $a:expr) => {{
        $a.arity(1, 1)?;
        let key = $a.get(0).to_str();
        let mut mac = <Hmac<$hash>>::new_from_slice(key.as_bytes()).map_err(|e| $a.error(e))?;
        mac.update($input.to_str().as_bytes());
        mac.finalize().into_bytes()
    }};
}

fn hmac_sha1_hex(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    Ok(Value::string(hex(&hmac_bytes!(Sha1, input, a))))
}

fn hmac_sha1_base64(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    Ok(Value::string(STANDARD.encode(hmac_bytes!(Sha1, input, a))))
}

fn hmac_sha256_hex(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    Ok(Value::string(hex(&hmac_bytes!(Sha256, input, a))))
}

fn hmac_sha256_base64(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    Ok(Value::string(
        STANDARD.encode(hmac_bytes!(Sha256, input, a)),
    ))
}

fn hmac_sha512(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    Ok(Value::string(hex(&hmac_bytes!(Sha512, input, a))))
}

/// Ruby's `URI.escape`: reserved and unreserved characters stay.
fn url_escape(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let keep = |b: u8| b"-_.!~*'();/?:@&=+$,[]".contains(&b);
    Ok(Value::string(percent_encode(&input.to_str(), keep, false)))
}

/// Like `url_escape`, but reserved characters such as `&`, `=` and `?` are escaped too.
fn url_param_escape(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let keep = |b: u8| b"-_.!~*'()".contains(&b);
    Ok(Value::string(percent_encode(&input.to_str(), keep, false)))
}

fn json_escape(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let quoted = serde_json::to_string(&*input.to_str()).map_err(|e| a.error(e))?;
    Ok(Value::str(&quoted[1..quoted.len() - 1]))
}

fn json_parse(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    match serde_json::from_str::<serde_json::Value>(&input.to_str()) {
        Ok(json) => Ok(Value::from_json(&json)),
        Err(_) => Ok(Value::Nil),
    }
}

fn as_json_string(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    serde_json::to_string(&input.to_json())
        .map(Value::string)
        .map_err(|e| a.error(e))
}

fn property_accessor(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(1, 1)?;
    Ok(input.get_key(&a.get(0).to_str()))
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

fn number_with_delimiter(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
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
    Ok(Value::string(out))
}

/// Braze's `money`: two decimals, no division by 100 (`145` → `145.00`).
fn money(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    let value = match input.to_number() {
        Number::Int(i) => i as f64,
        Number::Float(f) => f,
    };
    Ok(Value::string(format!("{value:.2}")))
}

/// Converts a date into a time zone (an IANA name or an offset such as `-0005`); the
/// result is a date string that `date` formats in that zone.
fn time_zone(input: &Value, a: &FilterArgs<'_>, env: &FilterEnv) -> R {
    a.arity(1, 1)?;
    let Some(datetime) = super::date::to_datetime(input, env.now) else {
        return Ok(input.clone());
    };
    let zone = a.get(0).to_str();
    let converted = if let Ok(tz) = zone.parse::<chrono_tz::Tz>() {
        let local = datetime.with_timezone(&tz);
        local.fixed_offset()
    } else if let Some(offset) = parse_offset(&zone) {
        datetime.with_timezone(&offset)
    } else {
        return Err(a.error(format!("unknown time zone `{zone}`")));
    };
    Ok(Value::string(
        converted.format("%Y-%m-%d %H:%M:%S %z").to_string(),
    ))
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
