//! Announce slots: consensus on values from consensus on thread ids.
//!
//! **Algorithm.** Thread `i` writes its proposal into its own slot `announce[i]`,
//! marks the slot ready, runs the id protocol, and reads the winner's slot:
//!
//! ```text
//! decide(i, v):
//!     claim announce[i]            -- one proposal per id, else AlreadyProposed
//!     announce[i].value := v
//!     announce[i].state := READY   (Release)
//!     w := ids.decide_id(i)
//!     if announce[w].state = READY (Acquire): return &announce[w].value
//!     else: error InvalidWinner    -- the id protocol broke its contract
//! ```
//!
//! **Linearization point**: that of the id protocol (its decisive CAS, lock
//! acquisition, ...). **Progress**: that of the id protocol, plus 2 steps of its own
//! ([`ANNOUNCE_STEPS`]: the announce and the read of the winner's slot; the claim is
//! a misuse guard on the thread's own slot and is not counted).
//!
//! **Why the orderings suffice.** The [`IdConsensus`] contract says the start of
//! the winner's `decide_id` happens-before every return, so the winner's
//! `state := READY` is visible when its id comes back and the Acquire load reads
//! READY. The slot's own Release/Acquire pair is what makes this type sound even
//! if a (student's, or deliberately broken) id protocol breaks that contract: the
//! reader then either sees READY, and the Release store → Acquire load edge makes
//! the value write visible, or it does not and gets
//! [`ConsensusError::InvalidWinner`] instead of a data race. Loom explores the
//! stale read, so a protocol with a missing happens-before still fails the suite.
//!
//! The claim is a Relaxed compare&swap `EMPTY → CLAIMED`: it only decides which
//! of two callers with the same id may write the value; it publishes nothing.
//!
//! The slots are written once and never again while `&self` lives, which is why a
//! `&T` into a slot may be handed out for the lifetime of `&self`.

use crate::consensus::{check_id, Consensus, ConsensusError, IdConsensus};
use crate::sync::{AtomicU8, Ordering, UnsafeCell};
use crate::trace_step;

/// Shared-memory steps [`Proposals::decide`] adds to the id protocol's
/// `decide_id` and counts against a step bound: the announce and the read of the
/// winner's slot. The claim (a compare&swap on the caller's own slot, which no
/// other id touches) is a misuse guard and is not counted: a `decide` is at most
/// `steps + ANNOUNCE_STEPS + 1` shared-memory instructions.
pub const ANNOUNCE_STEPS: usize = 2;

const EMPTY: u8 = 0;
const CLAIMED: u8 = 1;
const READY: u8 = 2;

struct Slot<T> {
    state: AtomicU8,
    value: UnsafeCell<Option<T>>,
}

/// Any [`IdConsensus`] as a one-shot [`Consensus<T>`] on values of any type.
///
/// ```
/// use consensus_lab::consensus::{lock::ParkingLotConsensus, Consensus, ConsensusError, Proposals};
///
/// let slot = Proposals::new(ParkingLotConsensus::new(3));
/// assert_eq!(slot.decide(2, vec![1, 2, 3]).unwrap(), &vec![1, 2, 3]);
/// assert_eq!(slot.decide(0, vec![9]).unwrap(), &vec![1, 2, 3]);
/// // Misuse is an error, not undefined behaviour:
/// assert_eq!(slot.decide(2, vec![7]), Err(ConsensusError::AlreadyProposed { id: 2 }));
/// assert_eq!(slot.decide(3, vec![7]), Err(ConsensusError::IdOutOfRange { id: 3, threads: 3 }));
/// ```
pub struct Proposals<T, C> {
    ids: C,
    slots: Box<[Slot<T>]>,
}

// SAFETY: a `Proposals` shares `&T` between threads (needs `T: Sync`) and moves a
// `T` written by one thread to whichever thread drops it (needs `T: Send`). Every
// write to a slot's value happens once, by the thread that won the slot's claim,
// before the Release store of READY; every read happens after an Acquire load
// that saw READY (see the module docs), so no access to a value cell races.
unsafe impl<T: Send + Sync, C: Sync> Sync for Proposals<T, C> {}
// SAFETY: moving the whole object moves the values it owns (`T: Send`) and the id
// protocol (`C: Send`); nothing in it is tied to a thread.
unsafe impl<T: Send, C: Send> Send for Proposals<T, C> {}

