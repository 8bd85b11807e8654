//! Multi-Paxos over shared-memory acceptor registers: a replicated log with a
//! leader, ballots and recovery (the notes' section 3.3, in the RDMA form of
//! Mu and Disk Paxos: acceptors are registers, the leader writes into them).
//!
//! **Algorithm.** `m = 2f + 1` multi-slot acceptors ([`acceptor`]: one
//! promise for every slot, per slot the accepted ballot and entry), a log
//! `chosen[k]` of published decisions, per client an announce register and
//! its operations (as in the universal construction), and a failure
//! detector ([`liveness`]: leader word, heartbeat, timeout). Clients take
//! the leader role. Client `me` submitting its `s`-th operation:
//!
//! ```text
//! ops[me][s] := op;  announce[me] := s                      (Release)
//! loop:
//!     learn: apply chosen[cursor], chosen[cursor + 1], ... while published
//!     my operation applied: return the value its replay gave
//!     I lead (the leader word still names my term):
//!         t := next client, round robin, with announce[t] > applied[t]
//!         choose (t, announce[t]) at slot next; next += 1; beat
//!     the detector suspects the leader (or nobody leads):
//!         claim the next term b (one CAS on the leader word: b is unique)
//!         phase 1: prepare(b, cursor) at acceptors until a majority promised,
//!                  each reporting every slot ≥ cursor it holds an entry in
//!         for every slot k from cursor to the last reported one:
//!             choose the highest-ballot reported entry, or a no-op (a gap)
//!         next := that last slot + 1
//!     else wait (yield)
//! choose(e at slot k): accept(b, k, e) at acceptors in order until a
//!     majority accepted (skipping crashed ones; a nack: someone leads at a
//!     higher ballot, step down); then chosen[k] := e  (Release CAS from 0)
//! ```
//!
//! Phase 1 runs once per leader for every future slot; a stable leader then
//! costs one accept per acceptor of a majority per command: with the packed
//! acceptor, 2 read-modify-writes (slot compare&swaps) per command with 3
//! acceptors, plus the publishing compare&swap of `chosen[k]`. Every replica
//! (client) replays the published prefix against the spec, skipping a
//! duplicate (an operation a second leader chose again, never applied twice)
//! and no-ops.
//!
//! **Linearization point**: the moment the entry is chosen (its accept at the
//! majority-th acceptor); the log is the linearization order.
//!
//! **Safety** is Paxos's, per slot: the ballot is the detector's term (unique
//! per leader), a new leader's phase 1 reads every slot it does not know
//! chosen and re-proposes the highest-ballot entry it finds, so a chosen
//! entry is never replaced (the two-word atomicity of phase 1b is argued in
//! [`acceptor`]). A leader that is wrongly suspected and keeps writing gets
//! nacks (or leaves a phantom entry its leader never counted, harmless, see
//! [`acceptor`]). [`broken`] skips phase 1 for a slot and loses a chosen entry.
//!
//! **Reads** ([`Reads`]). By default every operation takes a slot. With
//! [`Reads::Leader`] the leader answers a read-only operation
//! ([`Spec::read_only`]) from its replica, with no slot, once it has
//! *confirmed* its ballot: it loads the promise of acceptors until a
//! majority showed no ballot above its own (a nack: it steps down and the
//! read goes through the log). This is the shared-memory form of a lease
//! (or Raft's read index): the acceptors' promises are the lease's fence. A
//! new leader must promise at a majority before it can choose anything, and
//! that majority meets the confirming one; so either the confirmation sees
//! the higher promise, or the new leader chose nothing before the read's
//! load at the common acceptor, a moment inside the read. The read is
//! linearized there: after every slot the leader applied (all chosen in its
//! own term, or recovered by it), before any slot a newer leader will
//! choose. A confirmed read costs ⌊m/2⌋ + 1 loads and no read-modify-write.
//! [`broken`] keeps the read without a lease (the leader trusts that it still
//! leads): a stale read once another leader took over.
//!
//! **Progress: blocking.** A client waits for the leader to serve it, and a
//! crashed or stalled leader is replaced only after the detector's timeout;
//! with more than f acceptors crashed nothing can be chosen and every client
//! gets [`RsmError::NoQuorum`] (no hang).
//!
//! **Faults** ([`FaultPlan`]): `acceptors` crash after their k-th operation;
//! `leader` faults crash or stall whoever leads at a slot at a
//! [`LeaderStep`](crate::paxos::faults::LeaderStep) (its `submit` then returns
//! [`RsmError::Crashed`], and every later one).

