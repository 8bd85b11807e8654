//! The model-checking harness of replicated objects, for both model
//! checkers: linearizability inside the exploration.
//!
//! [`check`] explores with loom (`cfg(loom)`: every interleaving and weak-memory
//! outcome up to a preemption bound), [`check_shuttle`] with shuttle's PCT
//! scheduler (`cfg(shuttle)`: sequentially consistent schedules, any number of
//! clients, a fixed number of iterations). The execution is the same code in
//! both (threads come from the facade, `crate::sync::thread`).
//!
//! Every execution builds a fresh object, hands client 0 to loom's main
//! thread and clients `1..n` to spawned loom threads, lets each submit its
//! operations, joins them, and [`judge`]s the execution: every submit
//! succeeded, the client history is linearizable (checked by the
//! linearizability checker, in every explored execution), the log agrees
//! with what the clients were told, and no operation entered more cells
//! than the wait-free bound. Loom's `UnsafeCell` checks every access to the
//! operations' announce cells for data races.
//!
//! The history's clock is a thread-local counter, not an atomic: both checkers
//! run every modelled thread of an execution on this one OS thread, switching
//! only at their own operations, so the counter sees calls and returns in the
//! order loom ran them (real time of the execution) and adds no
//! synchronisation loom would have to explore (or that would hide a missing
//! happens-before). The object is shared through a `std::sync::Arc` for the
//! same reason (see `check::model`).

use super::{describe, describe_log, judge, merge_logs, Audit, Call, RsmViolation};
#[cfg(loom)]
use crate::check::model::{self, Cause};
use crate::objects::Spec;
use crate::rsm::ClientStats;
use crate::rsm::{Client, LogEntry, OpId, Replicated};
use crate::trace::{self, Trace};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A model: how many clients, what each submits, how far to explore.
#[derive(Clone, Debug)]
pub struct RsmModel<Op> {
    /// `ops[t]`: client `t`'s operations, in order (1 to 5 clients).
    pub ops: Vec<Vec<Op>>,
    /// Loom: `None` exhaustive, `Some(k)` at most `k` preemptions. Shuttle:
    /// the PCT depth (`None`: 3).
    pub preemption_bound: Option<usize>,
    /// Shuttle: schedules to try (loom ignores it).
    pub iterations: usize,
    /// Shuttle: abandon a schedule after this many steps and go on to the
    /// next (`None`: shuttle's default, a failure at 1,000,000 steps). For
    /// broken variants only, whose leaders can churn without end once the
    /// protocol is broken: such a schedule shows nothing, and the search
    /// continues (loom ignores it).
    pub patience: Option<usize>,
}

/// A model that held in every explored execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsmReport {
    /// Executions explored.
    pub executions: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// The preemption bound in force.
    pub preemption_bound: Option<usize>,
    /// Executions in which some two operations overlapped.
    pub overlapping: usize,
    /// Executions in which some operation was put in the log by a helper.
    pub helped: usize,
    /// The most cells one operation of each client entered, over all
    /// executions.
    pub max_cells: Vec<usize>,
    /// The wait-free bound checked, if the object claims one.
    pub bound: Option<usize>,
    /// Executions whose log repeated an operation already applied.
    pub duplicates: usize,
}

impl RsmReport {
    /// Whether the model raced: at least 2 executions and some overlapping
    /// history (a model whose clients never overlapped tested nothing
    /// concurrent).
    ///
    /// # Errors
    /// What did not happen.
    pub fn raced(&self) -> Result<(), String> {
        if self.max_cells.len() >= 2 && (self.executions < 2 || self.overlapping == 0) {
            return Err(format!(
                "{} executions, {} with overlapping operations: the clients never raced",
                self.executions, self.overlapping
            ));
        }
        Ok(())
    }

