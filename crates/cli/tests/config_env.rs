//! The environment layer: `LEADWIRE_<SECTION>__<KEY>` overrides the file for every section.
//! A test binary of its own, since `figment::Jail` sets real process variables.

use leadwire::config::load_settings;
use leadwire::logging::LogFormat;

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

        jail.set_env("LEADWIRE_DELIVERY__RETRIES", "3");
        let error = format!("{:#}", load_settings(Some(&file)).expect_err("unknown key"));
        assert!(error.contains("delivery.retries: unknown field"), "{error}");
        assert!(error.contains("environment variable"), "{error}");
        Ok(())
    });
}
