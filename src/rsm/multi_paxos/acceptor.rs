//! Multi-slot acceptor registers: one promised ballot for every slot, and
//! per slot the accepted (ballot, entry).
//!
//! ```text
//! prepare(b, from): if b > promised: promised := b;
//!                       reply Promise(accepted (ballot, entry) of every slot ≥ from)
//!                   else: reply Nack(promised)
//! accept(b, s, e):  if b ≥ promised and b ≥ ballot of slot s: slot s := (b, e); reply Accepted
//!                   else: reply Nack
//! ```
//!
//! Each must look like one atomic step, but the state is many words: the
//! promise and the slots. Two implementations behind [`MultiAcceptor`]:
//!
//! * [`PackedMulti`] (lock-free): the promise is one atomic word, each slot
//!   another (ballot ‖ entry, [`pack_slot`]). "Accept only if not below the
//!   promise" spans two words, so it is kept by a **Dekker pair** of SeqCst
//!   fences:
//!
//!   ```text
//!   accept(b, s, e):  load promise (a nack early, if above b)
//!                     CAS slot s: (b', e') → (b, e) while b' ≤ b     -- W_slot
//!                     fence(SeqCst)                                  -- F_a
//!                     p := load promise;  p > b: reply Nack           -- R_promise
//!   prepare(b, from): fetch_max promise with b (Nack if it was ≥ b)  -- W_promise
//!                     fence(SeqCst)                                  -- F_p
//!                     load every slot ≥ from                          -- R_slot
//!   ```
//!
//!   *Argument.* Take an accept at `b` that replied Accepted and a prepare at
//!   `p > b` that promised. `F_a` and `F_p` are ordered in the SeqCst order.
//!   If `F_p` came first, `R_promise` (after `F_a`) reads `W_promise` or a
//!   later value (the fence rule, C++ \[atomics.fences\]), finds `p > b` and
//!   the accept replies Nack, a contradiction. So `F_a` came first, and
//!   `R_slot` reads `W_slot` or a later write of that slot: the prepare sees
//!   the accepted value (or one of a higher ballot, since a slot's ballot
//!   never decreases: the CAS refuses to lower it). That is what Paxos needs
//!   of an accept linearized before the promise. An accept that replied
//!   Nack may still have left `(b, e)` in the slot: a value proposed at `b`
//!   that its leader did not count. A later prepare may report it; that is
//!   harmless, since Paxos's safety uses only that a reported `(b, e)` was
//!   proposed at `b` and that every *counted* accept of a chosen value is
//!   seen by later prepares at a higher ballot, which the pair guarantees.
//!
//!   Linearization points: an Accepted accept at its slot CAS, a Nack at the
//!   load that found the higher ballot; a promise at its fetch_max.
//!   Orderings: the slot CAS is AcqRel and the prepare's slot loads Acquire:
//!   a new leader that adopts an entry sees the operation it names (through
//!   its client's Release announce, by transitivity). The promise's
//!   fetch_max and loads are Relaxed for what they carry (a ballot); the
//!   fences order them.
//! * [`MutexMulti`] (blocking): the promise and the slots behind one lock per
//!   acceptor; each operation is one critical section, trivially atomic.
//!
//! Ballots are at most [`MAX_BALLOT`] (24 bits of a slot word); entries are
//! 40-bit codes (see `super::entry`), 0 meaning none.

use crate::sync::{fence, AtomicU64, Ordering, ParkingMutex};
use crate::trace::Val;
use crate::trace_step;

pub use super::entry::ENTRY_BITS;
/// The largest ballot a slot word holds.
pub const MAX_BALLOT: u64 = (1 << (64 - ENTRY_BITS)) - 1;

/// A slot word: `ballot << 40 | entry`.
pub fn pack_slot(ballot: u64, entry: u64) -> u64 {
    debug_assert!(ballot <= MAX_BALLOT && entry < 1 << ENTRY_BITS);
    (ballot << ENTRY_BITS) | entry
}

/// The ballot of a slot word.
pub fn ballot_of(word: u64) -> u64 {
    word >> ENTRY_BITS
}

/// The entry of a slot word (0: none).
pub fn entry_of(word: u64) -> u64 {
    word & ((1 << ENTRY_BITS) - 1)
}

/// Refused: the acceptor promised (or a slot holds) a higher ballot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nack {
    /// The higher ballot it found.
    pub promised: u64,
}

/// Who is calling, for the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The leader (client) id.
    pub leader: usize,
    /// The acceptor's index.
    pub acceptor: usize,
}

