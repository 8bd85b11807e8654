//! The shuttle harness: one call runs an id protocol under one of shuttle's
//! randomized schedulers (PCT or uniform random) for a fixed number of
//! iterations, with the loom harness's checks, at any thread count.
//!
//! Built with `RUSTFLAGS="--cfg shuttle"`, the facade (`sync.rs`) maps atomics,
//! mutexes, threads and yields onto shuttle's, which runs every modelled
//! thread as a coroutine on the calling OS thread and picks, at every atomic
//! operation, lock or yield, which one runs next. Each iteration builds a fresh
//! instance behind [`Proposals`] with `String` values, runs thread 0 on the
//! iteration's main thread and threads `1..n` as spawned shuttle threads,
//! joins them, and checks, as [`model`](super::model) does under loom:
//!
//! * agreement, validity and no error ([`check_decisions`]; with bounded
//!   rounds, a thread may give up or crash by its fault plan);
//! * for wait-free protocols, the step bound of every thread on the recorded
//!   [`Trace`] (at most `steps + ANNOUNCE_STEPS`), and the most steps each
//!   thread took, so the suite can check the bound is reached;
//! * the protocol's own invariant.
//!
//! What shuttle does not see: weak memory (its atomics are sequentially
//! consistent, so `relaxed-cas` passes every schedule) and data races on an
//! `UnsafeCell` (it has no race detector). What it sees that loom cannot:
//! 8, 16, 64 threads. See `docs/src/checking.md`.
//!
//! A failing iteration panics inside shuttle, which writes the schedule that
//! led there to a file in [`ShuttleConfig::schedule_dir`] (shuttle's replay
//! format); [`check`] catches the panic and returns a [`ShuttleFailure`] with
//! the violation, the protocol trace of that iteration, the iteration number
//! and the replay string. [`replay`] runs that one schedule again.

use crate::check::panic;
use crate::check::properties::{check_decisions, check_step_bound, Undecided, Violation};
use crate::consensus::announce::ANNOUNCE_STEPS;
use crate::consensus::protocol::ShuttleScheduler;
use crate::consensus::{Consensus, ConsensusError, IdConsensus, Proposals};
use crate::trace::{self, Trace};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShuttleConfig {
    /// Threads taking part (ids `0..threads`).
    pub threads: usize,
    /// The scheduler.
    pub scheduler: ShuttleScheduler,
    /// Schedules to try.
    pub iterations: usize,
    /// The scheduler's seed (fixed: a run is reproducible).
    pub seed: u64,
    /// Whether threads may give up or crash (bounded rounds, fault plans).
    pub rounds_bounded: bool,
    /// Where shuttle writes a failing schedule (`scheduleNNN.txt`).
    pub schedule_dir: PathBuf,
}

/// A model that held in every iteration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShuttleReport {
    /// Iterations run.
    pub iterations: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// `winners[t]`: in how many iterations thread `t`'s proposal was decided.
    pub winners: Vec<usize>,
    /// Iterations in which every thread decided (a thread crashed by its
    /// fault plan counting as decided).
    pub all_decided: usize,
    /// `max_steps[t]`: the most shared-memory steps thread `t` took in one
    /// iteration (announce included).
    pub max_steps: Vec<usize>,
    /// The step bound every iteration was checked against (announce
    /// included), for a wait-free protocol.
    pub step_bound: Option<usize>,
}

impl fmt::Display for ShuttleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} iterations in {:.2} s; every thread decided in {}; wins per thread {:?}; most \
             steps per thread {:?}{}",
            self.iterations,
            self.elapsed.as_secs_f64(),
            self.all_decided,
            self.winners,
            self.max_steps,
            self.step_bound.map_or(String::new(), |b| format!(" (bound {b})"))
        )
    }
}

impl ShuttleReport {
    /// Whether the model really raced: at least 2 iterations for 2 threads or
    /// more; the proposals of at least 2 different threads decided in some
    /// iteration each (the schedules varied who wins); and some iteration in
    /// which every thread decided (with bounded rounds, only some decision: at
    /// 8 or 16 threads, a schedule in which every thread of an
    /// obstruction-free protocol decides within its few rounds may never be
    /// drawn). Weaker than the loom suite's rule (every thread wins some
    /// execution): with 16 threads, the main thread, which spawns the 15 others
    /// before it proposes, rarely wins a random schedule.
    ///
    /// # Errors
    /// What did not happen, in words.
    pub fn raced(&self, rounds_bounded: bool) -> Result<(), String> {
        let n = self.winners.len();
        if n >= 2 && self.iterations < 2 {
            return Err(format!(
                "{} iteration of {n} threads: one schedule tests no concurrency",
                self.iterations
            ));
        }
        let distinct = self.winners.iter().filter(|&&w| w > 0).count();
        if distinct < n.min(2) {
            return Err(format!(
                "only {distinct} thread's proposal was ever decided in {} iterations (wins {:?}): \
                 the schedules never varied who wins",
                self.iterations, self.winners
            ));
        }
        if !rounds_bounded && self.all_decided == 0 {
            return Err(format!("no iteration of {} had every thread decide", self.iterations));
        }
        Ok(())
    }

