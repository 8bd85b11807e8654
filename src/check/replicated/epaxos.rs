//! EPaxos's models, for the loom suite and the shuttle suite: every
//! explored execution's client history is checked for linearizability, the
//! replicas' execution orders against each other (every conflicting pair in
//! one order: [`partial::merge`](super::partial::merge)) and against the
//! clients (the certificate: [`partial::certify`](super::partial::certify)).
//! An instance's commit is one write-once cell, so there is no second
//! commit to compare.
//!
//! **Loom.** 2 command leaders (clients 0 and 1, homes replicas 0 and 1) ×
//! 3 replicas × 1 command each, on the key-value map: `conflict`, both
//! write key 0 (each must depend on the other, or be ordered by whoever
//! saw both); `no-conflict`, keys 1 and 2 (both take the fast path, nothing
//! orders them); `read-write`, a write and a read of key 0; `2x3x2`, two
//! commands each; `3x3x1`, three leaders (two writes and a read of key 0,
//! or three writes with a leader crash: the command known at its home
//! only, or at its quorum but not committed); and on 5 replicas (F = 2),
//! `2x5x1` and `3x5x1` with the leader crashing after a minority (its home
//! and one more: one confirmation, which recovery's rule 2 must not take)
//! or before its commit. A replica that waits for a dependency recovers it
//! after 1 poll, so every wait is a possible false suspicion of a live
//! leader. Exhaustive where it ends, bounded where it does not (two
//! recoveries of one instance can outbid each other without end). The cost
//! is next to each model (measured on the lab's 2-vCPU machine, load
//! average 5 to 8, `LOOM_MAX_PREEMPTIONS` unset).
//!
//! **Shuttle.** 8 clients × 2 operations on 3 and on 5 replicas, keys drawn
//! so that about a quarter of the operations share key 0, without a fault
//! and with the first leader at its first instance crashing before its
//! commit (3 replicas) or after a minority (5); PCT of depth 3, a fixed
//! seed.

use super::model::{RsmCounterexample, RsmModel, RsmReport};
use super::suite::SuiteModel;
use crate::objects::sequential::{KvOp, KvSpec};
use crate::paxos::faults::{LeaderFault, LeaderStep};
use crate::paxos::FaultPlan;
use crate::rsm::epaxos::broken::{
    optimized_rule_2, small_fast_quorum, trusting_the_home, unsorted_components,
};
use crate::rsm::epaxos::{Config, Epaxos};
use crate::rsm::multi_paxos::Timeout;

/// Which EPaxos the model builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Build {
    Correct,
    /// The fast path one replica short.
    SmallFastQuorum,
    /// Components executed in the order each replica found them.
    Unsorted,
    /// Recovery trusting the crashed leader's home.
    TrustingTheHome,
    /// Recovery's rule 2 at the optimized count, without TryPreAccept.
    OptimizedRule2,
}

/// The seed of every shuttle scheduler.
#[cfg(all(shuttle, not(loom)))]
const SEED: u64 = 0xe9a;

fn model(ops: Vec<Vec<KvOp>>, bound: Option<usize>, iterations: usize) -> RsmModel<KvOp> {
    RsmModel { ops, preemption_bound: bound, iterations, patience: None }
}

/// A command leader crash: whoever first reaches its first instance
/// crashes at `step`.
fn crash(step: LeaderStep) -> FaultPlan {
    FaultPlan { leader: vec![LeaderFault { slot: 0, step, stall: None }], ..FaultPlan::none() }
}

fn explore(
    (build, replicas): (Build, usize),
    faults: &FaultPlan,
    m: &RsmModel<KvOp>,
) -> Result<RsmReport, Box<RsmCounterexample>> {
    let clients = m.ops.len();
    // Room for a second try of each operation (after a recovery's no-op).
    let capacity = 2 * m.ops.iter().map(Vec::len).max().unwrap_or(1);
    let faults = faults.clone();
    let object = move || {
        let config = Config {
            replicas,
            clients,
            capacity,
            timeout: Timeout::Polls(1),
            faults: faults.clone(),
        };
        let made = match build {
            Build::Correct => Epaxos::new(KvSpec, config),
            Build::SmallFastQuorum => small_fast_quorum(KvSpec, config),
            Build::Unsorted => unsorted_components(KvSpec, config),
            Build::TrustingTheHome => trusting_the_home(KvSpec, config),
            Build::OptimizedRule2 => optimized_rule_2(KvSpec, config),
        };
        made.expect("the model's configuration is valid")
    };
    #[cfg(loom)]
    return super::model::check(object, m);
    #[cfg(all(shuttle, not(loom)))]
    return super::model::check_shuttle(object, m, SEED);
}

