//! A property test: small templates built at random from the engine's tags and filters
//! (loops, captures, cycles and the filters that grow values) never panic, and end with an
//! output or a typed error within the render's budget of bytes, output and time.
//!
//! It runs 256 cases. For a longer fuzz, set `PROPTEST_CASES`, e.g.
//! `PROPTEST_CASES=20000 cargo test -p leadwire-liquid --release --test random_templates`.

use std::time::{Duration, Instant};

use leadwire_liquid::{Engine, EngineOptions, Globals, Limits, Outcome};
use proptest::prelude::*;
use serde_json::json;

const EXPRESSIONS: &[&str] = &[
    "s",
    "t",
    "a",
    "o",
    "i",
    "'x'",
    "'<a b=\"c\">&\\n'",
    "3",
    "(1..20)",
    "o.items",
    "nothing",
];

const FILTERS: &[&str] = &[
    "append: s",
    "prepend: t",
    "replace: 'x', s",
    "replace: '', 'yy'",
    "replace_first: 'x', s",
    "replace_last: 'a', t",
    "remove: 'x'",
    "join: s",
    "split: ''",
    "split: ','",
    "concat: a",
    "map: 'k'",
    "where: 'k'",
    "reject: 'k', 1",
    "sort",
    "sort_natural",
    "uniq",
    "reverse",
    "compact",
    "first",
    "last",
    "size",
    "slice: 1, 50",
    "truncate: 5, s",
    "truncatewords: 2, t",
    "url_encode",
    "url_escape",
    "escape",
    "escape_once",
    "newline_to_br",
    "strip_html",
    "upcase",
    "capitalize",
    "strip",
    "base64_encode",
    "base64_decode",
    "as_json_string",
    "json_escape",
    "json_parse",
    "md5",
    "hmac_sha256: s",
    "date: '%Y %1000d'",
    "default: s",
    "plus: 1",
    "times: 2",
    "property_accessor: 'k'",
];

fn expression() -> impl Strategy<Value = &'static str> {
    prop::sample::select(EXPRESSIONS)
}

fn chain() -> impl Strategy<Value = String> {
    let filters = prop::collection::vec(prop::sample::select(FILTERS), 0..4);
    (expression(), filters).prop_map(|(expr, filters)| {
        std::iter::once(expr)
            .chain(filters)
            .collect::<Vec<_>>()
            .join(" | ")
    })
}

fn variable() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["s", "t", "a", "i"][..])
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ]{0,8}",
        chain().prop_map(|c| format!("{{{{ {c} }}}}")),
        (variable(), chain()).prop_map(|(v, c)| format!("{{% assign {v} = {c} %}}")),
        expression().prop_map(|e| format!("{{% cycle {e}: 'a', s %}}")),
        variable().prop_map(|v| format!("{{% increment {v} %}}")),
    ]
}

fn template() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        let body = prop::collection::vec(inner, 1..4).prop_map(|nodes| nodes.concat());
        prop_oneof![
            (1..40u32, body.clone())
                .prop_map(|(n, b)| format!("{{% for i in (1..{n}) %}}{b}{{% endfor %}}")),
            (variable(), body.clone())
                .prop_map(|(v, b)| format!("{{% capture {v} %}}{b}{{% endcapture %}}")),
            (expression(), body.clone(), body.clone()).prop_map(|(c, b, e)| {
                format!("{{% if {c} contains 'x' %}}{b}{{% else %}}{e}{{% endif %}}")
            }),
            (expression(), body.clone()).prop_map(|(c, b)| {
                format!("{{% case {c} %}}{{% when 'x', 3 %}}{b}{{% else %}}x{{% endcase %}}")
            }),
            (1..30u32, body.clone()).prop_map(|(n, b)| {
                format!("{{% tablerow i in (1..{n}) cols: 3 %}}{b}{{% endtablerow %}}")
            }),
            body,
        ]
    })
}

fn limits() -> Limits {
    Limits {
        max_value_bytes: 256 * 1024,
        max_output_bytes: 256 * 1024,
        max_render_time: Duration::from_millis(250),
        ..Limits::default()
    }
}

/// 256 cases, or `PROPTEST_CASES` when set.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_templates_end_within_the_budget(source in template()) {
        let engine = Engine::new(EngineOptions { limits: limits(), ..EngineOptions::default() });
        let data = json!({
            "s": "xx,yy", "t": "a b c", "i": 2,
            "a": [{"k": 1}, {"k": "v"}, "x"],
            "o": {"k": "v", "items": [1, 2, "x"]},
        });
        let globals = Globals::new().with_variables(data.as_object().expect("an object"));
        let template = engine.parse(&source).expect("generated templates parse");
        let started = Instant::now();
        let result = engine.render(&template, &globals);
        let took = started.elapsed();
        prop_assert!(took < limits().max_render_time + Duration::from_secs(1), "{source} took {took:?}");
        if let Ok(Outcome::Rendered(out)) = &result {
            prop_assert!(out.len() <= limits().max_output_bytes);
        }
    }
}
