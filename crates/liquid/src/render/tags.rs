//! `case`, `cycle`, `include` and `render`.

use std::sync::Arc;

use super::{Flow, LoopFrame, Renderer, Res, Scope, Stop};
use crate::ast::{Block, CaseArm, CycleGroup, Expr, Include};
use crate::errors::{LimitKind, RenderError};
use crate::value::Value;

impl Renderer<'_> {
    pub(super) fn render_case(
        &mut self,
        subject: &Expr,
        arms: &[CaseArm],
        out: &mut String,
    ) -> Res<Flow> {
        let subject = self.eval(subject)?;
        let mut matched = false;
        for arm in arms {
            match &arm.values {
                Some(values) => {
                    for value in values {
                        if self.eval(value)?.liquid_eq(&subject) {
                            matched = true;
                            let flow = self.render_block(&arm.body, out)?;
                            if flow != Flow::Normal {
                                return Ok(flow);
                            }
                        }
                    }
                }
                None if !matched => {
                    let flow = self.render_block(&arm.body, out)?;
                    if flow != Flow::Normal {
                        return Ok(flow);
                    }
                }
                None => {}
            }
        }
        Ok(Flow::Normal)
    }

    pub(super) fn render_cycle(
        &mut self,
        group: &CycleGroup,
        values: &[Expr],
        out: &mut String,
    ) -> Res<()> {
        let key = match group {
            CycleGroup::Named(expr) => {
                let name = self.eval(expr)?;
                format!("named:{}", self.text(&name)?)
            }
            CycleGroup::Unnamed(text) => format!("unnamed:{text}"),
        };
        let index = match self.scope.cycles.get(&key) {
            Some(index) => *index,
            None => {
                self.env.charge(key.len())?;
                0
            }
        };
        if let Some(expr) = values.get(index) {
            let value = self.eval(expr)?;
            self.write_value(&value, out)?;
        }
        let next = if index + 1 >= values.len() {
            0
        } else {
            index + 1
        };
        self.scope.cycles.insert(key, next);
        Ok(())
    }

    fn partial(&mut self, name: &Expr) -> Res<(Arc<str>, Arc<crate::Template>)> {
        let name = self.eval(name)?;
        let name: Arc<str> = Arc::from(&*self.text(&name)?);
        if self.depth >= self.env.limits.max_nesting_depth {
            let limit = self.env.limits.max_nesting_depth as u64;
            return Err(Stop::Error(RenderError::Limit {
                kind: LimitKind::NestingDepth,
                limit,
            }));
        }
        let template = self.engine.partial(&name)?;
        Ok((name, template))
    }

    /// `include`: the partial shares the caller's variables; its arguments are locals.
    pub(super) fn render_include(&mut self, include: &Include, out: &mut String) -> Res<Flow> {
        let (name, template) = self.partial(&include.name)?;
        let base = self.scope.locals.len();
        for (key, expr) in &include.args {
            let value = self.eval(expr)?;
            self.scope.locals.push((key.clone(), value));
        }
        let var = include.alias.clone().unwrap_or(name);
        self.depth += 1;
        let result = match &include.bound {
            Some((expr, is_for)) => {
                let bound = self.eval(expr)?;
                match (&bound, is_for) {
                    (Value::Array(items), true) => {
                        let mut result = Ok(Flow::Normal);
                        for item in items.iter() {
                            self.scope.locals.push((var.clone(), item.clone()));
                            result = self.render_block(&template.root, out);
                            self.scope.locals.pop();
                            if !matches!(result, Ok(Flow::Normal)) {
                                break;
                            }
                        }
                        result
                    }
                    _ => {
                        self.scope.locals.push((var.clone(), bound.clone()));
                        self.render_block(&template.root, out)
                    }
                }
            }
            None => self.render_block(&template.root, out),
        };
        self.depth -= 1;
        self.scope.locals.truncate(base);
        result
    }

    /// `render`: the partial sees only its arguments (and `${…}` user attributes).
    pub(super) fn render_partial_isolated(
        &mut self,
        include: &Include,
        out: &mut String,
    ) -> Res<()> {
        let (name, template) = self.partial(&include.name)?;
        let mut locals = Vec::new();
        for (key, expr) in &include.args {
            locals.push((key.clone(), self.eval(expr)?));
        }
        let var = include.alias.clone().unwrap_or(name.clone());
        let bound = match &include.bound {
            Some((expr, is_for)) => Some((self.eval(expr)?, *is_for)),
            None => None,
        };
        let assigns = locals.into_iter().collect();
        let saved = std::mem::replace(
            &mut self.scope,
            Scope {
                assigns,
                isolated: true,
                ..Scope::default()
            },
        );
        self.depth += 1;
        let result = self.render_isolated_body(&template.root, var, bound, out);
        self.depth -= 1;
        self.scope = saved;
        result
    }

    fn render_isolated_body(
        &mut self,
        root: &Block,
        var: Arc<str>,
        bound: Option<(Value, bool)>,
        out: &mut String,
    ) -> Res<()> {
        match bound {
            Some((Value::Array(items), true)) => {
                let slot = self.scope.locals.len();
                self.scope.locals.push((var.clone(), Value::Nil));
                let length = items.len();
                self.scope.loops.push(LoopFrame {
                    name: var,
                    index0: 0,
                    length,
                    cols: None,
                    detached: true,
                });
                for (n, item) in items.iter().enumerate() {
                    self.tick()?;
                    if let Some(local) = self.scope.locals.get_mut(slot) {
                        local.1 = item.clone();
                    }
                    if let Some(frame) = self.scope.loops.last_mut() {
                        frame.index0 = n;
                    }
                    self.render_block(root, out)?;
                }
                Ok(())
            }
            Some((value, _)) => {
                self.scope.locals.push((var, value));
                self.render_block(root, out).map(|_| ())
            }
            None => self.render_block(root, out).map(|_| ()),
        }
    }
}
