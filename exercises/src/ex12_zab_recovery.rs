//! # Exercise 12 — `zab-recovery`: the history a new Zab leader adopts
//!
//! Zab (`consensus_lab::rsm::zab`, `docs/src/zab.md`) recovers from a leader
//! crash in three steps: *election* claims a new epoch `e`; *discovery*
//! sends NEWEPOCH(`e`) to followers until a majority promised `e`, each
//! answering with its state (a [`RegionState`]: the epoch it last promised,
//! the epoch whose leader last synchronised its log, the log of `(zxid,
//! txn)` slots); *synchronisation* makes a majority's logs equal to the one
//! history the new leader adopted, commits all of it, and only then does
//! the new leader broadcast its own proposals.
//!
//! Write [`pick`]: given the discovery majority's answers, the index of the
//! answer whose log the new leader adopts. The rule must keep every
//! transaction that may have been committed (acknowledged by a majority,
//! delivered by some replica, or by the crashed leader itself) in its place.
//!
//! `conlab exercise check zab-recovery`: loom explores the lab's Zab model
//! (2 clients, each the leader in turn, × 3 followers × 2 increments; the
//! first leader crashing after a majority acknowledged, before it
//! published the commit, then leaders stealing the lead from each other)
//! with your rule plugged in, and checks every execution for Zab's six
//! properties (integrity, total order, agreement, local and global primary
//! order, primary integrity), linearizability and log agreement; then real
//! cores run 3 clients × 2,000 operations with a leader crash. A wrong rule
//! prints the violated property and the trace of the execution.

use consensus_lab::rsm::zab::follower::RegionState;

/// The index, in `answers`, of the answer whose log a new leader adopts.
pub fn pick(answers: &[RegionState]) -> usize {
    // TODO: which answer's log can hold every committed transaction?
    todo!("pick the answer whose log the new leader adopts")
}
