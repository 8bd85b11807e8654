//! EPaxos over shared-memory replica regions: leaderless replication that
//! orders only conflicting commands (the notes' section 3.5; Moraru,
//! Andersen, Kaminsky, SOSP 2013).
//!
//! **Algorithm.** `2F + 1` replica regions ([`replica`]: per instance the
//! promised ballot and the recorded attributes, per key an index of the
//! instances that touched it, behind one mutex), a commit table
//! (`commits`: per instance the committed command and attributes, written
//! once), and per client its announced operations. Every client is the
//! command leader of its own instance space: its `s`-th operation is
//! instance `(me, s)`, and [`OpId`] names both. Its home
//! replica is `me mod (2F + 1)`. Client `me` submitting operation `γ` with
//! footprint `f` ([`Spec::footprint`]: a key, read or written):
//!
//! ```text
//! ops[me][s] := γ                                       (announced, Release)
//! attrs := (seq: prev + 1, deps: {(me, s − 1)})         — its own row first
//! phase 1 — pre-accept, at replicas from home on, until F + ⌊(F + 1)/2⌋
//!           answered (the fast quorum; the home replica is the leader's):
//!     home:   attrs := attrs ∪ conflicts home knows; record (pre-accepted)
//!     others: reply := attrs ∪ conflicts it knows; record (pre-accepted)
//! every reply equals attrs                              — fast path: commit
//! else (some replica knew a conflict home did not)      — slow path:
//!     attrs := union of the replies; accept at a majority (Paxos-accept,
//!     ballot 0: the original leader's); commit
//! commit: commits[(me, s)] := (γ, attrs)                          (Release)
//! execute (instance, and every dependency, transitively):
//!     wait until each is committed; Tarjan's strongly connected components
//!     in dependency order, each component by (seq, instance)   [`execute`]
//! return γ's value from this client's replica
//! ```
//!
//! A fast path costs `F + ⌊(F + 1)/2⌋` region operations (2 of 3, 3 of 5)
//! and one commit; a slow path a majority more. Non-conflicting commands
//! (different keys, or reads of one key) never depend on one another, take
//! the fast path, and execute in any order at different replicas: they
//! commute.
//!
//! **Linearization point**: a command's commit, in the order the
//! dependency graph gives conflicting commands; commuting ones in real
//! time's order (`check::replicated::partial` builds that order and replays
//! it). If `a` returned before `b` was called and they conflict, `b`'s
//! pre-accept quorum meets a replica of `a`'s quorum, so `b` depends on `a`;
//! `a`'s dependencies were all committed before `a` executed, none on `b`,
//! so `a` executes first everywhere.
//!
//! **Agreement** (conflicting commands in one order at every replica): any
//! two conflicting commands' quorums meet at a replica, which saw one before
//! the other and made the second depend on the first (its mutex makes the
//! compute-and-record one step, [`replica`]); the commit carries that
//! dependency (the fast path commits what every fast-quorum replica
//! recorded, the slow path a union over a majority); so every replica's
//! graph has the edge, and the graphs are the same everywhere (they are the
//! commits).
//!
//! **Recovery** ([`recovery`]): a replica that waited for a dependency's
//! commit longer than the timeout takes a higher ballot for it, prepares it
//! at a majority and commits what the paper's rules allow (the leader's
//! attributes if a fast path may have taken them, the accepted ones, the
//! command pre-accepted again, or a no-op; a client whose instance became a
//! no-op proposes its operation again in its next instance). Any F: rule 2
//! takes the leader's attributes only on a majority of witnesses, which
//! the write-once commit table makes enough (no TryPreAccept; see the
//! module's note).
//!
//! **Progress: blocking.** A replica waits for an uncommitted dependency's
//! commit: its leader commits it, or after the timeout the replica recovers
//! it (a command leader never waits before its own commit, so waits form
//! no cycle). With more than F replicas crashed a command gets
//! [`RsmError::NoQuorum`].
//!
//! **Faults** ([`FaultPlan`]): `acceptors` are the
//! replicas, crashed after their k-th operation; `leader` faults crash or
//! stall the first command leader to reach its instance `slot` (from 0) at
//! a step: before its first pre-accept, after a minority pre-accepted (F
//! replicas from the home on, the first that answer; at least 1), or after its
//! quorum recorded the attributes (fast path) or accepted them (slow path)
//! and before the commit.

