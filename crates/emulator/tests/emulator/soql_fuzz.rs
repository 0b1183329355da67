//! SOQL fuzzing over HTTP: random strings, SOQL words in random order, and valid queries
//! mutated (tokens dropped, repeated, swapped or replaced by random literals, unicode and deep
//! parentheses) always get an answer in Salesforce's shape: 200 with records, or 400 with
//! one `{"message", "errorCode"}` naming the position. Never a 5xx, never a dropped
//! connection. 256 cases each, or `PROPTEST_CASES`.

use http::{Method, StatusCode};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};

use crate::harness::{Emulator, start};

/// Valid queries, the seeds of the mutations.
const SEEDS: &[&str] = &[
    "SELECT Id, Email, LastName FROM Lead WHERE LastName = 'Ames'",
    "SELECT LastName FROM Lead WHERE Company = 'Acme' ORDER BY LastName DESC",
    "SELECT LastName FROM Lead WHERE NumberOfEmployees >= 40 ORDER BY NumberOfEmployees",
    "SELECT LastName FROM Lead WHERE Email LIKE '%@acme.test' ORDER BY LastName",
    "SELECT LastName FROM Lead WHERE Rating IN ('Hot', 'Cold') ORDER BY LastName",
    "SELECT LastName FROM Lead WHERE Rating NOT IN ('Hot') ORDER BY LastName",
    "SELECT LastName FROM Lead WHERE Email != null AND (Company = 'Globex' OR NumberOfEmployees < 20)",
    "SELECT LastName FROM Lead WHERE NOT Company = 'Acme' ORDER BY Rating NULLS LAST, LastName LIMIT 2 OFFSET 1",
    "SELECT LastName FROM Lead WHERE CreatedDate = TODAY AND CreatedDate > 2020-01-01T00:00:00Z",
    "SELECT LastName FROM Lead WHERE CreatedDate = LAST_N_DAYS:3 OR CreatedDate < 2000-01-01",
    "SELECT COUNT() FROM Lead WHERE Company = 'Acme'",
    "SELECT COUNT(Id) FROM Lead",
    "SELECT Id, Description FROM Lead WHERE Description LIKE '%x_x%' LIMIT 1",
];

/// SOQL's words, operators and literals, for queries built at random.
const WORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "ORDER",
    "BY",
    "LIMIT",
    "OFFSET",
    "LIKE",
    "IN",
    "NULL",
    "TRUE",
    "FALSE",
    "COUNT",
    "NULLS",
    "FIRST",
    "LAST",
    "ASC",
    "DESC",
    "TODAY",
    "LAST_N_DAYS",
    "(",
    ")",
    ",",
    ":",
    "=",
    "!=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "Lead",
    "Id",
    "Email",
    "LastName",
    "Company",
    "Description",
    "NumberOfEmployees",
    "CreatedDate",
    "Foo__c",
    "'x'",
    "'%a_'",
    "''",
    "'\\'",
    "'\\\\'",
    "'é'",
    "-1",
    "0",
    "1e400",
    "-1e400",
    "NaN",
    "99999999999999999999999",
    "2024-02-30",
    "2024-01-02T03:04:05Z",
    "2024-01-02T03:04:05+25:00",
    "\n",
    "\t",
    "é",
    "𝔘",
    "\u{0}",
    "\u{202e}",
    "#",
    "'unterminated",
];

fn random_token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(WORDS).prop_map(str::to_owned),
        1 => "'[^']{0,12}'",
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|n| n.to_string()),
        1 => "\\PC{1,6}",
        1 => "[A-Za-z_][A-Za-z0-9_.]{0,12}",
    ]
}

/// One change to a query's tokens; the indexes are taken modulo the current length.
#[derive(Debug, Clone)]
enum Mutation {
    Drop(Index),
    Repeat(Index),
    Swap(Index, Index),
    Replace(Index, String),
    Insert(Index, String),
    /// `(` or `NOT ` written many times before a token, and as many `)` after another.
    Nest(Index, Index, usize, bool),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => any::<Index>().prop_map(Mutation::Drop),
        2 => any::<Index>().prop_map(Mutation::Repeat),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        3 => (any::<Index>(), random_token()).prop_map(|(at, token)| Mutation::Replace(at, token)),
        3 => (any::<Index>(), random_token()).prop_map(|(at, token)| Mutation::Insert(at, token)),
        1 => (any::<Index>(), any::<Index>(), 1..400usize, any::<bool>())
            .prop_map(|(open, close, depth, not)| Mutation::Nest(open, close, depth, not)),
    ]
}

