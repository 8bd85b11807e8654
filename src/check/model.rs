//! The loom harness: one call model-checks an id protocol for agreement,
//! validity, data-race freedom of the announce slots and its step bound, or
//! asserts that loom finds a broken protocol's counterexample.
//!
//! Each execution builds a fresh instance behind [`Proposals`] with `String`
//! values (so a missing happens-before on an announce slot is a data race loom
//! reports, not a silently copied integer), runs thread 0 on loom's main thread
//! and threads `1..n` as spawned loom threads, joins them, and checks:
//!
//! * agreement, validity and no error ([`check_decisions`]);
//! * for wait-free protocols, the step bound of every thread on the recorded
//!   [`Trace`]: at most `steps + ANNOUNCE_STEPS`;
//! * data-race freedom: loom's `UnsafeCell` checks every access to a slot.
//!
//! The instance is shared through a `std::sync::Arc`, which loom cannot see: a
//! loom `Arc` cloned into every thread adds synchronisation loom must explore
//! (on a prototype of this harness, a 4-thread CAS model went from 57 thousand
//! executions to 5.9 million with a loom `Arc` per thread).
//!
//! This file, the trace log and the loom suite are the only places outside
//! `sync.rs` that name loom: they drive the model checker rather than being
//! model-checked.
//!
//! A failing execution panics with the violated property; [`check`] catches the
//! panic (loom stops at the first failure) and returns a [`Counterexample`]: the
//! message and the protocol trace of that execution, readable without loom.

use crate::check::properties::{check_decisions, check_step_bound, Undecided, Violation};
use crate::consensus::announce::ANNOUNCE_STEPS;
use crate::consensus::{Consensus, IdConsensus, Proposals};
use crate::trace::{self, Trace};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How to explore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelConfig {
    /// Threads taking part (1 to 5: loom's main thread plus 4 spawned).
    pub threads: usize,
    /// `None`: exhaustive; `Some(k)`: at most `k` preemptions per execution.
    pub preemption_bound: Option<usize>,
    /// Whether threads may give up ([`ConsensusError::GaveUp`]) because the
    /// protocol's rounds are bounded for the model. Agreement and validity are then
    /// checked among the threads that decided, and some execution must have every
    /// thread decide.
    pub rounds_bounded: bool,
}

/// A model that held in every explored execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelReport {
    /// Executions loom explored.
    pub executions: usize,
    /// Wall time of the exploration.
    pub elapsed: Duration,
    /// `winners[t]`: in how many executions thread `t` won.
    pub winners: Vec<usize>,
    /// The preemption bound in force (the model's, or `LOOM_MAX_PREEMPTIONS`).
    pub preemption_bound: Option<usize>,
    /// Executions in which every thread decided (all of them unless rounds are
    /// bounded).
    pub all_decided: usize,
}

impl fmt::Display for ModelReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} executions in {:.2} s ({}); every thread decided in {}; wins per thread {:?}",
            self.executions,
            self.elapsed.as_secs_f64(),
            self.preemption_bound.map_or("exhaustive".into(), |b| format!("≤ {b} preemptions")),
            self.all_decided,
            self.winners
        )
    }
}

/// An execution in which a property failed.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// The violated property (or loom's own report, e.g. a data race).
    pub message: String,
    /// The protocol steps of the failing execution, in order.
    pub trace: Trace,
    /// Executions explored up to and including the failing one.
    pub executions: usize,
    /// Whether loom itself stopped the model (a data race on an `UnsafeCell`, a
    /// deadlock, an exceeded branch limit, a panic in protocol code) rather than
    /// a violated property.
    pub loom_panic: bool,
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.message)?;
        writeln!(f, "found in execution {}; the protocol's steps, in order:", self.executions)?;
        write!(f, "{}", self.trace)
    }
}

