//! The Fast Paxos proposer: the fast round, then classic recovery rounds.
//!
//! The rules that make it Fast Paxos (which quorums, which value recovery
//! picks, who recovers) are a [`FastRules`] type parameter; the broken
//! variants in [`broken`](super::broken) change one each.

use super::super::proposer::{Phase, Proposer};
use super::super::{Acceptor, ProposerStats, Quorums};
use super::{FastPaxosConsensus, FAST_BALLOT};
use crate::consensus::acceptor_state;
use crate::consensus::rounds::{backoff, Ballots};
use crate::consensus::ConsensusError;
use crate::sync::yield_now;
use crate::trace_step;
use arrayvec::ArrayVec;

/// The promises of one recovery's phase 1: each one's accepted (ballot,
/// value), ballot 0 for nothing.
pub type Promises = ArrayVec<(u64, Option<usize>), { super::super::MAX_ACCEPTORS }>;

/// The rules of the Fast Paxos proposer.
pub trait FastRules: 'static {
    /// Whether only proposer 0 recovers (the others wait for its outcome).
    const COORDINATED: bool;

    /// The quorum sizes the proposers use, from the configured ones (the
    /// correct rules keep them; broken variants shrink them).
    fn quorums(configured: Quorums) -> Quorums {
        configured
    }

    /// The value recovery proposes after phase 1 found `promises`.
    fn pick(me: usize, promises: &Promises, q: &Quorums) -> usize;
}

/// Lamport's recovery rule: the value of the highest classic ballot, or at
/// the fast ballot the value at least `q_1 + q_f − n` promises report, or
/// else the most reported one (any would do), or else `me`.
pub fn lamport_pick(me: usize, promises: &Promises, q: &Quorums) -> usize {
    let Some(k) = promises.iter().filter(|(_, v)| v.is_some()).map(|&(b, _)| b).max() else {
        return me;
    };
    let at_k = promises.iter().filter(|&&(b, _)| b == k).filter_map(|&(_, v)| v);
    if k != FAST_BALLOT {
        // One value per classic ballot.
        return at_k.into_iter().next().unwrap_or(me);
    }
    // Count each value reported at the fast ballot (at most n of them).
    let mut counts: ArrayVec<(usize, usize), { super::super::MAX_ACCEPTORS }> = ArrayVec::new();
    for v in at_k {
        match counts.iter_mut().find(|(w, _)| *w == v) {
            Some(c) => c.1 += 1,
            None => counts.push((v, 1)),
        }
    }
    // Reported by the threshold: may have been chosen, must be proposed (at
    // most one value gets there: `Quorums` checks q_1 + 2·q_f > 2·n).
    if let Some(&(v, _)) = counts.iter().find(|&&(_, c)| c >= q.recovery_threshold()) {
        return v;
    }
    // None was chosen at the fast ballot: any value is safe; the most
    // reported one (a proposed value, so validity holds).
    counts.iter().copied().max_by_key(|&(_, c)| c).map_or(me, |(v, _)| v)
}

/// Fast Paxos with uncoordinated recovery.
#[derive(Debug)]
pub struct Lamport;

impl FastRules for Lamport {
    const COORDINATED: bool = false;
    fn pick(me: usize, promises: &Promises, q: &Quorums) -> usize {
        lamport_pick(me, promises, q)
    }
}

/// Fast Paxos with coordinated recovery (proposer 0).
#[derive(Debug)]
pub struct LamportCoordinated;

impl FastRules for LamportCoordinated {
    const COORDINATED: bool = true;
    fn pick(me: usize, promises: &Promises, q: &Quorums) -> usize {
        lamport_pick(me, promises, q)
    }
}

/// The smallest number of live acceptors any round can still use.
fn live(q: &Quorums) -> usize {
    q.phase1.max(q.phase2)
}

/// One recovery round at classic ballot `b`.
fn recover<A: Acceptor, R: FastRules>(
    p: &mut Proposer<'_, A>,
    q: &Quorums,
    b: u64,
) -> Result<Phase<usize>, ConsensusError> {
    let mut promises = Promises::new();
    match p.prepare(b, q.phase1, |accepted, value| promises.push((accepted, value)))? {
        Phase::Done(()) => {}
        Phase::Nacked(promise) => return Ok(Phase::Nacked(promise)),
    }
    let v = R::pick(p.me, &promises, q);
    trace_step!(p.me, Note("recovery: picks a value from the promises"));
    Ok(match p.accept(b, v, q.phase2, live(q))? {
        Phase::Done(()) => Phase::Done(v),
        Phase::Nacked(promise) => Phase::Nacked(promise),
    })
}

/// A proposer that is not the coordinator, after a collided fast round:
/// waits for the coordinator's outcome (coordinated recovery; blocking).
fn wait_for_coordinator<A: Acceptor, R: FastRules>(
    paxos: &FastPaxosConsensus<A, R>,
    me: usize,
) -> Result<usize, ConsensusError> {
    trace_step!(me, Note("collision: waits for the coordinator's recovery"));
    loop {
        match paxos.outcome() {
            Some(outcome) => return outcome,
            // Under loom, let the coordinator run.
            None => yield_now(),
        }
    }
}

/// Proposer `me` of `paxos` runs until it decides, gives up, crashes, or
/// finds no quorum.
pub(super) fn run<A: Acceptor, R: FastRules>(
    paxos: &FastPaxosConsensus<A, R>,
    me: usize,
) -> (Result<usize, ConsensusError>, ProposerStats) {
    let Some(faults) = paxos.proposers.get(me) else {
        let threads = paxos.proposers.len();
        return (Err(ConsensusError::IdOutOfRange { id: me, threads }), ProposerStats::default());
    };
    let q = &paxos.quorums;
    let mut p = Proposer::new(&paxos.sites, me, faults);
    let recovers = !R::COORDINATED || me == 0;
    let result = (|| {
        p.stats.attempts += 1;
        trace_step!(me, Note("fast round: writes its value at ballot 1"));
        let mut promise = match p.accept(FAST_BALLOT, me, q.fast, live(q))? {
            Phase::Done(()) => {
                p.stats.fast_path = true;
                trace_step!(me, Decide { winner: me });
                return Ok(me);
            }
            Phase::Nacked(promise) => promise,
        };
        if !recovers {
            return wait_for_coordinator(paxos, me);
        }
        let ballots = Ballots::new(me, paxos.proposers.len(), acceptor_state::MAX_BALLOT);
        loop {
            paxos.limit.after_failed(p.stats.attempts)?;
            backoff(p.stats.attempts);
            let b = ballots.above(promise.max(FAST_BALLOT))?;
            p.stats.attempts += 1;
            match recover::<A, R>(&mut p, q, b)? {
                Phase::Done(v) => {
                    trace_step!(me, Decide { winner: v });
                    return Ok(v);
                }
                Phase::Nacked(higher) => {
                    trace_step!(me, Note("nacked: retry with a higher ballot"));
                    promise = higher;
                }
            }
        }
    })();
    if R::COORDINATED && me == 0 {
        paxos.publish(&result);
    }
    (result, p.stats)
}