/// A query's tokens: words split at spaces, with parentheses and commas apart.
fn tokens(query: &str) -> Vec<String> {
    query
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace(',', " , ")
        .split(' ')
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
        .collect()
}

fn apply(tokens: &mut Vec<String>, mutation: Mutation) {
    if tokens.is_empty() {
        tokens.push("SELECT".to_owned());
    }
    let len = tokens.len();
    match mutation {
        Mutation::Drop(at) => {
            tokens.remove(at.index(len));
        }
        Mutation::Repeat(at) => {
            let at = at.index(len);
            tokens.insert(at, tokens[at].clone());
        }
        Mutation::Swap(a, b) => tokens.swap(a.index(len), b.index(len)),
        Mutation::Replace(at, token) => tokens[at.index(len)] = token,
        Mutation::Insert(at, token) => tokens.insert(at.index(len + 1), token),
        Mutation::Nest(open, close, depth, not) => {
            let (open, close) = (open.index(len), close.index(len));
            let (first, last) = (open.min(close), open.max(close));
            tokens.insert(last + 1, ")".repeat(depth));
            let opener = if not { "NOT (" } else { "(" };
            tokens.insert(first, opener.repeat(depth));
        }
    }
}

fn mutated() -> impl Strategy<Value = String> {
    (
        prop::sample::select(SEEDS),
        prop::collection::vec(mutation(), 1..6),
    )
        .prop_map(|(seed, mutations)| {
            let mut tokens = tokens(seed);
            for mutation in mutations {
                apply(&mut tokens, mutation);
            }
            tokens.join(" ")
        })
}

fn built_from_words() -> impl Strategy<Value = String> {
    prop::collection::vec(random_token(), 0..24).prop_map(|tokens| tokens.join(" "))
}

/// Asserts the answer to `q` is a result or one of Salesforce's positional query errors.
fn assert_salesforce_shape(q: &str, status: StatusCode, body: &Value) -> Result<(), String> {
    let context = || format!("q = {q:?}\n{status} {body}");
    match status {
        StatusCode::OK => {
            let result = body["totalSize"].is_u64()
                && body["done"].is_boolean()
                && body["records"].is_array();
            result
                .then_some(())
                .ok_or_else(|| format!("not a query result: {}", context()))
        }
        StatusCode::BAD_REQUEST => {
            let [error] = body.as_array().map(Vec::as_slice).unwrap_or_default() else {
                return Err(format!("not one error: {}", context()));
            };
            let code = error["errorCode"].as_str().unwrap_or_default();
            let message = error["message"].as_str().unwrap_or_default();
            let known = ["MALFORMED_QUERY", "INVALID_FIELD", "INVALID_TYPE"].contains(&code);
            (known && points_into(q, message))
                .then_some(())
                .ok_or_else(|| format!("not a positional query error: {}", context()))
        }
        _ => Err(format!("neither 200 nor 400: {}", context())),
    }
}

/// Whether `message` is `\n<line of q>\n<caret>\nERROR at Row:r:Column:c\n…` with the
/// caret under column `c` of row `r`, a place inside `q` or just past its end.
fn points_into(q: &str, message: &str) -> bool {
    let mut lines = message.split('\n').skip(1);
    let (Some(line), Some(caret), Some(at)) = (lines.next(), lines.next(), lines.next()) else {
        return false;
    };
    let position = at
        .strip_prefix("ERROR at Row:")
        .and_then(|rest| rest.split_once(":Column:"))
        .and_then(|(row, column)| {
            Some((row.parse::<usize>().ok()?, column.parse::<usize>().ok()?))
        });
    let Some((row, column)) = position else {
        return false;
    };
    let row_text = q.split('\n').nth(row.wrapping_sub(1));
    row_text == Some(line)
        && column >= 1
        && column <= line.chars().count() + 1
        && caret == format!("{}^", " ".repeat(column - 1))
}

