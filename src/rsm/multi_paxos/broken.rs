//! Multi-Paxos broken on purpose, each kept with the model that catches it
//! (`check::replicated::multi_paxos`).
//!
//! * [`skipping_phase1`]: a new leader that ignores what phase 1 reports
//!   for the first slot it does not know chosen, and proposes there as if
//!   the slot were free. If an entry was chosen there already (by a leader
//!   that crashed before publishing it, or published it after the new
//!   leader last looked), the new leader's higher ballot gets a different
//!   entry accepted by a majority: a chosen entry is lost, and two values
//!   are chosen for one slot.
//! * [`reading_without_lease`]: a leader answers read-only operations from
//!   its replica because it led the last time it looked, with no lease: no
//!   look at the leader word, no confirmation at the acceptors. Once another
//!   client took over and committed a write, the old leader's read misses
//!   it: a stale read, and a client history that is not linearizable.

use super::recovery::{highest_ballot, skip_first};
use super::{Config, MultiAcceptor, MultiPaxos, ReadPath};
use crate::objects::Spec;
use crate::rsm::RsmError;

/// A log whose new leaders skip phase 1 for their first unknown slot.
///
/// # Errors
/// As [`MultiPaxos::new`].
pub fn skipping_phase1<S, A>(spec: S, config: Config) -> Result<MultiPaxos<S, A>, RsmError>
where
    S: Spec + Send + Sync + 'static,
    S::Op: Sync,
    A: MultiAcceptor,
{
    let reads = ReadPath::of(config.reads);
    MultiPaxos::build(spec, config, skip_first, reads)
}

/// A log whose leaders read their replica with no lease (`config.reads` is
/// ignored: every read-only operation at a client that led last it knew
/// is answered locally).
///
/// # Errors
/// As [`MultiPaxos::new`].
pub fn reading_without_lease<S, A>(spec: S, config: Config) -> Result<MultiPaxos<S, A>, RsmError>
where
    S: Spec + Send + Sync + 'static,
    S::Op: Sync,
    A: MultiAcceptor,
{
    MultiPaxos::build(spec, config, highest_ballot, ReadPath::Trusting)
}
