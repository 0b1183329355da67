//! A running node watches its components: `/readyz` is 200 while every one is up and 503
//! naming the one that stopped, and a component that stops on its own makes `serve` stop
//! with an error naming it (so the process exits non-zero). A shutdown ends after
//! `server.shutdown_grace_seconds` even when a request never finishes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use leadwire::commands::serve::{Listeners, Running, ServeInputs, start};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use uuid::Uuid;

const KEY: &str = "supervision-key-0123456789abcdef";

/// Far longer than anything here should take; only a hang reaches it.
const GENEROUS: Duration = Duration::from_secs(120);

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leadwire-supervision-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Starts a node on `config` (written to `dir`), its API on port 0.
async fn node(dir: &Path, config: &str, emulator: Option<TcpListener>) -> Running {
    let path = dir.join("leadwire.toml");
    let text = format!(
        "{config}\n[server]\nlisten = \"127.0.0.1:0\"\nrequest_timeout_seconds = 600\nshutdown_grace_seconds = 1\n\n[store]\ndata_dir = {:?}\n",
        dir.join("data").display().to_string()
    );
    std::fs::write(&path, text).expect("config written");
    let inputs = ServeInputs::load(Some(&path)).expect("the config passes check");
    let listeners = Listeners {
        api: TcpListener::bind("127.0.0.1:0").await.expect("a free port"),
        emulator,
    };
    start(inputs, listeners).await.expect("the node starts")
}

/// A node with only the API: one key, no campaigns, no templates.
async fn api_only(dir: &Path) -> Running {
    let config = format!(
        "[[api_keys]]\nname = \"test\"\nkey = \"{KEY}\"\npermissions = [\"users.track\"]\n"
    );
    node(dir, &config, None).await
}

/// The example config on an emulator of its own: API, ingest writer, journey workers,
/// delivery worker and the built-in emulator.
async fn full_node(dir: &Path) -> Running {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/salesforce-leads.toml"
    );
    let emulator = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let port = emulator.local_addr().expect("bound").port();
    let source = std::fs::read_to_string(example)
        .expect("the example config is readable")
        .replace(
            "key_env = \"LEADWIRE_API_KEY\"\nwhen_unset = \"generate\"",
            &format!("key = \"{KEY}\""),
        )
        .replace("127.0.0.1:8443", &format!("127.0.0.1:{port}"));
    node(dir, &source, Some(emulator)).await
}

async fn readyz(node: &Running) -> (u16, Value) {
    let response = reqwest::get(format!("http://{}/readyz", node.address))
        .await
        .expect("the API answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// The `field` of every error of a 503 body: the components that are down.
fn down(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|error| error["field"].as_str().map(str::to_owned))
        .collect()
}

/// Polls `/readyz` until `component` is reported down; returns the last answer.
async fn until_down(node: &Running, component: &str) -> (u16, Value) {
    let poll = async {
        loop {
            let (status, body) = readyz(node).await;
            if down(&body).iter().any(|name| name == component) {
                return (status, body);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(GENEROUS, poll)
        .await
        .unwrap_or_else(|_| panic!("/readyz never reported {component} down"))
}

/// Waits for the node to stop by itself (no signal) and returns its error.
async fn stops_by_itself(node: Running) -> String {
    let stopped = tokio::time::timeout(GENEROUS, node.wait(std::future::pending()))
        .await
        .expect("the node stops by itself");
    format!(
        "{:#}",
        stopped.expect_err("a stopped component is an error")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_emulator_makes_readyz_503_and_the_node_stop_naming_it() {
    let dir = scratch();
    let node = full_node(&dir).await;
    let (status, body) = readyz(&node).await;
    assert_eq!((status, &body), (200, &json!({"status": "ok"})));

    // Stop the emulator's server behind the node's back, as a crash of it would.
    node.emulator()
        .expect("the emulator runs")
        .shutdown_token()
        .cancel();
    let (status, body) = until_down(&node, "salesforce emulator").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["message"], "Service Unavailable");
    assert_eq!(down(&body), ["salesforce emulator"], "only what is down");

    let error = stops_by_itself(node).await;
    assert!(error.contains("salesforce emulator"), "{error}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_store_stops_the_ingest_writer_and_the_node_says_so() {
    let dir = scratch();
    let node = api_only(&dir).await;
    assert_eq!(readyz(&node).await.0, 200);

    node.store().close().await;
    let response = reqwest::Client::new()
        .post(format!("http://{}/users/track", node.address))
        .bearer_auth(KEY)
        .json(&json!({"attributes": [{"external_id": "late", "x": 1}]}))
        .send()
        .await
        .expect("the API answers");
    assert_eq!(response.status().as_u16(), 500);
    let (status, body) = until_down(&node, "ingest writer").await;
    assert_eq!(status, 503);
    assert_eq!(down(&body), ["store", "ingest writer"], "{body}");
    let text = body.to_string();
    assert!(!text.contains("closed"), "names only, no reasons: {text}");

    let error = stops_by_itself(node).await;
    assert!(error.contains("ingest writer"), "{error}");
    assert!(error.contains("the store is closed"), "{error}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_ends_after_the_grace_while_a_request_hangs() {
    let dir = scratch();
    let node = api_only(&dir).await;

    // A request whose body never arrives in full: its handler waits for the rest far
    // longer than the test runs (request_timeout_seconds = 600).
    let mut client = TcpStream::connect(node.address).await.expect("connect");
    let head = format!(
        "POST /users/track HTTP/1.1\r\nHost: leadwire\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n"
    );
    client.write_all(head.as_bytes()).await.expect("send head");
    // The 100 Continue comes once the handler reads the body: the request is in flight.
    let mut answer = Vec::new();
    let mut buffer = [0u8; 256];
    while !String::from_utf8_lossy(&answer).contains("100 Continue") {
        let read = tokio::time::timeout(GENEROUS, client.read(&mut buffer))
            .await
            .expect("the server reads the body")
            .expect("read");
        assert!(read > 0, "the server closed the connection");
        answer.extend_from_slice(&buffer[..read]);
    }
    client
        .write_all(b"{\"attributes\": [")
        .await
        .expect("send part of the body");

    // Shut down (the signal has already come): the grace of 1 s cuts the request off.
    let stopped = tokio::time::timeout(GENEROUS, node.wait(async {}))
        .await
        .expect("the shutdown ends after the grace, not when the request does");
    stopped.expect("a shutdown that cut a request off is still a clean stop");
    drop(client);
    std::fs::remove_dir_all(&dir).ok();
}
