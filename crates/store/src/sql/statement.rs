//! SQL text for statements whose length follows their rows: multi-row `VALUES` lists and
//! `IN (…)` lists. Their parameters are numbered (`$1`, `$2`, …) on PostgreSQL and bare
//! `?` on SQLite ([`SqlDatabase::NUMBERED_PARAMETERS`]), so every parameter of a statement
//! built here, its head and tail included, is written by this module.
//!
//! The generic code binds into [`sqlx::query`] rather than [`sqlx::QueryBuilder`]: a
//! builder's arguments borrow it for their whole lifetime, which generic code cannot
//! shorten before the builder is dropped.

use std::fmt::Write as _;

use super::database::SqlDatabase;

/// `head` followed by `VALUES` and `rows` tuples of `columns` parameters each.
pub(crate) fn values<DB: SqlDatabase>(head: &str, rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(head.len() + 8 + rows * columns * 6);
    sql.push_str(head);
    sql.push_str("VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        push_parameters::<DB>(&mut sql, row * columns + 1, columns);
        sql.push(')');
    }
    sql
}

/// `head`, `count` parameters from the `first`th separated by commas, then `tail`.
pub(crate) fn list<DB: SqlDatabase>(head: &str, first: usize, count: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + count * 6 + tail.len());
    sql.push_str(head);
    push_parameters::<DB>(&mut sql, first, count);
    sql.push_str(tail);
    sql
}

/// Appends the `first`th parameter and the `count - 1` after it.
fn push_parameters<DB: SqlDatabase>(sql: &mut String, first: usize, count: usize) {
    for number in first..first + count {
        if number > first {
            sql.push_str(", ");
        }
        if DB::NUMBERED_PARAMETERS {
            write!(sql, "${number}").ok();
        } else {
            sql.push('?');
        }
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{Postgres, Sqlite};

    use super::*;

    #[test]
    fn parameters_are_numbered_across_rows_on_postgres() {
        assert_eq!(
            values::<Postgres>("INSERT INTO t (a, b) ", 2, 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            list::<Postgres>("SELECT x WHERE id IN (", 2, 3, ")"),
            "SELECT x WHERE id IN ($2, $3, $4)"
        );
    }

    #[test]
    fn parameters_are_bare_on_sqlite() {
        assert_eq!(
            values::<Sqlite>("INSERT INTO t (a, b) ", 2, 2),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        assert_eq!(
            list::<Sqlite>("SELECT x WHERE id IN (", 2, 3, ")"),
            "SELECT x WHERE id IN (?, ?, ?)"
        );
    }
}
