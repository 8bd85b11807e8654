//! The loom stage of [`verify`](super): one loom model per thread count (a
//! `--cfg loom` build only). A counterexample is judged by its typed
//! [`Cause`], never by its message.

use super::{panic_failure, Expect, Failure, Plan};
use crate::check::model::{self, Cause, Counterexample, ModelConfig, ModelReport};
use crate::check::panic;
use crate::check::properties::Violation;
use crate::check::replicated::model::RsmCounterexample;
use crate::consensus::{Consensus, ConsensusError, IdConsensus};
use std::fmt;

/// Runs `f` (which builds an instance) once inside a loom model: loom's
/// primitives exist only there.
pub(super) fn probe(
    f: impl Fn() -> Result<(), ConsensusError> + Send + Sync + 'static,
) -> Result<(), ConsensusError> {
    let out = std::sync::Arc::new(std::sync::Mutex::new(Ok(())));
    let seen = std::sync::Arc::clone(&out);
    let mut builder = ::loom::model::Builder::new();
    // Not a model to save or resume: LOOM_CHECKPOINT_FILE belongs to the one
    // model that the harness explores with it.
    builder.checkpoint_file = None;
    builder.check(move || {
        *seen.lock().unwrap_or_else(|p| p.into_inner()) = f();
    });
    let r = out.lock().unwrap_or_else(|p| p.into_inner()).clone();
    r
}

fn config(n: usize, plan: &Plan) -> ModelConfig {
    ModelConfig {
        threads: n,
        preemption_bound: plan.preemption_bound,
        rounds_bounded: plan.rounds_bounded,
    }
}

pub(super) fn ids<C, F>(build: F, n: usize, plan: &Plan) -> Result<String, Failure>
where
    C: IdConsensus + Send + 'static,
    F: Fn(usize) -> Result<C, ConsensusError> + Send + Sync + 'static,
{
    let make = move || build(n).expect("built once before the model");
    let report = model::explain(make, config(n, plan));
    // Every thread proposes a value of its own: each must win somewhere.
    judge(report, plan, &(0..n).collect::<Vec<_>>())
}

pub(super) fn values<T, C, F, P>(
    build: F,
    proposals: P,
    step_bound: Option<usize>,
    n: usize,
    plan: &Plan,
) -> Result<String, Failure>
where
    T: Clone + PartialEq + fmt::Debug + Send + Sync + 'static,
    C: Consensus<T> + Send + 'static,
    F: Fn(usize) -> Result<C, ConsensusError> + Send + Sync + 'static,
    P: Fn(usize) -> T + Clone + Send + Sync + 'static,
{
    let make = move || build(n).expect("built once before the model");
    // Each distinct proposal must be decided somewhere: the report counts
    // a decision for the first thread that proposed it.
    let firsts: Vec<usize> =
        (0..n).filter(|&t| (0..t).all(|u| proposals(u) != proposals(t))).collect();
    let report = model::check_values(make, proposals, step_bound, config(n, plan));
    judge(report, plan, &firsts)
}

/// `must_win`: the threads whose proposal must be decided in some
/// execution (a protocol that always decides the same thread's value, or
/// the same constant, is not consensus even if it agrees).
fn judge(
    report: Result<ModelReport, Counterexample>,
    plan: &Plan,
    must_win: &[usize],
) -> Result<String, Failure> {
    match (plan.expect, report) {
        (Expect::Holds, Ok(r)) => match r.raced(must_win) {
            Ok(()) => Ok(r.to_string()),
            Err(message) => Err(Failure::Violation { message, trace: None }),
        },
        (Expect::Holds, Err(cx)) => Err(counterexample_failure(cx)),
        (Expect::Counterexample, Ok(r)) => Err(Failure::NoCounterexample(format!(
            "the protocol held in all {} executions ({})",
            r.executions,
            r.scope()
        ))),
        (Expect::Counterexample, Err(cx)) if cx.violation().is_none() => {
            Err(counterexample_failure(cx))
        }
        (Expect::Counterexample, Err(cx))
            if !matches!(cx.violation(), Some(Violation::Disagreement { .. })) =>
        {
            Err(Failure::NoCounterexample(format!(
                "loom found a violation, but not of agreement (the protocol must decide \
                 valid values without errors, and disagree only because it cannot know \
                 better):\n{}",
                cx.to_string().trim_end()
            )))
        }
        (Expect::Counterexample, Err(cx)) => Ok(format!(
            "loom found the counterexample, as it should:\n{}",
            cx.to_string().trim_end()
        )),
    }
}

fn counterexample_failure(cx: Counterexample) -> Failure {
    let executions = cx.executions;
    match cx.cause {
        Cause::Violation(_) => Failure::Violation {
            message: format!("{} (found in execution {executions})", cx.message),
            trace: Some(cx.trace),
        },
        Cause::Loom(message) => Failure::Violation {
            message: format!("loom stopped the model: {message} (found in execution {executions})"),
            trace: Some(cx.trace),
        },
        Cause::Panicked(message) if panic::is_todo(&message) => panic_failure(message),
        Cause::Panicked(message) => Failure::Panicked {
            message: format!("{message} (in execution {executions})"),
            trace: Some(cx.trace),
        },
    }
}

/// A counterexample of a replicated object's loom model
/// ([`check::replicated::model`](crate::check::replicated::model)) as a
/// failure of a check of its own (`verify_helping`, `verify_zab_recovery`,
/// `verify_mp_recovery`): a panic of the code under test (a `todo!()`, say)
/// as [`panic_failure`] has it, any other stop as the violation with the
/// clients' history and the trace, said of `what` ("leader crash before
/// publishing") if given.
pub(super) fn model_failure(what: Option<&str>, cx: RsmCounterexample) -> Failure {
    match (&cx.violation, cx.message.strip_prefix("panicked: ")) {
        (None, Some(m)) => panic_failure(m.to_string()),
        _ => {
            let what = what.map_or_else(String::new, |w| format!("{w}: "));
            Failure::Violation {
                message: format!("{what}{}\n{}", cx.message, cx.history),
                trace: Some(cx.trace),
            }
        }
    }
}
