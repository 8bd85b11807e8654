//! Reference solution of exercise 11 (`byzantine-smallest-n`).
//!
//! Quorums are n − f (the most one can wait for with f silent). Two of them
//! share at least n − 2f replicas. Under equivocation the shared replicas
//! must include an honest one, whatever the f Byzantine do: n − 2f ≥ f + 1,
//! so n ≥ 3f + 1. With single-writer logs a shared replica, even a Byzantine
//! one, shows both quorums the same log, so one suffices: n − 2f ≥ 1, so
//! n ≥ 2f + 1.

use consensus_lab::byzantine::Protocol;

/// The fewest replicas that tolerate `f` Byzantine ones under `protocol`.
pub fn smallest_n(protocol: Protocol, f: usize) -> usize {
    match protocol {
        Protocol::Pbft => 3 * f + 1,
        Protocol::Swmr => 2 * f + 1,
    }
}