    /// Whether the claimed bound was reached by some client (it is tight).
    ///
    /// # Errors
    /// The bound was never reached.
    pub fn tight(&self) -> Result<(), String> {
        let most = self.max_cells.iter().copied().max().unwrap_or(0);
        match self.bound {
            Some(b) if b != most => Err(format!(
                "the claimed bound of {b} cells per operation is loose here: no operation entered \
                 more than {most} in {} executions (most per client {:?})",
                self.executions, self.max_cells
            )),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for RsmReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} executions in {:.2} s ({}); overlapping in {}; helped in {}; most cells per \
             operation per client {:?}{}",
            self.executions,
            self.elapsed.as_secs_f64(),
            self.preemption_bound.map_or("exhaustive".into(), |b| format!("≤ {b} preemptions")),
            self.overlapping,
            self.helped,
            self.max_cells,
            self.bound.map_or(String::new(), |b| format!(" (bound {b})"))
        )
    }
}

/// An execution that violated a property, or that loom stopped.
#[derive(Clone, Debug)]
pub struct RsmCounterexample {
    /// The violation, if a property was violated.
    pub violation: Option<RsmViolation>,
    /// What happened, in words.
    pub message: String,
    /// The execution's client history and log, as lines.
    pub history: String,
    /// The steps of the execution.
    pub trace: Trace,
    /// Executions explored up to the failing one.
    pub executions: usize,
}

impl fmt::Display for RsmCounterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.message)?;
        writeln!(f, "found in execution {}; the clients' history and the log:", self.executions)?;
        write!(f, "{}", self.history)?;
        writeln!(f, "the steps, in order:")?;
        write!(f, "{}", self.trace)
    }
}

std::thread_local! {
    static CLOCK: Cell<u64> = const { Cell::new(0) };
    static EXECUTIONS: Cell<usize> = const { Cell::new(0) };
    static OVERLAPPING: Cell<usize> = const { Cell::new(0) };
    static HELPED: Cell<usize> = const { Cell::new(0) };
    static DUPLICATES: Cell<usize> = const { Cell::new(0) };
    static JUDGED: Cell<usize> = const { Cell::new(0) };
    static MAX_CELLS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    static FAILED: RefCell<Option<(RsmViolation, String)>> = const { RefCell::new(None) };
    static BOUND: Cell<Option<usize>> = const { Cell::new(None) };
}

fn tick() -> u64 {
    CLOCK.with(|c| {
        let t = c.get();
        c.set(t + 1);
        t
    })
}

/// No protocol properties to check.
fn no_audit<R>(_: &R) -> Result<Vec<&'static str>, RsmViolation> {
    Ok(Vec::new())
}

/// The panic payload of a violated property.
struct Violated;

type Calls<S> = Vec<Call<<S as Spec>::Op, <S as Spec>::Ret>>;

fn run_client<S: Spec, C: Client<S>>(client: &mut C, ops: Vec<S::Op>) -> Calls<S> {
    let me = client.id();
    let mut calls = Vec::with_capacity(ops.len());
    for (k, op) in ops.into_iter().enumerate() {
        let call = tick();
        let r = client.submit(op.clone());
        let failed = r.is_err();
        calls.push(Call {
            id: OpId { client: me, seq: k as u64 + 1 },
            op,
            call,
            ret: Some((tick(), r)),
        });
        if failed {
            break;
        }
    }
    calls
}

/// Resets the bookkeeping of one exploration of `n` clients.
fn reset(n: usize) {
    EXECUTIONS.with(|e| e.set(0));
    OVERLAPPING.with(|e| e.set(0));
    HELPED.with(|e| e.set(0));
    DUPLICATES.with(|e| e.set(0));
    JUDGED.with(|e| e.set(0));
    MAX_CELLS.with(|c| *c.borrow_mut() = vec![0; n]);
    FAILED.with(|f| *f.borrow_mut() = None);
    BOUND.with(|b| b.set(None));
}

/// What one client returned: its calls, its counters and its replica's log.
type Returned<S> = (Calls<S>, ClientStats, Vec<LogEntry<<S as Spec>::Op>>);

