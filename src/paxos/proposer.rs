//! The proposer: phase 1, phase 2, retries, faults and the fast path.
//!
//! The rules that make it Paxos, which value to propose after phase 1 and how
//! many accepts make a decision, are a [`Rules`] type parameter: [`Classic`] is
//! Paxos; the broken variants in [`broken::paxos`](crate::paxos::broken) change
//! one rule each and loom finds what breaks.

use super::acceptor::{Acceptor, Caller, Reply};
use super::{PaxosConsensus, ProposerFaults, Quorums, Site};
use crate::consensus::acceptor_state;
use crate::consensus::rounds::{backoff, Ballots};
use crate::consensus::ConsensusError;
use crate::trace_step;

/// The rules of the proposer.
pub trait Rules: 'static {
    /// The value to propose at a ballot whose phase 1 found `highest`: the
    /// accepted `(ballot, value)` with the highest ballot among the promises.
    fn choose(me: usize, highest: Option<(u64, usize)>) -> usize;

    /// How many accepts decide, with quorums `q`.
    fn phase2_quorum(q: &Quorums) -> usize;
}

/// Paxos: adopt the highest accepted value; decide on a phase-2 quorum (a
/// majority unless the configuration sets Flexible Paxos quorums).
#[derive(Debug)]
pub struct Classic;

impl Rules for Classic {
    fn choose(me: usize, highest: Option<(u64, usize)>) -> usize {
        highest.map_or(me, |(_, v)| v)
    }

    fn phase2_quorum(q: &Quorums) -> usize {
        q.phase2
    }
}

/// What one proposer did in one `decide`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProposerStats {
    /// Ballots tried (1 if the first one decided).
    pub attempts: usize,
    /// Nacks received.
    pub nacks: usize,
    /// Prepares sent (answered or not).
    pub prepares: usize,
    /// Accepts sent (answered or not).
    pub accepts: usize,
    /// Read-modify-write instructions the acceptors executed for it.
    pub rmws: usize,
    /// Whether the decision came from the fast path.
    pub fast_path: bool,
}

impl ProposerStats {
    /// Prepares plus accepts: the proposer's steps.
    pub fn steps(&self) -> usize {
        self.prepares + self.accepts
    }
}

/// How a phase ended.
pub(super) enum Phase<T> {
    /// A quorum answered yes.
    Done(T),
    /// Overruled: retry above this promise.
    Nacked(u64),
}

/// Where the fault plan stops or pauses one proposer: checked before every
/// step (one prepare or accept sent).
#[derive(Debug)]
pub(super) struct FaultClock<'a> {
    faults: &'a ProposerFaults,
    /// The step count at which the fault plan next does something to this
    /// proposer (`usize::MAX`: never): one compare per step on the hot path.
    next_fault: usize,
}

impl<'a> FaultClock<'a> {
    pub(super) fn new(faults: &'a ProposerFaults) -> Self {
        let stall = faults.stall.as_ref().map_or(usize::MAX, |s| s.after);
        let next_fault = faults.crash_after.unwrap_or(usize::MAX).min(stall);
        FaultClock { faults, next_fault }
    }

    /// Before a step, `steps` taken so far: stall or crash here if the fault
    /// plan says so.
    #[inline]
    pub(super) fn before_step(&mut self, me: usize, steps: usize) -> Result<(), ConsensusError> {
        if steps < self.next_fault {
            return Ok(());
        }
        self.fault(me, steps)
    }

    /// The fault plan's turn: stall (once), or crash.
    #[cold]
    fn fault(&mut self, me: usize, steps: usize) -> Result<(), ConsensusError> {
        let crash = self.faults.crash_after.unwrap_or(usize::MAX);
        if let Some(s) = self.faults.stall.as_ref().filter(|s| s.after == steps && steps < crash) {
            trace_step!(me, Note("stalls (fault plan)"));
            s.gate.pass();
        }
        if steps >= crash {
            trace_step!(me, Note("crashes (fault plan)"));
            return Err(ConsensusError::Crashed { after: crash });
        }
        // Steps only grow: the stall is behind, the crash (if any) ahead.
        self.next_fault = crash;
        Ok(())
    }
}

/// One proposer's rounds over the acceptor sites: the phase loops every Paxos
/// of the lab shares (classic here, Fast Paxos in [`fast`](super::fast)).
pub(super) struct Proposer<'a, A> {
    sites: &'a [Site<A>],
    pub(super) me: usize,
    clock: FaultClock<'a>,
    pub(super) stats: ProposerStats,
}

impl<'a, A: Acceptor> Proposer<'a, A> {
    pub(super) fn new(sites: &'a [Site<A>], me: usize, faults: &'a ProposerFaults) -> Self {
        Proposer { sites, me, clock: FaultClock::new(faults), stats: ProposerStats::default() }
    }

    /// Before every step: stall or crash here if the fault plan says so.
    #[inline]
    fn step(&mut self) -> Result<(), ConsensusError> {
        self.clock.before_step(self.me, self.stats.steps())
    }

    /// The acceptor indices in the order this proposer visits them: starting at
    /// its own index, so proposers spread over the acceptors.
    fn order(&self) -> impl Iterator<Item = usize> + use<A> {
        let (n, me) = (self.sites.len(), self.me);
        (0..n).map(move |k| (me + k) % n)
    }

    /// Too few acceptors answer for a quorum of `needed`.
    fn no_quorum(&self, silent: usize, needed: usize) -> ConsensusError {
        ConsensusError::NoQuorum { live: self.sites.len() - silent, needed }
    }

