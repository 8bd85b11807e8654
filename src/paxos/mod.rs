//! Paxos over shared-memory acceptor registers, with crash faults.
//!
//! **Algorithm** (section 3.3 of the course notes, with the acceptors as
//! registers in shared memory instead of processes behind a network). `A`
//! acceptors (odd), `P` proposers = the threads of the consensus instance, each
//! with its own disjoint, increasing ballots ([`Ballots`](crate::consensus::rounds::Ballots)):
//!
//! ```text
//! propose(me), ballot b:
//!   phase 1: prepare(b) at the acceptors until a majority promised
//!            v := the value of the highest accepted ballot among the promises,
//!                 or me if none had accepted anything
//!   phase 2: accept(b, v) at the acceptors until a majority accepted
//!            decide v
//!   a nack (a higher promise) or too few promises/accepts: back off, retry
//!   with my smallest ballot above the highest promise seen
//!   fewer than a majority of acceptors answering: NoQuorum
//! ```
//!
//! **The fast path.** Proposer 0's first ballot is 1, the lowest ballot in the
//! system: nothing can have been accepted below it, so phase 1 could only
//! return "nothing accepted" and is skipped. Uncontended, a decision then costs
//! one accept at each acceptor of a majority (2 read-modify-writes with 3
//! acceptors) plus the announce. If another proposer has promised higher, the
//! accept is nacked and proposer 0 falls back to the classic path.
//!
//! **Why n = 2f + 1.** Any two majorities intersect, so a later phase 1 hears
//! from at least one acceptor of every majority that accepted earlier: it learns
//! the chosen value and adopts it. With `f` crashed of `2f + 1`, `f + 1` live
//! acceptors still form a majority.
//!
//! **Linearization point**: the accept that first makes a majority accept one
//! ballot's value (the value is *chosen* then; every later ballot carries it).
//!
//! **Progress**: obstruction-free (with the packed acceptors; the mutex ones
//! block inside an operation). Duelling proposers can nack each other forever;
//! randomized exponential backoff makes that vanishingly unlikely on real cores,
//! and loom models bound the rounds. With at most `f` acceptors crashed and at
//! least one live proposer, every live proposer decides; with more crashed,
//! `decide` returns [`ConsensusError::NoQuorum`] after one pass over the
//! acceptors instead of waiting.
//!
//! **Happens-before** for the announce layer: a decided value id is either the
//! decider's own (program order) or was adopted from a promise whose `prepare`
//! Acquire-read an `accept`'s Release write, which a proposer wrote after
//! obtaining the id the same way, back to its proposer.

pub mod acceptor;
pub mod broken;
pub mod fast;
pub mod faults;
mod proposer;
mod protocol;
pub mod quorums;
#[cfg(not(loom))]
pub mod run;

pub use acceptor::{Acceptor, MutexAcceptor, PackedAcceptor};
pub use fast::{CoordinatedFastPaxos, FastPaxos, FastPaxosConfig, FastPaxosConsensus};
pub use faults::{Crash, FaultPlan, RandomCrashes, Stall};
pub use proposer::{Classic, ProposerStats, Rules};
pub use protocol::stall_point;
pub use quorums::Quorums;

/// The acceptors of a Paxos instance built from registry parameters that do
/// not set [`Params::acceptors`](crate::consensus::protocol::Params::acceptors).
pub const DEFAULT_ACCEPTORS: usize = 3;

use crate::consensus::acceptor_state;
use crate::consensus::rounds::RoundLimit;
use crate::consensus::stall::StallGate;
use crate::consensus::{ConsensusError, IdConsensus, Progress};
use crate::sync::{AtomicUsize, CachePadded, Ordering};
use crate::trace::{RmwOp, Step, Trace, Val};
use std::marker::PhantomData;

/// Most acceptors an instance may have (the invariant check keeps a bitmask of
/// them in one `u64`).
pub const MAX_ACCEPTORS: usize = 63;

