//! Checking: the properties ([`properties`]), and the two ways to run them:
//! exhaustively under loom (`model`, in `cfg(loom)` builds only) and on real
//! cores (`stress`, in the other builds); the linearizability checker and the
//! object workloads that feed it (`workload`, real cores); under shuttle's
//! randomized schedulers (`shuttle_model`, in `cfg(shuttle)` builds only). [`verify`] is the one call that gives any
//! implementation both (the harness of the exercises). [`panic`](mod@panic) reads panic
//! payloads for all of them.

pub mod byzantine;
pub mod linearizability;
pub mod panic;
pub mod properties;
pub mod replicated;
pub mod suite;
pub mod verify;

#[cfg(loom)]
pub mod model;
#[cfg(all(shuttle, not(loom)))]
pub mod shuttle_model;
#[cfg(not(loom))]
pub mod stress;
#[cfg(not(loom))]
pub mod workload;
