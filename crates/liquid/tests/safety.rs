//! Safety: parse errors with positions, strict mode, resource limits, thread safety, and a
//! property test that throws random and mutated templates at parse and render.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use leadwire_liquid::{
    Engine, EngineOptions, Globals, LimitKind, Limits, Outcome, RenderError, Template,
};
use proptest::prelude::*;
use serde_json::json;

#[test]
fn compiled_templates_and_the_engine_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Template>();
    assert_send_sync::<Engine>();
    assert_send_sync::<Globals>();
    let engine = Arc::new(Engine::default());
    let template = Arc::new(
        engine
            .parse("{% for i in (1..3) %}{{ i }}{% endfor %}")
            .expect("parses"),
    );
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (engine, template) = (engine.clone(), template.clone());
            std::thread::spawn(move || engine.render(&template, &Globals::new()))
        })
        .collect();
    for handle in handles {
        let outcome = handle
            .join()
            .expect("the thread finishes")
            .expect("renders");
        assert_eq!(outcome, Outcome::Rendered("123".into()));
    }
}

#[test]
fn parse_errors_carry_line_column_and_excerpt() {
    let engine = Engine::default();
    let error = engine
        .parse("line one\nline {% if x %}two")
        .expect_err("unclosed if");
    assert_eq!((error.line, error.column), (2, 6));
    assert!(error.excerpt.starts_with("{% if x %}"), "{error}");
    let error = engine
        .parse("ok\n  {{ a | }}")
        .expect_err("missing filter name");
    assert_eq!(error.line, 2);
    assert!(error.to_string().contains("line 2"), "{error}");
    let error = engine
        .parse("x\n{% connected_content https://a.example/{{ a | }} :save r %}")
        .expect_err("a bad filter inside the URL");
    assert_eq!((error.line, error.column), (2, 47), "{error}");
    assert_eq!(
        &"x\n{% connected_content https://a.example/{{ a | }}"[error.offset..],
        "}}"
    );
    let error = engine.parse("{% nosuchtag %}").expect_err("unknown tag");
    assert!(error.message.contains("unknown tag `nosuchtag`"));
}

#[test]
fn strict_mode_reports_unknown_variables_and_filters() {
    let lax = Engine::default();
    let template = lax
        .parse("[{{ missing }}{{ 'x' | no_such_filter }}]")
        .expect("lax parses");
    assert_eq!(
        lax.render(&template, &Globals::new()).expect("renders"),
        Outcome::Rendered("[x]".into())
    );

    let strict = Engine::new(EngineOptions::strict());
    let error = strict
        .parse("{{ 'x' | no_such_filter }}")
        .expect_err("unknown filter");
    assert!(error.message.contains("unknown filter `no_such_filter`"));
    let template = strict.parse("{{ missing }}").expect("parses");
    assert_eq!(
        strict.render(&template, &Globals::new()),
        Err(RenderError::UnknownVariable("missing".into()))
    );
    let known =
        Globals::new().with_variables(json!({"present": 1}).as_object().expect("an object"));
    let template = strict.parse("{{ present }}").expect("parses");
    assert_eq!(
        strict.render(&template, &known).expect("renders"),
        Outcome::Rendered("1".into())
    );
}

fn limited(limits: Limits) -> Engine {
    Engine::new(EngineOptions {
        limits,
        ..EngineOptions::default()
    })
}

fn limit_kind(engine: &Engine, source: &str) -> Option<LimitKind> {
    let template = engine.parse(source).expect("parses");
    match engine.render(&template, &Globals::new()) {
        Err(RenderError::Limit { kind, .. }) => Some(kind),
        _ => None,
    }
}

#[test]
fn an_empty_for_over_a_huge_range_hits_the_iteration_limit() {
    let engine = Engine::default();
    let kind = limit_kind(&engine, "{% for i in (1..9999999999) %}{% endfor %}");
    assert_eq!(kind, Some(LimitKind::LoopIterations));
    let kind = limit_kind(
        &engine,
        "{% for i in (1..100000) %}{% for j in (1..100000) %}{% endfor %}{% endfor %}",
    );
    assert_eq!(kind, Some(LimitKind::LoopIterations));
}

#[test]
fn date_width_padding_hits_the_format_width_limit() {
    let engine = Engine::default();
    assert_eq!(
        limit_kind(&engine, "{{ 'now' | date: '%5000000d' }}"),
        Some(LimitKind::FormatWidth)
    );
    assert_eq!(
        limit_kind(&engine, "{{ 'now' | date: '%99999999999999999999999Y' }}"),
        Some(LimitKind::FormatWidth)
    );
}

#[test]
fn output_size_nesting_and_collection_limits() {
    let engine = limited(Limits {
        max_output_bytes: 1000,
        ..Limits::default()
    });
    assert_eq!(
        limit_kind(&engine, "{% for i in (1..500) %}xxxx{% endfor %}"),
        Some(LimitKind::OutputSize)
    );
    let engine = Engine::default();
    assert_eq!(
        limit_kind(&engine, "{{ (1..999999999) | join: ',' }}"),
        Some(LimitKind::CollectionSize)
    );
    let deep = "{% if true %}".repeat(200) + &"{% endif %}".repeat(200);
    assert!(
        engine.parse(&deep).is_err(),
        "nesting beyond the limit is a parse error"
    );
    let partials: HashMap<String, String> =
        [("me".to_string(), "{% include 'me' %}".to_string())].into();
    let engine = Engine::default().with_partials(Arc::new(partials));
    assert_eq!(
        limit_kind(&engine, "{% include 'me' %}"),
        Some(LimitKind::NestingDepth)
    );
}

