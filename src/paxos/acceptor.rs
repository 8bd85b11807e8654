//! Acceptor registers: `prepare` and `accept`, each one atomic step.
//!
//! ```text
//! prepare(b):   if b > promised: promised := b; reply Promise(accepted, value)
//!               else: reply Nack(promised)
//! accept(b, v): if b ≥ promised and not (accepted = b and value ≠ v):
//!                 promised := b; (accepted, value) := (b, v); reply Accepted
//!               else: reply Nack(promised)
//! ```
//!
//! The second condition never fires in classic Paxos, where a ballot belongs
//! to one proposer with one value. It is Fast Paxos's rule: every proposer
//! writes at the fast ballot, and an acceptor accepts only the first value it
//! gets there (an acceptor that changed its vote within a ballot could be
//! counted in two fast quorums of two values).
//!
//! Two implementations behind the [`Acceptor`] trait:
//!
//! * [`PackedAcceptor`]: lock-free, the state in one [`AcceptorState`] word and a
//!   compare&swap loop (a failed CAS means another proposer's step landed first;
//!   the loop re-decides on the state it found). Linearization point: the
//!   successful CAS, or the load that found a nack.
//! * [`MutexAcceptor`]: the state behind a parking_lot mutex. Linearization
//!   point: the critical section. Blocking, like every lock.
//!
//! **Orderings (packed).** A proposer that adopts a value from a promise must
//! see the announce of that value's proposer:
//! * `accept` CAS success `Release`: publishes the accepted value id (and so,
//!   transitively, its proposer's announce);
//! * `prepare` CAS success `Acquire`: pairs with the `Release` of the accept
//!   that wrote the accepted value it returns. Promises written in between are
//!   read-modify-writes, so they continue the accept's release sequence;
//! * loads and failed CASes `Relaxed`: every reply that carries a value comes
//!   from a successful CAS, which re-reads the word with its own ordering; a nack
//!   carries only a ballot number.

use crate::consensus::acceptor_state::AcceptorState;
use crate::sync::{spin_loop, AtomicU64, Ordering, ParkingMutex};
use crate::trace::RmwOp;
use crate::trace_step;

/// An acceptor's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `prepare` promised; what the acceptor had accepted (ballot 0: nothing).
    Promise {
        /// Ballot of the accepted value.
        accepted: u64,
        /// The accepted value.
        value: Option<usize>,
    },
    /// `accept` accepted.
    Accepted,
    /// Refused: the acceptor promised a higher ballot.
    Nack {
        /// The ballot it promised.
        promised: u64,
    },
}

/// An acceptor operation's answer and what it cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The answer.
    pub reply: Reply,
    /// Read-modify-write instructions it executed (CAS attempts; a lock and an
    /// unlock for the mutex acceptor).
    pub rmws: u32,
}

/// Who is calling: for the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The proposer (thread) id.
    pub proposer: usize,
    /// The acceptor's index.
    pub acceptor: usize,
}

/// An acceptor register. `prepare` and `accept` are each one atomic step.
pub trait Acceptor: Sync + Send + std::fmt::Debug {
    /// Its name in tables.
    const KIND: &'static str;

    /// Whether an operation can wait for another thread (a lock).
    const BLOCKING: bool;

    /// An acceptor that has promised and accepted nothing.
    fn new() -> Self;

    /// Phase 1 at ballot `b`.
    fn prepare(&self, who: Caller, b: u64) -> Outcome;

    /// Phase 2 at ballot `b` with value `v`.
    fn accept(&self, who: Caller, b: u64, v: usize) -> Outcome;

    /// The current state (for inspection and tests; not a protocol step).
    fn state(&self) -> AcceptorState;
}

/// The step both implementations take, on a state they own for the moment:
/// returns the new state and the reply. `None` new state: nothing to write.
fn step_prepare(s: AcceptorState, b: u64) -> (Option<AcceptorState>, Reply) {
    if b > s.promised {
        (
            Some(AcceptorState { promised: b, ..s }),
            Reply::Promise { accepted: s.accepted, value: s.value },
        )
    } else {
        (None, Reply::Nack { promised: s.promised })
    }
}

fn step_accept(s: AcceptorState, b: u64, v: usize) -> (Option<AcceptorState>, Reply) {
    let other_value_at_b = s.accepted == b && s.value.is_some_and(|w| w != v);
    if b >= s.promised && !other_value_at_b {
        (Some(AcceptorState { promised: b, accepted: b, value: Some(v) }), Reply::Accepted)
    } else {
        (None, Reply::Nack { promised: s.promised })
    }
}

/// Records one acceptor step in the protocol trace (on a nack, `new` is
/// `old`): what every [`Acceptor`] calls after each operation, so the trace and
/// the Paxos invariant (which reads these steps) see it. Costs nothing outside
/// loom builds.
pub fn trace(who: Caller, op: RmwOp, arg: u64, old: AcceptorState, new: AcceptorState) {
    trace_step!(
        who.proposer,
        Rmw {
            op,
            loc: Loc::at("acceptor", who.acceptor),
            arg: Val::Num(arg),
            old: old.val(),
            new: new.val()
        }
    );
}

