//! `--data FILE`: keeps leads in SQLite so a restart finds them. Writes go through a channel to one writer task that batches them in transactions, so request handlers never wait on disk.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Row, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::store::LeadRecord;
use leadwire_salesforce::fields::LeadCatalog;
use leadwire_salesforce::ids::{IdGenerator, RecordId};

enum Op {
    Save {
        id: String,
        sequence: i64,
        fields: String,
        created_at: String,
        modified_at: String,
        deleted: bool,
    },
    Remove(String),
    Clear,
    Flush(oneshot::Sender<()>),
}

/// Sends lead writes to the SQLite writer task.
#[derive(Debug, Clone)]
pub struct PersistHandle {
    sender: mpsc::UnboundedSender<Op>,
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Op")
    }
}

impl PersistHandle {
    pub(crate) fn save(&self, catalog: &LeadCatalog, record: &LeadRecord) {
        let fields: Map<String, Value> = record
            .values
            .iter()
            .map(|(index, value)| (catalog.at(usize::from(*index)).name.clone(), value.clone()))
            .collect();
        let op = Op::Save {
            id: record.id.to_string(),
            sequence: i64::try_from(record.sequence).unwrap_or(i64::MAX),
            fields: Value::Object(fields).to_string(),
            created_at: record.created_at.to_rfc3339(),
            modified_at: record.modified_at.to_rfc3339(),
            deleted: record.deleted,
        };
        if self.sender.send(op).is_err() {
            tracing::error!("the lead writer has stopped; a lead change was not saved to disk");
        }
    }

    pub(crate) fn remove(&self, id: &RecordId) {
        if self.sender.send(Op::Remove(id.to_string())).is_err() {
            tracing::error!("the lead writer has stopped; a rollback was not saved to disk");
        }
    }

    pub(crate) fn clear(&self) {
        if self.sender.send(Op::Clear).is_err() {
            tracing::error!("the lead writer has stopped; the reset was not saved to disk");
        }
    }

    /// Waits until every write sent so far is on disk.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Op::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }
}

/// Opens (creating if needed) the SQLite file and its table.
pub async fn open(path: &Path) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS leads (
            id TEXT PRIMARY KEY,
            sequence INTEGER NOT NULL,
            fields TEXT NOT NULL,
            created_at TEXT NOT NULL,
            modified_at TEXT NOT NULL,
            deleted INTEGER NOT NULL
        )",
    )
    .execute(&pool)
    .await?;
    Ok(pool)
}

/// Reads every stored lead; fields the catalogue no longer has are skipped with a warning.
pub async fn load(
    pool: &SqlitePool,
    catalog: &LeadCatalog,
) -> Result<Vec<LeadRecord>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, sequence, fields, created_at, modified_at, deleted FROM leads ORDER BY sequence")
        .fetch_all(pool)
        .await?;
    let ids = IdGenerator::leads(0);
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        let id_text: String = row.try_get("id")?;
        let Some(id) = RecordId::parse(&id_text) else {
            tracing::warn!(id = %id_text, "skipping a stored lead whose id is not a record id");
            continue;
        };
        let sequence: i64 = row.try_get("sequence")?;
        let fields_text: String = row.try_get("fields")?;
        let fields: Map<String, Value> = serde_json::from_str(&fields_text).unwrap_or_default();
        let mut values = Vec::with_capacity(fields.len());
        for (name, value) in fields {
            match catalog.index_of(&name).and_then(|i| u16::try_from(i).ok()) {
                Some(index) => values.push((index, value)),
                None => {
                    tracing::warn!(id = %id, field = %name, "dropping a stored field Lead no longer has")
                }
            }
        }
        let parse_time = |text: String| {
            DateTime::parse_from_rfc3339(&text)
                .map_or_else(|_| Utc::now(), |t| t.with_timezone(&Utc))
        };
        let sequence = u64::try_from(sequence)
            .ok()
            .or_else(|| ids.sequence_of(&id))
            .unwrap_or_default();
        records.push(LeadRecord {
            id,
            sequence,
            values,
            created_at: parse_time(row.try_get("created_at")?),
            modified_at: parse_time(row.try_get("modified_at")?),
            deleted: row.try_get::<i64, _>("deleted")? != 0,
        });
    }
    Ok(records)
}

/// Starts the writer task; it runs until every handle is dropped.
pub fn start_writer(pool: SqlitePool) -> PersistHandle {
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(write_loop(pool, receiver));
    PersistHandle { sender }
}

async fn write_loop(pool: SqlitePool, mut receiver: mpsc::UnboundedReceiver<Op>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < 1000 {
            match receiver.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        if let Err(error) = write_batch(&pool, &mut batch).await {
            tracing::error!(%error, "saving leads to SQLite failed");
        }
        for op in batch {
            if let Op::Flush(done) = op {
                let _ = done.send(());
            }
        }
    }
}

async fn write_batch(pool: &SqlitePool, batch: &mut [Op]) -> Result<(), sqlx::Error> {
    let mut transaction = pool.begin().await?;
    for op in batch.iter() {
        apply(&mut transaction, op).await?;
    }
    transaction.commit().await
}

async fn apply(connection: &mut SqliteConnection, op: &Op) -> Result<(), sqlx::Error> {
    match op {
        Op::Save {
            id,
            sequence,
            fields,
            created_at,
            modified_at,
            deleted,
        } => {
            sqlx::query(
                "INSERT INTO leads (id, sequence, fields, created_at, modified_at, deleted)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET fields = excluded.fields,
                   modified_at = excluded.modified_at, deleted = excluded.deleted",
            )
            .bind(id)
            .bind(sequence)
            .bind(fields)
            .bind(created_at)
            .bind(modified_at)
            .bind(i64::from(*deleted))
            .execute(connection)
            .await?;
        }
        Op::Remove(id) => {
            sqlx::query("DELETE FROM leads WHERE id = ?")
                .bind(id)
                .execute(connection)
                .await?;
        }
        Op::Clear => {
            sqlx::query("DELETE FROM leads").execute(connection).await?;
        }
        Op::Flush(_) => {}
    }
    Ok(())
}