/// Paxos with lock-free packed-word acceptors.
pub type Paxos = PaxosConsensus<PackedAcceptor>;
/// Paxos with mutex acceptors.
pub type MutexPaxos = PaxosConsensus<MutexAcceptor>;

/// One acceptor and its crash point.
#[derive(Debug)]
struct Site<A> {
    acceptor: CachePadded<A>,
    crash_after: Option<usize>,
    ops: AtomicUsize,
}

impl<A: Acceptor> Site<A> {
    /// Runs `op` unless the acceptor has crashed: `None` is "no reply".
    #[inline]
    fn call<R>(&self, op: impl FnOnce(&A) -> R) -> Option<R> {
        match self.crash_after {
            None => Some(op(&self.acceptor)),
            Some(0) => None,
            Some(k) => {
                // Relaxed: a counter of this acceptor's operations; it orders nothing.
                let n = self.ops.fetch_add(1, Ordering::Relaxed);
                (n < k).then(|| op(&self.acceptor))
            }
        }
    }
}

/// A proposer's stall point (fault plan) and its gate.
#[derive(Debug)]
struct ProposerStall {
    after: usize,
    gate: StallGate,
}

/// What the fault plan does to one proposer: crash after some step, stall
/// after some step (boxed: a plan without stalls costs no gate).
#[derive(Debug, Default)]
struct ProposerFaults {
    crash_after: Option<usize>,
    stall: Option<Box<ProposerStall>>,
}

/// How to build a Paxos instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaxosConfig {
    /// Proposers (= threads, ids `0..proposers`).
    pub proposers: usize,
    /// Acceptors, odd, 1 to [`MAX_ACCEPTORS`].
    pub acceptors: usize,
    /// Crashes.
    pub faults: FaultPlan,
    /// Attempts per proposer before it gives up (`None`: until decided).
    pub rounds: Option<usize>,
    /// Whether proposer 0's first ballot skips phase 1.
    pub fast_path: bool,
    /// Flexible Paxos quorums (`None`: majorities, which need an odd number
    /// of acceptors).
    pub quorums: Option<Quorums>,
}

impl PaxosConfig {
    /// `proposers` proposers, 3 acceptors, no fault, fast path on.
    pub fn new(proposers: usize) -> Self {
        PaxosConfig {
            proposers,
            acceptors: 3,
            faults: FaultPlan::none(),
            rounds: None,
            fast_path: true,
            quorums: None,
        }
    }
}

impl PaxosConfig {
    /// Checks the configuration without building: what [`PaxosConsensus::new`]
    /// refuses.
    ///
    /// # Errors
    /// [`ConsensusError::InvalidConfig`] for an even (without explicit
    /// quorums) or out-of-range acceptor count, quorums for another count or
    /// violating `phase1 + phase2 > n`, no proposer, too many proposers, or a
    /// fault plan naming acceptors or proposers that do not exist.
    pub fn validate(&self) -> Result<(), ConsensusError> {
        let bad = |why: String| Err(ConsensusError::InvalidConfig(why));
        if let Some(q) = self.quorums {
            if q.n != self.acceptors {
                return bad(format!(
                    "quorums for {} acceptors, but there are {}",
                    q.n, self.acceptors
                ));
            }
            if !q.is_valid() || self.acceptors == 0 || self.acceptors > MAX_ACCEPTORS {
                return bad(format!("invalid quorums: {q}"));
            }
        } else if self.acceptors == 0 || self.acceptors % 2 == 0 || self.acceptors > MAX_ACCEPTORS {
            return bad(format!(
                "Paxos needs an odd number of acceptors from 1 to {MAX_ACCEPTORS}, not {}",
                self.acceptors
            ));
        }
        if self.proposers == 0 || self.proposers > acceptor_state::MAX_VALUES {
            return bad(format!("Paxos needs 1 to {} proposers", acceptor_state::MAX_VALUES));
        }
        self.faults.single_decree().map_err(ConsensusError::InvalidConfig)?;
        self.faults.validate(self.acceptors, self.proposers).map_err(ConsensusError::InvalidConfig)
    }

