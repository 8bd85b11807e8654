//! # Exercise 10 — `fast-quorum`: fix a too-small fast quorum
//!
//! Fast Paxos (`consensus_lab::paxos::fast`, `docs/src/fast-paxos.md`) lets
//! every proposer write its value straight into the acceptors at the fast
//! ballot: a value accepted there by a **fast quorum** is chosen, with no
//! leader and no phase 1. When proposers collide, recovery runs a classic
//! round: phase 1 at a phase-1 quorum of `phase1` acceptors, then Lamport's
//! rule picks the value that *may* have been chosen at the fast ballot: the
//! one reported by at least `phase1 + fast − n` of the promises.
//!
//! The rules below size the fast quorum like a classic one, a plain majority.
//! Run the check first: loom finds an execution where two proposers decide
//! different values, and the trace shows two values "chosen" at the fast
//! ballot, or a chosen one lost in recovery. Read it: which acceptors formed
//! each fast quorum, and what did the recovering proposer's phase 1 see?
//!
//! Then fix [`fast_quorum`]: return the **smallest** fast quorum that is
//! safe for `n` acceptors whose phase-1 quorum has `phase1` acceptors (the
//! fewer acceptors a fast round needs, the more crashes it survives, so
//! `n` is safe but not the answer). The condition is in the docs; derive it
//! yourself if you can: a phase-1 quorum and any *two* fast quorums must
//! share an acceptor.
//!
//! `conlab exercise check fast-quorum`: the formula is checked for every `n`
//! up to 63 and every phase-1 quorum from a majority to `n`, then loom
//! explores 2 proposers × 3 acceptors and 2 × 4 exhaustively (agreement,
//! validity and "every chosen value is the same" in every execution), then
//! real cores race 2 and 4 proposers over 3, 4 and 5 acceptors.

use consensus_lab::paxos::fast::{lamport_pick, FastRules, Promises};
use consensus_lab::paxos::Quorums;

/// The smallest safe fast quorum for `n` acceptors and phase-1 quorums of
/// `phase1`.
pub fn fast_quorum(n: usize, phase1: usize) -> usize {
    // TODO: a majority, like a classic quorum. Too small: see the check.
    let _ = phase1;
    n / 2 + 1
}

/// Fast Paxos with your fast quorum (uncoordinated recovery, Lamport's rule).
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
