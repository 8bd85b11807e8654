//! Stalls: one thread paused at a chosen point inside a protocol.
//!
//! A progress guarantee is a statement about what the *other* threads can do
//! while one thread takes no steps. This module provides the pause itself, so
//! that the stall demonstration (`conlab demo stall`) and tests can put a
//! thread to sleep at a meaningful point and watch the rest:
//!
//! * [`StallGate`]: the pause, with a state the others can observe
//!   (waiting → inside → woke);
//! * [`StallAt`]: "thread `who` passes this gate": the hook the lock protocols
//!   run while holding their lock (`lock::LockHook`, implemented in `lock.rs`);
//! * [`Stalled<C>`]: any [`IdConsensus`] whose `decide_id` pauses thread `who`
//!   before delegating. In front of [`Proposals`](crate::Proposals), which
//!   announces before calling `decide_id`, that is "between announcing and its
//!   decisive operation", for every protocol, with no change to the protocol;
//! * Paxos stalls proposers between phases through its fault plan
//!   (`paxos::Stall`, a layer above), with the same gate.
//!
//! None of this costs the registry's protocols anything measurable: a registry
//! instance has no gate; the lock protocols' default hook is a zero-sized no-op;
//! a Paxos proposer checks its whole fault plan (crash and stall) with one
//! compare per step, as it did for crashes alone.
//!
//! **Orderings.** The stalled thread stores [`StallState::Inside`] and
//! [`StallState::Woke`] with Release; [`StallGate::state`] loads with Acquire.
//! So an observer that sees `Inside` also sees everything the stalled thread did
//! before it (its announce, its lock acquisition, its phase 1), and one that sees
//! `Woke` sees the whole stall behind it. The protocols do not rely on this: it
//! only makes "decided while the stalled thread was asleep" a well-defined
//! observation.

use crate::consensus::{ConsensusError, IdConsensus, Progress};
use crate::sync::{sleep, AtomicU8, Ordering};
use std::time::Duration;

const WAITING: u8 = 0;
const INSIDE: u8 = 1;
const WOKE: u8 = 2;

/// Where the stalled thread is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StallState {
    /// It has not reached the gate yet (or never will).
    Waiting,
    /// It is paused at the gate.
    Inside,
    /// It has paused and moved on.
    Woke,
}

/// Where a protocol can pause a thread inside itself, beyond the announce point
/// every protocol has (declared in its
/// [`ProtocolInfo::stall`](crate::consensus::protocol::ProtocolInfo::stall)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StallPoint {
    /// Inside the critical section of a lock protocol.
    Lock,
    /// Paxos: after phase 1, before phase 2 (after its first accept on the
    /// fast path, which has no phase 1).
    PaxosPhase,
}

/// An instance with a stall built in, and a way to watch it.
pub trait StalledInstance: IdConsensus + Send {
    /// The stalled thread's gate (`None`: nothing stalls in this instance).
    fn gate(&self) -> Option<&StallGate>;

    /// The attempts (ballots) `me` used, where the protocol has them.
    fn attempts(&self, me: usize) -> Option<usize> {
        let _ = me;
        None
    }

    /// Where the stalled thread pauses, in words.
    fn stalled_at(&self) -> String;
}

impl<C: IdConsensus + Send> StalledInstance for Stalled<C> {
    fn gate(&self) -> Option<&StallGate> {
        Some(self.stall().gate())
    }
    fn stalled_at(&self) -> String {
        "announced, before its first step".into()
    }
}

/// A pause of a fixed length that others can watch.
#[derive(Debug)]
pub struct StallGate {
    pause: Duration,
    state: AtomicU8,
}

impl StallGate {
    /// A gate that pauses its caller for `pause`.
    pub fn new(pause: Duration) -> Self {
        StallGate { pause, state: AtomicU8::new(WAITING) }
    }

    /// How long the pause lasts.
    pub fn pause(&self) -> Duration {
        self.pause
    }

    /// Where the stalled thread is now.
    pub fn state(&self) -> StallState {
        // Acquire: pairs with the Release stores in `pass`.
        match self.state.load(Ordering::Acquire) {
            WAITING => StallState::Waiting,
            INSIDE => StallState::Inside,
            _ => StallState::Woke,
        }
    }

