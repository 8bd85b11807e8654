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
use super::RsmViolation;
use crate::objects::rmw::{WordOp, WordSpec};
use crate::paxos::faults::{LeaderFault, LeaderStep};
use crate::paxos::FaultPlan;
use crate::rsm::multi_paxos::broken::{reading_without_lease, skipping_phase1};
use crate::rsm::multi_paxos::{
    Config, MultiAcceptor, MultiPaxos, MutexMulti, PackedMulti, Reads, Timeout,
};

// The workload, the fault plans and the model shape here are Zab's models'
// too (`super::zab`).
pub(super) const COUNTER: WordSpec = WordSpec { add: true, init: 0 };
pub(super) const INC: WordOp = WordOp::Rmw(1);

/// The seed of every shuttle scheduler.
#[cfg(all(shuttle, not(loom)))]
pub(super) const SEED: u64 = 0x5eed;

/// Which log the model builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Build {
    /// Correct, every read through the log.
    Correct,
    /// Correct, reads answered by a confirmed leader ([`Reads::Leader`]).
    LeaderReads,
    /// New leaders skip phase 1 for a slot.
    SkippingPhase1,
    /// Leaders read their replica with no lease (loom's models only: see
    /// the shuttle table for why shuttle has none).
    #[cfg_attr(all(shuttle, not(loom)), allow(dead_code))]
    ReadingWithoutLease,
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
            reads: if build == Build::LeaderReads { Reads::Leader } else { Reads::Log },
        };
        let made = match build {
            Build::Correct | Build::LeaderReads => MultiPaxos::<_, A>::new(COUNTER, config),
            Build::SkippingPhase1 => skipping_phase1::<_, A>(COUNTER, config),
            Build::ReadingWithoutLease => reading_without_lease::<_, A>(COUNTER, config),
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
    build: Build,
    plan: Plan,
    polls: u32,
    spare: usize,
    m: RsmModel<WordOp>,
) -> SuiteModel {
    let label = name.to_string();
    SuiteModel {
        long: false,
        name: label.clone(),
        run: Box::new(move || {
            let capacity = m.ops.iter().map(Vec::len).sum::<usize>() + spare;
            match explore::<A>(build, plan, polls, capacity, &m) {
                Ok(report) => {
                    report.raced()?;
                    Ok(format!("{label}: {report}"))
                }
                Err(cx) => Err(format!("{label}: {cx}")),
            }
        }),
    }
}

