//! Linear-time list operations behind array attributes and `subscription_groups`: each item
//! is hashed a bounded number of times, so the work grows with the input, not its square.
//! Generic over the item so tests can count hashes and comparisons.

use std::collections::HashSet;
use std::hash::Hash;

/// Removes duplicates (a repeated item keeps its last position, as Braze moves a re-added
/// element to the end) and keeps at most the last `max_length` items.
///
/// Scans from the end, so it stops once `max_length` distinct items are found.
pub(crate) fn unique_capped<T: Hash + Eq>(items: Vec<T>, max_length: usize) -> Vec<T> {
    let mut keep = vec![false; items.len()];
    {
        let mut seen = HashSet::with_capacity(max_length.min(items.len()));
        for (index, item) in items.iter().enumerate().rev() {
            if seen.len() == max_length {
                break;
            }
            keep[index] = seen.insert(item);
        }
    }
    items
        .into_iter()
        .zip(keep)
        .filter_map(|(item, kept)| kept.then_some(item))
        .collect()
}

/// `{"add": [...], "remove": [...]}` on `current`: as if each added item were removed and
/// pushed at the end in turn, then each removed item dropped, then the result made unique
/// and capped. Every item equal to a removed one goes, so this is `current ++ add`
/// without the removed items, made unique and capped.
pub(crate) fn add_remove<T: Hash + Eq>(
    current: Vec<T>,
    add: Vec<T>,
    remove: Vec<T>,
    max_length: usize,
) -> Vec<T> {
    let removed: HashSet<T> = remove.into_iter().collect();
    let items = current
        .into_iter()
        .chain(add)
        .filter(|item| !removed.contains(item))
        .collect();
    unique_capped(items, max_length)
}

/// `existing` without the items whose key one of `updates` has, then `updates` with only
/// the last item of each key, in order: as if each update removed its key's items and
/// pushed itself at the end in turn. Items of `existing` without a key always stay.
pub(crate) fn replace_by_key<T, K: Hash + Eq>(
    existing: Vec<T>,
    key_of: impl Fn(&T) -> Option<K>,
    updates: Vec<(K, T)>,
) -> Vec<T> {
    let mut keep = vec![false; updates.len()];
    let mut keys = HashSet::with_capacity(updates.len());
    for (index, (key, _)) in updates.iter().enumerate().rev() {
        keep[index] = keys.insert(key);
    }
    let mut merged: Vec<T> = existing
        .into_iter()
        .filter(|item| key_of(item).is_none_or(|key| !keys.contains(&key)))
        .collect();
    merged.extend(
        updates
            .into_iter()
            .zip(keep)
            .filter_map(|((_, item), kept)| kept.then_some(item)),
    );
    merged
}

#[cfg(test)]
mod tests;
