//! One case per semantic rule: a small config, the message it must produce, and the line.

use super::*;

const TEMPLATE: &str =
    "[[webhook_templates]]\nname = \"t\"\nurl = \"https://example.com\"\nmethod = \"POST\"\n";

fn api_canvas(steps: &str) -> String {
    format!("{TEMPLATE}\n[[canvases]]\nname = \"c\"\nentry_schedule = \"api_triggered\"\n{steps}")
}

/// (config, severity, message fragment, text on the reported line)
fn cases() -> Vec<(String, Severity, &'static str, &'static str)> {
    let error = Severity::Error;
    let warning = Severity::Warning;
    vec![
        (
            "[[api_keys]]\nname = \"k\"\nkey = \"abc\"\nkey_env = \"K\"\n".into(),
            error,
            "has both `key` and `key_env`",
            "key = \"abc\"",
        ),
        ("[[api_keys]]\nname = \"k\"\n".into(), error, "has no value", "name = \"k\""),
        ("[[api_keys]]\nname = \"k\"\nkey_env = \"1BAD\"\n".into(), error, "not an environment variable name", "key_env"),
        (
            "[[api_keys]]\nname = \"k\"\nkey = \"abc\"\npermissions = [\"users.track\", \"users.fly\"]\n".into(),
            warning,
            "unknown permission `users.fly`",
            "permissions",
        ),
        (
            "[[salesforce_connections]]\nname = \"sf\"\ninstance_url = \"https://[insert_instance_name].my.salesforce.com\"\nclient_id = \"c\"\nclient_secret_env = \"S\"\n".into(),
            error,
            "https://[insert_instance_name].my.salesforce.com is not a valid URL",
            "instance_url",
        ),
        (
            "[[salesforce_connections]]\nname = \"sf\"\ninstance_url = \"http://127.0.0.1:8443\"\nclient_id = \"c\"\n".into(),
            error,
            "has no client secret",
            "name = \"sf\"",
        ),
        (
            format!("{TEMPLATE}headers = {{ Content_Type = \"application/json\" }}\n"),
            warning,
            "`Content_Type` is not the Content-Type header",
            "headers",
        ),
        (format!("{TEMPLATE}headers = {{ \"Bad Header\" = \"x\" }}\n"), error, "not a valid HTTP header name", "headers"),
        (
            format!("{TEMPLATE}capture = [{{ field = \"record..id\", save_to = \"external_id\" }}]\n"),
            error,
            "not a response field path",
            "capture",
        ),
        (
            format!("{TEMPLATE}{}", TEMPLATE.replace("name = ", "name  = ")),
            error,
            "`t` is declared twice",
            "name  = ",
        ),
        (
            format!("{TEMPLATE}\n[[campaigns]]\nname = \"x\"\ntemplate = \"t\"\ntriggers = [{{ type = \"add_email_address\" }}]\nexception_events = [{{ type = \"make_purchase\" }}]\n"),
            error,
            "only apply to a campaign with a delay",
            "exception_events",
        ),
        (
            format!("{TEMPLATE}\n[[campaigns]]\nname = \"x\"\ntemplate = \"t\"\ndelivery = \"api_triggered\"\ntriggers = [{{ type = \"add_email_address\" }}]\n"),
            error,
            "takes no trigger actions",
            "triggers",
        ),
        (api_canvas("steps = []\n"), error, "has no steps", "name = \"c\""),
        (
            api_canvas("first_step = \"nope\"\n[[steps]]\nname = \"a\"\ntype = \"delay\"\nduration = 1\n").replace("[[steps]]", "[[canvases.steps]]"),
            error,
            "first_step `nope` is not a step",
            "first_step",
        ),
        (
            api_canvas("[[canvases.steps]]\nname = \"a\"\ntype = \"delay\"\nduration = 1\nnext = \"a\"\n"),
            error,
            "loops back on itself",
            "name = \"a\"",
        ),
        (
            api_canvas("[[canvases.steps]]\nname = \"a\"\ntype = \"delay\"\nduration = 1\nnext = \"b\"\n[[canvases.steps]]\nname = \"b\"\ntype = \"message\"\ntemplate = \"t\"\n[[canvases.steps]]\nname  = \"b\"\ntype = \"message\"\ntemplate = \"t\"\n"),
            error,
            "step `b` is declared twice",
            "name  = \"b\"",
        ),
        (
            api_canvas("[[canvases.steps]]\nname = \"d\"\ntype = \"decision_split\"\nfilters = []\n"),
            error,
            "Decision Split `d` has no filters",
            "filters = []",
        ),
        (
            api_canvas("[[canvases.steps]]\nname = \"u\"\ntype = \"user_update\"\n"),
            error,
            "changes nothing",
            "name = \"u\"",
        ),
        (
            api_canvas("[[canvases.steps]]\nname = \"m\"\ntype = \"message\"\ntemplate = \"nope\"\n"),
            error,
            "unknown webhook template `nope`",
            "template = \"nope\"",
        ),
        (
            api_canvas("[[canvases.steps]]\nname = \"p\"\ntype = \"action_paths\"\nwindow = \"5w\"\ngroups = [{ name = \"g\", triggers = [{ type = \"make_purchase\" }] }]\n"),
            error,
            "longer than 31 days",
            "window",
        ),
        (
            api_canvas("[[canvases.steps]]\nname = \"p\"\ntype = \"action_paths\"\ngroups = [{ name = \"g\", triggers = [] }]\n"),
            error,
            "has no trigger actions",
            "groups",
        ),
        (
            api_canvas("[[canvases.steps]]\nname = \"a\"\ntype = \"audience_paths\"\ngroups = [{ name = \"all\", filters = [] }]\n"),
            warning,
            "has no filters, so it takes every user",
            "groups",
        ),
        (
            format!("{TEMPLATE}\n[[canvases]]\nname = \"c\"\n[[canvases.steps]]\nname = \"a\"\ntype = \"message\"\ntemplate = \"t\"\n"),
            error,
            "an action-based entry needs at least one trigger",
            "[[canvases]]",
        ),
    ]
}

