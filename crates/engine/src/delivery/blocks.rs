//! The Content Blocks a send renders with: the config's `[[content_blocks]]` and the
//! active blocks created through the API, and the templates parsed with them.
//!
//! Several nodes may share one PostgreSQL database, and any of them may change a block.
//! Each write bumps the store's revision number, so before each batch (and each preview)
//! [`ContentBlocks::refresh`] reads that one number and reloads the blocks only when it
//! moved. A field whose text includes blocks is expanded and parsed once per revision;
//! fields without blocks are parsed at start-up and never again.
//!
//! A block that does not exist (or is a draft) when a send renders fails the send with an
//! activity-log error naming it: the message does not go out with a hole in it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use leadwire_core::config::Config;
use leadwire_core::content_block::ContentBlockState;
use leadwire_liquid::content_blocks::{ContentBlockError, ContentBlockSource};
use leadwire_liquid::{Engine, Template, expand_content_blocks};
use leadwire_store::{Store, StoreResult};

/// The blocks at one revision: name → content of every active block.
#[derive(Debug, Default)]
pub struct BlockSet {
    /// The store revision these were read at; `None` before the first read.
    pub revision: Option<i64>,
    contents: HashMap<String, String>,
}

impl ContentBlockSource for BlockSet {
    fn content_block(&self, name: &str) -> Option<&str> {
        self.contents.get(name).map(String::as_str)
    }
}

/// The blocks and the templates parsed with them, shared by every render of a node.
#[derive(Debug)]
pub struct ContentBlocks {
    config: HashMap<String, String>,
    current: RwLock<Arc<BlockSet>>,
    /// Expanded and parsed field texts, for the revision they were parsed at.
    parsed: Mutex<ParsedAt>,
}

/// The most parsed texts kept at once. Webhooks given in `POST /messages/send` requests
/// bring texts of their own, so the cache is emptied when it holds this many, rather than
/// growing until the revision moves.
const MAX_PARSED: usize = 1024;

/// Parsed templates by field text, and the revision they were parsed at.
type ParsedAt = (Option<i64>, HashMap<String, Arc<Template>>);

impl ContentBlocks {
    /// The config's blocks; the store's are read by the first [`Self::refresh`].
    pub fn new(config: &Config) -> Self {
        let config: HashMap<String, String> = config
            .content_blocks
            .iter()
            .map(|block| (block.name.clone(), block.content.clone()))
            .collect();
        let current = BlockSet {
            revision: None,
            contents: config.clone(),
        };
        Self {
            config,
            current: RwLock::new(Arc::new(current)),
            parsed: Mutex::new((None, HashMap::new())),
        }
    }

    /// The blocks as last read.
    pub fn current(&self) -> Arc<BlockSet> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads the store's revision and, when it moved, the store's blocks. A config block
    /// wins over a stored one of the same name.
    pub async fn refresh(&self, store: &dyn Store) -> StoreResult<()> {
        let revision = store.content_block_revision().await?;
        if self.current().revision == Some(revision) {
            return Ok(());
        }
        let mut contents = HashMap::new();
        for block in store.content_blocks().await? {
            if block.state == ContentBlockState::Active {
                contents.insert(block.name, block.content);
            }
        }
        contents.extend(self.config.clone());
        let set = Arc::new(BlockSet {
            revision: Some(revision),
            contents,
        });
        match self.current.write() {
            Ok(mut guard) => *guard = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
        Ok(())
    }

    /// Refreshes, logging (and otherwise ignoring) a store error: renders go on with the
    /// blocks last read.
    pub async fn refresh_or_warn(&self, store: &dyn Store) {
        if let Err(error) = self.refresh(store).await {
            tracing::warn!(%error, "Content Blocks could not be read; rendering with those last read");
        }
    }

    /// `source` expanded with the current blocks and parsed, from the cache when the
    /// revision has not moved since it was parsed.
    pub fn parse(&self, engine: &Engine, source: &str) -> Result<Arc<Template>, String> {
        let blocks = self.current();
        let mut parsed = match self.parsed.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if parsed.0 != blocks.revision || parsed.1.len() >= MAX_PARSED {
            *parsed = (blocks.revision, HashMap::new());
        }
        if let Some(template) = parsed.1.get(source) {
            return Ok(template.clone());
        }
        let expanded = expand_content_blocks(source, &*blocks).map_err(|error| match error {
            ContentBlockError::Missing { name } => format!(
                "Content Block `{name}` does not exist or is a draft, so the message was not sent: \
                 create it with POST /content_blocks/create (state active) or declare it in \
                 [[content_blocks]] in the config file"
            ),
            other => other.to_string(),
        })?;
        let template = Arc::new(
            engine
                .parse(&expanded)
                .map_err(|error| format!("with its Content Blocks expanded: {error}"))?,
        );
        parsed.1.insert(source.to_owned(), template.clone());
        Ok(template)
    }
}