pub mod acceptor;
pub mod broken;
mod client;
pub mod entry;
pub mod liveness;
pub(crate) mod published;
pub mod recovery;

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests;

pub use acceptor::{MultiAcceptor, MutexMulti, PackedMulti};
pub use client::MultiPaxosClient;
pub use liveness::{Detector, Timeout};
pub use recovery::{RecoveryRule, Report};

use super::{LogEntry, Replicated, RsmError, RsmProgress};
use crate::objects::Spec;
use crate::paxos::faults::LeaderFault;
use crate::paxos::FaultPlan;
use crate::sync::{AtomicBool, AtomicUsize, Ordering};
use published::Published;
use std::sync::Arc;

/// How read-only operations are answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub enum Reads {
    /// Every operation, read-only or not, takes a log slot.
    #[default]
    Log,
    /// The leader answers a read-only operation from its replica once a
    /// majority of acceptors confirmed its ballot (the module docs' reads);
    /// any other client, or a leader that could not confirm, goes through
    /// the log.
    Leader,
}

/// How a client answers a read-only operation (the broken one included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadPath {
    /// Through the log.
    Log,
    /// From the leader's replica, after confirming its ballot at a majority.
    Confirmed,
    /// From the replica of a client that led last it knew, with no check at
    /// all ([`broken`]).
    Trusting,
}

impl ReadPath {
    pub(crate) fn of(reads: Reads) -> ReadPath {
        match reads {
            Reads::Log => ReadPath::Log,
            Reads::Leader => ReadPath::Confirmed,
        }
    }
}

/// The parameters of a Multi-Paxos log.
#[derive(Clone, Debug)]
pub struct Config {
    /// Acceptors (2f + 1 tolerate f crashes).
    pub acceptors: usize,
    /// Clients.
    pub clients: usize,
    /// Log slots (fixed).
    pub capacity: usize,
    /// The failure detector's timeout.
    pub timeout: Timeout,
    /// Acceptor crashes (`acceptors`) and leader faults (`leader`).
    pub faults: FaultPlan,
    /// How read-only operations are answered.
    pub reads: Reads,
}

/// An acceptor (or any shared-memory process: a Zab follower region, an
/// EPaxos replica) with its crash point.
#[derive(Debug)]
pub(crate) struct Member<A> {
    pub(crate) acceptor: A,
    crash_after: Option<usize>,
    ops: AtomicUsize,
}

impl<A> Member<A> {
    /// `acceptor`, crashed after its `crash_after`-th operation if given.
    pub(crate) fn new(acceptor: A, crash_after: Option<usize>) -> Self {
        Member { acceptor, crash_after, ops: AtomicUsize::new(0) }
    }

    /// Whether it answers one more operation (a crashed one answers none).
    pub(crate) fn answers(&self) -> bool {
        // Relaxed: a count of this acceptor's operations, nothing published.
        self.crash_after.is_none_or(|k| self.ops.fetch_add(1, Ordering::Relaxed) < k)
    }
}

