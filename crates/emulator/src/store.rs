//! The in-memory Lead store: records sharded by id behind short-lived `RwLock`s (never held across an await).
//!
//! Lookups by field value (upserts by an External ID field, duplicate rules) go through a
//! value index, built for a field the first time it is looked up and kept up to date by
//! every later write, so an upsert costs the same with ten leads as with a million.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

use chrono::{DateTime, Utc};
use serde_json::Value;

use leadwire_salesforce::ids::RecordId;

const SHARDS: usize = 32;

/// One stored Lead: the fields that were set (by catalogue index), plus system data.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadRecord {
    pub id: RecordId,
    /// Creation order; queries without ORDER BY return records in this order.
    pub sequence: u64,
    /// Set fields as (catalogue index, value); a field absent here is null.
    pub values: Vec<(u16, Value)>,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
    pub deleted: bool,
}

impl LeadRecord {
    /// The stored value of the field at `index`, if set.
    pub fn get(&self, index: usize) -> Option<&Value> {
        self.values
            .iter()
            .find(|(at, _)| usize::from(*at) == index)
            .map(|(_, value)| value)
    }

    /// Sets (or, with `Value::Null`, clears) the field at `index`.
    pub fn set(&mut self, index: usize, value: Value) {
        let Ok(at) = u16::try_from(index) else {
            return;
        };
        match self.values.iter_mut().find(|(slot, _)| *slot == at) {
            Some((_, slot)) if value.is_null() => *slot = Value::Null,
            Some((_, slot)) => *slot = value,
            None if value.is_null() => {}
            None => self.values.push((at, value)),
        }
        self.values.retain(|(_, value)| !value.is_null());
    }
}

/// Lead records, sharded by id.
#[derive(Debug)]
pub struct LeadStore {
    shards: Vec<RwLock<HashMap<RecordId, LeadRecord>>>,
    /// Per indexed field (catalogue index): value key → ids of the records holding it.
    /// Lock order: the index first, then a shard.
    index: RwLock<HashMap<u16, HashMap<String, HashSet<RecordId>>>>,
}

impl Default for LeadStore {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
            index: RwLock::new(HashMap::new()),
        }
    }
}

/// The index key of a value: text compared case-insensitively, anything else exactly
/// (the rule of `values_match`).
fn value_key(value: &Value) -> String {
    match value {
        Value::String(text) => format!("s:{}", text.to_ascii_lowercase()),
        other => format!("j:{other}"),
    }
}

type FieldIndexes = HashMap<u16, HashMap<String, HashSet<RecordId>>>;

fn unindex(indexes: &mut FieldIndexes, record: &LeadRecord) {
    for (field, values) in indexes.iter_mut() {
        if let Some(value) = record.get(usize::from(*field)) {
            let key = value_key(value);
            if let Some(ids) = values.get_mut(&key) {
                ids.remove(&record.id);
                if ids.is_empty() {
                    values.remove(&key);
                }
            }
        }
    }
}

