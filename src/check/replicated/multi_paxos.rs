//! Multi-Paxos's models, for the loom suite and the shuttle suite: every
//! explored execution's client history is checked for linearizability (a
//! crashed leader's pending operation counts as never returned), the
//! replicas' logs against each other and the clients (log agreement), and,
//! inside the protocol, every slot's chosen entry against the first one
//! chosen there (the model worlds' ghost record: no chosen entry is ever
//! replaced, published or not; a replacement is a `Disagreement` error).
//!
//! **Loom.** 2 clients (each the leader in turn) × 3 acceptors × 2 slots,
//! one increment each, the detector suspecting after 1 poll (so every wait
//! is a possible false suspicion, and a live old leader keeps writing while
//! the new one recovers). `leader-crash`: whoever leads at slot 0 crashes
//! after a majority accepted, before publishing: the next leader must
//! recover the entry. `false-suspicion`: no crash; leaders steal the lead
//! from each other at every preemption. Bounded: exhaustive does not end
//! (two live leaders can take the lead from each other without end); the
//! bound and its cost are next to each model (measured on the lab's 2-vCPU
//! machine with two other builds running, `LOOM_MAX_PREEMPTIONS` unset).
//!
//! **Shuttle.** 8 clients × 2 operations, 3 acceptors (10,000 iterations
//! packed: 3.0 s; 5,000 mutex: 1.5 s), each iteration's two
//! leader crashes drawn at a random slot and step from the iteration number;
//! PCT of depth 3, a fixed seed.

use super::model::{RsmCounterexample, RsmModel, RsmReport};
use super::suite::SuiteModel;
use crate::objects::rmw::{WordOp, WordSpec};
use crate::paxos::faults::{LeaderFault, LeaderStep};
use crate::paxos::FaultPlan;
use crate::rsm::multi_paxos::broken::skipping_phase1;
use crate::rsm::multi_paxos::{
    Config, MultiAcceptor, MultiPaxos, MutexMulti, PackedMulti, Timeout,
};

// The workload, the fault plans and the model shape here are Zab's models'
// too (`super::zab`).
pub(super) const COUNTER: WordSpec = WordSpec { add: true, init: 0 };
pub(super) const INC: WordOp = WordOp::Rmw(1);

/// The seed of every shuttle scheduler.
#[cfg(all(shuttle, not(loom)))]
pub(super) const SEED: u64 = 0x5eed;

/// Whether the model's new leaders skip phase 1 for a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Build {
    Correct,
    SkippingPhase1,
}

/// The fault plan of one execution (`k`: its number, for drawn plans).
pub(super) type Plan = fn(usize) -> FaultPlan;

pub(super) fn crash_before_publish(_: usize) -> FaultPlan {
    FaultPlan {
        leader: vec![LeaderFault { slot: 0, step: LeaderStep::BeforePublish, stall: None }],
        ..FaultPlan::default()
    }
}

pub(super) fn no_fault(_: usize) -> FaultPlan {
    FaultPlan::none()
}

fn explore<A: MultiAcceptor>(
    build: Build,
    plan: Plan,
    polls: u32,
    capacity: usize,
    m: &RsmModel<WordOp>,
) -> Result<RsmReport, Box<RsmCounterexample>> {
    let clients = m.ops.len();
    let executions = std::sync::Mutex::new(0usize);
    let object = move || {
        let k = {
            let mut e = executions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *e += 1;
            *e
        };
        let config = Config {
            acceptors: 3,
            clients,
            capacity,
            timeout: Timeout::Polls(polls),
            faults: plan(k),
        };
        let made = match build {
            Build::Correct => MultiPaxos::<_, A>::new(COUNTER, config),
            Build::SkippingPhase1 => skipping_phase1::<_, A>(COUNTER, config),
        };
        made.expect("the model's configuration is valid")
    };
    #[cfg(loom)]
    return super::model::check(object, m);
    #[cfg(all(shuttle, not(loom)))]
    return super::model::check_shuttle(object, m, SEED);
}

/// A correct model: every execution holds and the clients raced.
/// `spare`: slots beyond one per operation (room for no-ops and duplicates).
fn holds<A: MultiAcceptor>(
    name: &str,
    plan: Plan,
    polls: u32,
    spare: usize,
    m: RsmModel<WordOp>,
) -> SuiteModel {
    let label = name.to_string();
    SuiteModel {
        name: label.clone(),
        run: Box::new(move || {
            let capacity = m.ops.iter().map(Vec::len).sum::<usize>() + spare;
            match explore::<A>(Build::Correct, plan, polls, capacity, &m) {
                Ok(report) => {
                    report.raced()?;
                    Ok(format!("{label}: {report}"))
                }
                Err(cx) => Err(format!("{label}: {cx}")),
            }
        }),
    }
}

