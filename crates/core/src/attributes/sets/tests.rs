//! The linear list operations against the quadratic code they replaced (kept here as the
//! oracle), on random small inputs; and operation counts on large inputs.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{Hash, Hasher};

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;
use crate::attributes::keyed::{keyed, values};

fn unique_capped_oracle<T: PartialEq>(items: Vec<T>, max_length: usize) -> Vec<T> {
    let mut unique: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if let Some(position) = unique.iter().position(|existing| *existing == item) {
            unique.remove(position);
        }
        unique.push(item);
    }
    let excess = unique.len().saturating_sub(max_length);
    unique.drain(..excess);
    unique
}

fn add_remove_oracle<T: PartialEq + Clone>(
    current: Vec<T>,
    add: Vec<T>,
    remove: Vec<T>,
    max_length: usize,
) -> Vec<T> {
    let mut items = current;
    for item in add {
        items.retain(|existing| *existing != item);
        items.push(item);
    }
    for item in remove {
        items.retain(|existing| *existing != item);
    }
    unique_capped_oracle(items, max_length)
}

fn replace_by_key_oracle<T, K: PartialEq>(
    existing: Vec<T>,
    key_of: impl Fn(&T) -> Option<K>,
    updates: Vec<(K, T)>,
) -> Vec<T> {
    let mut merged = existing;
    for (key, item) in updates {
        merged.retain(|group| key_of(group).as_ref() != Some(&key));
        merged.push(item);
    }
    merged
}

/// Small values with many near-equal pairs: `1` and `1.0`, `0.0` and `-0.0`, objects whose
/// keys come in another order.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-2i64..3).prop_map(Value::from),
        prop_oneof![Just(0.0), Just(-0.0), Just(1.0), Just(2.5)].prop_map(|f| json!(f)),
        "[ab]{0,2}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec(("[xy]", inner), 0..3).prop_map(|entries| {
                Value::Object(entries.into_iter().collect::<Map<String, Value>>())
            }),
            prop::collection::vec(("[xy]", (0i64..2).prop_map(Value::from)), 0..3).prop_map(
                |entries| Value::Object(entries.into_iter().rev().collect::<Map<String, Value>>())
            ),
        ]
    })
}

fn values_strategy(length: usize) -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(value(), 0..length)
}

proptest! {
    #[test]
    fn unique_capped_matches_the_quadratic_oracle(items in values_strategy(12), cap in 1usize..8) {
        let state = RandomState::new();
        let fast = values(unique_capped(keyed(items.clone(), &state), cap));
        prop_assert_eq!(fast, unique_capped_oracle(items, cap));
    }

    #[test]
    fn add_remove_matches_the_quadratic_oracle(
        current in values_strategy(8),
        add in values_strategy(8),
        remove in values_strategy(4),
        cap in 1usize..8,
    ) {
        let state = RandomState::new();
        let fast = values(add_remove(
            keyed(current.clone(), &state),
            keyed(add.clone(), &state),
            keyed(remove.clone(), &state),
            cap,
        ));
        prop_assert_eq!(fast, add_remove_oracle(current, add, remove, cap));
    }

    #[test]
    fn replace_by_key_matches_the_quadratic_oracle(
        existing in prop::collection::vec((prop::option::of(0u8..5), any::<u8>()), 0..8),
        updates in prop::collection::vec((0u8..5, any::<u8>()), 0..8),
    ) {
        let key_of = |item: &(Option<u8>, u8)| item.0;
        let updates: Vec<(u8, (Option<u8>, u8))> =
            updates.into_iter().map(|(key, tag)| (key, (Some(key), tag))).collect();
        prop_assert_eq!(
            replace_by_key(existing.clone(), key_of, updates.clone()),
            replace_by_key_oracle(existing, key_of, updates)
        );
    }
}

thread_local! {
    static HASHES: Cell<usize> = const { Cell::new(0) };
    static COMPARISONS: Cell<usize> = const { Cell::new(0) };
}

/// An item that counts how often it is hashed and compared.
#[derive(Debug, Clone)]
struct Counted(u32);

impl Hash for Counted {
    fn hash<H: Hasher>(&self, state: &mut H) {
        HASHES.with(|count| count.set(count.get() + 1));
        self.0.hash(state);
    }
}

impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        COMPARISONS.with(|count| count.set(count.get() + 1));
        self.0 == other.0
    }
}

impl Eq for Counted {}

/// Runs `operation` and returns how many hashes and comparisons it made.
fn counted<R>(operation: impl FnOnce() -> R) -> (R, usize, usize) {
    HASHES.with(|count| count.set(0));
    COMPARISONS.with(|count| count.set(0));
    let result = operation();
    (result, HASHES.with(Cell::get), COMPARISONS.with(Cell::get))
}

const LARGE: u32 = 100_000;

/// `LARGE` items holding `LARGE / 2` distinct values, each twice.
fn large(offset: u32) -> Vec<Counted> {
    (0..LARGE)
        .map(|n| Counted(offset + n % (LARGE / 2)))
        .collect()
}

#[test]
fn unique_capped_hashes_each_item_a_bounded_number_of_times() {
    let n = LARGE as usize;
    let (unique, hashes, comparisons) = counted(|| unique_capped(large(0), n));
    assert_eq!(unique.len(), n / 2);
    assert_eq!(unique.first().map(|c| c.0), Some(0));
    assert!(hashes <= 4 * n, "{hashes} hashes for {n} items");
    assert!(
        comparisons <= 4 * n,
        "{comparisons} comparisons for {n} items"
    );
}

#[test]
fn unique_capped_stops_once_the_cap_is_reached() {
    let (unique, hashes, _) = counted(|| unique_capped(large(0), 25));
    let kept: Vec<u32> = unique.iter().map(|c| c.0).collect();
    let last: Vec<u32> = (LARGE / 2 - 25..LARGE / 2).collect();
    assert_eq!(kept, last, "the newest 25 distinct items, in order");
    assert!(hashes <= 50, "{hashes} hashes for a cap of 25");
}

#[test]
fn add_remove_hashes_each_item_a_bounded_number_of_times() {
    let n = 3 * LARGE as usize;
    let (items, hashes, comparisons) =
        counted(|| add_remove(large(0), large(LARGE / 4), large(LARGE / 2), n));
    let kept: Vec<u32> = items.iter().map(|c| c.0).collect();
    let expected: Vec<u32> = (0..LARGE / 2).collect();
    assert!(
        kept == expected,
        "current without add and remove, then add without remove"
    );
    assert!(hashes <= 4 * n, "{hashes} hashes for {n} items");
    assert!(
        comparisons <= 4 * n,
        "{comparisons} comparisons for {n} items"
    );
}

#[test]
fn replace_by_key_hashes_each_item_a_bounded_number_of_times() {
    let n = 2 * LARGE as usize;
    let existing: Vec<Counted> = (0..LARGE).map(Counted).collect();
    let updates: Vec<(Counted, Counted)> = large(LARGE / 2)
        .into_iter()
        .map(|key| (key.clone(), key))
        .collect();
    let (merged, hashes, comparisons) =
        counted(|| replace_by_key(existing, |item| Some(item.clone()), updates));
    assert_eq!(merged.len(), LARGE as usize);
    assert_eq!(merged.last().map(|c| c.0), Some(LARGE - 1));
    assert!(hashes <= 4 * n, "{hashes} hashes for {n} items");
    assert!(
        comparisons <= 4 * n,
        "{comparisons} comparisons for {n} items"
    );
}