/// One execution's shared state: the object, and each client's calls and
/// counters as it returns. `results` is a `std::sync::Mutex`, which neither
/// checker sees: both run every modelled thread on one OS thread and switch
/// only at their own operations, so it is never contended and adds no
/// scheduling point.
struct Execution<R: Replicated> {
    object: R,
    audit: Audit<R>,
    results: Mutex<Vec<Option<Returned<R::Spec>>>>,
}

/// One execution: build, run every client (client 0 on this thread), and let
/// the last client to return judge it. No thread is joined: a join conflicts
/// with the joined thread's exit, and loom would explore both orders of
/// every exit and join and everything after them (the consensus harness,
/// `check::model`, measured it: `assignment-3/3` 4,197,913 executions with
/// joins, 924,205 without). A violation is stored and raised as the
/// [`Violated`] panic, in whichever thread judges.
fn execution<R, F>(build: &F, audit: Audit<R>, ops: &[Vec<<R::Spec as Spec>::Op>])
where
    R: Replicated + 'static,
    <R::Spec as Spec>::Op: Sync,
    F: Fn() -> R,
{
    EXECUTIONS.with(|e| e.set(e.get() + 1));
    CLOCK.with(|c| c.set(0));
    trace::start();
    let mut object = build();
    if let crate::rsm::RsmProgress::WaitFree { cells } = object.progress() {
        BOUND.with(|b| b.set(Some(cells)));
    }
    let mut clients = object.clients().expect("a fresh object hands out its clients");
    let n = clients.len();
    let run =
        Arc::new(Execution { object, audit, results: Mutex::new((0..n).map(|_| None).collect()) });
    let mut mine = clients.remove(0);
    // Every client's thread exists before any step of the object.
    for (t, (mut c, o)) in clients.into_iter().zip(ops.iter().skip(1).cloned()).enumerate() {
        let run = Arc::clone(&run);
        crate::sync::thread::spawn(move || {
            let calls = run_client::<R::Spec, _>(&mut c, o);
            finish(&run, t + 1, (calls, c.stats(), c.log()));
        });
    }
    let calls = run_client::<R::Spec, _>(&mut mine, ops[0].clone());
    finish(&run, 0, (calls, mine.stats(), mine.log()));
}

/// Client `t` returned; the last one judges the execution.
fn finish<R: Replicated>(run: &Execution<R>, t: usize, returned: Returned<R::Spec>) {
    let all = {
        let mut results = run.results.lock().unwrap_or_else(PoisonError::into_inner);
        results[t] = Some(returned);
        if results.iter().any(Option::is_none) {
            return;
        }
        std::mem::take(&mut *results)
    };
    JUDGED.with(|e| e.set(e.get() + 1));
    let mut calls = Vec::new();
    let mut stats = Vec::new();
    let mut logs = Vec::new();
    for (c, s, l) in all.into_iter().flatten() {
        calls.extend(c);
        stats.push(s);
        logs.push(l);
    }
    let object = &run.object;
    // The replicas' logs, not `object.log()`: this thread has no
    // happens-before edge from the others' last cells (no join), and reading
    // the shared log here would race them in loom's eyes.
    // The protocol's own properties first (the object's ghost record, read
    // outside the checkers' view), then the judge's.
    let order = object.order();
    let judged =
        (run.audit)(object).and_then(|_| merge_logs(object.spec(), &logs, order)).and_then(|log| {
            judge(object.spec(), &calls, &log, &stats, object.progress(), order).map(|j| (j, log))
        });
    let log = judged.as_ref().map_or_else(
        |_| logs.iter().max_by_key(|l| l.len()).cloned().unwrap_or_default(),
        |(_, l)| l.clone(),
    );
    match judged.map(|(j, _)| j) {
        Ok(j) => {
            if j.overlapping {
                OVERLAPPING.with(|e| e.set(e.get() + 1));
            }
            if j.helped > 0 {
                HELPED.with(|e| e.set(e.get() + 1));
            }
            if j.duplicates > 0 {
                DUPLICATES.with(|e| e.set(e.get() + 1));
            }
            MAX_CELLS.with(|c| {
                for (most, &got) in c.borrow_mut().iter_mut().zip(&j.max_cells) {
                    *most = (*most).max(got);
                }
            });
        }
        Err(v) => {
            let history = format!(
                "{}the log (replayed in this order):\n{}",
                describe(&calls),
                describe_log(&log)
            );
            FAILED.with(|f| *f.borrow_mut() = Some((v, history)));
            std::panic::panic_any(Violated);
        }
    }
}

