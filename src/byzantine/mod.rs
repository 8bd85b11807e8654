//! Byzantine replicas: PBFT's 3f+1 with signed records, and the 2f+1 that
//! single-writer registers (non-equivocation) allow.
//!
//! A Byzantine replica is a thread that writes anything it likes into what it
//! owns (its logs on the [`board`]), cannot write what it does not own, and
//! cannot forge another replica's MAC ([`sign`]). Two single-slot protocols,
//! each tolerating `f` Byzantine replicas among `n`:
//!
//! * [`pbft`]: n = 3f+1 over per-reader mailboxes, where a Byzantine replica
//!   can equivocate. Pre-prepare, prepare and commit certificates of 2f+1
//!   matching signed records, a decision on a commit certificate; view change
//!   with prepared certificates as proofs when the primary is faulty.
//! * [`swmr`]: n = 2f+1 over single-writer logs everyone reads alike: no
//!   equivocation, so f+1 matching votes suffice (one phase, Paxos-like,
//!   view change by naming the logs that justify the new value).
//!
//! Any quorum is n − f replicas (the most one can wait for with f silent):
//! 2f+1 of 3f+1, f+1 of 2f+1. Below the bounds (n = 3f, n = 2f) the same code
//! runs with quorums of n − f, and the model checker finds honest replicas
//! deciding differently ([`Config::below_bound`]).
//!
//! Which replicas are Byzantine and how is part of the
//! [`FaultPlan`] ([`Behaviour`]); the strategies are
//! in [`strategy`]; [`run`] runs one instance on real threads, the same code
//! loom and shuttle check (`check::byzantine`).

pub mod board;
pub mod inbox;
pub mod pbft;
pub mod record;
pub mod replica;
pub mod run;
pub mod sign;
pub mod strategy;
pub mod swmr;

pub use crate::paxos::faults::{Behaviour, Byzantine};
use crate::paxos::FaultPlan;

/// Which protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Protocol {
    /// PBFT over mailboxes: n ≥ 3f+1.
    Pbft,
    /// Votes over single-writer logs: n ≥ 2f+1.
    Swmr,
}

impl std::str::FromStr for Protocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pbft" => Ok(Protocol::Pbft),
            "swmr" => Ok(Protocol::Swmr),
            _ => Err(format!("unknown model '{s}' (known: pbft, swmr)")),
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::Pbft => "pbft",
            Protocol::Swmr => "swmr",
        })
    }
}

impl Protocol {
    /// The fewest replicas that tolerate `f` Byzantine ones.
    pub fn min_replicas(self, f: usize) -> usize {
        match self {
            Protocol::Pbft => 3 * f + 1,
            Protocol::Swmr => 2 * f + 1,
        }
    }
}

/// One instance's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Config {
    /// The protocol.
    pub protocol: Protocol,
    /// How many replicas, n.
    pub replicas: usize,
    /// How many Byzantine replicas it tolerates, f (its quorums are n − f).
    pub f: usize,
    /// Polls without news before a replica gives up on view 0 (the timeout,
    /// in steps: loom and shuttle have no clock); doubled each view.
    pub patience: usize,
    /// The views a replica tries before it gives up undecided.
    pub max_views: u64,
    /// The runner's key secret (see [`sign`]).
    pub secret: u64,
    /// Whether `replicas` may be below the protocol's bound (the lower-bound
    /// demonstrations only).
    pub below_bound: bool,
}

impl Config {
    /// `protocol` with `replicas` replicas tolerating `f`.
    pub fn new(protocol: Protocol, replicas: usize, f: usize) -> Self {
        Config {
            protocol,
            replicas,
            f,
            patience: 3,
            max_views: 3,
            secret: 0x5157_c0de,
            below_bound: false,
        }
    }

    /// A configuration below the protocol's bound, on purpose: n = 3f (PBFT)
    /// or n = 2f (single-writer), quorums of n − f. Only to show the bound.
    pub fn below_bound(protocol: Protocol, f: usize) -> Self {
        let replicas = protocol.min_replicas(f) - 1;
        Config { below_bound: true, ..Config::new(protocol, replicas, f) }
    }

    /// The patience in `view`: `patience` doubled each view (PBFT's rule, so
    /// that a replica whose timeout fired early does not run ahead alone
    /// through every view while the others are still in the first).
    pub fn patience_in(&self, view: u64) -> usize {
        self.patience.saturating_mul(1 << view.min(16))
    }

    /// The quorum, n − f.
    pub fn quorum(&self) -> usize {
        self.replicas - self.f
    }

    /// The primary (leader) of `view`.
    pub fn primary(&self, view: u64) -> usize {
        (view % self.replicas as u64) as usize
    }

