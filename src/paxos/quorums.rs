//! Quorum sizes as data: classic (phase 1 and phase 2, Flexible Paxos) and
//! fast (Fast Paxos), with the intersection conditions checked when they are
//! built.
//!
//! With `n` acceptors, a proposer waits for `phase1` promises before it picks
//! a value and for `phase2` accepts before it decides; a Fast Paxos proposer
//! that writes at the fast ballot decides on `fast` accepts of its own value.
//! Quorums of a size are *any* sets of that many acceptors, so every
//! condition below is about sizes:
//!
//! * **classic** (Paxos, Flexible Paxos; Howard, Malkhi, Spiegelman 2016):
//!   every phase-1 quorum meets every phase-2 quorum, `phase1 + phase2 > n`
//!   (two sets of sizes `a` and `b` out of `n` must share an element exactly
//!   when `a + b > n`). A later ballot's phase 1 then hears from at least one
//!   acceptor of any quorum that accepted a chosen value. Majorities
//!   (`⌊n/2⌋ + 1` both) are the case `phase1 = phase2`; Flexible Paxos trades
//!   a small phase 2 (every command) for a large phase 1 (leader change).
//! * **fast** (Lamport, *Fast Paxos*, 2006): a value chosen at the fast
//!   ballot was accepted by some fast quorum `F`; a recovering coordinator
//!   reads a phase-1 quorum `Q` and must find it uniquely. `Q ∩ F` has at
//!   least `phase1 + fast − n` acceptors (the recovery threshold), all
//!   reporting that value. If two values each had that many among `Q`'s
//!   replies, `Q` would hold `2·(phase1 + fast − n)` acceptors, so a value
//!   can be ambiguous only if `2·(phase1 + fast − n) ≤ phase1`. The condition
//!   `phase1 + 2·fast > 2·n` (any phase-1 quorum and any two fast quorums
//!   share an acceptor) rules that out, and also makes the threshold at least
//!   one acceptor. A fast quorum must also be able to choose by itself:
//!   `fast + phase1 > n` follows, and `fast ≥ phase2` is required (a fast
//!   quorum is at least a classic one).
//!
//! Defaults: `⌊n/2⌋ + 1` for both classic phases and `⌈3n/4⌉` for the fast
//! quorum: with majorities for phase 1, the smallest fast size that meets
//! `phase1 + 2·fast > 2·n` for every `n` (3 of 3, 3 of 4, 4 of 5, 5 of 6, 6
//! of 7; a unit test checks it up to [`MAX_ACCEPTORS`]).

use super::MAX_ACCEPTORS;
use std::fmt;

/// Quorum sizes for `n` acceptors, checked at construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Quorums {
    /// Acceptors.
    pub n: usize,
    /// Promises a proposer waits for before it picks a value.
    pub phase1: usize,
    /// Accepts that choose a value at a classic ballot.
    pub phase2: usize,
    /// Accepts of one value that choose it at the fast ballot (Fast Paxos;
    /// `n` for classic Paxos, which never uses it).
    pub fast: usize,
}

impl Quorums {
    /// Majorities for both classic phases, `⌈3n/4⌉` for the fast quorum.
    ///
    /// # Errors
    /// No acceptor, or more than [`MAX_ACCEPTORS`].
    pub fn defaults(n: usize) -> Result<Self, String> {
        Self::new(n, n / 2 + 1, n / 2 + 1, (3 * n).div_ceil(4))
    }

    /// Flexible Paxos's classic quorums (`phase1 + phase2 > n`); the fast
    /// quorum is the smallest one these classic quorums allow.
    ///
    /// # Errors
    /// Sizes out of range or violating `phase1 + phase2 > n`.
    pub fn flexible(n: usize, phase1: usize, phase2: usize) -> Result<Self, String> {
        // The smallest fast size with phase1 + 2·fast > 2n, at least phase2.
        let fast = (2 * n).saturating_sub(phase1) / 2 + 1;
        Self::new(n, phase1, phase2, fast.max(phase2).min(n))
    }

    /// All four sizes given.
    ///
    /// # Errors
    /// A size of 0 or above `n`, `n` out of range, or a violated condition:
    /// `phase1 + phase2 > n`, `phase1 + 2·fast > 2·n`, `fast ≥ phase2`. The
    /// message names the condition and the sizes.
    pub fn new(n: usize, phase1: usize, phase2: usize, fast: usize) -> Result<Self, String> {
        if n == 0 || n > MAX_ACCEPTORS {
            return Err(format!("quorums need 1 to {MAX_ACCEPTORS} acceptors, not {n}"));
        }
        for (what, q) in [("phase-1", phase1), ("phase-2", phase2), ("fast", fast)] {
            if q == 0 || q > n {
                return Err(format!(
                    "a {what} quorum of {q} with {n} acceptors: it must be 1 to {n}"
                ));
            }
        }
        let q = Quorums { n, phase1, phase2, fast };
        q.check()?;
        Ok(q)
    }

