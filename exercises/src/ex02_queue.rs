//! # Exercise 2 — `queue-2`: consensus for 2 threads from a FIFO queue
//!
//! A queue has consensus number 2 as well, but it needs a little set-up: the
//! trick is in what the queue holds *before* anyone arrives. You may use one
//! [`Queue`] (`Queue::new(&[..])` with its initial contents, oldest first;
//! `deq(me)` removes and returns the oldest value, `None` when empty) and
//! nothing else shared.
//!
//! 1. Choose the queue's initial contents in `new`.
//! 2. Write `decide_id`: each thread dequeues once; what it gets must tell it
//!    whether it came first.
//!
//! The lab's queue is a `VecDeque` behind a mutex, so `progress` says
//! blocking — the *object* has consensus number 2 whatever its implementation;
//! a lock-free queue would make the protocol wait-free.
//!
//! `conlab exercise check queue-2`; `conlab exercise hint queue-2`.

use consensus_lab::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use consensus_lab::objects::queue::Queue;

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
        // TODO: what must the queue hold before anyone arrives?
        let queue: Queue = todo!("the initial contents of the queue in queue-2");
        Ok(QueueConsensus { queue, threads })
    }
}

impl IdConsensus for QueueConsensus {
    fn threads(&self) -> usize {
        self.threads
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.threads)?;
        // TODO: one dequeue; what it returns decides.
        todo!("decide_id of queue-2")
    }

    fn progress(&self) -> Progress {
        Progress::Blocking
    }
}