    /// Whether a wait-free protocol's claimed step bound was reached exactly by
    /// some thread in some iteration.
    ///
    /// # Errors
    /// The bound was never reached in these iterations.
    pub fn tight(&self) -> Result<(), String> {
        let most = self.max_steps.iter().copied().max().unwrap_or(0);
        match self.step_bound {
            Some(bound) if most != bound => Err(format!(
                "no thread took the claimed {bound} steps (announce included) in {} iterations: \
                 at most {most}",
                self.iterations
            )),
            _ => Ok(()),
        }
    }
}

/// An iteration in which a property failed, or the code panicked.
#[derive(Clone, Debug)]
pub struct ShuttleFailure {
    /// The violated property, if a property was violated.
    pub violation: Option<Violation>,
    /// What failed, in words.
    pub message: String,
    /// The protocol steps of the failing iteration, in order.
    pub trace: Trace,
    /// The failing iteration (1 for the first).
    pub iteration: usize,
    /// Shuttle's replay string of the failing schedule, if it wrote one.
    pub schedule: Option<String>,
    /// The file it wrote it to.
    pub schedule_file: Option<PathBuf>,
}

impl fmt::Display for ShuttleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.message)?;
        writeln!(f, "found in iteration {}; the protocol's steps, in order:", self.iteration)?;
        write!(f, "{}", self.trace)?;
        match (&self.schedule, &self.schedule_file) {
            (Some(s), Some(p)) => {
                write!(f, "shuttle's replay string (saved to {}):\n{}", p.display(), s.trim())
            }
            (Some(s), None) => write!(f, "shuttle's replay string:\n{}", s.trim()),
            (None, _) => write!(f, "(shuttle wrote no schedule)"),
        }
    }
}

std::thread_local! {
    // Bookkeeping across iterations: shuttle runs every iteration, and every
    // modelled thread, on the OS thread that called `check`.
    static ITERATIONS: Cell<usize> = const { Cell::new(0) };
    static ALL_DECIDED: Cell<usize> = const { Cell::new(0) };
    static WINNERS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    static MAX_STEPS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    static STEP_BOUND: Cell<Option<usize>> = const { Cell::new(None) };
    static FAILED: RefCell<Option<(Violation, Trace)>> = const { RefCell::new(None) };
}

/// The value thread `t` proposes.
fn proposal(t: usize) -> String {
    format!("value of t{t}")
}

/// One iteration: build, race, judge. Panics on a violation (shuttle then
/// records the schedule).
fn iteration<C: IdConsensus + Send + 'static>(
    build: &(dyn Fn() -> C + Sync),
    n: usize,
    undecided: Undecided,
) {
    ITERATIONS.with(|i| i.set(i.get() + 1));
    trace::start();
    let subject = Arc::new(Proposals::new(build()));
    let bound = subject.ids().progress().step_bound().map(|s| s + ANNOUNCE_STEPS);
    STEP_BOUND.with(|b| b.set(bound));
    let handles: Vec<_> = (1..n)
        .map(|t| {
            let subject = Arc::clone(&subject);
            crate::sync::thread::spawn(move || subject.decide(t, proposal(t)).cloned())
        })
        .collect();
    let mut results = vec![subject.decide(0, proposal(0)).cloned()];
    results.extend(handles.into_iter().map(|h| h.join().expect("a model thread panicked")));
    let proposals: Vec<String> = (0..n).map(proposal).collect();
    let trace = trace::snapshot();
    MAX_STEPS.with(|m| {
        for (t, most) in m.borrow_mut().iter_mut().enumerate() {
            *most = (*most).max(trace.memory_steps(t));
        }
    });
    let verdict = check_decisions(&proposals, &results, undecided)
        .and_then(|()| bound.map_or(Ok(()), |steps| check_step_bound(&trace, n, steps)))
        .and_then(|()| subject.ids().check_invariant(&trace).map_err(Violation::Invariant));
    if let Err(v) = verdict {
        let message = v.to_string();
        FAILED.with(|f| *f.borrow_mut() = Some((v, trace)));
        panic!("{message}");
    }
    if results.iter().all(|r| matches!(r, Ok(_) | Err(ConsensusError::Crashed { .. }))) {
        ALL_DECIDED.with(|a| a.set(a.get() + 1));
    }
    if let Some(v) = results.iter().find_map(|r| r.as_ref().ok()) {
        let t = proposals.iter().position(|p| p == v).expect("checked by validity");
        WINNERS.with(|w| w.borrow_mut()[t] += 1);
    }
}

