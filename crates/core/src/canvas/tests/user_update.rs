//! User Update resolution into `/users/track` shapes.

use super::*;

fn update_step(source: &str) -> UserUpdateStep {
    let canvas: Canvas = toml::from_str(&format!(
        "name = \"c\"\n[[steps]]\nname = \"u\"\ntype = \"user_update\"\n{source}"
    ))
    .expect("valid canvas");
    match canvas.steps.into_iter().next() {
        Some(Step::UserUpdate(step)) => step,
        other => panic!("expected a user update, got {other:?}"),
    }
}

fn render_points(text: &str) -> Result<String, String> {
    Ok(text.replace("{{event_properties.${points}}}", "3"))
}

#[test]
fn attribute_actions_become_users_track_operations() {
    let step = update_step(
        r#"updates = [
            { attribute = "lead_stage", action = "set", value = "MQL" },
            { attribute = "lead_score", action = "increment", value = "{{event_properties.${points}}}" },
            { attribute = "lead_score", action = "decrement", value = 1 },
            { attribute = "interests", action = "add", value = "webinars" },
            { attribute = "interests", action = "remove", value = ["ebooks"] },
            { attribute = "converted", action = "set", value = true },
        ]"#,
    );
    let resolved = step.resolve(&mut render_points).expect("resolvable");
    assert_eq!(
        Value::Object(resolved.attributes),
        json!({
            "lead_stage": "MQL",
            "lead_score": {"inc": 2},
            "interests": {"add": ["webinars"], "remove": ["ebooks"]},
            "converted": true,
        })
    );
}

#[test]
fn a_non_number_increment_and_a_render_failure_are_errors() {
    let step = update_step(
        r#"updates = [{ attribute = "lead_score", action = "increment", value = "lots" }]"#,
    );
    assert!(matches!(
        step.resolve(&mut |text| Ok(text.to_owned())),
        Err(UserUpdateError::NotANumber { .. })
    ));
    let step = update_step(r#"updates = [{ attribute = "x", action = "set", value = "{{y}}" }]"#);
    let error = step
        .resolve(&mut |_| Err("aborted: not at threshold".into()))
        .expect_err("render fails");
    assert!(error.to_string().contains("not at threshold"));
}

#[test]
fn json_composer_merges_attributes_and_collects_events() {
    let step = update_step(
        r#"updates = [{ attribute = "lead_score", action = "increment", value = 1 }]
json = '''{"attributes": [{"lead_score": {"inc": 4}, "lead_stage": "Lead"}],
 "events": [{"name": "scored", "time": "2026-03-01T12:00:00Z"}]}'''"#,
    );
    let resolved = step
        .resolve(&mut |text| Ok(text.to_owned()))
        .expect("resolvable");
    assert_eq!(
        Value::Object(resolved.attributes),
        json!({"lead_score": {"inc": 5}, "lead_stage": "Lead"})
    );
    assert_eq!(
        resolved.events,
        vec![json!({"name": "scored", "time": "2026-03-01T12:00:00Z"})]
    );
    assert!(resolved.purchases.is_empty());
}

#[test]
fn json_composer_rejects_bad_shapes() {
    for (composer, expected) in [
        (
            r#"{"attributes": [{"external_id": "x"}]}"#,
            "supplied by leadwire",
        ),
        (r#"{"attributes": {"a": 1}}"#, "array of objects"),
        (r#"{"users": [{}]}"#, "unknown key"),
        (r#"[1]"#, "top level"),
        (r#"{"attributes": [{"a": 1}"#, "EOF"),
    ] {
        let step = UserUpdateStep {
            name: "u".into(),
            updates: vec![],
            json: Some(composer.into()),
            next: None,
        };
        let error = step
            .resolve(&mut |text| Ok(text.to_owned()))
            .expect_err(composer)
            .to_string();
        assert!(error.contains(expected), "{composer}: {error}");
    }
    let huge = format!(
        "{{\"attributes\": [{{\"a\": \"{}\"}}]}}",
        "x".repeat(MAX_COMPOSER_CHARS)
    );
    let step = UserUpdateStep {
        name: "u".into(),
        updates: vec![],
        json: Some(huge),
        next: None,
    };
    assert_eq!(
        step.resolve(&mut |text| Ok(text.to_owned())),
        Err(UserUpdateError::ComposerTooLong)
    );
}