fn reindex(indexes: &mut FieldIndexes, record: &LeadRecord) {
    for (field, values) in indexes.iter_mut() {
        if let Some(value) = record.get(usize::from(*field)) {
            values
                .entry(value_key(value))
                .or_default()
                .insert(record.id);
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl LeadStore {
    fn shard(&self, id: &RecordId) -> &RwLock<HashMap<RecordId, LeadRecord>> {
        let last = id.short().as_bytes().last().copied().unwrap_or_default();
        &self.shards[usize::from(last) % SHARDS]
    }

    /// Adds or replaces a record.
    pub fn put(&self, record: LeadRecord) {
        {
            // Holding the read lock keeps an index from being built during the insert.
            let indexes = read(&self.index);
            if indexes.is_empty() {
                write(self.shard(&record.id)).insert(record.id, record);
                return;
            }
        }
        let mut indexes = write(&self.index);
        reindex(&mut indexes, &record);
        if let Some(old) = write(self.shard(&record.id)).insert(record.id, record.clone()) {
            unindex(&mut indexes, &old);
            reindex(&mut indexes, &record);
        }
    }

    /// Removes a record entirely (used to roll back creates).
    pub fn remove(&self, id: &RecordId) -> Option<LeadRecord> {
        let mut indexes = write(&self.index);
        let removed = write(self.shard(id)).remove(id);
        if let Some(old) = &removed {
            unindex(&mut indexes, old);
        }
        removed
    }

    /// A copy of the record with this id (deleted or not).
    pub fn get(&self, id: &RecordId) -> Option<LeadRecord> {
        read(self.shard(id)).get(id).cloned()
    }

    /// Every record, in creation order.
    pub fn all(&self) -> Vec<LeadRecord> {
        let mut records: Vec<LeadRecord> = self
            .shards
            .iter()
            .flat_map(|shard| read(shard).values().cloned().collect::<Vec<_>>())
            .collect();
        records.sort_by_key(|record| record.sequence);
        records
    }

    /// Ids of live records whose field `index` equals `wanted` (text compared case-insensitively),
    /// in creation order.
    pub fn find_live(&self, index: usize, wanted: &Value) -> Vec<RecordId> {
        let Ok(field) = u16::try_from(index) else {
            return Vec::new();
        };
        let key = value_key(wanted);
        let candidates: Vec<RecordId> = {
            let indexes = read(&self.index);
            match indexes.get(&field) {
                Some(values) => values
                    .get(&key)
                    .map(|ids| ids.iter().copied().collect())
                    .unwrap_or_default(),
                None => {
                    drop(indexes);
                    self.build_index(field);
                    return self.find_live(index, wanted);
                }
            }
        };
        let mut found: Vec<(u64, RecordId)> = Vec::new();
        for id in candidates {
            if let Some(record) = read(self.shard(&id)).get(&id)
                && !record.deleted
                && record
                    .get(index)
                    .is_some_and(|value| values_match(value, wanted))
            {
                found.push((record.sequence, record.id));
            }
        }
        found.sort();
        found.into_iter().map(|(_, id)| id).collect()
    }

    /// Indexes field `field` of every record (once; later writes keep it current).
    fn build_index(&self, field: u16) {
        let mut indexes = write(&self.index);
        if indexes.contains_key(&field) {
            return;
        }
        let mut values: HashMap<String, HashSet<RecordId>> = HashMap::new();
        for shard in &self.shards {
            for record in read(shard).values() {
                if let Some(value) = record.get(usize::from(field)) {
                    values
                        .entry(value_key(value))
                        .or_default()
                        .insert(record.id);
                }
            }
        }
        indexes.insert(field, values);
    }

    /// How many records are stored (deleted ones included).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|shard| read(shard).len()).sum()
    }

    /// Drops every record.
    pub fn clear(&self) {
        let mut indexes = write(&self.index);
        for shard in &self.shards {
            write(shard).clear();
        }
        for values in indexes.values_mut() {
            values.clear();
        }
    }
}

fn values_match(stored: &Value, wanted: &Value) -> bool {
    match (stored, wanted) {
        (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadwire_salesforce::ids::IdGenerator;
    use serde_json::json;

    fn record(ids: &IdGenerator, value: Value) -> LeadRecord {
        let (id, sequence) = ids.next_id();
        let now = Utc::now();
        LeadRecord {
            id,
            sequence,
            values: vec![(7, value)],
            created_at: now,
            modified_at: now,
            deleted: false,
        }
    }

    #[test]
    fn lookups_by_value_follow_every_write() {
        let ids = IdGenerator::leads(1);
        let store = LeadStore::default();
        let first = record(&ids, json!("EXT-1"));
        store.put(first.clone());
        // The first lookup builds the index from what is stored.
        assert_eq!(store.find_live(7, &json!("ext-1")), vec![first.id]);
        assert!(store.find_live(7, &json!("ext-2")).is_empty());

        let second = record(&ids, json!("ext-1"));
        store.put(second.clone());
        assert_eq!(
            store.find_live(7, &json!("Ext-1")),
            vec![first.id, second.id]
        );

        let mut moved = second.clone();
        moved.set(7, json!("ext-2"));
        store.put(moved);
        assert_eq!(store.find_live(7, &json!("ext-1")), vec![first.id]);
        assert_eq!(store.find_live(7, &json!("EXT-2")), vec![second.id]);

        let mut deleted = first.clone();
        deleted.deleted = true;
        store.put(deleted);
        assert!(store.find_live(7, &json!("ext-1")).is_empty());

        store.remove(&second.id);
        assert!(store.find_live(7, &json!("ext-2")).is_empty());
        assert!(store.find_live(7, &json!(2)).is_empty());

        let number = record(&ids, json!(2));
        store.put(number.clone());
        assert_eq!(store.find_live(7, &json!(2)), vec![number.id]);
        assert!(store.find_live(7, &json!("2")).is_empty());

        store.clear();
        assert!(store.find_live(7, &json!(2)).is_empty());
        assert_eq!(store.len(), 0);
    }
}
