//! Reference solution of exercise 12 (`zab-recovery`).
//!
//! A transaction committed in epoch `e'` sits in a majority's logs before
//! any of them promises a later epoch, so some answer of the discovery
//! majority holds it. The log to adopt is the one with the highest
//! `(current epoch, last zxid)`: the current epoch first (a log that a
//! later epoch's leader synchronised supersedes any longer log of an
//! earlier epoch, which may hold transactions that epoch's recovery
//! discarded), then the last zxid (within one epoch, logs are prefixes of
//! that leader's history: the longest holds the others). The longest log
//! alone, or the highest *accepted* epoch (a promise, made before the
//! follower's log was synchronised), is not enough.

use consensus_lab::rsm::zab::follower::RegionState;

/// The index, in `answers`, of the answer whose log a new leader adopts.
pub fn pick(answers: &[RegionState]) -> usize {
    answers
        .iter()
        .enumerate()
        .max_by_key(|(_, s)| (s.current_epoch, s.last_zxid()))
        .map_or(0, |(i, _)| i)
}
