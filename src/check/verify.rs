//! The checking harness: one call gives any consensus implementation the lab's
//! full treatment, so course staff can write new exercises and students can
//! check anything they write.
//!
//! ```
//! use consensus_lab::check::verify::{verify_ids, Plan};
//! use consensus_lab::consensus::cas::CasConsensus;
//!
//! // "CAS consensus is correct for 2, 3 and 4 threads."
//! let verdict = verify_ids("cas", |n| Ok(CasConsensus::new(n)), &Plan::new(&[2, 3, 4]).instances(1_000));
//! assert!(verdict.passed(), "{verdict}");
//! ```
//!
//! The same call does what the build it is compiled in can do:
//!
//! * built with `--cfg loom` ([`Stage::Loom`]): one loom model per thread count
//!   the plan claims (exhaustive, or within the plan's preemption bound),
//!   asserting agreement, validity, no error, the wait-free step bound, the
//!   protocol's own invariant and — through loom's `UnsafeCell` — that no
//!   announce slot is read while it is being written;
//! * any other build ([`Stage::Stress`]): the real-core stress run at each thread
//!   count (all threads racing on each of many fresh instances, every decision
//!   verified).
//!
//! So a test file calling it once covers both, under `cargo test` and under the
//! loom build (`cargo xtask test`, or `conlab exercise check`). A plan can also
//! claim the opposite, [`Expect::Counterexample`]: the check then passes only if
//! loom *finds* a violation (a negative exercise: "show that the natural
//! 3-thread test&set protocol fails").
//!
//! The [`Verdict`] prints for a student: passed, with loom's figures; or the
//! violated property with the protocol trace of the failing execution; or "not
//! implemented yet" when the code under test still reaches a `todo!()`. A panic
//! in the code under test is a verdict, never a crash of the harness.

use crate::consensus::{Consensus, ConsensusError, IdConsensus};
use crate::trace::Trace;
use std::fmt;

/// What an implementation claims, and how hard to check it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The thread counts it claims to serve (loom models at most 5 threads: its
    /// main thread and 4 spawned ones).
    pub threads: Vec<usize>,
    /// `None`: exhaustive loom models; `Some(k)`: at most `k` preemptions per
    /// execution (say why next to the plan).
    pub preemption_bound: Option<usize>,
    /// The implementation is built with bounded retries (obstruction-free
    /// protocols in loom): a thread may give up, agreement and validity are
    /// judged among those that decided, and some execution must have all decide.
    /// For the loom stage only: a stress run of such a plan is refused (on real
    /// cores, stress-run the build that retries until it decides).
    pub rounds_bounded: bool,
    /// Whether it should hold or loom should find a counterexample.
    pub expect: Expect,
    /// Fresh instances per thread count in the stress run.
    pub instances: usize,
}

/// What the check must show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Every explored execution satisfies every property.
    Holds,
    /// Loom finds an execution that violates a property (a violated property,
    /// not a panic or an unimplemented body).
    Counterexample,
}

impl Plan {
    /// Exhaustive, expected to hold, 20 000 stress instances per thread count.
    pub fn new(threads: &[usize]) -> Self {
        Plan {
            threads: threads.to_vec(),
            preemption_bound: None,
            rounds_bounded: false,
            expect: Expect::Holds,
            instances: 20_000,
        }
    }

    /// Bounds loom to `k` preemptions per execution.
    pub fn bounded(self, k: usize) -> Self {
        Plan { preemption_bound: Some(k), ..self }
    }

    /// Threads may give up (the implementation's retries are bounded).
    pub fn rounds_bounded(self) -> Self {
        Plan { rounds_bounded: true, ..self }
    }

    /// Loom must find a counterexample: an execution in which two threads
    /// decide differently (other violations — an invalid value, an error, a
    /// step bound — do not count: they are mistakes, not the limit of the
    /// object).
    pub fn expect_counterexample(self) -> Self {
        Plan { expect: Expect::Counterexample, ..self }
    }