/// The broken recovery: some execution must be caught replacing a chosen
/// entry.
fn caught<A: MultiAcceptor>(name: &str, plan: Plan, m: RsmModel<WordOp>) -> SuiteModel {
    let label = name.to_string();
    SuiteModel {
        name: label.clone(),
        run: Box::new(move || {
            let capacity = m.ops.iter().map(Vec::len).sum::<usize>() + 1;
            match explore::<A>(Build::SkippingPhase1, plan, 1, capacity, &m) {
                Ok(r) => Err(format!("{label} is broken on purpose, but it held: {r}")),
                Err(cx) if cx.violation.is_none() => {
                    Err(format!("{label}: stopped before any violation: {cx}"))
                }
                Err(cx) if !cx.message.contains("decided twice differently") => {
                    Err(format!("{label}: expected a lost chosen entry, got: {cx}"))
                }
                Err(cx) => Ok(format!("{label}: the counterexample was found, as it must:\n{cx}")),
            }
        }),
    }
}

pub(super) fn model(
    ops: Vec<Vec<WordOp>>,
    bound: Option<usize>,
    iterations: usize,
) -> RsmModel<WordOp> {
    RsmModel { ops, preemption_bound: bound, iterations, patience: None }
}

/// The loom suite's Multi-Paxos models.
#[cfg(loom)]
pub fn models() -> Vec<SuiteModel> {
    let two = || vec![vec![INC], vec![INC]];
    vec![
        // ≤ 5 preemptions: 71,465 executions, 19 s (≤ 4: 16,957, 5.8 s; ≤ 8:
        // 4,236,363, 444 s).
        holds::<PackedMulti>(
            "multi-paxos/packed/2x3x2-leader-crash/bounded-5",
            crash_before_publish,
            1,
            0,
            model(two(), Some(5), 0),
        ),
        // ≤ 8 preemptions: 13,896 executions, 2.5 s (≤ 4: 879, 0.2 s).
        holds::<MutexMulti>(
            "multi-paxos/mutex/2x3x2-leader-crash/bounded-8",
            crash_before_publish,
            1,
            0,
            model(two(), Some(8), 0),
        ),
        // ≤ 4 preemptions: 54,437 executions, 17.4 s.
        holds::<PackedMulti>(
            "multi-paxos/packed/2x3x2-false-suspicion/bounded-4",
            no_fault,
            1,
            0,
            model(two(), Some(4), 0),
        ),
        // Found in execution 1.
        caught::<PackedMulti>(
            "multi-paxos-skipping-phase1/packed/2x3x2-leader-crash/counterexample",
            crash_before_publish,
            model(two(), Some(3), 0),
        ),
        // Found in execution 5.
        caught::<PackedMulti>(
            "multi-paxos-skipping-phase1/packed/2x3x2-false-suspicion/counterexample",
            no_fault,
            model(two(), Some(3), 0),
        ),
    ]
}

/// Two leader crashes at slots and steps drawn from the iteration number.
#[cfg(all(shuttle, not(loom)))]
pub(super) fn two_random_crashes(k: usize) -> FaultPlan {
    let mut rng = fastrand::Rng::with_seed(k as u64);
    let steps = [LeaderStep::BeforeBroadcast, LeaderStep::AfterMinority, LeaderStep::BeforePublish];
    let mut leader: Vec<LeaderFault> = Vec::new();
    while leader.len() < 2 {
        let f = LeaderFault { slot: rng.usize(..12), step: steps[rng.usize(..3)], stall: None };
        if !leader.iter().any(|g| g.slot == f.slot && g.step == f.step) {
            leader.push(f);
        }
    }
    FaultPlan { leader, ..FaultPlan::default() }
}

/// The shuttle suite's Multi-Paxos models, their budgets times `scale`.
#[cfg(all(shuttle, not(loom)))]
pub fn models(scale: usize) -> Vec<SuiteModel> {
    let eight = || vec![vec![INC, WordOp::Read]; 8];
    vec![
        holds::<PackedMulti>(
            "multi-paxos/packed/8x2-counter-leader-crashes/pct-3",
            two_random_crashes,
            2,
            8,
            model(eight(), Some(3), 10_000 * scale),
        ),
        holds::<MutexMulti>(
            "multi-paxos/mutex/8x2-counter-leader-crashes/pct-3",
            two_random_crashes,
            2,
            8,
            model(eight(), Some(3), 5_000 * scale),
        ),
        caught::<PackedMulti>(
            "multi-paxos-skipping-phase1/packed/8x2-counter/counterexample",
            no_fault,
            model(eight(), Some(3), 2_000 * scale),
        ),
        caught::<PackedMulti>(
            "multi-paxos-skipping-phase1/packed/8x2-counter-leader-crash/counterexample",
            crash_before_publish,
            model(eight(), Some(3), 2_000 * scale),
        ),
    ]
}
