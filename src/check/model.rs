//! The loom harness: one call model-checks an id protocol for agreement,
//! validity, data-race freedom of the announce slots and its step bound, or
//! asserts that loom finds a broken protocol's counterexample.
//!
//! Each execution builds a fresh instance behind [`Proposals`] with `String`
//! values (so a missing happens-before on an announce slot is a data race loom
//! reports, not a silently copied integer), runs thread 0 on loom's main thread
//! and threads `1..n` as spawned loom threads (spawned before any protocol
//! step, never joined: the last thread to return judges the execution), and
//! checks:
//!
//! * agreement, validity and no error ([`check_decisions`]);
//! * for wait-free protocols, the step bound of every thread on the recorded
//!   [`Trace`]: at most `steps + ANNOUNCE_STEPS`;
//! * data-race freedom: loom's `UnsafeCell` checks every access to a slot.
//!
//! The instance is shared through a `std::sync::Arc`, which loom cannot see: a
//! loom `Arc` cloned into every thread adds synchronisation loom must explore
//! (on a prototype of this harness, a 4-thread CAS model went from 57 thousand
//! executions to 5.9 million with a loom `Arc` per thread). For the same reason
//! no thread is joined: a loom join conflicts with the joined thread's exit, and
//! loom then explores both orders of every join and exit, and everything after
//! them, twice (`assignment-3/3`: 4,197,913 executions with joins, see
//! `Execution::finish`). Each thread hands its result to the execution's
//! bookkeeping instead, which loom does not see.
//!
//! This file, the trace log, the loom stage of `verify` (its one-execution
//! probe) and the loom suite are the only places outside `sync.rs` that name
//! loom: they drive the model checker rather than being model-checked.
//!
//! A failing execution panics with the violated property; [`check`] catches the
//! panic (loom stops at the first failure) and returns a [`Counterexample`]: its
//! [`Cause`] (the [`Violation`] itself, or what stopped loom), the message and
//! the protocol trace of that execution, readable without loom. Callers decide
//! from the cause, never from the message's text.
//!
//! `LOOM_CHECKPOINT_FILE` names one file for one model: with it set, a process
//! runs at most one model (a second one panics with the reason instead of
//! resuming from the first one's position), and a model that starts from an
//! existing file reports itself as resumed, not exhaustive ([`ModelReport::resumed`]).

use crate::check::panic;
use crate::check::properties::{check_decisions, check_step_bound, Undecided, Violation};
use crate::consensus::announce::ANNOUNCE_STEPS;
use crate::consensus::{Consensus, ConsensusError, IdConsensus, Proposals};
use crate::trace::{self, Trace};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
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
    /// bounded), a thread crashed by its fault plan counting as decided.
    pub all_decided: usize,
    /// `max_steps[t]`: the most shared-memory steps thread `t` took in one
    /// execution (announce included), over all executions: a wait-free
    /// protocol's claimed bound is tight when some thread reaches it.
    pub max_steps: Vec<usize>,
    /// The step bound every execution was checked against (announce
    /// included), for a wait-free subject.
    pub step_bound: Option<usize>,
    /// Executions in which a thread was told a winner whose announce it could
    /// not see and got [`ConsensusError::InvalidWinner`] (counted by
    /// [`check_invisible_winner`] only; 0 for every other model).
    pub invisible_winner: usize,
    /// Whether the exploration resumed from an existing `LOOM_CHECKPOINT_FILE`:
    /// then it is not a full exploration from the start, and the counts above
    /// cover only the executions since the resume.
    pub resumed: bool,
}

impl ModelReport {
    /// How much was explored: "exhaustive", "≤ k preemptions", or, for a run
    /// resumed from a checkpoint, that it was not a full exploration.
    pub fn scope(&self) -> String {
        let bound = self.preemption_bound.map(|b| format!("≤ {b} preemptions"));
        match (bound, self.resumed) {
            (None, false) => "exhaustive".into(),
            (Some(b), false) => b,
            (None, true) => RESUMED.into(),
            (Some(b), true) => format!("{b}, {RESUMED}"),
        }
    }
}

