//! The objects `conlab rsm` offers, each a sequential specification made
//! concurrent by the universal construction, with a seeded operation mix, and
//! a judged stress run of any of them over any rule and slot protocol.
//!
//! **The objects** ([`RsmObject`]): `counter` (fetch&add by 1, and reads),
//! `register` (writes and reads), `queue` (FIFO), `stack` (LIFO) and `kv` (a
//! map over [`KV_KEYS`] keys). Every value an operation writes is
//! [`value`]`(t, k)`, unique per client `t` and operation `k`, so a history
//! says which write a read saw and the checker has one candidate per value.
//! The queue and the stack take two removals per insertion (on average), which
//! keeps them short: the order of two concurrent insertions is only settled
//! when their values come out, and a long queue makes the linearizability
//! search carry every unsettled order (`check::workload` does the same for
//! `run --object queue`).
//!
//! **The mix is reproducible** as `run --object`'s is: `seed` seeds one
//! [`fastrand::Rng`], which draws one seed per client, and client `t`'s `k`-th
//! operation is [`ObjectWorkload::sample`]`(t, k, r)` with the `k`-th number
//! `r` of its own generator. [`operations`] draws every client's operations
//! before the run, so no random number is drawn in the measured loop; the
//! same seed gives the same operations (not the same interleaving: that is
//! the cores').
//!
//! **The conflict-rate workload** ([`Mix::Conflict`], `--conflict p`, the
//! EPaxos paper's): on the key-value map each operation touches the hot key
//! ([`HOT_KEY`]) with probability `p`, else its client's own key
//! ([`private_key`]), drawn from the same per-client generators (the same
//! seed, the same operations). The other objects have no keys (every write
//! conflicts with every other): a rate is refused for them.
//! [`stress_replicated`] runs any object over any replicated log
//! (Multi-Paxos and Zab with room for no-ops, [`log_room`]; EPaxos with its
//! replicas' [`Config`](EpaxosConfig) built in one place, [`epaxos_config`]).
//!
//! **Monomorphized, not boxed**: [`RsmObject::visit`] calls a
//! [`VisitObject`] back with the object's spec type, as
//! [`registry::Visit`](crate::registry::Visit) does with a protocol's type;
//! [`stress`] is then plain generic code over the spec, the slot protocol and
//! the rule, with no virtual call in the measured path.

use super::stress::{self as replicated_stress, StressError, StressFailure, StressReport};
use super::Audit;
use crate::consensus::{ConsensusError, IdConsensus};
use crate::objects::queue::{QueueOp, QueueSpec};
use crate::objects::register::{RegisterOp, RegisterSpec};
use crate::objects::rmw::{WordOp, WordSpec};
use crate::objects::sequential::{KvOp, KvSpec, StackOp, StackSpec};
use crate::objects::Spec;
use crate::rsm::epaxos::Config as EpaxosConfig;
use crate::rsm::universal::{Rules, Universal};
use crate::rsm::{Replicated, RsmError};
use std::fmt;
use std::str::FromStr;

/// The most operations one run may ask for (a run holds every operation
/// twice: its client's operation row in the object, and the history).
pub const MAX_OPS: usize = 10_000_000;

/// The most `clients × capacity` operation cells one object may allocate:
/// every client of the universal construction has a row of `capacity` cells
/// for its operations.
pub const MAX_OP_CELLS: usize = 64_000_000;

/// Keys of the `kv` object.
pub const KV_KEYS: usize = 4;

/// The value client `t` writes in its `k`-th operation: unique per `(t, k)`
/// for `k <` [`MAX_OPS`].
pub fn value(t: usize, k: usize) -> usize {
    t * MAX_OPS + k + 1
}

/// A sequential specification `conlab rsm` can make concurrent and drive.
pub trait ObjectWorkload: Spec + Send + Sync + 'static
where
    Self::Op: Sync,
{
    /// Its name on the command line.
    const NAME: &'static str;
    /// The specification, in its initial state.
    fn fresh() -> Self;
    /// Operation `k` of client `t`, from a random number `rnd`.
    fn sample(t: usize, k: usize, rnd: u64) -> Self::Op;
    /// Operation `k` of client `t` in the conflict-rate workload
    /// ([`Mix::Conflict`]): `None` for an object without keys (the default),
    /// whose writes all conflict, so a rate means nothing.
    fn sample_conflict(t: usize, k: usize, rnd: u64, p: f64) -> Option<Self::Op> {
        let _ = (t, k, rnd, p);
        None
    }
}

