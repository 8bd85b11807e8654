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
//!
//! **Two ways in.** [`Consensus::decide`] takes an id and checks it at run time:
//! the id range, then the claim. [`Proposals::proposers`] instead hands out one
//! [`Proposer`] per id, once per instance, under `&mut self`; its
//! [`decide`](Proposer::decide) consumes the handle, so one proposal per id is
//! guaranteed by ownership and the claim and the range check are skipped.
//! Everything after the claim is one function shared by both paths
//! (`announce_and_decide`): the same value write, READY Release store, id
//! protocol and Acquire load, which is why the loom models of `decide` also
//! cover the handles. The two mix soundly: the hand-out, under `&mut self`,
//! runs while no `decide` can, marks every still-empty slot claimed (so a later
//! `decide` with that id is refused), and a handle whose id had already
//! proposed reports [`ConsensusError::AlreadyProposed`].

use crate::consensus::{check_id, Consensus, ConsensusError, IdConsensus};
use crate::sync::{AtomicU8, Ordering, UnsafeCell};
use crate::trace_step;

/// Steps [`Proposals::decide`] adds to the id protocol's `decide_id` and
/// counts against a step bound: the announce and the read of the winner's slot.
///
/// A *step* is one operation on one shared object, as Herlihy counts them (see
/// [`Progress::WaitFree`](crate::consensus::Progress::WaitFree)): here a store
/// and a load of a slot's state, each one instruction. It is not a count of
/// machine instructions in general: an `assign` of the m-register assignment
/// object is one step, although it is implemented as a load and a CAS loop.
/// The claim (a compare&swap on the caller's own slot, which no other id
/// touches) is a misuse guard and is not counted, so a `decide` takes at most
/// `steps + ANNOUNCE_STEPS + 1` steps, `steps` being the id protocol's bound.
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
/// Two ways to propose: [`Consensus::decide`] with an id checked at run time
/// (below), or [`Proposals::proposers`]: one handle per id, no per-call checks.
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
// write to a slot's value happens once, by the thread that won the slot's claim
// (or that consumed the slot's handle), before the Release store of READY; every
// read happens after an Acquire load that saw READY (see the module docs), so no
// access to a value cell races.
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

    /// One [`Proposer`] per id, `result[id]` for ids `0..threads()`: the
    /// zero-check path. Each handle proposes at most once because
    /// [`Proposer::decide`] consumes it, so it pays neither the claim nor the id
    /// range check of [`Consensus::decide`]. The handles borrow the instance, so
    /// no `decide` runs while they live; an id that already proposed through
    /// `decide` gets a handle that reports [`ConsensusError::AlreadyProposed`],
    /// and `decide` refuses every handed-out id afterwards.
    ///
    /// ```
    /// use consensus_lab::consensus::{cas::CasConsensus, Consensus, ConsensusError, Proposals};
    ///
    /// let mut slot = Proposals::new(CasConsensus::new(2));
    /// let [p0, p1]: [_; 2] = slot.proposers().unwrap().try_into().unwrap();
    /// std::thread::scope(|s| {
    ///     let a = s.spawn(move || p0.decide(String::from("apple")).cloned());
    ///     let b = s.spawn(move || p1.decide(String::from("pear")).cloned());
    ///     let (a, b) = (a.join().unwrap().unwrap(), b.join().unwrap().unwrap());
    ///     assert_eq!(a, b);
    /// });
    /// // Handles are handed out once; their ids cannot propose again.
    /// assert_eq!(slot.proposers().unwrap_err(), ConsensusError::ProposersHandedOut);
    /// assert_eq!(slot.decide(0, String::new()), Err(ConsensusError::AlreadyProposed { id: 0 }));
    /// ```
    ///
    /// # Errors
    /// [`ConsensusError::ProposersHandedOut`] if no id is left to hand out: the
    /// handles were handed out before (the hand-out claims every slot still
    /// empty), or every id has already proposed. Nothing records a hand-out but
    /// the slots themselves, so an instance stays as small as without handles.
    pub fn proposers(&mut self) -> Result<Vec<Proposer<'_, T, C>>, ConsensusError> {
        let this = &*self;
        // Relaxed, here and below: `&mut self` excludes every other access to the
        // slots (every earlier `decide` has returned), so nothing races.
        if this.slots.iter().all(|s| s.state.load(Ordering::Relaxed) != EMPTY) {
            return Err(ConsensusError::ProposersHandedOut);
        }
        Ok(this
            .slots
            .iter()
            .enumerate()
            .map(|(id, slot)| {
                let fresh = slot.state.load(Ordering::Relaxed) == EMPTY;
                if fresh {
                    // The handle's ownership is the claim; this store makes a
                    // later `decide` with this id (or a second hand-out) refuse.
                    slot.state.store(CLAIMED, Ordering::Relaxed);
                }
                Proposer { proposals: this, id, slot: fresh.then_some(slot) }
            })
            .collect())
    }

    /// Everything after the claim, shared by both paths: write the value into
    /// `mine` (slot `id`, already claimed by the caller), mark it READY, run the
    /// id protocol, read the winner's slot.
    #[inline(always)]
    fn announce_and_decide(
        &self,
        id: usize,
        mine: &Slot<T>,
        value: T,
    ) -> Result<&T, ConsensusError> {
        // SAFETY: the caller owns the claim on this slot (a won claim CAS, or a
        // handle consumed by value), so no other thread writes this cell; no
        // thread reads it before seeing READY, which we store only after this write.
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

/// The right of one id to propose once on a [`Proposals`], handed out by
/// [`Proposals::proposers`]. It is `Send` (move it to the thread that
/// proposes) and [`decide`](Proposer::decide) consumes it.
pub struct Proposer<'a, T, C> {
    proposals: &'a Proposals<T, C>,
    id: usize,
    /// This id's slot, claimed at the hand-out; `None` if the id had already
    /// proposed.
    slot: Option<&'a Slot<T>>,
}