    /// `k` stress instances per thread count.
    pub fn instances(self, k: usize) -> Self {
        Plan { instances: k, ..self }
    }
}

/// Which checks this build runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Loom models (a `--cfg loom` build).
    Loom,
    /// Real-core stress runs (every other build).
    Stress,
}

impl Stage {
    /// The stage of this build.
    pub const fn current() -> Self {
        if cfg!(loom) {
            Stage::Loom
        } else {
            Stage::Stress
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Loom => "loom",
            Stage::Stress => "stress on real cores",
        })
    }
}

/// Why a check failed.
#[derive(Clone, Debug)]
pub enum Failure {
    /// A property was violated; in loom, with the failing execution's trace.
    Violation {
        /// The property and what shows it.
        message: String,
        /// The protocol's steps in the failing execution (loom only).
        trace: Option<Trace>,
    },
    /// The code under test still reaches a `todo!()` / `unimplemented!()`.
    Unimplemented(String),
    /// The code under test panicked; under loom, with the trace up to the panic.
    /// (Loom's own stops — a data race on an `UnsafeCell`, a deadlock, too
    /// many branches — are reported as [`Failure::Violation`].)
    Panicked {
        /// The panic's message.
        message: String,
        /// The protocol's steps up to the panic (loom only).
        trace: Option<Trace>,
    },
    /// A counterexample was expected and none was found.
    NoCounterexample(String),
    /// The implementation could not be built for this thread count.
    Build(ConsensusError),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Violation { message, trace } => {
                write!(f, "{message}")?;
                write_trace(f, "in the failing execution", trace.as_ref())
            }
            Failure::Unimplemented(m) => {
                write!(f, "not implemented yet ({m}): fill in the TODO and check again")
            }
            Failure::Panicked { message, trace } => {
                write!(f, "the code under test panicked: {message}")?;
                write_trace(f, "up to the panic", trace.as_ref())
            }
            Failure::NoCounterexample(m) => {
                write!(f, "expected loom to find a counterexample, but {m}")
            }
            Failure::Build(e) => write!(f, "could not build an instance: {e}"),
        }
    }
}

/// The protocol's steps, `when` ("in the failing execution"), if recorded.
fn write_trace(f: &mut fmt::Formatter<'_>, when: &str, trace: Option<&Trace>) -> fmt::Result {
    match trace.filter(|t| !t.is_empty()) {
        Some(t) => write!(f, "\nthe protocol's steps {when}, in order:\n{t}"),
        None => Ok(()),
    }
}

impl Failure {
    /// A panic payload of the code under test as a failure: `todo!()` and
    /// `unimplemented!()` are [`Failure::Unimplemented`], any other panic
    /// [`Failure::Panicked`]. For checks of one's own that run code under test
    /// inside `catch_unwind`.
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Failure {
        panic_failure(&panic_message(payload))
    }
}

/// The result at one thread count.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Threads taking part.
    pub threads: usize,
    /// What was seen (loom's figures, the stress run's summary), or the failure.
    pub result: Result<String, Failure>,
}

/// The harness's answer: one [`Outcome`] per thread count, in order; checking
/// stops at the first failure.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The name given to the check.
    pub name: String,
    /// What this build checked.
    pub stage: Stage,
    /// Per thread count.
    pub outcomes: Vec<Outcome>,
}

