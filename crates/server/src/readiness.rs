//! What `GET /readyz` knows about the node beside the store: its components by name and
//! whether each is up. One registry per node, shared by clones: whoever starts a component
//! marks it (`serve` does, through its supervisor), and the probe reads it. An empty
//! registry is a node with nothing to watch but the store.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The node's components and whether each is up.
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    components: Arc<Mutex<BTreeMap<&'static str, bool>>>,
}

impl Readiness {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records whether `name` is up.
    pub fn set(&self, name: &'static str, up: bool) {
        self.lock().insert(name, up);
    }

    /// Marks `name` up until the returned guard is dropped: keep the guard inside the task
    /// that is the component, and the component goes down when the task ends, a panic
    /// included.
    pub fn up_while(&self, name: &'static str) -> UpWhile {
        self.set(name, true);
        UpWhile {
            readiness: self.clone(),
            name,
        }
    }

    /// The components that are not up, by name.
    pub fn down(&self) -> Vec<&'static str> {
        self.lock()
            .iter()
            .filter(|(_, up)| !**up)
            .map(|(name, _)| *name)
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<&'static str, bool>> {
        // The map stays whole whatever panicked while holding it.
        self.components
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Keeps a component up while it lives; see [`Readiness::up_while`].
#[derive(Debug)]
pub struct UpWhile {
    readiness: Readiness,
    name: &'static str,
}

impl Drop for UpWhile {
    fn drop(&mut self) {
        self.readiness.set(self.name, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_is_down_once_its_guard_is_dropped() {
        let readiness = Readiness::new();
        assert!(readiness.down().is_empty());
        readiness.set("migrations", false);
        let worker = readiness.up_while("delivery worker");
        assert_eq!(readiness.down(), ["migrations"]);
        readiness.set("migrations", true);
        drop(worker);
        assert_eq!(readiness.down(), ["delivery worker"]);
    }
}
