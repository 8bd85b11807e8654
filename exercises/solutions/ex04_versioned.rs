//! Reference solution of exercise 4 (`naive-versioned`).
//!
//! The trace: both threads read V = 0 and raise it (t0 to 1, t1 to 2), both
//! read X = ⊥, t1 writes X and decides itself, then t0 — ordered *before* t1 —
//! writes X after t1 has read it, and decides itself. That write is what C2
//! forbids ("once T has read, no attempt ordered before T writes"); C1 fails
//! as a consequence (t1's read did not return the latest earlier write).
//!
//! The fix packs (version, X) into one word: the raise is a CAS that expects X
//! unset and the version it read (check and raise in one step), and the write
//! of X is a CAS that expects exactly (N, ⊥) (it fails once a newer attempt
//! has raised the version: C2 made atomic).

use crate::Condition;
use consensus_lab::consensus::rounds::{retry, Ballots, RoundLimit};
use consensus_lab::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use consensus_lab::sync::{AtomicU64, Ordering};
use consensus_lab::trace_step;

/// The answer to task 2.
pub const BROKEN: Condition = Condition::C2;

/// Low 16 bits: X (`id + 1`, 0 = ⊥); the rest: V.
const X_BITS: u32 = 16;
const MAX_VERSION: u64 = u64::MAX >> X_BITS;

fn word(version: u64, x: Option<usize>) -> u64 {
    (version << X_BITS) | x.map_or(0, |id| id as u64 + 1)
}

fn fields(w: u64) -> (u64, Option<usize>) {
    let x = (w & ((1 << X_BITS) - 1)) as usize;
    (w >> X_BITS, x.checked_sub(1))
}

/// The versioned register in one atomic word.
#[derive(Debug)]
pub struct VersionedConsensus {
    vx: AtomicU64,
    threads: usize,
    limit: RoundLimit,
}

impl VersionedConsensus {
    /// An undecided instance for ids `0..threads` whose threads give up after
    /// `limit` overruled attempts (`RoundLimit::UNLIMITED`: never).
    ///
    /// # Errors
    /// More threads than X's 16 bits can name.
    pub fn new(threads: usize, limit: RoundLimit) -> Result<Self, ConsensusError> {
        if threads >= (1 << X_BITS) {
            return Err(ConsensusError::InvalidConfig(format!(
                "at most 65535 threads, not {threads}"
            )));
        }
        Ok(VersionedConsensus { vx: AtomicU64::new(0), threads, limit })
    }

    /// One attempt with number `n`: `Ok(winner)` or `Err(newer version)`.
    fn attempt(&self, me: usize, n: u64) -> Result<usize, u64> {
        // Acquire (the load and every failed CAS): X may be set, and then its
        // writer's announce must be visible; pairs with the Release below.
        let mut seen = self.vx.load(Ordering::Acquire);
        trace_step!(me, Load { loc: Loc::new("VX"), value: shown(seen) });
        loop {
            match fields(seen) {
                (_, Some(x)) => return Ok(x),
                (v, None) if v > n => return Err(v),
                _ => {}
            }
            // Check-and-raise in one step. Relaxed on success: it publishes nothing.
            let raise =
                self.vx.compare_exchange(seen, word(n, None), Ordering::Relaxed, Ordering::Acquire);
            trace_step!(
                me,
                Cas {
                    loc: Loc::new("VX"),
                    expected: shown(seen),
                    new: shown(word(n, None)),
                    found: shown(raise.unwrap_or_else(|f| f))
                }
            );
            match raise {
                Ok(_) => break,
                Err(found) => seen = found,
            }
        }
        // Write X only if V is still n. Release: pairs with the Acquire of
        // every thread that later sees X set.
        let write = self.vx.compare_exchange(
            word(n, None),
            word(n, Some(me)),
            Ordering::Release,
            Ordering::Acquire,
        );
        trace_step!(
            me,
            Cas {
                loc: Loc::new("VX"),
                expected: shown(word(n, None)),
                new: shown(word(n, Some(me))),
                found: shown(write.unwrap_or_else(|f| f))
            }
        );
        match write.map_err(fields) {
            Ok(_) => Ok(me),
            Err((_, Some(x))) => Ok(x),
            Err((v, None)) => Err(v),
        }
    }
}

fn shown(w: u64) -> consensus_lab::trace::Val {
    let (v, x) = fields(w);
    consensus_lab::trace::Val::Versioned(v, x)
}

impl IdConsensus for VersionedConsensus {
    fn threads(&self) -> usize {
        self.threads
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.threads)?;
        let ballots = Ballots::new(me, self.threads, MAX_VERSION);
        retry(me, ballots, self.limit, 0, |n| self.attempt(me, n))
    }

    fn progress(&self) -> Progress {
        Progress::ObstructionFree
    }
}
