//! The renderer: walks the tree with a scope stack, enforcing the resource limits.

mod loops;
mod tags;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::{
    Block, CompareOp, Condition, Expr, FilterChain, Logic, Node, Path, Root, Segment,
};
use crate::connected_content::{self, ConnectedRequest, ConnectedResponses};
use crate::engine::Engine;
use crate::errors::{Abort, AbortKind, LimitKind, RenderError};
use crate::filters::{FilterArgs, FilterEnv};
use crate::globals::{Globals, attribute_key};
use crate::value::{Object, Value};

pub(crate) use loops::LoopFrame;

/// Why rendering stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    Error(RenderError),
    Abort(Abort),
    /// A `connected_content` response is needed before rendering can go on.
    Fetch(Box<ConnectedRequest>),
}

impl From<RenderError> for Stop {
    fn from(e: RenderError) -> Self {
        Stop::Error(e)
    }
}

/// Control flow out of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Normal,
    Break,
    Continue,
}

type Res<T> = Result<T, Stop>;

/// Hash maps keyed by template identifiers (chosen by template authors, not by end users):
/// a fast hasher with a fixed seed, so building an empty map costs nothing.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// Variables that a `render` tag isolates from its caller.
#[derive(Default)]
pub(crate) struct Scope {
    pub locals: Vec<(Arc<str>, Value)>,
    pub assigns: FastMap<Arc<str>, Value>,
    pub counters: FastMap<Arc<str>, i64>,
    pub cycles: FastMap<String, usize>,
    pub for_offsets: FastMap<Arc<str>, usize>,
    pub ifchanged: Option<String>,
    pub loops: Vec<LoopFrame>,
    pub isolated: bool,
}

pub(crate) struct Renderer<'r> {
    pub engine: &'r Engine,
    pub globals: &'r Globals,
    pub responses: &'r ConnectedResponses,
    pub env: FilterEnv,
    pub scope: Scope,
    iterations: u64,
    pub depth: usize,
}

impl<'r> Renderer<'r> {
    pub fn new(
        engine: &'r Engine,
        globals: &'r Globals,
        responses: &'r ConnectedResponses,
    ) -> Self {
        Renderer {
            engine,
            globals,
            responses,
            env: FilterEnv::new(globals.now, engine.options().limits),
            scope: Scope::default(),
            iterations: 0,
            depth: 0,
        }
    }

    fn limit(&self, kind: LimitKind, limit: u64) -> Stop {
        Stop::Error(RenderError::Limit { kind, limit })
    }

    /// Counts one loop iteration and checks the iteration and time limits (the clock
    /// starts at the first iteration and is read every 256th).
    pub fn tick(&mut self) -> Res<()> {
        self.iterations += 1;
        let limits = &self.env.limits;
        if self.iterations > limits.max_loop_iterations {
            return Err(self.limit(LimitKind::LoopIterations, limits.max_loop_iterations));
        }
        if self.iterations == 1 || self.iterations.is_multiple_of(256) {
            self.env.budget.check_time()?;
        }
        Ok(())
    }