impl ModelReport {
    /// Whether the model really raced: it explored at least
    /// [`MIN_EXECUTIONS`] executions for 2 threads or more, every thread of
    /// `must_win` won in some execution, and some execution had every thread
    /// decide. A resumed run passes (its counts cover only the executions since
    /// the resume).
    ///
    /// # Errors
    /// What did not happen, in words.
    pub fn raced(&self, must_win: &[usize]) -> Result<(), String> {
        if self.resumed {
            return Ok(());
        }
        let threads = self.winners.len();
        if threads >= 2 && self.executions < MIN_EXECUTIONS {
            return Err(format!(
                "{} execution{} of {threads} threads: no two threads ever touched one object \
                 (loom orders two operations both ways whenever they do), so nothing \
                 concurrent was tested; a model of 2 threads or more must explore at least \
                 {MIN_EXECUTIONS} executions (a harness bug, or a model whose threads run on \
                 disjoint memory)",
                self.executions,
                if self.executions == 1 { "" } else { "s" }
            ));
        }
        if let Some(&t) = must_win.iter().find(|&&t| self.winners.get(t).is_none_or(|&w| w == 0)) {
            return Err(format!(
                "t{t}'s proposal was never decided in {} executions: the protocol never lets \
                 it win, or the threads never really race",
                self.executions
            ));
        }
        if self.all_decided == 0 {
            return Err(format!("no execution of {} had every thread decide", self.executions));
        }
        Ok(())
    }
}

/// The fewest executions a model of 2 threads or more must explore: the
/// minimal rule of [`ModelReport::raced`]. Loom reduces by partial order: it
/// explores another order of two operations only when they touch one location,
/// so a model of several threads with a single execution is one in which no
/// two threads ever touched the same object, and it tested no concurrency at
/// all (a harness that never spawned its threads, or whose threads run on
/// disjoint memory: a Paxos proposer that crashes after its first fast-path
/// accept, on an acceptor the other proposer does not reach first, was such a
/// model). Stronger rules follow from the others: every thread winning some
/// execution needs at least as many executions as threads.
pub const MIN_EXECUTIONS: usize = 2;

impl ModelReport {
    /// Whether a wait-free protocol's claimed step bound
    /// ([`step_bound`](Self::step_bound), announce included) is tight: some
    /// thread took exactly that many shared-memory steps in some execution.
    /// (The harness fails any execution above it.) A subject without a bound
    /// and a resumed run pass (the latter's maximum covers only the executions
    /// since the resume).
    ///
    /// # Errors
    /// The bound was never reached: the claim is loose.
    pub fn tight(&self) -> Result<(), String> {
        let most = self.max_steps.iter().copied().max().unwrap_or(0);
        let Some(bound) = self.step_bound else { return Ok(()) };
        if self.resumed || most == bound {
            return Ok(());
        }
        Err(format!(
            "the claimed bound of {bound} steps (announce included) is loose: no thread took \
             more than {most} in {} executions (most per thread {:?})",
            self.executions, self.max_steps
        ))
    }
}

/// The label of a report of a run resumed from a checkpoint.
const RESUMED: &str = "resumed (not a full exploration from the start)";

impl fmt::Display for ModelReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} executions in {:.2} s{}; every thread decided in {}; wins per thread {:?}; \
             most steps per thread {:?}",
            self.executions,
            self.elapsed.as_secs_f64(),
            // "(exhaustive)", but ", resumed (not a full exploration ...)".
            if self.resumed {
                format!(", {}", self.scope())
            } else {
                format!(" ({})", self.scope())
            },
            self.all_decided,
            self.winners,
            self.max_steps
        )
    }
}