pub mod broken;
mod client;
mod commits;
mod execute;
pub mod recovery;
pub mod replica;

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests;

pub use client::EpaxosClient;
pub use commits::Committed;

use super::multi_paxos::published::Announced;
use super::multi_paxos::Member;
use super::{LogEntry, LogOrder, OpId, Replicated, RsmError, RsmProgress};
use crate::objects::Spec;
use crate::paxos::faults::LeaderFault;
use crate::paxos::FaultPlan;
use crate::rsm::multi_paxos::Timeout;
use crate::sync::{AtomicUsize, Ordering};
use commits::Commits;
use execute::Learner;
use replica::Replica;
use std::sync::Arc;

/// Most clients (instance rows) an EPaxos object takes.
pub const MAX_CLIENTS: usize = 1 << 16;

/// How an EPaxos object is built.
#[derive(Clone, Debug)]
pub struct Config {
    /// Replicas (2F + 1 tolerate F crashes; an odd number).
    pub replicas: usize,
    /// Clients (command leaders, one instance row each).
    pub clients: usize,
    /// Instances per client (its operations, and their second tries after
    /// a recovery's no-op; fixed).
    pub capacity: usize,
    /// How long a replica waits for a dependency's commit before it
    /// recovers the instance.
    pub timeout: Timeout,
    /// Replica crashes (`acceptors`) and command leader faults (`leader`).
    pub faults: FaultPlan,
}

/// The quorums of `replicas = 2F + 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Quorums {
    /// F + 1.
    pub majority: usize,
    /// F + ⌊(F + 1)/2⌋, the leader's home replica included (at least a
    /// majority: 1 of 1).
    pub fast: usize,
}

impl Quorums {
    /// The quorums of `replicas` (odd).
    pub fn of(replicas: usize) -> Quorums {
        let f = replicas.saturating_sub(1) / 2;
        Quorums { majority: f + 1, fast: (f + f.div_ceil(2)).max(f + 1) }
    }
}

/// How an object is built: the correct protocol, or one broken on purpose
/// ([`broken`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Build {
    /// Commit on the fast path after one replica fewer than the fast quorum
    /// (broken).
    pub(crate) small_fast_quorum: bool,
    /// Execute a component in the order each replica found it, ignoring
    /// sequence numbers (broken).
    pub(crate) unsorted: bool,
    /// How recovery's rule 2 counts (broken: the computing replica's own
    /// record, or the optimized count without TryPreAccept).
    pub(crate) rule2: recovery::Rule2,
}

impl Build {
    pub(crate) const CORRECT: Build =
        Build { small_fast_quorum: false, unsorted: false, rule2: recovery::Rule2::Majority };
}

/// What every client shares.
pub(crate) struct Shared<S: Spec> {
    pub(crate) spec: S,
    pub(crate) replicas: Box<[Member<Replica>]>,
    pub(crate) ops: Announced<S::Op>,
    pub(crate) commits: Commits,
    pub(crate) quorums: Quorums,
    /// The fast path's quorum as built (smaller than `quorums.fast` only in
    /// the broken variant).
    pub(crate) fast: usize,
    /// Components executed unsorted (the broken variant).
    pub(crate) unsorted: bool,
    /// How recovery's rule 2 counts (other than `Majority`: broken).
    pub(crate) rule2: recovery::Rule2,
    pub(crate) timeout: Timeout,
    pub(crate) faults: Vec<LeaderFault>,
    /// Per leader fault: 0 until it strikes, then its leader's client + 1.
    pub(crate) fired: Box<[AtomicUsize]>,
    pub(crate) totals: crate::rsm::tally::Tally<EpaxosTotals>,
}

/// What a run did, summed over the clients (after they were dropped).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct EpaxosTotals {
    /// Commands whose leader reached its commit (its value landed, or a
    /// recovery's landed first and it adopted that); the others a recovery
    /// that fenced their leader out committed.
    pub commands: u64,
    /// Of those, on the fast path.
    pub fast: u64,
    /// On the slow path (an accept round).
    pub slow: u64,
    /// Pre-accepts recorded at replicas.
    pub pre_accepts: u64,
    /// Accepts recorded at replicas.
    pub accepts: u64,
    /// Instances executed, every client's replica together (its own and
    /// the dependencies it executed for them).
    pub executed: u64,
    /// Times a replica found a dependency not committed yet and waited.
    pub waits: u64,
    /// Recovery ballots prepared (explicit prepares).
    pub recoveries: u64,
    /// Operations proposed again after a recovery put a no-op in their
    /// instance.
    pub retries: u64,
}

