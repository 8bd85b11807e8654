//! Many slots: a sequential [`Spec`] made a concurrent object by agreeing on
//! the order of its operations.
//!
//! Consensus is universal (Herlihy 1991): from n-thread consensus objects and
//! registers, any object with a sequential specification has a wait-free
//! n-thread implementation. Every many-slot protocol of the lab (the universal
//! construction here; Multi-Paxos, Zab, Fast Paxos-backed logs and EPaxos after
//! it) is one [`Replicated`] object:
//!
//! * it is built for a fixed number of clients and a fixed **capacity** (the
//!   log's cells are allocated at construction; a full log is
//!   [`RsmError::Full`], never a wrap or a panic);
//! * [`Replicated::clients`] hands out one [`Client`] per client id, once
//!   (ownership, not a run-time check, keeps one caller per id); a client
//!   [`submit`](Client::submit)s operations of the spec and gets the spec's
//!   return values;
//! * [`Replicated::log`] is the decided prefix of the log, cell by cell (which
//!   client's which operation), so a checker can replay it against the spec
//!   and compare every client's return values with the replay: *log
//!   agreement*, checked directly, beside the linearizability of the client
//!   history (`check::linearizability`).
//!
//! The implementations:
//!
//! | module | progress | idea |
//! |---|---|---|
//! | [`universal`] with [`universal::Helping`] | wait-free: n + 1 cells' consensus per operation | Herlihy's construction: announce, one consensus per cell, cell `k` helps thread `k mod n` |
//! | [`universal`] with [`universal::NoHelping`] | lock-free | the same log, every thread proposes only its own operation |
//! | [`multi_paxos`] | blocking (a leader; a failure detector with a timeout) | Multi-Paxos over multi-slot acceptor registers: phase 1 once per leader, one accept per acceptor per command |
//! | [`zab`] | blocking (a leader; the same failure detector) | Zab over follower regions: zxid = epoch ‖ counter, epochs fence old leaders, recovery adopts the highest history of a majority |
//! | [`epaxos`] | blocking (a replica waits for its dependencies' commits) | EPaxos over replica regions: leaderless, every client leads its own instances, only conflicting commands ordered (dependencies, fast path at F + ⌊(F + 1)/2⌋) |

pub mod epaxos;
pub mod multi_paxos;
pub(crate) mod tally;
pub mod universal;
pub mod zab;

use crate::consensus::ConsensusError;
use crate::objects::Spec;
use std::fmt;

/// The progress guarantee of a replicated object's [`Client::submit`].
///
/// The unit of the wait-free bound is a *cell*: one consensus object of the
/// log that the operation takes part in (each cell costs the slot protocol's
/// own wait-free step bound). Replaying cells that other threads decided
/// before the operation was announced is not counted: it is a finite amount
/// fixed when the operation starts (and each cell is replayed once per
/// client over the client's lifetime).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum RsmProgress {
    /// Every operation takes part in at most `cells` cells' consensus, whatever
    /// the other clients do (including stopping).
    WaitFree {
        /// Bound on the cells an operation enters.
        cells: usize,
    },
    /// Some operation completes in a finite number of steps of the system; one
    /// client may lose every cell forever.
    LockFree,
    /// An operation completes if it runs alone long enough (the slots are
    /// obstruction-free).
    ObstructionFree,
    /// An operation can wait forever for a stopped client (the slots block).
    Blocking,
}

impl fmt::Display for RsmProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RsmProgress::WaitFree { cells } => {
                write!(f, "wait-free (≤ {cells} cells per operation)")
            }
            RsmProgress::LockFree => f.write_str("lock-free"),
            RsmProgress::ObstructionFree => f.write_str("obstruction-free"),
            RsmProgress::Blocking => f.write_str("blocking"),
        }
    }
}

