//! `leadwire liquid render` end to end: the built binary, stdin/stdout, exit codes, and a
//! real local HTTP server for `connected_content`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn scratch_file(name: &str, contents: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "leadwire-liquid-cli-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("the temp dir is writable");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("the temp file is writable");
    path
}

fn run(template: &str, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadwire"))
        .args(["liquid", "render"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(template.as_bytes())
        .expect("stdin accepts the template");
    child.wait_with_output().expect("the binary finishes")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn renders_a_user_and_event_to_stdout() {
    let user = scratch_file(
        "user.json",
        r#"{"external_id":"00Q1","first_name":"Ada","lead score":7}"#,
    );
    let event = scratch_file("event.json", r#"{"plan":"pro"}"#);
    let context = scratch_file("context.json", r#"{"greeting":"Hello"}"#);
    let output = run(
        "{{ greeting }} {{${first_name}}} ({{${user_id}}}) {{custom_attribute.${lead score}}} {{event_properties.${plan}}}",
        &[
            "--user",
            user.to_str().unwrap(),
            "--event",
            event.to_str().unwrap(),
            "--context",
            context.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "Hello Ada (00Q1) 7 pro");
}

#[test]
fn template_errors_exit_2_with_the_message_on_stderr() {
    let output = run("line one\n{% if x %}", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("line 2, column 1"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).is_empty());

    let output = run("{{ nobody }}", &["--strict"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown variable `nobody`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn aborts_exit_3_with_the_reason_on_stderr() {
    let output = run("partial output{% abort_message('not at threshold') %}", &[]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("not at threshold"));
    assert!(
        stdout(&output).is_empty(),
        "an abort never mixes into the output"
    );
}

#[test]
fn repeat_renders_many_times_and_prints_once() {
    let output = run("{% increment n %}x", &["--repeat", "5"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "0x");
}

#[test]
fn partials_feed_include_and_render() {
    let partials = scratch_file("partials.json", r#"{"greet":"Hi {{ name }}"}"#);
    let output = run(
        "{% render 'greet', name: 'Ada' %}!",
        &["--partials", partials.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "Hi Ada!");
}

#[test]
fn the_seed_placeholder_url_is_reported() {
    let template = "{% connected_content https://[insert_instance_name].my.salesforce.com/services/oauth2/token :method post :body client_id=a&client_secret=b&grant_type=client_credentials :save result %}Bearer {{result.access_token}}";
    let output = run(template, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("https://[insert_instance_name].my.salesforce.com/services/oauth2/token is not a valid URL"),
        "{}",
        stderr(&output)
    );
}

/// A one-connection-at-a-time HTTP/1.1 server that answers every request with `body`
/// and records each request's head and body.
fn serve(body: &'static str, requests: usize) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("a bound address").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            let mut content_length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut request_body = vec![0u8; content_length];
            let _ = reader.read_exact(&mut request_body);
            log.lock().expect("not poisoned").push(format!(
                "{head}\n{}",
                String::from_utf8_lossy(&request_body)
            ));
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = reader.get_mut().write_all(response.as_bytes());
        }
    });
    (port, seen)
}

#[test]
fn connected_content_calls_a_real_server() {
    let (port, seen) = serve(r#"{"access_token":"tok123","token_type":"Bearer"}"#, 1);
    let template = format!(
        "{{% connected_content http://127.0.0.1:{port}/services/oauth2/token :method post :body client_id=id&client_secret=s3cret&grant_type=client_credentials :save result %}}Bearer {{{{result.access_token}}}}"
    );
    let output = run(&template, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "Bearer tok123");
    let requests = seen.lock().expect("not poisoned").clone();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].starts_with("POST /services/oauth2/token HTTP/1.1"),
        "{}",
        requests[0]
    );
    assert!(
        requests[0]
            .to_ascii_lowercase()
            .contains("content-type: application/x-www-form-urlencoded")
    );
    assert!(
        requests[0].ends_with("client_id=id&client_secret=s3cret&grant_type=client_credentials")
    );
}

#[test]
fn repeated_gets_are_served_from_the_cache() {
    let (port, seen) = serve(r#"{"name":"widget"}"#, 2);
    let template = format!(
        "{{% connected_content http://127.0.0.1:{port}/items/1 %}}{{{{ connected.name }}}}"
    );
    let output = run(&template, &["--repeat", "3"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "widget");
    assert_eq!(
        seen.lock().expect("not poisoned").len(),
        1,
        "one request; the other renders hit the cache"
    );
}
