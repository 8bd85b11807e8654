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

use super::{Config, MultiAcceptor, MultiPaxos, Recovery};
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
    MultiPaxos::with_recovery(spec, config, Recovery::SkipFirst)
}