/// A multi-slot acceptor register; `prepare` and `accept` are each one
/// atomic step (see the module docs for how).
pub trait MultiAcceptor: Send + Sync + std::fmt::Debug + 'static {
    /// Its name in reports.
    const KIND: &'static str;

    /// An acceptor of `slots` slots that promised and accepted nothing.
    fn new(slots: usize) -> Self;

    /// Phase 1 at ballot `b` for every slot from `from` on: on a promise,
    /// pushes `(slot, slot word)` for every slot that holds an entry.
    ///
    /// # Errors
    /// [`Nack`] if it promised `b` or higher already.
    fn prepare(
        &self,
        who: Caller,
        b: u64,
        from: usize,
        found: &mut Vec<(usize, u64)>,
    ) -> Result<(), Nack>;

    /// Phase 2 at ballot `b`: entry `e` in slot `s`.
    ///
    /// # Errors
    /// [`Nack`] if it promised a higher ballot, or slot `s` holds one.
    fn accept(&self, who: Caller, b: u64, s: usize, e: u64) -> Result<(), Nack>;

    /// The highest ballot it promised (a leader confirming its ballot for a
    /// read, [`Reads::Leader`](super::Reads)).
    fn promised(&self, who: Caller) -> u64;
}

/// The lock-free acceptor: a promise word and a word per slot, the Dekker
/// pair of the module docs.
#[derive(Debug)]
pub struct PackedMulti {
    promise: AtomicU64,
    slots: Box<[AtomicU64]>,
}

impl MultiAcceptor for PackedMulti {
    const KIND: &'static str = "packed";