/// What every client shares.
pub(crate) struct Shared<S: Spec, A> {
    pub(crate) spec: S,
    pub(crate) acceptors: Box<[Member<A>]>,
    pub(crate) detector: Detector,
    /// The announced operations and the published decisions (entries, 0:
    /// not known chosen).
    pub(crate) log: Published<S::Op>,
    pub(crate) faults: Vec<LeaderFault>,
    pub(crate) fired: Box<[AtomicBool]>,
    pub(crate) recovery: RecoveryRule,
    pub(crate) reads: ReadPath,
    /// Counters the clients add when they are dropped (real cores only).
    pub(crate) totals: crate::rsm::tally::Tally<MultiPaxosTotals>,
    /// Leader crash → next command committed (real cores only).
    #[cfg(not(any(loom, shuttle)))]
    pub(crate) failover: liveness::FailoverClock,
}

/// A Multi-Paxos replicated log of `S` over acceptors `A` ([`PackedMulti`] or
/// [`MutexMulti`]).
///
/// ```
/// use consensus_lab::objects::rmw::{WordOp, WordSpec};
/// use consensus_lab::paxos::FaultPlan;
/// use consensus_lab::rsm::multi_paxos::{Config, MultiPaxos, PackedMulti, Reads, Timeout};
/// use consensus_lab::rsm::{Client, Replicated};
/// use std::time::Duration;
///
/// let config = Config {
///     acceptors: 3,
///     clients: 2,
///     capacity: 8,
///     timeout: Timeout::After(Duration::from_millis(1)),
///     faults: FaultPlan::none(),
///     reads: Reads::Log,
/// };
/// let counter = WordSpec { add: true, init: 0 };
/// let mut log = MultiPaxos::<_, PackedMulti>::new(counter, config).unwrap();
/// let [mut a, mut b]: [_; 2] = log.clients().unwrap().try_into().ok().unwrap();
/// std::thread::scope(|s| {
///     s.spawn(move || a.submit(WordOp::Rmw(1)).unwrap());
///     s.spawn(move || b.submit(WordOp::Rmw(1)).unwrap());
/// });
/// assert_eq!(log.log().len(), 2);
/// ```
pub struct MultiPaxos<S: Spec, A> {
    shared: Arc<Shared<S, A>>,
    handed_out: bool,
}

impl<S: Spec, A> std::fmt::Debug for MultiPaxos<S, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiPaxos")
            .field("clients", &self.shared.log.clients())
            .field("acceptors", &self.shared.acceptors.len())
            .field("capacity", &self.shared.log.capacity())
            .finish_non_exhaustive()
    }
}

/// What a run did, summed over the clients (after they were dropped).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MultiPaxosTotals {
    /// Terms claimed (the first leader's included).
    pub takeovers: u64,
    /// Accepts that succeeded.
    pub accepts: u64,
    /// Prepares that promised.
    pub prepares: u64,
    /// Slots chosen by serving an announced operation (not recovery).
    pub commands: u64,
    /// Read-only operations a confirmed leader answered with no slot.
    pub leader_reads: u64,
}

impl crate::rsm::tally::Counts for MultiPaxosTotals {
    fn add(&mut self, o: &Self) {
        self.takeovers += o.takeovers;
        self.accepts += o.accepts;
        self.prepares += o.prepares;
        self.commands += o.commands;
        self.leader_reads += o.leader_reads;
    }
}

