//! # Exercise 3 — `cas-n`: consensus for any number of threads from compare&swap
//!
//! Compare&swap sits at the top of the hierarchy: consensus number ∞. Use one
//! atomic word `winner` (initially `NONE`, "nobody") and
//! `compare_exchange` — the *strong* form, never `compare_exchange_weak`
//! (why? what would a spurious failure do to a one-shot decision?).
//!
//! This exercise is also about **memory orderings**. The announce layer
//! publishes each thread's proposal before calling `decide_id`; the thread that
//! loses must be able to read the winner's proposal afterwards, so your
//! protocol must create a happens-before edge from the winner's call to every
//! loser's return. Pick the weakest orderings that do it and write, next to
//! each, the operation it pairs with. Loom will tell you if one is too weak:
//! a loser would then find the winner's announce slot not yet visible.
//!
//! Always import atomics from `consensus_lab::sync` (never `std::sync::atomic`
//! directly): that is what lets loom model-check the very code you wrote.
//!
//! `conlab exercise check cas-n` checks 2, 3 and 4 threads, exhaustively.

use consensus_lab::consensus::{check_id, ConsensusError, IdConsensus, Progress};
#[allow(unused_imports)]
use consensus_lab::sync::{AtomicUsize, Ordering};
#[allow(unused_imports)]
use consensus_lab::trace_step;

/// `winner` holds this until someone wins.
pub const NONE: usize = usize::MAX;

/// Wait-free consensus for any number of threads.
#[derive(Debug)]
pub struct CasConsensus {
    winner: AtomicUsize,
    threads: usize,
}

impl CasConsensus {
    /// An undecided instance for ids `0..threads`.
    pub fn new(threads: usize) -> Result<Self, ConsensusError> {
        Ok(CasConsensus { winner: AtomicUsize::new(NONE), threads })
    }
}

impl IdConsensus for CasConsensus {
    fn threads(&self) -> usize {
        self.threads
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.threads)?;
        // TODO: one compare_exchange on `self.winner`. Which orderings, on
        // success and on failure, and why?
        //
        // Record your shared-memory steps, so that loom's trace shows them and
        // the step bound (1) is checked, e.g. right after the CAS:
        //   trace_step!(me, Cas { loc: Loc::new("winner"), expected: Val::Bot,
        //       new: Val::Id(me), found: Val::id_or_bot(found, NONE) });
        // and at the end: trace_step!(me, Decide { winner });
        todo!("decide_id of cas-n")
    }

    fn progress(&self) -> Progress {
        Progress::WaitFree { steps: 1 }
    }
}
