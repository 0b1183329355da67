//! The reqwest fetcher (feature `http`) against a real local server: no redirects, the 1 MB
//! cap, stored credentials.
#![cfg(feature = "http")]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use leadwire_liquid::http_fetcher::{Credential, ReqwestFetcher};
use leadwire_liquid::{ConnectedRequest, FetchError, Fetcher, HttpMethod};

/// Answers each connection with `response` (raw HTTP) and records the request heads.
fn serve(response: Vec<u8>, connections: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            log.lock().expect("not poisoned").push(head);
            let _ = reader.get_mut().write_all(&response);
        }
    });
    (base, seen)
}

fn get(url: String) -> ConnectedRequest {
    ConnectedRequest {
        method: HttpMethod::Get,
        url,
        headers: vec![("Accept".into(), "*/*".into())],
        body: None,
        basic_auth: None,
        auth_credentials: None,
        timeout: Duration::from_secs(2),
        max_response_bytes: 1024 * 1024,
        follow_redirects: false,
        cache_ttl: None,
        retry: false,
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let response = b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
    let (base, seen) = serve(response, 2);
    let fetcher = ReqwestFetcher::new().expect("a client");
    let answer = fetcher
        .fetch(&get(format!("{base}/start")))
        .await
        .expect("a response");
    assert_eq!(answer.status, 302);
    let seen = seen.lock().expect("not poisoned").clone();
    assert_eq!(seen.len(), 1, "only the first URL was requested");
    assert!(seen[0].starts_with("GET /start "));
}

#[tokio::test]
async fn bodies_over_the_cap_fail() {
    let body = "x".repeat(1024 * 1024 + 1);
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes();
    let (base, _) = serve(response, 1);
    let fetcher = ReqwestFetcher::new().expect("a client");
    let answer = fetcher.fetch(&get(format!("{base}/big"))).await;
    assert_eq!(answer, Err(FetchError::TooLarge(1024 * 1024)));
}

#[tokio::test]
async fn stored_credentials_are_sent_and_unknown_ones_fail() {
    let response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_vec();
    let (base, seen) = serve(response, 1);
    let fetcher = ReqwestFetcher::new().expect("a client").with_credential(
        "sf",
        Credential::Basic {
            username: "user".into(),
            password: "pass".into(),
        },
    );
    let mut request = get(format!("{base}/auth"));
    request.basic_auth = Some("sf".into());
    let answer = fetcher.fetch(&request).await.expect("a response");
    assert_eq!((answer.status, answer.body.as_str()), (200, "{}"));
    let head = seen.lock().expect("not poisoned")[0].to_ascii_lowercase();
    assert!(head.contains("authorization: basic dxnlcjpwyxnz"), "{head}");

    request.basic_auth = Some("missing".into());
    assert_eq!(
        fetcher.fetch(&request).await,
        Err(FetchError::UnknownCredential("missing".into()))
    );
}
