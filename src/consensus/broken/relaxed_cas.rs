//! BROKEN: compare&swap consensus with `Relaxed` orderings.
//!
//! **Algorithm**: exactly [`CasConsensus`](crate::consensus::cas::CasConsensus),
//! `CAS(winner, ⊥, me)`, but with `Relaxed` on success and on failure.
//!
//! **Why it is wrong.** Agreement on the *id* still holds: the CAS is atomic
//! whatever its ordering. What is lost is the happens-before the id contract
//! promises: nothing orders the winner's announce before the loser's read of it.
//! The loser learns *who* won but may not yet see *what* the winner proposed:
//!
//! ```text
//!   1. t0 store  announce[0] ← proposal of t0
//!   2. t0 CAS    winner ⊥→0 ok
//!   3. t1 store  announce[1] ← proposal of t1
//!   4. t1 CAS    winner ⊥→1 failed (found 0)
//!   5. t1 load   announce[0] → ⊥   <- stale: step 1 wrote a newer value
//! ```
//!
//! x86 hardware keeps stores in order, so there it shows only if the compiler
//! reorders the Relaxed operations; on ARM or POWER the hardware itself can. No sequentially consistent interleaving exhibits it: it exists only
//! because of weak memory, which is what loom explores and real x86 cores hide.
//!
//! [`Proposals`](crate::consensus::Proposals) detects the invisible announce and
//! returns [`ConsensusError::InvalidWinner`] instead of reading a slot that is
//! being written: the loom suite proves the slots stay race-free even here.

use crate::consensus::cas::{cas_winner, NONE};
use crate::consensus::protocol::{
    Broken, LoomModel, Params, Protocol, ProtocolInfo, Shows, Threads,
};
use crate::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use crate::objects::rmw::CompareAndSwap;
use crate::objects::{ConsensusNumber, Object};
use crate::sync::{AtomicUsize, Ordering};

/// CAS consensus with the orderings removed. Wrong on weak memory.
#[derive(Debug)]
pub struct RelaxedCasConsensus {
    winner: AtomicUsize,
    threads: usize,
}

impl RelaxedCasConsensus {
    /// An undecided instance for ids `0..threads`.
    pub fn new(threads: usize) -> Self {
        RelaxedCasConsensus { winner: AtomicUsize::new(NONE), threads }
    }
}

impl IdConsensus for RelaxedCasConsensus {
    fn threads(&self) -> usize {
        self.threads
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.threads)?;
        // Relaxed on both: the deliberate bug (see the module docs).
        Ok(cas_winner(&self.winner, me, Ordering::Relaxed, Ordering::Relaxed))
    }

    fn progress(&self) -> Progress {
        Progress::WaitFree { steps: 1 }
    }
}

impl Protocol for RelaxedCasConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "relaxed-cas",
        summary: "compare&swap(⊥ → me) with Relaxed orderings (BROKEN)",
        primitive: "compare&swap",
        object: &<CompareAndSwap as Object>::INFO,
        consensus_number: ConsensusNumber::Infinite,
        threads: Threads::Any,
        knobs: &[],
        loom: &[LoomModel::exhaustive(2)],
        // None: its flaw is a stale read (weak memory), and shuttle runs every
        // atomic sequentially consistent, so no schedule of it ever fails.
        shuttle: &[],
        stall: None,
        broken: Some(Broken {
            flaw: "the loser learns who won but may not see what the winner announced",
            shows: Shows::StaleRead,
        }),
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        Ok(Self::new(p.threads))
    }
}