async fn soql(emulator: &Emulator, q: &str) -> (StatusCode, Value) {
    let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let reply = emulator
        .call(Method::GET, &format!("/query?q={encoded}"), None)
        .await;
    (reply.status, reply.json)
}

async fn seeded() -> Emulator {
    let emulator = start().await;
    for lead in [
        json!({"LastName": "Ames", "Company": "Acme", "Email": "ames@acme.test", "Rating": "Hot", "NumberOfEmployees": 10}),
        json!({"LastName": "Baker", "Company": "Globex", "NumberOfEmployees": 250}),
        json!({"LastName": "Cole", "Company": "Acme", "Description": "x-x".repeat(5000)}),
    ] {
        emulator.create(&lead.to_string()).await;
    }
    emulator
}

/// Runs `strategy`'s queries against one seeded emulator.
fn fuzz(strategy: impl Strategy<Value = String>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let emulator = runtime.block_on(seeded());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::default());
    let outcome = runner.run(&strategy, |q| {
        let (status, body) = runtime.block_on(soql(&emulator, &q));
        assert_salesforce_shape(&q, status, &body).map_err(TestCaseError::fail)
    });
    runtime.block_on(emulator.handle.shutdown());
    if let Err(error) = outcome {
        panic!("{error}");
    }
}

#[test]
fn mutated_queries_get_a_result_or_a_positional_error() {
    fuzz(mutated());
}

#[test]
fn queries_of_random_words_get_a_result_or_a_positional_error() {
    fuzz(built_from_words());
}

#[test]
fn random_text_gets_a_result_or_a_positional_error() {
    fuzz(prop_oneof![
        "\\PC{0,40}",
        ".{0,40}",
        "SELECT Id FROM Lead WHERE \\PC{0,40}"
    ]);
}

/// A query through `/composite`, where the URL may be longer than a request line allows.
async fn composite_soql(emulator: &Emulator, q: &str) -> Value {
    let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let url = format!("/services/data/v60.0/query?q={encoded}");
    let body = json!({"compositeRequest": [{"method": "GET", "url": url, "referenceId": "q"}]});
    let reply = emulator
        .call(Method::POST, "/composite", Some(&body.to_string()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json["compositeResponse"][0].clone()
}

#[tokio::test]
async fn ten_thousand_parentheses_are_a_malformed_query() {
    let emulator = seeded().await;
    for opener in ["(", "NOT ", "NOT ("] {
        let q = format!("SELECT Id FROM Lead WHERE {}", opener.repeat(10_000));
        let response = composite_soql(&emulator, &q).await;
        assert_eq!(response["httpStatusCode"], 400, "{response}");
        let error = &response["body"][0];
        assert_eq!(error["errorCode"], "MALFORMED_QUERY", "{error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.ends_with("nests parentheses and NOT more than 100 levels deep"),
            "{message}"
        );
    }
    emulator.handle.shutdown().await;
}

#[tokio::test]
async fn a_long_chain_of_conditions_is_evaluated() {
    let emulator = seeded().await;
    let chain = " OR LastName = 'Nobody' AND Id != null".repeat(20_000);
    let q = format!("SELECT LastName FROM Lead WHERE LastName = 'Baker'{chain}");
    let response = composite_soql(&emulator, &q).await;
    assert_eq!(response["httpStatusCode"], 200, "{response}");
    assert_eq!(response["body"]["records"][0]["LastName"], "Baker");
    emulator.handle.shutdown().await;
}

/// A million-character pattern over a 15,000-character text: a table of every pair would
/// take 15 GB.
#[tokio::test]
async fn a_long_like_pattern_over_a_long_text_is_answered() {
    let emulator = seeded().await;
    let pattern = "%x".repeat(500_000);
    let q = format!("SELECT LastName FROM Lead WHERE Description LIKE '{pattern}'");
    let response = composite_soql(&emulator, &q).await;
    assert_eq!(response["httpStatusCode"], 200, "{response}");
    assert_eq!(response["body"]["totalSize"], 0, "{response}");
    emulator.handle.shutdown().await;
}
