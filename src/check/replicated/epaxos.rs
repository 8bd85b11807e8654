//! EPaxos's models, for the loom suite and the shuttle suite: every
//! explored execution's client history is checked for linearizability, the
//! replicas' execution orders against each other (every conflicting pair in
//! one order: [`partial::merge`](super::partial::merge)) and against the
//! clients (the certificate: [`partial::certify`](super::partial::certify)),
//! and, inside the protocol, every instance's commit against the first one
//! (the model worlds' ghost record: a second, different commit of one
//! instance is a `Conflicting` error).
//!
//! **Loom.** 2 command leaders (clients 0 and 1, homes replicas 0 and 1) ×
//! 3 replicas × 1 command each, on the key-value map: `conflict`, both
//! write key 0 (each must depend on the other, or be ordered by whoever
//! saw both); `no-conflict`, keys 1 and 2 (both take the fast path, nothing
//! orders them); `read-write`, a write and a read of key 0; `2x3x2`, two
//! commands each; `3x3x1`, three leaders (two writes and a read of key 0).
//! Exhaustive where it ends: nothing in the protocol loops but a replica
//! waiting for a dependency's commit, and in models a waiter blocks until a
//! commit rings (its leader is running). The cost is next to each model
//! (measured on the lab's 2-vCPU machine, `LOOM_MAX_PREEMPTIONS` unset).
//!
//! **Shuttle.** 8 clients × 2 operations on 3 replicas, keys drawn so that
//! about a quarter of the operations share key 0; PCT of depth 3, a fixed
//! seed.

use super::model::{RsmCounterexample, RsmModel, RsmReport};
use super::suite::SuiteModel;
use crate::objects::sequential::{KvOp, KvSpec};
use crate::paxos::FaultPlan;
use crate::rsm::epaxos::broken::{small_fast_quorum, unsorted_components};
use crate::rsm::epaxos::{Config, Epaxos};

/// Which EPaxos the model builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Build {
    Correct,
    /// The fast path one replica short.
    SmallFastQuorum,
    /// Components executed in the order each replica found them.
    Unsorted,
}

/// The seed of every shuttle scheduler.
#[cfg(all(shuttle, not(loom)))]
const SEED: u64 = 0xe9a;

fn model(ops: Vec<Vec<KvOp>>, bound: Option<usize>, iterations: usize) -> RsmModel<KvOp> {
    RsmModel { ops, preemption_bound: bound, iterations, patience: None }
}

fn explore(build: Build, m: &RsmModel<KvOp>) -> Result<RsmReport, Box<RsmCounterexample>> {
    let clients = m.ops.len();
    let capacity = m.ops.iter().map(Vec::len).max().unwrap_or(1);
    let object = move || {
        let config = Config { replicas: 3, clients, capacity, faults: FaultPlan::none() };
        let made = match build {
            Build::Correct => Epaxos::new(KvSpec, config),
            Build::SmallFastQuorum => small_fast_quorum(KvSpec, config),
            Build::Unsorted => unsorted_components(KvSpec, config),
        };
        made.expect("the model's configuration is valid")
    };
    #[cfg(loom)]
    return super::model::check(object, m);
    #[cfg(all(shuttle, not(loom)))]
    return super::model::check_shuttle(object, m, SEED);
}

/// A correct model: every execution holds and the clients raced.
fn holds(name: &str, m: RsmModel<KvOp>) -> SuiteModel {
    let label = name.to_string();
    SuiteModel {
        name: label.clone(),
        run: Box::new(move || match explore(Build::Correct, &m) {
            Ok(report) => {
                report.raced()?;
                Ok(format!("{label}: {report}"))
            }
            Err(cx) => Err(format!("{label}: {cx}")),
        }),
    }
}

/// A broken build: some execution must be caught violating a property.
fn caught(name: &str, build: Build, m: RsmModel<KvOp>) -> SuiteModel {
    let label = name.to_string();
    SuiteModel {
        name: label.clone(),
        run: Box::new(move || match explore(build, &m) {
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
        // Exhaustive: 567 executions, 0.09 s (load average 3).
        holds("epaxos/2x3x1-conflict/exhaustive", model(conflicting(), None, 0)),
        // Exhaustive: 12 executions.
        holds(
            "epaxos/2x3x1-no-conflict/exhaustive",
            model(vec![vec![KvOp::Put(1, 1)], vec![KvOp::Put(2, 2)]], None, 0),
        ),
        // Exhaustive: 567 executions.
        holds(
            "epaxos/2x3x1-read-write/exhaustive",
            model(vec![vec![KvOp::Put(0, 1)], vec![KvOp::Get(0)]], None, 0),
        ),
        // Exhaustive: 50,034 executions, 5.7 s.
        holds(
            "epaxos/2x3x2-conflict/exhaustive",
            model(
                vec![vec![KvOp::Put(0, 1), KvOp::Get(0)], vec![KvOp::Put(0, 2), KvOp::Put(1, 3)]],
                None,
                0,
            ),
        ),
        // ≤ 3 preemptions: 47,316 executions, 6.1 s (exhaustive did not end
        // in 5 minutes).
        holds(
            "epaxos/3x3x1-conflict/bounded-3",
            model(
                vec![vec![KvOp::Put(0, 1)], vec![KvOp::Put(0, 2)], vec![KvOp::Get(0)]],
                Some(3),
                0,
            ),
        ),
        // Found in execution 1 (both writes return None).
        caught(
            "epaxos-small-fast-quorum/2x3x1-conflict/counterexample",
            Build::SmallFastQuorum,
            model(conflicting(), Some(2), 0),
        ),
        // Found in execution 26,669 (3.8 s): a ring t0 → t1 → t2 → t0, each
        // replica executing it from its own command. A component needs a
        // ring of dependencies: with 2 leaders whose
        // quorums meet at one replica, one of them always sees the other
        // first there, so 3 leaders (quorums {0, 1}, {1, 2}, {2, 0}).
        caught(
            "epaxos-unsorted-components/3x3x1-conflict/counterexample",
            Build::Unsorted,
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
        // 2,000 iterations: 0.36 s.
        holds("epaxos/8x2-kv-quarter-conflict/pct-3", model(eight(), Some(3), 2_000 * scale)),
        // Found in execution 1.
        caught(
            "epaxos-small-fast-quorum/2x1-conflict/counterexample",
            Build::SmallFastQuorum,
            model(conflicting(), Some(3), 1_000 * scale),
        ),
        // Found in execution 4.
        caught(
            "epaxos-unsorted-components/3x1-conflict/counterexample",
            Build::Unsorted,
            model(three_writes(), Some(3), 1_000 * scale),
        ),
    ]
}
