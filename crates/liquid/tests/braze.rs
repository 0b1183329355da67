//! Braze's dialect: personalization tags, their forms inside tags, Braze filters with the
//! reference's test vectors, `abort_message`, and the seed and lead-scoring templates.

use leadwire_liquid::{AbortKind, Engine, Globals, Outcome};
use serde_json::{Map, Value as Json, json};

fn object(value: Json) -> Map<String, Json> {
    value.as_object().cloned().expect("an object literal")
}

fn user() -> Map<String, Json> {
    object(json!({
        "external_id": "00Q5g00000ABCDEFGH",
        "braze_id": "0000-braze",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "home_city": "London",
        "dob": "1815-12-10",
        "phone": "+441234567890",
        "language": "en",
        "company": "Analytical Engines Ltd",
        "lead score": 120,
        "código postal": "E1 6AN",
        "address": {"city": "Paris"},
        "one": 1,
        "email_subscribe": "opted_in",
    }))
}

fn globals() -> Globals {
    Globals::new()
        .with_user(&user())
        .with_event_properties(&object(json!({"plan": "pro", "seats": 12})))
        .with_canvas_entry_properties(&object(json!({"source": "webinar"})))
        .with_api_trigger_properties(&object(json!({"coupon": "SAVE10"})))
        .with_campaign(&object(json!({"name": "Salesforce > Update lead to MQL"})))
        .with_canvas(&object(json!({"name": "Lead Scoring Canvas"})))
}

fn render_with(source: &str, globals: &Globals) -> Outcome {
    let engine = Engine::default();
    let template = engine
        .parse(source)
        .unwrap_or_else(|e| panic!("{source:?} should parse: {e}"));
    engine
        .render(&template, globals)
        .unwrap_or_else(|e| panic!("{source:?} should render: {e}"))
}

fn render(source: &str) -> String {
    match render_with(source, &globals()) {
        Outcome::Rendered(out) => out,
        Outcome::Aborted(abort) => panic!("{source:?} aborted: {abort}"),
    }
}

#[test]
fn standard_attributes_map_to_profile_fields() {
    assert_eq!(render("{{${first_name}}} {{${last_name}}}"), "Ada Lovelace");
    assert_eq!(render("{{${user_id}}}"), "00Q5g00000ABCDEFGH");
    assert_eq!(render("{{${email_address}}}"), "ada@example.com");
    assert_eq!(
        render("{{${city}}}|{{${date_of_birth}}}|{{${phone_number}}}"),
        "London|1815-12-10|+441234567890"
    );
    assert_eq!(render("{{${braze_id}}}|{{${language}}}"), "0000-braze|en");
    assert_eq!(
        render("[{{${gender}}}]"),
        "[]",
        "a missing attribute renders empty"
    );
    assert_eq!(
        render("{{ ${first_name} | default: 'Valued User' }}"),
        "Ada"
    );
    assert_eq!(
        render("{{ ${gender} | default: 'Valued User' }}"),
        "Valued User"
    );
    assert_eq!(render("{{subscribed_state.${email_global}}}"), "opted_in");
}

#[test]
fn custom_attributes_with_spaces_non_ascii_and_nesting() {
    assert_eq!(
        render("{{custom_attribute.${company}}}"),
        "Analytical Engines Ltd"
    );
    assert_eq!(render("{{custom_attribute.${lead score}}}"), "120");
    assert_eq!(render("{{custom_attribute.${código postal}}}"), "E1 6AN");
    assert_eq!(render("{{custom_attribute.${address.city}}}"), "Paris");
    assert_eq!(
        render("{{custom_attribute.${address.zip} | default: 'Unknown'}}"),
        "Unknown"
    );
}

#[test]
fn event_canvas_api_trigger_campaign_and_canvas_properties() {
    assert_eq!(
        render("{{event_properties.${plan}}}/{{event_properties.${seats}}}"),
        "pro/12"
    );
    assert_eq!(
        render("{{canvas_entry_properties.${source}}}={{context.${source}}}"),
        "webinar=webinar"
    );
    assert_eq!(render("{{api_trigger_properties.${coupon}}}"), "SAVE10");
    assert_eq!(
        render("{{campaign.${name}}} in {{canvas.${name}}}"),
        "Salesforce > Update lead to MQL in Lead Scoring Canvas"
    );
}

