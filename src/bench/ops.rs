//! Atomic operations per Paxos decision, counted by the proposers themselves
//! (`ProposerStats`): the Paxos target is a count, not a time.
//!
//! Each packed-acceptor operation is one load plus one compare&swap per
//! attempt (`rmws`; none when it nacks without writing). The announce layer
//! adds, per decision, the READY store and the load of the winner's slot, and
//! on the [`Consensus::decide`](crate::consensus::Consensus::decide) path one
//! more read-modify-write: the claim of the caller's own slot.

use crate::consensus::ConsensusError;
use crate::paxos::{run, FaultPlan, PackedAcceptor, PaxosConfig};

/// Announce-layer atomics per decision: (read-modify-writes, loads + stores).
pub const ANNOUNCE_DECIDE: (usize, usize) = (1, 2);
/// The same through proposer handles: no claim.
pub const ANNOUNCE_HANDLES: (usize, usize) = (0, 2);

/// What the proposers of one run did, per decision.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PaxosOps {
    /// Racing proposers.
    pub threads: usize,
    /// Acceptors per instance.
    pub acceptors: usize,
    /// Decisions made (all proposers, all instances).
    pub decisions: usize,
    /// Share of the decisions made on the fast path.
    pub fast_path_share: f64,
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
    let decisions = r.decided();
    let per = |x: usize| x as f64 / decisions.max(1) as f64;
    let sum = |f: fn(&run::ProposerSummary) -> usize| r.proposers.iter().map(f).sum::<usize>();
    let acceptor_rmws = per(sum(|p| p.rmws));
    Ok(PaxosOps {
        threads,
        acceptors: cfg.acceptors,
        decisions,
        fast_path_share: per(sum(|p| p.fast_path)),
        acceptor_rmws,
        acceptor_loads: per(sum(|p| p.prepares + p.accepts)),
        total_rmws_decide: acceptor_rmws + ANNOUNCE_DECIDE.0 as f64,
        total_rmws_handles: acceptor_rmws + ANNOUNCE_HANDLES.0 as f64,
    })
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
    }
}
