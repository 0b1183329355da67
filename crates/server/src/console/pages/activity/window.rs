//! One page of the log at a position (the newest, before a cursor, after one), newest
//! first, and the cursors of the pages beside it. Each page is one indexed range read of
//! [`PAGE`] + 1 entries (every filter has an index ending in time and id), the extra one
//! telling whether another page follows. The store returns the entries after a cursor
//! oldest first; the window turns them newest first.

use leadwire_core::activity::ActivityEntry;
use leadwire_store::{ActivityCursor, ActivityQuery, Store};

use super::PAGE;
use crate::console::error::ConsoleError;

/// Which page of the log.
#[derive(Debug, Clone, Copy)]
pub enum Position {
    Newest,
    Before(ActivityCursor),
    After(ActivityCursor),
}

/// The entries of one page, newest first, and the cursors of the pages beside it.
pub struct Window {
    pub entries: Vec<ActivityEntry>,
    pub older: Option<ActivityCursor>,
    pub newer: Option<ActivityCursor>,
}

/// Reads the page at `position` of the entries `query` filters.
pub async fn window(
    store: &dyn Store,
    mut query: ActivityQuery,
    position: Position,
) -> Result<Window, ConsoleError> {
    query.limit = PAGE + 1;
    match position {
        Position::Newest => query.before = None,
        Position::Before(at) => query.before = Some(at),
        Position::After(at) => query.after = Some(at),
    }
    let mut entries = store.activity(&query).await?.entries;
    // One entry past the page says another page follows.
    let more = entries.len() > PAGE as usize;
    entries.truncate(PAGE as usize);
    let onward = more
        .then(|| entries.last().map(ActivityCursor::of))
        .flatten();
    Ok(match position {
        Position::Newest => Window {
            entries,
            older: onward,
            newer: None,
        },
        Position::Before(at) => Window {
            newer: entries.first().map(ActivityCursor::of).or(Some(at)),
            entries,
            older: onward,
        },
        Position::After(at) => {
            entries.reverse();
            Window {
                older: entries.last().map(ActivityCursor::of).or(Some(at)),
                entries,
                newer: onward,
            }
        }
    })
}
