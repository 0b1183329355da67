//! SQL text for statements whose length follows their rows: multi-row `VALUES` lists and
//! `IN (…)` lists, with numbered parameters (`$1`, `$2`, …), which both databases read.
//!
//! The generic code binds into [`sqlx::query`] rather than [`sqlx::QueryBuilder`]: a
//! builder's arguments borrow it for their whole lifetime, which generic code cannot
//! shorten before the builder is dropped.

use std::fmt::Write as _;

/// `head` followed by `VALUES` and `rows` tuples of `columns` parameters each.
pub(crate) fn values(head: &str, rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(head.len() + 8 + rows * columns * 6);
    sql.push_str(head);
    sql.push_str("VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        push_parameters(&mut sql, row * columns + 1, columns);
        sql.push(')');
    }
    sql
}

/// `head`, `count` parameters from `$first` separated by commas, then `tail`.
pub(crate) fn list(head: &str, first: usize, count: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + count * 6 + tail.len());
    sql.push_str(head);
    push_parameters(&mut sql, first, count);
    sql.push_str(tail);
    sql
}

/// Appends `$first, $first+1, …`, `count` of them.
fn push_parameters(sql: &mut String, first: usize, count: usize) {
    for number in first..first + count {
        if number > first {
            sql.push_str(", ");
        }
        write!(sql, "${number}").ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_across_rows() {
        assert_eq!(
            values("INSERT INTO t (a, b) ", 2, 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            list("SELECT x WHERE id IN (", 2, 3, ")"),
            "SELECT x WHERE id IN ($2, $3, $4)"
        );
    }
}
