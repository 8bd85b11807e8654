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
use crate::consensus::{ConsensusError, IdConsensus, Progress};

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