std::thread_local! {
    // Bookkeeping across executions of one model. Loom runs all executions of a
    // model, and every modelled thread, on the OS thread that called `check`.
    static EXECUTIONS: Cell<usize> = const { Cell::new(0) };
    static ALL_DECIDED: Cell<usize> = const { Cell::new(0) };
    static WINNERS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    // A counterexample kept while looking for a sequentially consistent one.
    static PENDING: RefCell<Option<(String, Trace, usize)>> = const { RefCell::new(None) };
}

/// Which counterexample to stop at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StopAt {
    /// The first violation (correct protocols: any violation is a failure).
    First,
    /// The first violation whose trace is sequentially consistent; if there is
    /// none, the first violation. Loom weakens SeqCst loads and stores to
    /// acquire/release and explores stale reads first, so its first
    /// counterexample is often not an interleaving a student can replay; an SC one
    /// teaches better when it exists.
    FirstSequentiallyConsistent,
}

/// The value thread `t` proposes in an id model.
fn proposal(t: usize) -> String {
    format!("value of t{t}")
}

/// What one model execution runs: an instance on which each thread proposes
/// once. [`check`] and [`find_counterexample`] explore an id protocol behind
/// [`Proposals`] with `String` proposals; [`check_values`] explores a
/// [`Consensus<T>`] directly (binary consensus, say), with proposals chosen by
/// the caller.
trait Subject: Sync + Send + 'static {
    type Value: Clone + PartialEq + fmt::Debug + Send + 'static;
    /// Thread `t`'s proposal.
    fn proposal(&self, t: usize) -> Self::Value;
    /// Thread `t` proposes and decides.
    fn decide(&self, t: usize) -> Result<Self::Value, crate::consensus::ConsensusError>;
    /// Bound on each thread's shared-memory steps, if wait-free.
    fn step_bound(&self) -> Option<usize>;
    /// The protocol's own invariant over the trace.
    fn check_invariant(&self, trace: &Trace) -> Result<(), String>;
}

/// An id protocol behind announce slots, `String` proposals.
struct Ids<C>(Proposals<String, C>);

impl<C: IdConsensus + Send + 'static> Subject for Ids<C> {
    type Value = String;
    fn proposal(&self, t: usize) -> String {
        proposal(t)
    }
    fn decide(&self, t: usize) -> Result<String, crate::consensus::ConsensusError> {
        self.0.decide(t, proposal(t)).cloned()
    }
    fn step_bound(&self) -> Option<usize> {
        self.0.ids().progress().step_bound().map(|s| s + ANNOUNCE_STEPS)
    }
    fn check_invariant(&self, trace: &Trace) -> Result<(), String> {
        self.0.ids().check_invariant(trace)
    }
}

/// A value protocol with the caller's proposals.
struct Values<C, P> {
    object: C,
    proposals: P,
    step_bound: Option<usize>,
}

impl<T, C, P> Subject for Values<C, P>
where
    T: Clone + PartialEq + fmt::Debug + Send + Sync + 'static,
    C: Consensus<T> + Send + 'static,
    P: Fn(usize) -> T + Send + Sync + 'static,
{
    type Value = T;
    fn proposal(&self, t: usize) -> T {
        (self.proposals)(t)
    }
    fn decide(&self, t: usize) -> Result<T, crate::consensus::ConsensusError> {
        self.object.decide(t, (self.proposals)(t)).cloned()
    }
    fn step_bound(&self) -> Option<usize> {
        self.step_bound
    }
    fn check_invariant(&self, _trace: &Trace) -> Result<(), String> {
        Ok(())
    }
}

/// Model-checks the id protocol that `build` makes (called once per execution).
///
/// # Errors
/// The first counterexample loom finds.
pub fn check<C, F>(build: F, cfg: ModelConfig) -> Result<ModelReport, Counterexample>
where
    C: IdConsensus + Send + 'static,
    F: Fn() -> C + Send + Sync + 'static,
{
    explore(move || Ids(Proposals::new(build())), cfg, StopAt::First)
}

