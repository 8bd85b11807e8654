//! Single-slot consensus: the two traits and every protocol.
//!
//! Consensus on arbitrary values reduces to consensus on thread ids: each thread
//! first publishes its proposal in its own announce slot, then a protocol decides
//! *whose* proposal wins. So there are two layers:
//!
//! * [`IdConsensus`]: consensus on thread ids, the part that differs between
//!   protocols and that the consensus-number theory is about;
//! * [`Consensus<T>`]: one-shot consensus on values of any `T: Send + Sync`,
//!   implemented once for every id protocol by [`Proposals<T, C>`].
//!
//! ```
//! use consensus_lab::consensus::{cas::CasConsensus, Consensus, Proposals};
//!
//! let slot = Proposals::new(CasConsensus::new(2));
//! std::thread::scope(|s| {
//!     let a = s.spawn(|| slot.decide(0, String::from("apple")).unwrap().clone());
//!     let b = s.spawn(|| slot.decide(1, String::from("pear")).unwrap().clone());
//!     let (a, b) = (a.join().unwrap(), b.join().unwrap());
//!     assert_eq!(a, b); // agreement
//!     assert!(a == "apple" || a == "pear"); // validity
//! });
//! ```

pub mod acceptor_state;
pub mod announce;
pub mod assignment;
pub mod broken;
pub mod cas;
pub mod first_mover;
pub mod lock;
pub mod protocol;
pub mod registers;
pub mod rounds;
pub mod stall;
pub mod versioned;

use std::fmt;

pub use announce::{Proposals, Proposer};

/// Consensus on thread ids.
///
/// Thread ids are `0..threads()`. Every call returns the id of the same thread
/// (agreement), that thread called `decide_id` (validity), and the start of the
/// winner's call happens-before the return of every call, so whatever the winner
/// wrote before calling is visible to the caller afterwards.
///
/// Precondition: each id is used by one caller at a time (protocols with
/// single-writer registers rely on it). [`Proposals`] enforces one call per id;
/// used directly, a second concurrent caller with the same id is a usage error
/// whose outcome the protocol does not define (never undefined behaviour: the
/// trait is safe and so are its implementations).
pub trait IdConsensus: Sync {
    /// Largest number of threads (ids `0..threads()`) this instance serves.
    fn threads(&self) -> usize;

    /// Thread `me` takes part; returns the id of the winning thread.
    ///
    /// # Errors
    /// [`ConsensusError::IdOutOfRange`] if `me >= threads()`, and whatever the
    /// protocol itself can fail with (a poisoned lock, a lost quorum).
    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError>;

    /// The progress guarantee of [`decide_id`](Self::decide_id).
    fn progress(&self) -> Progress;

    /// A protocol-specific invariant over one execution's trace, checked by the
    /// loom harness after every explored execution (for example Paxos's "every
    /// ballot accepted by a majority carries the same value").
    ///
    /// # Errors
    /// A description of the violation.
    fn check_invariant(&self, trace: &crate::trace::Trace) -> Result<(), String> {
        let _ = trace;
        Ok(())
    }
}

/// One-shot consensus on values: every caller gets the same value, which some
/// caller proposed. Each id proposes at most once.
pub trait Consensus<T>: Sync {
    /// Largest number of threads (ids `0..threads()`) this instance serves.
    fn threads(&self) -> usize;

    /// Thread `id` proposes `value`; returns the decided value.
    ///
    /// # Errors
    /// [`ConsensusError::IdOutOfRange`], [`ConsensusError::AlreadyProposed`] if `id`
    /// proposed before (or is proposing concurrently), and the errors of the
    /// underlying protocol.
    fn decide(&self, id: usize, value: T) -> Result<&T, ConsensusError>;
}

impl<C: IdConsensus + ?Sized> IdConsensus for &C {
    fn threads(&self) -> usize {
        (**self).threads()
    }
    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        (**self).decide_id(me)
    }
    fn progress(&self) -> Progress {
        (**self).progress()
    }
    fn check_invariant(&self, trace: &crate::trace::Trace) -> Result<(), String> {
        (**self).check_invariant(trace)
    }
}

impl<C: IdConsensus + ?Sized> IdConsensus for Box<C> {
    fn threads(&self) -> usize {
        (**self).threads()
    }
    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        (**self).decide_id(me)
    }
    fn progress(&self) -> Progress {
        (**self).progress()
    }
    fn check_invariant(&self, trace: &crate::trace::Trace) -> Result<(), String> {
        (**self).check_invariant(trace)
    }
}

/// Checks `me < threads`: the first line of every `decide_id`.
#[inline(always)]
pub fn check_id(me: usize, threads: usize) -> Result<(), ConsensusError> {
    if me < threads {
        Ok(())
    } else {
        Err(ConsensusError::IdOutOfRange { id: me, threads })
    }
}

