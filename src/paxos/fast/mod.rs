//! Fast Paxos (Lamport 2006) over shared-memory acceptor registers.
//!
//! **Algorithm** (section 3.4 of the course notes). Ballot 1 is the *fast
//! ballot*: it belongs to nobody, and every proposer writes its own value
//! straight into the acceptors' registers there, with no leader and no phase
//! 1 (nothing can have been accepted below ballot 1). An acceptor accepts the
//! first value it gets at the fast ballot and refuses any other value there
//! ([`acceptor`](super::acceptor)'s rule). A value accepted by a **fast
//! quorum** (`q_f` acceptors, [`Quorums::fast`]) is chosen:
//!
//! ```text
//! propose(me):
//!   fast round:  accept(1, me) at the acceptors until q_f accepted: decide me
//!   collision (too few accepts: another value got some acceptors first):
//!     recovery, a classic round at a ballot b > 1:
//!       phase 1: prepare(b) until q_1 promised
//!       pick:    k := the highest accepted ballot among the promises
//!                k classic (> 1): its value (one value per classic ballot)
//!                k = 1 (fast):    the value reported by at least q_1 + q_f − n
//!                                 promises, if one is (Lamport's rule),
//!                                 else any reported value
//!                nothing:         me
//!       phase 2: accept(b, v) until q_2 accepted: decide v
//!     a nack: back off, retry above the highest promise seen
//! ```
//!
//! **Why the rule.** A value `v` chosen at the fast ballot was accepted by a
//! fast quorum `F`. Recovery's promises come from a phase-1 quorum `Q`, which
//! shares at least `q_1 + q_f − n` acceptors with `F`; each of them accepted
//! `v` at ballot 1 and (having promised `b`) accepts nothing between, so it
//! reports `v` at ballot 1 unless a classic ballot above 1 was accepted, in
//! which case that ballot's value is `v` by induction. With `q_1 + 2·q_f > 2·n`
//! no other value reaches the threshold ([`Quorums`] checks the sizes). The
//! highest-ballot rule of classic Paxos is wrong here: ballot 1 carries
//! several values, and the one that is highest "first" need not be the chosen
//! one ([`broken::HighestBallot`]).
//!
//! **Two recoveries.**
//! * **Uncoordinated** ([`FastPaxos`]): every proposer whose fast round
//!   collided runs recovery itself. Obstruction-free: recovering proposers
//!   can nack each other forever (randomized backoff on real cores, bounded
//!   rounds under loom), and no proposer waits for another.
//! * **Coordinated** ([`CoordinatedFastPaxos`]): proposer 0 is the
//!   coordinator. Only it recovers; the others, after a collided fast round,
//!   wait for the outcome it publishes. One recovery round instead of a duel,
//!   at the price of **blocking**: a stalled coordinator stalls everyone
//!   whose fast round collided (a plan crashing the coordinator is refused:
//!   the others would wait forever).
//!
//! **Linearization point**: the accept that first makes a fast quorum accept
//! one value at ballot 1, or a phase-2 quorum accept one value at a classic
//! ballot (the value is chosen then).
//!
//! **Cost.** Uncontended, a decision is one accept at each acceptor of a fast
//! quorum (`q_f` CASes: 3 with 3 or 4 acceptors) and no phase 1, against
//! classic Paxos's `q_2` (2 of 3) when its proposer owns ballot 1; a
//! collision adds a whole classic round (`q_1` prepares and `q_2` accepts).
//!
//! **Orderings.** Those of the acceptors (accept Release, prepare Acquire):
//! a value adopted in recovery was read by a prepare's Acquire from the
//! Release of the accept that wrote it. The coordinator's outcome word is
//! stored Release after its decision and loaded Acquire by the waiters, so a
//! waiter that returns the coordinator's value sees its proposer's announce
//! through the coordinator.

pub mod broken;
mod proposer;
mod protocol;
#[cfg(all(test, not(loom)))]
mod tests;

use super::{proposer_faults, sites, Acceptor, FaultPlan, PackedAcceptor, ProposerFaults};
use super::{ProposerStats, Quorums, Site, MAX_ACCEPTORS};
use crate::consensus::acceptor_state::{self, AcceptorState};
use crate::consensus::rounds::RoundLimit;
use crate::consensus::{ConsensusError, IdConsensus, Progress};
use crate::sync::{AtomicUsize, Ordering};
use crate::trace::Trace;
use std::marker::PhantomData;