/// Like [`check`], but on a violation keeps exploring for a sequentially
/// consistent counterexample and returns that if there is one (else the
/// first): slower to fail, easier to read. For students' code
/// ([`verify`](crate::check::verify)).
///
/// # Errors
/// The counterexample, sequentially consistent where one exists.
pub fn explain<C, F>(build: F, cfg: ModelConfig) -> Result<ModelReport, Counterexample>
where
    C: IdConsensus + Send + 'static,
    F: Fn() -> C + Send + Sync + 'static,
{
    explore(move || Ids(Proposals::new(build())), cfg, StopAt::FirstSequentiallyConsistent)
}

/// Model-checks a [`Consensus<T>`] implementation directly: `build` makes a
/// fresh instance per execution, thread `t` proposes `proposals(t)`. A
/// wait-free implementation may give its bound on each thread's shared-memory
/// steps (as recorded with [`trace_step!`](crate::trace_step)) in `step_bound`.
/// `winners[t]` of the report counts the executions that decided the value of
/// the first thread that proposed it. Like [`explain`], it prefers a
/// sequentially consistent counterexample.
///
/// # Errors
/// The counterexample, sequentially consistent where one exists.
pub fn check_values<T, C, F, P>(
    build: F,
    proposals: P,
    step_bound: Option<usize>,
    cfg: ModelConfig,
) -> Result<ModelReport, Counterexample>
where
    T: Clone + PartialEq + fmt::Debug + Send + Sync + 'static,
    C: Consensus<T> + Send + 'static,
    F: Fn() -> C + Send + Sync + 'static,
    P: Fn(usize) -> T + Clone + Send + Sync + 'static,
{
    explore(
        move || Values { object: build(), proposals: proposals.clone(), step_bound },
        cfg,
        StopAt::FirstSequentiallyConsistent,
    )
}

