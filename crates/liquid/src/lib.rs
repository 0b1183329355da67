//! The Braze-dialect Liquid engine: templates are parsed once into a `Send + Sync` tree and rendered many times.
