//! Rounds for the retrying protocols: disjoint sequence numbers (ballots) per
//! thread, a retry limit, and randomized exponential backoff.
//!
//! The versioned register, the registers-only protocol and Paxos all tag every
//! attempt with a unique, totally ordered sequence number (section 3.2.2 of the
//! course notes; Paxos's proposal numbers). Thread `me` of `n` owns the numbers
//! `round × n + me + 1` (round = 0, 1, 2, ...): disjoint between threads, all
//! above 0, which every protocol uses as "no version yet".
//!
//! An overruled attempt retries with the smallest of its own numbers above the
//! highest number it saw ([`Ballots::above`]). Obstruction-free protocols can be
//! overruled forever by an unlucky schedule; [`backoff`] makes that vanishingly
//! unlikely on real cores, and a [`RoundLimit`] bounds the retries where a bound
//! is wanted (loom models, which must be finite).

use crate::consensus::ConsensusError;

/// The sequence numbers of one thread.
#[derive(Clone, Copy, Debug)]
pub struct Ballots {
    me: u64,
    threads: u64,
    max: u64,
}

impl Ballots {
    /// The numbers of thread `me` of `threads`, none above `max` (the largest
    /// value the protocol's packed word can hold).
    /// `me` must be below `threads` (every protocol checks the id first);
    /// otherwise two threads could share numbers.
    pub fn new(me: usize, threads: usize, max: u64) -> Self {
        debug_assert!(me < threads, "thread id {me} out of range 0..{threads}");
        Ballots { me: me as u64, threads: threads.max(1) as u64, max }
    }

    /// The thread's first number, `me + 1`.
    ///
    /// # Errors
    /// [`ConsensusError::Overflow`] if even that does not fit.
    pub fn first(&self) -> Result<u64, ConsensusError> {
        self.above(0)
    }

    /// The thread's smallest number strictly above `seen`.
    ///
    /// # Errors
    /// [`ConsensusError::Overflow`] if it would not fit the packed word.
    pub fn above(&self, seen: u64) -> Result<u64, ConsensusError> {
        // Smallest round r with r*n + me + 1 > seen.
        let base = self.me + 1;
        let round = if seen < base { 0 } else { (seen - base) / self.threads + 1 };
        round
            .checked_mul(self.threads)
            .and_then(|x| x.checked_add(base))
            .filter(|&b| b <= self.max)
            .ok_or(ConsensusError::Overflow { what: "sequence number", max: self.max })
    }
}

/// How many attempts a thread may make before giving up without deciding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundLimit(pub Option<usize>);

impl RoundLimit {
    /// No limit: retry until decided (real cores, with backoff).
    pub const UNLIMITED: RoundLimit = RoundLimit(None);

    /// Called after a failed attempt number `attempts` (1-based).
    ///
    /// # Errors
    /// [`ConsensusError::GaveUp`] once the limit is reached.
    pub fn after_failed(&self, attempts: usize) -> Result<(), ConsensusError> {
        match self.0 {
            Some(limit) if attempts >= limit => Err(ConsensusError::GaveUp { attempts }),
            _ => Ok(()),
        }
    }
}

/// The retry loop of the obstruction-free protocols: runs `attempt` with the
/// thread's smallest number above `seen` until it decides. `attempt(n)` returns
/// `Ok(winner)` or `Err(newer)`, the higher number that overruled it; each
/// overruled attempt counts against `limit` and is followed by [`backoff`], and
/// the next one goes above `newer`.
///
/// # Errors
/// [`ConsensusError::GaveUp`] at the limit, [`ConsensusError::Overflow`] when
/// the numbers run out.
pub fn retry(
    me: usize,
    ballots: Ballots,
    limit: RoundLimit,
    seen: u64,
    mut attempt: impl FnMut(u64) -> Result<usize, u64>,
) -> Result<usize, ConsensusError> {
    let mut n = ballots.above(seen)?;
    let mut failed = 0;
    loop {
        match attempt(n) {
            Ok(winner) => {
                crate::trace_step!(me, Decide { winner });
                return Ok(winner);
            }
            Err(newer) => {
                failed += 1;
                crate::trace_step!(me, Note("overruled: retry with a higher number"));
                limit.after_failed(failed)?;
                backoff(failed);
                n = ballots.above(newer)?;
            }
        }
    }
}

/// Randomized exponential backoff after `failed` failed attempts: spins for a
/// random count below `2^min(failed, 10) × 16`, and yields the core from the
/// sixth failure on (oversubscribed threads need the overruling one to run).
/// The count comes from `fastrand`'s per-thread generator (seeded randomly for
/// each OS thread).
///
/// Not `crossbeam_utils::Backoff`: its spins are a fixed function of the
/// attempt, so two proposers overruling each other would back off alike and
/// could stay in step; the random count is what breaks the symmetry.
///
/// Under loom and shuttle it does nothing (and draws no number): a model bounds the
/// rounds instead, and spins would only add executions.
#[inline]
pub fn backoff(failed: usize) {
    #[cfg(not(any(loom, shuttle)))]
    {
        let cap = 16u64 << failed.min(10);
        let spins = fastrand::u64(..cap);
        for _ in 0..spins {
            crate::sync::spin_loop();
        }
        if failed >= 6 {
            crate::sync::yield_now();
        }
    }
    #[cfg(any(loom, shuttle))]
    let _ = failed;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ballots_are_disjoint_and_increasing() {
        let b0 = Ballots::new(0, 3, u64::MAX);
        let b2 = Ballots::new(2, 3, u64::MAX);
        assert_eq!(b0.first(), Ok(1));
        assert_eq!(b2.first(), Ok(3));
        assert_eq!(b0.above(1), Ok(4));
        assert_eq!(b0.above(3), Ok(4));
        assert_eq!(b0.above(4), Ok(7));
        assert_eq!(b2.above(3), Ok(6));
        assert_eq!(b2.above(2), Ok(3));
        for seen in 0..50 {
            let x = b0.above(seen).unwrap();
            let y = b2.above(seen).unwrap();
            assert!(x > seen && y > seen && x != y && x % 3 == 1 && y % 3 == 0);
        }
    }

    #[test]
    fn overflow_is_an_error() {
        let b = Ballots::new(1, 4, 10);
        assert_eq!(b.above(5), Ok(6));
        assert_eq!(b.above(6), Ok(10));
        assert!(matches!(b.above(10), Err(ConsensusError::Overflow { .. })));
        let huge = Ballots::new(1, 4, u64::MAX);
        assert!(matches!(huge.above(u64::MAX - 1), Err(ConsensusError::Overflow { .. })));
    }

    #[test]
    fn the_round_limit_gives_up() {
        assert_eq!(RoundLimit(Some(2)).after_failed(1), Ok(()));
        assert_eq!(
            RoundLimit(Some(2)).after_failed(2),
            Err(ConsensusError::GaveUp { attempts: 2 })
        );
        assert_eq!(RoundLimit::UNLIMITED.after_failed(1_000_000), Ok(()));
    }

    #[test]
    fn backoff_returns() {
        for failed in 0..12 {
            backoff(failed);
        }
    }
}