/// A progress guarantee, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Progress {
    /// Every call finishes in at most `steps` of its own shared-memory steps,
    /// whatever the other threads do (including stopping).
    ///
    /// A *step* is one operation on one shared object, as Herlihy counts them:
    /// a load or a store of a register, one test&set, swap, fetch&add or
    /// compare&swap, one `assign` or `read` of an m-register assignment
    /// object. It is what the protocol traces (one [`trace_step!`] each, and
    /// the loom harness checks the bound on the trace), not a count of machine
    /// instructions: an `assign` is one step whatever its implementation costs
    /// (a load and a CAS loop of up to n attempts in
    /// [`objects::assignment`](crate::objects::assignment)).
    ///
    /// [`trace_step!`]: crate::trace_step
    WaitFree {
        /// Bound on the steps (operations on shared objects) of one `decide_id`
        /// call.
        steps: usize,
    },
    /// Some call finishes in a finite number of steps of the system.
    LockFree,
    /// A call finishes if it eventually runs alone long enough.
    ObstructionFree,
    /// A call can wait forever for a thread that stopped (it holds a lock).
    Blocking,
}

impl Progress {
    /// The step bound of a wait-free protocol.
    pub fn step_bound(self) -> Option<usize> {
        match self {
            Progress::WaitFree { steps } => Some(steps),
            _ => None,
        }
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Progress::WaitFree { steps: 1 } => write!(f, "wait-free (1 step)"),
            Progress::WaitFree { steps } => write!(f, "wait-free (≤ {steps} steps)"),
            Progress::LockFree => write!(f, "lock-free"),
            Progress::ObstructionFree => write!(f, "obstruction-free"),
            Progress::Blocking => write!(f, "blocking"),
        }
    }
}

/// Everything that can go wrong in a decision, as a value: misuse never panics
/// and never causes undefined behaviour.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsensusError {
    /// A thread id outside `0..threads`.
    #[error("thread id {id} is out of range: this instance serves ids 0..{threads}")]
    IdOutOfRange {
        /// The id that was passed.
        id: usize,
        /// The instance's thread count.
        threads: usize,
    },
    /// The id already proposed on this one-shot instance (or is proposing
    /// concurrently from another OS thread).
    #[error("thread id {id} already proposed on this one-shot instance")]
    AlreadyProposed {
        /// The id that proposed twice.
        id: usize,
    },
    /// [`Proposals::proposers`] found no id left to hand out: the handles of
    /// this instance were handed out before (they are handed out once), or
    /// every id has already proposed.
    #[error(
        "no id is left to hand a proposer to: this instance's handles were handed \
         out already, or every id has proposed"
    )]
    ProposersHandedOut,
    /// A lock was poisoned: a thread panicked while holding it, so the protected
    /// decision cannot be trusted.
    #[error("the lock was poisoned by a thread that panicked while holding it")]
    Poisoned,
    /// An instance cannot be built with these parameters.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A sequence number, version or ballot no longer fits the protocol's packed
    /// word. Reported instead of wrapping around, which would break the order.
    #[error("the {what} no longer fits its packed word (at most {max})")]
    Overflow {
        /// What overflowed.
        what: &'static str,
        /// The largest value that fits.
        max: u64,
    },
    /// Paxos: fewer acceptors are alive than a majority, so no decision is
    /// possible. Returned as soon as a phase finds too few live acceptors.
    #[error("no quorum: only {live} acceptors answered and a majority needs {needed}")]
    NoQuorum {
        /// Acceptors that answered.
        live: usize,
        /// A majority.
        needed: usize,
    },
    /// The thread was crashed on purpose by a fault plan.
    #[error("crashed by the fault plan after {after} steps")]
    Crashed {
        /// Steps it took before crashing.
        after: usize,
    },
    /// A retrying (obstruction-free) protocol reached its configured limit of
    /// attempts without deciding. Only happens with a limit set (loom models).
    #[error("gave up without deciding after {attempts} overruled attempts")]
    GaveUp {
        /// Attempts made.
        attempts: usize,
    },
    /// The protocol returned a winner whose announce is not visible to the caller
    /// (it never proposed, or the protocol lacks the happens-before its contract
    /// promises), or is out of range: a bug in the protocol, reported instead of
    /// reading an empty or racing slot.
    #[error(
        "protocol bug: it decided t{winner}, whose announced value is not visible \
         here (t{winner} never announced, or no happens-before from its announce)"
    )]
    InvalidWinner {
        /// The id the protocol returned.
        winner: usize,
    },
}

/// Threads that could not start, or a run too large, refuse the configuration.
impl From<crate::threads::Error> for ConsensusError {
    fn from(e: crate::threads::Error) -> Self {
        ConsensusError::InvalidConfig(e.to_string())
    }
}

/// An object that refuses its parameters refuses the configuration.
impl From<crate::objects::ObjectError> for ConsensusError {
    fn from(e: crate::objects::ObjectError) -> Self {
        ConsensusError::InvalidConfig(e.to_string())
    }
}
