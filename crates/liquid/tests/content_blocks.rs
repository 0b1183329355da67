//! Content Blocks: `{{content_blocks.${name}}}` expanded and rendered in the message's
//! context, one level of nesting, a third level removed, a missing block an error.

use std::collections::HashMap;

use leadwire_liquid::{
    ContentBlockError, Engine, Globals, Outcome, content_block_names, expand_content_blocks,
};
use serde_json::json;

fn blocks() -> HashMap<String, String> {
    [
        ("greeting", "Hi {{${first_name}}}"),
        ("signature", "-- {{sender | default: 'Sales'}}"),
        ("outer", "[{{content_blocks.${greeting}}}]"),
        ("deep", "<{{content_blocks.${outer}}}>"),
        ("uses_missing", "x{{content_blocks.${nowhere}}}"),
        ("assigns", "{% assign tier = 'gold' %}"),
        ("padded", "  spaced  "),
    ]
    .into_iter()
    .map(|(name, content)| (name.to_owned(), content.to_owned()))
    .collect()
}

fn render(source: &str) -> String {
    let blocks = blocks();
    let expanded = expand_content_blocks(source, &blocks).expect("blocks expand");
    let engine = Engine::default();
    let template = engine.parse(&expanded).expect("parses");
    let user = json!({"first_name": "Ada"});
    let globals = Globals::new().with_user(user.as_object().expect("object"));
    match engine.render(&template, &globals).expect("renders") {
        Outcome::Rendered(text) => text,
        Outcome::Aborted(abort) => panic!("aborted: {abort}"),
    }
}

#[test]
fn golden_content_block_renders() {
    let cases = [
        // The block's content is Liquid rendered with the message's user.
        ("{{content_blocks.${greeting}}}!", "Hi Ada!"),
        ("{{ content_blocks.${greeting} }}, again", "Hi Ada, again"),
        // Variables the message assigns are visible inside the block …
        (
            "{% assign sender = 'Grace' %}{{content_blocks.${signature}}}",
            "-- Grace",
        ),
        ("{{content_blocks.${signature}}}", "-- Sales"),
        // … and those the block assigns are visible after it.
        ("{{content_blocks.${assigns}}}{{tier}}", "gold"),
        // One level of nesting expands.
        ("{{content_blocks.${outer}}}", "[Hi Ada]"),
        // A third level is not expanded: the tag and its content are removed.
        ("{{content_blocks.${deep}}}", "<[]>"),
        // Whitespace control trims around the tag, not inside the block.
        ("a  {{- content_blocks.${padded} -}}  b", "a  spaced  b"),
        (
            "{% capture v %}{{content_blocks.${padded}}}{% endcapture %}{{v | strip}}",
            "spaced",
        ),
        ("no blocks {{${first_name}}}", "no blocks Ada"),
    ];
    for (source, expected) in cases {
        assert_eq!(render(source), expected, "{source}");
    }
}

#[test]
fn a_missing_block_is_an_error_naming_it() {
    let blocks = blocks();
    let error =
        expand_content_blocks("a {{content_blocks.${nope}}}", &blocks).expect_err("missing block");
    assert_eq!(
        error,
        ContentBlockError::Missing {
            name: "nope".into()
        }
    );
    assert!(error.to_string().contains("`nope`"));
    // A missing block at the second level is an error too …
    let error = expand_content_blocks("{{content_blocks.${uses_missing}}}", &blocks)
        .expect_err("nested missing block");
    assert_eq!(error.to_string(), "Content Block `nowhere` does not exist");
    // … but not at the third, which is never looked up.
    let mut blocks = blocks;
    blocks.insert("top".into(), "{{content_blocks.${uses_missing}}}".into());
    assert_eq!(
        expand_content_blocks("{{content_blocks.${top}}}", &blocks).expect("expands"),
        "x"
    );
}

#[test]
fn names_are_listed_once_in_order_and_expansion_is_bounded() {
    assert_eq!(
        content_block_names(
            "{{content_blocks.${b}}}{{content_blocks.${a}}}{{content_blocks.${b}}}"
        ),
        vec!["b", "a"]
    );
    let mut blocks = HashMap::new();
    let wide = "{{content_blocks.${big}}}".repeat(200);
    blocks.insert("wide".to_owned(), wide.clone());
    blocks.insert("big".to_owned(), "x".repeat(50 * 1024));
    let error = expand_content_blocks(&wide.replace("big", "wide"), &blocks).expect_err("too big");
    assert!(
        matches!(error, ContentBlockError::TooLarge { .. }),
        "{error}"
    );
}