    /// Pauses the caller: marks the gate inside, sleeps, marks it woke. One
    /// shot: a gate that was passed (or is being passed) lets a later caller
    /// straight through.
    pub fn pass(&self) {
        // Release on success: pairs with the Acquire load in `state`; publishes
        // what the caller did before the stall. Relaxed on failure: it reads
        // nothing it needs (the gate was used already).
        if self
            .state
            .compare_exchange(WAITING, INSIDE, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        sleep(self.pause);
        // Release: pairs with the Acquire load in `state`.
        self.state.store(WOKE, Ordering::Release);
    }
}

/// Thread `who` pauses at the gate; every other thread passes straight on.
#[derive(Debug)]
pub struct StallAt {
    who: usize,
    gate: StallGate,
}

impl StallAt {
    /// Thread `who` will pause for `pause`.
    pub fn new(who: usize, pause: Duration) -> Self {
        StallAt { who, gate: StallGate::new(pause) }
    }

    /// The stalled thread.
    pub fn who(&self) -> usize {
        self.who
    }

    /// The gate (for watching the stalled thread).
    pub fn gate(&self) -> &StallGate {
        &self.gate
    }

    /// Pauses if `me` is the stalled thread.
    #[inline]
    pub fn here(&self, me: usize) {
        if me == self.who {
            self.gate.pass();
        }
    }
}

/// An id protocol whose thread `who` pauses at the start of `decide_id`, before
/// its first step of the protocol.
#[derive(Debug)]
pub struct Stalled<C> {
    inner: C,
    at: StallAt,
}

impl<C: IdConsensus> Stalled<C> {
    /// `inner`, with thread `who` paused for `pause` before it runs.
    pub fn new(inner: C, who: usize, pause: Duration) -> Self {
        Stalled { inner, at: StallAt::new(who, pause) }
    }

    /// The stall (who, and the gate).
    pub fn stall(&self) -> &StallAt {
        &self.at
    }

    /// The protocol behind the stall.
    pub fn inner(&self) -> &C {
        &self.inner
    }
}

impl<C: IdConsensus> IdConsensus for Stalled<C> {
    fn threads(&self) -> usize {
        self.inner.threads()
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        self.at.here(me);
        self.inner.decide_id(me)
    }

    fn progress(&self) -> Progress {
        self.inner.progress()
    }

    fn check_invariant(&self, trace: &crate::trace::Trace) -> Result<(), String> {
        self.inner.check_invariant(trace)
    }
}

#[cfg(all(test, not(loom)))]
pub(crate) mod tests {
    use super::*;
    use crate::consensus::cas::CasConsensus;
    use crate::consensus::{Consensus, Proposals};
    use crate::sync::Backoff;

    /// Runs `stalled` on one thread and, once it is inside its stall, `other`
    /// on another; returns `other`'s result and whether the stalled thread was
    /// still inside when `other` returned.
    pub(crate) fn while_stalled<R: Send>(
        gate: &StallGate,
        stalled: impl FnOnce() + Send,
        other: impl FnOnce() -> R + Send,
    ) -> (R, bool) {
        std::thread::scope(|s| {
            s.spawn(stalled);
            let wait = Backoff::new();
            while gate.state() == StallState::Waiting {
                wait.snooze();
            }
            let r = other();
            (r, gate.state() == StallState::Inside)
        })
    }

    #[test]
    fn a_wait_free_protocol_decides_while_the_announced_thread_sleeps() {
        // A long stall: the other thread has a second to take its one CAS.
        let slot = Proposals::new(Stalled::new(CasConsensus::new(2), 0, Duration::from_secs(1)));
        let gate = slot.ids().stall().gate();
        let (decided, still_asleep) =
            while_stalled(gate, || assert_eq!(slot.decide(0, 0), Ok(&1)), || slot.decide(1, 1));
        assert_eq!(decided, Ok(&1), "t0 announced but never reached its CAS");
        assert!(still_asleep, "t1 decided while t0 was stalled");
        assert_eq!(gate.state(), StallState::Woke);
    }

    #[test]
    fn other_threads_pass_the_gate_without_pausing() {
        let c = Stalled::new(CasConsensus::new(2), 1, Duration::from_secs(3600));
        assert_eq!(c.decide_id(0), Ok(0));
        assert_eq!(c.stall().gate().state(), StallState::Waiting);
        assert_eq!(c.progress(), Progress::WaitFree { steps: 1 });
        assert_eq!(c.decide_id(2), Err(ConsensusError::IdOutOfRange { id: 2, threads: 2 }));
    }
}
