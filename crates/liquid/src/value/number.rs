//! Numbers: coercion from any value, Ruby-style float formatting, and decimal-exact
//! arithmetic for the math filters (`10.1 | minus: 2.2` is `7.9`, as in Liquid).

use super::Value;

/// A number as the math filters see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    pub fn to_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    pub fn into_value(self) -> Value {
        match self {
            Number::Int(i) => Value::Int(i),
            Number::Float(f) => Value::Float(f),
        }
    }

    pub fn is_zero(self) -> bool {
        self.to_f64() == 0.0
    }
}

impl Value {
    /// Numeric coercion used by math filters: strings are parsed (leading number only),
    /// anything else that is not a number is `0`.
    pub fn to_number(&self) -> Number {
        match self {
            Value::Int(i) => Number::Int(*i),
            Value::Float(f) => Number::Float(*f),
            Value::Str(s) => parse_number(s).unwrap_or(Number::Int(0)),
            _ => Number::Int(0),
        }
    }

    /// A number if the value is one or is a string holding exactly one.
    pub fn as_number_strict(&self) -> Option<Number> {
        match self {
            Value::Int(i) => Some(Number::Int(*i)),
            Value::Float(f) => Some(Number::Float(*f)),
            Value::Str(s) => parse_number(s.trim()),
            _ => None,
        }
    }

    /// Integer coercion (range bounds, loop limits): floats truncate, strings parse.
    pub fn to_integer(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.is_finite() => Some(*f as i64),
            Value::Str(s) => match parse_number(s.trim())? {
                Number::Int(i) => Some(i),
                Number::Float(f) if f.is_finite() => Some(f as i64),
                Number::Float(_) => None,
            },
            Value::Nil => Some(0),
            _ => None,
        }
    }
}

/// Parses a decimal integer or float with an optional sign; `None` if the whole string is not one.
pub fn parse_number(s: &str) -> Option<Number> {
    let bytes = s.as_bytes();
    let digits = bytes
        .strip_prefix(b"-")
        .or_else(|| bytes.strip_prefix(b"+"))
        .unwrap_or(bytes);
    if digits.is_empty() || !digits[0].is_ascii_digit() {
        return None;
    }
    if digits.iter().all(u8::is_ascii_digit) {
        return Some(match s.parse::<i64>() {
            Ok(i) => Number::Int(i),
            Err(_) => Number::Float(s.parse::<f64>().ok()?),
        });
    }
    let valid = digits
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.iter().filter(|b| **b == b'.').count() <= 1;
    if !valid {
        return None;
    }
    s.parse::<f64>().ok().map(Number::Float)
}

/// Formats a float the way Ruby does: `5.0`, `7.9`, `1.0e+20`, `1.0e-05`.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let abs = f.abs();
    if abs == 0.0 || (1e-4..1e16).contains(&abs) {
        let s = format!("{f}");
        return if s.contains('.') { s } else { format!("{s}.0") };
    }
    let s = format!("{f:e}");
    let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.to_string()
    } else {
        format!("{mantissa}.0")
    };
    let (sign, digits) = match exponent.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exponent),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

/// A float as an exact decimal `mantissa * 10^-scale`, from its shortest representation.
fn decimal(f: f64) -> Option<(i128, u32)> {
    if !f.is_finite() {
        return None;
    }
    let s = format!("{f}");
    if s.len() > 30 {
        return None;
    }
    let (int_part, frac_part) = s.split_once('.').unwrap_or((&s, ""));
    let mantissa: i128 = format!("{int_part}{frac_part}").parse().ok()?;
    Some((mantissa, frac_part.len() as u32))
}

fn from_decimal(mantissa: i128, scale: u32) -> f64 {
    let digits = mantissa.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int_part, frac_part) = padded.split_at(padded.len() - scale);
    let sign = if mantissa < 0 { "-" } else { "" };
    format!("{sign}{int_part}.{frac_part}0")
        .parse()
        .unwrap_or(0.0)
}

fn align(a: f64, b: f64) -> Option<(i128, i128, u32)> {
    let (ma, sa) = decimal(a)?;
    let (mb, sb) = decimal(b)?;
    let scale = sa.max(sb);
    let ma = ma.checked_mul(10i128.checked_pow(scale - sa)?)?;
    let mb = mb.checked_mul(10i128.checked_pow(scale - sb)?)?;
    Some((ma, mb, scale))
}

/// Arithmetic operators shared by the math filters.
#[derive(Debug, Clone, Copy)]
pub enum MathOp {
    Plus,
    Minus,
    Times,
    Modulo,
}

/// Applies `op`: integer arithmetic when both are integers (overflow falls back to float),
/// decimal-exact arithmetic when either is a float.
pub fn apply_math(op: MathOp, a: Number, b: Number) -> Number {
    if let (Number::Int(x), Number::Int(y)) = (a, b) {
        let result = match op {
            MathOp::Plus => x.checked_add(y),
            MathOp::Minus => x.checked_sub(y),
            MathOp::Times => x.checked_mul(y),
            MathOp::Modulo => x
                .checked_rem_euclid(y)
                .map(|r| if y < 0 && r != 0 { r + y } else { r }),
        };
        if let Some(r) = result {
            return Number::Int(r);
        }
    }
    let (x, y) = (a.to_f64(), b.to_f64());
    let exact = align(x, y).and_then(|(ma, mb, scale)| match op {
        MathOp::Plus => Some(from_decimal(ma.checked_add(mb)?, scale)),
        MathOp::Minus => Some(from_decimal(ma.checked_sub(mb)?, scale)),
        MathOp::Times => {
            let (ma, sa) = decimal(x)?;
            let (mb, sb) = decimal(y)?;
            Some(from_decimal(ma.checked_mul(mb)?, sa + sb))
        }
        MathOp::Modulo => {
            if mb == 0 {
                return None;
            }
            let r = ma.rem_euclid(mb);
            let r = if mb < 0 && r != 0 { r + mb } else { r };
            Some(from_decimal(r, scale))
        }
    });
    Number::Float(exact.unwrap_or_else(|| match op {
        MathOp::Plus => x + y,
        MathOp::Minus => x - y,
        MathOp::Times => x * y,
        MathOp::Modulo => x - y * (x / y).floor(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_format_like_ruby() {
        assert_eq!(format_float(5.0), "5.0");
        assert_eq!(format_float(7.9), "7.9");
        assert_eq!(format_float(1e20), "1.0e+20");
        assert_eq!(format_float(1e-5), "1.0e-05");
        assert_eq!(format_float(-0.5), "-0.5");
    }

    #[test]
    fn decimal_math_is_exact() {
        assert_eq!(
            apply_math(MathOp::Minus, Number::Float(10.1), Number::Float(2.2)),
            Number::Float(7.9)
        );
        assert_eq!(
            apply_math(MathOp::Modulo, Number::Float(10.1), Number::Float(7.0)),
            Number::Float(3.1)
        );
        assert_eq!(
            apply_math(MathOp::Times, Number::Int(5), Number::Float(2.1)),
            Number::Float(10.5)
        );
        assert_eq!(
            apply_math(MathOp::Plus, Number::Int(i64::MAX), Number::Int(1)),
            Number::Float(i64::MAX as f64 + 1.0)
        );
        assert_eq!(
            apply_math(MathOp::Modulo, Number::Int(-7), Number::Int(3)),
            Number::Int(2)
        );
    }
}