#[test]
fn attribute_forms_inside_tags() {
    assert_eq!(
        render("{% if {{custom_attribute.${one}}} == 1 %}yes{% endif %}"),
        "yes"
    );
    assert_eq!(
        render("{% if custom_attribute.${one} == 1 %}yes{% endif %}"),
        "yes"
    );
    assert_eq!(
        render("{% assign v = {{custom_attribute.${one}}} %}{{ v | plus: 1 }}"),
        "2"
    );
    assert_eq!(
        render("{% assign v = custom_attribute.${one} %}{{ v }}"),
        "1"
    );
    assert_eq!(
        render("{% if ${language} == 'en' %}Hello{% else %}Hola{% endif %}"),
        "Hello"
    );
    assert_eq!(
        render("{% assign n = {{custom_attribute.${lead score}}} | plus: 0 %}{{ n }}"),
        "120"
    );
    assert_eq!(render("{% assign threshold = 100%}{{ threshold }}"), "100");
    assert_eq!(
        render("{% if ${first_name} == null %}unset{% else %}set{% endif %}"),
        "set"
    );
    assert_eq!(
        render("{% if ${gender} == blank %}blank{% endif %}"),
        "blank"
    );
}

#[test]
fn hashing_filters_match_the_reference_vectors() {
    assert_eq!(
        render("{{ 'hey' | md5 }}"),
        "6057f13c496ecf7fd777ceb9e79ae285"
    );
    assert_eq!(
        render("{{ 'hey' | sha1 }}"),
        "7f550a9f4c44173a37664d938f1355f0f92a47a7"
    );
    assert_eq!(
        render("{{ 'hey' | sha2 }}"),
        "fa690b82061edfd2852629aeba8a8977b57e40fcb77d1a7a28b26cba62591204"
    );
    assert_eq!(render("{{ 'blah' | base64_encode }}"), "YmxhaA==");
    assert_eq!(
        render("{{ 'hey' | hmac_sha1_hex: 'secret_key' }}"),
        "2a3969bed25bfeefb00aca4063eb9590b4df8f0e"
    );
    assert_eq!(
        render("{{ 'hey' | hmac_sha1: 'secret_key' }}"),
        "2a3969bed25bfeefb00aca4063eb9590b4df8f0e"
    );
    assert_eq!(
        render("{{ 'hey' | hmac_sha1_base64: 'secret_key' }}"),
        "KjlpvtJb/u+wCspAY+uVkLTfjw4="
    );
    assert_eq!(
        render("{{ 'hey' | hmac_sha256_hex: 'secret_key' }}"),
        "8df897f8da3d7992fe57c8dbc6f27578cfbf2dcc4d0fbb4000b8c924841d508e"
    );
    assert_eq!(
        render("{{ 'hey' | hmac_sha256_base64: 'secret_key' }}"),
        "jfiX+No9eZL+V8jbxvJ1eM+/LcxND7tAALjJJIQdUI4="
    );
    assert_eq!(render("{{ 'hey' | hmac_sha512: 'secret_key' }}").len(), 128);
}

