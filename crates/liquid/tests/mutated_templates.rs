//! Fuzzing with the Golden Liquid suite as seeds: each case's template, mutated (pieces cut,
//! repeated, swapped, spliced from another case, Liquid fragments and unicode inserted,
//! brackets, ranges and blocks nested deep, loops wrapped around), is parsed and rendered
//! with the case's data and partials under tight limits. Every run ends with an output
//! within the output limit, an abort, a parse error pointing into the source, or a typed
//! render error: never a panic, never a stack overflow.
//!
//! 256 cases per property, or `PROPTEST_CASES`; `docs/testing.md` has the longer run.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use leadwire_liquid::{Engine, EngineOptions, Globals, Limits, Outcome, ParseError};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value};

const SUITE: &str = include_str!("golden-liquid/golden_liquid.json");

/// One case of the suite: the seed of mutations.
#[derive(Debug)]
struct Seed {
    template: String,
    data: Map<String, Value>,
    partials: Arc<HashMap<String, String>>,
}

static SEEDS: LazyLock<Vec<Seed>> = LazyLock::new(|| {
    let suite: Value = serde_json::from_str(SUITE).expect("the vendored suite is valid JSON");
    let cases = suite["tests"].as_array().cloned().unwrap_or_default();
    cases
        .iter()
        .map(|case| Seed {
            template: case["template"].as_str().unwrap_or_default().to_owned(),
            data: case["data"].as_object().cloned().unwrap_or_default(),
            partials: Arc::new(
                case["templates"]
                    .as_object()
                    .map(|partials| {
                        partials
                            .iter()
                            .map(|(name, text)| {
                                (name.clone(), text.as_str().unwrap_or_default().to_owned())
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
        })
        .collect()
});

/// Pieces of Liquid syntax, whole and broken, and values at the edges.
const FRAGMENTS: &[&str] = &[
    "{{-",
    "{{",
    "-}}",
    "}}",
    "{%-",
    "{%",
    "-%}",
    "%}",
    "{% if x %}",
    "{% endif %}",
    "{% for i in (1..99999) %}",
    "{% endfor %}",
    "{% else %}",
    "{% elsif y %}",
    "{% case x %}{% when 1 %}",
    "{% endcase %}",
    "{% capture c %}",
    "{% endcapture %}",
    "{% raw %}",
    "{% endraw %}",
    "{% comment %}",
    "{% endcomment %}",
    "{% liquid\n",
    "{% include 'a' %}",
    "{% render 'a' %}",
    "{% cycle 1, 2 %}",
    "{% increment n %}",
    "{% tablerow i in (1..50) cols: 0 %}",
    "{% endtablerow %}",
    "{% break %}",
    "{% continue %}",
    "{% abort_message('x') %}",
    "| append: s",
    "| split: ''",
    "| join: ','",
    "| sort",
    "| map: 'a'",
    "| date: '%Y %1000d'",
    "| times: 1e308",
    "| divided_by: 0",
    "| modulo: 0",
    "| slice: -9223372036854775808, 9223372036854775807",
    "| round: 400",
    "| truncate: -1",
    "| base64_decode",
    "| json_parse",
    "| url_decode",
    "(",
    ")",
    "..",
    "[",
    "]",
    ".",
    ",",
    ":",
    "'",
    "\"",
    "==",
    "contains",
    " and ",
    " or ",
    "${first_name}",
    "custom_attribute.${x}",
    "{{${",
    "forloop.index",
    "-9223372036854775808",
    "9223372036854775807",
    "1e400",
    "é",
    "𝔘",
    "\u{0}",
    "\u{feff}",
    "\n",
    "\r\n",
    "\t",
];

/// One change to a template; positions are taken within its current length.
#[derive(Debug, Clone)]
enum Mutation {
    Cut(Index, Index),
    Repeat(Index, Index),
    Swap(Index, Index, Index),
    Insert(Index, String),
    /// A piece of another case's template.
    Splice(Index, Index, Index, Index),
    /// `open` many times before a place and `close` as many times after another.
    Nest(Index, Index, usize, &'static str, &'static str),
    /// The whole template inside a loop, to multiply what it makes.
    Loop(u32),
}

const NESTERS: &[(&str, &str)] = &[
    ("{% if true %}", "{% endif %}"),
    ("{% for i in (1..3) %}", "{% endfor %}"),
    ("{% capture c %}", "{% endcapture %}"),
    ("{{ ", " }}"),
    ("[", "]"),
    ("(", "..2)"),
    ("{{", "}}"),
    ("{% unless false %}", "{% endunless %}"),
];

fn inserted() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(FRAGMENTS).prop_map(str::to_owned),
        1 => "\\PC{1,8}",
        1 => any::<i64>().prop_map(|n| n.to_string()),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let index = any::<Index>;
    prop_oneof![
        3 => (index(), index()).prop_map(|(at, len)| Mutation::Cut(at, len)),
        2 => (index(), index()).prop_map(|(at, len)| Mutation::Repeat(at, len)),
        2 => (index(), index(), index()).prop_map(|(a, b, len)| Mutation::Swap(a, b, len)),
        4 => (index(), inserted()).prop_map(|(at, text)| Mutation::Insert(at, text)),
        2 => (index(), index(), index(), index())
            .prop_map(|(at, seed, from, len)| Mutation::Splice(at, seed, from, len)),
        1 => (index(), index(), 1..200usize, prop::sample::select(NESTERS))
            .prop_map(|(a, b, depth, (open, close))| Mutation::Nest(a, b, depth, open, close)),
        1 => (1..200u32).prop_map(Mutation::Loop),
    ]
}

/// `len` characters at most, from `at`, in `chars`.
fn span(chars: &[char], at: Index, len: Index) -> std::ops::Range<usize> {
    let start = at.index(chars.len() + 1);
    let rest = chars.len() - start;
    start..start + len.index(rest.min(40) + 1)
}

fn apply(chars: &mut Vec<char>, mutation: Mutation) {
    match mutation {
        Mutation::Cut(at, len) => {
            chars.drain(span(chars, at, len));
        }
        Mutation::Repeat(at, len) => {
            let range = span(chars, at, len);
            let piece: Vec<char> = chars[range.clone()].to_vec();
            chars.splice(range.end..range.end, piece);
        }
        Mutation::Swap(a, b, len) => {
            let (first, second) = (span(chars, a, len), span(chars, b, len));
            if first.end <= second.start || second.end <= first.start {
                let (early, late) = if first.start < second.start {
                    (first, second)
                } else {
                    (second, first)
                };
                let late_piece: Vec<char> = chars[late.clone()].to_vec();
                let early_piece: Vec<char> = chars[early.clone()].to_vec();
                chars.splice(late, early_piece);
                chars.splice(early, late_piece);
            }
        }
        Mutation::Insert(at, text) => {
            let at = at.index(chars.len() + 1);
            chars.splice(at..at, text.chars());
        }
        Mutation::Splice(at, seed, from, len) => {
            let other: Vec<char> = SEEDS[seed.index(SEEDS.len())].template.chars().collect();
            let piece: Vec<char> = other[span(&other, from, len)].to_vec();
            let at = at.index(chars.len() + 1);
            chars.splice(at..at, piece);
        }
        Mutation::Nest(a, b, depth, open, close) => {
            let (a, b) = (a.index(chars.len() + 1), b.index(chars.len() + 1));
            let (first, last) = (a.min(b), a.max(b));
            chars.splice(last..last, close.repeat(depth).chars());
            chars.splice(first..first, open.repeat(depth).chars());
        }
        Mutation::Loop(times) => {
            let opening: Vec<char> = format!("{{% for z in (1..{times}) %}}").chars().collect();
            chars.splice(0..0, opening);
            chars.extend("{% endfor %}".chars());
        }
    }
}

/// A template in pieces: each `{{ … }}` and `{% … %}` whole, and the text between.
fn pieces(template: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{").into_iter().chain(rest.find("{%")).min() {
        let close = if rest[start..].starts_with("{{") {
            "}}"
        } else {
            "%}"
        };
        let end = rest[start + 2..]
            .find(close)
            .map_or(rest.len(), |at| start + 2 + at + 2);
        pieces.extend([&rest[..start], &rest[start..end]].map(str::to_owned));
        rest = &rest[end..];
    }
    pieces.push(rest.to_owned());
    pieces.retain(|piece| !piece.is_empty());
    pieces
}

/// One change to a template's pieces; positions are taken within its current length.
#[derive(Debug, Clone)]
enum PieceMutation {
    Drop(Index),
    Repeat(Index, usize),
    Swap(Index, Index),
    /// A piece of another case, put in at a place.
    Borrow(Index, Index, Index),
    /// `open` before one piece and `close` after another, `depth` times.
    Wrap(Index, Index, usize, &'static str, &'static str),
}

fn piece_mutation() -> impl Strategy<Value = PieceMutation> {
    let index = any::<Index>;
    prop_oneof![
        2 => index().prop_map(PieceMutation::Drop),
        2 => (index(), 1..50usize).prop_map(|(at, times)| PieceMutation::Repeat(at, times)),
        2 => (index(), index()).prop_map(|(a, b)| PieceMutation::Swap(a, b)),
        3 => (index(), index(), index())
            .prop_map(|(at, seed, piece)| PieceMutation::Borrow(at, seed, piece)),
        2 => (index(), index(), 1..80usize, prop::sample::select(NESTERS))
            .prop_map(|(a, b, depth, (open, close))| PieceMutation::Wrap(a, b, depth, open, close)),
    ]
}

fn apply_to_pieces(pieces: &mut Vec<String>, mutation: PieceMutation) {
    if pieces.is_empty() {
        pieces.push(String::new());
    }
    let len = pieces.len();
    match mutation {
        PieceMutation::Drop(at) => {
            pieces.remove(at.index(len));
        }
        PieceMutation::Repeat(at, times) => {
            let at = at.index(len);
            pieces[at] = pieces[at].repeat(times);
        }
        PieceMutation::Swap(a, b) => pieces.swap(a.index(len), b.index(len)),
        PieceMutation::Borrow(at, seed, piece) => {
            let other = pieces_of(seed);
            if !other.is_empty() {
                let piece = other[piece.index(other.len())].clone();
                pieces.insert(at.index(len + 1), piece);
            }
        }
        PieceMutation::Wrap(a, b, depth, open, close) => {
            let (a, b) = (a.index(len), b.index(len));
            let (first, last) = (a.min(b), a.max(b));
            pieces.insert(last + 1, close.repeat(depth));
            pieces.insert(first, open.repeat(depth));
        }
    }
}

fn pieces_of(seed: Index) -> Vec<String> {
    pieces(&SEEDS[seed.index(SEEDS.len())].template)
}

/// A seed's index and its template with whole tags and outputs moved about: mostly still
/// valid, so the renderer gets as much of the work as the parser.
fn rearranged() -> impl Strategy<Value = (usize, String)> {
    (
        any::<Index>(),
        prop::collection::vec(piece_mutation(), 1..4),
    )
        .prop_map(|(seed, mutations)| {
            let mut pieces = pieces_of(seed);
            for mutation in mutations {
                apply_to_pieces(&mut pieces, mutation);
            }
            (seed.index(SEEDS.len()), pieces.concat())
        })
}

/// A seed's index and its mutated template.
fn mutated() -> impl Strategy<Value = (usize, String)> {
    (any::<Index>(), prop::collection::vec(mutation(), 1..5)).prop_map(|(seed, mutations)| {
        let seed = seed.index(SEEDS.len());
        let mut chars: Vec<char> = SEEDS[seed].template.chars().collect();
        for mutation in mutations {
            apply(&mut chars, mutation);
        }
        (seed, chars.into_iter().collect())
    })
}

fn limits() -> Limits {
    Limits {
        max_output_bytes: 64 * 1024,
        max_loop_iterations: 100_000,
        max_render_time: Duration::from_millis(250),
        max_collection_len: 10_000,
        max_value_bytes: 1024 * 1024,
        ..Limits::default()
    }
}

/// A parse error must point at a place in the source, with the text found there.
fn check_parse_error(source: &str, error: &ParseError) -> Result<(), TestCaseError> {
    prop_assert!(error.offset <= source.len(), "{error}");
    prop_assert!(source.is_char_boundary(error.offset), "{error}");
    prop_assert!(error.line >= 1 && error.column >= 1, "{error}");
    let found: String = source[error.offset..]
        .chars()
        .take(30)
        .map(|c| if c == '\n' { ' ' } else { c })
        .collect();
    prop_assert_eq!(&error.excerpt, &found);
    Ok(())
}

/// Parses and renders `source` with `seed`'s data and partials.
fn run(seed: &Seed, source: &str, strict: bool) -> Result<(), TestCaseError> {
    let options = EngineOptions {
        limits: limits(),
        ..if strict {
            EngineOptions::strict()
        } else {
            EngineOptions::default()
        }
    };
    let engine = Engine::new(options).with_partials(seed.partials.clone());
    let template = match engine.parse(source) {
        Ok(template) => template,
        Err(error) => return check_parse_error(source, &error),
    };
    let globals = Globals::new().with_variables(&seed.data);
    if let Ok(Outcome::Rendered(output)) = engine.render(&template, &globals) {
        prop_assert!(
            output.len() <= limits().max_output_bytes,
            "{} bytes of output",
            output.len()
        );
    }
    Ok(())
}

proptest! {
    #[test]
    fn mutated_golden_templates_parse_and_render_within_the_limits(
        (seed, source) in mutated(),
        strict in any::<bool>(),
    ) {
        run(&SEEDS[seed], &source, strict)?;
    }

    #[test]
    fn rearranged_golden_templates_parse_and_render_within_the_limits(
        (seed, source) in rearranged(),
        strict in any::<bool>(),
    ) {
        run(&SEEDS[seed], &source, strict)?;
    }

    #[test]
    fn every_golden_template_cut_at_a_random_place_parses_or_points_at_the_error(
        seed in any::<Index>(),
        cut in any::<Index>(),
    ) {
        let seed = &SEEDS[seed.index(SEEDS.len())];
        let chars: Vec<char> = seed.template.chars().collect();
        let source: String = chars[..cut.index(chars.len() + 1)].iter().collect();
        run(seed, &source, false)?;
    }
}