/// The report of an exploration that ended normally, or the harness's own
/// failure if some execution ended without being judged (a client thread the
/// checker never ran to its end).
fn report(
    elapsed: Duration,
    preemption_bound: Option<usize>,
) -> Result<RsmReport, Box<RsmCounterexample>> {
    let (executions, judged) = (EXECUTIONS.with(Cell::get), JUDGED.with(Cell::get));
    if executions != judged {
        return Err(Box::new(RsmCounterexample {
            violation: None,
            message: format!(
                "harness: {judged} of {executions} executions were judged (a client never returned)"
            ),
            history: String::new(),
            trace: trace::snapshot(),
            executions,
        }));
    }
    Ok(RsmReport {
        executions,
        elapsed,
        preemption_bound,
        overlapping: OVERLAPPING.with(Cell::get),
        helped: HELPED.with(Cell::get),
        max_cells: MAX_CELLS.with(|c| c.borrow().clone()),
        bound: BOUND.with(Cell::get),
        duplicates: DUPLICATES.with(Cell::get),
    })
}

/// The counterexample of an exploration stopped by `payload`: the stored
/// violation, or the checker's (or the code's) own panic, `other` naming it.
fn counterexample(
    payload: &(dyn std::any::Any + Send),
    other: impl FnOnce() -> String,
) -> Box<RsmCounterexample> {
    let trace = trace::snapshot();
    let executions = EXECUTIONS.with(Cell::get);
    if payload.is::<Violated>() {
        let (v, history) = FAILED.with(|f| f.borrow_mut().take()).expect("set before the panic");
        Box::new(RsmCounterexample {
            message: v.to_string(),
            violation: Some(v),
            history,
            trace,
            executions,
        })
    } else {
        Box::new(RsmCounterexample {
            violation: None,
            message: other(),
            history: String::new(),
            trace,
            executions,
        })
    }
}

/// Model-checks the replicated object `build` makes (once per execution)
/// with the clients' operations of `m`, under loom.
///
/// # Errors
/// The first counterexample loom finds.
#[cfg(loom)]
pub fn check<R, F>(
    build: F,
    m: &RsmModel<<R::Spec as Spec>::Op>,
) -> Result<RsmReport, Box<RsmCounterexample>>
where
    R: Replicated + 'static,
    <R::Spec as Spec>::Op: Sync,
    F: Fn() -> R + Send + Sync + 'static,
{
    check_audited(build, no_audit, m)
}

