//! BROKEN: consensus from a read/write register only.
//!
//! **Algorithm** (the natural first attempt):
//!
//! ```text
//! w := read(winner)
//! if w = ⊥: write(winner, me); return me
//! else:     return w
//! ```
//!
//! **Why it is wrong.** The read and the write are two separate steps, so two
//! threads can both read ⊥ before either writes, and each returns its own id:
//!
//! ```text
//!   1. t1 load   winner → ⊥
//!   2. t0 load   winner → ⊥
//!   3. t0 store  winner ← 0
//!   4. t0 decides t0
//!   5. t1 store  winner ← 1
//!   6. t1 decides t1          -- agreement violated
//! ```
//!
//! In the notes' terms, it has C1 (the read sees the latest write) but not C2
//! (after a read, no earlier-ordered write may follow). This is no accident of
//! this protocol: read/write registers have consensus number 1 (Herlihy 1991), so
//! *no* wait-free protocol over registers alone solves consensus for 2 threads.
//!
//! The orderings are as strong as they can usefully be (Release store, Acquire
//! load), so what loom finds is an agreement violation, not a data race.

use crate::consensus::protocol::{
    Broken, LoomModel, Params, Protocol, ProtocolInfo, Shows, ShuttleModel, Threads,
};
use crate::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use crate::objects::register::Register;
use crate::objects::{ConsensusNumber, Object};
use crate::sync::{AtomicUsize, Ordering};
use crate::trace_step;

const NONE: usize = usize::MAX;

/// Read the register; if empty write my id. Wrong for two or more threads.
#[derive(Debug)]
pub struct ReadWriteConsensus {
    winner: AtomicUsize,
    threads: usize,
}

impl ReadWriteConsensus {
    /// An undecided instance for ids `0..threads`.
    pub fn new(threads: usize) -> Self {
        ReadWriteConsensus { winner: AtomicUsize::new(NONE), threads }
    }
}

impl IdConsensus for ReadWriteConsensus {
    fn threads(&self) -> usize {
        self.threads
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.threads)?;
        // Acquire: pairs with the Release store below by the thread that wrote.
        let seen = self.winner.load(Ordering::Acquire);
        trace_step!(me, Load { loc: Loc::new("winner"), value: Val::id_or_bot(seen, NONE) });
        let winner = if seen == NONE {
            // Release: pairs with the Acquire load above in later readers, so they
            // see this thread's announce. Too late for agreement, though.
            self.winner.store(me, Ordering::Release);
            trace_step!(me, Store { loc: Loc::new("winner"), value: Val::Id(me) });
            me
        } else {
            seen
        };
        trace_step!(me, Decide { winner });
        Ok(winner)
    }

    fn progress(&self) -> Progress {
        Progress::WaitFree { steps: 2 }
    }
}

impl Protocol for ReadWriteConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "read-write",
        summary: "read the winner register; if ⊥ write my id (BROKEN)",
        primitive: "read/write register",
        object: &<Register as Object>::INFO,
        consensus_number: ConsensusNumber::Finite(1),
        threads: Threads::Any,
        knobs: &[],
        loom: &[LoomModel::exhaustive(2)],
        // PCT finds it at loom's 2 threads and beyond.
        shuttle: &[ShuttleModel::pct(2, 2, 1_000), ShuttleModel::pct(8, 3, 1_000)],
        stall: None,
        broken: Some(Broken {
            flaw: "two threads both read ⊥, then both write: each decides itself",
            shows: Shows::Interleaving,
        }),
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        Ok(Self::new(p.threads))
    }
}
