//! # Exercise 11 — `byzantine-smallest-n`: the fewest replicas for f = 1
//!
//! The lab runs two Byzantine agreement protocols (`consensus_lab::byzantine`,
//! `docs/src/byzantine.md`), each waiting for quorums of n − f replicas:
//!
//! * **PBFT** (`Protocol::Pbft`): replicas talk through per-reader
//!   mailboxes, so a Byzantine replica can **equivocate**: show one reader
//!   one record and another reader another, for the same view.
//! * **Single-writer votes** (`Protocol::Swmr`): each replica appends to
//!   one log that every replica reads alike, so nobody can equivocate (the
//!   sticky single-writer registers RDMA's memory permissions give).
//!
//! Fill in [`smallest_n`]: the fewest replicas n with which the protocol
//! tolerates `f` Byzantine replicas. Your answer is not compared with a
//! constant: `conlab exercise check byzantine-smallest-n` runs each
//! protocol with one Byzantine replica at your n (agreement and validity
//! must hold, and the honest replicas must decide) and at n − 1 (the model
//! checker must find honest replicas deciding differently, and prints the
//! trace). Too small an n shows you the disagreement; too large an n shows
//! that one fewer would have done.
//!
//! Under loom (`cargo xtask test`) both sides are model-checked; on real
//! cores n is raced with random Byzantine strategies and n − 1 is checked by
//! the quorum-intersection argument (real cores cannot be made to take the
//! one bad schedule).
//!
//! Think first: how many replicas must two quorums of n − f share, so that
//! a Byzantine replica cannot tell the two quorums different stories? And
//! what changes when it cannot tell different stories at all?

use consensus_lab::byzantine::Protocol;

/// The fewest replicas that tolerate `f` Byzantine ones under `protocol`.
pub fn smallest_n(protocol: Protocol, f: usize) -> usize {
    // TODO: one formula per protocol.
    todo!("smallest_n of byzantine-smallest-n")
}