impl<S: Spec + Send + Sync + 'static, A: MultiAcceptor> MultiPaxos<S, A>
where
    S::Op: Sync,
{
    /// A log for `config`.
    ///
    /// # Errors
    /// [`RsmError::InvalidConfig`] for no acceptor, client or slot, too many
    /// clients or slots for an entry, or a fault plan naming an acceptor that
    /// does not exist.
    pub fn new(spec: S, config: Config) -> Result<Self, RsmError> {
        let reads = ReadPath::of(config.reads);
        Self::build(spec, config, recovery::highest_ballot, reads)
    }

    /// A log whose new leaders recover with `rule` instead of Paxos's
    /// [`recovery::highest_ballot`] (the exercise "multi-paxos-recovery":
    /// a wrong rule loses chosen entries, and the checks say so).
    ///
    /// # Errors
    /// As [`MultiPaxos::new`].
    pub fn with_recovery_rule(
        spec: S,
        config: Config,
        rule: RecoveryRule,
    ) -> Result<Self, RsmError> {
        let reads = ReadPath::of(config.reads);
        Self::build(spec, config, rule, reads)
    }

    pub(crate) fn build(
        spec: S,
        config: Config,
        recovery: RecoveryRule,
        reads: ReadPath,
    ) -> Result<Self, RsmError> {
        let Config { acceptors, clients, capacity, timeout, faults, reads: _ } = config;
        let bad = |m: String| Err(RsmError::InvalidConfig(m));
        if acceptors == 0 || clients == 0 || capacity == 0 {
            return bad(format!(
                "Multi-Paxos needs at least 1 acceptor, client and slot ({acceptors}, {clients}, \
                 {capacity} requested)"
            ));
        }
        if clients > entry::MAX_CLIENTS {
            return bad(format!("at most {} clients fit a log entry", entry::MAX_CLIENTS));
        }
        if capacity as u64 > entry::MAX_SEQ {
            return bad(format!("at most {} slots fit a log entry", entry::MAX_SEQ));
        }
        faults.validate(acceptors, 0).map_err(RsmError::InvalidConfig)?;
        if let Some(f) = faults.leader.iter().find(|f| f.slot >= capacity) {
            return bad(format!("a leader fault at slot {}, beyond the {capacity} slots", f.slot));
        }
        let members =
            (0..acceptors).map(|i| Member::new(A::new(capacity), faults.acceptor(i))).collect();
        let shared = Shared {
            spec,
            acceptors: members,
            detector: Detector::new(timeout),
            log: Published::new(clients, capacity),
            fired: faults.leader.iter().map(|_| AtomicBool::new(false)).collect(),
            faults: faults.leader,
            recovery,
            reads,
            totals: crate::rsm::tally::Tally::default(),
            #[cfg(not(any(loom, shuttle)))]
            failover: liveness::FailoverClock::default(),
        };
        Ok(MultiPaxos { shared: Arc::new(shared), handed_out: false })
    }

    /// The counters the dropped clients left (real cores; zero in models).
    pub fn totals(&self) -> MultiPaxosTotals {
        self.shared.totals.get()
    }

    /// Every failover's time, leader crash → next command committed (real
    /// cores; empty in models).
    pub fn failover_times(&self) -> Vec<std::time::Duration> {
        #[cfg(not(any(loom, shuttle)))]
        return self.shared.failover.times();
        #[cfg(any(loom, shuttle))]
        return Vec::new();
    }

    /// The published slots that hold a no-op.
    pub fn noops(&self) -> usize {
        self.shared.log.noops()
    }
}

impl<S: Spec + Send + Sync + 'static, A: MultiAcceptor> Replicated for MultiPaxos<S, A>
where
    S::Op: Sync,
{
    type Spec = S;
    type Client = MultiPaxosClient<S, A>;

    fn spec(&self) -> &S {
        &self.shared.spec
    }

    fn clients_count(&self) -> usize {
        self.shared.log.clients()
    }

    fn capacity(&self) -> usize {
        self.shared.log.capacity()
    }

    fn progress(&self) -> RsmProgress {
        RsmProgress::Blocking
    }

    fn clients(&mut self) -> Result<Vec<MultiPaxosClient<S, A>>, RsmError> {
        if std::mem::replace(&mut self.handed_out, true) {
            return Err(RsmError::ClientsHandedOut);
        }
        Ok((0..self.shared.log.clients())
            .map(|me| MultiPaxosClient::new(Arc::clone(&self.shared), me))
            .collect())
    }

    fn log(&self) -> Vec<LogEntry<S::Op>> {
        self.shared.log.entries()
    }
}
