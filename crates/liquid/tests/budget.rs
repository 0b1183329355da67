//! The render budget: every way a template can grow a value (doubling through a filter in
//! a loop, one call with a huge result, an array holding one large string many times) ends
//! fast with a typed limit error, while a large but ordinary template still renders.

use std::time::{Duration, Instant};

use leadwire_liquid::{Engine, EngineOptions, Globals, LimitKind, Limits, Outcome, RenderError};
use serde_json::json;

/// The budget most cases run under, small so that debug builds stay fast.
const TIGHT: usize = 1024 * 1024;

fn engine_with(limits: Limits) -> Engine {
    Engine::new(EngineOptions {
        limits,
        ..EngineOptions::default()
    })
}

fn tight() -> Engine {
    engine_with(Limits {
        max_value_bytes: TIGHT,
        ..Limits::default()
    })
}

/// Renders `source` and asserts that it stops, within a second, on the limit `kind`.
fn assert_refused(engine: &Engine, source: &str, kind: LimitKind) {
    let template = engine.parse(source).expect("parses");
    let started = Instant::now();
    let result = engine.render(&template, &Globals::new());
    let took = started.elapsed();
    match &result {
        Err(RenderError::Limit { kind: found, .. }) if *found == kind => {}
        other => panic!("{source}\nexpected the {kind} limit, got {other:?}"),
    }
    assert!(took < Duration::from_secs(1), "{source} took {took:?}");
}

/// `s` starts as `init` and becomes `step` sixty times over.
fn growing(init: &str, step: &str) -> String {
    format!(
        "{{% assign s = {init} %}}{{% for i in (1..60) %}}{{% assign s = {step} %}}{{% endfor %}}{{{{ s | size }}}}"
    )
}

/// `s` holds `2^doublings` copies of `x`, built within the tight budget.
fn built(doublings: u32) -> String {
    built_of('x', doublings)
}

fn built_of(c: char, doublings: u32) -> String {
    format!(
        "{{% assign s = '{c}' %}}{{% for i in (1..{doublings}) %}}{{% assign s = s | append: s %}}{{% endfor %}}"
    )
}

/// One call of `filters` on 256 KiB of `c` (half the tight budget spent making it), whose
/// result does not fit in the other half: refused by the filter itself.
fn one_call(c: char, filters: &str) -> String {
    format!("{}{{% assign t = s | {filters} %}}", built_of(c, 18))
}

macro_rules! refused {
    ($($name:ident: $kind:ident, $source:expr;)*) => {
        $(
            #[test]
            fn $name() {
                assert_refused(&tight(), &$source, LimitKind::$kind);
            }
        )*
    };
}

