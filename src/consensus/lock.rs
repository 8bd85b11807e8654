//! Lock-based consensus, with std's `Mutex` and with parking_lot's.
//!
//! **Algorithm** (section 3.1 of the course notes): one register `decided`
//! behind one lock. A thread takes the lock, reads `decided`; if it is ⊥ it writes
//! its own id; it releases the lock and returns what it read or wrote.
//!
//! **Linearization point**: the first lock acquisition. Whoever gets the lock
//! first finds ⊥ and writes; everyone after finds that id. The lock serializes the
//! read and the write, which is exactly conditions C1 and C2 of the notes.
//!
//! **Progress**: blocking. A thread stopped while holding the lock stops everyone;
//! the number of threads is unbounded.
//!
//! **Orderings.** The mutex provides them: unlock is a Release and lock an
//! Acquire on the lock word, so everything the winner did before its critical
//! section (its announce) happens-before everything a later holder does after
//! taking the lock. A std mutex poisoned by a panic inside the critical section is
//! reported as [`ConsensusError::Poisoned`]; parking_lot has no poisoning.
//!
//! **Hook.** A [`LockHook`] runs right after the lock is taken. The default,
//! [`NoHook`], is a zero-sized no-op that inlines away; the stall demonstration
//! plugs in [`StallAt`] to pause a thread
//! while it holds the lock.

use crate::consensus::protocol::{
    LoomModel, Params, Protocol, ProtocolInfo, ShuttleModel, StallPlan, Threads,
};
use crate::consensus::stall::{StallAt, StallGate, StallPoint, StalledInstance};
use crate::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use crate::objects::{ConsensusNumber, MUTEX};
use crate::sync::{ParkingMutex, StdMutex};
use crate::trace_step;

/// A mutex around the `decided` register: the one thing the two lock protocols
/// differ in.
pub trait DecisionLock: Sync + Send {
    /// The name used in traces and tables.
    const NAME: &'static str;

    /// An unlocked lock around ⊥.
    fn new() -> Self;

    /// Runs `f` on the register while holding the lock.
    fn with_locked<R>(&self, f: impl FnOnce(&mut Option<usize>) -> R) -> Result<R, ConsensusError>;
}

impl DecisionLock for StdMutex<Option<usize>> {
    const NAME: &'static str = "std-mutex";

    fn new() -> Self {
        StdMutex::new(None)
    }

    fn with_locked<R>(&self, f: impl FnOnce(&mut Option<usize>) -> R) -> Result<R, ConsensusError> {
        let mut guard = self.lock().map_err(|_| ConsensusError::Poisoned)?;
        Ok(f(&mut guard))
    }
}

impl DecisionLock for ParkingMutex<Option<usize>> {
    const NAME: &'static str = "parking_lot-mutex";

    fn new() -> Self {
        ParkingMutex::new(None)
    }

    fn with_locked<R>(&self, f: impl FnOnce(&mut Option<usize>) -> R) -> Result<R, ConsensusError> {
        Ok(f(&mut self.lock()))
    }
}

/// Code run inside the critical section, right after the lock is taken: the
/// seam where the stall demonstration pauses a lock holder.
pub trait LockHook: Sync + Send {
    /// Thread `me` holds the lock.
    fn holding(&self, me: usize);
}

/// No hook: the protocol as registered.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHook;

impl LockHook for NoHook {
    #[inline(always)]
    fn holding(&self, _me: usize) {}
}

/// Blocking consensus for any number of threads: a lock around a register.
#[derive(Debug)]
pub struct LockConsensus<L, H = NoHook> {
    decided: L,
    threads: usize,
    hook: H,
}

/// Lock consensus over `std::sync::Mutex`.
pub type StdMutexConsensus = LockConsensus<StdMutex<Option<usize>>>;
/// Lock consensus over `parking_lot::Mutex`.
pub type ParkingLotConsensus = LockConsensus<ParkingMutex<Option<usize>>>;

impl<L: DecisionLock> LockConsensus<L> {
    /// An undecided instance for ids `0..threads`.
    pub fn new(threads: usize) -> Self {
        LockConsensus { decided: L::new(), threads, hook: NoHook }
    }
}

impl<L: DecisionLock, H: LockHook> LockConsensus<L, H> {
    /// An undecided instance for ids `0..threads` that runs `hook` inside the
    /// critical section.
    pub fn with_hook(threads: usize, hook: H) -> Self {
        LockConsensus { decided: L::new(), threads, hook }
    }

    /// The hook.
    pub fn hook(&self) -> &H {
        &self.hook
    }
}

