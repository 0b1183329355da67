//! Content Blocks ([`crate::content_blocks`]) in SQL, for both databases: one row a block
//! (tags as JSON text, times in microseconds) and the one-row revision counter that every
//! write bumps in its transaction.

use std::future::Future;

use leadwire_core::content_block::{ContentBlock, ContentBlockState, ContentType, Origin};
use sqlx::{ColumnIndex, Executor, IntoArguments, Pool, Row as _, Transaction};

use super::database::{Column, ParamRef, SqlDatabase};
use super::shared::encode;
use crate::content_blocks::ContentBlockWrite;
use crate::error::{StoreError, StoreResult};
use crate::model::{from_micros, to_micros};

const COLUMNS: &str =
    "id, name, content, description, content_type, state, tags, created_at, updated_at";
const BUMP: &str = "UPDATE content_block_revision SET revision = revision + 1 WHERE id = 1";

/// The Content Block statements on database `Self`.
pub(crate) trait ContentBlockSql: SqlDatabase {
    fn revision(pool: &Pool<Self>) -> impl Future<Output = StoreResult<i64>> + Send;

    fn all_blocks(pool: &Pool<Self>)
    -> impl Future<Output = StoreResult<Vec<ContentBlock>>> + Send;

    /// Inserts (`create`) or updates `block`, bumping the revision, without committing.
    fn write_block(
        tx: &mut Transaction<'static, Self>,
        block: &ContentBlock,
        create: bool,
    ) -> impl Future<Output = StoreResult<ContentBlockWrite>> + Send;
}

impl<DB> ContentBlockSql for DB
where
    DB: SqlDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> &'q str: ParamRef<'q, DB>,
    for<'q> Option<&'q str>: ParamRef<'q, DB>,
    String: Column<DB>,
    Option<String>: Column<DB>,
    i64: Column<DB>,
{
    async fn revision(pool: &Pool<DB>) -> StoreResult<i64> {
        let row = sqlx::query("SELECT revision FROM content_block_revision WHERE id = 1")
            .fetch_optional(pool)
            .await?;
        Ok(match row {
            Some(row) => row.try_get(0)?,
            None => 0,
        })
    }

    async fn all_blocks(pool: &Pool<DB>) -> StoreResult<Vec<ContentBlock>> {
        let sql = format!("SELECT {COLUMNS} FROM content_blocks ORDER BY created_at, id");
        let mut blocks = Vec::new();
        for row in sqlx::query(&sql).fetch_all(pool).await? {
            blocks.push(ContentBlock {
                id: row.try_get(0)?,
                name: row.try_get(1)?,
                content: row.try_get(2)?,
                description: row.try_get(3)?,
                content_type: ContentType::parse(&row.try_get::<String, _>(4)?).unwrap_or_default(),
                state: ContentBlockState::parse(&row.try_get::<String, _>(5)?)
                    .unwrap_or(ContentBlockState::Draft),
                tags: decode_tags(&row.try_get::<String, _>(6)?)?,
                created_at: from_micros(row.try_get(7)?),
                updated_at: from_micros(row.try_get(8)?),
                origin: Origin::Api,
            });
        }
        Ok(blocks)
    }

    async fn write_block(
        tx: &mut Transaction<'static, DB>,
        block: &ContentBlock,
        create: bool,
    ) -> StoreResult<ContentBlockWrite> {
        let taken = sqlx::query("SELECT id FROM content_blocks WHERE name = $1 AND id <> $2")
            .bind(block.name.as_str())
            .bind(block.id.as_str())
            .fetch_optional(&mut **tx)
            .await?;
        if taken.is_some() {
            return Ok(ContentBlockWrite::NameTaken);
        }
        let tags = encode("content block tags", &block.tags)?;
        let statement = if create {
            format!(
                "INSERT INTO content_blocks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            )
        } else {
            "UPDATE content_blocks SET name = $2, content = $3, description = $4, \
             content_type = $5, state = $6, tags = $7, updated_at = $8 WHERE id = $1"
                .to_owned()
        };
        let mut query = sqlx::query(&statement)
            .bind(block.id.as_str())
            .bind(block.name.as_str())
            .bind(block.content.as_str())
            .bind(block.description.as_deref())
            .bind(block.content_type.as_str())
            .bind(block.state.as_str())
            .bind(tags.as_str());
        if create {
            query = query.bind(to_micros(block.created_at));
        }
        let result = query
            .bind(to_micros(block.updated_at))
            .execute(&mut **tx)
            .await;
        let written = match result.map_err(StoreError::from) {
            Ok(result) => DB::rows_affected(&result),
            Err(StoreError::Conflict) => return Ok(ContentBlockWrite::NameTaken),
            Err(error) => return Err(error),
        };
        if written == 0 {
            return Ok(ContentBlockWrite::NotFound);
        }
        sqlx::query(BUMP).execute(&mut **tx).await?;
        Ok(ContentBlockWrite::Written)
    }
}

fn decode_tags(text: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|source| StoreError::Corrupt {
        what: "content block tags",
        source,
    })
}
