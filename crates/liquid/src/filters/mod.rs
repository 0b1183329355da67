//! Filters: the standard Liquid set plus Braze's. Each filter is a plain function looked up
//! by name once, at parse time.

mod array;
mod braze;
mod date;
mod encoding;
mod math;
mod sequence;
mod standard;

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::budget::{Budget, ITEM_BYTES};
use crate::errors::{LimitKind, RenderError};
use crate::limits::Limits;
use crate::value::Value;

/// What a filter gets besides its input.
pub(crate) struct FilterEnv {
    pub now: DateTime<Utc>,
    pub limits: Limits,
    /// The render's budget: every filter charges the bytes of the values it makes.
    pub budget: Budget,
}

impl FilterEnv {
    pub fn new(now: DateTime<Utc>, limits: Limits) -> Self {
        FilterEnv {
            now,
            budget: Budget::new(&limits),
            limits,
        }
    }

    /// Charges `bytes` about to be allocated; see [`Budget::charge`].
    pub fn charge(&self, bytes: usize) -> Result<(), RenderError> {
        self.budget.charge(bytes)
    }

    /// The text of a value: borrowed for a string, else made within the budget and charged.
    pub fn text<'v>(&self, value: &'v Value) -> Result<Cow<'v, str>, RenderError> {
        let text = value
            .to_str_within(self.budget.remaining())
            .map_err(|_| self.budget.exceeded())?;
        if let Cow::Owned(made) = &text {
            self.charge(made.len())?;
        }
        Ok(text)
    }

    /// A string result no larger than the values it was made from, charged once made.
    pub fn string(&self, text: String) -> Result<Value, RenderError> {
        self.charge(text.len())?;
        Ok(Value::string(text))
    }

    /// An array result, charged at [`ITEM_BYTES`] an item (the items themselves are shared).
    pub fn array(&self, items: Vec<Value>) -> Result<Value, RenderError> {
        self.charge(items.len().saturating_mul(ITEM_BYTES))?;
        Ok(Value::array(items))
    }
}

/// Evaluated arguments of one filter call.
pub(crate) struct FilterArgs<'v> {
    pub name: &'v str,
    pub args: &'v [Value],
    pub kwargs: &'v [(Arc<str>, Value)],
}

impl FilterArgs<'_> {
    /// Fails unless the number of positional arguments is within `min..=max`.
    pub fn arity(&self, min: usize, max: usize) -> Result<(), RenderError> {
        let n = self.args.len();
        if n < min || n > max {
            let expected = if min == max {
                format!("{min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(RenderError::runtime(format!(
                "filter `{}` takes {expected} argument(s), got {n}",
                self.name
            )));
        }
        Ok(())
    }

    pub fn get(&self, i: usize) -> &Value {
        self.args.get(i).unwrap_or(&Value::Nil)
    }

    pub fn kwarg(&self, key: &str) -> Option<&Value> {
        self.kwargs
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| v)
    }

    pub fn error(&self, message: impl std::fmt::Display) -> RenderError {
        RenderError::runtime(format!("{}: {message}", self.name))
    }
}

pub(crate) type FilterFn = fn(&Value, &FilterArgs<'_>, &FilterEnv) -> Result<Value, RenderError>;

/// Finds a filter by name.
pub(crate) fn lookup(name: &str) -> Option<FilterFn> {
    standard::lookup(name)
        .or_else(|| encoding::lookup(name))
        .or_else(|| array::lookup(name))
        .or_else(|| sequence::lookup(name))
        .or_else(|| math::lookup(name))
        .or_else(|| braze::lookup(name))
        .or_else(|| (name == "date").then_some(date::date as FilterFn))
}

/// The input as a flat list, as Liquid's array filters see it.
pub(crate) fn flat_list(input: &Value, env: &FilterEnv) -> Result<Vec<Value>, RenderError> {
    fn push_flat(value: &Value, out: &mut Vec<Value>, max: usize) -> Result<(), RenderError> {
        match value {
            Value::Array(items) => {
                for item in items.iter() {
                    push_flat(item, out, max)?;
                }
            }
            Value::Range(..) => out.extend(value.iteration_items(max).map_err(collection_limit)?),
            other => out.push(other.clone()),
        }
        if out.len() > max {
            return Err(collection_limit(max));
        }
        Ok(())
    }
    let max = env.limits.max_collection_len;
    let mut out = Vec::new();
    match input {
        Value::Nil | Value::Blank | Value::Empty => {}
        other => push_flat(other, &mut out, max)?,
    }
    Ok(out)
}

pub(crate) fn collection_limit(max: usize) -> RenderError {
    RenderError::Limit {
        kind: LimitKind::CollectionSize,
        limit: max as u64,
    }
}