/// A correct model on `replicas`: every execution holds and the clients
/// raced.
fn holds(name: &str, replicas: usize, faults: FaultPlan, m: RsmModel<KvOp>) -> SuiteModel {
    let label = name.to_string();
    SuiteModel {
        long: false,
        name: label.clone(),
        run: Box::new(move || match explore((Build::Correct, replicas), &faults, &m) {
            Ok(report) => {
                report.raced()?;
                Ok(format!("{label}: {report}"))
            }
            Err(cx) => Err(format!("{label}: {cx}")),
        }),
    }
}

/// A broken build on `replicas`: some execution must be caught violating a
/// property.
fn caught(
    name: &str,
    (build, replicas): (Build, usize),
    faults: FaultPlan,
    m: RsmModel<KvOp>,
) -> SuiteModel {
    let label = name.to_string();
    SuiteModel {
        long: false,
        name: label.clone(),
        run: Box::new(move || match explore((build, replicas), &faults, &m) {
            Ok(r) => Err(format!("{label} is broken on purpose, but it held: {r}")),
            Err(cx) if cx.violation.is_none() => {
                Err(format!("{label}: stopped before any violation: {cx}"))
            }
            Err(cx) => Ok(format!("{label}: the counterexample was found, as it must:\n{cx}")),
        }),
    }
}

/// Two writes of key 0.
fn conflicting() -> Vec<Vec<KvOp>> {
    vec![vec![KvOp::Put(0, 1)], vec![KvOp::Put(0, 2)]]
}

/// Three writes of key 0.
fn three_writes() -> Vec<Vec<KvOp>> {
    vec![vec![KvOp::Put(0, 1)], vec![KvOp::Put(0, 2)], vec![KvOp::Put(0, 3)]]
}

/// The loom suite's EPaxos models.
#[cfg(loom)]
pub fn models() -> Vec<SuiteModel> {
    vec![
        // Exhaustive: 15 executions. (Every figure: the replicas' waiters
        // recover after 1 poll, so false suspicions are explored.)
        holds(
            "epaxos/2x3x1-conflict/exhaustive",
            3,
            FaultPlan::none(),
            model(conflicting(), None, 0),
        ),
        // Exhaustive: 9 executions.
        holds(
            "epaxos/2x3x1-no-conflict/exhaustive",
            3,
            FaultPlan::none(),
            model(vec![vec![KvOp::Put(1, 1)], vec![KvOp::Put(2, 2)]], None, 0),
        ),
        // Exhaustive: 15 executions.
        holds(
            "epaxos/2x3x1-read-write/exhaustive",
            3,
            FaultPlan::none(),
            model(vec![vec![KvOp::Put(0, 1)], vec![KvOp::Get(0)]], None, 0),
        ),
        // Exhaustive: 1,924 executions, 0.15 s.
        holds(
            "epaxos/2x3x2-conflict/exhaustive",
            3,
            FaultPlan::none(),
            model(
                vec![vec![KvOp::Put(0, 1), KvOp::Get(0)], vec![KvOp::Put(0, 2), KvOp::Put(1, 3)]],
                None,
                0,
            ),
        ),
        // ≤ 3 preemptions: 17,281 executions, 2.5 s (≤ 5, before the
        // recoverers backed off: 2,570,235 executions, 444 s; exhaustive
        // does not end).
        holds(
            "epaxos/3x3x1-conflict/bounded-3",
            3,
            FaultPlan::none(),
            model(
                vec![vec![KvOp::Put(0, 1)], vec![KvOp::Put(0, 2)], vec![KvOp::Get(0)]],
                Some(3),
                0,
            ),
        ),
        // Found in execution 1 (both writes return None).
        // The first leader to its first instance crashes after its home
        // pre-accepted (only that replica knows the command): ≤ 5
        // preemptions, 68,581 executions, 8.5 s.
        holds(
            "epaxos/3x3x1-conflict-leader-crash-after-home/bounded-5",
            3,
            crash(LeaderStep::AfterMinority),
            model(three_writes(), Some(5), 0),
        ),
        // ... crashes after its quorum recorded the attributes, before the
        // commit: ≤ 5 preemptions, 123,743 executions, 16.6 s.
        holds(
            "epaxos/3x3x1-conflict-leader-crash-before-commit/bounded-5",
            3,
            crash(LeaderStep::BeforePublish),
            model(three_writes(), Some(5), 0),
        ),
        // 5 replicas (F = 2: fast quorum 3, majority 3, rule 2 needs 2
        // confirmations). Not exhaustive: two recoveries of one instance can
        // outbid each other forever (Paxos's duelling proposers: the protocol
        // is blocking), so every model that recovers is bounded. ≤ 10
        // preemptions: 8,085 executions, 0.4 s.
        holds(
            "epaxos/2x5x1-conflict/bounded-10",
            5,
            FaultPlan::none(),
            model(conflicting(), Some(10), 0),
        ),
        // The first leader crashes after a minority (its home and one more)
        // pre-accepted (one confirmation: rule 2 must not take it): ≤ 4
        // preemptions, 35,844 executions, 3.2 s.
        holds(
            "epaxos/3x5x1-conflict-leader-crash-after-minority/bounded-4",
            5,
            crash(LeaderStep::AfterMinority),
            model(three_writes(), Some(4), 0),
        ),
        // ... before its commit: ≤ 4 preemptions, 45,469 executions, 4.0 s.
        holds(
            "epaxos/3x5x1-conflict-leader-crash-before-commit/bounded-4",
            5,
            crash(LeaderStep::BeforePublish),
            model(three_writes(), Some(4), 0),
        ),
        caught(
            "epaxos-small-fast-quorum/2x3x1-conflict/counterexample",
            (Build::SmallFastQuorum, 3),
            FaultPlan::none(),
            model(conflicting(), Some(2), 0),
        ),
        // Found in execution 418 (under 1 s): a false suspicion's recovery
        // re-pre-accepts t0's command and closes a ring t0 → t1 → t2 → t0,
        // each replica executing it from its own command. A component
        // needs a ring of dependencies: with 2 leaders whose quorums meet
        // at one replica, one of them always sees the other first there,
        // so 3 leaders (quorums {0, 1}, {1, 2}, {2, 0}).
        caught(
            "epaxos-unsorted-components/3x3x1-conflict/counterexample",
            (Build::Unsorted, 3),
            FaultPlan::none(),
            model(three_writes(), Some(3), 0),
        ),
        // Found in execution 1: t0 crashes after its home pre-accepted, t1
        // commits on replicas 1 and 2, t2 recovers t0 with its home's
        // attributes: neither t0 nor t1 depends on the other.
        caught(
            "epaxos-trusting-the-home/3x3x1-conflict-leader-crash-after-home/counterexample",
            (Build::TrustingTheHome, 3),
            crash(LeaderStep::AfterMinority),
            model(three_writes(), Some(3), 0),
        ),
        // Found in execution 662 (0.2 s): t0 crashes with its command at
        // replicas 0 and 1, t2 commits fast on 2, 3, 4 without it, t1
        // recovers it on one confirmation: neither depends on the other.
        caught(
            "epaxos-optimized-rule-2/3x5x1-conflict-leader-crash-after-minority/counterexample",
            (Build::OptimizedRule2, 5),
            crash(LeaderStep::AfterMinority),
            model(three_writes(), Some(3), 0),
        ),
    ]
}

