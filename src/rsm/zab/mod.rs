//! Zab over shared-memory follower regions: a replicated log with a leader,
//! epochs, recovery and primary order (the notes' section 3.6; the
//! shared-memory form of Mu and DARE: followers are regions the leader
//! writes into).
//!
//! **Algorithm.** `m = 2f + 1` follower regions ([`follower`]: accepted
//! epoch, current epoch, log of `(zxid, txn)` slots, ack index, behind one
//! mutex), a published log `committed[k]` with a commit index, per client an
//! announce register and its operations (as in Multi-Paxos), and the
//! Paxos-free failure detector of
//! [`multi_paxos::liveness`](crate::rsm::multi_paxos::liveness). Clients
//! take the leader role; a zxid is `epoch ‖ counter` ([`zxid`]). Client `me`
//! submitting its `s`-th operation:
//!
//! ```text
//! ops[me][s] := op;  announce[me] := s                           (Release)
//! loop:
//!     deliver: apply committed[cursor], ... below the commit index
//!     my operation applied: return its value
//!     I lead (the detector still names my epoch):            — broadcast
//!         t := next announced client, round robin
//!         history.push((zxid.next(), (t, announce[t])))
//!         write history into follower regions until a majority acked
//!         commit: committed[k] := txn; commit index := k + 1     (Release)
//!     the detector suspects the leader:                       — recovery
//!         election: claim the next term e (one CAS: e is unique)
//!         discovery: NEWEPOCH(e) at followers until a majority promised
//!             (each refuses e unless e is above every epoch it promised:
//!             this fences every older leader out of it)
//!         history := the highest (current epoch, last zxid) among them
//!         synchronisation: write history at followers until a majority
//!             acked (their logs truncated / extended to it);
//!             commit every slot of it; zxid := (e, 0)
//!     else wait (yield)
//! ```
//!
//! A stable leader costs one region write (lock, append, ack) per follower
//! of a majority per command, plus the publishing compare&swap and the
//! commit index's fetch_max.
//!
//! **Linearization point**: the majority-th follower's acknowledgement of
//! the proposal (the transaction is committed then: every later epoch's
//! discovery quorum meets that majority); the log is the linearization
//! order.
//!
//! **Safety** (Zab's: agreement, total order, primary order, primary
//! integrity). Epochs are unique (the detector's term) and a follower takes
//! no write from an epoch below its promise, atomically with the write (the
//! region's mutex, argued in [`follower`]). A transaction committed in
//! epoch `e` sits in a majority's logs before any of them promises a later
//! epoch `e'`; the leader of `e'` reads a majority, so some answer holds
//! it, and the highest `(current epoch, last zxid)` history contains every
//! committed transaction of every earlier epoch (each follower's log is a
//! prefix of its current epoch's leader's history, and that leader's
//! history extended the highest one it found). So the new leader's history
//! keeps every committed transaction in its place; its own proposals follow
//! (primary order). [`broken`] keeps three violations: a leader elected
//! without the highest history, followers that accept old epochs, and a
//! leader that commits before a majority acknowledged. An audited log
//! ([`Zab::audited`]) records the [`ghost`] state that the checks of Zab's
//! six properties read (`check::replicated::zab_properties`).
//!
//! **Progress: blocking.** A client waits for the leader; a crashed or
//! stalled leader is replaced after the detector's timeout; with more than
//! f followers crashed every client gets [`RsmError::NoQuorum`].
//!
//! **Faults** ([`FaultPlan`](crate::paxos::FaultPlan)): `acceptors` are the followers, crashed after
//! their k-th operation; `leader` faults crash or stall whoever leads at a
//! slot at a step (before broadcast, after a minority acked, after a
//! majority acked before the commit is published).

pub mod broken;
mod client;
pub mod follower;
pub mod ghost;
pub mod zxid;

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests;

pub use client::ZabClient;
pub use zxid::{Zxid, ZxidError};

use super::multi_paxos::liveness::Detector;
use super::multi_paxos::published::Published;
use super::multi_paxos::{entry, Config, Member, Reads};
use super::{LogEntry, Replicated, RsmError, RsmProgress};
use crate::objects::Spec;
use crate::paxos::faults::LeaderFault;
use crate::sync::{AtomicBool, AtomicU64};
use follower::Region;
use std::sync::Arc;

/// A recovery rule: which of the discovery majority's answers (follower
/// states, in the order they answered) a new leader adopts the log of; an
/// index into the answers.
pub type RecoveryRule = fn(&[follower::RegionState]) -> usize;

