//! A Salesforce connection's API budget floor (`api_floor`): how many of the org's daily API
//! requests leadwire leaves for urgent sends and the org's other users. Written as a share
//! of the daily limit (`"10%"`, `"2.5%"`) or as a number of requests (`5000`); `0` turns the
//! floor off.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// Basis points in 100 %.
const WHOLE: u64 = 10_000;

/// The requests a connection keeps in reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiFloor {
    /// A share of the daily limit, in hundredths of a percent (1000 = 10 %).
    Share { basis_points: u32 },
    /// A number of requests.
    Requests(u64),
}

impl Default for ApiFloor {
    /// 10 % of the daily limit.
    fn default() -> Self {
        Self::Share { basis_points: 1000 }
    }
}

impl ApiFloor {
    /// The floor in requests for an org whose daily limit is `limit` (a share rounds up, so
    /// any share above zero keeps at least one request).
    pub fn requests(self, limit: u64) -> u64 {
        match self {
            Self::Requests(count) => count,
            Self::Share { basis_points } => {
                let product = u128::from(limit) * u128::from(basis_points);
                let rounded_up = product.div_ceil(u128::from(WHOLE));
                u64::try_from(rounded_up).unwrap_or(u64::MAX)
            }
        }
    }

    /// Parses `"10%"`, `"2.5%"` (at most two decimals, at most 100 %) or `"5000"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        match text.strip_suffix('%') {
            Some(percent) => {
                parse_share(percent.trim()).map(|basis_points| Self::Share { basis_points })
            }
            None => text.parse().map(Self::Requests).map_err(|_| problem(text)),
        }
    }
}

fn parse_share(percent: &str) -> Result<u32, String> {
    let (whole, fraction) = percent.split_once('.').unwrap_or((percent, ""));
    let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || fraction.len() > 2 || !digits(whole) || !digits(fraction) {
        return Err(problem(&format!("{percent}%")));
    }
    let whole: u32 = whole.parse().map_err(|_| problem(&format!("{percent}%")))?;
    let fraction: u32 = format!("{fraction:0<2}").parse().unwrap_or(0);
    let basis_points = whole.saturating_mul(100).saturating_add(fraction);
    if u64::from(basis_points) > WHOLE {
        return Err(format!(
            "api_floor `{percent}%` is more than the whole daily limit; use a share up to \"100%\""
        ));
    }
    Ok(basis_points)
}

fn problem(text: &str) -> String {
    format!(
        "api_floor `{text}` is neither a share of the daily limit nor a number of requests; write e.g. \"10%\", \"2.5%\" or 5000"
    )
}

impl fmt::Display for ApiFloor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Requests(count) => write!(f, "{count} requests"),
            Self::Share { basis_points } => match basis_points % 100 {
                0 => write!(f, "{}%", basis_points / 100),
                rest => write!(f, "{}.{rest:02}%", basis_points / 100),
            },
        }
    }
}

impl<'de> Deserialize<'de> for ApiFloor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FloorVisitor;
        impl Visitor<'_> for FloorVisitor {
            type Value = ApiFloor;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a share of the daily limit such as \"10%\", or a number of requests such as 5000")
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<ApiFloor, E> {
                u64::try_from(value).map(ApiFloor::Requests).map_err(|_| {
                    E::custom(format!("api_floor {value} is negative; use 0 or more requests, or a share such as \"10%\""))
                })
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<ApiFloor, E> {
                Ok(ApiFloor::Requests(value))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<ApiFloor, E> {
                ApiFloor::parse(value).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(FloorVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Deserialize)]
    struct Holder {
        api_floor: ApiFloor,
    }

    fn read(value: &str) -> Result<ApiFloor, String> {
        toml::from_str::<Holder>(&format!("api_floor = {value}"))
            .map(|holder| holder.api_floor)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn shares_and_counts_are_read() {
        assert_eq!(read("\"10%\""), Ok(ApiFloor::default()));
        assert_eq!(read("\"2.5%\""), Ok(ApiFloor::Share { basis_points: 250 }));
        assert_eq!(
            read("\" 0.25 %\""),
            Ok(ApiFloor::Share { basis_points: 25 })
        );
        assert_eq!(
            read("\"100%\""),
            Ok(ApiFloor::Share {
                basis_points: 10_000
            })
        );
        assert_eq!(read("5000"), Ok(ApiFloor::Requests(5000)));
        assert_eq!(read("\"5000\""), Ok(ApiFloor::Requests(5000)));
        assert_eq!(read("0"), Ok(ApiFloor::Requests(0)));
        assert_eq!(ApiFloor::default().to_string(), "10%");
        assert_eq!(ApiFloor::Share { basis_points: 250 }.to_string(), "2.50%");
        assert_eq!(ApiFloor::Requests(7).to_string(), "7 requests");
    }

    #[test]
    fn bad_floors_say_what_to_write() {
        for (value, expected) in [
            ("\"101%\"", "more than the whole daily limit"),
            ("\"ten%\"", "write e.g. \"10%\""),
            ("\"1.234%\"", "write e.g. \"10%\""),
            ("\"%\"", "write e.g. \"10%\""),
            ("\"lots\"", "write e.g. \"10%\""),
            ("-1", "is negative"),
            ("1.5", "a share of the daily limit"),
        ] {
            let error = read(value).expect_err(value);
            assert!(error.contains(expected), "{value}: {error}");
        }
    }

    #[test]
    fn shares_of_a_limit_round_up() {
        assert_eq!(ApiFloor::default().requests(100_000), 10_000);
        assert_eq!(ApiFloor::default().requests(15), 2);
        assert_eq!(ApiFloor::Share { basis_points: 0 }.requests(100_000), 0);
        assert_eq!(ApiFloor::Requests(5000).requests(100), 5000);
    }

    proptest! {
        #[test]
        fn a_share_is_never_more_than_the_limit_and_grows_with_it(
            limit in 0u64..=u64::MAX / 2,
            basis_points in 0u32..=10_000,
        ) {
            let floor = ApiFloor::Share { basis_points };
            let requests = floor.requests(limit);
            prop_assert!(requests <= limit);
            prop_assert!(floor.requests(limit + 1) >= requests);
            if basis_points > 0 && limit > 0 {
                prop_assert!(requests >= 1);
            }
        }
    }
}
