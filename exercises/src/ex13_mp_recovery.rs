//! # Exercise 13 — `multi-paxos-recovery`: what a new leader re-proposes
//!
//! Multi-Paxos (`consensus_lab::rsm::multi_paxos`, `docs/src/multi-paxos.md`)
//! runs phase 1 once per leader, for every slot it does not know chosen:
//! the new leader promises a higher ballot at a majority of acceptors, and
//! each promising acceptor reports every slot from the leader's cursor on
//! that holds an entry, with the ballot it accepted it at (a
//! [`Report`]: slot, ballot, entry). The old leader may have crashed after a
//! majority accepted an entry and before it told anyone: that entry is
//! *chosen*, and the new leader must propose it again, in its place.
//!
//! Write [`recover`]: from `from` (the first slot the new leader does not
//! know chosen) and the reports (any order; several per slot, from
//! different acceptors), the entries the new leader proposes at `from`,
//! `from + 1`, ... in order, using [`NOOP`] for a slot where it must
//! propose *something* but no entry can have been chosen. After the last
//! one it serves new commands.
//!
//! `conlab exercise check multi-paxos-recovery`: loom explores the lab's
//! Multi-Paxos model (2 clients, each the leader in turn, × 3 acceptors × 2
//! increments; the leader of slot 0 crashing after a majority accepted,
//! before publishing, then leaders stealing the lead from each other) with
//! your rule plugged in: every execution must be linearizable, agree with
//! its log and never choose two entries for one slot. Then real cores run 3
//! clients × 2,000 operations with a leader crash. A wrong rule prints the
//! violation and the trace of the execution.

use consensus_lab::rsm::multi_paxos::entry::NOOP;
use consensus_lab::rsm::multi_paxos::Report;

/// The entries a new leader proposes at `from`, `from + 1`, ...
pub fn recover(from: usize, reports: &[Report]) -> Vec<u64> {
    // TODO: which entry may have been chosen at each slot, and where is
    // there nothing to keep?
    todo!("the entries a new leader proposes from slot `from` on")
}
