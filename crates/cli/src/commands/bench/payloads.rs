//! The heaviest `/users/track` bodies the API accepts, for `bench attack`: each kind sits
//! just inside a per-object cap and fills most of the default 4 MB body limit.

use std::fmt::Write as _;
use std::sync::OnceLock;

/// Stands for the user number in a built body; replaced per request.
const USER: &str = "@USER@";

/// A kind of worst-case body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AttackKind {
    /// Five `add` operations of 1,000 items per object: 5,000 array items, the cap.
    LongArrays,
    /// 1,000 attributes per object, the cap.
    ManyAttributes,
    /// 250 attributes per object, each a 255-character string.
    LongStrings,
    /// Nested custom attributes 30 levels deep and close to the 100 KB object cap.
    DeepObjects,
    /// Events whose properties come close to the 100 KB cap, in 380 flat strings.
    WideEvents,
}

impl AttackKind {
    pub const ALL: [AttackKind; 5] = [
        AttackKind::LongArrays,
        AttackKind::ManyAttributes,
        AttackKind::LongStrings,
        AttackKind::DeepObjects,
        AttackKind::WideEvents,
    ];

    fn build(self) -> String {
        match self {
            AttackKind::LongArrays => attributes(75, long_arrays),
            AttackKind::ManyAttributes => attributes(75, many_attributes),
            AttackKind::LongStrings => attributes(55, long_strings),
            AttackKind::DeepObjects => attributes(36, deep_object),
            AttackKind::WideEvents => events(35),
        }
    }
}

/// A body of `kind` for attacking users numbered from `serial`; bodies of one kind differ
/// only in their users, who come from a pool of a thousand so profiles fill up.
pub fn attack_body(kind: AttackKind, serial: u64) -> String {
    static BUILT: OnceLock<Vec<String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| AttackKind::ALL.iter().map(|kind| kind.build()).collect());
    let index = AttackKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    built[index].replace(USER, &(serial % 1_000).to_string())
}

/// `{"attributes": [...]}` with `objects` objects, each filled by `fill`.
fn attributes(objects: usize, fill: fn(&mut String)) -> String {
    let mut body = String::from("{\"attributes\":[");
    for index in 0..objects {
        if index > 0 {
            body.push(',');
        }
        write!(body, "{{\"external_id\":\"attacker-{USER}-{index}\"").ok();
        fill(&mut body);
        body.push('}');
    }
    body.push_str("]}");
    body
}

fn long_arrays(body: &mut String) {
    for attribute in 0..5 {
        write!(body, ",\"tags_{attribute}\":{{\"add\":[").ok();
        for item in 0..1_000 {
            if item > 0 {
                body.push(',');
            }
            write!(body, "\"t{item:05}\"").ok();
        }
        body.push_str("]}");
    }
}

fn many_attributes(body: &mut String) {
    for attribute in 0..999 {
        write!(
            body,
            ",\"attribute_{attribute:04}_of_many\":\"value-{attribute}\""
        )
        .ok();
    }
}

fn long_strings(body: &mut String) {
    let text = "s".repeat(255);
    for attribute in 0..250 {
        write!(body, ",\"s{attribute}\":\"{text}\"").ok();
    }
}

fn deep_object(body: &mut String) {
    let text = "d".repeat(250);
    body.push_str(",\"profile\":");
    for level in 0..30 {
        body.push('{');
        for key in 0..12 {
            write!(body, "\"k{level}_{key}\":\"{text}\",").ok();
        }
        body.push_str("\"next\":");
    }
    body.push_str("null");
    body.push_str(&"}".repeat(30));
}

/// `{"events": [...]}` with `count` events of 380 flat string properties each.
fn events(count: usize) -> String {
    let text = "e".repeat(255);
    let mut body = String::from("{\"events\":[");
    for index in 0..count {
        if index > 0 {
            body.push(',');
        }
        write!(
            body,
            "{{\"external_id\":\"attacker-{USER}-{index}\",\"name\":\"page_view\",\"time\":\"2026-01-01T00:00:00Z\",\"properties\":{{"
        )
        .ok();
        for property in 0..380 {
            if property > 0 {
                body.push(',');
            }
            write!(body, "\"p{property}\":\"{text}\"").ok();
        }
        body.push_str("}}");
    }
    body.push_str("]}");
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_is_json_within_the_default_body_limit() {
        for kind in AttackKind::ALL {
            let body = attack_body(kind, 7);
            assert!(
                body.len() <= 4 * 1024 * 1024,
                "{kind:?}: {} bytes",
                body.len()
            );
            assert!(body.len() >= 1024 * 1024, "{kind:?}: {} bytes", body.len());
            let parsed: serde_json::Value = serde_json::from_str(&body).expect("JSON");
            assert!(parsed.is_object(), "{kind:?}");
        }
    }
}