refused! {
    append_doubling: ValueBytes, growing("'xxxxxxxxxx'", "s | append: s");
    prepend_doubling: ValueBytes, growing("'xxxxxxxxxx'", "s | prepend: s");
    append_chain_in_one_assign: ValueBytes, growing("'xx'", "s | append: s | append: s");
    replace_doubling: ValueBytes, growing("'xx'", "s | replace: 'x', 'xx'");
    replace_empty_needle: ValueBytes, growing("'xx'", "s | replace: '', 'x'");
    replace_first_doubling: ValueBytes, growing("'xx'", "s | replace_first: 'x', s");
    replace_last_doubling: ValueBytes, growing("'xx'", "s | replace_last: 'x', s");
    join_tripling: ValueBytes, growing("'xx'", "s | split: '!' | concat: (1..2) | join: s");
    concat_doubling: ValueBytes, growing("'x' | split: ','", "s | concat: s");
    map_over_a_doubling_array: ValueBytes,
        r#"{% assign s = '[{"k":"v"}]' | json_parse %}{% for i in (1..60) %}{% assign s = s | concat: s %}{% assign m = s | map: 'k' %}{% endfor %}"#;
    sort_reverse_uniq_compact_of_a_doubling_array: ValueBytes,
        growing("'b,a' | split: ','", "s | concat: s | sort | reverse | sort_natural | compact");
    where_and_reject_of_a_doubling_array: ValueBytes,
        growing(r#"'[{"k":1}]' | json_parse"#, "s | concat: s | where: 'k' | reject: 'j'");
    slice_of_a_doubling_string: ValueBytes, growing("'xx'", "s | append: s | slice: 0, 99999999");
    truncate_with_a_growing_ellipsis: ValueBytes, growing("'xx'", "s | truncate: 1, s | append: s");
    truncatewords_with_a_growing_ellipsis: ValueBytes,
        growing("'x y'", "s | truncatewords: 1, s | append: s");
    url_encode_growing: ValueBytes, growing("'/'", "s | url_encode | append: s");
    url_escape_growing: ValueBytes, growing("' '", "s | url_escape | url_param_escape | append: s");
    escape_growing: ValueBytes, growing("'<'", "s | escape | append: s");
    escape_once_growing: ValueBytes, growing("'<'", "s | escape_once | append: s");
    newline_to_br_growing: ValueBytes, growing("'\n'", "s | newline_to_br | append: s");
    as_json_string_doubling: ValueBytes, growing("'\"'", "s | as_json_string");
    json_escape_doubling: ValueBytes, growing("'\"'", "s | json_escape | json_escape | append: s");
    base64_encode_growing: ValueBytes, growing("'xxx'", "s | base64_encode | base64_url_safe_encode");
    case_and_strip_filters_count_what_they_make: ValueBytes,
        growing("' xX '", "s | upcase | downcase | capitalize | strip | lstrip | rstrip | append: s");
    remove_and_strip_html_count_what_they_make: ValueBytes,
        growing("'<b>x</b>\r\n'", "s | strip_html | strip_newlines | remove: 'q' | remove_first: 'q' | remove_last: 'q' | url_decode | append: s");
    split_on_every_character: ValueBytes,
        format!("{}{{% assign a = s | split: '' %}}{{% assign a = a | concat: a %}}", built(16));
    one_escape: ValueBytes, one_call('<', "escape");
    one_escape_once: ValueBytes, one_call('<', "escape_once");
    one_url_encode: ValueBytes, one_call('/', "url_encode");
    one_url_param_escape: ValueBytes, one_call('&', "url_param_escape");
    one_newline_to_br: ValueBytes, one_call('\n', "newline_to_br");
    one_base64_encode_twice: ValueBytes, one_call('x', "base64_encode | base64_encode");
    one_json_escape: ValueBytes, one_call('\u{1}', "json_escape");
    one_as_json_string: ValueBytes, one_call('\u{1}', "as_json_string");
    one_json_parse: ValueBytes, one_call(',', "prepend: '[' | json_parse");
    capture_doubling: ValueBytes,
        "{% assign s = 'xxxxxxxxxx' %}{% for i in (1..60) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}";
    cycle_groups_that_never_repeat: ValueBytes,
        "{% for i in (1..1000000) %}{% cycle i: '' %}{% endfor %}";
    one_replace_with_a_huge_result: ValueBytes,
        format!("{}{{% assign t = s | replace: 'x', s | replace: 'x', s %}}", built(10));
    one_join_with_a_huge_separator: ValueBytes,
        format!("{}{{{{ (1..1000) | join: s }}}}", built(15));
    date_with_a_huge_format: ValueBytes,
        "{% assign f = '%1000d' %}{% for i in (1..12) %}{% assign f = f | append: f %}{% endfor %}{{ 'now' | date: f }}";
    an_array_of_one_string_many_times_as_text: ValueBytes,
        format!("{}{{% assign a = s | split: '!' %}}{{% for i in (1..12) %}}{{% assign a = a | concat: a %}}{{% endfor %}}{{{{ a | append: '' }}}}", built(10));
    an_array_of_one_string_many_times_joined: ValueBytes,
        format!("{}{{% assign a = s | split: '!' %}}{{% for i in (1..12) %}}{{% assign a = a | concat: a %}}{{% endfor %}}{{{{ a | join: '' }}}}", built(10));
    an_array_of_one_string_many_times_as_json: ValueBytes,
        format!("{}{{% assign a = s | split: '!' %}}{{% for i in (1..12) %}}{{% assign a = a | concat: a %}}{{% endfor %}}{{{{ a | as_json_string }}}}", built(10));
    an_array_of_one_string_many_times_hashed: ValueBytes,
        format!("{}{{% assign a = s | split: '!' %}}{{% for i in (1..12) %}}{{% assign a = a | concat: a %}}{{% endfor %}}{{{{ a | md5 }}}}", built(10));
}

#[test]
fn the_issues_template_stops_under_the_default_budget() {
    let engine = Engine::default();
    let doubling = "{% assign s = \"xxxxxxxxxx\" %}{% for i in (1..27) %}{% assign s = s | append: s %}{% endfor %}";
    assert_refused(&engine, doubling, LimitKind::ValueBytes);
    let error = engine
        .render(&engine.parse(doubling).expect("parses"), &Globals::new())
        .expect_err("over budget");
    assert_eq!(
        error.to_string(),
        "resource limit exceeded: bytes of values created (limit 33554432)"
    );
}

#[test]
fn printing_an_array_of_one_string_many_times_hits_the_output_limit() {
    let source = format!(
        "{}{{% assign a = s | split: '!' %}}{{% for i in (1..13) %}}{{% assign a = a | concat: a %}}{{% endfor %}}{{{{ a }}}}",
        built(11)
    );
    assert_refused(&Engine::default(), &source, LimitKind::OutputSize);
}

#[test]
fn a_long_filter_call_stops_at_the_time_limit() {
    let engine = engine_with(Limits {
        max_render_time: Duration::from_millis(50),
        ..Limits::default()
    });
    assert_refused(
        &engine,
        "{{ (1..100000) | uniq | size }}",
        LimitKind::RenderTime,
    );
    let sort = "{% assign a = (1..100000) | reverse %}{{ a | sort | sort | sort | size }}";
    let template = engine.parse(sort).expect("parses");
    let result = engine.render(&template, &Globals::new());
    assert!(
        matches!(&result, Ok(_) | Err(RenderError::Limit { .. })),
        "{result:?}"
    );
}

/// A Lead body with many fields, a loop over a few hundred items, escaping, JSON and dates:
/// far more than a real webhook, and well inside the defaults.
#[test]
fn a_large_ordinary_template_renders() {
    let items: Vec<_> = (0..300)
        .map(|i| json!({"name": format!("Item <{i}> & more"), "price": i * 3, "tags": ["a", "b"]}))
        .collect();
    let data = json!({"items": items, "company": "Analytical Engines Ltd"});
    let globals = Globals::new().with_variables(data.as_object().expect("an object"));
    let mut source = String::from("{% assign lines = '' %}{\n");
    for field in 0..200 {
        source.push_str(&format!(
            "  \"Field_{field}__c\": {{{{ company | append: ' {field}' | json_escape | prepend: '\"' | append: '\"' }}}},\n"
        ));
    }
    source.push_str(
        "  \"Items\": [{% for item in items %}{% capture line %}{{ item.name | escape }}: {{ item.price | times: 1.5 | round: 2 }} ({{ item.tags | join: '/' }}){% endcapture %}{{ line | as_json_string }}{% assign lines = lines | append: line | append: ';' %}{% unless forloop.last %},{% endunless %}{% endfor %}],\n",
    );
    source.push_str("  \"Summary\": {{ lines | truncate: 500 | as_json_string }},\n");
    source.push_str(
        "  \"Sorted\": {{ items | map: 'name' | sort_natural | uniq | as_json_string }},\n",
    );
    source.push_str("  \"When\": \"{{ 'now' | date: '%Y-%m-%dT%H:%M:%S' }}\"\n}");
    let engine = Engine::default();
    let template = engine.parse(&source).expect("parses");
    let started = Instant::now();
    let Outcome::Rendered(body) = engine.render(&template, &globals).expect("renders") else {
        panic!("not aborted");
    };
    assert!(started.elapsed() < Duration::from_secs(1));
    let json: serde_json::Value = serde_json::from_str(&body).expect("the body is JSON");
    assert_eq!(json["Items"].as_array().map(Vec::len), Some(300));
    assert_eq!(json["Field_7__c"], "Analytical Engines Ltd 7");
}