impl crate::rsm::tally::Counts for EpaxosTotals {
    fn add(&mut self, o: &Self) {
        self.commands += o.commands;
        self.fast += o.fast;
        self.slow += o.slow;
        self.pre_accepts += o.pre_accepts;
        self.accepts += o.accepts;
        self.executed += o.executed;
        self.waits += o.waits;
        self.recoveries += o.recoveries;
        self.retries += o.retries;
    }
}

impl EpaxosTotals {
    /// The share of commands that took the fast path (`None`: none).
    pub fn fast_share(&self) -> Option<f64> {
        (self.commands > 0).then(|| self.fast as f64 / self.commands as f64)
    }

    /// Replica region operations (pre-accepts and accepts) per command.
    pub fn region_ops_per_command(&self) -> Option<f64> {
        (self.commands > 0).then(|| (self.pre_accepts + self.accepts) as f64 / self.commands as f64)
    }
}

/// An EPaxos replicated object of `S`.
///
/// ```
/// use consensus_lab::objects::sequential::{KvOp, KvSpec};
/// use consensus_lab::paxos::FaultPlan;
/// use consensus_lab::rsm::epaxos::{Config, Epaxos};
/// use consensus_lab::rsm::{Client, Replicated};
///
/// use consensus_lab::rsm::multi_paxos::Timeout;
/// use std::time::Duration;
///
/// let config = Config {
///     replicas: 3,
///     clients: 2,
///     capacity: 4,
///     timeout: Timeout::After(Duration::from_millis(10)),
///     faults: FaultPlan::none(),
/// };
/// let mut map = Epaxos::new(KvSpec, config).unwrap();
/// let [mut a, mut b]: [_; 2] = map.clients().unwrap().try_into().ok().unwrap();
/// std::thread::scope(|s| {
///     s.spawn(move || a.submit(KvOp::Put(1, 10)).unwrap()); // key 1
///     s.spawn(move || b.submit(KvOp::Put(2, 20)).unwrap()); // key 2: no conflict
/// });
/// assert_eq!(map.log().len(), 2);
/// assert_eq!(map.totals().fast, 2, "commands that do not conflict take the fast path");
/// ```
pub struct Epaxos<S: Spec> {
    shared: Arc<Shared<S>>,
    handed_out: bool,
}

impl<S: Spec> std::fmt::Debug for Epaxos<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Epaxos")
            .field("clients", &self.shared.ops.clients())
            .field("replicas", &self.shared.replicas.len())
            .field("quorums", &self.shared.quorums)
            .finish_non_exhaustive()
    }
}

