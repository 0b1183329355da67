//! The environment layer: `LEADWIRE_<SECTION>__<KEY>` overrides the file for every section,
//! and random variables (known and unknown sections and keys, values of every shape) never
//! make the loader panic, and each problem names its `section.key`. A test binary of its
//! own, since `figment::Jail` sets real process variables (one jail at a time).

use leadwire::config::load_settings;
use leadwire::logging::LogFormat;
use proptest::prelude::*;

// `Jail`'s closure must return figment's own (large) error type.
#[allow(clippy::result_large_err)]
#[test]
fn environment_variables_override_every_section_of_the_file() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "leadwire.toml",
            "[delivery]\nretry_delays = [\"1m\"]\n[workers]\nbatch = 16\n",
        )?;
        jail.set_env("LEADWIRE_SERVER__LISTEN", "127.0.0.1:9999");
        jail.set_env("LEADWIRE_STORE__MAX_ARRAY_LENGTH", "40");
        jail.set_env("LEADWIRE_DELIVERY__RETRY_DELAYS", "[\"1s\", \"2s\"]");
        jail.set_env("LEADWIRE_DELIVERY__TIMEOUT", "30s");
        jail.set_env("LEADWIRE_WORKERS__MAX_ATTEMPTS", "9");
        jail.set_env("LEADWIRE_EMULATOR__LISTEN", "127.0.0.1:8443");
        jail.set_env("LEADWIRE_LOG__FORMAT", "json");
        let file = jail.directory().join("leadwire.toml");
        let settings = load_settings(Some(&file)).map_err(|error| error.to_string())?;
        assert_eq!(settings.server.listen, "127.0.0.1:9999");
        assert_eq!(settings.store.max_array_length, 40);
        assert_eq!(settings.delivery.retry_schedule().max_retries(), 2);
        assert_eq!(settings.delivery.timeout.seconds(), 30);
        assert_eq!(settings.workers.max_attempts, 9);
        assert_eq!(settings.workers.batch, 16, "the file's value stays");
        assert_eq!(settings.emulator.listen.map(|a| a.port()), Some(8443));
        assert_eq!(settings.log.format, LogFormat::Json);

        // figment would panic decoding this value; the variable is named instead.
        jail.set_env("LEADWIRE_STORE__DATA_DIR", "\"é\\n\"");
        let error = format!("{:#}", load_settings(Some(&file)).expect_err("unreadable"));
        assert!(
            error.contains("the environment variable LEADWIRE_STORE__DATA_DIR cannot be read"),
            "{error}"
        );
        jail.set_env("LEADWIRE_STORE__DATA_DIR", "\"\\u00e9\\n\"");
        load_settings(Some(&file)).map_err(|error| error.to_string())?;
        jail.set_env("LEADWIRE_STORE__DATA_DIR", "é");
        load_settings(Some(&file)).map_err(|error| error.to_string())?;

        jail.set_env("LEADWIRE_DELIVERY__RETRIES", "3");
        let error = format!("{:#}", load_settings(Some(&file)).expect_err("unknown key"));
        assert!(error.contains("delivery.retries: unknown field"), "{error}");
        assert!(error.contains("environment variable"), "{error}");
        Ok(())
    });
}

const SECTIONS: &[&str] = &["SERVER", "STORE", "DELIVERY", "WORKERS", "EMULATOR", "LOG"];

/// `LEADWIRE_<SECTION>__<KEY>`: known sections and keys, nested keys, and unknown ones.
fn variable() -> impl Strategy<Value = String> {
    let section = prop_oneof![
        4 => prop::sample::select(SECTIONS).prop_map(str::to_owned),
        1 => "[A-Z_]{0,8}",
    ];
    let key = prop_oneof![
        4 => prop::sample::select(&[
            "LISTEN", "MAX_BODY_BYTES", "REQUEST_TIMEOUT_SECONDS", "DATABASE_URL",
            "MAX_CONNECTIONS", "MAX_ARRAY_LENGTH", "TRIGGERS__CUSTOM_EVENTS",
            "TRIGGERS__EMAIL_ADDED", "TIMEOUT", "RETRY_DELAYS", "RETRY_JITTER",
            "ALLOWED_HOSTS", "BREAKER_WINDOW", "CONCURRENCY", "BATCH", "MAX_ATTEMPTS",
            "PERSIST", "FORMAT", "FILTER",
        ][..])
        .prop_map(str::to_owned),
        1 => "[A-Z_]{0,10}",
    ];
    (section, key).prop_map(|(section, key)| format!("LEADWIRE_{section}__{key}"))
}

/// What an environment variable may hold: numbers, durations, TOML arrays and tables,
/// broken ones, unicode.
fn env_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(&[
            "", "0", "-1", "1", "99999999999999999999", "1e400", "nan", "true", "yes", "30s",
            "0s", "-5m", "9999999999w", "[\"1s\", \"2s\"]", "[]", "[", "]", "{", "{a = 1}",
            "\"quoted\"", "\"", "json", "text", "127.0.0.1:0", "[::1]:99999", "postgres://",
            "sqlite://", "all", "none", "[\"a\", 1]", "\u{0}", "é😀",
        ][..])
        .prop_map(str::to_owned),
        1 => "\\PC{0,12}",
        1 => any::<i64>().prop_map(|n| n.to_string()),
    ]
    .prop_filter("a process variable cannot hold a NUL", |value| {
        !value.contains('\0')
    })
}

proptest! {
    // 256 cases, or `PROPTEST_CASES`.
    #[allow(clippy::result_large_err)]
    #[test]
    fn random_environment_variables_load_or_name_each_problem(
        variables in prop::collection::vec((variable(), env_value()), 1..5),
    ) {
        let mut named = Ok(());
        figment::Jail::expect_with(|jail| {
            for (name, value) in &variables {
                jail.set_env(name, value);
            }
            if let Err(error) = load_settings(None) {
                let message = format!("{error:#}");
                let mut lines = message.lines();
                named = match lines.next() {
                    Some("invalid settings:") => lines
                        .map(str::trim_start)
                        .find(|problem| {
                            !SECTIONS.iter().any(|section| {
                                let section = section.to_ascii_lowercase();
                                problem.contains(&format!("{section}."))
                                    || problem.starts_with(&format!("{section}:"))
                            })
                        })
                        .map_or(Ok(()), |problem| Err(format!("{problem}\nin\n{message}"))),
                    Some(line) if line.starts_with("the environment variable LEADWIRE_") => Ok(()),
                    _ => Err(message.clone()),
                };
            }
            Ok(())
        });
        named.map_err(TestCaseError::fail)?;
    }
}
