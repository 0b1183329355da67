//! The layered sections (`[server]`, `[store]`, `[delivery]`, `[workers]`, `[emulator]`,
//! `[log]`), checked through the same loader `serve` uses, so `check` rejects what `serve`
//! would: a bad key, an unusable database URL, an emulator no connection points at.

use std::path::Path;

use leadwire_core::config::{CheckReport, Config, ConfigPath, Diagnostic, Locator};

use crate::config::{Settings, layers};

/// Adds the problems of the layered sections of `path` (whose text is `source`) to `report`.
pub fn check_other_sections(path: &Path, source: &str, report: &mut CheckReport) {
    let locator = Locator::new(source);
    let already_failed = report.error_count() > 0;
    let mut push = |section: &str, mut diagnostic: Diagnostic| {
        diagnostic.line = locator.line(&ConfigPath::default().key(section));
        report.diagnostics.push(diagnostic);
    };
    let section_path = |section: &str| ConfigPath::default().key(section);
    let settings = match layers(Some(path)).map(|figment| Settings::from_layers(&figment)) {
        Ok(Ok(settings)) => settings,
        Ok(Err(problems)) => {
            for problem in problems {
                let fix = format!(
                    "correct [{}] as the message says; config.default.toml lists every key",
                    problem.section
                );
                let path = section_path(problem.section);
                push(
                    problem.section,
                    Diagnostic::error(path, problem.message, fix),
                );
            }
            return;
        }
        // A file that is not TOML at all: its syntax error is already reported, with its line.
        Err(_) if already_failed => return,
        Err(error) => {
            let diagnostic = Diagnostic::error(
                ConfigPath::default(),
                format!("{error:#}"),
                "see the message",
            );
            push("", diagnostic);
            return;
        }
    };
    let Some(config) = report.config.clone() else {
        return;
    };
    for diagnostic in emulator_problems(&settings, &config) {
        push("emulator", diagnostic);
    }
}

/// `[emulator]`: a connection pointing at it, and the delivery allowlist that lets the
/// delivery worker reach it.
fn emulator_problems(settings: &Settings, config: &Config) -> Vec<Diagnostic> {
    let section = &settings.emulator;
    let Some(listen) = section.listen else {
        return Vec::new();
    };
    let path = ConfigPath::default().key("emulator");
    let pointing = section.pointing_connections(config);
    let mut problems: Vec<Diagnostic> = section
        .problems(config)
        .into_iter()
        .map(|problem| match pointing.is_empty() {
            true => Diagnostic::warning(path.clone(), problem, "see the message"),
            false => Diagnostic::error(path.clone(), problem, "see the message"),
        })
        .collect();
    let allowed = &settings.delivery.allowed_hosts;
    let host = listen.ip().to_string();
    let reachable = ["127.0.0.1", "localhost", "::1", host.as_str()]
        .iter()
        .any(|name| allowed.iter().any(|entry| entry == name));
    if !pointing.is_empty() && !reachable {
        problems.push(Diagnostic::warning(
            path,
            "the emulator listens on a loopback address that [delivery] allowed_hosts does not list, so every send to it is refused by the outbound URL policy",
            "add allowed_hosts = [\"127.0.0.1\", \"localhost\"] to [delivery]",
        ));
    }
    problems
}