/// An execution in which a property failed, or loom stopped the model.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// What stopped the model: decide from this, not from [`message`](Self::message).
    pub cause: Cause,
    /// The cause as printed (for a violation kept while looking for a
    /// sequentially consistent one, with a note that it needs a stale read).
    pub message: String,
    /// The protocol steps of the failing execution, in order.
    pub trace: Trace,
    /// Executions explored up to and including the failing one.
    pub executions: usize,
}

/// Why a model stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A property was violated (the harness's own check failed).
    Violation(Violation),
    /// Loom stopped the model for a reason of its own: a data race on an
    /// `UnsafeCell` (a causality violation), a deadlock, too many branches. With
    /// loom's message.
    Loom(String),
    /// The code under test panicked (a `todo!()` among others, see
    /// [`panic::is_todo`]): with the panic's message, "the model panicked" if it
    /// had none.
    Panicked(String),
}

impl Counterexample {
    /// The violated property, if a property was violated (rather than loom
    /// stopping the model or the code panicking).
    pub fn violation(&self) -> Option<&Violation> {
        match &self.cause {
            Cause::Violation(v) => Some(v),
            Cause::Loom(_) | Cause::Panicked(_) => None,
        }
    }
}

/// How loom's own reports start: the one place where a panic is recognised by
/// its text, because loom reports these as plain panics with a message.
const LOOM_REPORTS: [&str; 3] = ["Causality violation", "deadlock", "Model exceeded"];

/// A panic that stopped the model and is not the harness's own: loom's report
/// or the code's panic.
pub(crate) fn cause_of_panic(payload: &(dyn std::any::Any + Send)) -> Cause {
    match panic::text(payload) {
        Some(m) if LOOM_REPORTS.iter().any(|r| m.starts_with(r)) => Cause::Loom(m.to_string()),
        Some(m) => Cause::Panicked(m.to_string()),
        None => Cause::Panicked("the model panicked".into()),
    }
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
    static MAX_STEPS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    static STEP_BOUND: Cell<Option<usize>> = const { Cell::new(None) };
    static INVISIBLE_WINNER: Cell<usize> = const { Cell::new(0) };
    // A counterexample kept while looking for a sequentially consistent one.
    static PENDING: RefCell<Option<(Violation, Trace, usize)>> = const { RefCell::new(None) };
}

/// Set by the first model explored with `LOOM_CHECKPOINT_FILE` set: one file
/// holds the position of one exploration, so a second model in the same process
/// would resume from the first one's position (or two on parallel test threads
/// would overwrite each other's).
static CHECKPOINT_TAKEN: OnceLock<()> = OnceLock::new();

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
    /// Judges one execution's results: agreement, validity and no error,
    /// unless the subject says otherwise.
    fn judge(
        &self,
        proposals: &[Self::Value],
        results: &[Result<Self::Value, ConsensusError>],
        undecided: Undecided,
    ) -> Result<(), Violation> {
        check_decisions(proposals, results, undecided)
    }
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

/// Two callers with the same id on announce slots: model thread 0 and model
/// thread 1 both propose as id 0, model thread 2 as id 1 (see
/// [`check_same_id`]).
struct SameId<C>(Proposals<String, C>);

impl<C> SameId<C> {
    /// The id model thread `t` proposes as.
    fn id(t: usize) -> usize {
        t.saturating_sub(1)
    }
}