pub use proposer::{lamport_pick, FastRules, Lamport, LamportCoordinated, Promises};

/// The fast ballot: the lowest in the system, owned by no proposer.
pub const FAST_BALLOT: u64 = 1;

/// Fast Paxos with uncoordinated recovery, lock-free acceptors.
pub type FastPaxos = FastPaxosConsensus<PackedAcceptor, Lamport>;
/// Fast Paxos with coordinated recovery (proposer 0), lock-free acceptors.
pub type CoordinatedFastPaxos = FastPaxosConsensus<PackedAcceptor, LamportCoordinated>;

/// How to build a Fast Paxos instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FastPaxosConfig {
    /// Proposers (= threads, ids `0..proposers`).
    pub proposers: usize,
    /// Acceptors and quorum sizes (any `n` from 1; even is fine).
    pub quorums: Quorums,
    /// Crashes and stalls.
    pub faults: FaultPlan,
    /// Attempts per proposer (the fast round counts) before it gives up
    /// (`None`: until decided).
    pub rounds: Option<usize>,
}

impl FastPaxosConfig {
    /// `proposers` proposers, `acceptors` acceptors with the default quorums
    /// (majorities, `⌈3n/4⌉` fast), no fault.
    ///
    /// # Errors
    /// An acceptor count out of range.
    pub fn new(proposers: usize, acceptors: usize) -> Result<Self, ConsensusError> {
        let quorums = Quorums::defaults(acceptors).map_err(ConsensusError::InvalidConfig)?;
        Ok(FastPaxosConfig { proposers, quorums, faults: FaultPlan::none(), rounds: None })
    }

    /// Checks the configuration without building.
    ///
    /// # Errors
    /// [`ConsensusError::InvalidConfig`] for quorums violating a condition, no
    /// proposer or too many, a fault plan naming acceptors or proposers that do
    /// not exist, or (coordinated) a plan that crashes the coordinator.
    pub fn validate(&self, coordinated: bool) -> Result<(), ConsensusError> {
        let bad = |why: String| Err(ConsensusError::InvalidConfig(why));
        let q = self.quorums;
        if q.n == 0 || q.n > MAX_ACCEPTORS || !q.is_valid() {
            return bad(format!("invalid quorums: {q}"));
        }
        if self.proposers == 0 || self.proposers > acceptor_state::MAX_VALUES {
            return bad(format!("Fast Paxos needs 1 to {} proposers", acceptor_state::MAX_VALUES));
        }
        self.faults.single_decree().map_err(ConsensusError::InvalidConfig)?;
        self.faults.validate(q.n, self.proposers).map_err(ConsensusError::InvalidConfig)?;
        if coordinated && self.faults.proposer(0).is_some() {
            return bad("coordinated Fast Paxos: proposer 0 is the coordinator, and the others \
                        would wait for it forever if it crashed (crash another proposer, or use \
                        fast-paxos, whose recovery is uncoordinated)"
                .into());
        }
        Ok(())
    }
}

/// The coordinator's outcome word: a tag in the low 2 bits, a payload (the
/// value, the live acceptors, the attempts) above.
const PENDING: usize = 0;
const DECIDED: usize = 1;
const NO_QUORUM: usize = 2;
const GAVE_UP: usize = 3;

/// Fast Paxos as an [`IdConsensus`]: acceptor registers `A`, rules `R`
/// ([`Lamport`], [`LamportCoordinated`]; the broken variants swap them).
#[derive(Debug)]
pub struct FastPaxosConsensus<A, R> {
    sites: Box<[Site<A>]>,
    proposers: Box<[ProposerFaults]>,
    limit: RoundLimit,
    /// The sizes the proposers use (`R::quorums` of the configured ones).
    quorums: Quorums,
    /// Coordinated recovery: the coordinator's outcome (PENDING, FAILED,
    /// DECIDED + value).
    outcome: AtomicUsize,
    rules: PhantomData<fn() -> R>,
}

