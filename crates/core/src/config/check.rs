//! `check`: parse a config file and report every problem with its line and a fix. This is
//! what `leadwire check` prints and what `serve` runs before it starts anything.

use super::Config;
use super::content_blocks::check_content_blocks;
use super::diagnostics::{ConfigPath, Diagnostic, Locator, Severity, line_of};
use super::graph::validate_canvases;
use super::liquid::{LiquidChecker, liquid_fields};
use super::placeholders::placeholder_warnings;
use super::validate::validate;
use crate::content_block::without_blocks;

/// The outcome of checking one file.
#[derive(Debug)]
pub struct CheckReport {
    /// The parsed config, unless the file could not be parsed at all.
    pub config: Option<Config>,
    /// Every problem, errors first, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckReport {
    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|problem| problem.severity == Severity::Error)
            .count()
    }

    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }

    /// The config when it has no errors.
    pub fn into_valid_config(self) -> Option<Config> {
        if self.error_count() == 0 {
            self.config
        } else {
            None
        }
    }
}

/// Parses and validates `source`, checking every Liquid field with `liquid`.
pub fn check(source: &str, liquid: &dyn LiquidChecker) -> CheckReport {
    let mut config: Config = match toml::from_str(source) {
        Ok(config) => config,
        Err(error) => {
            return CheckReport {
                config: None,
                diagnostics: vec![parse_error(source, &error)],
            };
        }
    };
    crate::config::segment::resolve(&mut config);
    let mut diagnostics = Vec::new();
    unknown_sections(source, &mut diagnostics);
    validate(&config, &mut diagnostics);
    crate::config::segment::validate(&config, &mut diagnostics);
    validate_canvases(&config, &mut diagnostics);
    check_content_blocks(&config, &mut diagnostics);
    let fields = liquid_fields(&config);
    placeholder_warnings(&fields, &mut diagnostics);
    let locator = Locator::new(source);
    for problem in &mut diagnostics {
        problem.line = locator.line(&problem.path);
    }
    for field in &fields {
        let start = locator.span_start(&field.path);
        for problem in liquid.check(&without_blocks(field.text), &field.scope) {
            let line = start.map(|offset| value_line(source, offset, problem.line));
            diagnostics.push(Diagnostic {
                severity: problem.severity,
                path: field.path.clone(),
                line,
                message: format!(
                    "Liquid (line {}, column {} of the value): {}",
                    problem.line, problem.column, problem.message
                ),
                fix: problem.fix,
            });
        }
    }
    diagnostics.sort_by_key(|problem| (problem.severity, problem.line));
    // A Liquid warning that repeats another problem of the same field adds nothing.
    let plain: Vec<(ConfigPath, String)> = diagnostics
        .iter()
        .filter(|problem| !problem.message.starts_with("Liquid ("))
        .map(|problem| (problem.path.clone(), problem.message.clone()))
        .collect();
    diagnostics.retain(|problem| {
        !problem.message.starts_with("Liquid (")
            || !plain.iter().any(|(path, message)| {
                *path == problem.path && problem.message.ends_with(message.as_str())
            })
    });
    CheckReport {
        config: Some(config),
        diagnostics,
    }
}

/// Top-level sections read by leadwire's crates. Others are ignored, so a typo would be too.
const KNOWN_SECTIONS: &[&str] = &[
    "api_keys",
    "salesforce_connections",
    "webhook_templates",
    "campaigns",
    "canvases",
    "content_blocks",
    "segments",
    "server",
    "store",
    "delivery",
    "emulator",
    "workers",
    "log",
];

fn unknown_sections(source: &str, problems: &mut Vec<Diagnostic>) {
    let Ok(table) = toml::from_str::<toml::Table>(source) else {
        return;
    };
    for key in table
        .keys()
        .filter(|key| !KNOWN_SECTIONS.contains(&key.as_str()))
    {
        let singular = key.trim_end_matches('s');
        let fix = match KNOWN_SECTIONS
            .iter()
            .find(|known| known.trim_end_matches('s') == singular)
        {
            Some(known) => format!("did you mean `{known}`?"),
            None => format!("leadwire reads {}", KNOWN_SECTIONS.join(", ")),
        };
        problems.push(Diagnostic::warning(
            ConfigPath::default().key(key),
            format!("unknown section `{key}` is ignored"),
            fix,
        ));
    }
}

/// The file line of line `template_line` of the string value starting at `offset`. Only a
/// multi-line string (`"""` or `'''`) spans file lines; TOML drops a newline right after its
/// opening quotes, so its first template line is the next file line.
fn value_line(source: &str, offset: usize, template_line: usize) -> usize {
    let rest = source.get(offset..).unwrap_or_default();
    let Some(body) = rest
        .strip_prefix("\"\"\"")
        .or_else(|| rest.strip_prefix("'''"))
    else {
        return line_of(source, offset);
    };
    let skipped = usize::from(body.starts_with('\n') || body.starts_with("\r\n"));
    line_of(source, offset) + skipped + template_line.saturating_sub(1)
}

/// Errors inside a step or filter (buffered by serde) carry the span of the whole table;
/// the first backticked token of the message, found inside that span, is more precise.
fn refine_error_offset(source: &str, message: &str, span: std::ops::Range<usize>) -> usize {
    if message.starts_with("missing field") {
        return span.start;
    }
    let token = message.split('`').nth(1).filter(|token| token.len() >= 2);
    let within = source.get(span.clone()).unwrap_or_default();
    token
        .and_then(|token| within.find(token))
        .map_or(span.start, |offset| span.start + offset)
}

fn parse_error(source: &str, error: &toml::de::Error) -> Diagnostic {
    let message = error.message().trim().to_owned();
    let fix = if message.contains("missing field") {
        "add the missing key to this table"
    } else if message.contains("unknown field") {
        "remove the key or correct its spelling (the message lists the keys this table accepts)"
    } else if message.contains("unknown variant") {
        "use one of the values the message lists"
    } else if message.contains("invalid type") {
        "change the value to the type the message expects"
    } else if message.contains("duplicate key") {
        "remove one of the two keys"
    } else {
        "correct the TOML at this line"
    };
    Diagnostic {
        severity: Severity::Error,
        path: ConfigPath::default(),
        line: error
            .span()
            .map(|span| line_of(source, refine_error_offset(source, &message, span))),
        message,
        fix: fix.into(),
    }
}
