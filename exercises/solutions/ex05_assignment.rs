//! Reference solution of exercise 5 (`assignment-2-3`).

use consensus_lab::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use consensus_lab::objects::assignment::Assignment;
use consensus_lab::trace_step;

/// 2-thread consensus from one (2,3)-assignment object.
#[derive(Debug)]
pub struct AssignConsensus {
    regs: Assignment,
    threads: usize,
}

/// The pair register.
pub const R01: usize = 2;

impl AssignConsensus {
    /// An undecided instance for 1 or 2 threads.
    ///
    /// # Errors
    /// More than 2 threads.
    pub fn new(threads: usize) -> Result<Self, ConsensusError> {
        if threads > 2 {
            return Err(ConsensusError::InvalidConfig(format!("2 threads at most, not {threads}")));
        }
        Ok(AssignConsensus { regs: Assignment::new(3, 2)?, threads })
    }
}

impl IdConsensus for AssignConsensus {
    fn threads(&self) -> usize {
        self.threads
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.threads)?;
        self.regs.assign(me, &[(me, me), (R01, me)])?;
        let winner = if self.threads == 1 {
            me
        } else {
            let other = 1 - me;
            // Read the other's own register first: if it is ⊥, the other has
            // not assigned, so I was first. If it is set, both assignments are
            // done, and r01 holds whoever assigned last: the other one won iff
            // r01 is mine. (Reading r01 first could see my own value, and then
            // the other's assignment could land before I read r_other.)
            match self.regs.read(me, other) {
                None => me,
                Some(_) if self.regs.read(me, R01) == Some(me) => other,
                Some(_) => me,
            }
        };
        trace_step!(me, Decide { winner });
        Ok(winner)
    }

    fn progress(&self) -> Progress {
        Progress::WaitFree { steps: 3 }
    }
}