/// Zab's rule: the answer with the highest `(current epoch, last zxid)`
/// (the last of equals).
pub fn highest_history(answers: &[follower::RegionState]) -> usize {
    answers
        .iter()
        .enumerate()
        .max_by_key(|(_, s)| (s.current_epoch, s.last_zxid()))
        .map_or(0, |(i, _)| i)
}

/// How a new leader picks its history in discovery.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Election {
    /// The highest `(current epoch, last zxid)` among the majority (correct).
    Highest,
    /// The lowest among them (broken: a leader elected without the highest
    /// zxid).
    Lowest,
    /// A rule given by the caller (the exercise "zab-recovery").
    Rule(RecoveryRule),
}

/// How a log is built: the correct protocol, or one broken on purpose
/// ([`broken`]), and whether it records the ghost state ([`ghost`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Build {
    pub(crate) election: Election,
    /// Followers skip the epoch fence (broken).
    pub(crate) unfenced: bool,
    /// The leader commits a proposal after fewer than a majority acked it
    /// (broken: one acknowledgement fewer than a majority).
    pub(crate) early_commit: bool,
    /// Record the ghost state the property checks read.
    pub(crate) audited: bool,
}

impl Build {
    /// The correct protocol.
    pub(crate) const CORRECT: Build =
        Build { election: Election::Highest, unfenced: false, early_commit: false, audited: false };
}

/// What every client shares.
pub(crate) struct Shared<S: Spec> {
    pub(crate) spec: S,
    pub(crate) followers: Box<[Member<Region>]>,
    pub(crate) detector: Detector,
    /// The announced operations and the published commits (entry codes,
    /// 0: not published).
    pub(crate) log: Published<S::Op>,
    /// Slots committed and published (a fetch_max by each leader).
    pub(crate) commit_index: AtomicU64,
    pub(crate) faults: Vec<LeaderFault>,
    pub(crate) fired: Box<[AtomicBool]>,
    pub(crate) election: Election,
    pub(crate) early_commit: bool,
    /// The ghost record (audited logs only).
    pub(crate) ghost: Option<ghost::Recorder>,
    pub(crate) totals: crate::rsm::tally::Tally<ZabTotals>,
    #[cfg(not(any(loom, shuttle)))]
    pub(crate) failover: super::multi_paxos::liveness::FailoverClock,
}

/// A Zab replicated log of `S`.
///
/// ```
/// use consensus_lab::objects::rmw::{WordOp, WordSpec};
/// use consensus_lab::paxos::FaultPlan;
/// use consensus_lab::rsm::multi_paxos::{Config, Reads, Timeout};
/// use consensus_lab::rsm::zab::Zab;
/// use consensus_lab::rsm::{Client, Replicated};
/// use std::time::Duration;
///
/// let config = Config {
///     acceptors: 3, // the followers
///     clients: 2,
///     capacity: 8,
///     timeout: Timeout::After(Duration::from_millis(1)),
///     faults: FaultPlan::none(),
///     reads: Reads::Log, // Zab orders every operation in its log
/// };
/// let mut log = Zab::new(WordSpec { add: true, init: 0 }, config).unwrap();
/// let [mut a, mut b]: [_; 2] = log.clients().unwrap().try_into().ok().unwrap();
/// std::thread::scope(|s| {
///     s.spawn(move || a.submit(WordOp::Rmw(1)).unwrap());
///     s.spawn(move || b.submit(WordOp::Rmw(1)).unwrap());
/// });
/// assert_eq!(log.log().len(), 2);
/// ```
pub struct Zab<S: Spec> {
    shared: Arc<Shared<S>>,
    handed_out: bool,
}

impl<S: Spec> std::fmt::Debug for Zab<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Zab")
            .field("clients", &self.shared.log.clients())
            .field("followers", &self.shared.followers.len())
            .field("capacity", &self.shared.log.capacity())
            .finish_non_exhaustive()
    }
}

/// What a run did, summed over the clients (after they were dropped).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ZabTotals {
    /// Epochs begun (discovery done; the first leader's included).
    pub epochs: u64,
    /// Follower region writes acknowledged (synchronisation and broadcast).
    pub writes: u64,
    /// Of [`writes`](ZabTotals::writes), those of synchronisation (a new
    /// leader's history, the first leader's empty one included): the rest,
    /// `writes - sync_writes`, are broadcast's, one per follower of a
    /// majority per command.
    pub sync_writes: u64,
    /// Transactions committed by broadcast (not recovery).
    pub commands: u64,
}

