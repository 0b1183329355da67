//! `for` and `tablerow`: lazy ranges, limit/offset/reversed, `offset: continue`, and the
//! `forloop` / `tablerowloop` objects.

use std::sync::Arc;

use super::{Flow, Renderer, Res, Stop, object_of};
use crate::ast::{Expr, ForLoop, LoopOffset};
use crate::errors::RenderError;
use crate::value::Value;

/// One active loop, innermost last.
#[derive(Debug, Clone)]
pub(crate) struct LoopFrame {
    pub name: Arc<str>,
    pub index0: usize,
    pub length: usize,
    /// `cols` of a tablerow (0 when unbounded); `None` for a `for` loop.
    pub cols: Option<usize>,
    /// The loop of `render … for`: visible as `forloop`, never as a `parentloop`.
    pub detached: bool,
}

/// What a loop walks over, without materialising ranges.
enum Items {
    Range(i64, usize),
    Array(Arc<Vec<Value>>),
    List(Vec<Value>),
}

impl Items {
    fn of(value: &Value) -> Items {
        match value {
            Value::Range(a, b) if a <= b => {
                let len = (*b as i128 - *a as i128 + 1).min(usize::MAX as i128) as usize;
                Items::Range(*a, len)
            }
            Value::Array(items) => Items::Array(items.clone()),
            Value::Object(_) | Value::Str(_) => {
                Items::List(value.iteration_items(usize::MAX).unwrap_or_default())
            }
            _ => Items::List(Vec::new()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Items::Range(_, len) => *len,
            Items::Array(items) => items.len(),
            Items::List(items) => items.len(),
        }
    }

    fn get(&self, i: usize) -> Value {
        match self {
            Items::Range(start, _) => Value::Int(start.saturating_add(i as i64)),
            Items::Array(items) => items.get(i).cloned().unwrap_or_default(),
            Items::List(items) => items.get(i).cloned().unwrap_or_default(),
        }
    }
}

/// A property of loop frame `frame` without building the whole object.
pub(crate) fn loop_property(loops: &[LoopFrame], frame: usize, key: &str) -> Option<Value> {
    let f = loops.get(frame)?;
    let (i, n) = (f.index0, f.length);
    let col0 = match f.cols {
        Some(cols) if cols > 0 => i % cols,
        _ => i,
    };
    Some(match key {
        "index" => Value::Int(i as i64 + 1),
        "index0" => Value::Int(i as i64),
        "rindex" => Value::Int((n - i) as i64),
        "rindex0" => Value::Int((n - i) as i64 - 1),
        "first" => Value::Bool(i == 0),
        "last" => Value::Bool(i + 1 == n),
        "length" => Value::Int(n as i64),
        "name" => Value::Str(f.name.clone()),
        "parentloop" => match frame.checked_sub(1) {
            Some(parent) if loops.get(parent).is_some_and(|p| !p.detached) => {
                loop_object(loops, parent)
            }
            _ => Value::Nil,
        },
        "col" if f.cols.is_some() => Value::Int(col0 as i64 + 1),
        "col0" if f.cols.is_some() => Value::Int(col0 as i64),
        "col_first" if f.cols.is_some() => Value::Bool(col0 == 0),
        "col_last" if f.cols.is_some() => {
            Value::Bool(f.cols.is_some_and(|c| c > 0 && col0 + 1 == c))
        }
        "row" if f.cols.is_some() => Value::Int(match f.cols {
            Some(c) if c > 0 => (i / c) as i64 + 1,
            _ => 1,
        }),
        _ => return None,
    })
}

/// The whole `forloop` object of frame `frame` (used for `parentloop` and printing).
pub(crate) fn loop_object(loops: &[LoopFrame], frame: usize) -> Value {
    let keys = [
        "index",
        "index0",
        "rindex",
        "rindex0",
        "first",
        "last",
        "length",
        "name",
        "parentloop",
    ];
    object_of(
        keys.into_iter()
            .map(|k| (k, loop_property(loops, frame, k).unwrap_or_default())),
    )
}

impl Renderer<'_> {
    fn loop_int(&mut self, expr: &Expr, what: &str) -> Res<i64> {
        let value = self.eval(expr)?;
        let n = match &value {
            Value::Int(n) => Some(*n),
            Value::Float(f) if f.is_finite() => Some(*f as i64),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        };
        n.ok_or_else(|| Stop::Error(RenderError::runtime(format!("`{what}` must be an integer"))))
    }