impl<L: DecisionLock, H: LockHook> IdConsensus for LockConsensus<L, H> {
    fn threads(&self) -> usize {
        self.threads
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.threads)?;
        let winner = self.decided.with_locked(|decided| {
            trace_step!(me, Lock { loc: Loc::new(L::NAME) });
            self.hook.holding(me);
            trace_step!(me, Load { loc: Loc::new("decided"), value: Val::from_option(*decided) });
            let winner = *decided.get_or_insert(me);
            if winner == me {
                trace_step!(me, Store { loc: Loc::new("decided"), value: Val::Id(me) });
            }
            trace_step!(me, Unlock { loc: Loc::new(L::NAME) });
            winner
        })?;
        trace_step!(me, Decide { winner });
        Ok(winner)
    }

    fn progress(&self) -> Progress {
        Progress::Blocking
    }
}

impl LockHook for StallAt {
    #[inline]
    fn holding(&self, me: usize) {
        self.here(me);
    }
}

impl<L: DecisionLock> StalledInstance for LockConsensus<L, StallAt> {
    fn gate(&self) -> Option<&StallGate> {
        Some(self.hook.gate())
    }
    fn stalled_at(&self) -> String {
        "holding the lock".into()
    }
}

/// Both lock protocols: exhaustive at 2 and 3 threads.
const LOCK_MODELS: &[LoomModel] = &[LoomModel::exhaustive(2), LoomModel::exhaustive(3)];
/// The lock protocols beyond loom's thread counts: PCT depth 3 at 8 and 16 threads.
const LOCK_SHUTTLE: &[ShuttleModel] =
    &[ShuttleModel::pct(8, 3, 10_000), ShuttleModel::pct(16, 3, 5_000)];

macro_rules! lock_protocol {
    ($lock:ty, $name:literal, $primitive:literal, $summary:literal) => {
        impl Protocol for LockConsensus<$lock> {
            const INFO: ProtocolInfo = ProtocolInfo {
                name: $name,
                summary: $summary,
                primitive: $primitive,
                object: &MUTEX,
                consensus_number: ConsensusNumber::Infinite,
                threads: Threads::Any,
                knobs: &[],
                loom: LOCK_MODELS,
                shuttle: LOCK_SHUTTLE,
                stall: Some(StallPoint::Lock),
                broken: None,
            };
            fn build(p: &Params) -> Result<Self, ConsensusError> {
                Ok(Self::new(p.threads))
            }
            fn build_stalled(
                p: &Params,
                plan: StallPlan,
            ) -> Result<Box<dyn StalledInstance>, ConsensusError> {
                let hook = StallAt::new(plan.who, plan.pause);
                Ok(Box::new(LockConsensus::<$lock, _>::with_hook(p.threads, hook)))
            }
        }
    };
}

lock_protocol!(
    StdMutex<Option<usize>>,
    "lock-std",
    "mutex (std)",
    "std::sync::Mutex around a register: check, then set"
);
lock_protocol!(
    ParkingMutex<Option<usize>>,
    "lock-parking-lot",
    "mutex (parking_lot)",
    "parking_lot::Mutex around a register: check, then set"
);

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::consensus::stall::tests::while_stalled;
    use crate::consensus::{Consensus, Proposals};
    use std::time::Duration;

    #[test]
    fn a_lock_holder_stall_blocks_everyone_until_it_wakes() {
        let ids = LockConsensus::<ParkingMutex<Option<usize>>, _>::with_hook(
            2,
            StallAt::new(0, Duration::from_millis(20)),
        );
        let slot = Proposals::new(ids);
        let gate = slot.ids().hook().gate();
        let (decided, still_asleep) =
            while_stalled(gate, || assert_eq!(slot.decide(0, 0), Ok(&0)), || slot.decide(1, 1));
        assert_eq!(decided, Ok(&0), "t0 held the lock: it won");
        // Not a timing claim: the lock's release (after the Woke store)
        // happens-before t1's acquisition.
        assert!(!still_asleep, "t1 could not decide before t0 woke and unlocked");
    }

    fn first_caller_wins<L: DecisionLock>() {
        let c = LockConsensus::<L>::new(3);
        assert_eq!(c.decide_id(1), Ok(1));
        assert_eq!(c.decide_id(0), Ok(1));
        assert_eq!(c.decide_id(2), Ok(1));
        assert_eq!(c.decide_id(3), Err(ConsensusError::IdOutOfRange { id: 3, threads: 3 }));
    }

    #[test]
    fn std_first_caller_wins() {
        first_caller_wins::<StdMutex<Option<usize>>>();
    }

    #[test]
    fn parking_lot_first_caller_wins() {
        first_caller_wins::<ParkingMutex<Option<usize>>>();
    }

    #[test]
    fn a_poisoned_std_lock_is_an_error() {
        let c = StdMutexConsensus::new(2);
        // Poison the lock the only way it can be: a panic while holding it.
        let _ = std::thread::scope(|s| {
            s.spawn(|| c.decided.with_locked(|_| panic!("poisoning the lock on purpose"))).join()
        });
        assert_eq!(c.decide_id(0), Err(ConsensusError::Poisoned));
    }
}
