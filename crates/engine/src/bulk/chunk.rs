//! The rows gathered for one ingest job: each user's cells placed under the job's columns
//! (the union of every row's, in first-seen order), turned into the job's CSV and the row
//! map stored with it (which user each CSV row is, and the key its result is matched by).

use std::collections::HashMap;

use leadwire_salesforce::bulk_csv::push_record;
use leadwire_store::BulkRow;
use uuid::Uuid;

use super::plan::{JobShape, PlannedRow};
use super::results::row_key;

/// The rows gathered for one job.
pub(super) struct Chunk {
    pub(super) shape: JobShape,
    columns: Vec<String>,
    column_at: HashMap<String, usize>,
    pub(super) rows: Vec<(Uuid, Vec<(usize, String)>)>,
    pub(super) bytes: usize,
}

impl Chunk {
    pub(super) fn new(shape: JobShape) -> Self {
        Self {
            shape,
            columns: Vec::new(),
            column_at: HashMap::new(),
            rows: Vec::new(),
            bytes: 0,
        }
    }

    pub(super) fn push(&mut self, user: Uuid, row: PlannedRow) {
        let mut cells = Vec::with_capacity(row.cells.len());
        for (name, value) in row.cells {
            self.bytes += name.len() + value.len() + 3;
            let at = match self.column_at.get(&name) {
                Some(at) => *at,
                None => {
                    self.columns.push(name.clone());
                    self.column_at.insert(name, self.columns.len() - 1);
                    self.columns.len() - 1
                }
            };
            cells.push((at, value));
        }
        self.rows.push((user, cells));
    }

    /// The CSV and each row's user and key.
    pub(super) fn into_csv(self) -> (JobShape, String, Vec<BulkRow>) {
        let mut csv = String::with_capacity(self.bytes + 256);
        push_record(&mut csv, self.columns.iter().map(String::as_str));
        let key_columns: Vec<usize> = match self.shape.key_column() {
            Some(name) => self.column_at.get(name).copied().into_iter().collect(),
            None => {
                let mut all: Vec<usize> = (0..self.columns.len()).collect();
                all.sort_by(|a, b| self.columns[*a].cmp(&self.columns[*b]));
                all
            }
        };
        let mut rows = Vec::with_capacity(self.rows.len());
        let mut line: Vec<&str> = Vec::new();
        for (user, cells) in &self.rows {
            line.clear();
            line.resize(self.columns.len(), "");
            for (at, value) in cells {
                line[*at] = value;
            }
            push_record(&mut csv, line.iter().copied());
            let key = row_key(key_columns.iter().map(|at| line[*at]));
            rows.push(BulkRow {
                user_id: *user,
                key,
            });
        }
        (self.shape, csv, rows)
    }
}
