//! A span of time written in the config as whole seconds (`3600`) or with a unit (`"30s"`,
//! `"15m"`, `"2h"`, `"1d"`, `"1w"`), the way Braze's delay and re-eligibility pickers read.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A non-negative duration in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Interval {
    seconds: u64,
}

/// The longest interval the config accepts: two years (Braze's extended delay limit).
pub const MAX_INTERVAL_SECONDS: u64 = 2 * 365 * 86_400;

impl Interval {
    pub const ZERO: Interval = Interval { seconds: 0 };

    pub const fn from_seconds(seconds: u64) -> Self {
        Self { seconds }
    }

    pub fn seconds(self) -> u64 {
        self.seconds
    }

    /// The interval as a chrono delta (clamped to [`MAX_INTERVAL_SECONDS`], so it always fits).
    pub fn as_delta(self) -> TimeDelta {
        let clamped = self.seconds.min(MAX_INTERVAL_SECONDS);
        TimeDelta::seconds(i64::try_from(clamped).expect("two years of seconds fits in i64"))
    }

    /// `time` plus this interval, saturating at the latest representable time (stored
    /// times come from outside, so the sum must not panic).
    pub fn after(self, time: DateTime<Utc>) -> DateTime<Utc> {
        time.checked_add_signed(self.as_delta())
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// `time` minus this interval, saturating at the earliest representable time.
    pub fn before(self, time: DateTime<Utc>) -> DateTime<Utc> {
        time.checked_sub_signed(self.as_delta())
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// Parses `"90"`, `"90s"`, `"15m"`, `"2h"`, `"1d"` or `"1w"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (digits, unit) = text.split_at(split);
        let amount: u64 = digits.parse().map_err(|_| {
            format!(
                "`{text}` is not a duration; write e.g. \"30s\", \"15m\", \"2h\", \"1d\" or \"1w\""
            )
        })?;
        let multiplier = match unit.trim() {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "w" => 604_800,
            other => {
                return Err(format!(
                    "unknown duration unit `{other}` in `{text}`; use s, m, h, d or w"
                ));
            }
        };
        let seconds = amount
            .checked_mul(multiplier)
            .filter(|seconds| *seconds <= MAX_INTERVAL_SECONDS)
            .ok_or_else(|| format!("`{text}` is longer than the two-year maximum"))?;
        Ok(Self { seconds })
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.seconds)
    }
}

impl Serialize for Interval {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.seconds)
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntervalVisitor;
        impl Visitor<'_> for IntervalVisitor {
            type Value = Interval;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of seconds or a duration such as \"15m\", \"2h\" or \"1d\"")
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Interval, E> {
                let seconds =
                    u64::try_from(value).map_err(|_| E::custom("a duration cannot be negative"))?;
                self.visit_u64(seconds)
            }
            fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<Interval, E> {
                if seconds > MAX_INTERVAL_SECONDS {
                    return Err(E::custom("a duration cannot exceed two years"));
                }
                Ok(Interval { seconds })
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Interval, E> {
                Interval::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(IntervalVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(Interval::parse("45").map(Interval::seconds), Ok(45));
        assert_eq!(Interval::parse("45s").map(Interval::seconds), Ok(45));
        assert_eq!(Interval::parse("15m").map(Interval::seconds), Ok(900));
        assert_eq!(Interval::parse("2h").map(Interval::seconds), Ok(7_200));
        assert_eq!(Interval::parse("1d").map(Interval::seconds), Ok(86_400));
        assert_eq!(Interval::parse("1w").map(Interval::seconds), Ok(604_800));
    }

    #[test]
    fn after_and_before_saturate() {
        let day = Interval::from_seconds(86_400);
        assert_eq!(
            day.after(DateTime::<Utc>::MAX_UTC),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(
            day.before(DateTime::<Utc>::MIN_UTC),
            DateTime::<Utc>::MIN_UTC
        );
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(day.after(epoch) - epoch, TimeDelta::days(1));
        assert_eq!(epoch - day.before(epoch), TimeDelta::days(1));
    }

    #[test]
    fn rejects_bad_text() {
        assert!(Interval::parse("").is_err());
        assert!(Interval::parse("soon").is_err());
        assert!(Interval::parse("3y").unwrap_err().contains("unit `y`"));
        assert!(Interval::parse("99999999999999999999d").is_err());
        assert!(Interval::parse("1000w").unwrap_err().contains("two-year"));
    }

    #[test]
    fn deserializes_numbers_and_strings() {
        #[derive(Deserialize)]
        struct Holder {
            a: Interval,
            b: Interval,
        }
        let holder: Holder = toml::from_str("a = 30\nb = \"1d\"").expect("valid");
        assert_eq!(holder.a.seconds(), 30);
        assert_eq!(holder.b.as_delta(), TimeDelta::days(1));
        assert!(toml::from_str::<Holder>("a = -1\nb = 1").is_err());
    }
}