// SAFETY: a `Proposer` is a shared reference to a `Proposals` and one to a slot
// inside it; sending it to another thread shares the `Proposals` with that thread,
// which is sound exactly when `Proposals: Sync` (`T: Send + Sync`, `C: Sync`, see
// the `Sync` impl above). The slot's cell is written only by the thread that
// consumes this handle, once, before its READY store.
unsafe impl<T: Send + Sync, C: Sync> Send for Proposer<'_, T, C> {}

impl<'a, T, C: IdConsensus> Proposer<'a, T, C> {
    /// The id this handle proposes as.
    pub fn id(&self) -> usize {
        self.id
    }

    /// Proposes `value` as this handle's id; returns the decided value. The same
    /// steps as [`Consensus::decide`] after its checks: no claim, no range check
    /// (the handle holds its slot).
    ///
    /// # Errors
    /// [`ConsensusError::AlreadyProposed`] if this id proposed through
    /// [`Consensus::decide`] before the hand-out, and the errors of the id
    /// protocol.
    #[inline]
    pub fn decide(self, value: T) -> Result<&'a T, ConsensusError> {
        match self.slot {
            Some(mine) => self.proposals.announce_and_decide(self.id, mine, value),
            None => Err(ConsensusError::AlreadyProposed { id: self.id }),
        }
    }
}

impl<T, C> std::fmt::Debug for Proposer<'_, T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proposer")
            .field("id", &self.id)
            .field("already_proposed", &self.slot.is_none())
            .finish()
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
        self.announce_and_decide(id, mine, value)
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

    #[test]
    fn handles_and_decide_mix_one_proposal_per_id() {
        let mut p = Proposals::new(CasConsensus::new(3));
        assert_eq!(p.decide(1, 10).copied(), Ok(10));
        let hs = p.proposers().unwrap();
        assert_eq!(hs.iter().map(Proposer::id).collect::<Vec<_>>(), [0, 1, 2]);
        let mut hs = hs.into_iter();
        let (h0, h1) = (hs.next().unwrap(), hs.next().unwrap());
        // Id 1 proposed before the hand-out: its handle is refused.
        assert_eq!(h1.decide(11), Err(ConsensusError::AlreadyProposed { id: 1 }));
        assert_eq!(h0.decide(20).copied(), Ok(10));
        drop(hs); // id 2's handle, unused: id 2 never proposes
        assert_eq!(p.decide(2, 30), Err(ConsensusError::AlreadyProposed { id: 2 }));
        assert_eq!(p.decide(0, 30), Err(ConsensusError::AlreadyProposed { id: 0 }));
        assert!(matches!(p.proposers(), Err(ConsensusError::ProposersHandedOut)));
    }

    #[test]
    fn no_handles_when_every_id_has_proposed() {
        let mut p = Proposals::new(CasConsensus::new(2));
        assert_eq!(p.decide(0, 1).copied(), Ok(1));
        assert_eq!(p.decide(1, 2).copied(), Ok(1));
        assert!(matches!(p.proposers(), Err(ConsensusError::ProposersHandedOut)));
    }

    #[test]
    fn a_lying_id_protocol_is_an_error_through_handles_too() {
        let mut p = Proposals::<String, _>::new(Liar);
        let h = p.proposers().unwrap().swap_remove(0);
        assert_eq!(h.decide(String::from("a")), Err(ConsensusError::InvalidWinner { winner: 1 }));
    }

    #[test]
    fn racing_handles_agree_on_real_threads() {
        let mut instances: Vec<_> =
            (0..2000).map(|_| Proposals::new(CasConsensus::new(2))).collect();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for p in &mut instances {
            let mut hs = p.proposers().unwrap().into_iter();
            a.extend(hs.next());
            b.extend(hs.next());
        }
        let run = |hs: Vec<Proposer<'_, usize, CasConsensus>>, me: usize| {
            hs.into_iter()
                .enumerate()
                .map(|(i, h)| *h.decide(2 * i + me).unwrap())
                .collect::<Vec<_>>()
        };
        let (ra, rb) = std::thread::scope(|s| {
            let ta = s.spawn(|| run(a, 0));
            let tb = s.spawn(|| run(b, 1));
            (ta.join().unwrap(), tb.join().unwrap())
        });
        for (i, (x, y)) in ra.iter().zip(&rb).enumerate() {
            assert_eq!(x, y, "instance {i}");
            assert!(*x == 2 * i || *x == 2 * i + 1, "instance {i}: {x}");
        }
    }
}