fn reset(n: usize) {
    ITERATIONS.with(|i| i.set(0));
    ALL_DECIDED.with(|a| a.set(0));
    WINNERS.with(|w| *w.borrow_mut() = vec![0; n]);
    MAX_STEPS.with(|m| *m.borrow_mut() = vec![0; n]);
    STEP_BOUND.with(|b| b.set(None));
    FAILED.with(|f| *f.borrow_mut() = None);
}

fn shuttle_config(dir: Option<&PathBuf>) -> shuttle::Config {
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::File(dir.cloned());
    config.silence_warnings = true;
    config
}

/// Runs the id protocol that `build` makes (once per iteration) under `cfg`.
///
/// # Errors
/// The first failing iteration (boxed: it carries a trace and a schedule).
///
/// # Panics
/// On 0 threads.
pub fn check<C, F>(build: F, cfg: &ShuttleConfig) -> Result<ShuttleReport, Box<ShuttleFailure>>
where
    C: IdConsensus + Send + 'static,
    F: Fn() -> C + Send + Sync + 'static,
{
    let n = cfg.threads;
    assert!(n >= 1, "a model needs a thread");
    reset(n);
    let undecided = if cfg.rounds_bounded { Undecided::Allowed } else { Undecided::IsViolation };
    let _ = std::fs::create_dir_all(&cfg.schedule_dir);
    let before = schedules(&cfg.schedule_dir);
    let config = shuttle_config(Some(&cfg.schedule_dir));
    let body = move || iteration(&build, n, undecided);
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| match cfg.scheduler {
        ShuttleScheduler::Pct { depth } => shuttle::Runner::new(
            shuttle::scheduler::PctScheduler::new_from_seed(cfg.seed, depth, cfg.iterations),
            config,
        )
        .run(body),
        ShuttleScheduler::Random => shuttle::Runner::new(
            shuttle::scheduler::RandomScheduler::new_from_seed(cfg.seed, cfg.iterations),
            config,
        )
        .run(body),
    }));
    let elapsed = start.elapsed();
    match outcome {
        Ok(_) => Ok(report(elapsed)),
        Err(payload) => {
            let file = schedules(&cfg.schedule_dir).into_iter().find(|p| !before.contains(p));
            let schedule = file.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
            Err(Box::new(failure(payload.as_ref(), schedule, file)))
        }
    }
}

/// Replays one schedule (shuttle's replay string, as [`ShuttleFailure::schedule`]
/// holds it) of the id protocol that `build` makes.
///
/// # Errors
/// The failure the schedule leads to.
pub fn replay<C, F>(
    build: F,
    threads: usize,
    rounds_bounded: bool,
    schedule: &str,
) -> Result<ShuttleReport, Box<ShuttleFailure>>
where
    C: IdConsensus + Send + 'static,
    F: Fn() -> C + Send + Sync + 'static,
{
    reset(threads);
    let undecided = if rounds_bounded { Undecided::Allowed } else { Undecided::IsViolation };
    let start = Instant::now();
    let schedule = schedule.trim().to_string();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let scheduler = shuttle::scheduler::ReplayScheduler::new_from_encoded(&schedule);
        let mut config = shuttle_config(None);
        config.failure_persistence = shuttle::FailurePersistence::None;
        shuttle::Runner::new(scheduler, config).run(move || iteration(&build, threads, undecided))
    }));
    match outcome {
        Ok(_) => Ok(report(start.elapsed())),
        Err(payload) => Err(Box::new(failure(payload.as_ref(), Some(schedule), None))),
    }
}

fn report(elapsed: Duration) -> ShuttleReport {
    ShuttleReport {
        iterations: ITERATIONS.with(Cell::get),
        elapsed,
        winners: WINNERS.with(|w| w.borrow().clone()),
        all_decided: ALL_DECIDED.with(Cell::get),
        max_steps: MAX_STEPS.with(|m| m.borrow().clone()),
        step_bound: STEP_BOUND.with(Cell::get),
    }
}

fn failure(
    payload: &(dyn std::any::Any + Send),
    schedule: Option<String>,
    schedule_file: Option<PathBuf>,
) -> ShuttleFailure {
    let iteration = ITERATIONS.with(Cell::get);
    match FAILED.with(|f| f.borrow_mut().take()) {
        Some((v, trace)) => ShuttleFailure {
            message: v.to_string(),
            violation: Some(v),
            trace,
            iteration,
            schedule,
            schedule_file,
        },
        None => ShuttleFailure {
            violation: None,
            message: panic::text(payload)
                .map_or_else(|| "the model panicked".to_string(), |m| format!("panicked: {m}")),
            trace: trace::snapshot(),
            iteration,
            schedule,
            schedule_file,
        },
    }
}

/// The schedule files in `dir`.
fn schedules(dir: &PathBuf) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}
