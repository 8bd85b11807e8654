//! 2-thread consensus from test&set, swap, fetch&add and a queue.
//!
//! **Algorithm** (Herlihy 1991): each of the two threads announces its value
//! (the [`Proposals`](crate::consensus::Proposals) layer), then applies one
//! operation to a shared object that tells it whether it was first:
//!
//! | object | initial state | operation | first if it returns |
//! |---|---|---|---|
//! | test&set | clear | `test_and_set()` | `false` |
//! | swap | 0 | `swap(1)` | 0 |
//! | fetch&add | 0 | `fetch_add(1)` | 0 |
//! | queue | `[WIN, LOSE]` | `deq()` | `WIN` |
//!
//! The first thread decides itself; the other decides the *other* thread, which
//! it knows has announced, because it got there first.
//!
//! **Linearization point**: the first thread's operation on the object.
//!
//! **Progress**: wait-free, one step, for test&set, swap and fetch&add; the queue
//! is a mutex-protected FIFO here, so its protocol blocks (the object's consensus
//! number is 2 all the same).
//!
//! **Orderings**: the objects' read-modify-writes are `AcqRel` (the queue's
//! mutex is acquire/release): the loser's operation reads the winner's, so the
//! winner's announce happens-before the loser's return.
//!
//! **Why only 2**: the loser learns *that* it lost, not *to whom*. With two
//! threads there is only one other; with three, a loser cannot tell which of the
//! other two won (see [`broken::test_and_set_3`](crate::consensus::broken::test_and_set_3)
//! and `docs/src/hierarchy.md`).

use crate::consensus::protocol::{
    LoomModel, Params, Protocol, ProtocolInfo, ShuttleModel, Threads,
};
use crate::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use crate::objects::queue::Queue;
use crate::objects::rmw::{FetchAdd, Swap, TestAndSet};
use crate::objects::{ConsensusNumber, Object};
use crate::trace_step;
use std::fmt::Debug;

/// An object one operation of which tells its caller whether it came first.
pub trait FirstOp: Sync + Send + Debug + 'static {
    /// A fresh object.
    fn fresh() -> Self;
    /// The one operation: `true` if the caller was first.
    fn first(&self, me: usize) -> bool;
    /// The progress of that operation.
    const PROGRESS: Progress;
}

impl FirstOp for TestAndSet {
    fn fresh() -> Self {
        TestAndSet::new()
    }
    fn first(&self, me: usize) -> bool {
        !self.test_and_set(me)
    }
    const PROGRESS: Progress = Progress::WaitFree { steps: 1 };
}

impl FirstOp for Swap {
    fn fresh() -> Self {
        Swap::new(0)
    }
    fn first(&self, me: usize) -> bool {
        self.swap(me, 1) == 0
    }
    const PROGRESS: Progress = Progress::WaitFree { steps: 1 };
}

impl FirstOp for FetchAdd {
    fn fresh() -> Self {
        FetchAdd::new(0)
    }
    fn first(&self, me: usize) -> bool {
        self.fetch_add(me, 1) == 0
    }
    const PROGRESS: Progress = Progress::WaitFree { steps: 1 };
}

/// The queue's winning and losing tokens.
const WIN: usize = 0;
const LOSE: usize = 1;

impl FirstOp for Queue {
    fn fresh() -> Self {
        Queue::new(&[WIN, LOSE])
    }
    fn first(&self, me: usize) -> bool {
        self.deq(me) == Some(WIN)
    }
    const PROGRESS: Progress = Progress::Blocking;
}

/// 2-thread consensus from one first-mover object.
#[derive(Debug)]
pub struct FirstMover<O> {
    object: O,
    threads: usize,
}

impl<O: FirstOp> FirstMover<O> {
    /// An undecided instance for 1 or 2 threads.
    ///
    /// # Errors
    /// [`ConsensusError::InvalidConfig`] for more than 2 threads: these objects
    /// have consensus number 2.
    pub fn new(threads: usize) -> Result<Self, ConsensusError> {
        if threads > 2 {
            return Err(ConsensusError::InvalidConfig(format!(
                "consensus number 2: this protocol serves at most 2 threads, not {threads}"
            )));
        }
        Ok(FirstMover { object: O::fresh(), threads })
    }
}

/// 2-thread consensus from test&set.
pub type TestAndSetConsensus = FirstMover<TestAndSet>;
/// 2-thread consensus from swap.
pub type SwapConsensus = FirstMover<Swap>;
/// 2-thread consensus from fetch&add.
pub type FetchAddConsensus = FirstMover<FetchAdd>;
/// 2-thread consensus from a queue.
pub type QueueConsensus = FirstMover<Queue>;

impl<O: FirstOp> IdConsensus for FirstMover<O> {
    fn threads(&self) -> usize {
        self.threads
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.threads)?;
        // With one thread it is always first; with two, the other is `1 - me`.
        let winner = if self.object.first(me) { me } else { 1 - me };
        trace_step!(me, Decide { winner });
        Ok(winner)
    }

    fn progress(&self) -> Progress {
        O::PROGRESS
    }
}

/// The 2-thread protocols from consensus-number-2 objects: exhaustive at 2.
const TWO: &[LoomModel] = &[LoomModel::exhaustive(2)];
/// 2 threads (their limit), PCT depth 2 and random.
const TWO_SHUTTLE: &[ShuttleModel] =
    &[ShuttleModel::pct(2, 2, 20_000), ShuttleModel::random(2, 20_000)];

macro_rules! first_mover {
    ($ty:ty, $object:ty, $name:literal, $primitive:literal, $summary:literal) => {
        impl Protocol for $ty {
            const INFO: ProtocolInfo = ProtocolInfo {
                name: $name,
                summary: $summary,
                primitive: $primitive,
                object: &<$object as Object>::INFO,
                consensus_number: ConsensusNumber::Finite(2),
                threads: Threads::AtMost(2),
                knobs: &[],
                loom: TWO,
                shuttle: TWO_SHUTTLE,
                stall: None,
                broken: None,
            };
            fn build(p: &Params) -> Result<Self, ConsensusError> {
                Self::new(p.threads)
            }
        }
    };
}

first_mover!(
    TestAndSetConsensus,
    TestAndSet,
    "test-and-set",
    "test&set",
    "test&set decides who was first; the loser decides the other"
);
first_mover!(SwapConsensus, Swap, "swap", "swap", "swap(1) on a 0: whoever gets 0 back was first");
first_mover!(
    FetchAddConsensus,
    FetchAdd,
    "fetch-and-add",
    "fetch&add",
    "fetch&add(1) on a 0: whoever gets 0 back was first"
);
first_mover!(
    QueueConsensus,
    Queue,
    "queue",
    "FIFO queue",
    "dequeue from [WIN, LOSE]: whoever gets WIN was first"
);

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn first_wins<O: FirstOp>() {
        let c = FirstMover::<O>::new(2).unwrap();
        assert_eq!(c.decide_id(1), Ok(1));
        assert_eq!(c.decide_id(0), Ok(1));
        assert!(FirstMover::<O>::new(3).is_err());
    }

    #[test]
    fn each_object_lets_the_first_thread_win() {
        first_wins::<TestAndSet>();
        first_wins::<Swap>();
        first_wins::<FetchAdd>();
        first_wins::<Queue>();
    }
}
