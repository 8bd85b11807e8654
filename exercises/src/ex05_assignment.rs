//! # Exercise 5 — `assignment-2-3`: consensus for 2 threads from (2,3)-assignment
//!
//! An m-register assignment object writes m registers in **one atomic step**.
//! Reading is one register at a time. With three registers `r0`, `r1`,
//! `r01`, assigned two at a time, two threads can reach consensus:
//!
//! * thread `i` assigns `r_i ← i` and `r01 ← i` together;
//! * then it reads what it needs to tell whether it or the other thread
//!   assigned first.
//!
//! You may use only `self.regs.assign(me, &[(register, value), ...])` (at most
//! 2 registers per call) and `self.regs.read(me, register)` (`None` is ⊥):
//! registers 0 and 1 are `r0` and `r1`, register 2 is `r01`. Values must be
//! below 15.
//!
//! Think about the order of your reads: could a read of `r01` mislead you if
//! you make it before reading the other thread's own register?
//!
//! Wait-free with at most 3 steps (one assignment, at most two reads):
//! `progress` says so, and loom counts the steps.

use consensus_lab::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use consensus_lab::objects::assignment::Assignment;

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
    /// More than 2 threads (this protocol is for two; m-register assignment
    /// reaches 2m − 2 with a cleverer one).
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
        // TODO: assign, then read.
        todo!("decide_id of assignment-2-3")
    }

    fn progress(&self) -> Progress {
        Progress::WaitFree { steps: 3 }
    }
}
