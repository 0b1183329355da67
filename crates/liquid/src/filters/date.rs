//! The `date` filter: parsing dates and a bounded `strftime` (Ruby's directives, flags and
//! widths, plus `%s`). Widths beyond the configured limit are an error, never an allocation.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};

use super::{FilterArgs, FilterEnv};
use crate::errors::{LimitKind, RenderError};
use crate::value::Value;

pub(super) fn date(
    input: &Value,
    a: &FilterArgs<'_>,
    env: &FilterEnv,
) -> Result<Value, RenderError> {
    a.arity(1, 1)?;
    let format = match a.get(0) {
        Value::Nil => return Ok(input.clone()),
        other => env.text(other)?,
    };
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    if format.is_empty() {
        return Ok(input.clone());
    }
    let Some(datetime) = to_datetime(input, env.now) else {
        return Ok(input.clone());
    };
    let max_len = env.budget.remaining();
    match strftime(&format, &datetime, env.limits.max_format_width, max_len) {
        Ok(text) => env.string(text),
        Err(RenderError::Limit {
            kind: LimitKind::ValueBytes,
            ..
        }) => Err(env.budget.exceeded()),
        Err(e) => Err(e),
    }
}

/// Interprets a value as a date: `now`/`today`, a Unix timestamp, or a date string.
pub(crate) fn to_datetime(input: &Value, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    let utc = FixedOffset::east_opt(0)?;
    match input {
        Value::Int(seconds) => Utc
            .timestamp_opt(*seconds, 0)
            .single()
            .map(|d| d.with_timezone(&utc)),
        Value::Float(seconds) if seconds.is_finite() => Utc
            .timestamp_opt(seconds.trunc() as i64, 0)
            .single()
            .map(|d| d.with_timezone(&utc)),
        Value::Str(text) => {
            let text = text.trim();
            match text.to_ascii_lowercase().as_str() {
                "now" | "today" => return Some(now.with_timezone(&utc)),
                _ => {}
            }
            if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
                let seconds: i64 = text.parse().ok()?;
                return Utc
                    .timestamp_opt(seconds, 0)
                    .single()
                    .map(|d| d.with_timezone(&utc));
            }
            parse_date_string(text)
        }
        _ => None,
    }
}

fn parse_date_string(text: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(text) {
        return Some(d);
    }
    for format in [
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(text, format) {
            return Some(d);
        }
    }
    let utc = FixedOffset::east_opt(0)?;
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%d %H:%M:%S UTC",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(text, format) {
            return Some(utc.from_utc_datetime(&d));
        }
    }
    for format in [
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%B %d, %Y",
        "%b %d, %Y",
        "%B %d %Y",
        "%b %d %Y",
        "%d %B %Y",
        "%d %b %Y",
        "%m/%d/%Y",
        "%a, %d %b %Y",
        "%A, %B %d, %Y",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(text, format) {
            return Some(utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?));
        }
    }
    None
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

enum Field {
    Num(i64, usize, char),
    Text(String),
}

/// Formats `datetime` with Ruby's `strftime` directives; fails with a `ValueBytes` limit of
/// `max_len` once the text passes `max_len` bytes.
pub(crate) fn strftime(
    format: &str,
    datetime: &DateTime<FixedOffset>,
    max_width: usize,
    max_len: usize,
) -> Result<String, RenderError> {
    let mut out = String::with_capacity(format.len() + 16);
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if out.len() > max_len {
            return Err(RenderError::Limit {
                kind: LimitKind::ValueBytes,
                limit: max_len as u64,
            });
        }
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = Vec::new();
        while let Some(&f) = chars.peek() {
            if matches!(f, '-' | '_' | '0' | '^' | '#' | ':') {
                flags.push(f);
                chars.next();
            } else {
                break;
            }
        }
        let mut width: Option<usize> = None;
        while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
            let w = width
                .unwrap_or(0)
                .saturating_mul(10)
                .saturating_add(d as usize);
            if w > max_width {
                return Err(RenderError::Limit {
                    kind: LimitKind::FormatWidth,
                    limit: max_width as u64,
                });
            }
            width = Some(w);
            chars.next();
        }
        let Some(conversion) = chars.next() else {
            out.push('%');
            break;
        };
        let field = match field(conversion, datetime, &flags, max_width)? {
            Some(field) => field,
            None => {
                out.push('%');
                out.extend(flags.iter());
                if let Some(w) = width {
                    out.push_str(&w.to_string());
                }
                out.push(conversion);
                continue;
            }
        };
        write_field(&mut out, field, &flags, width);
    }
    Ok(out)
}

fn write_field(out: &mut String, field: Field, flags: &[char], width: Option<usize>) {
    match field {
        Field::Num(n, default_width, default_pad) => {
            let pad = if flags.contains(&'-') {
                None
            } else if flags.contains(&'_') {
                Some(' ')
            } else if flags.contains(&'0') {
                Some('0')
            } else {
                Some(default_pad)
            };
            let digits = n.unsigned_abs().to_string();
            let sign = if n < 0 { "-" } else { "" };
            let width = width.unwrap_or(default_width);
            let len = digits.len() + sign.len();
            match pad {
                Some('0') if len < width => {
                    out.push_str(sign);
                    out.extend(std::iter::repeat_n('0', width - len));
                    out.push_str(&digits);
                }
                Some(p) if len < width => {
                    out.extend(std::iter::repeat_n(p, width - len));
                    out.push_str(sign);
                    out.push_str(&digits);
                }
                _ => {
                    out.push_str(sign);
                    out.push_str(&digits);
                }
            }
        }
        Field::Text(text) => {
            let text = if flags.contains(&'^') || flags.contains(&'#') {
                text.to_uppercase()
            } else {
                text
            };
            let len = text.chars().count();
            if let Some(w) = width.filter(|w| *w > len && !flags.contains(&'-')) {
                let pad = if flags.contains(&'0') { '0' } else { ' ' };
                out.extend(std::iter::repeat_n(pad, w - len));
            }
            out.push_str(&text);
        }
    }
}