    /// The quorum sizes: the configured ones, or majorities.
    pub fn quorums(&self) -> Quorums {
        self.quorums.unwrap_or(Quorums::unchecked(
            self.acceptors,
            majority(self.acceptors),
            majority(self.acceptors),
            self.acceptors,
        ))
    }
}

/// A majority of `n` acceptors: the smallest set any two of which intersect.
pub const fn majority(n: usize) -> usize {
    n / 2 + 1
}

/// Paxos as an [`IdConsensus`]: acceptor registers `A`, proposer rules `R`
/// ([`Classic`] for the correct protocol; the broken variants swap them).
#[derive(Debug)]
pub struct PaxosConsensus<A, R = Classic> {
    sites: Box<[Site<A>]>,
    /// One entry per proposer (ids `0..proposers`).
    proposers: Box<[ProposerFaults]>,
    limit: RoundLimit,
    fast_path: bool,
    quorums: Quorums,
    rules: PhantomData<fn() -> R>,
}

impl<A: Acceptor, R: Rules> PaxosConsensus<A, R> {
    /// An undecided instance.
    ///
    /// # Errors
    /// [`ConsensusError::InvalidConfig`] for an even or out-of-range acceptor
    /// count, invalid quorums, no proposer, too many proposers, or a fault
    /// plan naming acceptors or proposers that do not exist.
    pub fn new(cfg: &PaxosConfig) -> Result<Self, ConsensusError> {
        cfg.validate()?;
        Ok(PaxosConsensus {
            sites: sites(cfg.acceptors, &cfg.faults),
            proposers: proposer_faults(cfg.proposers, &cfg.faults),
            limit: RoundLimit(cfg.rounds),
            fast_path: cfg.fast_path,
            quorums: cfg.quorums(),
            rules: PhantomData,
        })
    }

    /// The number of acceptors.
    pub fn acceptors(&self) -> usize {
        self.sites.len()
    }

    /// The quorum sizes.
    pub fn quorums(&self) -> Quorums {
        self.quorums
    }

    /// The gate proposer `j` stalls at, if the fault plan stalls it (to watch
    /// whether it is inside its stall).
    pub fn stall_gate(&self, j: usize) -> Option<&StallGate> {
        self.proposers.get(j)?.stall.as_ref().map(|s| &s.gate)
    }

    /// Acceptor `i`'s current state (inspection only).
    pub fn acceptor_state(&self, i: usize) -> Option<acceptor_state::AcceptorState> {
        self.sites.get(i).map(|s| s.acceptor.state())
    }

    /// Proposer `me` runs until it decides, gives up, crashes or finds no
    /// quorum; returns that and what it did.
    pub fn propose(&self, me: usize) -> (Result<usize, ConsensusError>, ProposerStats) {
        proposer::run(self, me)
    }
}

impl<A: Acceptor, R: Rules> IdConsensus for PaxosConsensus<A, R> {
    fn threads(&self) -> usize {
        self.proposers.len()
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        self.propose(me).0
    }

    fn progress(&self) -> Progress {
        if A::BLOCKING {
            Progress::Blocking
        } else {
            Progress::ObstructionFree
        }
    }

    /// Every ballot accepted by a phase-2 quorum carries the same value.
    fn check_invariant(&self, trace: &Trace) -> Result<(), String> {
        chosen_values_agree(trace, self.quorums.phase2)
    }
}

/// The acceptor sites of an instance of `n` acceptors under `faults`.
fn sites<A: Acceptor>(n: usize, faults: &FaultPlan) -> Box<[Site<A>]> {
    (0..n)
        .map(|i| Site {
            acceptor: CachePadded::new(A::new()),
            crash_after: faults.acceptor(i),
            ops: AtomicUsize::new(0),
        })
        .collect()
}

/// What `faults` does to each of `n` proposers.
fn proposer_faults(n: usize, faults: &FaultPlan) -> Box<[ProposerFaults]> {
    (0..n)
        .map(|j| ProposerFaults {
            crash_after: faults.proposer(j),
            stall: faults
                .stalls
                .iter()
                .find(|s| s.who == j)
                .map(|s| Box::new(ProposerStall { after: s.after, gate: StallGate::new(s.pause) })),
        })
        .collect()
}

