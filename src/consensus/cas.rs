//! Compare&swap consensus for any number of threads.
//!
//! **Algorithm** (Herlihy 1991, Theorem 5): one register `winner`, initially ⊥.
//! Every thread runs `CAS(winner, ⊥, me)`; if it succeeds, `me` won, otherwise the
//! CAS returns the id that is there, and that thread won.
//!
//! **Linearization point**: the one successful CAS. Every decision is the id it
//! installed, and the register never changes again.
//!
//! **Progress**: wait-free, one shared-memory step per `decide_id` (a strong CAS
//! returns the value it found when it fails, so no extra load is needed; a weak
//! CAS could fail spuriously and would need a retry loop).
//!
//! **Orderings.** The winner must make its announce (written before the call)
//! visible to every loser:
//! * success `Release`: pairs with the `Acquire` of the losers' failed CAS; the
//!   winner's announce precedes its CAS in program order, so it happens-before
//!   the loser's return. The winner reads nothing it needs, so no Acquire.
//! * failure `Acquire`: pairs with the winner's `Release`. A loser reads the one
//!   value ever written (no release sequence needed: there is a single write).
//!
//! Weakening either to `Relaxed` lets a loser read the winner's slot before the
//! announce is visible; the loom suite then fails (see `docs/src/consensus.md`).

use crate::consensus::protocol::{
    LoomModel, Params, Protocol, ProtocolInfo, ShuttleModel, Threads,
};
use crate::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use crate::objects::rmw::CompareAndSwap;
use crate::objects::{ConsensusNumber, Object};
use crate::sync::{AtomicUsize, Ordering};
use crate::trace_step;

/// ⊥ in the `winner` register.
pub(crate) const NONE: usize = usize::MAX;

/// Wait-free consensus for any number of threads from one compare&swap register.
#[derive(Debug)]
pub struct CasConsensus {
    winner: AtomicUsize,
    threads: usize,
}

impl CasConsensus {
    /// An undecided instance for ids `0..threads`.
    pub fn new(threads: usize) -> Self {
        CasConsensus { winner: AtomicUsize::new(NONE), threads }
    }
}

impl IdConsensus for CasConsensus {
    fn threads(&self) -> usize {
        self.threads
    }

    #[inline]
    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.threads)?;
        // Release on success / Acquire on failure: see the module docs.
        Ok(cas_winner(&self.winner, me, Ordering::Release, Ordering::Acquire))
    }

    fn progress(&self) -> Progress {
        Progress::WaitFree { steps: 1 }
    }
}

/// `CAS(winner, ⊥, me)` with the given orderings, traced; returns the winner.
/// Shared with [`broken::relaxed_cas`](crate::consensus::broken::relaxed_cas), which differs
/// from this protocol in nothing but the orderings it passes.
#[inline(always)]
pub(crate) fn cas_winner(
    winner: &AtomicUsize,
    me: usize,
    success: Ordering,
    failure: Ordering,
) -> usize {
    let found = winner.compare_exchange(NONE, me, success, failure);
    let decided = match found {
        Ok(_) => me,
        Err(other) => other,
    };
    trace_step!(
        me,
        Cas {
            loc: Loc::new("winner"),
            expected: Val::Bot,
            new: Val::Id(me),
            found: Val::id_or_bot(found.unwrap_or_else(|x| x), NONE),
        }
    );
    trace_step!(me, Decide { winner: decided });
    decided
}

impl Protocol for CasConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "cas",
        summary: "one compare&swap(⊥ → me) on a winner register",
        primitive: "compare&swap",
        object: &<CompareAndSwap as Object>::INFO,
        consensus_number: ConsensusNumber::Infinite,
        threads: Threads::Any,
        knobs: &[],
        loom: &[LoomModel::exhaustive(2), LoomModel::exhaustive(3), LoomModel::exhaustive(4)],
        // Beyond loom's 5 threads: PCT depth 3 and random at 8 and 16 threads, PCT at 64.
        shuttle: &[
            ShuttleModel::pct(8, 3, 10_000),
            ShuttleModel::pct(16, 3, 10_000),
            ShuttleModel::random(16, 10_000),
            ShuttleModel::pct(64, 3, 1_000),
        ],
        stall: None,
        broken: None,
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        Ok(Self::new(p.threads))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn first_caller_wins_and_everyone_agrees() {
        let c = CasConsensus::new(4);
        assert_eq!(c.decide_id(2), Ok(2));
        assert_eq!(c.decide_id(0), Ok(2));
        assert_eq!(c.decide_id(3), Ok(2));
    }

    #[test]
    fn id_out_of_range_is_an_error() {
        let c = CasConsensus::new(2);
        assert_eq!(c.decide_id(2), Err(ConsensusError::IdOutOfRange { id: 2, threads: 2 }));
        // ... and did not decide anything.
        assert_eq!(c.decide_id(1), Ok(1));
    }
}