    /// Replica `i`'s input: the client request it holds (1..=n, distinct so
    /// that a disagreement shows).
    pub fn input(&self, i: usize) -> u64 {
        i as u64 + 1
    }

    /// Whether `x` is a request some client made (what a client's signature
    /// on a request would certify; here the run's requests are 1..=n).
    pub fn is_request(&self, x: u64) -> bool {
        (1..=self.replicas as u64).contains(&x)
    }

    /// How many records one log may hold: every record of every view, with room.
    pub fn log_capacity(&self) -> usize {
        6 * (self.max_views as usize + 1) + 2 * self.replicas
    }

    /// Checks the configuration and the plan's Byzantine replicas.
    ///
    /// # Errors
    /// Too few replicas for `f` (unless [`below_bound`](Self::below_bound)),
    /// more Byzantine replicas than `f`, a replica named that does not exist
    /// or twice, crash or stall points (this layer's faults are Byzantine).
    pub fn validate(&self, plan: &FaultPlan) -> Result<(), String> {
        let need = self.protocol.min_replicas(self.f);
        if self.replicas < need && !self.below_bound {
            return Err(format!(
                "{} with {} replicas tolerates f = {} Byzantine at most, not {}: \
                 f = {} needs {need} replicas ({})",
                self.protocol,
                self.replicas,
                self.replicas.saturating_sub(1)
                    / if self.protocol == Protocol::Pbft { 3 } else { 2 },
                self.f,
                self.f,
                if self.protocol == Protocol::Pbft { "n ≥ 3f+1" } else { "n ≥ 2f+1" }
            ));
        }
        if self.replicas < 2 || self.f == 0 && self.below_bound {
            return Err(format!("{} replicas: nothing to agree on", self.replicas));
        }
        if self.patience == 0 || self.max_views == 0 {
            return Err("patience and max_views must be at least 1".into());
        }
        if !plan.acceptors.is_empty() || !plan.proposers.is_empty() || !plan.stalls.is_empty() {
            return Err("the Byzantine protocols take Byzantine faults only (a crash is the \
                        strategy crash@k), not acceptor or proposer crashes or stalls"
                .into());
        }
        if plan.byzantine.len() > self.f {
            return Err(format!(
                "{} Byzantine replicas, but the configuration tolerates f = {}",
                plan.byzantine.len(),
                self.f
            ));
        }
        for (i, b) in plan.byzantine.iter().enumerate() {
            if b.who >= self.replicas {
                return Err(format!("there is no replica {} (there are {})", b.who, self.replicas));
            }
            if plan.byzantine[..i].iter().any(|o| o.who == b.who) {
                return Err(format!("replica {} is given two strategies", b.who));
            }
        }
        Ok(())
    }
}

/// The strategy of replica `i` in `plan`, if it is Byzantine.
pub fn behaviour(plan: &FaultPlan, i: usize) -> Option<Behaviour> {
    plan.byzantine.iter().find(|b| b.who == i).map(|b| b.behaviour)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(list: &[(usize, Behaviour)]) -> FaultPlan {
        FaultPlan {
            byzantine: list.iter().map(|&(who, behaviour)| Byzantine { who, behaviour }).collect(),
            ..FaultPlan::default()
        }
    }

    #[test]
    fn bad_configurations_are_refused_clearly() {
        let ok = Config::new(Protocol::Pbft, 4, 1);
        assert!(ok.validate(&plan(&[(0, Behaviour::Equivocate)])).is_ok());
        let e = Config::new(Protocol::Pbft, 3, 1).validate(&FaultPlan::default()).unwrap_err();
        assert!(e.contains("f = 1 needs 4 replicas (n ≥ 3f+1)"), "{e}");
        let e = Config::new(Protocol::Swmr, 4, 2).validate(&FaultPlan::default()).unwrap_err();
        assert!(e.contains("f = 2 needs 5 replicas (n ≥ 2f+1)"), "{e}");
        assert!(Config::new(Protocol::Swmr, 3, 1).validate(&FaultPlan::default()).is_ok());
        let two = plan(&[(0, Behaviour::Lie), (1, Behaviour::Lie)]);
        assert!(ok.validate(&two).unwrap_err().contains("tolerates f = 1"));
        let e = ok.validate(&plan(&[(4, Behaviour::Lie)])).unwrap_err();
        assert!(e.contains("no replica 4"), "{e}");
        let crash = FaultPlan::first_acceptors_crashed(1);
        assert!(ok.validate(&crash).unwrap_err().contains("Byzantine faults only"));
        assert!(Config::below_bound(Protocol::Pbft, 1).validate(&FaultPlan::default()).is_ok());
        assert_eq!(Config::below_bound(Protocol::Swmr, 1).replicas, 2);
        assert!("paxos".parse::<Protocol>().unwrap_err().contains("known: pbft, swmr"));
    }
}
