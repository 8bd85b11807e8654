//! # Exercise 1 — `test-and-set-2`: consensus for 2 threads from test&set
//!
//! Herlihy's first step up the hierarchy. You have one shared
//! [`TestAndSet`] bit (initially clear; `test_and_set(me)` sets it and
//! returns whether it was *already* set) and the announce slots, which the
//! lab's `Proposals` layer fills for you: by the time `decide_id(me)` runs,
//! thread `me` has published its proposal.
//!
//! Write `decide_id` so that both threads return the id of the same thread,
//! one that called `decide_id` (whose proposal is therefore announced).
//! Your protocol must be **wait-free**: no loop, no lock, a bounded number of
//! steps whatever the other thread does (`progress` below says 1 step; keep it
//! honest — the loom check counts the steps recorded in the trace).
//!
//! Check it with `conlab exercise check test-and-set-2`: loom explores every
//! interleaving of the two threads, then real cores race them on thousands of
//! fresh instances. `conlab exercise hint test-and-set-2` if you are stuck.

use consensus_lab::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use consensus_lab::objects::rmw::TestAndSet;

/// 2-thread consensus from one test&set bit.
#[derive(Debug)]
pub struct TasConsensus {
    bit: TestAndSet,
    threads: usize,
}

impl TasConsensus {
    /// An undecided instance for 1 or 2 threads.
    ///
    /// # Errors
    /// More than 2 threads: test&set has consensus number 2.
    pub fn new(threads: usize) -> Result<Self, ConsensusError> {
        if threads > 2 {
            return Err(ConsensusError::InvalidConfig(format!(
                "test&set has consensus number 2, not {threads}"
            )));
        }
        Ok(TasConsensus { bit: TestAndSet::new(), threads })
    }
}

impl IdConsensus for TasConsensus {
    fn threads(&self) -> usize {
        self.threads
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.threads)?;
        // TODO: one test&set on `self.bit` decides who was first. The first
        // thread decides itself; the other decides ... whom?
        todo!("decide_id of test-and-set-2")
    }

    fn progress(&self) -> Progress {
        Progress::WaitFree { steps: 1 }
    }
}
