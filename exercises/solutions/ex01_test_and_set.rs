//! Reference solution of exercise 1 (`test-and-set-2`).

use consensus_lab::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use consensus_lab::objects::rmw::TestAndSet;
use consensus_lab::trace_step;

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
        // The bit's swap is AcqRel (see `objects::rmw`): the loser's test&set
        // reads the winner's, so the winner's announce happens-before the
        // loser's return. With two threads the other one is `1 - me`.
        let winner = if self.bit.test_and_set(me) { 1 - me } else { me };
        trace_step!(me, Decide { winner });
        Ok(winner)
    }

    fn progress(&self) -> Progress {
        Progress::WaitFree { steps: 1 }
    }
}