impl ObjectWorkload for WordSpec {
    const NAME: &'static str = "counter";
    fn fresh() -> Self {
        WordSpec { add: true, init: 0 }
    }
    fn sample(_t: usize, _k: usize, rnd: u64) -> WordOp {
        // Increments return distinct values (the count before them): unique
        // without a unique argument.
        if rnd % 4 == 0 {
            WordOp::Read
        } else {
            WordOp::Rmw(1)
        }
    }
}

impl ObjectWorkload for RegisterSpec {
    const NAME: &'static str = "register";
    fn fresh() -> Self {
        RegisterSpec { init: 0 }
    }
    fn sample(t: usize, k: usize, rnd: u64) -> RegisterOp {
        if rnd % 2 == 0 {
            RegisterOp::Read
        } else {
            RegisterOp::Write(value(t, k))
        }
    }
}

impl ObjectWorkload for QueueSpec {
    const NAME: &'static str = "queue";
    fn fresh() -> Self {
        QueueSpec::default()
    }
    fn sample(t: usize, k: usize, rnd: u64) -> QueueOp {
        if rnd % 3 == 0 {
            QueueOp::Enq(value(t, k))
        } else {
            QueueOp::Deq
        }
    }
}

impl ObjectWorkload for StackSpec {
    const NAME: &'static str = "stack";
    fn fresh() -> Self {
        StackSpec
    }
    fn sample(t: usize, k: usize, rnd: u64) -> StackOp {
        if rnd % 3 == 0 {
            StackOp::Push(value(t, k))
        } else {
            StackOp::Pop
        }
    }
}

impl ObjectWorkload for KvSpec {
    const NAME: &'static str = "kv";
    fn fresh() -> Self {
        KvSpec
    }
    fn sample(t: usize, k: usize, rnd: u64) -> KvOp {
        let key = (rnd as usize >> 4) % KV_KEYS;
        match rnd % 4 {
            0 | 1 => KvOp::Get(key),
            2 => KvOp::Put(key, value(t, k)),
            _ => KvOp::Remove(key),
        }
    }
    fn sample_conflict(t: usize, k: usize, rnd: u64, p: f64) -> Option<KvOp> {
        // The top 53 bits as a uniform number in [0, 1): below p, the hot
        // key; else the client's own. The low bits pick the kind, as above.
        let u = (rnd >> 11) as f64 / (1u64 << 53) as f64;
        let key = if u < p { HOT_KEY } else { private_key(t) };
        Some(match rnd % 4 {
            0 | 1 => KvOp::Get(key),
            2 => KvOp::Put(key, value(t, k)),
            _ => KvOp::Remove(key),
        })
    }
}

/// The key every client shares in the conflict-rate workload.
pub const HOT_KEY: usize = 0;

/// The key private to client `t` in the conflict-rate workload (no other
/// client touches it).
pub fn private_key(t: usize) -> usize {
    1 + t
}

/// Which operations a run draws.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mix {
    /// The object's own mix ([`ObjectWorkload::sample`]).
    #[default]
    Object,
    /// The EPaxos paper's conflict-rate workload (`--conflict p`, the
    /// key-value map only): each operation touches the shared hot key
    /// ([`HOT_KEY`]) with probability `p`, else a key private to its client
    /// ([`private_key`]); the kind (get, put, remove) drawn as the object's
    /// mix draws it. Two gets of the hot key commute: the share of
    /// conflicting pairs is below `p` unless every operation writes.
    Conflict(f64),
}

impl Mix {
    /// Refuses a rate outside `[0, 1]` or a conflict rate for an object
    /// without keys.
    ///
    /// # Errors
    /// [`RsmError::InvalidConfig`] saying why.
    pub fn check(self, object: RsmObject) -> Result<(), RsmError> {
        let Mix::Conflict(p) = self else { return Ok(()) };
        conflict_rate(p)?;
        if object != RsmObject::Kv {
            return Err(no_keys(object.name()));
        }
        Ok(())
    }
}

/// A runner that needs an object's spec type: [`RsmObject::visit`] calls
/// [`visit`](Self::visit) with it.
pub trait VisitObject {
    /// What the visit returns.
    type Output;