/// The shuttle suite's EPaxos models, their budgets times `scale`.
#[cfg(all(shuttle, not(loom)))]
pub fn models(scale: usize) -> Vec<SuiteModel> {
    // Client t's k-th operation: key 0 for t % 4 == k (a quarter shared).
    let eight = || {
        (0..8)
            .map(|t| {
                (0..2)
                    .map(|k| {
                        let key = if t % 4 == k { 0 } else { 1 + t };
                        if (t + k) % 3 == 0 {
                            KvOp::Get(key)
                        } else {
                            KvOp::Put(key, 10 * t + k)
                        }
                    })
                    .collect()
            })
            .collect()
    };
    vec![
        holds(
            "epaxos/8x2-kv-leader-crash-before-commit/pct-3",
            3,
            crash(LeaderStep::BeforePublish),
            model(eight(), Some(3), 5_000 * scale),
        ),
        // 5,000 iterations: about 0.5 s (each model).
        holds(
            "epaxos/8x2-kv-quarter-conflict/pct-3",
            3,
            FaultPlan::none(),
            model(eight(), Some(3), 5_000 * scale),
        ),
        holds(
            "epaxos/8x2-kv-5-replicas-leader-crash-after-minority/pct-3",
            5,
            crash(LeaderStep::AfterMinority),
            model(eight(), Some(3), 5_000 * scale),
        ),
        holds(
            "epaxos/8x2-kv-5-replicas/pct-3",
            5,
            FaultPlan::none(),
            model(eight(), Some(3), 5_000 * scale),
        ),
        // Found in execution 1.
        caught(
            "epaxos-small-fast-quorum/2x1-conflict/counterexample",
            (Build::SmallFastQuorum, 3),
            FaultPlan::none(),
            model(conflicting(), Some(3), 1_000 * scale),
        ),
        // Found in execution 28.
        caught(
            "epaxos-unsorted-components/3x1-conflict/counterexample",
            (Build::Unsorted, 3),
            FaultPlan::none(),
            model(three_writes(), Some(3), 1_000 * scale),
        ),
        // Found in execution 1.
        caught(
            "epaxos-trusting-the-home/3x1-leader-crash-after-home/counterexample",
            (Build::TrustingTheHome, 3),
            crash(LeaderStep::AfterMinority),
            model(three_writes(), Some(3), 1_000 * scale),
        ),
        // Found in execution 4.
        caught(
            "epaxos-optimized-rule-2/3x1-5-replicas-leader-crash-after-minority/counterexample",
            (Build::OptimizedRule2, 5),
            crash(LeaderStep::AfterMinority),
            model(three_writes(), Some(3), 1_000 * scale),
        ),
    ]
}
