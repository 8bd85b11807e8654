//! Reference solution of exercise 10 (`fast-quorum`).
//!
//! A value chosen at the fast ballot was accepted by a fast quorum `F`; a
//! recovery's phase 1 reads a phase-1 quorum `Q`, which shares at least
//! `phase1 + fast − n` acceptors with `F`. Two values can both reach that
//! threshold among `Q`'s promises unless `2·(phase1 + fast − n) > phase1`,
//! that is `phase1 + 2·fast > 2·n`: the smallest such `fast` is
//! `⌊(2n − phase1) / 2⌋ + 1` (never below a majority when `phase1` is at
//! most `n`, so a fast quorum is at least a classic one).

use consensus_lab::paxos::fast::{lamport_pick, FastRules, Promises};
use consensus_lab::paxos::Quorums;

/// The smallest safe fast quorum for `n` acceptors and phase-1 quorums of
/// `phase1`.
pub fn fast_quorum(n: usize, phase1: usize) -> usize {
    ((2 * n).saturating_sub(phase1) / 2 + 1).min(n)
}

/// Fast Paxos with the smallest safe fast quorum.
#[derive(Debug)]
pub struct MyRules;

impl FastRules for MyRules {
    const COORDINATED: bool = false;

    fn quorums(q: Quorums) -> Quorums {
        Quorums::unchecked(q.n, q.phase1, q.phase2, fast_quorum(q.n, q.phase1))
    }

    fn pick(me: usize, promises: &Promises, q: &Quorums) -> usize {
        lamport_pick(me, promises, q)
    }
}
