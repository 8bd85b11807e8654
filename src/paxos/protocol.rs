//! Paxos in the registry: its [`Protocol`] facts (knobs, loom models and their
//! cost), how registry parameters become a [`PaxosConfig`], and the stalled
//! instance of the stall demonstration (a proposer paused between phases).

use super::{
    Acceptor, Crash, FaultPlan, MutexAcceptor, PackedAcceptor, PaxosConfig, PaxosConsensus, Rules,
    Stall,
};
use crate::consensus::acceptor_state::MAX_VALUES;
use crate::consensus::protocol::{
    Knob, LoomModel, Params, Protocol, ProtocolInfo, ShuttleModel, StallPlan, Threads,
};
use crate::consensus::stall::{StallGate, StallPoint, StalledInstance};
use crate::consensus::{ConsensusError, IdConsensus, Progress};
use crate::objects::rmw::CompareAndSwap;
use crate::objects::{ConsensusNumber, Object, MUTEX};
use crate::sync::{AtomicUsize, Ordering};

/// Paxos from registry parameters: 3 acceptors unless told, the first
/// `crashed` of them crashing after `crash_after` operations each (0: from the
/// start), the proposer of `proposer_crash` crashing after that many steps, the
/// fast path on.
fn config(p: &Params) -> PaxosConfig {
    let mut faults = FaultPlan::first_acceptors_crashed(p.crashed);
    for c in &mut faults.acceptors {
        c.after = p.crash_after;
    }
    faults.proposers.extend(p.proposer_crash.map(|(who, after)| Crash { who, after }));
    PaxosConfig {
        proposers: p.threads,
        acceptors: p.acceptors.unwrap_or(super::DEFAULT_ACCEPTORS),
        faults,
        rounds: p.rounds,
        fast_path: true,
        quorums: None,
    }
}

/// The knobs every Paxos variant takes.
pub(super) const KNOBS: &[Knob] =
    &[Knob::Rounds, Knob::Acceptors, Knob::Crashed, Knob::ProposerCrash];

/// Executions on 2 shared vCPUs, packed / mutex acceptors, the quick ≤ 2
/// preemptions pass first where the model is exhaustive. Every count was
/// higher while the harness joined its threads (in parentheses, packed; see
/// `check::model`).
///
/// 2 proposers × 3 acceptors, exhaustive: 2 ballots each with no crash and
/// with acceptor 0 crashed from the start, and 3 ballots each with no crash
/// (packed: 41 + 348, 72 + 477 and 41 + 2,860 executions (608, 700, 5,136),
/// all under 1 s; mutex: 11 + 112, 15 + 590, 11 + 1,020).
/// 3 proposers × 3 acceptors, 2 ballots each, bounded to 2 preemptions in CI:
/// 46,657 executions in 5 to 9 s (53,199) / 144; the long suite (`cargo xtask
/// test --long`): ≤ 3, 1,639,890 in 149 s (1.9 million in 122 s) / 1,291 in
/// 0.4 s (mutex exhaustive had not finished after 300 s).
///
/// The fault models:
/// * 2 proposers × 5 acceptors, 2 crashed from the start (majority 3 of the 3
///   live ones), exhaustive: 284 + 25,522 executions in 2 s (38,562) /
///   26 + 52,427 in 5 s;
/// * 4 proposers × 3 acceptors, 1 ballot each, ≤ 1 preemption: 87,356
///   executions in 14 to 36 s (124,153) / 50 (with 2 ballots each the packed model
///   ran past 160 s at ≤ 1 preemption: not in CI time);
/// * 2 proposers × 3 acceptors, acceptor 0 crashing after 1 and after 2 of its
///   operations, exhaustive: 52 + 1,039 and 50 + 762 executions (1,704,
///   1,381), 0.1 s each / 11 + 787 and 11 + 193;
/// * 2 proposers × 3 acceptors, proposer 1 crashing between its phases (after
///   its 2 prepares, a majority promised, before any accept), exhaustive:
///   13 + 7 executions / 7 + 5; proposer 0 crashing after 2 accepts of its
///   fast path (its value chosen, the survivor must adopt it), exhaustive:
///   14 + 8 / 7 + 4. (Proposer 0 crashing after 1 accept is not a model: the
///   two proposers then touch no common acceptor, loom explores 1 execution,
///   and the harness refuses it as racing nothing.)
const MODELS: &[LoomModel] = &[
    LoomModel::exhaustive(2).acceptors(3, 0).rounds(2),
    LoomModel::exhaustive(2).acceptors(3, 1).rounds(2),
    LoomModel::exhaustive(2).acceptors(3, 0).rounds(3),
    LoomModel::bounded(3, 2).acceptors(3, 0).rounds(2).long_bounded(3),
    LoomModel::exhaustive(2).acceptors(5, 2).rounds(2),
    LoomModel::bounded(4, 1).acceptors(3, 0).rounds(1),
    LoomModel::exhaustive(2).acceptors(3, 1).crash_after(1).rounds(2),
    LoomModel::exhaustive(2).acceptors(3, 1).crash_after(2).rounds(2),
    LoomModel::exhaustive(2).acceptors(3, 0).proposer_crash(1, 2).rounds(2),
    LoomModel::exhaustive(2).acceptors(3, 0).proposer_crash(0, 2).rounds(2),
];

