//! Reference solution of exercise 2 (`queue-2`).

use consensus_lab::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use consensus_lab::objects::queue::Queue;
use consensus_lab::trace_step;

const WIN: usize = 0;
const LOSE: usize = 1;

/// 2-thread consensus from one queue.
#[derive(Debug)]
pub struct QueueConsensus {
    queue: Queue,
    threads: usize,
}

impl QueueConsensus {
    /// An undecided instance for 1 or 2 threads.
    ///
    /// # Errors
    /// More than 2 threads: a queue has consensus number 2.
    pub fn new(threads: usize) -> Result<Self, ConsensusError> {
        if threads > 2 {
            return Err(ConsensusError::InvalidConfig(format!(
                "a queue has consensus number 2, not {threads}"
            )));
        }
        // Two tokens: whoever dequeues first gets WIN.
        Ok(QueueConsensus { queue: Queue::new(&[WIN, LOSE]), threads })
    }
}

impl IdConsensus for QueueConsensus {
    fn threads(&self) -> usize {
        self.threads
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.threads)?;
        // The queue's mutex orders the loser's dequeue after the winner's, so
        // the winner's announce happens-before the loser's return.
        let winner = if self.queue.deq(me) == Some(WIN) { me } else { 1 - me };
        trace_step!(me, Decide { winner });
        Ok(winner)
    }

    fn progress(&self) -> Progress {
        Progress::Blocking
    }
}
