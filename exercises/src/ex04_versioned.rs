//! # Exercise 4 — `naive-versioned`: find the bug, explain it, fix it
//!
//! Section 3.2.2 of the course notes builds lock-less consensus from a value
//! register X and a version register V, with a unique sequence number N per
//! attempt:
//!
//! ```text
//! if read(V) > N: abandon (retry with a higher N)
//! write(V, N)
//! if read(X) is not set: write(X, v)
//! ```
//!
//! The code below is that procedure exactly as written, V and X two separate
//! atomics. It is wrong. Your tasks:
//!
//! 1. Run `conlab exercise check naive-versioned` and read the trace loom
//!    prints: which interleaving makes the two threads disagree?
//! 2. The notes state two conditions: **C1** "a read by attempt T returns the
//!    value written by the most recent attempt ordered before T" and **C2**
//!    "once T has read, no attempt ordered before T writes any more". Which
//!    one does the trace break *first* (the one whose failure causes the
//!    other's)? Set [`BROKEN`] to your answer.
//! 3. Fix the protocol: make "refuse if newer, else raise the version" one
//!    atomic step, and the write of X succeed only if the version is still N.
//!    Hint of hints: one `AtomicU64` holding both, and compare&swap.
//!    Keep using [`retry`] (the lab's retry loop: backoff on real cores, a
//!    bounded number of attempts under loom) and [`Ballots`] (each thread's own
//!    sequence numbers, with an error instead of a wrap-around).
//!
//! The protocol is obstruction-free, not wait-free: two threads can overrule
//! each other forever. Loom therefore checks it with at most 2 attempts per
//! thread (a thread that runs out gives up without deciding; agreement and
//! validity are judged among those that decided).

use crate::Condition;
use consensus_lab::consensus::rounds::{retry, Ballots, RoundLimit};
use consensus_lab::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use consensus_lab::sync::{AtomicU64, AtomicUsize, Ordering};
use consensus_lab::trace_step;

/// Your answer to task 2.
pub const BROKEN: Condition = Condition::Unanswered;

/// X holds this while unset.
const NONE: usize = usize::MAX;

/// The versioned register (to be fixed).
#[derive(Debug)]
pub struct VersionedConsensus {
    version: AtomicU64,
    value: AtomicUsize,
    threads: usize,
    limit: RoundLimit,
}

impl VersionedConsensus {
    /// An undecided instance for ids `0..threads` whose threads give up after
    /// `limit` overruled attempts (`RoundLimit::UNLIMITED`: never).
    pub fn new(threads: usize, limit: RoundLimit) -> Result<Self, ConsensusError> {
        Ok(VersionedConsensus {
            version: AtomicU64::new(0),
            value: AtomicUsize::new(NONE),
            threads,
            limit,
        })
    }
}

impl IdConsensus for VersionedConsensus {
    fn threads(&self) -> usize {
        self.threads
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.threads)?;
        let ballots = Ballots::new(me, self.threads, u64::MAX);
        // One attempt with number n: Ok(winner), or Err(newer version seen).
        retry(me, ballots, self.limit, 0, |n| {
            // Acquire/Release throughout: each load pairs with the store it reads.
            let v = self.version.load(Ordering::Acquire);
            trace_step!(me, Load { loc: Loc::new("V"), value: Val::Num(v) });
            if v > n {
                return Err(v);
            }
            self.version.store(n, Ordering::Release);
            trace_step!(me, Store { loc: Loc::new("V"), value: Val::Num(n) });
            let x = self.value.load(Ordering::Acquire);
            trace_step!(me, Load { loc: Loc::new("X"), value: Val::id_or_bot(x, NONE) });
            if x != NONE {
                return Ok(x);
            }
            self.value.store(me, Ordering::Release);
            trace_step!(me, Store { loc: Loc::new("X"), value: Val::Id(me) });
            Ok(me)
        })
    }

    fn progress(&self) -> Progress {
        Progress::ObstructionFree
    }
}