    /// The `[from, end)` window of the collection after offset and limit.
    fn window(&mut self, f: &ForLoop, total: usize) -> Res<(usize, usize)> {
        let from = match &f.offset {
            None => 0,
            Some(LoopOffset::Continue) => self.scope.for_offsets.get(&f.name).copied().unwrap_or(0),
            Some(LoopOffset::Value(e)) => self.loop_int(e, "offset")?.max(0) as usize,
        };
        let from = from.min(total);
        let end = match &f.limit {
            None => total,
            Some(e) => from
                .saturating_add(self.loop_int(e, "limit")?.max(0) as usize)
                .min(total),
        };
        Ok((from, end.max(from)))
    }

    pub(super) fn render_for(&mut self, f: &ForLoop, out: &mut String) -> Res<Flow> {
        let collection = self.eval(&f.collection)?;
        let items = Items::of(&collection);
        let (from, end) = self.window(f, items.len())?;
        self.scope.for_offsets.insert(f.name.clone(), end);
        let length = end - from;
        if length == 0 {
            return match &f.otherwise {
                Some(block) => self.render_block(block, out),
                None => Ok(Flow::Normal),
            };
        }
        let slot = self.scope.locals.len();
        self.scope.locals.push((f.variable.clone(), Value::Nil));
        self.scope.loops.push(LoopFrame {
            name: f.name.clone(),
            index0: 0,
            length,
            cols: None,
            detached: false,
        });
        let result = self.run_loop(f, &items, from, end, out);
        self.scope.locals.truncate(slot);
        self.scope.loops.pop();
        result.map(|_| Flow::Normal)
    }

    fn run_loop(
        &mut self,
        f: &ForLoop,
        items: &Items,
        from: usize,
        end: usize,
        out: &mut String,
    ) -> Res<()> {
        let slot = self.scope.locals.len() - 1;
        for n in 0..end - from {
            self.tick()?;
            let index = if f.reversed { end - 1 - n } else { from + n };
            if let Some(local) = self.scope.locals.get_mut(slot) {
                local.1 = items.get(index);
            }
            if let Some(frame) = self.scope.loops.last_mut() {
                frame.index0 = n;
            }
            if self.render_block(&f.body, out)? == Flow::Break {
                break;
            }
        }
        Ok(())
    }

    pub(super) fn render_tablerow(&mut self, f: &ForLoop, out: &mut String) -> Res<Flow> {
        let collection = self.eval(&f.collection)?;
        let items = Items::of(&collection);
        let (from, end) = self.window(f, items.len())?;
        let cols = match &f.cols {
            Some(expr) => self.loop_int(expr, "cols")?.max(0) as usize,
            None => end - from,
        };
        let length = end - from;
        let slot = self.scope.locals.len();
        self.scope.locals.push((f.variable.clone(), Value::Nil));
        self.scope.loops.push(LoopFrame {
            name: f.name.clone(),
            index0: 0,
            length,
            cols: Some(cols),
            detached: false,
        });
        out.push_str("<tr class=\"row1\">\n");
        let mut result = Ok(());
        for n in 0..length {
            if let Err(e) = self.tick() {
                result = Err(e);
                break;
            }
            if let Some(local) = self.scope.locals.get_mut(slot) {
                local.1 = items.get(from + n);
            }
            if let Some(frame) = self.scope.loops.last_mut() {
                frame.index0 = n;
            }
            let col0 = if cols > 0 { n % cols } else { n };
            out.push_str(&format!("<td class=\"col{}\">", col0 + 1));
            let flow = match self.render_block(&f.body, out) {
                Ok(flow) => flow,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            out.push_str("</td>");
            if cols > 0 && col0 + 1 == cols && n + 1 != length {
                out.push_str(&format!("</tr>\n<tr class=\"row{}\">", n / cols + 2));
            }
            if flow == Flow::Break {
                break;
            }
        }
        out.push_str("</tr>\n");
        self.scope.locals.truncate(slot);
        self.scope.loops.pop();
        result.map(|_| Flow::Normal)
    }
}