impl crate::rsm::tally::Counts for ZabTotals {
    fn add(&mut self, o: &Self) {
        self.epochs += o.epochs;
        self.writes += o.writes;
        self.sync_writes += o.sync_writes;
        self.commands += o.commands;
    }
}

impl<S: Spec + Send + Sync + 'static> Zab<S>
where
    S::Op: Sync,
{
    /// A log for `config` (`config.acceptors` followers).
    ///
    /// # Errors
    /// [`RsmError::InvalidConfig`] for no follower, client or slot, too many
    /// clients or slots for an entry, or a fault plan naming a follower that
    /// does not exist.
    pub fn new(spec: S, config: Config) -> Result<Self, RsmError> {
        Self::build(spec, config, Build::CORRECT)
    }

    /// A log for `config` that also records what every process delivered
    /// and every primary broadcast ([`ghost`]; read with [`Zab::ghost`]),
    /// for checking Zab's properties directly. The models and the stress
    /// runs use it; it costs one uncontended lock per submit per client.
    ///
    /// # Errors
    /// As [`Zab::new`].
    pub fn audited(spec: S, config: Config) -> Result<Self, RsmError> {
        Self::build(spec, config, Build { audited: true, ..Build::CORRECT })
    }

    /// An audited log whose new leaders adopt the history `rule` picks
    /// (correct only if it picks as [`highest_history`] does; the exercise
    /// "zab-recovery" plugs the student's rule in here). A rule that picks
    /// an answer that does not exist makes the leader's submit fail with
    /// [`RsmError::InvalidConfig`].
    ///
    /// # Errors
    /// As [`Zab::new`].
    pub fn with_recovery_rule(
        spec: S,
        config: Config,
        rule: RecoveryRule,
    ) -> Result<Self, RsmError> {
        Self::build(
            spec,
            config,
            Build { election: Election::Rule(rule), audited: true, ..Build::CORRECT },
        )
    }

    pub(crate) fn build(spec: S, config: Config, build: Build) -> Result<Self, RsmError> {
        let Config { acceptors, clients, capacity, timeout, faults, reads } = config;
        let bad = |m: String| Err(RsmError::InvalidConfig(m));
        if reads != Reads::Log {
            return bad("Zab orders every operation in its log: confirmed leader reads are \
                 Multi-Paxos's (reads: Log here)"
                .to_string());
        }
        if acceptors == 0 || clients == 0 || capacity == 0 {
            return bad(format!(
                "Zab needs at least 1 follower, client and slot ({acceptors}, {clients}, \
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
        let followers = (0..acceptors)
            .map(|i| Member::new(Region::new(build.unfenced), faults.acceptor(i)))
            .collect();
        let shared = Shared {
            spec,
            followers,
            detector: Detector::new(timeout),
            log: Published::new(clients, capacity),
            commit_index: AtomicU64::new(0),
            fired: faults.leader.iter().map(|_| AtomicBool::new(false)).collect(),
            faults: faults.leader,
            election: build.election,
            early_commit: build.early_commit,
            ghost: build.audited.then(|| ghost::Recorder::new(clients, capacity)),
            totals: crate::rsm::tally::Tally::default(),
            #[cfg(not(any(loom, shuttle)))]
            failover: super::multi_paxos::liveness::FailoverClock::default(),
        };
        Ok(Zab { shared: Arc::new(shared), handed_out: false })
    }

    /// The counters the dropped clients left (real cores; zero in models).
    pub fn totals(&self) -> ZabTotals {
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

    /// What every process delivered and every primary broadcast, read after
    /// the run (`None` unless the log is [`audited`](Zab::audited)).
    pub fn ghost(&self) -> Option<ghost::ZabGhost> {
        self.shared.ghost.as_ref().map(ghost::Recorder::snapshot)
    }

    /// Follower `i`'s region state (tests and reports).
    pub fn follower(&self, i: usize) -> Option<follower::RegionState> {
        self.shared.followers.get(i).map(|m| m.acceptor.snapshot())
    }
}

impl<S: Spec + Send + Sync + 'static> Replicated for Zab<S>
where
    S::Op: Sync,
{
    type Spec = S;
    type Client = ZabClient<S>;

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

    fn clients(&mut self) -> Result<Vec<ZabClient<S>>, RsmError> {
        if std::mem::replace(&mut self.handed_out, true) {
            return Err(RsmError::ClientsHandedOut);
        }
        Ok((0..self.shared.log.clients())
            .map(|me| ZabClient::new(Arc::clone(&self.shared), me))
            .collect())
    }

    fn log(&self) -> Vec<LogEntry<S::Op>> {
        self.shared.log.entries()
    }
}
