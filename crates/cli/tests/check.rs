//! `leadwire check` run as a process on good and bad config files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn check(path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leadwire"))
        .args(["check", "--config"])
        .arg(path)
        .output()
        .expect("the leadwire binary runs")
}

fn write_config(name: &str, text: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, text).expect("the temporary config is writable");
    path
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn every_example_passes() {
    let mut checked = 0;
    for entry in std::fs::read_dir(examples()).expect("examples/ exists") {
        let path = entry.expect("a directory entry").path();
        if path
            .extension()
            .is_some_and(|extension| extension == "toml")
        {
            let output = check(&path);
            assert!(
                output.status.success(),
                "{}: {}",
                path.display(),
                stdout(&output)
            );
            assert!(
                stdout(&output).contains(": ok: 0 errors"),
                "{}",
                stdout(&output)
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "both examples are checked");
}

#[test]
fn the_quick_start_example_checks_without_a_warning() {
    let output = check(&examples().join("salesforce-leads.toml"));
    let text = stdout(&output);
    assert!(text.contains(": ok: 0 errors, 0 warnings"), "{text}");
}

#[test]
fn the_verbatim_example_warns_about_the_placeholder_url() {
    let output = check(&examples().join("salesforce-leads-verbatim.toml"));
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.contains("salesforce-leads-verbatim.toml:13: warning: https://[insert_instance_name].my.salesforce.com/services/oauth2/token is not a valid URL"), "{text}");
}

#[test]
fn semantic_errors_print_file_line_and_fix_and_exit_1() {
    let source = std::fs::read_to_string(examples().join("salesforce-leads.toml"))
        .expect("the example is readable");
    let broken = source
        .replace(
            "client_secret_env = \"SALESFORCE_CLIENT_SECRET\"",
            "client_secret = \"hunter2\"",
        )
        .replace("next = \"Mark as MQL\"", "next = \"Mark as SQL\"");
    let path = write_config("broken-semantics.toml", &broken);
    let output = check(&path);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let secret_line = broken
        .lines()
        .position(|line| line.starts_with("client_secret ="))
        .map(|index| index + 1);
    let next_line = broken
        .lines()
        .position(|line| line == "next = \"Mark as SQL\"")
        .map(|index| index + 1);
    let file = path.display();
    assert!(
        text.contains(&format!("{file}:{}: error: connection `sales-cloud` has its client secret written in the config file", secret_line.unwrap_or(0))),
        "{text}"
    );
    assert!(
        text.contains("fix: remove client_secret and set client_secret_env"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{file}:{}: error: step `MQL Threshold check` connects to `Mark as SQL`",
            next_line.unwrap_or(0)
        )),
        "{text}"
    );
    assert!(text.contains("fix: connect it to one of"), "{text}");
    assert!(!text.contains("hunter2"), "the secret is never printed");
    assert!(
        text.contains(": failed: 4 errors, 0 warnings"),
        "the two unreachable steps after the broken connection count too: {text}"
    );
}

#[test]
fn parse_errors_print_the_line_and_exit_1() {
    let path = write_config(
        "broken-syntax.toml",
        "[[webhook_templates]]\nname = \"t\"\nurl = \"https://example.com\"\nmethod = \"FETCH\"\n",
    );
    let output = check(&path);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains(&format!(
            "{}:4: error: unknown variant `FETCH`",
            path.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("fix: use one of the values the message lists"),
        "{text}"
    );
}

/// A file that is not TOML is one error with its line, not one more per settings section.
#[test]
fn a_syntax_error_is_reported_once() {
    let path = write_config("not-toml.toml", "[server]\nlisten = 99999999999999999999\n");
    let output = check(&path);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains(&format!("{}:2: error:", path.display())),
        "{text}"
    );
    assert!(text.contains("failed: 1 error, 0 warnings"), "{text}");
}

#[test]
fn a_missing_file_is_an_error() {
    let output = check(Path::new("/nonexistent/leadwire.toml"));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("cannot read the config file /nonexistent/leadwire.toml")
    );
}

#[test]
fn server_and_store_sections_are_checked_too() {
    let source = std::fs::read_to_string(examples().join("salesforce-leads.toml"))
        .expect("the example is readable");
    let broken = source
        + "\n[server]\nlisen = \"127.0.0.1:8080\"\n\n[store]\ndatabase_url = \"mysql://db\"\n";
    let path = write_config("broken-sections.toml", &broken);
    let output = check(&path);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let file = path.display();
    let line_of = |needle: &str| {
        broken
            .lines()
            .position(|line| line == needle)
            .map_or(0, |index| index + 1)
    };
    assert!(
        text.contains(&format!(
            "{file}:{}: error: server.lisen: unknown field `lisen`",
            line_of("[server]")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{file}:{}: error: invalid store configuration",
            line_of("[store]")
        )),
        "{text}"
    );
    assert!(text.contains("store.database_url must be empty"), "{text}");
}

#[test]
fn the_emulator_section_is_checked_against_the_connections() {
    let source = std::fs::read_to_string(examples().join("salesforce-leads.toml"))
        .expect("the example is readable");
    let elsewhere = source.replacen(
        "listen = \"127.0.0.1:8443\"",
        "listen = \"127.0.0.1:9443\"",
        1,
    );
    let output = check(&write_config("emulator-elsewhere.toml", &elsewhere));
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(
        text.contains("warning: no [[salesforce_connections]] entry points at the emulator on 127.0.0.1:9443, so `serve` will not start it"),
        "{text}"
    );

    let unreachable = source.replace(
        "allowed_hosts = [\"127.0.0.1\", \"localhost\"]",
        "allowed_hosts = []",
    );
    let text = stdout(&check(&write_config("emulator-refused.toml", &unreachable)));
    assert!(
        text.contains("[delivery] allowed_hosts does not list, so every send to it is refused"),
        "{text}"
    );

    let misspelt = source.replacen(
        "listen = \"127.0.0.1:8443\"",
        "listen = \"127.0.0.1:8443\"\nport = 1",
        1,
    );
    let output = check(&write_config("emulator-misspelt.toml", &misspelt));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("error: emulator.port: unknown field `port`"),
        "{}",
        stdout(&output)
    );
}
