//! The properties every decision must have, as checks that return the violation.
//!
//! * **agreement**: every thread that decided decided the same value;
//! * **validity**: the decided value is some participant's proposal;
//! * **no failure**: a correct protocol never returns an error to a correct caller;
//! * **step bound**: a wait-free protocol's thread takes at most its bound of
//!   shared-memory steps (counted on the [`Trace`]).
//!
//! The loom suite and the real-core stress runner call the same functions.

use crate::consensus::ConsensusError;
use crate::trace::Trace;
use std::fmt::{self, Debug};

/// A violated property, with what shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// Two threads decided different values.
    Disagreement {
        /// A thread and the value it decided (rendered with `Debug`).
        first: (usize, String),
        /// Another thread and its different value.
        other: (usize, String),
    },
    /// A thread decided a value nobody proposed.
    Invalid {
        /// The thread.
        thread: usize,
        /// The value it decided.
        value: String,
    },
    /// A thread's decision failed although it used the protocol correctly.
    Failed {
        /// The thread.
        thread: usize,
        /// The error it got.
        error: ConsensusError,
    },
    /// A protocol-specific invariant failed (see `IdConsensus::check_invariant`).
    Invariant(String),
    /// A wait-free thread took more steps than its bound.
    StepBound {
        /// The thread.
        thread: usize,
        /// The shared-memory steps it took.
        steps: usize,
        /// The protocol's bound.
        bound: usize,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Disagreement { first, other } => write!(
                f,
                "agreement violated: t{} decided {} but t{} decided {}",
                first.0, first.1, other.0, other.1
            ),
            Violation::Invalid { thread, value } => {
                write!(f, "validity violated: t{thread} decided {value}, which nobody proposed")
            }
            Violation::Failed { thread, error } => write!(f, "t{thread} failed to decide: {error}"),
            Violation::Invariant(what) => write!(f, "invariant violated: {what}"),
            Violation::StepBound { thread, steps, bound } => write!(
                f,
                "step bound violated: t{thread} took {steps} shared-memory steps, the bound is {bound}"
            ),
        }
    }
}

impl std::error::Error for Violation {}

/// Whether a thread that stopped without deciding is a violation: one that gave
/// up at its round limit ([`ConsensusError::GaveUp`]) or was crashed by a fault
/// plan ([`ConsensusError::Crashed`]), or (in one loom model only) one told a
/// winner it cannot see ([`ConsensusError::InvalidWinner`]). Any other error
/// always is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undecided {
    /// Every thread must decide (every protocol on real cores, without faults).
    IsViolation,
    /// Rounds are bounded (loom models of obstruction-free protocols) or threads
    /// crash on purpose: those threads are skipped, the others are judged.
    Allowed,
    /// The id protocol under the announce slots breaks its happens-before
    /// contract on purpose (the loom suite's soundness model of the slots): a
    /// thread told a winner whose announce it cannot see gets
    /// [`ConsensusError::InvalidWinner`], the slots' correct answer, and is
    /// skipped; the others are judged. Giving up or crashing still is a violation.
    InvisibleWinner,
}

/// Checks agreement, validity and failure-freedom of one instance: thread `t`
/// proposed `proposals[t]` and got `results[t]`.
pub fn check_decisions<T: PartialEq + Debug>(
    proposals: &[T],
    results: &[Result<T, ConsensusError>],
    undecided: Undecided,
) -> Result<(), Violation> {
    let mut first: Option<(usize, &T)> = None;
    for (thread, result) in results.iter().enumerate() {
        let value = match result {
            Ok(v) => v,
            Err(ConsensusError::GaveUp { .. } | ConsensusError::Crashed { .. })
                if undecided == Undecided::Allowed =>
            {
                continue
            }
            Err(ConsensusError::InvalidWinner { .. })
                if undecided == Undecided::InvisibleWinner =>
            {
                continue
            }
            Err(error) => return Err(Violation::Failed { thread, error: error.clone() }),
        };
        if !proposals.contains(value) {
            return Err(Violation::Invalid { thread, value: format!("{value:?}") });
        }
        match first {
            None => first = Some((thread, value)),
            Some((t0, v0)) if v0 != value => {
                return Err(Violation::Disagreement {
                    first: (t0, format!("{v0:?}")),
                    other: (thread, format!("{value:?}")),
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Checks that each of `threads` threads took at most `bound` shared-memory steps.
pub fn check_step_bound(trace: &Trace, threads: usize, bound: usize) -> Result<(), Violation> {
    for thread in 0..threads {
        let steps = trace.memory_steps(thread);
        if steps > bound {
            return Err(Violation::StepBound { thread, steps, bound });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Event, Loc, Step, Val};

    #[test]
    fn agreement_and_validity_hold_and_fail() {
        let strict = Undecided::IsViolation;
        assert_eq!(check_decisions(&[1, 2], &[Ok(2), Ok(2)], strict), Ok(()));
        assert!(matches!(
            check_decisions(&[1, 2], &[Ok(1), Ok(2)], strict),
            Err(Violation::Disagreement { first: (0, _), other: (1, _) })
        ));
        assert!(matches!(
            check_decisions(&[1, 2], &[Ok(3), Ok(3)], strict),
            Err(Violation::Invalid { thread: 0, .. })
        ));
        assert!(matches!(
            check_decisions(&[1, 2], &[Ok(1), Err(ConsensusError::Poisoned)], strict),
            Err(Violation::Failed { thread: 1, .. })
        ));
    }

    #[test]
    fn giving_up_is_judged_by_policy() {
        let gave_up = || Err(ConsensusError::GaveUp { attempts: 2 });
        let results = [gave_up(), Ok(2), Ok(1)];
        // Allowed: t0 is skipped, but t1 and t2 still disagree, under their own ids.
        assert!(matches!(
            check_decisions(&[1, 2, 3], &results, Undecided::Allowed),
            Err(Violation::Disagreement { first: (1, _), other: (2, _) })
        ));
        assert_eq!(check_decisions(&[1, 2], &[gave_up(), Ok(2)], Undecided::Allowed), Ok(()));
        assert!(matches!(
            check_decisions(&[1, 2], &[gave_up(), Ok(2)], Undecided::IsViolation),
            Err(Violation::Failed { thread: 0, .. })
        ));
        let invisible = || Err(ConsensusError::InvalidWinner { winner: 0 });
        assert_eq!(
            check_decisions(&[1, 2], &[Ok(1), invisible()], Undecided::InvisibleWinner),
            Ok(())
        );
        for policy in [Undecided::IsViolation, Undecided::Allowed] {
            assert!(matches!(
                check_decisions(&[1, 2], &[Ok(1), invisible()], policy),
                Err(Violation::Failed { thread: 1, .. })
            ));
        }
        assert!(matches!(
            check_decisions(&[1, 2], &[gave_up(), Ok(2)], Undecided::InvisibleWinner),
            Err(Violation::Failed { thread: 0, .. })
        ));
    }

    #[test]
    fn step_bound_counts_memory_steps_only() {
        let load = Step::Load { loc: Loc::new("x"), value: Val::Bot };
        let trace = Trace {
            events: vec![
                Event { thread: 0, step: load },
                Event { thread: 0, step: Step::Decide { winner: 0 } },
                Event { thread: 1, step: load },
                Event { thread: 1, step: load },
            ],
        };
        assert_eq!(check_step_bound(&trace, 2, 2), Ok(()));
        assert_eq!(
            check_step_bound(&trace, 2, 1),
            Err(Violation::StepBound { thread: 1, steps: 2, bound: 1 })
        );
    }
}