/// Beyond loom: 8 proposers × 3 acceptors and 16 proposers × 5 acceptors (2
/// crashed from the start), 3 ballots each, PCT depth 3; 8 × 3 random.
const SHUTTLE: &[ShuttleModel] = &[
    ShuttleModel::pct(8, 3, 5_000).acceptors(3, 0).rounds(3),
    ShuttleModel::pct(16, 3, 2_000).acceptors(5, 2).rounds(3),
    ShuttleModel::random(8, 5_000).acceptors(3, 0).rounds(3),
];

/// Proposer `who`'s stall point: its steps before the pause, and the point in
/// words. Proposer 0 on the fast path pauses after its first accept; everyone
/// else between phases, holding a majority of promises.
pub fn stall_point(who: usize, cfg: &PaxosConfig) -> (usize, String) {
    let (majority, n) = (cfg.quorums().phase1, cfg.acceptors);
    if who == 0 && cfg.fast_path {
        (1, format!("after 1 of {n} accepts (fast path: no phase 1)"))
    } else {
        (majority, format!("between phases ({majority} of {n} promised)"))
    }
}

/// Paxos with a stall in its fault plan, counting each proposer's ballots.
struct CountedPaxos<A> {
    paxos: PaxosConsensus<A>,
    stalled: usize,
    at: String,
    attempts: Box<[AtomicUsize]>,
}

impl<A: Acceptor> IdConsensus for CountedPaxos<A> {
    fn threads(&self) -> usize {
        self.paxos.threads()
    }
    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        let (result, stats) = self.paxos.propose(me);
        if let Some(a) = self.attempts.get(me) {
            // Relaxed: read after the threads are joined, which orders it.
            a.store(stats.attempts, Ordering::Relaxed);
        }
        result
    }
    fn progress(&self) -> Progress {
        self.paxos.progress()
    }
}

impl<A: Acceptor + 'static> StalledInstance for CountedPaxos<A> {
    fn gate(&self) -> Option<&StallGate> {
        self.paxos.stall_gate(self.stalled)
    }
    fn attempts(&self, me: usize) -> Option<usize> {
        // Relaxed: see the store.
        self.attempts.get(me).map(|a| a.load(Ordering::Relaxed))
    }
    fn stalled_at(&self) -> String {
        self.at.clone()
    }
}

/// A Paxos whose proposer `plan.who` pauses at its [`stall_point`].
fn stalled<A: Acceptor + 'static>(
    p: &Params,
    plan: StallPlan,
) -> Result<Box<dyn StalledInstance>, ConsensusError> {
    let mut cfg = config(p);
    let (after, at) = stall_point(plan.who, &cfg);
    cfg.faults.stalls.push(Stall { who: plan.who, after, pause: plan.pause });
    Ok(Box::new(CountedPaxos {
        paxos: PaxosConsensus::<A>::new(&cfg)?,
        stalled: plan.who,
        at,
        attempts: (0..p.threads).map(|_| AtomicUsize::new(0)).collect(),
    }))
}

pub(super) fn validate(p: &Params) -> Result<(), ConsensusError> {
    if p.crash_after > 0 && p.crashed == 0 {
        return Err(ConsensusError::InvalidConfig(format!(
            "acceptors crash after {} operations, but no acceptor crashes",
            p.crash_after
        )));
    }
    config(p).validate()
}

pub(super) fn build<A: Acceptor, R: Rules>(
    p: &Params,
) -> Result<PaxosConsensus<A, R>, ConsensusError> {
    PaxosConsensus::new(&config(p))
}

/// The two correct Paxos protocols differ only in their acceptor registers.
macro_rules! paxos_protocol {
    ($acceptor:ty, $name:literal, $summary:literal, $primitive:literal, $object:expr) => {
        impl Protocol for PaxosConsensus<$acceptor> {
            const INFO: ProtocolInfo = ProtocolInfo {
                name: $name,
                summary: $summary,
                primitive: $primitive,
                object: $object,
                consensus_number: ConsensusNumber::Infinite,
                threads: Threads::AtMost(MAX_VALUES),
                knobs: KNOBS,
                loom: MODELS,
                shuttle: SHUTTLE,
                stall: Some(StallPoint::PaxosPhase),
                broken: None,
            };
            fn validate(p: &Params) -> Result<(), ConsensusError> {
                validate(p)
            }
            fn build(p: &Params) -> Result<Self, ConsensusError> {
                build(p)
            }
            fn build_stalled(
                p: &Params,
                plan: StallPlan,
            ) -> Result<Box<dyn StalledInstance>, ConsensusError> {
                stalled::<$acceptor>(p, plan)
            }
        }
    };
}

paxos_protocol!(
    PackedAcceptor,
    "paxos",
    "Paxos over lock-free acceptor registers (packed word, CAS); fast path for ballot 1",
    "compare&swap acceptor registers",
    &<CompareAndSwap as Object>::INFO
);
paxos_protocol!(
    MutexAcceptor,
    "paxos-mutex",
    "Paxos over acceptor registers behind a mutex each",
    "mutex acceptor registers",
    &MUTEX
);