/// Each expression nests 10,000 levels; parsing used to recurse once per level and
/// overflow the stack. Now the block nesting limit bounds expressions too.
#[test]
fn deeply_nested_expressions_are_a_parse_error_not_a_stack_overflow() {
    let n = 10_000;
    let engine = Engine::default();
    for (what, source) in [
        (
            "indexes",
            format!("{{{{ {}a{} }}}}", "a[".repeat(n), "]".repeat(n)),
        ),
        (
            "brackets",
            format!("{{{{ {}1{} }}}}", "[".repeat(n), "]".repeat(n)),
        ),
        (
            "ranges",
            format!("{{{{ {}1..2{} }}}}", "(".repeat(n), "..1)".repeat(n)),
        ),
        (
            "groups",
            format!("{{{{ {}1{} }}}}", "{{".repeat(n), "}}".repeat(n)),
        ),
        (
            "arguments",
            format!("{{{{ 1 {}}}}}", "| plus: {{ 1 ".repeat(n)),
        ),
        (
            "conditions",
            format!(
                "{{% if {}1{} %}}{{% endif %}}",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ),
    ] {
        let error = engine.parse(&source).expect_err(what);
        assert_eq!(error.message, "expressions nest too deeply", "{what}");
        assert_eq!(error.line, 1, "{what}");
    }
    let within = format!("{{{{ {}'x'{} }}}}", "[".repeat(60), "]".repeat(60));
    assert!(engine.parse(&within).is_ok(), "60 levels are fine");
}

/// `and`/`or` chains are flat: 10,000 terms parse and render, still grouped from the right.
#[test]
fn long_and_or_chains_parse_and_render_grouped_from_the_right() {
    let engine = Engine::default();
    let render = |source: &str| {
        let template = engine.parse(source).expect("parses");
        engine.render(&template, &Globals::new()).expect("renders")
    };
    let chain = format!(
        "{{% if {}true %}}yes{{% else %}}no{{% endif %}}",
        "false or true and ".repeat(10_000)
    );
    assert_eq!(render(&chain), Outcome::Rendered("yes".into()));
    let cases = [
        ("true or false and false", "yes"),
        ("false and true or true", "no"),
        ("false or false or true", "yes"),
        ("true and true and false", "no"),
        ("true and false or true", "yes"),
        ("1 == 1 and 'abc' contains 'b' or nothing", "yes"),
    ];
    for (condition, expected) in cases {
        let source = format!("{{% if {condition} %}}yes{{% else %}}no{{% endif %}}");
        assert_eq!(
            render(&source),
            Outcome::Rendered(expected.into()),
            "{condition}"
        );
        let source = format!("{{% unless {condition} %}}no{{% else %}}yes{{% endunless %}}");
        assert_eq!(
            render(&source),
            Outcome::Rendered(expected.into()),
            "unless {condition}"
        );
    }
}

#[test]
fn render_time_is_bounded() {
    let engine = limited(Limits {
        max_render_time: Duration::ZERO,
        ..Limits::default()
    });
    assert_eq!(
        limit_kind(&engine, "{% for i in (1..5000) %}{{ i }}{% endfor %}"),
        Some(LimitKind::RenderTime)
    );
}

const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "{%-",
    "-%}",
    " if ",
    " for ",
    " x ",
    " in ",
    "(1..3)",
    "endif",
    "endfor",
    "|",
    ":",
    ",",
    "'",
    "\"",
    "${first_name}",
    "custom_attribute.",
    "upcase",
    "date",
    "'%Y'",
    "raw",
    "endraw",
    "comment",
    "endcomment",
    "liquid",
    "\n",
    "abort_message(",
    ")",
    "connected_content",
    " https://a.example/",
    ":save",
    "[",
    "]",
    ".",
    "-",
    "==",
    "contains",
    "case",
    "when",
    "else",
    "assign",
    "=",
    "capture",
    "cycle",
    "#",
    "é",
    "tablerow",
    "(-9223372036854775808..9223372036854775807)",
    "9223372036854775807",
    "| plus: 1",
    "| times: -1",
    "| modulo: 0",
    "| divided_by: -1",
    "| slice: -9223372036854775808",
    "| round: 400",
    "'%-5000d'",
    "include",
    "render",
    "{{${",
    "}}}",
    "0",
    "-1",
    "9999999999",
];

fn template_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40)
            .prop_map(|parts| parts.concat()),
        ".{0,80}",
    ]
}

// 256 cases, or `PROPTEST_CASES`.
proptest! {
    #[test]
    fn random_templates_never_panic(source in template_strategy()) {
        let partials: HashMap<String, String> = [("p".to_string(), source.clone())].into();
        let engine = Engine::default().with_partials(Arc::new(partials));
        let user = json!({"first_name": "Ada", "x": [1, 2, 3]});
        let globals = Globals::new().with_user(user.as_object().expect("an object"));
        if let Ok(template) = engine.parse(&source) {
            let _ = engine.render(&template, &globals);
        }
    }
}
