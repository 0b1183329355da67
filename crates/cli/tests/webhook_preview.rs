//! `leadwire webhook preview` run as a process, with a real token endpoint on a local socket.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const TOKEN: &str =
    r#"{"access_token":"tok-123","instance_url":"http://127.0.0.1","token_type":"Bearer"}"#;

/// Serves `connections` requests with a Salesforce-style token response, then stops.
fn token_endpoint(connections: usize) -> String {
    token_endpoint_answering(connections, "200 OK", TOKEN)
}

/// Serves `connections` requests with `status` and the JSON `reply`, then stops.
fn token_endpoint_answering(
    connections: usize,
    status: &'static str,
    reply: &'static str,
) -> String {
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
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
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
    preview_with_secret(config, template, user, Some("shh"))
}

fn preview_with_secret(config: &Path, template: &str, user: &Path, secret: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_leadwire"));
    command
        .args(["webhook", "preview", "--config"])
        .arg(config)
        .args(["--template", template, "--user"])
        .arg(user);
    match secret {
        Some(secret) => command.env("SALESFORCE_CLIENT_SECRET", secret),
        None => command.env_remove("SALESFORCE_CLIENT_SECRET"),
    };
    command.output().expect("the leadwire binary runs")
}

/// A Create Lead that reads `connection.access_token` of `sales-cloud` at `endpoint`.
fn access_token_config(endpoint: &str) -> PathBuf {
    temp_file(
        "preview-token.toml",
        &format!(
            "[[salesforce_connections]]\nname = \"sales-cloud\"\ninstance_url = \"{endpoint}\"\nclient_id = \"id\"\nclient_secret_env = \"SALESFORCE_CLIENT_SECRET\"\n\n[[webhook_templates]]\nname = \"Create Lead\"\nconnection = \"sales-cloud\"\nurl = \"{{{{connection.instance_url}}}}/services/data/v60.0/sobjects/Lead/\"\nmethod = \"POST\"\nheaders = {{ Authorization = \"Bearer {{{{connection.access_token}}}}\" }}\nbody.json = {{ lastName = \"{{{{${{last_name}}}}}}\" }}\n"
        ),
    )
}

fn example() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/salesforce-leads.toml");
    std::fs::read_to_string(path).expect("the example is readable")
}

fn user() -> PathBuf {
    temp_file(
        "preview-user.json",
        r#"{"external_id": "ada-1", "salesforce_lead_id": "00Q5e00000AbCdEFGH", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "company": "Analytical \"Engines\""}"#,
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
    let config = access_token_config(&endpoint);
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

const REFUSED: &str =
    r#"{"error":"invalid_client","error_description":"invalid client credentials"}"#;

/// Asserts a preview failed loudly over `sales-cloud`'s token: exit 2, no request printed,
/// and an error naming the connection with a fix.
fn assert_token_failure(output: &Output, what: &str, fix: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        !stdout.contains("Bearer"),
        "no request is printed: {stdout}"
    );
    assert!(
        stderr.contains("error: connection `sales-cloud`"),
        "{stderr}"
    );
    assert!(stderr.contains(what), "{what} in {stderr}");
    assert!(stderr.contains(&format!("fix: {fix}")), "{fix} in {stderr}");
}

#[test]
fn a_refused_token_request_fails_naming_the_connection() {
    // The example's Create Lead asks for its token through `connected_content`.
    let endpoint = token_endpoint_answering(1, "400 Bad Request", REFUSED);
    let config = temp_file(
        "preview-refused.toml",
        &example().replace("http://127.0.0.1:8443", &endpoint),
    );
    let output = preview(&config, "Create Lead", &user());
    assert_token_failure(
        &output,
        "answered HTTP 400: {\"error\":\"invalid_client\"",
        "check that SALESFORCE_CLIENT_SECRET holds the Consumer Secret of the connected app whose Consumer Key is `leadwire-emulator-client`",
    );

    // A template reading `connection.access_token` fails the same way.
    let endpoint = token_endpoint_answering(1, "400 Bad Request", REFUSED);
    let output = preview(&access_token_config(&endpoint), "Create Lead", &user());
    assert_token_failure(
        &output,
        "token request refused with HTTP 400: invalid_client",
        "check that SALESFORCE_CLIENT_SECRET holds",
    );
}

#[test]
fn an_unset_client_secret_is_named() {
    // Nothing is fetched: the port is never called.
    let output = preview_with_secret(
        &access_token_config("http://127.0.0.1:9"),
        "Create Lead",
        &user(),
        None,
    );
    assert_token_failure(
        &output,
        "has no client secret: set the environment variable SALESFORCE_CLIENT_SECRET",
        "SALESFORCE_CLIENT_SECRET is not set: export it with the Consumer Secret",
    );
}
