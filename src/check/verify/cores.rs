//! The real-core stage of [`verify`](super): a stress run at each thread count
//! (every build but `--cfg loom`).

use super::{panic_failure, Expect, Failure, Plan};
use crate::check::panic;
use crate::check::replicated::stress as replicated;
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
                let m = panic::message(payload.as_ref());
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
    let guarded =
        || make().map(|inner| Guarded { inner, latch: Arc::clone(&latch), _values: PhantomData });
    // One round: an exercise check reports the contended batches and does not
    // wait for more (`judge` below decides from the counts).
    let cfg = StressConfig::new(n, plan.instances.max(1)).budget(std::time::Duration::ZERO);
    let report = stress::run_values("exercise", guarded, proposal, &cfg);
    if let Some(m) = latch.message.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(panic_failure(m));
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
        },
    );
    // No violation but too few contended batches: say that the real cores
    // tested little (loom's verdict, the stage before, is the one that counts).
    let summary = match (&r.inconclusive, r.violations) {
        (Some(why), 0) => format!("{summary}; INCONCLUSIVE on real cores: {why}"),
        _ => summary,
    };
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

/// A replicated object's stress run ([`replicated::stress`]) as the result of
/// the part `what` ("counter") of a check of its own (`verify_helping`,
/// `verify_zab_recovery`, `verify_mp_recovery`): a run that could not be made
/// or that violated a property is a [`Failure::Violation`]; a judged run's
/// report goes to `summary`, whose `Err` is a violation of `what` too and
/// whose text is said of `what`, marked INCONCLUSIVE when no two operations
/// overlapped.
pub(super) fn stress_result(
    what: &str,
    run: Result<
        Result<replicated::StressReport, replicated::StressFailure>,
        replicated::StressError,
    >,
    summary: impl FnOnce(&replicated::StressReport) -> Result<String, String>,
) -> Result<String, Failure> {
    let violation = |message: String| Failure::Violation { message, trace: None };
    match run {
        Err(e) => Err(violation(e.to_string())),
        Ok(Err(f)) => Err(violation(format!("{what}: {f}"))),
        Ok(Ok(report)) => {
            let text = summary(&report).map_err(|m| violation(format!("{what}: {m}")))?;
            let inconclusive = if report.inconclusive() {
                " — no two operations overlapped: INCONCLUSIVE"
            } else {
                ""
            };
            Ok(format!("{what}: {text}{inconclusive}"))
        }
    }
}
