//! loom suite