impl<A: Acceptor, R: FastRules> FastPaxosConsensus<A, R> {
    /// An undecided instance.
    ///
    /// # Errors
    /// What [`FastPaxosConfig::validate`] refuses.
    pub fn new(cfg: &FastPaxosConfig) -> Result<Self, ConsensusError> {
        cfg.validate(R::COORDINATED)?;
        Ok(FastPaxosConsensus {
            sites: sites(cfg.quorums.n, &cfg.faults),
            proposers: proposer_faults(cfg.proposers, &cfg.faults),
            limit: RoundLimit(cfg.rounds),
            quorums: R::quorums(cfg.quorums),
            outcome: AtomicUsize::new(PENDING),
            rules: PhantomData,
        })
    }

    /// The quorum sizes the proposers use.
    pub fn quorums(&self) -> Quorums {
        self.quorums
    }

    /// The gate proposer `j` stalls at, if the fault plan stalls it.
    pub fn stall_gate(&self, j: usize) -> Option<&crate::consensus::stall::StallGate> {
        self.proposers.get(j)?.stall.as_ref().map(|s| &s.gate)
    }

    /// Acceptor `i`'s current state (inspection only).
    pub fn acceptor_state(&self, i: usize) -> Option<AcceptorState> {
        self.sites.get(i).map(|s| s.acceptor.state())
    }

    /// Proposer `me` runs until it decides, gives up, crashes or finds no
    /// quorum; returns that and what it did (`fast_path`: decided in the fast
    /// round).
    pub fn propose(&self, me: usize) -> (Result<usize, ConsensusError>, ProposerStats) {
        proposer::run(self, me)
    }

    /// The coordinator publishes its outcome (coordinated recovery): the
    /// waiters return the same (a decision, no quorum, or gave up).
    fn publish(&self, result: &Result<usize, ConsensusError>) {
        let word = match *result {
            Ok(v) => DECIDED | v << 2,
            Err(ConsensusError::NoQuorum { live, .. }) => NO_QUORUM | live << 2,
            Err(ConsensusError::GaveUp { attempts }) => GAVE_UP | attempts << 2,
            // Crashes of the coordinator are refused by `validate`; anything
            // else ends the waiters too.
            Err(_) => GAVE_UP,
        };
        // Release: pairs with the waiters' Acquire load in `outcome`; the
        // value's announce (read by the coordinator's prepares) goes with it.
        self.outcome.store(word, Ordering::Release);
    }

    /// The coordinator's outcome, if it has one.
    fn outcome(&self) -> Option<Result<usize, ConsensusError>> {
        // Acquire: pairs with the Release store in `publish`.
        let w = self.outcome.load(Ordering::Acquire);
        let payload = w >> 2;
        match w & 3 {
            PENDING => None,
            DECIDED => Some(Ok(payload)),
            NO_QUORUM => Some(Err(ConsensusError::NoQuorum {
                live: payload,
                needed: self.quorums.phase1.max(self.quorums.phase2),
            })),
            _ => Some(Err(ConsensusError::GaveUp { attempts: payload })),
        }
    }
}

impl<A: Acceptor, R: FastRules> IdConsensus for FastPaxosConsensus<A, R> {
    fn threads(&self) -> usize {
        self.proposers.len()
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        self.propose(me).0
    }

    fn progress(&self) -> Progress {
        if A::BLOCKING || R::COORDINATED {
            Progress::Blocking
        } else {
            Progress::ObstructionFree
        }
    }

    /// Every value chosen (by a fast quorum at ballot 1, by a phase-2 quorum
    /// at a classic ballot) is the same.
    fn check_invariant(&self, trace: &Trace) -> Result<(), String> {
        chosen_values_agree(trace, &self.quorums)
    }
}

/// The chosen-value invariant of Fast Paxos over a trace: a value accepted
/// by `q.fast` acceptors at the fast ballot, or by `q.phase2` at a classic
/// ballot, is chosen; every chosen value is the same, and no classic ballot
/// carries two values.
///
/// # Errors
/// The two chosen values, with their ballots and acceptor counts.
pub fn chosen_values_agree(trace: &Trace, q: &Quorums) -> Result<(), String> {
    super::chosen_agree(
        trace,
        |b| if b == FAST_BALLOT { q.fast } else { q.phase2 },
        Some(FAST_BALLOT),
    )
}
