//! Math filters. Integer arithmetic stays integral; float arithmetic is decimal-exact.

use super::{FilterArgs, FilterEnv, FilterFn};
use crate::errors::RenderError;
use crate::value::{Number, Value, number::MathOp, number::apply_math};

type R = Result<Value, RenderError>;

pub(super) fn lookup(name: &str) -> Option<FilterFn> {
    Some(match name {
        "abs" => abs,
        "ceil" => ceil,
        "floor" => floor,
        "round" => round,
        "plus" => plus,
        "minus" => minus,
        "times" => times,
        "divided_by" => divided_by,
        "modulo" => modulo,
        "at_least" => at_least,
        "at_most" => at_most,
        _ => return None,
    })
}

fn abs(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(match input.to_number() {
        Number::Int(i) => Value::Int(i.saturating_abs()),
        Number::Float(f) => Value::Float(f.abs()),
    })
}

fn float_to_int(f: f64) -> Value {
    if f.is_finite() && f.abs() < 9.0e18 {
        Value::Int(f as i64)
    } else {
        Value::Float(f)
    }
}

fn ceil(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(match input.to_number() {
        Number::Int(i) => Value::Int(i),
        Number::Float(f) => float_to_int(f.ceil()),
    })
}

fn floor(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 0)?;
    Ok(match input.to_number() {
        Number::Int(i) => Value::Int(i),
        Number::Float(f) => float_to_int(f.floor()),
    })
}

fn round(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(0, 1)?;
    let digits = match a.get(0) {
        Value::Nil => 0,
        other => other.to_integer().unwrap_or(0),
    };
    Ok(match input.to_number() {
        Number::Int(i) if digits >= 0 => Value::Int(i),
        number => {
            let f = number.to_f64();
            if digits <= 0 {
                let scale = 10f64.powi(digits.clamp(-300, 0).unsigned_abs() as i32);
                float_to_int((f / scale).round() * scale)
            } else {
                let digits = digits.min(15) as usize;
                Value::Float(format!("{f:.digits$}").parse().unwrap_or(f))
            }
        }
    })
}

fn binary(op: MathOp, input: &Value, a: &FilterArgs<'_>) -> R {
    a.arity(1, 1)?;
    Ok(apply_math(op, input.to_number(), a.get(0).to_number()).into_value())
}

fn plus(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    binary(MathOp::Plus, input, a)
}

fn minus(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    binary(MathOp::Minus, input, a)
}

fn times(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    binary(MathOp::Times, input, a)
}

fn divisor(a: &FilterArgs<'_>) -> Result<Number, RenderError> {
    a.arity(1, 1)?;
    let divisor = a.get(0);
    if divisor.is_nil() {
        return Err(a.error("divisor is nil"));
    }
    let number = divisor.to_number();
    if number.is_zero() {
        return Err(a.error("divided by 0"));
    }
    Ok(number)
}

fn divided_by(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    let d = divisor(a)?;
    Ok(match (input.to_number(), d) {
        (Number::Int(x), Number::Int(y)) => match (x.checked_div(y), x.checked_rem(y)) {
            // Floor division, as Ruby does for integers.
            (Some(q), Some(r)) => Value::Int(if r != 0 && ((r < 0) != (y < 0)) {
                q - 1
            } else {
                q
            }),
            _ => Value::Float(x as f64 / y as f64),
        },
        (x, y) => Value::Float(x.to_f64() / y.to_f64()),
    })
}

fn modulo(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    let d = divisor(a)?;
    Ok(apply_math(MathOp::Modulo, input.to_number(), d).into_value())
}

fn at_least(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(1, 1)?;
    let (x, y) = (input.to_number(), a.get(0).to_number());
    Ok(if y.to_f64() > x.to_f64() { y } else { x }.into_value())
}

fn at_most(input: &Value, a: &FilterArgs<'_>, _: &FilterEnv) -> R {
    a.arity(1, 1)?;
    let (x, y) = (input.to_number(), a.get(0).to_number());
    Ok(if y.to_f64() < x.to_f64() { y } else { x }.into_value())
}
