//! The loom model-checking suite of consensus-lab.
//!
//! Build and run it with
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p loom-tests --release --target-dir target/loom
//! ```
//!
//! (`cargo xtask test` does this after the ordinary tests). Without `--cfg loom`
//! the suite compiles to nothing.
//!
//! The tests are generated from the registry (`tests/loom.rs`, a libtest-mimic
//! harness): for every correct protocol and every [`LoomModel`] it claims, one
//! test bounded to 2 preemptions (the quick bug finder) and, where the model is
//! exhaustive, one exhaustive test; for every broken protocol, one test that
//! asserts loom finds the counterexample and prints its trace.
//!
//! [`LoomModel`]: consensus_lab::consensus::protocol::LoomModel