    fn new(slots: usize) -> Self {
        PackedMulti {
            promise: AtomicU64::new(0),
            slots: (0..slots).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn prepare(
        &self,
        who: Caller,
        b: u64,
        from: usize,
        found: &mut Vec<(usize, u64)>,
    ) -> Result<(), Nack> {
        // W_promise. Relaxed: it carries a ballot; F_p orders it before the
        // slot loads (the Dekker pair with an accept's F_a).
        let old = self.promise.fetch_max(b, Ordering::Relaxed);
        trace_step!(
            who.leader,
            Store { loc: Loc::at("promise", who.acceptor), value: Val::Num(old.max(b)) }
        );
        if old >= b {
            return Err(Nack { promised: old });
        }
        // F_p, paired with every accept's F_a (module docs).
        fence(Ordering::SeqCst);
        for (s, slot) in self.slots.iter().enumerate().skip(from) {
            // Acquire: pairs with the AcqRel CAS that wrote the entry, so the
            // operation it names is visible to the adopting leader.
            let w = slot.load(Ordering::Acquire);
            if w != 0 {
                trace_step!(
                    who.leader,
                    Load { loc: Loc::at(slot_name(who.acceptor), s), value: slot_val(w) }
                );
                found.push((s, w));
            }
        }
        Ok(())
    }

    fn accept(&self, who: Caller, b: u64, s: usize, e: u64) -> Result<(), Nack> {
        let promised = self.promise.load(Ordering::Relaxed);
        if promised > b {
            return Err(Nack { promised });
        }
        let slot = &self.slots[s];
        let new = pack_slot(b, e);
        let mut cur = slot.load(Ordering::Relaxed);
        loop {
            if ballot_of(cur) > b {
                return Err(Nack { promised: ballot_of(cur) });
            }
            if cur == new {
                break;
            }
            // W_slot. AcqRel: Release publishes the entry's operation to the
            // prepare that loads it (Acquire there); Acquire continues the
            // chain from the slot's previous writer.
            match slot.compare_exchange_weak(cur, new, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
        trace_step!(
            who.leader,
            Store { loc: Loc::at(slot_name(who.acceptor), s), value: slot_val(new) }
        );
        // F_a, paired with every prepare's F_p (module docs).
        fence(Ordering::SeqCst);
        // R_promise.
        let promised = self.promise.load(Ordering::Relaxed);
        trace_step!(
            who.leader,
            Load { loc: Loc::at("promise", who.acceptor), value: Val::Num(promised) }
        );
        if promised > b {
            return Err(Nack { promised });
        }
        Ok(())
    }

    fn promised(&self, who: Caller) -> u64 {
        // F_r, paired with every prepare's F_p: if F_p comes first in the
        // SeqCst order, the load below sees its W_promise (or a later one).
        // Coherence alone is not enough: a newer leader's promise and the
        // write it then committed may precede the read in real time with
        // nothing ordering them before this load (loom found that stale
        // read: `multi-paxos/packed/2x3x2-leader-reads-false-suspicion`).
        // The SeqCst order of the fences is consistent with real time, so a
        // promise made before the read began is seen.
        fence(Ordering::SeqCst);
        // Relaxed: it carries a ballot; F_r orders it.
        let p = self.promise.load(Ordering::Relaxed);
        trace_step!(who.leader, Load { loc: Loc::at("promise", who.acceptor), value: Val::Num(p) });
        p
    }
}

/// The trace's name of acceptor `i`'s slots.
fn slot_name(i: usize) -> &'static str {
    const NAMES: [&str; 8] =
        ["a0.slot", "a1.slot", "a2.slot", "a3.slot", "a4.slot", "a5.slot", "a6.slot", "a7.slot"];
    NAMES.get(i).copied().unwrap_or("a*.slot")
}

/// A slot word as the trace shows it: `(ballot, entry)`.
fn slot_val(w: u64) -> Val {
    let e = entry_of(w);
    let id = super::entry::unpack(e);
    Val::Versioned(ballot_of(w), id.map(|id| id.client))
}

#[derive(Debug)]
struct Registers {
    promised: u64,
    slots: Vec<u64>,
}

/// The blocking acceptor: its promise and slots behind one lock.
#[derive(Debug)]
pub struct MutexMulti {
    state: ParkingMutex<Registers>,
}

impl MultiAcceptor for MutexMulti {
    const KIND: &'static str = "mutex";

    fn new(slots: usize) -> Self {
        MutexMulti { state: ParkingMutex::new(Registers { promised: 0, slots: vec![0; slots] }) }
    }

    fn prepare(
        &self,
        who: Caller,
        b: u64,
        from: usize,
        found: &mut Vec<(usize, u64)>,
    ) -> Result<(), Nack> {
        let mut r = self.state.lock();
        trace_step!(who.leader, Lock { loc: Loc::at("acceptor", who.acceptor) });
        if r.promised >= b {
            return Err(Nack { promised: r.promised });
        }
        r.promised = b;
        found.extend(
            r.slots.iter().enumerate().skip(from).filter(|(_, &w)| w != 0).map(|(s, &w)| (s, w)),
        );
        Ok(())
    }

    fn accept(&self, who: Caller, b: u64, s: usize, e: u64) -> Result<(), Nack> {
        let mut r = self.state.lock();
        trace_step!(who.leader, Lock { loc: Loc::at("acceptor", who.acceptor) });
        let higher = r.promised.max(ballot_of(r.slots[s]));
        if higher > b {
            return Err(Nack { promised: higher });
        }
        r.promised = b;
        r.slots[s] = pack_slot(b, e);
        Ok(())
    }

    fn promised(&self, who: Caller) -> u64 {
        let r = self.state.lock();
        trace_step!(who.leader, Lock { loc: Loc::at("acceptor", who.acceptor) });
        r.promised
    }
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;

    fn rules<A: MultiAcceptor>() {
        let a = A::new(3);
        let who = Caller { leader: 0, acceptor: 0 };
        let mut found = Vec::new();
        assert_eq!(a.accept(who, 1, 0, 7), Ok(()));
        assert_eq!(a.prepare(who, 2, 0, &mut found), Ok(()));
        assert_eq!(found, vec![(0, pack_slot(1, 7))]);
        assert_eq!(a.accept(who, 1, 1, 8), Err(Nack { promised: 2 }), "below the promise");
        assert_eq!(a.prepare(who, 2, 0, &mut found), Err(Nack { promised: 2 }), "same ballot");
        assert_eq!(a.accept(who, 3, 2, 9), Ok(()));
        assert_eq!(a.accept(who, 2, 2, 5), Err(Nack { promised: 3 }), "the slot holds 3");
        found.clear();
        assert_eq!(a.prepare(who, 4, 1, &mut found), Ok(()));
        assert_eq!(found, vec![(2, pack_slot(3, 9))], "slots from 1 on");
        assert_eq!(a.promised(who), 4);
    }

    #[test]
    fn both_acceptors_follow_the_rules() {
        rules::<PackedMulti>();
        rules::<MutexMulti>();
    }

    #[test]
    fn slot_words_pack_and_unpack() {
        let w = pack_slot(MAX_BALLOT, (1 << ENTRY_BITS) - 1);
        assert_eq!((ballot_of(w), entry_of(w)), (MAX_BALLOT, (1 << ENTRY_BITS) - 1));
    }
}
