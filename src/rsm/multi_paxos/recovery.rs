//! The recovery rule: what a new leader proposes at the slots it does not
//! know chosen, from what its phase 1 reported.
//!
//! After phase 1 at a majority, the new leader holds every report `(slot,
//! ballot, entry)` the promising acceptors made for slots from its cursor
//! on. Paxos's rule, per slot ([`highest_ballot`]): propose the entry of the
//! highest-ballot report, and a no-op where nobody reported anything below
//! the last reported slot (a gap: nothing there can have been chosen, or a
//! majority would have reported it). A slot chosen at ballot `b` was
//! accepted by a majority at `b`; that majority meets the promising one, so
//! some report of ballot `b` or above is there, and by induction every
//! report above `b` carries the chosen entry: the highest one does.
//!
//! The rule is a plain function ([`RecoveryRule`]) so that a course can ask
//! for it (the exercise "multi-paxos-recovery") and the lab's broken
//! recovery ([`skip_first`]) is a rule like any other.

use super::entry::NOOP;

/// One report of phase 1: an acceptor holds `entry`, accepted at `ballot`,
/// in `slot`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// The slot.
    pub slot: usize,
    /// The ballot it was accepted at.
    pub ballot: u64,
    /// The entry (never 0: an empty slot is not reported).
    pub entry: u64,
}

/// A recovery rule: from the first slot the new leader does not know
/// chosen (`from`) and the majority's reports (any order, several per
/// slot), the entries to propose at `from`, `from + 1`, ..., in order
/// ([`NOOP`] for a gap). The leader proposes each in turn, then serves new
/// commands after the last.
pub type RecoveryRule = fn(from: usize, reports: &[Report]) -> Vec<u64>;

/// Paxos's rule (the module docs): per slot the highest-ballot report's
/// entry, a no-op in a gap, up to the last reported slot.
pub fn highest_ballot(from: usize, reports: &[Report]) -> Vec<u64> {
    let Some(last) = reports.iter().map(|r| r.slot).max() else { return Vec::new() };
    let mut best: Vec<Option<(u64, u64)>> = vec![None; last + 1 - from];
    for r in reports.iter().filter(|r| r.slot >= from) {
        let b = &mut best[r.slot - from];
        if b.is_none_or(|(ballot, _)| r.ballot > ballot) {
            *b = Some((r.ballot, r.entry));
        }
    }
    best.into_iter().map(|b| b.map_or(NOOP, |(_, e)| e)).collect()
}

/// Broken on purpose ([`super::broken::skipping_phase1`]): Paxos's rule,
/// with the reports for the first slot ignored, as if nobody had accepted
/// anything there (a no-op goes there if later slots were reported, else
/// the leader's own next command takes it).
pub fn skip_first(from: usize, reports: &[Report]) -> Vec<u64> {
    let rest: Vec<Report> = reports.iter().copied().filter(|r| r.slot != from).collect();
    highest_ballot(from, &rest)
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;

    const fn r(slot: usize, ballot: u64, entry: u64) -> Report {
        Report { slot, ballot, entry }
    }

    #[test]
    fn the_highest_ballot_wins_and_gaps_are_no_ops() {
        let reports = [r(3, 1, 10), r(3, 2, 11), r(5, 1, 12), r(3, 1, 10), r(2, 4, 9)];
        assert_eq!(highest_ballot(3, &reports), vec![11, NOOP, 12], "slot 2 is below from");
        assert_eq!(highest_ballot(3, &[]), Vec::<u64>::new());
    }
}
