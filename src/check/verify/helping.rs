//! [`verify_helping`]: the check of a proposal rule for Herlihy's universal
//! construction (the course exercise "universal-helping").
//!
//! The rule is plugged into [`Universal`] over compare&swap slots and
//! checked, under loom, on a counter of 2 clients × 2 increments (≤ 3
//! preemptions: the fewest that let an operation reach n + 1 = 3 cells) and a
//! queue of 3 clients × 1 operation (≤ 3), and on real cores on a counter and
//! a queue of 2 and 4 clients × 3,000 operations. Every execution must be
//! linearizable, agree with its log and stay within the wait-free bound;
//! besides, the rule must help (some operation put in the log by another
//! client), reach the bound (2 clients) and never propose an operation that
//! is already applied (a duplicate wastes a cell: check that the helped
//! operation is still pending).

use super::{stage, Counts, Failure, Verdict};
use crate::consensus::cas::CasConsensus;
use crate::objects::queue::{QueueOp, QueueSpec};
use crate::objects::rmw::{WordOp, WordSpec};
use crate::objects::Spec;
use crate::rsm::universal::{Rules, Universal};

const COUNTER: WordSpec = WordSpec { add: true, init: 0 };

fn object<S: Spec + Clone + Send + Sync + 'static, R: Rules>(
    spec: S,
    clients: usize,
    capacity: usize,
) -> Universal<S, CasConsensus, R>
where
    S::Op: Sync,
{
    Universal::new(spec, clients, capacity, || Ok(CasConsensus::new(clients)))
        .expect("a valid configuration")
}

/// Checks proposal rule `R` (see the module docs), in this build's stage.
pub fn verify_helping<R: Rules>(name: &str) -> Verdict {
    Verdict::from_runs(name, Counts::Threads, run::<R>())
}

/// The runs, one per client count, lazily (the verdict stops at a failure).
#[cfg(loom)]
fn run<R: Rules>() -> impl Iterator<Item = (usize, Result<String, Failure>)> {
    use crate::check::replicated::model::{check, RsmCounterexample, RsmModel, RsmReport};
    let judge = |r: Result<RsmReport, Box<RsmCounterexample>>, tight: bool| match r {
        Ok(report) => {
            let fail = |m: String| Err(Failure::Violation { message: m, trace: None });
            if report.duplicates > 0 {
                return fail(format!(
                    "in {} executions an operation already applied was decided again (a wasted \
                     cell): help only an operation that is still pending ({report})",
                    report.duplicates
                ));
            }
            if report.helped == 0 {
                return fail(format!(
                    "no operation was ever helped: this is not helping ({report})"
                ));
            }
            if let Err(m) = report.raced() {
                return fail(m);
            }
            if tight {
                if let Err(m) = report.tight() {
                    return fail(m);
                }
            }
            Ok(report.to_string())
        }
        Err(cx) => Err(stage::model_failure(None, *cx)),
    };
    let inc = WordOp::Rmw(1);
    let two = RsmModel {
        ops: vec![vec![inc, inc], vec![inc, inc]],
        preemption_bound: Some(3),
        iterations: 0,
        patience: None,
    };
    let three = RsmModel {
        ops: vec![vec![QueueOp::Enq(1)], vec![QueueOp::Enq(2)], vec![QueueOp::Deq]],
        preemption_bound: Some(3),
        iterations: 0,
        patience: None,
    };
    std::iter::once_with(move || {
        (2, judge(check(move || object::<_, R>(COUNTER, 2, 4), &two), true))
    })
    .chain(std::iter::once_with(move || {
        (3, judge(check(move || object::<_, R>(QueueSpec::default(), 3, 3), &three), false))
    }))
}

/// The runs, one per client count, lazily (the verdict stops at a failure).
#[cfg(not(loom))]
fn run<R: Rules>() -> impl Iterator<Item = (usize, Result<String, Failure>)> {
    use crate::check::replicated::stress::{self, StressReport};
    use std::panic::{catch_unwind, AssertUnwindSafe};
    const OPS: usize = 3_000;
    let one = |clients: usize| -> Result<String, Failure> {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut counter = object::<_, R>(COUNTER, clients, clients * OPS);
            let c = stress::run(&mut counter, OPS, |_, k| {
                if k % 4 == 3 {
                    WordOp::Read
                } else {
                    WordOp::Rmw(1)
                }
            });
            let mut queue = object::<_, R>(QueueSpec::default(), clients, clients * OPS);
            let q = stress::run(&mut queue, OPS, |t, k| {
                if k % 2 == 0 {
                    QueueOp::Enq(t * OPS + k)
                } else {
                    QueueOp::Deq
                }
            });
            (c, q)
        }));
        let (c, q) = outcome.map_err(|p| Failure::from_panic(p.as_ref()))?;
        let summary = |report: &StressReport| {
            if report.duplicates > 0 {
                return Err(format!(
                    "{} log entries repeat an operation already applied (wasted cells): help \
                     only an operation that is still pending",
                    report.duplicates
                ));
            }
            Ok(format!(
                "{} operations linearizable, {} helped, most cells per operation {:?} (bound {})",
                report.ops,
                report.helped,
                report.max_cells,
                clients + 1,
            ))
        };
        let lines = [("counter", c), ("queue", q)]
            .into_iter()
            .map(|(what, r)| stage::stress_result(what, r, summary))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(lines.join("; "))
    };
    [2, 4].into_iter().map(move |clients| (clients, one(clients)))
}