    /// The text of a value, made within the render's budget (see [`FilterEnv::text`]).
    pub fn text<'v>(&self, value: &'v Value) -> Res<Cow<'v, str>> {
        Ok(self.env.text(value)?)
    }

    /// Writes a value to the output, refusing before the output would pass its limit.
    pub fn write_value(&self, value: &Value, out: &mut String) -> Res<()> {
        let max = self.env.limits.max_output_bytes;
        value
            .write_within(out, max)
            .map_err(|_| self.limit(LimitKind::OutputSize, max as u64))
    }

    fn check_output(&self, out: &str) -> Res<()> {
        let max = self.env.limits.max_output_bytes;
        if out.len() > max {
            return Err(self.limit(LimitKind::OutputSize, max as u64));
        }
        Ok(())
    }

    pub fn render_block(&mut self, block: &Block, out: &mut String) -> Res<Flow> {
        for node in &block.nodes {
            let flow = self.render_node(node, out)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    pub fn render_to_string(&mut self, block: &Block) -> Res<String> {
        let mut out = String::with_capacity(block.size_hint());
        self.render_block(block, &mut out)?;
        Ok(out)
    }

    fn render_node(&mut self, node: &Node, out: &mut String) -> Res<Flow> {
        match node {
            Node::Text(text) => {
                out.push_str(text);
                self.check_output(out)?;
            }
            Node::Output(chain) => {
                let value = self.eval_chain(chain)?;
                self.write_value(&value, out)?;
            }
            Node::Assign { name, value } => {
                let value = self.eval_chain(value)?;
                self.scope.assigns.insert(name.clone(), value);
            }
            Node::Capture { name, body } => {
                let mut captured = String::new();
                self.render_block(body, &mut captured)?;
                self.env.charge(captured.len())?;
                self.scope
                    .assigns
                    .insert(name.clone(), Value::string(captured));
            }
            Node::If {
                branches,
                otherwise,
            } => {
                for (condition, block) in branches {
                    if self.eval_condition(condition)? {
                        return self.render_block(block, out);
                    }
                }
                if let Some(block) = otherwise {
                    return self.render_block(block, out);
                }
            }
            Node::Case { subject, arms } => return self.render_case(subject, arms, out),
            Node::For(for_loop) => return self.render_for(for_loop, out),
            Node::Tablerow(for_loop) => return self.render_tablerow(for_loop, out),
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
            Node::Cycle { group, values } => self.render_cycle(group, values, out)?,
            Node::Increment(name) => {
                let counter = self.scope.counters.entry(name.clone()).or_insert(0);
                let _ = std::fmt::Write::write_fmt(out, format_args!("{counter}"));
                *counter += 1;
            }
            Node::Decrement(name) => {
                let counter = self.scope.counters.entry(name.clone()).or_insert(0);
                *counter -= 1;
                let _ = std::fmt::Write::write_fmt(out, format_args!("{counter}"));
            }
            Node::IfChanged(body) => {
                let rendered = self.render_to_string(body)?;
                if self.scope.ifchanged.as_deref() != Some(rendered.as_str()) {
                    out.push_str(&rendered);
                    self.scope.ifchanged = Some(rendered);
                }
            }
            Node::Include(include) => return self.render_include(include, out),
            Node::Render(include) => {
                self.render_partial_isolated(include, out)?;
            }
            Node::Nested(block) => return self.render_block(block, out),
            Node::AbortMessage(reason) => {
                return Err(Stop::Abort(Abort {
                    kind: AbortKind::AbortMessage,
                    reason: reason.to_string(),
                }));
            }
            Node::ConnectedContent(tag) => {
                connected_content::execute(self, tag, out)?;
                self.check_output(out)?;
            }
        }
        Ok(Flow::Normal)
    }

    pub fn assign(&mut self, name: Arc<str>, value: Value) {
        self.scope.assigns.insert(name, value);
    }

    /// Looks a root name up: loop and include locals, assigns, counters, then globals.
    fn lookup(&self, name: &str) -> Res<Value> {
        let scope = &self.scope;
        if let Some((_, value)) = scope.locals.iter().rev().find(|(k, _)| &**k == name) {
            return Ok(value.clone());
        }
        if let Some(value) = scope.assigns.get(name) {
            return Ok(value.clone());
        }
        if let Some(counter) = scope.counters.get(name) {
            return Ok(Value::Int(*counter));
        }
        if !scope.isolated
            && let Some(value) = self.globals.variables.get(name)
        {
            return Ok(value.clone());
        }
        if self.engine.options().strict_variables {
            return Err(Stop::Error(RenderError::UnknownVariable(name.to_string())));
        }
        Ok(Value::Nil)
    }

    fn is_local(&self, name: &str) -> bool {
        self.scope.locals.iter().any(|(k, _)| &**k == name) || self.scope.assigns.contains_key(name)
    }

    pub fn eval(&mut self, expr: &Expr) -> Res<Value> {
        match expr {
            Expr::Literal(value) => Ok(value.clone()),
            Expr::Path(path) => self.resolve(path),
            Expr::Range(start, end) => {
                let bound = |r: &mut Self, e: &Expr| -> Res<i64> {
                    let value = r.eval(e)?;
                    match value {
                        Value::Array(_) | Value::Object(_) | Value::Range(..) => {
                            Err(Stop::Error(RenderError::runtime(format!(
                                "invalid range bound: {}",
                                value.type_name()
                            ))))
                        }
                        other => Ok(other.to_integer().unwrap_or(0)),
                    }
                };
                Ok(Value::Range(bound(self, start)?, bound(self, end)?))
            }
            Expr::Group(chain) => self.eval_chain(chain),
        }
    }

    fn resolve(&mut self, path: &Path) -> Res<Value> {
        let mut segments = path.segments.iter();
        let mut value = match &path.root {
            Root::Name(name)
                if !self.scope.loops.is_empty()
                    && (&**name == "forloop" || &**name == "tablerowloop")
                    && !self.is_local(name) =>
            {
                let key = match path.segments.first() {
                    Some(Segment::Key(key)) => Some(&**key),
                    _ => None,
                };
                let frame = self.scope.loops.len() - 1;
                match key.and_then(|k| loops::loop_property(&self.scope.loops, frame, k)) {
                    Some(value) => {
                        segments.next();
                        value
                    }
                    None => loops::loop_object(&self.scope.loops, frame),
                }
            }
            Root::Name(name) => self.lookup(name)?,
            Root::Index(expr) => {
                let key = self.eval(expr)?;
                self.lookup(&self.text(&key)?)?
            }
            Root::Attribute(name) => self.globals.standard_attribute(name),
        };
        for segment in segments {
            value = match segment {
                Segment::Key(key) => value.get_key(key),
                Segment::Index(expr) => {
                    let index = self.eval(expr)?;
                    value.get_index(&index)
                }
                Segment::Attribute(key) => attribute_key(&value, key),
            };
        }
        Ok(value)
    }

    pub fn eval_chain(&mut self, chain: &FilterChain) -> Res<Value> {
        let mut value = self.eval(&chain.expr)?;
        for call in &chain.filters {
            let Some(func) = call.func else {
                if self.engine.options().strict_filters {
                    return Err(Stop::Error(RenderError::runtime(format!(
                        "unknown filter `{}`",
                        call.name
                    ))));
                }
                continue;
            };
            let mut args = Vec::with_capacity(call.args.len());
            for arg in &call.args {
                args.push(self.eval(arg)?);
            }
            let mut kwargs = Vec::new();
            for (key, arg) in &call.kwargs {
                kwargs.push((key.clone(), self.eval(arg)?));
            }
            let filter_args = FilterArgs {
                name: &call.name,
                args: &args,
                kwargs: &kwargs,
            };
            value = func(&value, &filter_args, &self.env)?;
        }
        Ok(value)
    }

    pub fn eval_condition(&mut self, condition: &Condition) -> Res<bool> {
        Ok(match condition {
            Condition::Test(expr) => self.eval(expr)?.is_truthy(),
            Condition::Not(inner) => !self.eval_condition(inner)?,
            Condition::Chain(terms, last) => {
                for (term, logic) in terms {
                    let holds = self.eval_condition(term)?;
                    match logic {
                        Logic::And if !holds => return Ok(false),
                        Logic::Or if holds => return Ok(true),
                        _ => {}
                    }
                }
                self.eval_condition(last)?
            }
            Condition::Compare(a, op, b) => {
                let (left, right) = (self.eval(a)?, self.eval(b)?);
                match op {
                    CompareOp::Eq => left.liquid_eq(&right),
                    CompareOp::Ne => !left.liquid_eq(&right),
                    CompareOp::Contains => left.liquid_contains(&right),
                    CompareOp::Lt | CompareOp::Gt | CompareOp::Le | CompareOp::Ge => {
                        let order = left
                            .liquid_cmp(&right)
                            .map_err(|m| Stop::Error(RenderError::runtime(m)))?;
                        order.is_some_and(|o| match op {
                            CompareOp::Lt => o.is_lt(),
                            CompareOp::Gt => o.is_gt(),
                            CompareOp::Le => o.is_le(),
                            _ => o.is_ge(),
                        })
                    }
                }
            }
        })
    }
}

/// Builds an object from key/value pairs.
pub(crate) fn object_of(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    let object: Object = pairs.into_iter().map(|(k, v)| (Arc::from(k), v)).collect();
    Value::object(object)
}