impl<T, C: IdConsensus> Proposals<T, C> {
    /// Announce slots for `ids.threads()` threads in front of the id protocol.
    pub fn new(ids: C) -> Self {
        let slots = (0..ids.threads())
            .map(|_| Slot { state: AtomicU8::new(EMPTY), value: UnsafeCell::new(None) })
            .collect();
        Proposals { ids, slots }
    }

    /// The id protocol behind the slots.
    pub fn ids(&self) -> &C {
        &self.ids
    }
}

impl<T: Send + Sync, C: IdConsensus> Consensus<T> for Proposals<T, C> {
    fn threads(&self) -> usize {
        self.slots.len()
    }

    fn decide(&self, id: usize, value: T) -> Result<&T, ConsensusError> {
        check_id(id, self.slots.len())?;
        let mine = &self.slots[id];
        // Relaxed: the claim only arbitrates between callers with the same id; the
        // value is published by the Release store below, not by the claim.
        if mine
            .state
            .compare_exchange(EMPTY, CLAIMED, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return Err(ConsensusError::AlreadyProposed { id });
        }
        // SAFETY: we won the claim, so no other thread writes this cell; no thread
        // reads it before seeing READY, which we store only after this write.
        mine.value.with_mut(|p| unsafe { *p = Some(value) });
        // Release: pairs with the Acquire load of the winner's state below (in
        // this or another thread), publishing the value written just above.
        mine.state.store(READY, Ordering::Release);
        trace_step!(id, Store { loc: Loc::at("announce", id), value: Val::Proposal(id) });

        let w = self.ids.decide_id(id)?;
        let theirs = self.slots.get(w).ok_or(ConsensusError::InvalidWinner { winner: w })?;
        // Acquire: pairs with the Release store of READY by the winner.
        if theirs.state.load(Ordering::Acquire) != READY {
            trace_step!(id, Load { loc: Loc::at("announce", w), value: Val::Bot });
            return Err(ConsensusError::InvalidWinner { winner: w });
        }
        // SAFETY: READY was stored (Release) after the one write of this cell and
        // we loaded it (Acquire), so the write happens-before this read; the cell
        // is never written again while `&self` lives, so the `&T` stays valid.
        let value = theirs.value.with(|p| unsafe { (*p).as_ref() });
        trace_step!(id, Load { loc: Loc::at("announce", w), value: Val::Proposal(w) });
        value.ok_or(ConsensusError::InvalidWinner { winner: w })
    }
}

impl<T, C: IdConsensus + std::fmt::Debug> std::fmt::Debug for Proposals<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proposals")
            .field("ids", &self.ids)
            .field("threads", &self.slots.len())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::consensus::cas::CasConsensus;

    /// An id protocol that breaks the contract: it names a thread that never
    /// announced. `Proposals` must report it, not read an empty slot.
    struct Liar;
    impl IdConsensus for Liar {
        fn threads(&self) -> usize {
            2
        }
        fn decide_id(&self, _me: usize) -> Result<usize, ConsensusError> {
            Ok(1)
        }
        fn progress(&self) -> crate::consensus::Progress {
            crate::consensus::Progress::WaitFree { steps: 0 }
        }
    }

    #[test]
    fn a_lying_id_protocol_is_an_error_not_a_bad_read() {
        let p = Proposals::new(Liar);
        assert_eq!(
            p.decide(0, String::from("a")),
            Err(ConsensusError::InvalidWinner { winner: 1 })
        );
    }

    #[test]
    fn owned_values_work_and_the_first_proposal_wins_alone() {
        let p = Proposals::new(CasConsensus::new(3));
        assert_eq!(p.decide(1, vec![String::from("x")]).unwrap(), &vec![String::from("x")]);
        assert_eq!(p.decide(2, vec![]).unwrap(), &vec![String::from("x")]);
    }

    #[test]
    fn concurrent_double_proposal_by_one_id_is_refused_once() {
        let p = Proposals::new(CasConsensus::new(2));
        let results: Vec<_> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..8)
                .map(|k| {
                    let p = &p;
                    s.spawn(move || p.decide(0, k).copied())
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let ok: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(ok.len(), 1, "{results:?}");
        assert!(results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| *r == Err(ConsensusError::AlreadyProposed { id: 0 })));
    }
}
