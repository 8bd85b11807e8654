//! The shuttle suite of consensus-lab.
//!
//! Build and run it with
//!
//! ```text
//! RUSTFLAGS="--cfg shuttle" cargo test -p shuttle-tests --release --target-dir target/shuttle
//! ```
//!
//! (`cargo xtask test` does this after the loom suite; `cargo xtask shuttle`
//! runs it alone, with a bigger budget). Without `--cfg shuttle` the suite
//! compiles to nothing.
//!
//! The tests are generated from the registry (`tests/shuttle.rs`, a
//! libtest-mimic harness): for every correct protocol and every
//! [`ShuttleModel`] it declares, the model under its scheduler (PCT or random)
//! for its iteration budget, with the checks of the loom harness (agreement,
//! validity, the step bound, the protocol's invariant); for every broken
//! protocol, a test that asserts PCT finds its violation within the budget and
//! prints the failing schedule as shuttle's replay string. See
//! `docs/src/checking.md`.
//!
//! [`ShuttleModel`]: consensus_lab::consensus::protocol::ShuttleModel
