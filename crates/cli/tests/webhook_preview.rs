//! `leadwire webhook preview` run as a process, with a real token endpoint on a local socket.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Serves `connections` requests with a Salesforce-style token response, then stops.
fn token_endpoint(connections: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
    let address = listener.local_addr().expect("a bound address");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("a cloneable stream"));
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let reply = r#"{"access_token":"tok-123","instance_url":"http://127.0.0.1","token_type":"Bearer"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    format!("http://{address}")
}

/// Writes `text` to a file of its own: tests run in parallel, and two tests writing one
/// path could let a third read it half-written.
fn temp_file(name: &str, text: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let unique = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-{unique}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("the temporary file is writable");
    path
}

fn preview(config: &Path, template: &str, user: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leadwire"))
        .args(["webhook", "preview", "--config"])
        .arg(config)
        .args(["--template", template, "--user"])
        .arg(user)
        .env("SALESFORCE_CLIENT_SECRET", "shh")
        .output()
        .expect("the leadwire binary runs")
}

fn example() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/salesforce-leads.toml");
    std::fs::read_to_string(path).expect("the example is readable")
}

fn user() -> PathBuf {
    temp_file(
        "preview-user.json",
        r#"{"external_id": "00Q5e00000AbCdEFGH", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "company": "Analytical \"Engines\""}"#,
    )
}

#[test]
fn prints_the_rendered_request_with_the_fetched_token() {
    let endpoint = token_endpoint(2);
    let config = temp_file(
        "preview.toml",
        &example().replace("http://127.0.0.1:8443", &endpoint),
    );
    let output = preview(&config, "Create Lead", &user());
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = format!(
        "POST {endpoint}/services/data/v60.0/sobjects/Lead/\nAuthorization: Bearer tok-123\nContent-Type: application/json\n\n{}\n",
        r#"{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","company":"Analytical \"Engines\""}"#
    );
    assert_eq!(text, expected);
    let output = preview(&config, "Update Lead to MQL", &user());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.starts_with(&format!(
            "PATCH {endpoint}/services/data/v60.0/sobjects/Lead/00Q5e00000AbCdEFGH\n"
        )),
        "{text}"
    );
    assert!(text.ends_with("\n{\"Lead_Stage__c\":\"MQL\"}\n"), "{text}");
}

#[test]
fn the_verbatim_template_fails_with_the_invalid_url_error() {
    let config =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/salesforce-leads-verbatim.toml");
    let output = preview(&config, "Create Lead", &user());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("headers.Authorization: https://[insert_instance_name].my.salesforce.com/services/oauth2/token is not a valid URL"),
        "{stderr}"
    );
}

#[test]
fn an_abort_and_an_unknown_template_are_reported() {
    let config = temp_file(
        "preview-abort.toml",
        "[[webhook_templates]]\nname = \"Hand-off\"\nurl = \"https://example.com/lead\"\nmethod = \"PATCH\"\nbody.raw = '''\n{% assign threshold = 100%}\n{% if custom_attribute.${lead score} > threshold %}{\"lead_status\": \"MQL\"}{% else %}{% abort_message('not at threshold')%}{% endif %}'''\n",
    );
    let low = temp_file("preview-low.json", r#"{"lead score": 40}"#);
    let output = preview(&config, "Hand-off", &low);
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "aborted in body.raw: not at threshold\n"
    );
    let output = preview(&config, "Create Lead", &low);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("no webhook template named `Create Lead`; the config has: Hand-off")
    );
}

#[test]
fn connection_access_tokens_are_fetched_like_delivery_does() {
    let endpoint = token_endpoint(1);
    let config = temp_file(
        "preview-token.toml",
        &format!(
            "[[salesforce_connections]]\nname = \"sales-cloud\"\ninstance_url = \"{endpoint}\"\nclient_id = \"id\"\nclient_secret_env = \"SALESFORCE_CLIENT_SECRET\"\n\n[[webhook_templates]]\nname = \"Create Lead\"\nconnection = \"sales-cloud\"\nurl = \"{{{{connection.instance_url}}}}/services/data/v60.0/sobjects/Lead/\"\nmethod = \"POST\"\nheaders = {{ Authorization = \"Bearer {{{{connection.access_token}}}}\" }}\nbody.json = {{ lastName = \"{{{{${{last_name}}}}}}\" }}\n"
        ),
    );
    let output = preview(&config, "Create Lead", &user());
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("Authorization: Bearer tok-123\n"), "{text}");
    assert!(text.ends_with("{\"lastName\":\"Lovelace\"}\n"), "{text}");
}
