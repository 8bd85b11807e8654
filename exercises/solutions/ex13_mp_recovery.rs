//! Exercise 13, solved: Paxos's rule, per slot. A slot chosen at ballot `b`
//! was accepted by a majority at `b`, which meets the promising majority,
//! so some report of ballot `b` or above is there; every entry accepted
//! above `b` is the chosen one (the new leaders of those ballots proposed
//! it, by the same rule). So the highest-ballot report's entry is the only
//! one that may have been chosen. Slots below the last reported one with no
//! report are gaps: nothing there was accepted by the majority that
//! promised, so nothing was chosen, and a no-op fills them (the log has no
//! holes for the replicas to wait on). Beyond the last reported slot the
//! leader's own commands go.

use consensus_lab::rsm::multi_paxos::entry::NOOP;
use consensus_lab::rsm::multi_paxos::Report;

/// The entries a new leader proposes at `from`, `from + 1`, ...
pub fn recover(from: usize, reports: &[Report]) -> Vec<u64> {
    let Some(last) = reports.iter().map(|r| r.slot).max() else { return Vec::new() };
    let mut best: Vec<Option<&Report>> = vec![None; (last + 1).saturating_sub(from)];
    for r in reports.iter().filter(|r| r.slot >= from) {
        let b = &mut best[r.slot - from];
        if b.is_none_or(|old| r.ballot > old.ballot) {
            *b = Some(r);
        }
    }
    best.into_iter().map(|b| b.map_or(NOOP, |r| r.entry)).collect()
}
