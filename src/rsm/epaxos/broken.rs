//! EPaxos broken on purpose, each kept with the loom (and shuttle) test
//! that finds its counterexample.
//!
//! * [`small_fast_quorum`]: the fast path commits after one replica fewer
//!   than F + ⌊(F + 1)/2⌋ agreed. With 3 replicas that is the leader's home
//!   alone: two conflicting commands led from different homes each commit
//!   fast without the other in their dependencies, so nothing orders them,
//!   and two replicas may execute them in opposite orders (each client's
//!   replica executes its own first: both counter increments return 0).

use super::{Build, Config, Epaxos};
use crate::objects::Spec;
use crate::rsm::RsmError;

/// An object whose fast path is one replica short (see the module docs).
///
/// # Errors
/// As [`Epaxos::new`].
pub fn small_fast_quorum<S: Spec + Send + Sync + 'static>(
    spec: S,
    config: Config,
) -> Result<Epaxos<S>, RsmError>
where
    S::Op: Sync,
{
    Epaxos::build(spec, config, Build { small_fast_quorum: true })
}