/// A broken build: some execution must be caught, with the violation
/// `expect` names (the broken recovery replaces a chosen entry; the read
/// without a lease is stale).
fn caught<A: MultiAcceptor>(
    name: &str,
    build: Build,
    plan: Plan,
    m: RsmModel<WordOp>,
) -> SuiteModel {
    let label = name.to_string();
    let (expect, wanted): (&str, fn(&RsmCounterexample) -> bool) = match build {
        Build::ReadingWithoutLease => ("a history that is not linearizable (a stale read)", |cx| {
            matches!(cx.violation, Some(RsmViolation::NotLinearizable(_)))
        }),
        _ => ("a lost chosen entry", |cx| cx.message.contains("decided twice differently")),
    };
    SuiteModel {
        long: false,
        name: label.clone(),
        run: Box::new(move || {
            let capacity = m.ops.iter().map(Vec::len).sum::<usize>() + 1;
            match explore::<A>(build, plan, 1, capacity, &m) {
                Ok(r) => Err(format!("{label} is broken on purpose, but it held: {r}")),
                Err(cx) if cx.violation.is_none() => {
                    Err(format!("{label}: stopped before any violation: {cx}"))
                }
                Err(cx) if !wanted(&cx) => Err(format!("{label}: expected {expect}, got: {cx}")),
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
        // Costs below: release build, load about 5. Since a claim is made
        // against the leader word the suspicion saw (`Watch::claim`), the
        // models branch far less than before (≤ 5 here was 71,465
        // executions, now 6,085), so the bounds were raised.
        // ≤ 7 preemptions: 91,243 executions, 13.5 s (≤ 5: 6,085, 0.9 s).
        holds::<PackedMulti>(
            "multi-paxos/packed/2x3x2-leader-crash/bounded-7",
            Build::Correct,
            crash_before_publish,
            1,
            0,
            model(two(), Some(7), 0),
        ),
        // ≤ 10 preemptions: 4,511 executions, 0.5 s (≤ 8: 2,030, 0.2 s).
        holds::<MutexMulti>(
            "multi-paxos/mutex/2x3x2-leader-crash/bounded-10",
            Build::Correct,
            crash_before_publish,
            1,
            0,
            model(two(), Some(10), 0),
        ),
        // ≤ 6 preemptions: 42,734 executions, 4.7 s (≤ 4: 2,540, 0.3 s).
        holds::<PackedMulti>(
            "multi-paxos/packed/2x3x2-false-suspicion/bounded-6",
            Build::Correct,
            no_fault,
            1,
            0,
            model(two(), Some(6), 0),
        ),
        // Found in execution 1.
        caught::<PackedMulti>(
            "multi-paxos-skipping-phase1/packed/2x3x2-leader-crash/counterexample",
            Build::SkippingPhase1,
            crash_before_publish,
            model(two(), Some(3), 0),
        ),
        // Found in execution 5.
        caught::<PackedMulti>(
            "multi-paxos-skipping-phase1/packed/2x3x2-false-suspicion/counterexample",
            Build::SkippingPhase1,
            no_fault,
            model(two(), Some(3), 0),
        ),
        // Confirmed leader reads: client 0 increments then reads, client 1
        // increments; a read answered by a leader that was replaced must
        // not miss the newer leader's write. Without F_r in
        // `PackedMulti::promised` this model is caught (execution 581 at ≤ 4).
        // ≤ 6 preemptions: 157,648 executions, 22.5 s (≤ 4: 5,651, 0.7 s).
        holds::<PackedMulti>(
            "multi-paxos/packed/2x3x2-leader-reads-false-suspicion/bounded-6",
            Build::LeaderReads,
            no_fault,
            1,
            0,
            model(read_after(), Some(6), 0),
        ),
        // ≤ 6 preemptions: 27,288 executions, 2.8 s (≤ 8: 345,191, 37.8 s).
        holds::<MutexMulti>(
            "multi-paxos/mutex/2x3x2-leader-reads-false-suspicion/bounded-6",
            Build::LeaderReads,
            no_fault,
            1,
            0,
            model(read_after(), Some(6), 0),
        ),
        caught::<PackedMulti>(
            "multi-paxos-reading-without-lease/packed/2x3x2-false-suspicion/counterexample",
            Build::ReadingWithoutLease,
            no_fault,
            model(read_after(), Some(3), 0),
        ),
    ]
}

/// Client 0 increments, then reads; client 1 increments.
#[cfg(loom)]
fn read_after() -> Vec<Vec<WordOp>> {
    vec![vec![INC, WordOp::Read], vec![INC]]
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
            Build::Correct,
            two_random_crashes,
            2,
            8,
            model(eight(), Some(3), 10_000 * scale),
        ),
        holds::<MutexMulti>(
            "multi-paxos/mutex/8x2-counter-leader-crashes/pct-3",
            Build::Correct,
            two_random_crashes,
            2,
            8,
            model(eight(), Some(3), 5_000 * scale),
        ),
        holds::<PackedMulti>(
            "multi-paxos/packed/8x2-counter-leader-reads-leader-crashes/pct-3",
            Build::LeaderReads,
            two_random_crashes,
            2,
            8,
            model(eight(), Some(3), 5_000 * scale),
        ),
        caught::<PackedMulti>(
            "multi-paxos-skipping-phase1/packed/8x2-counter/counterexample",
            Build::SkippingPhase1,
            no_fault,
            model(eight(), Some(3), 2_000 * scale),
        ),
        caught::<PackedMulti>(
            "multi-paxos-skipping-phase1/packed/8x2-counter-leader-crash/counterexample",
            Build::SkippingPhase1,
            crash_before_publish,
            model(eight(), Some(3), 2_000 * scale),
        ),
        // No shuttle model of the read without a lease: its stale read
        // needs the reader's load of a newer published slot to miss it
        // (weak memory, which shuttle's sequentially consistent atomics
        // never produce) or a scheduling point between two of the reader's
        // commands (a local read has none). 20,000 PCT iterations of 2
        // clients found nothing; loom finds it (execution 30).
    ]
}