/// As [`check`], and `audit` checks each execution's object (its protocol's
/// own properties, on a ghost record) before the judge does.
///
/// # Errors
/// The first counterexample loom finds.
#[cfg(loom)]
pub fn check_audited<R, F>(
    build: F,
    audit: Audit<R>,
    m: &RsmModel<<R::Spec as Spec>::Op>,
) -> Result<RsmReport, Box<RsmCounterexample>>
where
    R: Replicated + 'static,
    <R::Spec as Spec>::Op: Sync,
    F: Fn() -> R + Send + Sync + 'static,
{
    let n = m.ops.len();
    assert!((1..=5).contains(&n), "loom models 1 to 5 clients, {n} requested");
    reset(n);
    let mut builder = loom::model::Builder::new();
    if m.preemption_bound.is_some() {
        builder.preemption_bound = m.preemption_bound;
    }
    // LOOM_MAX_PERMUTATIONS / LOOM_MAX_DURATION would end the exploration
    // early without saying so.
    builder.max_permutations = None;
    builder.max_duration = None;
    let bound_in_force = builder.preemption_bound;
    let ops = m.ops.clone();
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        builder.check(move || execution(&build, audit, &ops));
    }));
    match outcome {
        Ok(()) => report(start.elapsed(), bound_in_force),
        Err(payload) => Err(counterexample(payload.as_ref(), || {
            match model::cause_of_panic(payload.as_ref()) {
                Cause::Loom(m) => format!("loom: {m}"),
                Cause::Panicked(m) => format!("panicked: {m}"),
                Cause::Violation(v) => v.to_string(),
            }
        })),
    }
}

/// Runs the replicated object `build` makes (once per iteration) with the
/// clients' operations of `m` under shuttle's PCT scheduler of depth
/// `m.preemption_bound` (3 if `None`), `m.iterations` schedules from `seed`.
///
/// # Errors
/// The first failing iteration, with its history and trace.
#[cfg(all(shuttle, not(loom)))]
pub fn check_shuttle<R, F>(
    build: F,
    m: &RsmModel<<R::Spec as Spec>::Op>,
    seed: u64,
) -> Result<RsmReport, Box<RsmCounterexample>>
where
    R: Replicated + 'static,
    <R::Spec as Spec>::Op: Sync,
    F: Fn() -> R + Send + Sync + 'static,
{
    check_shuttle_audited(build, no_audit, m, seed)
}

/// As [`check_shuttle`], and `audit` checks each iteration's object before
/// the judge does.
///
/// # Errors
/// The first failing iteration, with its history and trace.
#[cfg(all(shuttle, not(loom)))]
pub fn check_shuttle_audited<R, F>(
    build: F,
    audit: Audit<R>,
    m: &RsmModel<<R::Spec as Spec>::Op>,
    seed: u64,
) -> Result<RsmReport, Box<RsmCounterexample>>
where
    R: Replicated + 'static,
    <R::Spec as Spec>::Op: Sync,
    F: Fn() -> R + Send + Sync + 'static,
{
    let n = m.ops.len();
    assert!(n >= 1, "a model needs a client");
    reset(n);
    let depth = m.preemption_bound.unwrap_or(3);
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    config.silence_warnings = true;
    if let Some(steps) = m.patience {
        config.max_steps = shuttle::MaxSteps::ContinueAfter(steps);
    }
    let ops = m.ops.clone();
    let scheduler = shuttle::scheduler::PctScheduler::new_from_seed(seed, depth, m.iterations);
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        shuttle::Runner::new(scheduler, config).run(move || execution(&build, audit, &ops));
    }));
    match outcome {
        Ok(()) => report(start.elapsed(), Some(depth)),
        Err(payload) => Err(counterexample(payload.as_ref(), || {
            crate::check::panic::text(payload.as_ref())
                .map_or_else(|| "the model panicked".into(), |m| format!("shuttle: {m}"))
        })),
    }
}

/// Asserts that loom finds a violation of the object `build` makes; returns
/// the counterexample.
#[cfg(loom)]
///
/// # Errors
/// The model held, or loom stopped it for a reason of its own.
pub fn find_counterexample<R, F>(
    build: F,
    m: &RsmModel<<R::Spec as Spec>::Op>,
) -> Result<Box<RsmCounterexample>, String>
where
    R: Replicated + 'static,
    <R::Spec as Spec>::Op: Sync,
    F: Fn() -> R + Send + Sync + 'static,
{
    match check(build, m) {
        Ok(r) => Err(format!("the model held in all {} executions", r.executions)),
        Err(cx) if cx.violation.is_none() => {
            Err(format!("loom stopped the model before any violation: {cx}"))
        }
        Err(cx) => Ok(cx),
    }
}
