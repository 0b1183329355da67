//! The preview and test-send form: a user (any identifier the users search reads) and the
//! trigger properties a template may read, each an optional JSON object. A problem is
//! shown next to its field, and what was typed is kept.

use leadwire_core::profile::Profile;
use leadwire_engine::delivery::preview::JsonError;
use leadwire_store::{Store, StoreError};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::console::pages::paths;
use crate::console::pages::users::search;
use crate::console::session::Operator;

/// The form as posted.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Fields {
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub event_properties: String,
    #[serde(default)]
    pub canvas_entry_properties: String,
    #[serde(default)]
    pub api_trigger_properties: String,
}

/// The form, read: the user as stored and the properties.
pub struct Inputs {
    pub profile: Profile,
    pub event_properties: Option<Map<String, Value>>,
    pub canvas_entry_properties: Option<Map<String, Value>>,
    pub api_trigger_properties: Option<Map<String, Value>>,
}

/// What is wrong with the form, by field name.
#[derive(Debug, Default)]
pub struct Problems(Vec<(&'static str, String)>);

impl Problems {
    fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, problem)| problem.as_str())
    }
}

/// What the form's second button can do.
pub enum TestSends {
    Allowed,
    /// Why test sends are off for this operator or node.
    Off(&'static str),
}

/// Reads `fields`: the user they name and the properties; `Err(problems)` when any is wrong.
pub async fn read(
    store: &dyn Store,
    fields: &Fields,
) -> Result<Result<Inputs, Problems>, StoreError> {
    let mut problems = Problems::default();
    let mut json = |field: &'static str, text: &str| match properties(text) {
        Ok(map) => map,
        Err(problem) => {
            problems.0.push((field, problem));
            None
        }
    };
    let event_properties = json("event_properties", &fields.event_properties);
    let canvas_entry_properties = json("canvas_entry_properties", &fields.canvas_entry_properties);
    let api_trigger_properties = json("api_trigger_properties", &fields.api_trigger_properties);
    let text = fields.user.trim();
    let profile = if text.is_empty() {
        problems
            .0
            .push(("user", "Enter a user to render the template for.".into()));
        None
    } else {
        let (found, searched) = search::find(store, text).await?;
        if found.is_none() {
            problems
                .0
                .push(("user", format!("No user has {}.", searched.summary())));
        }
        found
    };
    Ok(match profile {
        Some(profile) if problems.0.is_empty() => Ok(Inputs {
            profile,
            event_properties,
            canvas_entry_properties,
            api_trigger_properties,
        }),
        _ => Err(problems),
    })
}

/// An optional JSON object: `None` when blank.
fn properties(text: &str) -> Result<Option<Map<String, Value>>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err(r#"Must be a JSON object, like {"lead_score": 60}."#.into()),
        Err(error) => Err(format!("Not valid JSON: {}.", JsonError::from(&error))),
    }
}

/// The form for template `name`, filled with `fields`.
pub fn render(
    name: &str,
    fields: &Fields,
    problems: &Problems,
    operator: &Operator,
    test_sends: &TestSends,
) -> Markup {
    let base = paths::template(name);
    html! {
        form.preview method="post" action={ (base) "/preview#preview-result" } #preview-form {
            input type="hidden" name="csrf" value=(operator.csrf);
            (field(problems, "user", "User", "external_id, email, phone, label:name alias or braze_id, as on the Users page", html! {
                input #user type="text" name="user" value=(fields.user) required
                    aria-invalid=[problems.get("user").map(|_| "true")] aria-describedby="user-help user-problem";
            }))
            (json_field(problems, "event_properties", "Event properties", "event_properties.${…}", &fields.event_properties))
            (json_field(problems, "canvas_entry_properties", "Canvas entry properties", "canvas_entry_properties.${…} and context.${…}", &fields.canvas_entry_properties))
            (json_field(problems, "api_trigger_properties", "API trigger properties", "api_trigger_properties.${…}", &fields.api_trigger_properties))
            div.actions {
                button type="submit" data-testid="preview" { "Preview" }
                @match test_sends {
                    TestSends::Allowed => button.secondary type="submit" formaction={ (base) "/test" } data-testid="send-test" { "Send test" },
                    TestSends::Off(why) => span.muted data-testid="no-test-sends" { (why) },
                }
            }
            p.muted { "Preview renders without sending; connected_content calls and token requests are made for real. Send test sends it for real through the delivery queue, logged as a test." }
        }
    }
}

fn json_field(
    problems: &Problems,
    name: &'static str,
    label: &str,
    reads: &str,
    value: &str,
) -> Markup {
    let help = format!("{name}-help {name}-problem");
    let hint = format!("A JSON object (optional); the template reads it as {reads}.");
    field(
        problems,
        name,
        label,
        &hint,
        html! {
            textarea id=(name) name=(name) rows="2" spellcheck="false"
                aria-invalid=[problems.get(name).map(|_| "true")] aria-describedby=(help) { (value) }
        },
    )
}

fn field(problems: &Problems, name: &str, label: &str, hint: &str, input: Markup) -> Markup {
    html! {
        div.field {
            label for=(name) { (label) }
            (input)
            span.muted.hint id={ (name) "-help" } { (hint) }
            @if let Some(problem) = problems.get(name) {
                p.error id={ (name) "-problem" } data-testid={ (name) "-problem" } { (problem) }
            }
        }
    }
}
