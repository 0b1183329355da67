//! The loader's layers, the defaults file against the Rust defaults, and the problems named.

use std::path::PathBuf;

use super::*;

/// A config file in a fresh temp directory.
fn file_with(content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leadwire-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("leadwire.toml");
    std::fs::write(&file, content).expect("write config");
    file
}

#[test]
fn the_defaults_file_holds_the_rust_defaults_of_every_section() {
    let settings = Settings::from_layers(&Figment::from(Toml::string(DEFAULTS)))
        .expect("the compiled-in defaults are valid");
    assert_eq!(settings.server, ServerConfig::default());
    assert_eq!(settings.store, StoreConfig::default());
    assert_eq!(settings.delivery, DeliverySettings::default());
    assert_eq!(settings.workers, WorkerOptions::default());
    assert_eq!(settings.emulator, EmulatorSection::default());
    assert_eq!(settings.log, LogSettings::default());
}

#[test]
fn a_file_overrides_the_defaults_key_by_key() {
    let file = file_with(
        "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nmax_array_length = 50\n[store.triggers]\ncustom_events = [\"demo\"]\n[delivery]\nretry_delays = [\"1s\"]\n[workers]\nbatch = 16\n[emulator]\nlisten = \"127.0.0.1:8443\"\n",
    );
    let settings = load_settings(Some(&file)).expect("valid file");
    assert_eq!(settings.server.listen, "127.0.0.1:0");
    assert_eq!(
        settings.server.max_body_bytes,
        ServerConfig::default().max_body_bytes
    );
    assert_eq!(settings.store.max_array_length, 50);
    assert!(settings.store.triggers.custom_events.allows("demo"));
    assert!(!settings.store.triggers.custom_events.allows("other"));
    assert_eq!(settings.delivery.retry_schedule().max_retries(), 1);
    assert_eq!(
        settings.delivery.timeout,
        DeliverySettings::default().timeout
    );
    assert_eq!(settings.workers.batch, 16);
    assert_eq!(
        settings.workers.max_attempts,
        WorkerOptions::default().max_attempts
    );
    assert_eq!(
        settings.emulator.listen.map(|listen| listen.port()),
        Some(8443)
    );
    assert!(settings.emulator.persist);
}

#[test]
fn every_problem_is_named_with_its_section_key_and_file() {
    let file = file_with(
        "[store]\nmax_array_length = 500\n[delivery]\nretries = 3\n[workers]\nconcurrency = 0\n[server]\nmax_body_bytes = \"big\"\n[log]\nformat = \"xml\"\n",
    );
    let error = format!(
        "{:#}",
        load_settings(Some(&file)).expect_err("five problems")
    );
    for expected in [
        "store.max_array_length: must be between 1 and 100",
        "delivery.retries: unknown field `retries`; the keys are `allowed_hosts`",
        "workers.concurrency must be at least 1",
        "server.max_body_bytes: invalid type",
        "log.format: unknown variant",
        "leadwire.toml)",
    ] {
        assert!(
            error.contains(expected),
            "{expected:?} missing from:\n{error}"
        );
    }
    let not_a_table = file_with("delivery = 0\nlog = \"json\"\n");
    let error = format!(
        "{:#}",
        load_settings(Some(&not_a_table)).expect_err("two problems")
    );
    for expected in [
        "delivery: invalid type: found signed int `0`, expected struct DeliverySettings",
        "log: invalid type: found string \"json\"",
    ] {
        assert!(
            error.contains(expected),
            "{expected:?} missing from:\n{error}"
        );
    }
    let not_toml = file_with("[server]\nlisten = 99999999999999999999\n");
    let error = format!(
        "{:#}",
        load_settings(Some(&not_toml)).expect_err("not TOML")
    );
    assert!(
        error.contains("is not valid TOML: TOML parse error at line 2, column 10"),
        "{error}"
    );
    assert_eq!(
        error.matches("TOML parse error").count(),
        1,
        "once, not once per section: {error}"
    );
    let missing = load_settings(Some(Path::new("/nonexistent/leadwire.toml")));
    assert!(format!("{:#}", missing.expect_err("no file")).contains("does not exist"));
}

#[test]
fn a_shutdown_grace_of_zero_is_refused() {
    let file = file_with("[server]\nshutdown_grace_seconds = 0\n");
    let error = format!("{:#}", load_settings(Some(&file)).expect_err("zero"));
    assert!(
        error.contains("server.shutdown_grace_seconds must be positive"),
        "{error}"
    );
    let file = file_with("[server]\nshutdown_grace_seconds = 3\n");
    let settings = load_settings(Some(&file)).expect("a positive grace");
    assert_eq!(settings.server.shutdown_grace_seconds, 3);
}

#[test]
fn values_figment_would_misread_are_told_apart() {
    for misread in [r#""é\n""#, r#"["a", "éé\t"]"#, r#"{ k = "ü\"" }"#] {
        assert!(misread_by_figment(misread), "{misread}");
    }
    for read in [
        "é",
        r"C:\Users\Jörg",
        r#""\u00e9\n""#,
        r#""a\n é\t""#,
        r#"é "a\n""#,
        r#""é" "\n""#,
        r#"®\""#,
    ] {
        assert!(!misread_by_figment(read), "{read}");
    }
}