    /// The same sizes without the checks: for the broken variants and the
    /// exercises, which exist to show what the checks prevent. Configurations
    /// ([`PaxosConfig`](super::PaxosConfig), [`FastPaxosConfig`](super::FastPaxosConfig))
    /// refuse such sizes; only a [`FastRules`](super::fast::FastRules) can hand
    /// them to the proposers.
    pub const fn unchecked(n: usize, phase1: usize, phase2: usize, fast: usize) -> Self {
        Quorums { n, phase1, phase2, fast }
    }

    /// The conditions, on sizes already in range.
    fn check(&self) -> Result<(), String> {
        let Quorums { n, phase1, phase2, fast } = *self;
        if phase1 + phase2 <= n {
            return Err(format!(
                "phase-1 quorum {phase1} + phase-2 quorum {phase2} must exceed {n} acceptors \
                 (else a new ballot's phase 1 can miss every acceptor of a chosen value)"
            ));
        }
        if phase1 + 2 * fast <= 2 * n {
            return Err(format!(
                "phase-1 quorum {phase1} + 2 × fast quorum {fast} must exceed 2 × {n} acceptors \
                 (else a recovery's phase 1 cannot tell which fast value was chosen)"
            ));
        }
        if fast < phase2 {
            return Err(format!("a fast quorum ({fast}) smaller than a phase-2 quorum ({phase2})"));
        }
        Ok(())
    }

    /// Whether the sizes meet every condition (false only for
    /// [`unchecked`](Self::unchecked) ones).
    pub fn is_valid(&self) -> bool {
        self.check().is_ok()
    }

    /// Lamport's recovery threshold: a value reported as accepted at the fast
    /// ballot by at least this many of a phase-1 quorum's replies may have
    /// been chosen there (`phase1 + fast − n`; at most one value reaches it
    /// when the conditions hold).
    pub fn recovery_threshold(&self) -> usize {
        (self.phase1 + self.fast).saturating_sub(self.n).max(1)
    }
}

impl fmt::Display for Quorums {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} acceptors: phase 1 {}, phase 2 {}, fast {}",
            self.n, self.phase1, self.phase2, self.fast
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_meet_every_condition_up_to_the_limit() {
        for n in 1..=MAX_ACCEPTORS {
            let q = Quorums::defaults(n).unwrap();
            assert!(q.is_valid(), "{q}");
            // Fast quorums no smaller than necessary: one less breaks a condition.
            if q.fast > q.phase2 {
                let smaller = Quorums::unchecked(n, q.phase1, q.phase2, q.fast - 1);
                assert!(!smaller.is_valid(), "{smaller} should be refused");
            }
        }
        let q = Quorums::defaults(4).unwrap();
        assert_eq!((q.phase1, q.phase2, q.fast, q.recovery_threshold()), (3, 3, 3, 2));
        let q = Quorums::defaults(5).unwrap();
        assert_eq!((q.phase1, q.phase2, q.fast, q.recovery_threshold()), (3, 3, 4, 2));
        assert_eq!(Quorums::defaults(3).unwrap().fast, 3);
    }

    #[test]
    fn sizes_violating_a_condition_are_refused_with_the_reason() {
        let e = Quorums::new(5, 2, 3, 4).unwrap_err();
        assert!(e.contains("must exceed 5 acceptors"), "{e}");
        let e = Quorums::new(3, 2, 2, 2).unwrap_err();
        assert!(e.contains("2 × fast quorum 2"), "{e}");
        let e = Quorums::new(4, 3, 0, 3).unwrap_err();
        assert!(e.contains("phase-2 quorum of 0"), "{e}");
        assert!(Quorums::new(0, 1, 1, 1).is_err());
        assert!(Quorums::new(3, 4, 2, 3).is_err());
        let e = Quorums::new(5, 5, 5, 4).unwrap_err();
        assert!(e.contains("smaller than a phase-2"), "{e}");
    }

    #[test]
    fn flexible_quorums_trade_phase_1_for_phase_2() {
        // Flexible Paxos with 5 acceptors: phase 2 of 2 needs phase 1 of 4.
        let q = Quorums::flexible(5, 4, 2).unwrap();
        assert_eq!((q.phase1, q.phase2), (4, 2));
        assert!(q.is_valid(), "{q}");
        assert!(Quorums::flexible(5, 3, 2).is_err());
        // Even n is fine with explicit sizes.
        assert!(Quorums::flexible(4, 3, 2).unwrap().is_valid());
    }

    #[test]
    fn the_recovery_threshold_singles_out_one_value() {
        // Two values each reaching the threshold would need 2·t replies.
        for n in 1..=MAX_ACCEPTORS {
            let q = Quorums::defaults(n).unwrap();
            assert!(2 * q.recovery_threshold() > q.phase1, "{q}");
        }
    }
}
