//! The Byzantine scenarios under loom: every interleaving (within a
//! preemption bound) of the replicas' threads, each execution judged
//! ([`judge`]), a violation returned with the protocol trace of the execution
//! that showed it.
//!
//! A silent replica gets no thread (it writes nothing, and a thread that does
//! nothing would only multiply the interleavings). Model state lives in one
//! `Arc` per execution, cloned once per thread; the counters are thread
//! locals of the exploring OS thread, invisible to loom.

use super::{execute, judge, Judged, Scenario, Violation};
use crate::trace::{self, Trace};
use std::cell::RefCell;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// What a model explored, when nothing was violated.
#[derive(Clone, Debug, Default)]
pub struct ModelReport {
    /// Executions explored.
    pub executions: u64,
    /// Executions in which every honest replica decided.
    pub all_decided: u64,
    /// Executions with a decision after a view change.
    pub view_changes: u64,
    /// Most records the honest replicas rejected in one execution.
    pub most_rejected: u64,
    /// The preemption bound (`None`: exhaustive).
    pub bound: Option<usize>,
    /// How long it took.
    pub elapsed: Duration,
}

impl fmt::Display for ModelReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} executions ({}), {} with every honest replica decided, {} deciding after a \
             view change, up to {} records rejected, {:.1?}",
            self.executions,
            self.bound.map_or("exhaustive".to_string(), |b| format!("≤ {b} preemptions")),
            self.all_decided,
            self.view_changes,
            self.most_rejected,
            self.elapsed
        )
    }
}

/// A violating execution.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// What it violated.
    pub violation: Violation,
    /// Its steps.
    pub trace: Trace,
    /// Executions explored up to it.
    pub executions: u64,
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} (execution {})", self.violation, self.executions)?;
        write!(f, "{}", self.trace)
    }
}

std::thread_local! {
    static SEEN: RefCell<ModelReport> = RefCell::new(ModelReport::default());
    static FOUND: RefCell<Option<Counterexample>> = const { RefCell::new(None) };
}

/// The payload of the panic that ends an exploration at a violation.
struct Violated;

/// One execution, judged.
fn execution(s: &Scenario) {
    SEEN.with(|r| r.borrow_mut().executions += 1);
    trace::start();
    match judge(&s.cfg, &execute(s)) {
        Ok(j) => note(j),
        Err(violation) => {
            let executions = SEEN.with(|r| r.borrow().executions);
            FOUND.with(|f| {
                *f.borrow_mut() =
                    Some(Counterexample { violation, trace: trace::snapshot(), executions })
            });
            std::panic::panic_any(Violated);
        }
    }
}

fn note(j: Judged) {
    SEEN.with(|r| {
        let mut r = r.borrow_mut();
        r.all_decided += u64::from(j.all_decided());
        r.view_changes += u64::from(j.decided > 0 && j.decided_view > 0);
        r.most_rejected = r.most_rejected.max(j.rejected);
    });
}

/// Explores `s` within `bound` preemptions (`None`: exhaustively;
/// `LOOM_MAX_PREEMPTIONS`, if set, wins).
///
/// # Errors
/// The first violating execution.
pub fn explore(s: &Scenario, bound: Option<usize>) -> Result<ModelReport, Box<Counterexample>> {
    SEEN.with(|r| *r.borrow_mut() = ModelReport::default());
    FOUND.with(|f| *f.borrow_mut() = None);
    let mut builder = loom::model::Builder::new();
    // LOOM_MAX_PREEMPTIONS, if set, wins over the model's bound (to measure
    // a model at another bound without editing the suite).
    if bound.is_some() && std::env::var_os("LOOM_MAX_PREEMPTIONS").is_none() {
        builder.preemption_bound = bound;
    }
    builder.max_permutations = None;
    builder.max_duration = None;
    let effective = builder.preemption_bound;
    let start = Instant::now();
    let scenario = s.clone();
    let outcome = catch_unwind(AssertUnwindSafe(|| builder.check(move || execution(&scenario))));
    if let Some(cx) = FOUND.with(|f| f.borrow_mut().take()) {
        return Err(Box::new(cx));
    }
    if let Err(payload) = outcome {
        std::panic::resume_unwind(payload);
    }
    let mut report = SEEN.with(|r| r.borrow().clone());
    report.bound = effective;
    report.elapsed = start.elapsed();
    Ok(report)
}