/// What went wrong building or using a replicated object.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RsmError {
    /// Every cell of the log is decided and the operation is not among them.
    #[error(
        "the log is full: all {capacity} cells are decided (capacity is fixed at construction)"
    )]
    Full {
        /// The log's capacity.
        capacity: usize,
    },
    /// The clients were handed out before (they are handed out once).
    #[error("the clients of this object were handed out already (once per object)")]
    ClientsHandedOut,
    /// The object cannot be built with these parameters.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A cell's consensus failed (a lost quorum, a poisoned lock, a protocol
    /// that broke its contract).
    #[error("the consensus of log cell {cell} failed: {source}")]
    Slot {
        /// The cell.
        cell: usize,
        /// What the slot protocol reported.
        source: ConsensusError,
    },
    /// A cell decided an operation that does not exist (a client or sequence
    /// number out of range): the slot protocol decided something nobody
    /// proposed.
    #[error("log cell {cell} holds {entry}, an operation nobody announced: the slot protocol broke validity")]
    BadEntry {
        /// The cell.
        cell: usize,
        /// What it holds.
        entry: OpId,
    },
    /// A client's head said a cell was decided, and the cell holds nothing:
    /// the construction's own invariant broke (a bug of the lab, reported,
    /// not a panic).
    #[error("log cell {cell} was published as decided but holds no entry")]
    Undecided {
        /// The cell.
        cell: usize,
    },
    /// Two clients were told different operations for one cell: the slot
    /// protocol violated agreement.
    #[error("log cell {cell} was decided twice differently ({first} and {second}): the slot protocol broke agreement")]
    Disagreement {
        /// The cell.
        cell: usize,
        /// The operation recorded first.
        first: OpId,
        /// The one this client was told.
        second: OpId,
    },
    /// The client crashed (a fault plan's leader crash struck it while it
    /// led): it takes no further step. Its pending operation may or may not
    /// take effect; a judge treats it as never returned ([`RsmError::is_crash`]).
    #[error("client t{client} crashed (a fault plan's leader crash), its pending operation may or may not take effect")]
    Crashed {
        /// The client.
        client: usize,
    },
    /// Fewer than a majority of the acceptors answered: more than f of
    /// 2f + 1 crashed, and no slot can be chosen any more.
    #[error("no quorum: {answered} of {acceptors} acceptors answered, a majority is {majority}")]
    NoQuorum {
        /// Acceptors in all.
        acceptors: usize,
        /// Acceptors that answered.
        answered: usize,
        /// How many a quorum needs.
        majority: usize,
    },
    /// The ballots (leader terms) a log entry can hold ran out.
    #[error("the leader ballots ran out ({max} leader changes; a slot word holds no more)")]
    BallotsExhausted {
        /// The largest ballot.
        max: u64,
    },
    /// A zxid's epoch (32 bits) ran out (Zab).
    #[error("the epochs ran out: epoch {epoch} does not fit the 32 bits of a zxid")]
    EpochsExhausted {
        /// The epoch asked for.
        epoch: u64,
    },
}

impl RsmError {
    /// Whether the error is the caller's crash (its operation never
    /// returned, rather than failed).
    pub fn is_crash(&self) -> bool {
        matches!(self, RsmError::Crashed { .. })
    }
}

/// Which operation: client `client`'s `seq`-th (from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct OpId {
    /// The client that submitted it.
    pub client: usize,
    /// Its position among that client's operations, from 1.
    pub seq: u64,
}

impl OpId {
    /// Not an operation: the no-op a log fills a gap with (Multi-Paxos's new
    /// leader), where an error must name what a slot held.
    pub const NOOP: OpId = OpId { client: usize::MAX, seq: 0 };
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == OpId::NOOP {
            return f.write_str("a no-op");
        }
        write!(f, "t{}#{}", self.client, self.seq)
    }
}

/// One decided cell of a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry<Op> {
    /// The cell (slot) index.
    pub cell: usize,
    /// Which operation was decided there.
    pub id: OpId,
    /// The operation.
    pub op: Op,
}

/// What one client did, for step-bound checks and reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClientStats {
    /// Operations that returned.
    pub ops: u64,
    /// Cells whose consensus the client took part in, over all its operations.
    pub cells_entered: u64,
    /// The most cells one of its operations took part in.
    pub max_cells_entered: usize,
    /// Cells it replayed without taking part (decided by others before it
    /// got there).
    pub cells_replayed: u64,
    /// Operations of this client that another client's proposal put in the log
    /// (helped), as far as this client can tell: found while catching up.
    pub helped: u64,
}

