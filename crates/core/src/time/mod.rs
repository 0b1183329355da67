//! Time in the domain: spans the config writes as durations ([`Interval`]) and the dates
//! attribute values carry (the `{"$time": …}` form and the formats `/users/track` accepts).

mod dates;
mod interval;

pub use dates::{TIME_KEY, as_time, parse_date, time_value, times_as_strings};
pub use interval::{Interval, MAX_INTERVAL_SECONDS};
