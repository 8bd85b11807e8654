//! Paxos in the registry: its [`Protocol`] facts (knobs, loom models and their
//! cost), how registry parameters become a [`PaxosConfig`], and the stalled
//! instance of the stall demonstration (a proposer paused between phases).

use super::{
    Acceptor, FaultPlan, MutexAcceptor, PackedAcceptor, PaxosConfig, PaxosConsensus, Rules, Stall,
};
use crate::consensus::acceptor_state::MAX_VALUES;
use crate::consensus::protocol::{
    Knob, LoomModel, Params, Protocol, ProtocolInfo, StallPlan, Threads,
};
use crate::consensus::stall::{StallGate, StallPoint, StalledInstance};
use crate::consensus::{ConsensusError, IdConsensus, Progress};
use crate::objects::rmw::CompareAndSwap;
use crate::objects::{ConsensusNumber, Object, MUTEX};
use crate::sync::{AtomicUsize, Ordering};

/// Paxos from registry parameters: 3 acceptors unless told, the first
/// `crashed` of them crashed from the start, the fast path on.
fn config(p: &Params) -> PaxosConfig {
    PaxosConfig {
        proposers: p.threads,
        acceptors: p.acceptors.unwrap_or(super::DEFAULT_ACCEPTORS),
        faults: FaultPlan::first_acceptors_crashed(p.crashed),
        rounds: p.rounds,
        fast_path: true,
    }
}

/// The knobs every Paxos variant takes.
pub(super) const KNOBS: &[Knob] = &[Knob::Rounds, Knob::Acceptors, Knob::Crashed];

/// 2 proposers × 3 acceptors, exhaustive: 2 ballots each with no crash and
/// with acceptor 0 crashed from the start, and 3 ballots each with no crash
/// (packed acceptors: 608, 700 and 5,136 executions, all under 1 s on 2 vCPUs).
/// 3 proposers × 3 acceptors, 2 ballots each, bounded to 2 preemptions: 53
/// thousand executions in 4 to 9 s; ≤ 3 preemptions took 1.9 million in 122 s.
const MODELS: &[LoomModel] = &[
    LoomModel::exhaustive(2).acceptors(3, 0).rounds(2),
    LoomModel::exhaustive(2).acceptors(3, 1).rounds(2),
    LoomModel::exhaustive(2).acceptors(3, 0).rounds(3),
    LoomModel::bounded(3, 2).acceptors(3, 0).rounds(2),
];

/// Proposer `who`'s stall point: its steps before the pause, and the point in
/// words. Proposer 0 on the fast path pauses after its first accept; everyone
/// else between phases, holding a majority of promises.
pub fn stall_point(who: usize, cfg: &PaxosConfig) -> (usize, String) {
    let (majority, n) = (cfg.majority(), cfg.acceptors);
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