/// A client of a [`Replicated`] object: one thread's right to submit.
pub trait Client<S: Spec> {
    /// This client's id (`0..clients`).
    fn id(&self) -> usize;

    /// Submits `op`; returns what the spec returns for it at its place in the
    /// agreed order.
    ///
    /// # Errors
    /// [`RsmError::Full`] if the log has no cell left for it, and the slot
    /// protocol's failures ([`RsmError::Slot`], [`RsmError::Disagreement`]).
    fn submit(&mut self, op: S::Op) -> Result<S::Ret, RsmError>;

    /// What this client has done so far.
    fn stats(&self) -> ClientStats;

    /// This client's replica's log: the cells it has applied (or skipped as
    /// duplicates), in order. Read without touching shared memory, so a
    /// checker can compare every replica's log (they must agree: each a
    /// prefix of the longest) without adding synchronisation.
    fn log(&self) -> Vec<LogEntry<S::Op>>;
}

/// A sequential specification made concurrent by a log of consensus cells.
pub trait Replicated: Send + Sync {
    /// The specification.
    type Spec: Spec;
    /// A client handle: owned, so it can move to any thread.
    type Client: Client<Self::Spec> + Send + 'static;

    /// The specification.
    fn spec(&self) -> &Self::Spec;

    /// Clients (ids `0..clients()`).
    fn clients_count(&self) -> usize;

    /// Cells of the log (fixed at construction).
    fn capacity(&self) -> usize;

    /// The progress guarantee of [`Client::submit`].
    fn progress(&self) -> RsmProgress;

    /// One client per id, `result[id]`; handed out once.
    ///
    /// # Errors
    /// [`RsmError::ClientsHandedOut`] the second time.
    fn clients(&mut self) -> Result<Vec<Self::Client>, RsmError>;

    /// The decided prefix of the log, oldest cell first (may be read while
    /// clients run: a snapshot of what is decided so far). For a
    /// [`LogOrder::Conflicts`] object: one replica's execution of every
    /// operation executable so far.
    fn log(&self) -> Vec<LogEntry<<Self::Spec as Spec>::Op>>;

    /// What the logs' order means: one total order (the default), or only
    /// conflicting operations ordered (EPaxos).
    fn order(&self) -> LogOrder {
        LogOrder::Total
    }
}

/// How a replicated object orders its operations: what log agreement means
/// for it (`check::replicated`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogOrder {
    /// One total order: every replica's log is a prefix of the longest, and
    /// the log's order respects real time (universal construction,
    /// Multi-Paxos, Zab).
    Total,
    /// Only conflicting operations ([`Spec::conflicts`]) are ordered:
    /// replicas may execute commuting operations in different orders, and
    /// agree on the order of every conflicting pair (EPaxos).
    Conflicts,
}

/// Replays `log` against `spec` as every replica does: in cell order, an
/// entry whose client already had an operation with this or a later sequence
/// number applied is a duplicate and skipped. Returns each applied
/// operation's id and return value, in log order: what a log-agreement check
/// compares with what the clients were told.
pub fn replay<S: Spec>(spec: &S, log: &[LogEntry<S::Op>]) -> Vec<(OpId, S::Ret)> {
    let mut state = spec.init();
    let mut applied: std::collections::HashMap<usize, u64> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(log.len());
    for e in log {
        let last = applied.entry(e.id.client).or_insert(0);
        if e.id.seq <= *last {
            continue;
        }
        *last = e.id.seq;
        let (next, ret) = spec.apply(&state, &e.op);
        state = next;
        out.push((e.id, ret));
    }
    out
}

/// How many entries of `log` a replay skips as duplicates (an operation
/// decided again after it was applied: harmless, but a cell wasted).
pub fn duplicates<Op>(log: &[LogEntry<Op>]) -> usize {
    let mut applied: std::collections::HashMap<usize, u64> = std::collections::HashMap::new();
    log.iter()
        .filter(|e| {
            let last = applied.entry(e.id.client).or_insert(0);
            let dup = e.id.seq <= *last;
            *last = (*last).max(e.id.seq);
            dup
        })
        .count()
}
