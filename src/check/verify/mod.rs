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
//!
//! This file holds what both stages share: the plan, the failures and the
//! verdict, and the two entry points. Each stage is in a file of its own,
//! compiled in its build only: `loom.rs` (`--cfg loom`) and `cores.rs` (every
//! other build); both provide `probe`, `ids` and `values`. The checks of their
//! own (`helping.rs`, `zab_recovery.rs`, `mp_recovery.rs`, each a replicated
//! object's model under loom and its stress run on real cores) take their
//! failures from the stage too (`model_failure` in `loom.rs`, `stress_result`
//! in `cores.rs`) and their verdict from [`Verdict::from_runs`].

use crate::check::panic;
use crate::consensus::{Consensus, ConsensusError, IdConsensus};
use crate::trace::Trace;
use std::fmt;

#[cfg(loom)]
mod loom;
#[cfg(loom)]
use self::loom as stage;

#[cfg(not(loom))]
mod cores;
#[cfg(not(loom))]
use self::cores as stage;

mod helping;
mod mp_recovery;
#[cfg(all(test, not(loom)))]
mod tests;
mod zab_recovery;

pub use helping::verify_helping;
pub use mp_recovery::verify_mp_recovery;
pub use zab_recovery::verify_zab_recovery;

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
        panic_failure(panic::message(payload))
    }
}

/// The result at one thread count (or client or replica count: the
/// verdict's [`Counts`] says which).
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Threads taking part (clients, replicas: what the verdict counts).
    pub threads: usize,
    /// What was seen (loom's figures, the stress run's summary), or the failure.
    pub result: Result<String, Failure>,
}

/// What an [`Outcome`]'s count counts, as the verdict prints it ("2 threads:").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counts {
    /// Threads racing on one object (the hierarchy's checks).
    Threads,
    /// Clients of a replicated log (its threads are more than its clients).
    Clients,
    /// Replicas of a replicated protocol.
    Replicas,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Counts::Threads => "threads",
            Counts::Clients => "clients",
            Counts::Replicas => "replicas",
        })
    }
}

/// The harness's answer: one [`Outcome`] per thread count, in order; checking
/// stops at the first failure.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The name given to the check.
    pub name: String,
    /// What this build checked.
    pub stage: Stage,
    /// What the outcomes' counts count.
    pub counts: Counts,
    /// Per thread count.
    pub outcomes: Vec<Outcome>,
}

impl Verdict {
    /// The verdict of the check `name`, in this build's stage, from its runs
    /// in order, each `(count, result)`: taken up to the first failure, so a
    /// lazy iterator runs no check after it. The one way a check of its own
    /// (`verify_helping`, say) turns its runs into a verdict.
    pub fn from_runs(
        name: &str,
        counts: Counts,
        runs: impl IntoIterator<Item = (usize, Result<String, Failure>)>,
    ) -> Verdict {
        let mut outcomes = Vec::new();
        for (threads, result) in runs {
            let failed = result.is_err();
            outcomes.push(Outcome { threads, result });
            if failed {
                break;
            }
        }
        Verdict { name: name.to_string(), stage: Stage::current(), counts, outcomes }
    }

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
            Some((n, _)) => {
                writeln!(f, "{} ({}): FAILED at {n} {}", self.name, self.stage, self.counts)?
            }
        }
        for o in &self.outcomes {
            match &o.result {
                Ok(s) => writeln!(f, "  {} {}: {s}", o.threads, self.counts)?,
                Err(e) => {
                    let text = e.to_string();
                    let mut lines = text.lines();
                    let first = lines.next().unwrap_or_default();
                    writeln!(f, "  {} {}: {first}", o.threads, self.counts)?;
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
    let bad = |threads: usize, why: String| {
        let refused = Err(Failure::Build(ConsensusError::InvalidConfig(why)));
        Verdict::from_runs(name, Counts::Threads, [(threads, refused)])
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
    Verdict::from_runs(name, Counts::Threads, plan.threads.iter().map(|&n| (n, at(n))))
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

/// A panic message as a failure: `todo!()` and `unimplemented!()` are
/// "not implemented yet".
fn panic_failure(message: String) -> Failure {
    if panic::is_todo(&message) {
        Failure::Unimplemented(message)
    } else {
        Failure::Panicked { message, trace: None }
    }
}