    /// Runs with object `S`.
    fn visit<S: ObjectWorkload>(self) -> Self::Output
    where
        S::Op: Sync;
}

/// The objects of `conlab rsm --object`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RsmObject {
    /// A fetch&add counter: increments by 1 and reads.
    Counter,
    /// A read/write register.
    Register,
    /// A FIFO queue.
    Queue,
    /// A LIFO stack.
    Stack,
    /// A map of [`KV_KEYS`] keys: gets, puts, removes.
    Kv,
}

impl RsmObject {
    /// Every object, in the order the CLI lists them.
    pub const ALL: [RsmObject; 5] = [
        RsmObject::Counter,
        RsmObject::Register,
        RsmObject::Queue,
        RsmObject::Stack,
        RsmObject::Kv,
    ];

    /// Calls `v` back with the object's spec type.
    pub fn visit<V: VisitObject>(self, v: V) -> V::Output {
        match self {
            RsmObject::Counter => v.visit::<WordSpec>(),
            RsmObject::Register => v.visit::<RegisterSpec>(),
            RsmObject::Queue => v.visit::<QueueSpec>(),
            RsmObject::Stack => v.visit::<StackSpec>(),
            RsmObject::Kv => v.visit::<KvSpec>(),
        }
    }

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        struct Name;
        impl VisitObject for Name {
            type Output = &'static str;
            fn visit<S: ObjectWorkload>(self) -> &'static str
            where
                S::Op: Sync,
            {
                S::NAME
            }
        }
        self.visit(Name)
    }

    /// Every name, for messages and help: `counter, register, queue, stack, kv`.
    pub fn names() -> String {
        RsmObject::ALL.map(RsmObject::name).join(", ")
    }
}