impl<C: IdConsensus + Send + 'static> Subject for SameId<C> {
    type Value = String;
    fn proposal(&self, t: usize) -> String {
        format!("value of caller {t} (id {})", Self::id(t))
    }
    fn decide(&self, t: usize) -> Result<String, ConsensusError> {
        self.0.decide(Self::id(t), self.proposal(t)).cloned()
    }
    fn step_bound(&self) -> Option<usize> {
        // The trace counts steps per id, and two callers share id 0.
        None
    }
    fn check_invariant(&self, trace: &Trace) -> Result<(), String> {
        self.0.ids().check_invariant(trace)
    }
    fn judge(
        &self,
        proposals: &[String],
        results: &[Result<String, ConsensusError>],
        _undecided: Undecided,
    ) -> Result<(), Violation> {
        let refused =
            |t: usize| results[t] == Err(ConsensusError::AlreadyProposed { id: Self::id(t) });
        // Exactly one of the two id-0 callers wins the claim; the other is
        // refused; everyone else is judged as usual.
        let loser = match (refused(0), refused(1)) {
            (true, false) => 0,
            (false, true) => 1,
            (both, _) => {
                return Err(Violation::Invariant(format!(
                    "two callers with id 0: {} refused (exactly one must be), results {results:?}",
                    if both { "both were" } else { "neither was" }
                )))
            }
        };
        let keep = |t: &usize| *t != loser;
        let live: Vec<String> =
            (0..results.len()).filter(keep).map(|t| proposals[t].clone()).collect();
        let got: Vec<_> = (0..results.len()).filter(keep).map(|t| results[t].clone()).collect();
        check_decisions(&live, &got, Undecided::IsViolation)
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
    explore(move || Ids(Proposals::new(build())), cfg, StopAt::First, undecided(cfg))
}

/// Model-checks the claim of the announce slots ([`Proposals`]) with two
/// callers of the same id, over the id protocol that `build` makes for 2 ids:
/// model threads 0 and 1 both propose as id 0 (different values), thread 2 as
/// id 1. In every execution exactly one of the two id-0 callers must get
/// [`ConsensusError::AlreadyProposed`], the other two must agree on a value one
/// of them proposed, and no slot may be accessed racily (loom's `UnsafeCell`).
/// `winners[t]` counts the executions that decided caller `t`'s value; the
/// report's `all_decided` stays 0 (one caller is always refused). The step
/// bound is not checked (the trace counts steps per id, and two callers share
/// one).
///
/// # Errors
/// The first counterexample loom finds.
pub fn check_same_id<C, F>(build: F, cfg: ModelConfig) -> Result<ModelReport, Counterexample>
where
    C: IdConsensus + Send + 'static,
    F: Fn() -> C + Send + Sync + 'static,
{
    assert_eq!(cfg.threads, 3, "the same-id model has 3 callers: two of id 0, one of id 1");
    explore(move || SameId(Proposals::new(build())), cfg, StopAt::First, Undecided::IsViolation)
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
    let stop = StopAt::FirstSequentiallyConsistent;
    explore(move || Ids(Proposals::new(build())), cfg, stop, undecided(cfg))
}

/// Model-checks the announce slots under an id protocol that breaks its
/// happens-before contract (it names a winner whose announce may not be visible
/// to the loser): every execution must satisfy agreement and validity among the
/// threads that decided, a thread that cannot see the winner's announce must get
/// [`ConsensusError::InvalidWinner`] (and is skipped), any other error is a
/// violation, and a read of a slot while it is being written is loom's data
/// race. The report counts the executions that took the invisible-announce path
/// ([`ModelReport::invisible_winner`]); the caller decides whether enough did.
/// The step bound and the protocol's invariant are checked as in [`check`].
///
/// # Errors
/// The first counterexample loom finds.
///
/// # Panics
/// On a rounds-bounded `cfg`: giving up is not among the outcomes this model allows.
pub fn check_invisible_winner<C, F>(
    build: F,
    cfg: ModelConfig,
) -> Result<ModelReport, Counterexample>
where
    C: IdConsensus + Send + 'static,
    F: Fn() -> C + Send + Sync + 'static,
{
    assert!(!cfg.rounds_bounded, "check_invisible_winner allows InvalidWinner, not giving up");
    let build = move || Ids(Proposals::new(build()));
    explore(build, cfg, StopAt::First, Undecided::InvisibleWinner)
}