impl<S: Spec + Send + Sync + 'static> Epaxos<S>
where
    S::Op: Sync,
{
    /// An object for `config`.
    ///
    /// # Errors
    /// [`RsmError::InvalidConfig`] for no replica, client or instance, an
    /// even number of replicas, too many clients, a fault plan naming a
    /// replica that does not exist, proposer faults, or a leader fault at
    /// an instance beyond the capacity.
    pub fn new(spec: S, config: Config) -> Result<Self, RsmError> {
        Self::build(spec, config, Build::CORRECT)
    }

    pub(crate) fn build(spec: S, config: Config, build: Build) -> Result<Self, RsmError> {
        let Config { replicas, clients, capacity, timeout, faults } = config;
        let bad = |m: String| Err(RsmError::InvalidConfig(m));
        if replicas == 0 || clients == 0 || capacity == 0 {
            return bad(format!(
                "EPaxos needs at least 1 replica, client and instance per client ({replicas}, \
                 {clients}, {capacity} requested)"
            ));
        }
        if replicas % 2 == 0 {
            return bad(format!(
                "EPaxos runs on 2F + 1 replicas (1, 3, 5, ...): {replicas} tolerates no more \
                 crashes than {} and needs larger quorums",
                replicas - 1
            ));
        }
        if clients > MAX_CLIENTS {
            return bad(format!("at most {MAX_CLIENTS} clients (instance rows)"));
        }
        faults.validate(replicas, 0).map_err(RsmError::InvalidConfig)?;
        if !faults.proposers.is_empty() || !faults.stalls.is_empty() {
            return bad("EPaxos's processes are its replicas and its command leaders: \
                 replica crashes (acceptors) and leader faults, not proposer faults"
                .to_string());
        }
        if let Some(f) = faults.leader.iter().find(|f| f.slot >= capacity) {
            return bad(format!(
                "a leader fault at instance {}, beyond the {capacity} instances per client",
                f.slot
            ));
        }
        let quorums = Quorums::of(replicas);
        let fast = if build.small_fast_quorum { quorums.fast - 1 } else { quorums.fast };
        let shared = Shared {
            spec,
            replicas: (0..replicas)
                .map(|i| Member::new(Replica::new(), faults.acceptor(i)))
                .collect(),
            ops: Announced::new(clients, capacity),
            commits: Commits::new(clients, capacity),
            quorums,
            fast,
            unsorted: build.unsorted,
            rule2: build.rule2,
            timeout,
            fired: faults.leader.iter().map(|_| AtomicUsize::new(0)).collect(),
            faults: faults.leader,
            totals: crate::rsm::tally::Tally::default(),
        };
        Ok(Epaxos { shared: Arc::new(shared), handed_out: false })
    }

    /// The counters the dropped clients left (real cores; zero in models).
    pub fn totals(&self) -> EpaxosTotals {
        self.shared.totals.get()
    }

    /// The quorums.
    pub fn quorums(&self) -> Quorums {
        self.shared.quorums
    }

    /// Each leader fault of the plan and the instance it struck (the
    /// crashed or stalled leader's `slot`-th, from 0; `None`: no leader
    /// reached it), in the plan's order. Read after the run (real cores).
    pub fn leader_faults_struck(&self) -> Vec<(LeaderFault, Option<OpId>)> {
        let sh = &self.shared;
        sh.faults
            .iter()
            .zip(sh.fired.iter())
            .map(|(f, who)| {
                // Relaxed: read after the clients' threads were joined.
                let who = who.load(Ordering::Relaxed);
                let id = (who > 0).then(|| OpId { client: who - 1, seq: f.slot as u64 + 1 });
                (*f, id)
            })
            .collect()
    }

    /// What instance `id` committed, if it did.
    pub fn committed(&self, id: OpId) -> Option<Committed> {
        self.shared.commits.get(id)
    }

    /// Replica `i`'s state (tests and reports).
    pub fn replica(&self, i: usize) -> Option<replica::ReplicaState> {
        self.shared.replicas.get(i).map(|m| m.acceptor.snapshot())
    }
}

impl<S: Spec + Send + Sync + 'static> Replicated for Epaxos<S>
where
    S::Op: Sync,
{
    type Spec = S;
    type Client = EpaxosClient<S>;

    fn spec(&self) -> &S {
        &self.shared.spec
    }

    fn clients_count(&self) -> usize {
        self.shared.ops.clients()
    }

    fn capacity(&self) -> usize {
        self.shared.ops.clients() * self.shared.ops.per_client()
    }

    fn progress(&self) -> RsmProgress {
        RsmProgress::Blocking
    }

    fn clients(&mut self) -> Result<Vec<EpaxosClient<S>>, RsmError> {
        if std::mem::replace(&mut self.handed_out, true) {
            return Err(RsmError::ClientsHandedOut);
        }
        Ok((0..self.shared.ops.clients())
            .map(|me| EpaxosClient::new(Arc::clone(&self.shared), me))
            .collect())
    }

    /// A fresh replica's execution of every committed instance whose
    /// dependencies are all committed, row by row.
    fn log(&self) -> Vec<LogEntry<S::Op>> {
        let sh = &*self.shared;
        let rows = sh.ops.clients();
        let mut learner = Learner::new(&sh.spec, rows, sh.unsorted);
        for q in 0..rows {
            for s in 1..=sh.ops.per_client() as u64 {
                let id = OpId { client: q, seq: s };
                if sh.commits.get(id).is_none() {
                    break;
                }
                match learner.execute(&sh.spec, &sh.ops, &sh.commits, id) {
                    Ok(Ok(_)) => {}
                    Ok(Err(_)) | Err(_) => break,
                }
            }
        }
        learner.log().to_vec()
    }

    fn order(&self) -> LogOrder {
        LogOrder::Conflicts
    }
}
