//! `ProfileChanges::merge` against the quadratic code it replaced (the oracle, kept here),
//! and on a large input.

use leadwire_core::attributes::{CustomAttributeChange, ProfileChanges};
use proptest::prelude::*;
use serde_json::{Value, json};

fn merge_oracle(earlier: &mut ProfileChanges, later: ProfileChanges) {
    if earlier.email_added.is_none() {
        earlier.email_added = later.email_added;
    }
    for change in later.custom_changed {
        match earlier
            .custom_changed
            .iter()
            .position(|c| c.name == change.name)
        {
            Some(index) => {
                if earlier.custom_changed[index].old.as_ref() == Some(&change.new) {
                    earlier.custom_changed.remove(index);
                } else {
                    earlier.custom_changed[index].new = change.new;
                }
            }
            None => earlier.custom_changed.push(change),
        }
    }
}

fn change(name: String, old: Option<i64>, new: i64) -> CustomAttributeChange {
    CustomAttributeChange {
        name,
        old: old.map(Value::from),
        new: json!(new),
    }
}

/// Changes with unique names, as one `apply_attributes` (or a merge of them) produces.
fn changes() -> impl Strategy<Value = ProfileChanges> {
    (
        prop::option::of("[a-c]@x\\.io"),
        prop::collection::btree_map("[a-f]", (prop::option::of(0i64..3), 0i64..3), 0..6),
    )
        .prop_map(|(email_added, entries)| ProfileChanges {
            email_added,
            custom_changed: entries
                .into_iter()
                .map(|(name, (old, new))| change(name, old, new))
                .collect(),
        })
}

proptest! {
    #[test]
    fn merge_matches_the_quadratic_oracle(steps in prop::collection::vec(changes(), 1..6)) {
        let mut fast = ProfileChanges::default();
        let mut oracle = ProfileChanges::default();
        for step in steps {
            fast.merge(step.clone());
            merge_oracle(&mut oracle, step);
        }
        prop_assert_eq!(fast, oracle);
    }
}

#[test]
fn merging_100_000_changes_keeps_order_and_drops_reverted_ones() {
    let n = 100_000;
    let mut merged = ProfileChanges {
        email_added: None,
        custom_changed: (0..n)
            .map(|k| change(format!("a{k}"), Some(0), 1))
            .collect(),
    };
    merged.merge(ProfileChanges {
        email_added: None,
        custom_changed: (0..2 * n)
            .map(|k| change(format!("a{k}"), Some(1), i64::from(k % 2 == 0)))
            .collect(),
    });
    let names: Vec<&str> = merged
        .custom_changed
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(merged.custom_changed.len(), n / 2 + n);
    assert_eq!(names.first().copied(), Some("a0"));
    assert_eq!(names.get(n / 2).copied(), Some("a100000"));
    assert!(
        merged.custom_changed[..n / 2]
            .iter()
            .all(|c| c.old == Some(json!(0)) && c.new == json!(1)),
        "odd names went back to their old value and are gone; even ones keep old 0"
    );
}
