//! The loom model-checking suite of consensus-lab.
//!
//! Build and run it with
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p loom-tests --release --target-dir target/loom
//! ```
//!
//! (`cargo xtask test` does this after the ordinary tests; `cargo xtask test
//! --long` adds `-- --include-ignored`, the long suite). Without `--cfg loom`
//! the suite compiles to nothing.
//!
//! The tests are generated from the registry (`tests/loom.rs`, a libtest-mimic
//! harness): for every correct protocol and every [`LoomModel`] it claims, one
//! test bounded to 2 preemptions (the quick bug finder) and, where the model
//! explores more than that (exhaustive, or a higher bound), one test of that;
//! where the model has a long exploration ([`LoomModel::long`]: exhaustive or
//! a higher bound, beyond CI's time), one more test, ignored unless the long
//! suite is asked for; for every broken protocol, one test that asserts loom
//! finds the counterexample and prints its trace.
//!
//! [`LoomModel`]: consensus_lab::consensus::protocol::LoomModel
//! [`LoomModel::long`]: consensus_lab::consensus::protocol::LoomModel::long
