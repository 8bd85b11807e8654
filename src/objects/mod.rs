//! Herlihy's shared objects, each with its sequential specification and its
//! consensus number as data.
//!
//! | object | consensus number | implementation |
//! |---|---|---|
//! | [`register::Register`] | 1 | one atomic word, load / store |
//! | [`rmw::TestAndSet`] | 2 | `AtomicBool::swap(true)` |
//! | [`rmw::Swap`] | 2 | `AtomicUsize::swap` |
//! | [`rmw::FetchAdd`] | 2 | `AtomicUsize::fetch_add` |
//! | [`queue::Queue`] | 2 | a FIFO behind a mutex |
//! | [`assignment::Assignment`] | 2m − 2 | up to 16 registers packed in one word |
//! | [`rmw::CompareAndSwap`] | ∞ | `AtomicUsize::compare_exchange` |
//!
//! Every object implements [`Object`]: `apply(me, op)` performs one operation
//! atomically (it is linearizable: each call takes effect at one instant between
//! its invocation and its response), and [`Object::Spec`] is the sequential
//! specification that says what a single-threaded run of the same operations
//! returns. The consensus protocols use the objects; a linearizability checker
//! can replay their histories against the specification.

pub mod assignment;
pub mod queue;
pub mod register;
pub mod rmw;
pub mod sequential;

use std::fmt::{self, Debug};
use std::hash::Hash;

/// Herlihy's consensus number of a shared object: the largest number of threads
/// for which it solves wait-free consensus (together with read/write registers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsensusNumber {
    /// Solves consensus for exactly this many threads and no more.
    Finite(usize),
    /// Solves consensus for any number of threads.
    Infinite,
}

impl fmt::Display for ConsensusNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsensusNumber::Finite(n) => write!(f, "{n}"),
            ConsensusNumber::Infinite => write!(f, "∞"),
        }
    }
}

/// An object that cannot be built or used with the arguments given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// An assignment object with too many registers, or assigning none at a time.
    #[error(
        "an assignment object holds 1 to {max} registers, assigned 1 or more at a time \
         ({registers} registers, {m} at a time requested)"
    )]
    AssignmentShape {
        /// Registers requested.
        registers: usize,
        /// Registers per assignment requested.
        m: usize,
        /// The most registers one object holds.
        max: usize,
    },
    /// An assignment that writes too many registers, one out of range, or a
    /// value that does not fit a register.
    #[error("assign writes at most {m} registers of 0..{registers} with values below {max_value}")]
    BadAssignment {
        /// Registers per assignment.
        m: usize,
        /// Registers of the object.
        registers: usize,
        /// Values are below this.
        max_value: usize,
    },
}

/// A sequential specification: the object's state, its operations, and what
/// each operation returns and leaves behind when run alone.
pub trait Spec {
    /// The abstract state.
    type State: Clone + Eq + Hash + Debug + Send;
    /// An operation with its arguments.
    type Op: Clone + Eq + Hash + Debug + Send;
    /// What an operation returns.
    type Ret: Clone + Eq + Hash + Debug + Send;

    /// The initial state.
    fn init(&self) -> Self::State;

    /// Runs `op` on `state`: the new state and the return value.
    fn apply(&self, state: &Self::State, op: &Self::Op) -> (Self::State, Self::Ret);

    /// Whether `op` only reads: it leaves every state as it was. A replicated
    /// object may answer such an operation without giving it a log slot
    /// (Multi-Paxos's confirmed leader reads, in the replicated-object
    /// layer above). The default,
    /// `false`, has every operation ordered.
    fn read_only(&self, _op: &Self::Op) -> bool {
        false
    }

    /// What `op` touches: one key, read or written. Two operations
    /// [`conflict`](Spec::conflicts) when they touch one key and at least
    /// one writes; operations that do not conflict must *commute*: run in
    /// either order from any state they leave the same state and return the
    /// same values (a replicated object may then order only conflicting
    /// operations, as EPaxos does). The default is one key for the whole
    /// object, written by every operation that is not
    /// [`read_only`](Spec::read_only): only reads commute, which is true of
    /// every spec. A spec with independent parts (the key-value map's keys)
    /// says so here.
    fn footprint(&self, op: &Self::Op) -> Footprint {
        Footprint { key: 0, writes: !self.read_only(op) }
    }

    /// Whether `a` and `b` conflict (see [`Spec::footprint`]): they touch
    /// one key and at least one of them writes it.
    fn conflicts(&self, a: &Self::Op, b: &Self::Op) -> bool {
        self.footprint(a).conflicts(self.footprint(b))
    }
}

/// What one operation touches ([`Spec::footprint`]): conflicts as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Footprint {
    /// The key (part of the state) it reads or writes.
    pub key: u64,
    /// Whether it may change that part.
    pub writes: bool,
}

impl Footprint {
    /// Whether two footprints conflict: one key, at least one write.
    pub fn conflicts(self, other: Footprint) -> bool {
        self.key == other.key && (self.writes || other.writes)
    }
}

/// What the hierarchy table says about an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Its name.
    pub name: &'static str,
    /// Its consensus number, as the table shows it (`"2"`, `"2m − 2"`, `"∞"`).
    pub consensus_number: &'static str,
    /// How the lab implements it.
    pub implementation: &'static str,
}

/// Locks are not in Herlihy's table (they are not wait-free), but they solve
/// consensus for any number of threads, blocking: the lab lists them last, and
/// the lock protocols (and Paxos over mutex acceptors) name this as their object.
pub const MUTEX: ObjectInfo = ObjectInfo {
    name: "mutex",
    consensus_number: "∞ (blocking)",
    implementation: "std::sync::Mutex, parking_lot::Mutex",
};

/// A linearizable concurrent object.
pub trait Object: Sync + Send {
    /// Its sequential specification.
    type Spec: Spec;

    /// The hierarchy table's row.
    const INFO: ObjectInfo;

    /// The specification (some carry parameters, e.g. the number of registers).
    fn spec(&self) -> Self::Spec;

    /// Thread `me` performs `op` atomically (`me` is for the trace only).
    fn apply(&self, me: usize, op: &<Self::Spec as Spec>::Op) -> <Self::Spec as Spec>::Ret;
}

/// Every object's row, for `conlab hierarchy` and the docs.
pub fn hierarchy() -> [ObjectInfo; 7] {
    [
        <register::Register as Object>::INFO,
        <rmw::TestAndSet as Object>::INFO,
        <rmw::Swap as Object>::INFO,
        <rmw::FetchAdd as Object>::INFO,
        <queue::Queue as Object>::INFO,
        <assignment::Assignment as Object>::INFO,
        <rmw::CompareAndSwap as Object>::INFO,
    ]
}
