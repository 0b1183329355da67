//! The in-memory Lead store: records sharded by id behind short-lived `RwLock`s (never held across an await).

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::ids::RecordId;

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
}

impl Default for LeadStore {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
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
        write(self.shard(&record.id)).insert(record.id, record);
    }

    /// Removes a record entirely (used to roll back creates).
    pub fn remove(&self, id: &RecordId) -> Option<LeadRecord> {
        write(self.shard(id)).remove(id)
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
        let mut found: Vec<(u64, RecordId)> = Vec::new();
        for shard in &self.shards {
            for record in read(shard).values() {
                if record.deleted {
                    continue;
                }
                if record
                    .get(index)
                    .is_some_and(|value| values_match(value, wanted))
                {
                    found.push((record.sequence, record.id));
                }
            }
        }
        found.sort();
        found.into_iter().map(|(_, id)| id).collect()
    }

    /// How many records are stored (deleted ones included).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|shard| read(shard).len()).sum()
    }

    /// Drops every record.
    pub fn clear(&self) {
        for shard in &self.shards {
            write(shard).clear();
        }
    }
}

fn values_match(stored: &Value, wanted: &Value) -> bool {
    match (stored, wanted) {
        (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    }
}