/// Which undecided threads `cfg` allows: with bounded rounds a thread may give
/// up, and those that decided are judged.
fn undecided(cfg: ModelConfig) -> Undecided {
    if cfg.rounds_bounded {
        Undecided::Allowed
    } else {
        Undecided::IsViolation
    }
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
        undecided(cfg),
    )
}

fn explore<S, F>(
    build: F,
    cfg: ModelConfig,
    stop: StopAt,
    undecided: Undecided,
) -> Result<ModelReport, Counterexample>
where
    S: Subject,
    F: Fn() -> S + Send + Sync + 'static,
{
    let n = cfg.threads;
    assert!((1..=5).contains(&n), "loom models 1 to 5 threads, {n} requested");
    EXECUTIONS.with(|e| e.set(0));
    ALL_DECIDED.with(|e| e.set(0));
    INVISIBLE_WINNER.with(|e| e.set(0));
    WINNERS.with(|w| *w.borrow_mut() = vec![0; n]);
    MAX_STEPS.with(|m| *m.borrow_mut() = vec![0; n]);
    STEP_BOUND.with(|b| b.set(None));
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
    // LOOM_CHECKPOINT_FILE: one file, one model per process (see the module doc).
    let resumed = match &builder.checkpoint_file {
        None => false,
        Some(path) => {
            assert!(
                CHECKPOINT_TAKEN.set(()).is_ok(),
                "LOOM_CHECKPOINT_FILE={} is set and another model already ran in this process: \
                 one checkpoint file holds the position of one exploration, so run one model \
                 per process with it (select exactly one model)",
                path.display()
            );
            path.exists()
        }
    };
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
            // Every thread is spawned before any protocol step, so no step of
            // one thread precedes another thread's existence. No thread is
            // joined: the last one to return judges the execution (see
            // `Execution::finish`).
            let run = Arc::new(Execution {
                subject: build(),
                results: Mutex::new((0..n).map(|_| None).collect()),
                judging: Judging { threads: n, stop, undecided },
            });
            let bound = run.subject.step_bound();
            STEP_BOUND.with(|b| b.set(bound));
            for t in 1..n {
                let run = Arc::clone(&run);
                loom::thread::spawn(move || run.finish(t, run.subject.decide(t)));
            }
            run.finish(0, run.subject.decide(0));
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
    if let (false, Some((violation, trace, executions))) = (is_violation, pending) {
        let message = format!(
            "{violation}\n(no sequentially consistent counterexample was found within this \
             model and bound: this one needs a stale read)"
        );
        return Err(Counterexample {
            cause: Cause::Violation(violation),
            message,
            trace,
            executions,
        });
    }
    match outcome {
        Ok(()) => Ok(ModelReport {
            executions,
            elapsed: start.elapsed(),
            winners: WINNERS.with(|w| w.borrow().clone()),
            preemption_bound: effective_bound,
            all_decided: ALL_DECIDED.with(Cell::get),
            max_steps: MAX_STEPS.with(|m| m.borrow().clone()),
            step_bound: STEP_BOUND.with(Cell::get),
            invisible_winner: INVISIBLE_WINNER.with(Cell::get),
            resumed,
        }),
        Err(payload) => {
            let (cause, message) = match payload.downcast_ref::<ViolationPanic>() {
                Some(ViolationPanic(v)) => (Cause::Violation(v.clone()), v.to_string()),
                None => {
                    let message = panic::text(payload.as_ref())
                        .map_or_else(|| "the model panicked".to_string(), |m| format!("loom: {m}"));
                    (cause_of_panic(payload.as_ref()), message)
                }
            };
            Err(Counterexample { cause, message, trace: trace::snapshot(), executions })
        }
    }
}

/// One execution's shared state: the subject, each thread's result as it
/// returns, and how to judge them.
///
/// Bookkeeping loom cannot see: `results` is a `std::sync::Mutex` (loom runs
/// every modelled thread on the one OS thread that called [`check`] and
/// switches only at its own operations, so the lock is never contended and
/// adds no scheduling point), like the trace log and the counters.
struct Execution<S: Subject> {
    subject: S,
    results: Mutex<Returned<S::Value>>,
    judging: Judging,
}

