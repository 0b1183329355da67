//! The [`LiquidChecker`] backed by the real Liquid engine: a parse error is an error; an
//! unknown filter, an unknown variable (found by a dry render with every known root present
//! but empty) and an unusable `connected_content` request are warnings.

use leadwire_liquid::{ConnectedResponses, Engine, EngineOptions, Globals, RenderError};
use serde_json::{Map, Value, json};

use super::diagnostics::Severity;
use super::liquid::{LiquidChecker, LiquidScope, TemplateProblem, line_and_column};

/// Checks templates with `leadwire-liquid`.
pub struct EngineChecker {
    /// Unknown filters pass through; unknown variables are render errors.
    lenient_filters: Engine,
    /// Unknown filters are parse errors.
    strict_filters: Engine,
}

impl Default for EngineChecker {
    fn default() -> Self {
        let lenient = EngineOptions {
            strict_variables: true,
            strict_filters: false,
            ..EngineOptions::default()
        };
        Self {
            lenient_filters: Engine::new(lenient),
            strict_filters: Engine::new(EngineOptions::strict()),
        }
    }
}

impl LiquidChecker for EngineChecker {
    fn check(&self, template: &str, scope: &LiquidScope) -> Vec<TemplateProblem> {
        let parsed = match self.lenient_filters.parse(template) {
            Ok(parsed) => parsed,
            Err(error) => {
                return vec![TemplateProblem {
                    severity: Severity::Error,
                    message: format!("{} (near `{}`)", error.message, error.excerpt),
                    line: error.line,
                    column: error.column,
                    fix: "correct the Liquid at that position (`leadwire liquid render` tries a template)".into(),
                }];
            }
        };
        let mut problems = Vec::new();
        if let Err(error) = self.strict_filters.parse(template) {
            problems.push(TemplateProblem {
                severity: Severity::Warning,
                message: error.message,
                line: error.line,
                column: error.column,
                fix: "check the filter name; an unknown filter passes its input through unchanged"
                    .into(),
            });
        }
        let globals = dry_run_globals(scope);
        match self
            .lenient_filters
            .render_step(&parsed, &globals, &ConnectedResponses::default())
        {
            Err(RenderError::UnknownVariable(name)) => {
                let offset = template.find(name.as_str()).unwrap_or(0);
                let (line, column) = line_and_column(template, offset);
                problems.push(TemplateProblem {
                    severity: Severity::Warning,
                    message: format!("unknown variable `{name}` renders blank"),
                    line,
                    column,
                    fix: format!(
                        "check the name; this field can read {} and `${{…}}` attributes",
                        scope.known_roots.join(", ")
                    ),
                });
            }
            Err(RenderError::ConnectedContent(message)) => {
                let offset = template.find("connected_content").unwrap_or(0);
                let (line, column) = line_and_column(template, offset);
                problems.push(TemplateProblem {
                    severity: Severity::Warning,
                    message,
                    line,
                    column,
                    fix: "give connected_content a complete http(s) URL".into(),
                });
            }
            _ => {}
        }
        problems
    }
}

/// Every root the field may read, present and empty (`connection` with sample values).
fn dry_run_globals(scope: &LiquidScope) -> Globals {
    let empty = Map::new();
    let mut globals = Globals::new().with_user(&empty);
    for root in &scope.known_roots {
        globals = match *root {
            "event_properties" => globals.with_event_properties(&empty),
            "canvas_entry_properties" | "context" => globals.with_canvas_entry_properties(&empty),
            "api_trigger_properties" => globals.with_api_trigger_properties(&empty),
            "campaign" => globals.with_campaign(&empty),
            "canvas" => globals.with_canvas(&empty),
            "connections" => match json!({ "connections": {} }) {
                Value::Object(variables) => globals.with_variables(&variables),
                _ => globals,
            },
            "connection" => {
                let connection = json!({
                    "connection": {
                        "instance_url": "https://instance.example.com",
                        "login_url": "https://login.example.com",
                        "client_id": "client-id",
                        "client_secret": "client-secret",
                    }
                });
                match connection {
                    Value::Object(variables) => globals.with_variables(&variables),
                    _ => globals,
                }
            }
            _ => globals,
        };
    }
    globals
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MESSAGE_ROOTS;

    fn scope(with_connection: bool) -> LiquidScope {
        let mut known_roots = MESSAGE_ROOTS.to_vec();
        if with_connection {
            known_roots.push("connection");
        }
        LiquidScope { known_roots }
    }

    #[test]
    fn valid_braze_templates_have_no_problems() {
        let checker = EngineChecker::default();
        for template in [
            "{{${first_name}}}",
            "{{custom_attribute.${company}}}",
            "{% assign threshold = 100%}{% if custom_attribute.${lead score} > threshold %}x{% else %}{% abort_message('not at threshold')%}{% endif %}",
            "{{event_properties.${topic} | default: 'none'}} {{context.${source}}}",
        ] {
            assert_eq!(checker.check(template, &scope(false)), vec![], "{template}");
        }
        let header = "{% connected_content {{connection.login_url}}/services/oauth2/token :method post :save result %}Bearer {{result.access_token}}";
        assert_eq!(checker.check(header, &scope(true)), vec![]);
        let mut with_connections = scope(true);
        with_connections.known_roots.push("connections");
        let tokens = "Bearer {{connection.access_token}} {{connections.sales-cloud.access_token}}";
        assert_eq!(checker.check(tokens, &with_connections), vec![]);
        assert!(
            !checker.check(tokens, &scope(true)).is_empty(),
            "`connections` is unknown outside templates"
        );
    }

    #[test]
    fn parse_errors_are_errors_with_a_position() {
        let problems = EngineChecker::default().check("a\n{% if x %}never closed", &scope(false));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].severity, Severity::Error);
        assert!(problems[0].line >= 1);
    }

    #[test]
    fn unknown_variables_and_filters_are_warnings() {
        let checker = EngineChecker::default();
        let problems = checker.check("Hi\n  {{ frist_name }}", &scope(false));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].severity, Severity::Warning);
        assert!(problems[0].message.contains("`frist_name`"));
        assert_eq!((problems[0].line, problems[0].column), (2, 6));
        let problems = checker.check("{{connection.instance_url}}", &scope(false));
        assert!(
            problems
                .iter()
                .any(|problem| problem.message.contains("`connection`")),
            "{problems:?}"
        );
        let problems = checker.check("{{ 'x' | no_such_filter }}", &scope(false));
        assert!(
            problems
                .iter()
                .all(|problem| problem.severity == Severity::Warning)
        );
        assert!(!problems.is_empty());
    }

    #[test]
    fn an_invalid_connected_content_url_is_a_warning() {
        let template = "{% connected_content https://[insert_instance_name].my.salesforce.com/services/oauth2/token :method post :save result %}Bearer {{result.access_token}}";
        let problems = EngineChecker::default().check(template, &scope(false));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].severity, Severity::Warning);
        assert_eq!(
            problems[0].message,
            "https://[insert_instance_name].my.salesforce.com/services/oauth2/token is not a valid URL"
        );
    }
}