#[test]
fn every_rule_reports_its_message_on_its_line() {
    for (source, severity, message, line_text) in cases() {
        let report = run(&source);
        let found = report
            .diagnostics
            .iter()
            .find(|problem| problem.message.contains(message))
            .unwrap_or_else(|| panic!("no `{message}` for\n{source}\n{:#?}", report.diagnostics));
        assert_eq!(found.severity, severity, "{message}");
        assert_eq!(
            found.line,
            Some(line_of_text(&source, line_text)),
            "{message}: {found:?}\n{source}"
        );
        assert!(!found.fix.is_empty(), "{message}");
    }
}

#[test]
fn action_paths_allow_eight_groups_and_no_more() {
    let group = |index: usize| {
        format!("{{ name = \"g{index}\", triggers = [{{ type = \"make_purchase\" }}] }}")
    };
    let with = |count: usize| {
        let groups: Vec<String> = (0..count).map(group).collect();
        api_canvas(&format!(
            "[[canvases.steps]]\nname = \"p\"\ntype = \"action_paths\"\ngroups = [{}]\n",
            groups.join(", ")
        ))
    };
    assert_eq!(run(&with(8)).error_count(), 0);
    let report = run(&with(9));
    assert!(
        report
            .diagnostics
            .iter()
            .any(|problem| problem.message.contains("has 9 action groups"))
    );
}

#[test]
fn a_bracketed_ipv6_host_is_no_placeholder() {
    for url in [
        "http://[::ffff:169.254.169.254]/",
        "http://[::1]:8443/services/data/v60.0/sobjects/Lead/",
    ] {
        let source = TEMPLATE.replace("https://example.com", url);
        let report = run(&source);
        assert!(
            !report
                .diagnostics
                .iter()
                .any(|problem| problem.message.contains("not a valid URL")),
            "{url}: {:#?}",
            report.diagnostics
        );
    }
}