/// What each thread of an execution returned, `None` while it runs.
type Returned<V> = Vec<Option<Result<V, ConsensusError>>>;

/// How [`Execution::finish`] judges an execution.
#[derive(Clone, Copy)]
struct Judging {
    threads: usize,
    stop: StopAt,
    undecided: Undecided,
}

impl<S: Subject> Execution<S> {
    /// Thread `t` returned `result`; the last thread to return judges the
    /// execution.
    ///
    /// Why no thread is joined: a join is an operation on loom's join object
    /// that conflicts with the joined thread's exit, so loom explores both
    /// orders of every exit and join (the joiner blocked first, or the thread
    /// done first) and re-explores everything the other threads do after that
    /// point under each: `assignment-3/3` went from 4,197,913 executions to
    /// 924,205 without joins, `cas/4` from 7,605 to 493. The judge reads only
    /// what the threads returned and the trace, plain values outside loom, so it
    /// needs no happens-before edge from them; what the threads did to shared
    /// memory (data races on announce slots included) loom checked as they did it.
    fn finish(&self, t: usize, result: Result<S::Value, ConsensusError>) {
        let results = {
            let mut all = self.results.lock().unwrap_or_else(PoisonError::into_inner);
            all[t] = Some(result);
            if all.iter().any(Option::is_none) {
                return;
            }
            all.iter_mut().map(|r| r.take().expect("every thread returned")).collect()
        };
        self.judge(results);
    }

    /// Agreement, validity, the step bound and the invariant, over the results
    /// of every thread and the trace; counts the winners.
    fn judge(&self, results: Vec<Result<S::Value, ConsensusError>>) {
        let Judging { threads: n, stop, undecided } = self.judging;
        let subject = &self.subject;
        let bound = subject.step_bound();
        let proposals: Vec<S::Value> = (0..n).map(|t| subject.proposal(t)).collect();
        let all_decided =
            results.iter().all(|r| matches!(r, Ok(_) | Err(ConsensusError::Crashed { .. })));
        if all_decided {
            ALL_DECIDED.with(|e| e.set(e.get() + 1));
        }
        let trace = trace::snapshot();
        MAX_STEPS.with(|m| {
            for (t, most) in m.borrow_mut().iter_mut().enumerate() {
                *most = (*most).max(trace.memory_steps(t));
            }
        });
        let verdict = subject
            .judge(&proposals, &results, undecided)
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
                p.borrow_mut().get_or_insert_with(|| (v, trace, executions));
            });
            return;
        }
        if results.iter().any(|r| matches!(r, Err(ConsensusError::InvalidWinner { .. }))) {
            INVISIBLE_WINNER.with(|e| e.set(e.get() + 1));
        }
        if let Some(v) = results.iter().find_map(|r| r.as_ref().ok()) {
            let t = proposals.iter().position(|p| p == v).expect("checked by validity");
            WINNERS.with(|w| w.borrow_mut()[t] += 1);
        }
    }
}

/// The panic payload of a violated property, so the harness can tell it from
/// loom's own panics (a data race, a deadlock, a branch limit).
struct ViolationPanic(Violation);

fn fail(v: &Violation) -> ! {
    std::panic::panic_any(ViolationPanic(v.clone()))
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
    let stop = StopAt::FirstSequentiallyConsistent;
    match explore(move || Ids(Proposals::new(build())), cfg, stop, undecided(cfg)) {
        Ok(report) => Err(format!("the model held in all {} executions", report.executions)),
        Err(cx) if cx.violation().is_none() => {
            Err(format!("loom stopped the model before any violation: {cx}"))
        }
        Err(cx) => Ok(cx),
    }
}