#[test]
fn url_and_json_filters() {
    assert_eq!(render("{{ 'hey<>hi' | url_escape }}"), "hey%3C%3Ehi");
    assert_eq!(
        render("{{ 'hey<&>hi' | url_param_escape }}"),
        "hey%3C%26%3Ehi"
    );
    assert_eq!(
        render("{{ 'google search' | url_encode }}"),
        "google+search"
    );
    assert_eq!(
        render(r#"{{ 'say "hi" \ now' | json_escape }}"#),
        r#"say \"hi\" \\ now"#
    );
    assert_eq!(
        render(r#"{% assign o = '{"a":[1,2],"b":"x"}' | json_parse %}{{ o.a[1] }}{{ o.b }}"#),
        "2x"
    );
    assert_eq!(
        render(r#"{% assign o = '{"a":[1,2]}' | json_parse %}{{ o | as_json_string }}"#),
        r#"{"a":[1,2]}"#
    );
    assert_eq!(
        render(
            r#"{% assign o = '{"k":"v"}' | json_parse %}{% assign key = 'k' %}{{ o | property_accessor: key }}"#
        ),
        "v"
    );
}

#[test]
fn number_money_and_date_filters() {
    assert_eq!(render("{{ 123456 | number_with_delimiter }}"), "123,456");
    assert_eq!(
        render("{{ 1234567.5 | number_with_delimiter }}"),
        "1,234,567.5"
    );
    assert_eq!(render("{{ 145 | money }}"), "145.00");
    assert_eq!(render("{{ '350000.25' | plus: 0 | money }}"), "350000.25");
    assert_eq!(
        render("{{ 15 | divided_by: 2 }} {{ 15 | divided_by: 2.0 }}"),
        "7 7.5"
    );
    assert_eq!(
        render("{{ '2024-01-01T12:00:00Z' | date: '%s' }}"),
        "1704110400"
    );
    let now = chrono::DateTime::parse_from_rfc3339("2024-05-06T07:08:09Z")
        .expect("a date")
        .to_utc();
    let out = render_with(
        "{{ 'now' | date: '%Y-%m-%d %H:%M:%S' }}",
        &globals().with_now(now),
    );
    assert_eq!(out, Outcome::Rendered("2024-05-06 07:08:09".into()));
    assert_eq!(
        render(
            "{{ '2024-01-01T12:00:00Z' | time_zone: 'America/Los_Angeles' | date: '%a %b %e %T' }}"
        ),
        "Mon Jan  1 04:00:00"
    );
    assert_eq!(
        render("{{ '2024-01-01T12:00:00Z' | time_zone: '-0005' | date: '%H:%M' }}"),
        "11:55"
    );
}

#[test]
fn abort_message_in_every_form_is_a_distinct_outcome() {
    let cases = [
        (
            "before{% abort_message() %}after",
            "{% abort_message %} called",
        ),
        (
            "before{% abort_message %}after",
            "{% abort_message %} called",
        ),
        (
            "before{% abort_message () %}after",
            "{% abort_message %} called",
        ),
        (
            "before{% abort_message('not at threshold') %}after",
            "not at threshold",
        ),
        ("before{% abort_message(\"no email\")%}after", "no email"),
    ];
    for (source, reason) in cases {
        match render_with(source, &globals()) {
            Outcome::Aborted(abort) => {
                assert_eq!(abort.reason, reason, "{source}");
                assert_eq!(abort.kind, AbortKind::AbortMessage);
            }
            Outcome::Rendered(out) => panic!("{source:?} rendered {out:?} instead of aborting"),
        }
    }
}

const LEAD_SCORING_BODY: &str = "{% assign threshold = 100%}
{% if custom_attribute.${lead score} > threshold %}
{
\"lead_status\": \"MQL\"
}
{% else %}{% abort_message('not at threshold')%}
{% endif %}";

#[test]
fn lead_scoring_raw_body_from_the_reference() {
    match render_with(LEAD_SCORING_BODY, &globals()) {
        Outcome::Rendered(out) => {
            let json: Json = serde_json::from_str(out.trim()).expect("the body is JSON");
            assert_eq!(json, json!({"lead_status": "MQL"}));
        }
        Outcome::Aborted(abort) => panic!("a score of 120 is above 100, but aborted: {abort}"),
    }
    let mut low = user();
    low.insert("lead score".into(), json!(40));
    let outcome = render_with(LEAD_SCORING_BODY, &Globals::new().with_user(&low));
    assert!(matches!(outcome, Outcome::Aborted(a) if a.reason == "not at threshold"));
}

#[test]
fn seed_create_lead_body_values() {
    let values = [
        ("{{${first_name}}}", "Ada"),
        ("{{${last_name}}}", "Lovelace"),
        ("{{${email_address}}}", "ada@example.com"),
        ("{{custom_attribute.${company}}}", "Analytical Engines Ltd"),
    ];
    for (source, expected) in values {
        assert_eq!(render(source), expected);
    }
}

#[test]
fn seed_update_lead_url() {
    let url = "https://[insert_instance_name].my.salesforce.com/services/data/v60.0/sobjects/Lead/{{${user_id}}}";
    assert_eq!(
        render(url),
        "https://[insert_instance_name].my.salesforce.com/services/data/v60.0/sobjects/Lead/00Q5g00000ABCDEFGH"
    );
}