fn explore<S, F>(build: F, cfg: ModelConfig, stop: StopAt) -> Result<ModelReport, Counterexample>
where
    S: Subject,
    F: Fn() -> S + Send + Sync + 'static,
{
    let n = cfg.threads;
    assert!((1..=5).contains(&n), "loom models 1 to 5 threads, {n} requested");
    EXECUTIONS.with(|e| e.set(0));
    ALL_DECIDED.with(|e| e.set(0));
    WINNERS.with(|w| *w.borrow_mut() = vec![0; n]);
    PENDING.with(|p| *p.borrow_mut() = None);

    // `Builder::new` reads LOOM_MAX_PREEMPTIONS, LOOM_CHECKPOINT_FILE, LOOM_LOG...;
    // a model's own bound wins, an exhaustive model honours the user's variable.
    let mut builder = loom::model::Builder::new();
    if cfg.preemption_bound.is_some() {
        builder.preemption_bound = cfg.preemption_bound;
    }
    // LOOM_MAX_PERMUTATIONS / LOOM_MAX_DURATION would stop the exploration early
    // without saying so, and an "exhaustive" pass would be nothing of the kind.
    builder.max_permutations = None;
    builder.max_duration = None;
    let effective_bound = builder.preemption_bound;
    let start = Instant::now();
    // LOOM_LOG: the subscriber `loom::model` would install (Builder::check alone
    // installs none, so loom's per-operation log would go nowhere).
    let subscriber = std::env::var_os("LOOM_LOG").map(|_| {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("LOOM_LOG"))
            .with_test_writer()
            .without_time()
            .finish()
    });
    let _log = subscriber.map(tracing::subscriber::set_default);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        builder.check(move || {
            EXECUTIONS.with(|e| e.set(e.get() + 1));
            trace::start();
            let subject = Arc::new(build());
            let bound = subject.step_bound();
            let handles: Vec<_> = (1..n)
                .map(|t| {
                    let subject = Arc::clone(&subject);
                    loom::thread::spawn(move || subject.decide(t))
                })
                .collect();
            let mut results = vec![subject.decide(0)];
            results.extend(handles.into_iter().map(|h| h.join().expect("a model thread panicked")));
            let proposals: Vec<S::Value> = (0..n).map(|t| subject.proposal(t)).collect();
            let all_decided = results.iter().all(Result::is_ok);
            if all_decided {
                ALL_DECIDED.with(|e| e.set(e.get() + 1));
            }
            // With bounded rounds a thread may give up: judge those that decided.
            let undecided =
                if cfg.rounds_bounded { Undecided::Allowed } else { Undecided::IsViolation };
            let trace = trace::snapshot();
            let verdict = check_decisions(&proposals, &results, undecided)
                .and_then(|()| match bound {
                    Some(steps) => check_step_bound(&trace, n, steps),
                    None => Ok(()),
                })
                .and_then(|()| subject.check_invariant(&trace).map_err(Violation::Invariant));
            if let Err(v) = verdict {
                if stop == StopAt::First || trace.is_sequentially_consistent() {
                    fail(&v);
                }
                let executions = EXECUTIONS.with(Cell::get);
                PENDING.with(|p| {
                    p.borrow_mut().get_or_insert_with(|| (v.to_string(), trace, executions));
                });
                return;
            }
            if let Some(v) = results.iter().find_map(|r| r.as_ref().ok()) {
                let t = proposals.iter().position(|p| p == v).expect("checked by validity");
                WINNERS.with(|w| w.borrow_mut()[t] += 1);
            }
        });
    }));
    let executions = EXECUTIONS.with(Cell::get);
    let pending = PENDING.with(|p| p.borrow_mut().take());
    let is_violation = match &outcome {
        Ok(()) => false,
        Err(payload) => payload.is::<ViolationPanic>(),
    };
    // A violation set aside while looking for a sequentially consistent one is
    // the answer unless a sequentially consistent violation stopped the run.
    if let (false, Some((message, trace, executions))) = (is_violation, pending) {
        let message = format!(
            "{message}\n(no sequentially consistent counterexample was found within this \
             model and bound: this one needs a stale read)"
        );
        return Err(Counterexample { message, trace, executions, loom_panic: false });
    }
    match outcome {
        Ok(()) => Ok(ModelReport {
            executions,
            elapsed: start.elapsed(),
            winners: WINNERS.with(|w| w.borrow().clone()),
            preemption_bound: effective_bound,
            all_decided: ALL_DECIDED.with(Cell::get),
        }),
        Err(payload) => {
            let message = match payload.downcast_ref::<ViolationPanic>() {
                Some(ViolationPanic(m)) => m.clone(),
                None => payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .map_or_else(|| "the model panicked".to_string(), |m| format!("loom: {m}")),
            };
            Err(Counterexample {
                message,
                trace: trace::snapshot(),
                executions,
                loom_panic: !is_violation,
            })
        }
    }
}

/// The panic payload of a violated property, so the harness can tell it from
/// loom's own panics (a data race, a deadlock, a branch limit).
struct ViolationPanic(String);

fn fail(v: &Violation) -> ! {
    std::panic::panic_any(ViolationPanic(v.to_string()))
}

/// Asserts that loom finds a counterexample for a broken protocol; returns it.
/// Prefers a sequentially consistent one (see the trace's stale-read marks); the
/// exploration continues past weak-memory-only counterexamples to find it.
///
/// Only a violated property counts: if loom stops the model for a reason of its
/// own (a branch limit, say) before any violation, that is an error.
///
/// # Errors
/// Why no counterexample was found: the model held in every execution (the
/// protocol is not as broken as claimed, or the model does not reach the bad
/// interleaving), or loom stopped it for another reason.
pub fn find_counterexample<C, F>(build: F, cfg: ModelConfig) -> Result<Counterexample, String>
where
    C: IdConsensus + Send + 'static,
    F: Fn() -> C + Send + Sync + 'static,
{
    match explore(move || Ids(Proposals::new(build())), cfg, StopAt::FirstSequentiallyConsistent) {
        Ok(report) => Err(format!("the model held in all {} executions", report.executions)),
        Err(cx) if cx.loom_panic => {
            Err(format!("loom stopped the model before any violation: {cx}"))
        }
        Err(cx) => Ok(cx),
    }
}
