//! Fast Paxos in the registry: its [`Protocol`] facts (knobs, loom and
//! shuttle models with their cost) and how registry parameters become a
//! [`FastPaxosConfig`].

use super::{FastPaxosConfig, FastPaxosConsensus, FastRules, Lamport, LamportCoordinated};
use crate::consensus::acceptor_state::MAX_VALUES;
use crate::consensus::protocol::{
    Knob, LoomModel, Params, Protocol, ProtocolInfo, ShuttleModel, Threads,
};
use crate::consensus::ConsensusError;
use crate::objects::rmw::CompareAndSwap;
use crate::objects::{ConsensusNumber, Object};
use crate::paxos::{Acceptor, Crash, FaultPlan, PackedAcceptor, DEFAULT_ACCEPTORS};

/// Fast Paxos from registry parameters: 3 acceptors unless told (any count
/// from 1, even ones too) with the default quorums, the first `crashed`
/// crashing after `crash_after` operations each, the proposer of
/// `proposer_crash` crashing after that many steps.
pub(crate) fn config(p: &Params) -> Result<FastPaxosConfig, ConsensusError> {
    let mut cfg = FastPaxosConfig::new(p.threads, p.acceptors.unwrap_or(DEFAULT_ACCEPTORS))?;
    let mut faults = FaultPlan::first_acceptors_crashed(p.crashed);
    for c in &mut faults.acceptors {
        c.after = p.crash_after;
    }
    faults.proposers.extend(p.proposer_crash.map(|(who, after)| Crash { who, after }));
    cfg.faults = faults;
    cfg.rounds = p.rounds;
    Ok(cfg)
}

pub(super) fn validate<R: FastRules>(p: &Params) -> Result<(), ConsensusError> {
    if p.crash_after > 0 && p.crashed == 0 {
        return Err(ConsensusError::InvalidConfig(format!(
            "acceptors crash after {} operations, but no acceptor crashes",
            p.crash_after
        )));
    }
    config(p)?.validate(R::COORDINATED)
}

pub(super) fn build<A: Acceptor, R: FastRules>(
    p: &Params,
) -> Result<FastPaxosConsensus<A, R>, ConsensusError> {
    FastPaxosConsensus::new(&config(p)?)
}

/// The knobs of every Fast Paxos variant.
pub(super) const KNOBS: &[Knob] =
    &[Knob::Rounds, Knob::Acceptors, Knob::Crashed, Knob::ProposerCrash];

/// Executions on 2 shared vCPUs (loaded by two other builds), release build;
/// rounds = attempts per proposer, the fast round included:
/// * 2 proposers × 3 acceptors (fast quorum 3), exhaustive;
/// * 3 proposers × 4 acceptors (fast quorum 3, recovery threshold 2), ≤ 1
///   preemption (the long suite: ≤ 2);
/// * 2 proposers × 4 acceptors, acceptor 0 crashed from the start (the fast
///   quorum is every live acceptor), exhaustive;
/// * 2 proposers × 3 acceptors, proposer 1 crashing after its first fast
///   accept (its value at one acceptor: recovery must not be confused),
///   exhaustive.
const MODELS: &[LoomModel] = &[
    LoomModel::exhaustive(2).acceptors(3, 0).rounds(2),
    LoomModel::bounded(3, 1).acceptors(4, 0).rounds(2).long_bounded(2),
    LoomModel::exhaustive(2).acceptors(4, 1).rounds(2),
    LoomModel::exhaustive(2).acceptors(3, 0).proposer_crash(1, 1).rounds(2),
];

/// Coordinated recovery: 2 × 3 exhaustive, 3 × 4 at ≤ 1 preemption, 2 × 4
/// with proposer 1 crashing after its first fast accept, exhaustive (the
/// coordinator must not crash: refused).
const COORDINATED_MODELS: &[LoomModel] = &[
    LoomModel::exhaustive(2).acceptors(3, 0).rounds(2),
    LoomModel::bounded(3, 1).acceptors(4, 0).rounds(2),
    LoomModel::exhaustive(2).acceptors(4, 0).proposer_crash(1, 1).rounds(2),
];

/// Beyond loom: 8 proposers × 4 and × 5 acceptors (one crashed), PCT depth
/// 3 and random schedules, 0.1 to 0.3 s each. Under the random scheduler no
/// iteration has all 8 uncoordinated proposers decide, at 3 attempts or at 6:
/// switching thread at every step keeps every recovery duelling (the
/// randomized backoff that ends duels on real cores is a no-op in the model
/// worlds), which obstruction-freedom allows; agreement and validity are
/// checked among the deciders. PCT runs 1,993 of 2,000 with everyone deciding,
/// and the coordinated variant all 2,000 under both.
const SHUTTLE: &[ShuttleModel] = &[
    ShuttleModel::pct(8, 3, 2_000).acceptors(4, 0).rounds(3),
    ShuttleModel::pct(8, 3, 2_000).acceptors(5, 1).rounds(3),
    ShuttleModel::random(8, 2_000).acceptors(4, 0).rounds(3),
];

/// The correct Fast Paxos protocols differ in who recovers.
macro_rules! fast_protocol {
    ($rules:ty, $name:literal, $summary:literal, $models:expr) => {
        impl Protocol for FastPaxosConsensus<PackedAcceptor, $rules> {
            const INFO: ProtocolInfo = ProtocolInfo {
                name: $name,
                summary: $summary,
                primitive: "compare&swap acceptor registers",
                object: &<CompareAndSwap as Object>::INFO,
                consensus_number: ConsensusNumber::Infinite,
                threads: Threads::AtMost(MAX_VALUES),
                knobs: KNOBS,
                loom: $models,
                shuttle: SHUTTLE,
                stall: None,
                broken: None,
            };
            fn validate(p: &Params) -> Result<(), ConsensusError> {
                validate::<$rules>(p)
            }
            fn build(p: &Params) -> Result<Self, ConsensusError> {
                build(p)
            }
        }
    };
}

fast_protocol!(
    Lamport,
    "fast-paxos",
    "Fast Paxos: every proposer writes at the fast ballot (fast quorum ⌈3n/4⌉); uncoordinated recovery",
    MODELS
);
fast_protocol!(
    LamportCoordinated,
    "fast-paxos-coordinated",
    "Fast Paxos with coordinated recovery: proposer 0 recovers a collision, the others wait",
    COORDINATED_MODELS
);
