//! Atomic operations per Paxos and Fast Paxos decision, counted by the
//! proposers themselves (`ProposerStats`): the Paxos target is a count, not a
//! time. Fast Paxos is counted beside classic Paxos in one run: its share of
//! decisions made in the fast round, what a fast decision and a collided one
//! cost, and the run's wall time per instance (barrier included).
//!
//! Each packed-acceptor operation is one load plus one compare&swap per
//! attempt (`rmws`; none when it nacks without writing). The announce layer
//! adds, per decision, the READY store and the load of the winner's slot, and
//! on the [`Consensus::decide`](crate::consensus::Consensus::decide) path one
//! more read-modify-write: the claim of the caller's own slot.

use crate::consensus::ConsensusError;
use crate::paxos::fast::{Lamport, LamportCoordinated};
use crate::paxos::run::PaxosRun;
use crate::paxos::{run, FastPaxosConfig, FaultPlan, PackedAcceptor, PaxosConfig};

/// Announce-layer atomics per decision: (read-modify-writes, loads + stores).
pub const ANNOUNCE_DECIDE: (usize, usize) = (1, 2);
/// The same through proposer handles: no claim.
pub const ANNOUNCE_HANDLES: (usize, usize) = (0, 2);

/// What the proposers of one run did, per decision.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PaxosOps {
    /// The registry name of the protocol (`paxos`, `fast-paxos`,
    /// `fast-paxos-coordinated`).
    pub protocol: &'static str,
    /// Racing proposers.
    pub threads: usize,
    /// Acceptors per instance.
    pub acceptors: usize,
    /// Decisions made (all proposers, all instances).
    pub decisions: usize,
    /// Share of the instances where no proposer decided on the fast path:
    /// Fast Paxos's collision rate (classic Paxos: proposer 0's ballot 1 was
    /// nacked).
    pub collision_rate: f64,
    /// Share of the decisions made on the fast path (classic Paxos:
    /// proposer 0's ballot 1 without phase 1; Fast Paxos: the fast round).
    pub fast_path_share: f64,
    /// Acceptor read-modify-writes per decision made on the fast path.
    pub rmws_fast: Option<f64>,
    /// Acceptor read-modify-writes per decision made otherwise (after a
    /// nack or a collision), the proposer's failed fast round included.
    pub rmws_slow: Option<f64>,
    /// Wall time of the racing phase per instance (all proposers decided
    /// it), barriers included: a count run's clock, for ratios in one run.
    pub ns_per_instance: f64,
    /// Acceptor read-modify-writes (CAS attempts) per decision.
    pub acceptor_rmws: f64,
    /// Acceptor loads per decision (one per prepare or accept answered).
    pub acceptor_loads: f64,
    /// Read-modify-writes per decision, acceptors plus announce, through
    /// `Consensus::decide`.
    pub total_rmws_decide: f64,
    /// The same through proposer handles.
    pub total_rmws_handles: f64,
}

/// Runs `threads` Paxos proposers (3 acceptors, no faults, fast path on) on
/// `instances` fresh instances and counts their atomic operations.
///
/// # Errors
/// An invalid size, or a thread that cannot be started.
pub fn paxos(threads: usize, instances: usize, batch: usize) -> Result<PaxosOps, ConsensusError> {
    let cfg = PaxosConfig::new(threads);
    let r = run::run::<PackedAcceptor>(&cfg, instances, batch, |_| FaultPlan::none())?;
    Ok(summarize("paxos", threads, cfg.acceptors, &r))
}

/// The same for Fast Paxos with `acceptors` acceptors and the default
/// quorums, uncoordinated or coordinated recovery.
///
/// # Errors
/// An invalid size, or a thread that cannot be started.
pub fn fast_paxos(
    coordinated: bool,
    threads: usize,
    acceptors: usize,
    instances: usize,
    batch: usize,
) -> Result<PaxosOps, ConsensusError> {
    let cfg = FastPaxosConfig::new(threads, acceptors)?;
    let none = |_| FaultPlan::none();
    Ok(if coordinated {
        let r = run::run_fast::<PackedAcceptor, LamportCoordinated>(&cfg, instances, batch, none)?;
        summarize("fast-paxos-coordinated", threads, acceptors, &r)
    } else {
        let r = run::run_fast::<PackedAcceptor, Lamport>(&cfg, instances, batch, none)?;
        summarize("fast-paxos", threads, acceptors, &r)
    })
}

fn summarize(protocol: &'static str, threads: usize, acceptors: usize, r: &PaxosRun) -> PaxosOps {
    let decisions = r.decided();
    let per = |x: usize| x as f64 / decisions.max(1) as f64;
    let sum = |f: fn(&run::ProposerSummary) -> usize| r.proposers.iter().map(f).sum::<usize>();
    let acceptor_rmws = per(sum(|p| p.rmws));
    let (fast, fast_rmws) = (sum(|p| p.fast_path), sum(|p| p.fast_path_rmws));
    let slow = decisions - fast;
    let ratio = |x: usize, n: usize| (n > 0).then(|| x as f64 / n as f64);
    PaxosOps {
        protocol,
        threads,
        acceptors,
        decisions,
        fast_path_share: per(fast),
        collision_rate: 1.0 - r.fast_instances as f64 / r.instances.max(1) as f64,
        rmws_fast: ratio(fast_rmws, fast),
        rmws_slow: ratio(sum(|p| p.rmws) - fast_rmws, slow),
        ns_per_instance: r.elapsed.as_nanos() as f64 / r.instances.max(1) as f64,
        acceptor_rmws,
        acceptor_loads: per(sum(|p| p.prepares + p.accepts)),
        total_rmws_decide: acceptor_rmws + ANNOUNCE_DECIDE.0 as f64,
        total_rmws_handles: acceptor_rmws + ANNOUNCE_HANDLES.0 as f64,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uncontended_paxos_takes_the_fast_path_with_two_rmws() {
        let ops = super::paxos(1, 100, 64).unwrap();
        assert_eq!(ops.decisions, 100);
        assert_eq!(ops.fast_path_share, 1.0);
        assert_eq!(ops.acceptor_rmws, 2.0);
        assert_eq!(ops.acceptor_loads, 2.0);
        assert_eq!(ops.total_rmws_handles, 2.0);
        assert_eq!((ops.rmws_fast, ops.rmws_slow), (Some(2.0), None));
    }

    #[test]
    fn uncontended_fast_paxos_writes_one_fast_quorum() {
        for (acceptors, fast) in [(3, 3.0), (4, 3.0), (5, 4.0)] {
            for coordinated in [false, true] {
                let ops = super::fast_paxos(coordinated, 1, acceptors, 100, 64).unwrap();
                assert_eq!(ops.decisions, 100);
                assert_eq!(ops.fast_path_share, 1.0);
                assert_eq!(ops.collision_rate, 0.0);
                assert_eq!((ops.acceptor_rmws, ops.acceptor_loads), (fast, fast));
                assert_eq!(ops.rmws_fast, Some(fast));
            }
        }
    }
}