impl Verdict {
    /// Whether every thread count passed.
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(|o| o.result.is_ok())
    }

    /// The first failure, if any.
    pub fn failure(&self) -> Option<(usize, &Failure)> {
        self.outcomes.iter().find_map(|o| o.result.as_ref().err().map(|f| (o.threads, f)))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.failure() {
            None => writeln!(f, "{} ({}): passed", self.name, self.stage)?,
            Some((n, _)) => writeln!(f, "{} ({}): FAILED at {n} threads", self.name, self.stage)?,
        }
        for o in &self.outcomes {
            match &o.result {
                Ok(s) => writeln!(f, "  {} threads: {s}", o.threads)?,
                Err(e) => {
                    let text = e.to_string();
                    let mut lines = text.lines();
                    writeln!(f, "  {} threads: {}", o.threads, lines.next().unwrap_or_default())?;
                    for l in lines {
                        writeln!(f, "    {l}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Checks an id protocol: `build(n)` makes a fresh instance for `n` threads.
/// In loom each execution builds its own instance behind announce slots with
/// `String` proposals; in the stress run, behind announce slots with distinct
/// numbers.
pub fn verify_ids<C, F>(name: &str, build: F, plan: &Plan) -> Verdict
where
    C: IdConsensus + Send + 'static,
    F: Fn(usize) -> Result<C, ConsensusError> + Clone + Send + Sync + 'static,
{
    run(name, plan, |n| {
        let probe = build.clone();
        guarded(move || stage::probe(move || probe(n).map(drop)))?;
        stage::ids(build.clone(), n, plan)
    })
}

/// Checks a [`Consensus<T>`] implementation directly (binary consensus, say):
/// `build(n)` makes a fresh instance for `n` threads, thread `t` proposes
/// `proposals(t)`. `step_bound` is the wait-free bound on each thread's
/// recorded shared-memory steps, if it has one.
pub fn verify_values<T, C, F, P>(
    name: &str,
    build: F,
    proposals: P,
    step_bound: Option<usize>,
    plan: &Plan,
) -> Verdict
where
    T: Clone + PartialEq + fmt::Debug + Send + Sync + 'static,
    C: Consensus<T> + Send + 'static,
    F: Fn(usize) -> Result<C, ConsensusError> + Clone + Send + Sync + 'static,
    P: Fn(usize) -> T + Clone + Send + Sync + 'static,
{
    run(name, plan, |n| {
        let probe = build.clone();
        guarded(move || stage::probe(move || probe(n).map(drop)))?;
        stage::values(build.clone(), proposals.clone(), step_bound, n, plan)
    })
}

fn run(name: &str, plan: &Plan, mut at: impl FnMut(usize) -> Result<String, Failure>) -> Verdict {
    let verdict = |outcomes| Verdict { name: name.to_string(), stage: Stage::current(), outcomes };
    let bad = |threads: usize, why: String| {
        verdict(vec![Outcome {
            threads,
            result: Err(Failure::Build(ConsensusError::InvalidConfig(why))),
        }])
    };
    if plan.threads.is_empty() {
        return bad(0, "the plan names no thread count: nothing would be checked".into());
    }
    if let Some(&n) = plan.threads.iter().find(|&&n| n == 0 || (cfg!(loom) && n > 5)) {
        return bad(n, format!("{n} threads: loom models 1 to 5 (its main thread and 4 spawned)"));
    }
    if plan.rounds_bounded && Stage::current() == Stage::Stress {
        return bad(
            plan.threads[0],
            "a rounds-bounded plan is for loom models; on real cores a thread that gives up \
             would count as a failure: stress-run the unbounded build"
                .into(),
        );
    }
    let mut outcomes = Vec::new();
    for &n in &plan.threads {
        let result = at(n);
        let failed = result.is_err();
        outcomes.push(Outcome { threads: n, result });
        if failed {
            break;
        }
    }
    verdict(outcomes)
}

/// Runs `f`, turning a panic (a `todo!()` in a constructor, say) into a failure
/// and a build error into [`Failure::Build`].
fn guarded(f: impl FnOnce() -> Result<(), ConsensusError>) -> Result<(), Failure> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Failure::Build(e)),
        Err(payload) => Err(Failure::from_panic(payload.as_ref())),
    }
}

/// A panic payload as text.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".into())
}

/// A panic message as a failure: `todo!()` and `unimplemented!()` are
/// "not implemented yet".
fn panic_failure(message: &str) -> Failure {
    let m = message.trim_start_matches("loom: ");
    if m.starts_with("not yet implemented") || m.starts_with("not implemented") {
        Failure::Unimplemented(m.to_string())
    } else {
        Failure::Panicked { message: m.to_string(), trace: None }
    }
}

#[cfg(loom)]
mod stage {
    //! Loom models.
    use super::{panic_failure, Expect, Failure, Plan};
    use crate::check::model::{self, Counterexample, ModelConfig, ModelReport};
    use crate::check::properties::AGREEMENT_VIOLATED;
    use crate::consensus::{Consensus, ConsensusError, IdConsensus};
    use std::fmt;

    /// Runs `f` (which builds an instance) once inside a loom model: loom's
    /// primitives exist only there.
    pub(super) fn probe(
        f: impl Fn() -> Result<(), ConsensusError> + Send + Sync + 'static,
    ) -> Result<(), ConsensusError> {
        let out = std::sync::Arc::new(std::sync::Mutex::new(Ok(())));
        let seen = std::sync::Arc::clone(&out);
        loom::model::Builder::new().check(move || {
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
            (Expect::Holds, Ok(r)) => {
                if let Some(&t) = must_win.iter().find(|&&t| r.winners.get(t) == Some(&0)) {
                    return Err(Failure::Violation {
                        message: format!(
                            "t{t}'s proposal was never decided in {} executions: the protocol never \
                             lets it win, or the threads never really race",
                            r.executions
                        ),
                        trace: None,
                    });
                }
                if r.all_decided == 0 {
                    return Err(Failure::Violation {
                        message: format!(
                            "no execution of {} had every thread decide",
                            r.executions
                        ),
                        trace: None,
                    });
                }
                Ok(r.to_string())
            }
            (Expect::Holds, Err(cx)) => Err(counterexample_failure(cx)),
            (Expect::Counterexample, Ok(r)) => Err(Failure::NoCounterexample(format!(
                "the protocol held in all {} executions ({})",
                r.executions,
                r.preemption_bound.map_or("exhaustive".into(), |b| format!("≤ {b} preemptions"))
            ))),
            (Expect::Counterexample, Err(cx)) if cx.loom_panic => Err(counterexample_failure(cx)),
            (Expect::Counterexample, Err(cx)) if !cx.message.starts_with(AGREEMENT_VIOLATED) => {
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

    /// Messages of loom's own reports (its panics that are not the code's).
    const LOOM_REPORTS: [&str; 3] = ["Causality violation", "deadlock", "Model exceeded"];

    fn counterexample_failure(cx: Counterexample) -> Failure {
        if cx.loom_panic {
            match panic_failure(&cx.message) {
                Failure::Panicked { message, .. }
                    if LOOM_REPORTS.iter().any(|r| message.starts_with(r)) =>
                {
                    Failure::Violation {
                        message: format!(
                            "loom stopped the model: {message} (found in execution {})",
                            cx.executions
                        ),
                        trace: Some(cx.trace),
                    }
                }
                Failure::Panicked { message, .. } => Failure::Panicked {
                    message: format!("{message} (in execution {})", cx.executions),
                    trace: Some(cx.trace),
                },
                unimplemented => unimplemented,
            }
        } else {
            Failure::Violation {
                message: format!("{} (found in execution {})", cx.message, cx.executions),
                trace: Some(cx.trace),
            }
        }
    }
}

#[cfg(not(loom))]
mod stage {
    //! Real-core stress runs.
    use super::{panic_failure, Expect, Failure, Plan};
    use crate::check::stress::{self, StressConfig, StressReport};
    use crate::consensus::{Consensus, ConsensusError, IdConsensus, Proposals};
    use crate::sync::{Arc, AtomicBool, Ordering, StdMutex as Mutex};
    use std::fmt;
    use std::marker::PhantomData;

    /// The first panic of the code under test, shared by every instance of a
    /// run: after it, every call fails at once (the other threads must not be
    /// left spinning at the stress runner's barrier).
    #[derive(Default)]
    struct PanicLatch {
        seen: AtomicBool,
        message: Mutex<Option<String>>,
    }

    /// A [`Consensus<T>`] that turns a panic of the one inside into an error.
    struct Guarded<T, S> {
        inner: S,
        latch: Arc<PanicLatch>,
        _values: PhantomData<fn(T)>,
    }

    impl<T: Send + Sync, S: Consensus<T>> Consensus<T> for Guarded<T, S> {
        fn threads(&self) -> usize {
            self.inner.threads()
        }
        fn decide(&self, id: usize, value: T) -> Result<&T, ConsensusError> {
            // Relaxed: the flag only short-cuts later calls; the message is
            // behind its own mutex.
            if self.latch.seen.load(Ordering::Relaxed) {
                return Err(ConsensusError::InvalidConfig("the code under test panicked".into()));
            }
            let inner = &self.inner;
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.decide(id, value)))
                .unwrap_or_else(|payload| {
                    let m = super::panic_message(payload.as_ref());
                    self.latch.message.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(m);
                    self.latch.seen.store(true, Ordering::Relaxed);
                    Err(ConsensusError::InvalidConfig("the code under test panicked".into()))
                })
        }
    }

    pub(super) fn ids<C, F>(build: F, n: usize, plan: &Plan) -> Result<String, Failure>
    where
        C: IdConsensus + Send + 'static,
        F: Fn(usize) -> Result<C, ConsensusError> + Send + Sync + 'static,
    {
        values_with(
            move || build(n).map(Proposals::new),
            move |i: usize, t: usize| (i * n + t) as u64,
            n,
            plan,
        )
    }

    pub(super) fn values<T, C, F, P>(
        build: F,
        proposals: P,
        _step_bound: Option<usize>,
        n: usize,
        plan: &Plan,
    ) -> Result<String, Failure>
    where
        T: Clone + PartialEq + fmt::Debug + Send + Sync + 'static,
        C: Consensus<T> + Send + 'static,
        F: Fn(usize) -> Result<C, ConsensusError> + Send + Sync + 'static,
        P: Fn(usize) -> T + Clone + Send + Sync + 'static,
    {
        values_with(move || build(n), move |_i: usize, t: usize| proposals(t), n, plan)
    }

    fn values_with<T, S>(
        make: impl Fn() -> Result<S, ConsensusError>,
        proposal: impl Fn(usize, usize) -> T + Sync,
        n: usize,
        plan: &Plan,
    ) -> Result<String, Failure>
    where
        T: Clone + PartialEq + fmt::Debug + Send + Sync,
        S: Consensus<T>,
    {
        let latch = Arc::new(PanicLatch::default());
        let guarded = || {
            make().map(|inner| Guarded { inner, latch: Arc::clone(&latch), _values: PhantomData })
        };
        let cfg = StressConfig::new(n, plan.instances.max(1));
        let report = stress::run_values("exercise", guarded, proposal, &cfg);
        if let Some(m) = latch.message.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Err(panic_failure(&m));
        }
        let report = report.map_err(Failure::Build)?;
        judge(&report, plan)
    }

    /// Runs `f` (which builds an instance).
    pub(super) fn probe(f: impl Fn() -> Result<(), ConsensusError>) -> Result<(), ConsensusError> {
        f()
    }

    fn judge(r: &StressReport, plan: &Plan) -> Result<String, Failure> {
        let summary = format!(
            "{} instances, {} violations, wins per thread {:?}, {} of {} batches contended{}",
            r.instances,
            r.violations,
            r.wins,
            r.contended_batches,
            r.batches,
            if r.oversubscribed {
                format!(" ({} threads on {} cores: oversubscribed)", r.threads, r.cores)
            } else {
                String::new()
            }
        );
        match plan.expect {
            Expect::Holds if r.violations > 0 => Err(Failure::Violation {
                message: format!(
                    "{} of {} instances violated a property; the first: {}",
                    r.violations,
                    r.instances,
                    r.examples.first().map_or("", String::as_str)
                ),
                trace: None,
            }),
            Expect::Holds => Ok(summary),
            Expect::Counterexample if r.violations > 0 => {
                Ok(format!("{summary}: the real cores found it broken too"))
            }
            Expect::Counterexample => Ok(format!(
                "{summary}: no violation on real cores this time; loom's verdict is the one \
                 that counts"
            )),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::consensus::cas::CasConsensus;
    use crate::consensus::Progress;

    struct Todo;
    impl IdConsensus for Todo {
        fn threads(&self) -> usize {
            2
        }
        fn decide_id(&self, _me: usize) -> Result<usize, ConsensusError> {
            todo!("decide_id")
        }
        fn progress(&self) -> Progress {
            Progress::WaitFree { steps: 1 }
        }
    }

    struct Selfish;
    impl IdConsensus for Selfish {
        fn threads(&self) -> usize {
            4
        }
        fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
            Ok(me)
        }
        fn progress(&self) -> Progress {
            Progress::WaitFree { steps: 0 }
        }
    }

    #[test]
    fn a_correct_protocol_passes_at_every_count() {
        let v = verify_ids("cas", |n| Ok(CasConsensus::new(n)), &Plan::new(&[2, 3]).instances(500));
        assert!(v.passed(), "{v}");
        assert_eq!(v.outcomes.len(), 2);
        assert!(v.to_string().contains("cas (stress on real cores): passed"), "{v}");
    }

    #[test]
    fn a_todo_is_reported_as_unimplemented_without_hanging() {
        let v = verify_ids("todo", |_| Ok(Todo), &Plan::new(&[2]).instances(200));
        assert!(matches!(v.failure(), Some((2, Failure::Unimplemented(_)))), "{v}");
        assert!(v.to_string().contains("not implemented yet"), "{v}");
    }

    #[test]
    fn a_wrong_protocol_fails_with_the_violated_property() {
        let v = verify_ids("selfish", |_| Ok(Selfish), &Plan::new(&[2, 4]).instances(100));
        assert_eq!(v.outcomes.len(), 1, "checking stops at the first failure");
        assert!(v.to_string().contains("agreement violated"), "{v}");
    }

    #[test]
    fn a_build_error_is_a_failure() {
        let v = verify_ids(
            "too-many",
            crate::consensus::first_mover::TestAndSetConsensus::new,
            &Plan::new(&[3]),
        );
        assert!(matches!(v.failure(), Some((3, Failure::Build(_)))), "{v}");
    }

    #[test]
    fn empty_or_impossible_plans_are_failures_not_passes() {
        let cas = |n| Ok(CasConsensus::new(n));
        for plan in [Plan::new(&[]), Plan::new(&[0, 2]), Plan::new(&[2]).rounds_bounded()] {
            let v = verify_ids("cas", cas, &plan);
            assert!(matches!(v.failure(), Some((_, Failure::Build(_)))), "{plan:?}: {v}");
        }
    }

    #[test]
    fn a_constant_answer_fails_validity_when_nobody_proposes_it() {
        struct AlwaysFalse;
        impl Consensus<bool> for AlwaysFalse {
            fn threads(&self) -> usize {
                3
            }
            fn decide(&self, _id: usize, _value: bool) -> Result<&bool, ConsensusError> {
                Ok(&false)
            }
        }
        let v = verify_values(
            "false",
            |_| Ok(AlwaysFalse),
            |_| true,
            None,
            &Plan::new(&[3]).instances(50),
        );
        assert!(v.to_string().contains("validity violated"), "{v}");
    }

    #[test]
    fn values_are_checked_directly() {
        use crate::consensus::Proposals;
        let v = verify_values(
            "bits",
            |n| Ok(Proposals::new(CasConsensus::new(n))),
            |t| t % 2 == 1,
            None,
            &Plan::new(&[2, 3]).instances(300),
        );
        assert!(v.passed(), "{v}");
    }
}
