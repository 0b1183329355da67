//! Content Blocks created through the API, durable and shared by every node on the
//! database ([`ContentBlockStore`], a supertrait of [`Store`](crate::Store)). Blocks
//! declared in the config file are not stored.
//!
//! Every create and update also bumps one revision number in the same transaction, so a
//! node learns that its rendered templates are stale by reading one row
//! ([`ContentBlockStore::content_block_revision`]) and reloads the blocks only then.

use async_trait::async_trait;
use leadwire_core::content_block::ContentBlock;

use crate::error::StoreResult;

/// What a create or update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentBlockWrite {
    Written,
    /// Another stored block has this name.
    NameTaken,
    /// No stored block has this id (update only).
    NotFound,
}

#[async_trait]
pub trait ContentBlockStore {
    /// A number that changes with every block created or updated on any node.
    async fn content_block_revision(&self) -> StoreResult<i64>;

    /// Every stored block, oldest first.
    async fn content_blocks(&self) -> StoreResult<Vec<ContentBlock>>;

    /// Stores a new block (its `id` must be new).
    async fn create_content_block(&self, block: &ContentBlock) -> StoreResult<ContentBlockWrite>;

    /// Replaces the stored block with `block.id` (its `created_at` is kept).
    async fn update_content_block(&self, block: &ContentBlock) -> StoreResult<ContentBlockWrite>;
}
