//! Intentionally wrong protocols, kept for teaching.
//!
//! Each one is in the registry (marked broken, so `conlab run all` skips it) and
//! has a loom test that asserts loom *finds* its counterexample and prints the
//! trace. Run one by name on real cores (`conlab run read-write --threads 2`) to
//! see how rarely the bad interleaving shows up there: that is why we model-check.

pub mod assignment_shortcut;
pub mod naive_versioned;
pub mod read_write;
pub mod relaxed_cas;
pub mod test_and_set_3;