fn field(
    c: char,
    d: &DateTime<FixedOffset>,
    flags: &[char],
    max_width: usize,
) -> Result<Option<Field>, RenderError> {
    let hour12 = match d.hour() % 12 {
        0 => 12,
        h => h,
    } as i64;
    let sub = |f: &str| strftime(f, d, max_width, usize::MAX).map(Field::Text);
    Ok(Some(match c {
        'Y' => Field::Num(d.year() as i64, 1, '0'),
        'C' => Field::Num(d.year().div_euclid(100) as i64, 2, '0'),
        'y' => Field::Num(d.year().rem_euclid(100) as i64, 2, '0'),
        'm' => Field::Num(d.month() as i64, 2, '0'),
        'B' => Field::Text(MONTHS[d.month0() as usize].to_string()),
        'b' | 'h' => Field::Text(MONTHS[d.month0() as usize][..3].to_string()),
        'd' => Field::Num(d.day() as i64, 2, '0'),
        'e' => Field::Num(d.day() as i64, 2, ' '),
        'j' => Field::Num(d.ordinal() as i64, 3, '0'),
        'H' => Field::Num(d.hour() as i64, 2, '0'),
        'k' => Field::Num(d.hour() as i64, 2, ' '),
        'I' => Field::Num(hour12, 2, '0'),
        'l' => Field::Num(hour12, 2, ' '),
        'M' => Field::Num(d.minute() as i64, 2, '0'),
        'S' => Field::Num(d.second() as i64, 2, '0'),
        'L' => Field::Num((d.nanosecond() / 1_000_000) as i64, 3, '0'),
        'N' => Field::Num(d.nanosecond() as i64, 9, '0'),
        'p' => Field::Text(if d.hour() < 12 { "AM" } else { "PM" }.to_string()),
        'P' => Field::Text(if d.hour() < 12 { "am" } else { "pm" }.to_string()),
        'A' => Field::Text(DAYS[d.weekday().num_days_from_sunday() as usize].to_string()),
        'a' => Field::Text(DAYS[d.weekday().num_days_from_sunday() as usize][..3].to_string()),
        'u' => Field::Num(d.weekday().number_from_monday() as i64, 1, '0'),
        'w' => Field::Num(d.weekday().num_days_from_sunday() as i64, 1, '0'),
        's' => Field::Num(d.timestamp(), 1, '0'),
        'U' => Field::Num(
            ((d.ordinal0() + 7 - d.weekday().num_days_from_sunday()) / 7) as i64,
            2,
            '0',
        ),
        'W' => Field::Num(
            ((d.ordinal0() + 7 - d.weekday().num_days_from_monday()) / 7) as i64,
            2,
            '0',
        ),
        'G' => Field::Num(d.iso_week().year() as i64, 1, '0'),
        'g' => Field::Num(d.iso_week().year().rem_euclid(100) as i64, 2, '0'),
        'V' => Field::Num(d.iso_week().week() as i64, 2, '0'),
        'z' => {
            let seconds = d.offset().local_minus_utc();
            let sign = if seconds < 0 { '-' } else { '+' };
            let (h, m) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
            let colon = if flags.contains(&':') { ":" } else { "" };
            Field::Text(format!("{sign}{h:02}{colon}{m:02}"))
        }
        'Z' => Field::Text(if d.offset().local_minus_utc() == 0 {
            "UTC".into()
        } else {
            d.format("%:z").to_string()
        }),
        '%' => Field::Text("%".into()),
        'n' => Field::Text("\n".into()),
        't' => Field::Text("\t".into()),
        'c' => sub("%a %b %e %H:%M:%S %Y")?,
        'D' | 'x' => sub("%m/%d/%y")?,
        'F' => sub("%Y-%m-%d")?,
        'T' | 'X' => sub("%H:%M:%S")?,
        'R' => sub("%H:%M")?,
        'r' => sub("%I:%M:%S %p")?,
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<FixedOffset> {
        parse_date_string(text).expect("a date")
    }

    #[test]
    fn directives_and_flags() {
        let d = at("2016-03-04T05:06:07Z");
        assert_eq!(
            strftime("%Y-%m-%d %H:%M:%S", &d, 100, 100).unwrap(),
            "2016-03-04 05:06:07"
        );
        assert_eq!(
            strftime("%-d %e %5Y %^b %s", &d, 100, 100).unwrap(),
            "4  4 02016 MAR 1457067967"
        );
    }

    #[test]
    fn huge_width_is_a_limit_error() {
        let d = at("2016-03-04");
        assert!(matches!(
            strftime("%5000000d", &d, 1024, 100),
            Err(RenderError::Limit {
                kind: LimitKind::FormatWidth,
                ..
            })
        ));
    }
}