/// From a trace, the ballots a phase-2 quorum (`quorum` acceptors) accepted,
/// with their value and the acceptors; errors if two of them carry different
/// values, or if one ballot was accepted with two values.
///
/// # Errors
/// The two chosen ballots with different values.
pub fn chosen_values_agree(trace: &Trace, quorum: usize) -> Result<(), String> {
    chosen_agree(trace, |_| quorum, None)
}

/// The chosen-value invariant over a trace: every (ballot, value) accepted by
/// `quorum(ballot)` acceptors carries the same value. Only ballot `shared`
/// (Fast Paxos's fast ballot, which every proposer writes at) may be accepted
/// with several values.
///
/// # Errors
/// Two chosen values, or a ballot other than `shared` with two values.
pub(crate) fn chosen_agree(
    trace: &Trace,
    quorum: impl Fn(u64) -> usize,
    shared: Option<u64>,
) -> Result<(), String> {
    // (ballot, value, acceptor bitmask)
    let mut accepted: Vec<(u64, Option<usize>, u64)> = Vec::new();
    for e in &trace.events {
        let Step::Rmw { op: RmwOp::Accept, loc, arg: Val::Num(b), old, new } = e.step else {
            continue;
        };
        let (Some(i), Val::Ballots { accepted: nb, value, .. }) = (loc.index, new) else {
            continue;
        };
        if nb != b || old == new {
            continue; // nacked
        }
        if shared != Some(b) && accepted.iter().any(|&(ob, ov, _)| ob == b && ov != value) {
            return Err(format!("ballot {b} was accepted with two values"));
        }
        match accepted.iter_mut().find(|(ob, ov, _)| *ob == b && *ov == value) {
            Some(entry) => entry.2 |= 1 << i,
            None => accepted.push((b, value, 1 << i)),
        }
    }
    let chosen: Vec<_> =
        accepted.iter().filter(|(b, _, set)| set.count_ones() as usize >= quorum(*b)).collect();
    if let Some((b0, v0, s0)) = chosen.first() {
        if let Some((b1, v1, s1)) = chosen.iter().find(|(_, v, _)| v != v0) {
            let show = |v: &Option<usize>| Val::from_option(*v).to_string();
            return Err(format!(
                "two values chosen: ballot {b0} with t{} by {} acceptors, ballot {b1} with t{} by {} acceptors",
                show(v0),
                s0.count_ones(),
                show(v1),
                s1.count_ones()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Event, Loc};

    /// Acceptor `i`'s step `op` at ballot `b` from nothing to `(b, b: value)`.
    fn step(op: RmwOp, i: usize, b: u64, value: usize) -> Event {
        let none = Val::Ballots { promised: 0, accepted: 0, value: None };
        let new = Val::Ballots { promised: b, accepted: b, value: Some(value) };
        Event {
            thread: value,
            step: Step::Rmw { op, loc: Loc::at("acceptor", i), arg: Val::Num(b), old: none, new },
        }
    }

    #[test]
    fn the_invariant_reads_the_accept_steps_only() {
        // Ballot 1 with t0 at acceptors 0 and 1, ballot 2 with t1 at 1 and 2:
        // two values chosen by a majority of 3.
        let two = |op| Trace {
            events: vec![
                step(op, 0, 1, 0),
                step(op, 1, 1, 0),
                step(op, 1, 2, 1),
                step(op, 2, 2, 1),
            ],
        };
        let err = chosen_values_agree(&two(RmwOp::Accept), majority(3)).unwrap_err();
        assert!(err.starts_with("two values chosen: ballot 1 with t0"), "{err}");
        // The same steps as prepares choose nothing.
        assert_eq!(chosen_values_agree(&two(RmwOp::Prepare), majority(3)), Ok(()));
        // One value, or no majority for the second: fine.
        assert_eq!(chosen_values_agree(&two(RmwOp::Accept), majority(5)), Ok(()));
    }
}