impl fmt::Display for RsmObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no [`RsmObject`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown object '{0}' ({names})", names = RsmObject::names())]
pub struct UnknownObject(pub String);

impl FromStr for RsmObject {
    type Err = UnknownObject;
    fn from_str(s: &str) -> Result<Self, UnknownObject> {
        RsmObject::ALL.into_iter().find(|o| o.name() == s).ok_or_else(|| UnknownObject(s.into()))
    }
}

/// Every client's operations, `result[t][k]` client `t`'s `k`-th, drawn from
/// `seed` (the module docs' scheme).
pub fn operations<S: ObjectWorkload>(
    clients: usize,
    per_client: usize,
    seed: u64,
) -> Vec<Vec<S::Op>>
where
    S::Op: Sync,
{
    let mut seeds = fastrand::Rng::with_seed(seed);
    let seeds: Vec<u64> = (0..clients).map(|_| seeds.u64(..)).collect();
    seeds
        .into_iter()
        .enumerate()
        .map(|(t, s)| {
            let mut rng = fastrand::Rng::with_seed(s);
            (0..per_client).map(|k| S::sample(t, k, rng.u64(..))).collect()
        })
        .collect()
}

fn conflict_rate(p: f64) -> Result<(), RsmError> {
    if (0.0..=1.0).contains(&p) {
        return Ok(());
    }
    Err(RsmError::InvalidConfig(format!("--conflict is a probability from 0 to 1 ({p} given)")))
}

fn no_keys(object: &str) -> RsmError {
    RsmError::InvalidConfig(format!(
        "--conflict is for --object kv: a {object} has no keys, every write of it conflicts \
         with every other (a conflict rate of 1), so there is no rate to set"
    ))
}

/// Every client's operations under `mix` (the module docs' scheme: the
/// same seed, the same operations).
///
/// # Errors
/// [`RsmError::InvalidConfig`] for a conflict rate outside `[0, 1]` or on an
/// object without keys.
pub fn operations_mixed<S: ObjectWorkload>(
    clients: usize,
    per_client: usize,
    seed: u64,
    mix: Mix,
) -> Result<Vec<Vec<S::Op>>, RsmError>
where
    S::Op: Sync,
{
    let Mix::Conflict(p) = mix else { return Ok(operations::<S>(clients, per_client, seed)) };
    conflict_rate(p)?;
    if S::sample_conflict(0, 0, 0, p).is_none() {
        return Err(no_keys(S::NAME));
    }
    let mut seeds = fastrand::Rng::with_seed(seed);
    let seeds: Vec<u64> = (0..clients).map(|_| seeds.u64(..)).collect();
    seeds
        .into_iter()
        .enumerate()
        .map(|(t, s)| {
            let mut rng = fastrand::Rng::with_seed(s);
            (0..per_client)
                .map(|k| S::sample_conflict(t, k, rng.u64(..), p))
                .collect::<Option<Vec<_>>>()
        })
        .collect::<Option<_>>()
        .ok_or_else(|| no_keys(S::NAME))
}

/// Checks the size of a run of `ops` operations in all by `clients` clients
/// before anything is allocated.
///
/// # Errors
/// [`RsmError::InvalidConfig`] for zero clients, fewer operations than
/// clients, more than [`MAX_OPS`] operations, or more than [`MAX_OP_CELLS`]
/// operation cells (`clients × ops`).
pub fn check_size(clients: usize, ops: usize) -> Result<(), RsmError> {
    let bad = |m: String| Err(RsmError::InvalidConfig(m));
    if clients == 0 {
        return bad("a run needs at least 1 client".into());
    }
    if ops < clients {
        return bad(format!(
            "{ops} operations cannot give each of the {clients} clients one (at least {clients})"
        ));
    }
    if ops > MAX_OPS {
        return bad(format!("at most {MAX_OPS} operations per run ({ops} requested)"));
    }
    if clients.saturating_mul(ops) > MAX_OP_CELLS {
        return bad(format!(
            "{clients} clients × {ops} operations is {} operation cells, above the {MAX_OP_CELLS} \
             one object may allocate (every client has a row of capacity cells): fewer \
             operations or clients",
            clients.saturating_mul(ops)
        ));
    }
    Ok(())
}

/// Why a [`stress`] run did not give a verdict.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// The object could not be built (size, slots).
    #[error(transparent)]
    Build(#[from] RsmError),
    /// The run could not be made.
    #[error(transparent)]
    Run(#[from] StressError),
}

/// A judged stress run of object `S` over the universal construction with
/// rule `R` and slots `slot()`: `clients` clients, `ops` operations in all
/// (`ops / clients` each; the log's capacity is `ops`), drawn from `seed`.
///
/// # Errors
/// [`WorkloadError`] if the run could not be made; `Ok(Err(_))` is a run that
/// was made and violated a property.
pub fn stress<S, C, R>(
    clients: usize,
    ops: usize,
    seed: u64,
    slot: impl FnMut() -> Result<C, ConsensusError>,
) -> Result<Result<StressReport, StressFailure>, WorkloadError>
where
    S: ObjectWorkload,
    S::Op: Sync,
    C: IdConsensus + Send + Sync + 'static,
    R: Rules,
{
    let build = |_| Universal::<S, C, R>::new(S::fresh(), clients, ops, slot);
    let run = stress_replicated(clients, ops, (seed, Mix::Object), build, |_| Ok(Vec::new()))?;
    Ok(run.outcome)
}

/// What a judged run left: the verdict and the object it ran on, whose
/// counters and state the caller reports (`MultiPaxos::totals`,
/// `Zab::failover_times`, `Epaxos::committed`, ...).
#[derive(Debug)]
pub struct Judged<O> {
    /// The judged run (a no-quorum error is a [`RsmViolation::Error`](super::RsmViolation::Error)).
    pub outcome: Result<StressReport, StressFailure>,
    /// The object, after every client was dropped.
    pub object: O,
}

/// Room in a leader's log for `ops` operations by `clients` clients under
/// `faults`: `ops` plus a sixteenth (at least 64 slots), one per client and
/// two per leader fault, for no-ops and duplicates (each takeover may add a
/// few). Multi-Paxos's and Zab's `Config::capacity` in a judged run.
pub fn log_room(ops: usize, clients: usize, faults: &crate::paxos::FaultPlan) -> usize {
    ops + clients + 2 * faults.leader.len() + (ops / 16).max(64)
}

/// A judged stress run of any replicated object `O`: `clients` clients,
/// `ops` operations in all (`ops / clients` each, a remainder dropped), drawn
/// from `seed` under `mix`; the object is `build(ops / clients)` (Multi-Paxos
/// and Zab with [`log_room`], EPaxos with [`epaxos_config`]), its run checked
/// by `audit` (Zab's properties; `|_| Ok(Vec::new())` for none) and then
/// judged (the partial-order judge for an object of
/// [`LogOrder::Conflicts`](crate::rsm::LogOrder::Conflicts)).
///
/// # Errors
/// [`WorkloadError`] if the run could not be made: sizes, a mix the object
/// refuses, an object `build` refused (its [`RsmError`]) or one with other
/// than `clients` clients. `Ok` with an `Err` outcome is a run that was made
/// and violated a property.
pub fn stress_replicated<O>(
    clients: usize,
    ops: usize,
    (seed, mix): (u64, Mix),
    build: impl FnOnce(usize) -> Result<O, RsmError>,
    audit: Audit<O>,
) -> Result<Judged<O>, WorkloadError>
where
    O: Replicated,
    O::Spec: ObjectWorkload,
    <O::Spec as Spec>::Op: Sync,
{
    check_size(clients, ops)?;
    let per = ops / clients;
    let mix = operations_mixed::<O::Spec>(clients, per, seed, mix)?;
    let mut object = build(per)?;
    if object.clients_count() != clients {
        return Err(WorkloadError::Build(RsmError::InvalidConfig(format!(
            "the object has {} clients, the run {clients}",
            object.clients_count()
        ))));
    }
    let outcome =
        replicated_stress::run_audited(&mut object, per, |t, k| mix[t][k].clone(), audit)?;
    Ok(Judged { outcome, object })
}

/// The one place an EPaxos [`Config`](EpaxosConfig) is built (`conlab rsm
/// --impl epaxos`, its judged runs and `bench::epaxos` all call it):
/// `replicas` replicas (2F + 1), `clients` command leaders of `capacity`
/// operations each, `faults` (replica crashes and command leader faults).
pub fn epaxos_config(
    replicas: usize,
    clients: usize,
    capacity: usize,
    faults: crate::paxos::FaultPlan,
) -> EpaxosConfig {
    // Room for a second try of each operation (after a recovery's no-op);
    // a replica recovers a dependency it waited 1 ms for.
    EpaxosConfig {
        replicas,
        clients,
        capacity: capacity.saturating_mul(2),
        timeout: crate::rsm::multi_paxos::Timeout::After(std::time::Duration::from_millis(1)),
        faults,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::cas::CasConsensus;
    use crate::rsm::epaxos::{Epaxos, EpaxosTotals};
    use crate::rsm::multi_paxos::{
        Config as MultiPaxosConfig, MultiAcceptor, MultiPaxos, MultiPaxosTotals,
    };
    use crate::rsm::universal::{Helping, NoHelping};
    use std::collections::HashSet;
    use std::time::Duration;

    #[test]
    fn names_parse_and_unknown_ones_are_refused_with_the_list() {
        for o in RsmObject::ALL {
            assert_eq!(o.name().parse::<RsmObject>(), Ok(o));
        }
        assert_eq!(RsmObject::names(), "counter, register, queue, stack, kv");
        let e = "x".parse::<RsmObject>().unwrap_err().to_string();
        assert_eq!(e, "unknown object 'x' (counter, register, queue, stack, kv)");
    }

    /// The mix of every object, client by client, in `Debug` form.
    fn mix(o: RsmObject, seed: u64) -> Vec<Vec<String>> {
        struct Mix(u64);
        impl VisitObject for Mix {
            type Output = Vec<Vec<String>>;
            fn visit<S: ObjectWorkload>(self) -> Self::Output
            where
                S::Op: Sync,
            {
                let ops = operations::<S>(3, 200, self.0);
                ops.iter().map(|c| c.iter().map(|op| format!("{op:?}")).collect()).collect()
            }
        }
        o.visit(Mix(seed))
    }

    #[test]
    fn the_seeded_mix_is_reproducible_and_the_seed_matters() {
        for o in RsmObject::ALL {
            assert_eq!(mix(o, 7), mix(o, 7), "{o}");
            assert_ne!(mix(o, 7), mix(o, 8), "{o}");
            let m = mix(o, 7);
            assert_eq!((m.len(), m[0].len()), (3, 200));
            assert_ne!(m[0], m[1], "{o}: clients draw from their own generators");
        }
    }

    /// Every value the operations of `S` write, from `written(op)`.
    fn written<S: ObjectWorkload>(seed: u64, w: fn(&S::Op) -> Option<usize>) -> Vec<usize>
    where
        S::Op: Sync,
    {
        operations::<S>(4, 500, seed).iter().flatten().filter_map(w).collect()
    }

    #[test]
    fn written_values_are_unique_per_client_and_operation() {
        for seed in [3, 9] {
            let all = [
                written::<RegisterSpec>(seed, |o| match o {
                    RegisterOp::Write(v) => Some(*v),
                    RegisterOp::Read => None,
                }),
                written::<QueueSpec>(seed, |o| match o {
                    QueueOp::Enq(v) => Some(*v),
                    QueueOp::Deq => None,
                }),
                written::<StackSpec>(seed, |o| match o {
                    StackOp::Push(v) => Some(*v),
                    StackOp::Pop => None,
                }),
                written::<KvSpec>(seed, |o| match o {
                    KvOp::Put(_, v) => Some(*v),
                    _ => None,
                }),
            ];
            for values in all {
                assert!(values.len() > 300, "the mix writes: {}", values.len());
                let distinct: HashSet<usize> = values.iter().copied().collect();
                assert_eq!(distinct.len(), values.len(), "a value written twice");
                assert!(!distinct.contains(&0), "no write of the initial 0");
            }
        }
        assert_eq!(value(1, 0), MAX_OPS + 1);
        assert_ne!(value(0, MAX_OPS - 1), value(1, 0));
    }

    #[test]
    fn sizes_are_checked_before_anything_is_allocated() {
        let e = |c, o| check_size(c, o).unwrap_err().to_string();
        assert!(e(0, 10).contains("at least 1 client"));
        assert!(e(4, 3).contains("at least 4"));
        assert!(e(1, MAX_OPS + 1).contains("at most 10000000 operations"));
        assert!(e(64, MAX_OPS).contains("operation cells"));
        assert!(check_size(4, 100_000).is_ok());
    }

    #[test]
    fn every_object_runs_judged_over_both_rules() {
        let cas = || Ok(CasConsensus::new(3));
        struct Run;
        impl VisitObject for Run {
            type Output = (StressReport, StressReport);
            fn visit<S: ObjectWorkload>(self) -> Self::Output
            where
                S::Op: Sync,
            {
                let cas = || Ok(CasConsensus::new(3));
                let wf = stress::<S, _, Helping>(3, 600, 1, cas).unwrap().unwrap();
                let lf = stress::<S, _, NoHelping>(3, 600, 1, cas).unwrap().unwrap();
                (wf, lf)
            }
        }
        for o in RsmObject::ALL {
            let (wf, lf) = o.visit(Run);
            assert_eq!((wf.ops, lf.ops), (600, 600), "{o}");
            assert_eq!(wf.log_len, 600, "{o}: one cell per operation");
            assert!(wf.max_cells.iter().all(|&c| c <= 4), "{o}: {wf:?}");
        }
        // 601 operations over 3 clients: 200 each, capacity 601.
        let r = stress::<QueueSpec, _, Helping>(3, 601, 2, cas).unwrap().unwrap();
        assert_eq!(r.ops, 600);
        let e = stress::<QueueSpec, _, Helping>(4, 40, 2, cas).unwrap_err().to_string();
        assert!(e.contains("serves 3 threads"), "{e}");
    }
    /// A judged Multi-Paxos run's outcome, totals and failovers.
    type MultiPaxosJudged = (Result<StressReport, StressFailure>, MultiPaxosTotals, usize);

    fn multi_paxos<S: ObjectWorkload, A: MultiAcceptor>(
        mut config: MultiPaxosConfig,
        ops: usize,
        seed: u64,
    ) -> MultiPaxosJudged
    where
        S::Op: Sync,
    {
        let clients = config.clients;
        config.capacity = log_room(ops, clients, &config.faults);
        let build = |_| MultiPaxos::<S, A>::new(S::fresh(), config);
        let run = stress_replicated(clients, ops, (seed, Mix::Object), build, |_| Ok(Vec::new()));
        let Judged { outcome, object } = run.unwrap();
        (outcome, object.totals(), object.failover_times().len())
    }

    fn epaxos<S: ObjectWorkload>(
        (replicas, clients): (usize, usize),
        ops: usize,
        (seed, mix): (u64, Mix),
        faults: crate::paxos::FaultPlan,
    ) -> (Result<StressReport, StressFailure>, EpaxosTotals)
    where
        S::Op: Sync,
    {
        let build =
            |per| Epaxos::<S>::new(S::fresh(), epaxos_config(replicas, clients, per, faults));
        let run = stress_replicated(clients, ops, (seed, mix), build, |_| Ok(Vec::new())).unwrap();
        (run.outcome, run.object.totals())
    }

    #[test]
    fn every_object_runs_judged_over_multi_paxos_with_crashes_and_a_stall() {
        use crate::paxos::faults::{LeaderFault, LeaderStep};
        use crate::paxos::Crash;
        use crate::rsm::multi_paxos::{MutexMulti, PackedMulti, Timeout};
        struct Run(usize);
        impl VisitObject for Run {
            type Output = (MultiPaxosJudged, MultiPaxosJudged);
            fn visit<S: ObjectWorkload>(self) -> Self::Output
            where
                S::Op: Sync,
            {
                let fault = |slot, step, stall| LeaderFault { slot, step, stall };
                let config = MultiPaxosConfig {
                    acceptors: 5,
                    clients: 3,
                    capacity: 0,
                    timeout: Timeout::After(std::time::Duration::from_micros(300)),
                    faults: crate::paxos::FaultPlan {
                        acceptors: vec![Crash { who: 1, after: 40 }, Crash { who: 4, after: 0 }],
                        leader: vec![
                            fault(self.0, LeaderStep::AfterMinority, None),
                            fault(300, LeaderStep::BeforePublish, Some(Duration::from_millis(2))),
                        ],
                        ..crate::paxos::FaultPlan::default()
                    },
                    reads: crate::rsm::multi_paxos::Reads::Log,
                };
                let packed = multi_paxos::<S, PackedMulti>(config.clone(), 600, 1);
                let mutex = multi_paxos::<S, MutexMulti>(config, 600, 2);
                (packed, mutex)
            }
        }
        for (i, o) in RsmObject::ALL.into_iter().enumerate() {
            let (packed, mutex) = o.visit(Run(50 + 37 * i));
            for (outcome, totals, failovers) in [packed, mutex] {
                let r = outcome.unwrap_or_else(|f| panic!("{o}: {f}"));
                // The crashed client stops: 200 operations each for the others,
                // fewer for it.
                assert!((400..600).contains(&r.ops), "{o}: {r:?}");
                assert!(totals.takeovers >= 2, "{o}: {totals:?}");
                assert_eq!(failovers, 1, "{o}");
            }
        }
    }

    #[test]
    fn every_object_runs_judged_with_confirmed_leader_reads() {
        use crate::rsm::multi_paxos::{PackedMulti, Reads, Timeout};
        struct Run;
        impl VisitObject for Run {
            type Output = MultiPaxosJudged;
            fn visit<S: ObjectWorkload>(self) -> Self::Output
            where
                S::Op: Sync,
            {
                let config = MultiPaxosConfig {
                    acceptors: 3,
                    clients: 3,
                    capacity: 0,
                    timeout: Timeout::After(std::time::Duration::from_micros(300)),
                    faults: crate::paxos::FaultPlan::none(),
                    // Reads answered by the confirmed leader: the judge
                    // places them at states of the log, with no slot.
                    reads: Reads::Leader,
                };
                multi_paxos::<S, PackedMulti>(config, 900, 3)
            }
        }
        let mut answered = 0;
        for o in RsmObject::ALL {
            let (outcome, totals, _) = o.visit(Run);
            let r = outcome.unwrap_or_else(|f| panic!("{o}: {f}"));
            assert_eq!(r.ops, 900, "{o}");
            answered += totals.leader_reads;
        }
        assert!(answered > 0, "no object's reads were answered by the leader");
    }

    #[test]
    fn the_conflict_mix_touches_the_hot_key_at_its_rate_and_is_reproducible() {
        let kv = |p, seed| operations_mixed::<KvSpec>(4, 2_000, seed, Mix::Conflict(p)).unwrap();
        let hot = |ops: &Vec<Vec<KvOp>>| {
            ops.iter().flatten().filter(|o| o.key() == HOT_KEY).count() as f64 / 8_000.0
        };
        assert_eq!(kv(0.25, 3), kv(0.25, 3));
        assert_ne!(kv(0.25, 3), kv(0.25, 4));
        assert_eq!(hot(&kv(0.0, 3)), 0.0);
        assert_eq!(hot(&kv(1.0, 3)), 1.0);
        let quarter = hot(&kv(0.25, 3));
        assert!((0.22..0.28).contains(&quarter), "{quarter}");
        // Off the hot key, every client keeps to its own key.
        for (t, ops) in kv(0.5, 5).iter().enumerate() {
            assert!(ops.iter().all(|o| o.key() == HOT_KEY || o.key() == private_key(t)));
            assert!(ops.iter().any(|o| matches!(o, KvOp::Put(..))), "writes too");
        }
        // The default mix is the object's own.
        let own = operations_mixed::<KvSpec>(3, 200, 7, Mix::Object).unwrap();
        assert_eq!(own, operations::<KvSpec>(3, 200, 7));
    }

    #[test]
    fn a_conflict_rate_is_refused_for_objects_without_keys_and_outside_0_to_1() {
        let e = operations_mixed::<WordSpec>(2, 10, 1, Mix::Conflict(0.5)).unwrap_err();
        assert!(e.to_string().contains("--conflict is for --object kv: a counter has no keys"));
        let e = operations_mixed::<KvSpec>(2, 10, 1, Mix::Conflict(1.5)).unwrap_err();
        assert!(e.to_string().contains("from 0 to 1 (1.5 given)"), "{e}");
        assert!(operations_mixed::<KvSpec>(2, 10, 1, Mix::Conflict(f64::NAN)).is_err());
        for o in RsmObject::ALL {
            assert_eq!(Mix::Conflict(0.1).check(o).is_ok(), o == RsmObject::Kv, "{o}");
            assert!(Mix::Object.check(o).is_ok());
        }
        assert!(Mix::Conflict(-0.1).check(RsmObject::Kv).is_err());
    }

    #[test]
    fn every_object_runs_judged_over_epaxos() {
        struct Run;
        impl VisitObject for Run {
            type Output = (Result<StressReport, StressFailure>, EpaxosTotals);
            fn visit<S: ObjectWorkload>(self) -> Self::Output
            where
                S::Op: Sync,
            {
                epaxos::<S>((5, 3), 600, (1, Mix::Object), crate::paxos::FaultPlan::none())
            }
        }
        for o in RsmObject::ALL {
            let (outcome, totals) = o.visit(Run);
            let r = outcome.unwrap_or_else(|f| panic!("{o}: {f}"));
            assert_eq!(r.ops, 600, "{o}");
            // Committed by their leaders, or by a recovery that fenced a
            // slow leader out (1 ms timeout, a loaded machine).
            let t = totals;
            assert!(t.commands <= 600 && t.commands + t.recoveries >= 600, "{o}: {t:?}");
            assert_eq!(t.fast + t.slow, t.commands, "{o}: {t:?}");
        }
    }

    #[test]
    fn epaxos_without_conflicts_takes_the_fast_path_every_time() {
        use crate::paxos::{Crash, FaultPlan};
        let run = |p, faults| epaxos::<KvSpec>((5, 4), 2_000, (9, Mix::Conflict(p)), faults);
        let (outcome, free) = run(0.0, FaultPlan::none());
        outcome.unwrap();
        assert_eq!(free.fast, 2_000, "{free:?}");
        assert_eq!(free.fast_share(), Some(1.0));
        // 5 replicas: a fast quorum of 3, so 3 pre-accepts per command.
        assert_eq!(free.region_ops_per_command(), Some(3.0), "{free:?}");
        // Every operation on the hot key, two replicas crashed (F = 2).
        let crashed = FaultPlan {
            acceptors: vec![Crash { who: 1, after: 0 }, Crash { who: 3, after: 100 }],
            ..FaultPlan::none()
        };
        let (outcome, hot) = run(1.0, crashed);
        let r = outcome.unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(r.ops, 2_000);
        // Each command committed by its leader (fast or slow) or, when a
        // waiting replica's recovery fenced the leader out (a 1 ms timeout
        // on a loaded machine), by that recovery.
        let t = hot;
        assert!(t.fast + t.slow <= 2_000 && t.fast + t.slow + t.recoveries >= 2_000, "{t:?}");
        // A third crash leaves no quorum: an error, not a hang.
        let three = FaultPlan {
            acceptors: vec![
                Crash { who: 0, after: 0 },
                Crash { who: 2, after: 0 },
                Crash { who: 4, after: 5 },
            ],
            ..FaultPlan::none()
        };
        let f = run(0.5, three).0.unwrap_err();
        assert!(
            matches!(
                f.violation,
                super::super::RsmViolation::Error { error: RsmError::NoQuorum { .. }, .. }
            ),
            "{f}"
        );
    }
}
