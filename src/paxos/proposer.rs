//! The proposer: phase 1, phase 2, retries, faults and the fast path.
//!
//! The rules that make it Paxos, which value to propose after phase 1 and how
//! many accepts make a decision, are a [`Rules`] type parameter: [`Classic`] is
//! Paxos; the broken variants in [`broken::paxos`](crate::paxos::broken) change
//! one rule each and loom finds what breaks.

use super::acceptor::{Acceptor, Caller, Reply};
use super::{majority, PaxosConsensus, ProposerFaults};
use crate::consensus::acceptor_state;
use crate::consensus::rounds::{backoff, Ballots};
use crate::consensus::ConsensusError;
use crate::trace_step;

/// The rules of the proposer.
pub trait Rules: 'static {
    /// The value to propose at a ballot whose phase 1 found `highest`: the
    /// accepted `(ballot, value)` with the highest ballot among the promises.
    fn choose(me: usize, highest: Option<(u64, usize)>) -> usize;

    /// How many accepts decide, with `acceptors` acceptors.
    fn decide_quorum(acceptors: usize) -> usize;
}

/// Paxos: adopt the highest accepted value; decide on a majority.
#[derive(Debug)]
pub struct Classic;

impl Rules for Classic {
    fn choose(me: usize, highest: Option<(u64, usize)>) -> usize {
        highest.map_or(me, |(_, v)| v)
    }

    fn decide_quorum(acceptors: usize) -> usize {
        majority(acceptors)
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
enum Phase<T> {
    /// A quorum answered yes.
    Done(T),
    /// Overruled: retry above this promise.
    Nacked(u64),
}

struct Proposer<'a, A, R> {
    paxos: &'a PaxosConsensus<A, R>,
    me: usize,
    faults: &'a ProposerFaults,
    /// The step count at which the fault plan next does something to this
    /// proposer (`usize::MAX`: never): one compare per step on the hot path.
    next_fault: usize,
    stats: ProposerStats,
}

impl<'a, A: Acceptor, R: super::Rules> Proposer<'a, A, R> {
    fn new(paxos: &'a PaxosConsensus<A, R>, me: usize, faults: &'a ProposerFaults) -> Self {
        let stall = faults.stall.as_ref().map_or(usize::MAX, |s| s.after);
        let next_fault = faults.crash_after.unwrap_or(usize::MAX).min(stall);
        Proposer { paxos, me, faults, next_fault, stats: ProposerStats::default() }
    }

    /// Before every step: stall or crash here if the fault plan says so.
    #[inline]
    fn step(&mut self) -> Result<(), ConsensusError> {
        if self.stats.steps() < self.next_fault {
            return Ok(());
        }
        self.fault()
    }

    /// The fault plan's turn: stall (once), or crash.
    #[cold]
    fn fault(&mut self) -> Result<(), ConsensusError> {
        let steps = self.stats.steps();
        let crash = self.faults.crash_after.unwrap_or(usize::MAX);
        if let Some(s) = self.faults.stall.as_ref().filter(|s| s.after == steps && steps < crash) {
            trace_step!(self.me, Note("stalls (fault plan)"));
            s.gate.pass();
        }
        if steps >= crash {
            trace_step!(self.me, Note("crashes (fault plan)"));
            return Err(ConsensusError::Crashed { after: crash });
        }
        // Steps only grow: the stall is behind, the crash (if any) ahead.
        self.next_fault = crash;
        Ok(())
    }

    /// The acceptor indices in the order this proposer visits them: starting at
    /// its own index, so proposers spread over the acceptors.
    fn order(&self) -> impl Iterator<Item = usize> + use<A, R> {
        let (n, me) = (self.paxos.sites.len(), self.me);
        (0..n).map(move |k| (me + k) % n)
    }

    fn no_quorum(&self, silent: usize) -> ConsensusError {
        ConsensusError::NoQuorum {
            live: self.paxos.sites.len() - silent,
            needed: self.paxos.majority(),
        }
    }

    /// Phase 1 at ballot `b`: the highest accepted (ballot, value) among a
    /// majority of promises.
    fn phase1(&mut self, b: u64) -> Result<Phase<Option<(u64, usize)>>, ConsensusError> {
        let majority = self.paxos.majority();
        let (mut promised, mut silent, mut highest_nack) = (0, 0, 0);
        let mut highest: Option<(u64, usize)> = None;
        for i in self.order() {
            if promised == majority {
                break;
            }
            self.step()?;
            self.stats.prepares += 1;
            let who = Caller { proposer: self.me, acceptor: i };
            match self.paxos.sites[i].call(|a| a.prepare(who, b)) {
                None => silent += 1,
                Some(out) => {
                    self.stats.rmws += out.rmws as usize;
                    match out.reply {
                        Reply::Promise { accepted, value } => {
                            promised += 1;
                            if let Some(v) = value {
                                if highest.is_none_or(|(hb, _)| accepted > hb) {
                                    highest = Some((accepted, v));
                                }
                            }
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
        if promised >= majority {
            Ok(Phase::Done(highest))
        } else if self.paxos.sites.len() - silent < majority {
            Err(self.no_quorum(silent))
        } else {
            Ok(Phase::Nacked(highest_nack.max(b)))
        }
    }

    /// Phase 2 at ballot `b` with value `v`.
    fn phase2(&mut self, b: u64, v: usize) -> Result<Phase<()>, ConsensusError> {
        let quorum = R::decide_quorum(self.paxos.sites.len());
        let (mut accepted, mut silent, mut highest_nack) = (0, 0, 0);
        for i in self.order() {
            if accepted == quorum {
                break;
            }
            self.step()?;
            self.stats.accepts += 1;
            let who = Caller { proposer: self.me, acceptor: i };
            match self.paxos.sites[i].call(|a| a.accept(who, b, v)) {
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
        } else if self.paxos.sites.len() - silent < self.paxos.majority() {
            Err(self.no_quorum(silent))
        } else {
            Ok(Phase::Nacked(highest_nack.max(b)))
        }
    }

    /// One ballot: `Done(v)` if it decided `v`.
    fn attempt(&mut self, b: u64, fast: bool) -> Result<Phase<usize>, ConsensusError> {
        let v = if fast {
            trace_step!(self.me, Note("fast path: ballot 1 skips phase 1"));
            self.me
        } else {
            match self.phase1(b)? {
                Phase::Done(highest) => R::choose(self.me, highest),
                Phase::Nacked(p) => return Ok(Phase::Nacked(p)),
            }
        };
        Ok(match self.phase2(b, v)? {
            Phase::Done(()) => Phase::Done(v),
            Phase::Nacked(p) => Phase::Nacked(p),
        })
    }
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
    let mut p = Proposer::new(paxos, me, faults);
    let result = (|| {
        let ballots = Ballots::new(me, paxos.proposers.len(), acceptor_state::MAX_BALLOT);
        let mut b = ballots.first()?;
        // Ballot 1 is the lowest in the system: nothing was accepted below it.
        let mut fast = paxos.fast_path && b == 1;
        loop {
            p.stats.attempts += 1;
            match p.attempt(b, fast)? {
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
