//! BROKEN: the tempting shortcut for 2m − 2 threads from m-register assignment.
//!
//! **Algorithm**: as [`AssignmentGroups`], phase 1 inside each group, but in
//! phase 2 each thread assigns only its own register and **one register shared
//! by everyone**, holding the group that assigned last (the (2,3)-assignment
//! protocol with groups in place of threads). A thread decides its own group if
//! the other group has written nothing, or if the shared register names the
//! other group; else the other group.
//!
//! **Why it is wrong**: a group is several threads that assign at different
//! times. a0 assigns, sees no member of group 1, decides group 0. Then b0 assigns
//! (shared = 1) and a1 assigns (shared = 0). b0 reads: group 0 has written, the
//! shared register says group 0 assigned last, so "group 1 was first": it decides
//! group 1. One shared register can only order two *assignments*, not two groups
//! of them; the real protocol keeps one register per cross-group pair.

use crate::consensus::assignment::AssignmentGroups;
use crate::consensus::protocol::{
    Broken, LoomModel, Params, Protocol, ProtocolInfo, Shows, ShuttleModel, Threads,
};
use crate::consensus::{ConsensusError, IdConsensus, Progress};
use crate::objects::assignment::Assignment;
use crate::objects::{ConsensusNumber, Object};

/// The shortcut variant, over `M`-register assignment.
#[derive(Debug)]
pub struct AssignmentShortcut<const M: usize>(AssignmentGroups<M>);

impl<const M: usize> AssignmentShortcut<M> {
    /// An undecided instance for an even number of threads up to 2M − 2.
    ///
    /// # Errors
    /// As [`AssignmentGroups::new`].
    pub fn new(threads: usize) -> Result<Self, ConsensusError> {
        AssignmentGroups::build(threads, true).map(AssignmentShortcut)
    }
}

impl<const M: usize> IdConsensus for AssignmentShortcut<M> {
    fn threads(&self) -> usize {
        self.0.threads()
    }
    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        self.0.decide_id(me)
    }
    fn progress(&self) -> Progress {
        self.0.progress()
    }
}

impl Protocol for AssignmentShortcut<3> {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "assignment-3-shortcut",
        summary: "2m − 2 threads with one shared register instead of pair registers (BROKEN)",
        primitive: "3-register assignment",
        object: &<Assignment as Object>::INFO,
        consensus_number: ConsensusNumber::Finite(4),
        threads: Threads::EvenUpTo(4),
        knobs: &[],
        loom: &[LoomModel::bounded(4, 1)],
        shuttle: &[ShuttleModel::pct(4, 3, 2_000)],
        stall: None,
        broken: Some(Broken {
            flaw: "one shared register orders two assignments, not two groups of them",
            shows: Shows::Interleaving,
        }),
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        Self::new(p.threads)
    }
}