    /// Phase 1 at ballot `b` until `quorum` acceptors promised; each promise's
    /// accepted (ballot, value) goes to `promise`. Fewer than `quorum`
    /// answering at all: [`ConsensusError::NoQuorum`].
    pub(super) fn prepare(
        &mut self,
        b: u64,
        quorum: usize,
        mut promise: impl FnMut(u64, Option<usize>),
    ) -> Result<Phase<()>, ConsensusError> {
        let (mut promised, mut silent, mut highest_nack) = (0, 0, 0);
        for i in self.order() {
            if promised == quorum {
                break;
            }
            self.step()?;
            self.stats.prepares += 1;
            let who = Caller { proposer: self.me, acceptor: i };
            match self.sites[i].call(|a| a.prepare(who, b)) {
                None => silent += 1,
                Some(out) => {
                    self.stats.rmws += out.rmws as usize;
                    match out.reply {
                        Reply::Promise { accepted, value } => {
                            promised += 1;
                            promise(accepted, value);
                        }
                        Reply::Nack { promised: p } => {
                            self.stats.nacks += 1;
                            highest_nack = highest_nack.max(p);
                        }
                        Reply::Accepted => unreachable!("prepare never answers Accepted"),
                    }
                }
            }
        }
        if promised >= quorum {
            Ok(Phase::Done(()))
        } else if self.sites.len() - silent < quorum {
            Err(self.no_quorum(silent, quorum))
        } else {
            Ok(Phase::Nacked(highest_nack.max(b)))
        }
    }

    /// Phase 2 at ballot `b` with value `v` until `quorum` acceptors accepted.
    /// Fewer than `live` answering at all (the smallest quorum some later
    /// round could still use): [`ConsensusError::NoQuorum`]; fewer accepts
    /// than `quorum` otherwise: nacked.
    pub(super) fn accept(
        &mut self,
        b: u64,
        v: usize,
        quorum: usize,
        live: usize,
    ) -> Result<Phase<()>, ConsensusError> {
        let (mut accepted, mut silent, mut highest_nack) = (0, 0, 0);
        for i in self.order() {
            if accepted == quorum {
                break;
            }
            self.step()?;
            self.stats.accepts += 1;
            let who = Caller { proposer: self.me, acceptor: i };
            match self.sites[i].call(|a| a.accept(who, b, v)) {
                None => silent += 1,
                Some(out) => {
                    self.stats.rmws += out.rmws as usize;
                    match out.reply {
                        Reply::Accepted => accepted += 1,
                        Reply::Nack { promised: p } => {
                            self.stats.nacks += 1;
                            highest_nack = highest_nack.max(p);
                        }
                        Reply::Promise { .. } => unreachable!("accept never answers Promise"),
                    }
                }
            }
        }
        if accepted >= quorum {
            Ok(Phase::Done(()))
        } else if self.sites.len() - silent < live {
            Err(self.no_quorum(silent, live))
        } else {
            Ok(Phase::Nacked(highest_nack.max(b)))
        }
    }
}

/// One classic ballot: `Done(v)` if it decided `v`.
fn attempt<A: Acceptor, R: Rules>(
    p: &mut Proposer<'_, A>,
    q: &Quorums,
    b: u64,
    fast: bool,
) -> Result<Phase<usize>, ConsensusError> {
    let v = if fast {
        trace_step!(p.me, Note("fast path: ballot 1 skips phase 1"));
        p.me
    } else {
        let mut highest: Option<(u64, usize)> = None;
        let phase1 = p.prepare(b, q.phase1, |accepted, value| {
            if let Some(v) = value {
                if highest.is_none_or(|(hb, _)| accepted > hb) {
                    highest = Some((accepted, v));
                }
            }
        })?;
        match phase1 {
            Phase::Done(()) => R::choose(p.me, highest),
            Phase::Nacked(promise) => return Ok(Phase::Nacked(promise)),
        }
    };
    // A ballot that cannot reach a phase-2 quorum is no quorum, whatever
    // phase 1 could still do.
    let live = q.phase1.max(q.phase2);
    Ok(match p.accept(b, v, R::phase2_quorum(q), live)? {
        Phase::Done(()) => Phase::Done(v),
        Phase::Nacked(promise) => Phase::Nacked(promise),
    })
}

/// Proposer `me` of `paxos` runs until it decides, gives up, crashes, or finds
/// no quorum.
pub(super) fn run<A: Acceptor, R: Rules>(
    paxos: &PaxosConsensus<A, R>,
    me: usize,
) -> (Result<usize, ConsensusError>, ProposerStats) {
    let Some(faults) = paxos.proposers.get(me) else {
        let threads = paxos.proposers.len();
        return (Err(ConsensusError::IdOutOfRange { id: me, threads }), ProposerStats::default());
    };
    let mut p = Proposer::new(&paxos.sites, me, faults);
    let result = (|| {
        let ballots = Ballots::new(me, paxos.proposers.len(), acceptor_state::MAX_BALLOT);
        let mut b = ballots.first()?;
        // Ballot 1 is the lowest in the system: nothing was accepted below it.
        let mut fast = paxos.fast_path && b == 1;
        loop {
            p.stats.attempts += 1;
            match attempt::<A, R>(&mut p, &paxos.quorums, b, fast)? {
                Phase::Done(v) => {
                    p.stats.fast_path = fast;
                    trace_step!(me, Decide { winner: v });
                    return Ok(v);
                }
                Phase::Nacked(promise) => {
                    trace_step!(me, Note("nacked: retry with a higher ballot"));
                    paxos.limit.after_failed(p.stats.attempts)?;
                    backoff(p.stats.attempts);
                    b = ballots.above(promise)?;
                    fast = false;
                }
            }
        }
    })();
    (result, p.stats)
}