/// The lock-free acceptor: one packed word, a CAS loop.
#[derive(Debug)]
pub struct PackedAcceptor {
    word: AtomicU64,
}

impl PackedAcceptor {
    fn apply(
        &self,
        who: Caller,
        op: RmwOp,
        arg: u64,
        success: Ordering,
        step: impl Fn(AcceptorState) -> (Option<AcceptorState>, Reply),
    ) -> Outcome {
        // Relaxed: the value a reply carries is re-read by the CAS below.
        let mut cur = self.word.load(Ordering::Relaxed);
        let mut rmws = 0;
        loop {
            let old = AcceptorState::unpack(cur);
            let (new, reply) = step(old);
            let Some(new) = new else {
                trace(who, op, arg, old, old);
                return Outcome { reply, rmws };
            };
            rmws += 1;
            // `success` is Acquire for prepare, Release for accept (module docs);
            // Relaxed on failure: the loop re-decides on what it found.
            match self.word.compare_exchange(cur, new.pack(), success, Ordering::Relaxed) {
                Ok(_) => {
                    trace(who, op, arg, old, new);
                    return Outcome { reply, rmws };
                }
                Err(found) => {
                    cur = found;
                    // Another proposer's step landed first; under loom, let it run.
                    spin_loop();
                }
            }
        }
    }
}

impl Acceptor for PackedAcceptor {
    const KIND: &'static str = "packed word";
    const BLOCKING: bool = false;

    fn new() -> Self {
        PackedAcceptor { word: AtomicU64::new(AcceptorState::default().pack()) }
    }

    fn prepare(&self, who: Caller, b: u64) -> Outcome {
        self.apply(who, RmwOp::Prepare, b, Ordering::Acquire, |s| step_prepare(s, b))
    }

    fn accept(&self, who: Caller, b: u64, v: usize) -> Outcome {
        self.apply(who, RmwOp::Accept, b, Ordering::Release, |s| step_accept(s, b, v))
    }

    fn state(&self) -> AcceptorState {
        // Acquire: a caller inspecting the state sees what the accepts published.
        AcceptorState::unpack(self.word.load(Ordering::Acquire))
    }
}

/// The blocking acceptor: the state behind a parking_lot mutex.
#[derive(Debug)]
pub struct MutexAcceptor {
    state: ParkingMutex<AcceptorState>,
}

impl MutexAcceptor {
    fn apply(
        &self,
        who: Caller,
        op: RmwOp,
        arg: u64,
        step: impl Fn(AcceptorState) -> (Option<AcceptorState>, Reply),
    ) -> Outcome {
        // The lock's acquire/release orders every step after the previous one.
        let mut s = self.state.lock();
        let old = *s;
        let (new, reply) = step(old);
        if let Some(new) = new {
            *s = new;
        }
        trace(who, op, arg, old, new.unwrap_or(old));
        Outcome { reply, rmws: 2 }
    }
}

impl Acceptor for MutexAcceptor {
    const KIND: &'static str = "mutex";
    const BLOCKING: bool = true;

    fn new() -> Self {
        MutexAcceptor { state: ParkingMutex::new(AcceptorState::default()) }
    }

    fn prepare(&self, who: Caller, b: u64) -> Outcome {
        self.apply(who, RmwOp::Prepare, b, |s| step_prepare(s, b))
    }

    fn accept(&self, who: Caller, b: u64, v: usize) -> Outcome {
        self.apply(who, RmwOp::Accept, b, |s| step_accept(s, b, v))
    }

    fn state(&self) -> AcceptorState {
        *self.state.lock()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn behaves_as_specified<A: Acceptor>() {
        let a = A::new();
        let who = Caller { proposer: 0, acceptor: 0 };
        assert_eq!(a.prepare(who, 2).reply, Reply::Promise { accepted: 0, value: None });
        assert_eq!(a.prepare(who, 2).reply, Reply::Nack { promised: 2 });
        assert_eq!(a.accept(who, 1, 7).reply, Reply::Nack { promised: 2 });
        assert_eq!(a.accept(who, 2, 7).reply, Reply::Accepted);
        assert_eq!(a.prepare(who, 5).reply, Reply::Promise { accepted: 2, value: Some(7) });
        assert_eq!(a.accept(who, 6, 1).reply, Reply::Accepted);
        assert_eq!(a.state(), AcceptorState { promised: 6, accepted: 6, value: Some(1) });
        // One value per ballot: the fast ballot's first writer wins there.
        assert_eq!(a.accept(who, 6, 2).reply, Reply::Nack { promised: 6 });
        assert_eq!(a.accept(who, 6, 1).reply, Reply::Accepted);
    }

    #[test]
    fn packed_acceptor_behaves_as_specified() {
        behaves_as_specified::<PackedAcceptor>();
    }

    #[test]
    fn mutex_acceptor_behaves_as_specified() {
        behaves_as_specified::<MutexAcceptor>();
    }

    #[test]
    fn packed_steps_cost_one_cas_uncontended_and_none_on_a_nack() {
        let a = PackedAcceptor::new();
        let who = Caller { proposer: 0, acceptor: 0 };
        assert_eq!(a.accept(who, 1, 0).rmws, 1);
        assert_eq!(a.prepare(who, 1).rmws, 0); // nack: 1 is not above 1
    }
}
