//! The real-core stress runner: many fresh instances, all threads racing on each,
//! every decision verified.
//!
//! `threads` OS threads (scoped, started once) walk the same pre-allocated array
//! of instances. To keep them racing on the *same* instance rather than drifting
//! apart (free-running threads soon look uncontended), they meet at a spinning
//! [`SpinBarrier`] before every batch of `batch` instances, and the report says
//! how many batches were really contended: won by more than one thread, or with
//! an instance on which two threads' calls overlapped in time (each call is
//! timed; a protocol whose first arrival keeps the lead, like Paxos, where the
//! follower spends as long learning the decision as the leader deciding it,
//! wins whole batches by one thread even when the threads race). Thread `t` proposes
//! `instance × threads + t` on each instance, so a value from the wrong instance
//! fails validity. After the run every instance is checked with
//! [`check_decisions`]: agreement, validity, no error.
//!
//! **No vacuous verdicts.** A run in which the threads did not really race
//! proves nothing, so the report's [`Verdict`] is
//! [`Inconclusive`](Verdict::Inconclusive) unless at least [`MIN_CONTENDED`]
//! (one in four) of its batches were contended: a share that every correct
//! protocol reached at 2 threads on 2 loaded cores (another agent's build on
//! them) within 1 to 11 rounds of 2,000 instances, under 0.1 s each, and that a
//! run whose threads took turns (another process holding a core, one thread
//! finishing its batch before the next arrived) stays far below: such runs
//! showed 0 of 16 batches. When a
//! round falls short, the runner starts another round of as many fresh
//! instances, and so on until the share is reached over the whole run or the
//! time budget ([`StressConfig::budget`], [`DEFAULT_BUDGET`] by default) is
//! spent. A run of 1 thread is inconclusive at once: nothing could race. A
//! protocol that is broken on purpose ([`run_entry`] knows) is conclusive only
//! when its violation was found: a run that did not find it showed nothing, and
//! rounds continue until it does or the budget is spent.
//!
//! The elapsed time covers only the racing phase (barriers included), not
//! allocation or verification. It is a sanity figure: benchmarks live in
//! `benches/`.

use crate::check::properties::{check_decisions, Undecided, Violation};
use crate::consensus::protocol::{self, Params, Protocol};
use crate::consensus::{Consensus, ConsensusError, IdConsensus, Proposals};
use crate::registry::{Entry, Visit};
use crate::threads::{check_size, cores, race, SpinBarrier};
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// The least share of contended batches (won by more than one thread) for a
/// conclusive run: one in four. See the module doc.
pub const MIN_CONTENDED: f64 = 0.25;

/// How long a run keeps starting new rounds, by default, until enough of its
/// batches were contended.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(10);

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct StressConfig {
    /// Racing threads (ids `0..threads`).
    pub threads: usize,
    /// Fresh instances decided per round, each by all threads.
    pub instances: usize,
    /// Instances between two barriers.
    pub batch: usize,
    /// Whether the threads meet at a barrier before every batch (always, but
    /// for tests that force an uncontended run).
    pub barrier: bool,
    /// Wall time (racing phases) after which no new round starts: a run that
    /// has not reached [`MIN_CONTENDED`] by then is inconclusive.
    /// `Duration::ZERO`: one round only.
    pub budget: Duration,
}

impl StressConfig {
    /// `threads` threads on `instances` instances per round, a barrier every 64
    /// instances, the [`DEFAULT_BUDGET`].
    pub fn new(threads: usize, instances: usize) -> Self {
        StressConfig { threads, instances, batch: 64, barrier: true, budget: DEFAULT_BUDGET }
    }

    /// The same with another time budget.
    pub fn budget(self, budget: Duration) -> Self {
        StressConfig { budget, ..self }
    }
}

/// At most this many violations are kept as examples.
const EXAMPLES: usize = 5;

/// What a stress run showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No violation, and enough batches were contended: the threads raced.
    Passed,
    /// Some instance violated a property.
    Violated,
    /// No violation, but nothing was really tested: too few contended batches
    /// (1 thread, threads taking turns), or a broken protocol whose violation
    /// this run did not find. [`StressReport::inconclusive`] says why.
    Inconclusive,
}

/// The outcome of a stress run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StressReport {
    /// The protocol's registry name.
    pub protocol: String,
    /// Racing threads.
    pub threads: usize,
    /// Cores available to this process.
    pub cores: usize,
    /// Whether `threads > cores`: threads then take turns on cores, and races
    /// happen at preemptions rather than truly in parallel.
    pub oversubscribed: bool,
    /// Instances decided (over all rounds).
    pub instances: usize,
    /// Rounds run: 1, plus one for each time the run fell short of
    /// [`MIN_CONTENDED`] within its budget.
    pub rounds: usize,
    /// Instances on which some property failed (must be 0).
    pub violations: usize,
    /// The first few violations, as `instance N: ...`.
    pub examples: Vec<String>,
    /// How many instances each thread won.
    pub wins: Vec<u64>,
    /// Batches run (threads meet at a barrier before each).
    pub batches: usize,
    /// Batches won by more than one thread, or in which two threads' calls on
    /// one instance overlapped in time: a sign the threads really raced rather
    /// than one deciding a whole batch before the others arrived.
    pub contended_batches: usize,
    /// The share of contended batches a conclusive run needs ([`MIN_CONTENDED`]).
    pub min_contended: f64,
    /// What the run showed.
    pub verdict: Verdict,
    /// For an inconclusive run, why, in words.
    pub inconclusive: Option<String>,
    /// Wall time of the racing phases.
    #[serde(rename = "elapsed_ms", serialize_with = "crate::threads::serialize_millis")]
    pub elapsed: Duration,
}

impl StressReport {
    /// Wall time per instance (all threads deciding it), in nanoseconds.
    pub fn ns_per_instance(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / self.instances.max(1) as f64
    }

    /// The share of batches that were contended.
    pub fn contended_share(&self) -> f64 {
        self.contended_batches as f64 / self.batches.max(1) as f64
    }

    /// Sets [`verdict`](Self::verdict) and [`inconclusive`](Self::inconclusive)
    /// from the counts; `broken`: the protocol is broken on purpose.
    fn judge(&mut self, broken: bool) {
        let why = if self.violations > 0 {
            None
        } else if self.threads < 2 {
            Some("1 thread: nothing could race".to_string())
        } else if self.contended_share() < MIN_CONTENDED {
            Some(format!(
                "only {} of {} batches were contended ({:.0} %, fewer than the {:.0} % a \
                 conclusive run needs): the threads mostly took turns",
                self.contended_batches,
                self.batches,
                100.0 * self.contended_share(),
                100.0 * MIN_CONTENDED
            ))
        } else if broken {
            Some(format!(
                "{} is broken on purpose and this run did not find its violation",
                self.protocol
            ))
        } else {
            None
        };
        self.verdict = match (&why, self.violations) {
            (_, 1..) => Verdict::Violated,
            (Some(_), 0) => Verdict::Inconclusive,
            (None, 0) => Verdict::Passed,
        };
        self.inconclusive = why;
    }

    /// Adds a later round's counts.
    fn absorb(&mut self, round: StressReport) {
        self.instances += round.instances;
        self.rounds += 1;
        self.violations += round.violations;
        let room = EXAMPLES.saturating_sub(self.examples.len());
        self.examples.extend(round.examples.into_iter().take(room));
        for (w, r) in self.wins.iter_mut().zip(round.wins) {
            *w += r;
        }
        self.batches += round.batches;
        self.contended_batches += round.contended_batches;
        self.elapsed += round.elapsed;
    }
}

/// [`run`] on fresh instances of `entry`'s protocol built from `params`,
/// monomorphized through the registry's visitor. A protocol broken on purpose
/// is conclusive only once its violation is found (see the module doc).
///
/// # Errors
/// Parameters the protocol refuses, and the errors of [`run`].
pub fn run_entry(
    entry: Entry,
    params: &Params,
    cfg: &StressConfig,
) -> Result<StressReport, ConsensusError> {
    struct Stress<'a>(&'a Params, &'a StressConfig);
    impl Visit for Stress<'_> {
        type Output = Result<StressReport, ConsensusError>;
        fn visit<P: Protocol>(self) -> Self::Output {
            let Stress(params, cfg) = self;
            protocol::check::<P>(params)?;
            let threads = cfg.threads;
            let make = || P::build(params).map(Proposals::new);
            let proposal = |i: usize, t: usize| (i * threads + t) as u64;
            rounds(P::INFO.name, make, proposal, cfg, P::INFO.broken.is_some())
        }
    }
    entry.visit(Stress(params, cfg))
}

/// Runs the stress test on id-protocol instances built by `make`, behind
/// announce slots; thread `t` proposes `instance × threads + t`.
///
/// # Errors
/// A zero thread or instance count, or a failure of `make`.
pub fn run<C, F>(
    protocol: &str,
    make: F,
    cfg: &StressConfig,
) -> Result<StressReport, ConsensusError>
where
    C: IdConsensus,
    F: Fn() -> Result<C, ConsensusError>,
{
    let threads = cfg.threads;
    run_values(protocol, || make().map(Proposals::new), |i, t| (i * threads + t) as u64, cfg)
}

/// Runs the stress test on [`Consensus<T>`] instances built by `make`: thread
/// `t` proposes `proposal(instance, t)` on each. The win counts go to the
/// first thread whose proposal equals the decision. Rounds of `cfg.instances`
/// fresh instances follow each other until the run is conclusive or its budget
/// is spent (see the module doc).
///
/// # Errors
/// A zero thread or instance count, or a failure of `make`.
pub fn run_values<T, S, F, P>(
    protocol: &str,
    make: F,
    proposal: P,
    cfg: &StressConfig,
) -> Result<StressReport, ConsensusError>
where
    T: Clone + PartialEq + std::fmt::Debug + Send + Sync,
    S: Consensus<T>,
    F: Fn() -> Result<S, ConsensusError>,
    P: Fn(usize, usize) -> T + Sync,
{
    rounds(protocol, make, proposal, cfg, false)
}

/// Rounds until conclusive or out of budget; `broken`: only a violation is
/// conclusive.
fn rounds<T, S, F, P>(
    protocol: &str,
    make: F,
    proposal: P,
    cfg: &StressConfig,
    broken: bool,
) -> Result<StressReport, ConsensusError>
where
    T: Clone + PartialEq + std::fmt::Debug + Send + Sync,
    S: Consensus<T>,
    F: Fn() -> Result<S, ConsensusError>,
    P: Fn(usize, usize) -> T + Sync,
{
    let mut report = round(protocol, &make, &proposal, cfg, 0)?;
    report.judge(broken);
    // 1 thread: more rounds cannot make anything race.
    while report.verdict == Verdict::Inconclusive
        && report.threads > 1
        && report.elapsed < cfg.budget
    {
        let next = round(protocol, &make, &proposal, cfg, report.instances)?;
        report.absorb(next);
        report.judge(broken);
    }
    Ok(report)
}

/// One round: `cfg.instances` fresh instances, numbered from `first` (so that
/// the proposals of every round differ).
fn round<T, S, F, P>(
    protocol: &str,
    make: &F,
    proposal: &P,
    cfg: &StressConfig,
    first: usize,
) -> Result<StressReport, ConsensusError>
where
    T: Clone + PartialEq + std::fmt::Debug + Send + Sync,
    S: Consensus<T>,
    F: Fn() -> Result<S, ConsensusError>,
    P: Fn(usize, usize) -> T + Sync,
{
    let StressConfig { threads, instances, batch, barrier: use_barrier, .. } = *cfg;
    if threads == 0 || instances == 0 || batch == 0 {
        return Err(ConsensusError::InvalidConfig(
            "threads, instances and batch must all be at least 1".into(),
        ));
    }
    check_size(threads, instances)?;
    let slots: Vec<S> = (0..instances).map(|_| make()).collect::<Result<_, _>>()?;
    if let Some(s) = slots.first() {
        if s.threads() < threads {
            return Err(ConsensusError::InvalidConfig(format!(
                "instances serve {} threads, {threads} requested",
                s.threads()
            )));
        }
    }

    let barrier = SpinBarrier::new(threads);
    let start = Instant::now();
    // Per instance and thread: the result, and when the call started and ended
    // (nanoseconds since `start`; after the proposal is made, so that only the
    // call itself counts).
    let per_thread: Vec<Vec<Timed<T>>> = race(threads, |t| {
        let mut out = Vec::with_capacity(instances);
        let now = || u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        for (b, chunk) in slots.chunks(batch).enumerate() {
            if use_barrier {
                barrier.wait();
            }
            for (k, slot) in chunk.iter().enumerate() {
                let i = first + b * batch + k;
                let value = proposal(i, t);
                let called = now();
                let result = slot.decide(t, value).cloned();
                out.push((result, called, now()));
            }
        }
        out
    })?;
    let elapsed = start.elapsed();

    // Verification is independent per instance: spread it over the cores.
    let verdicts: Vec<Result<usize, (Violation, Vec<T>)>> = (0..instances)
        .into_par_iter()
        .map(|i| {
            let proposals: Vec<T> = (0..threads).map(|t| proposal(first + i, t)).collect();
            let results: Vec<_> = per_thread.iter().map(|r| r[i].0.clone()).collect();
            check_decisions(&proposals, &results, Undecided::IsViolation)
                .map_err(|v| (v, proposals.clone()))?;
            // Every result is Ok and valid now: the winner is whoever proposed it.
            let v = results.iter().find_map(|r| r.as_ref().ok());
            Ok(v.and_then(|v| proposals.iter().position(|p| p == v)).unwrap_or_default())
        })
        .collect();
    let mut violations = 0;
    let mut examples = Vec::new();
    let mut wins = vec![0u64; threads];
    let mut contended_batches = 0;
    for (b, chunk) in verdicts.chunks(batch).enumerate() {
        let mut winners = chunk.iter().filter_map(|v| v.as_ref().ok());
        let split = winners.next().is_some_and(|first| winners.any(|w| w != first));
        let overlapped = (b * batch..b * batch + chunk.len()).any(|i| {
            let spans: Vec<(u64, u64)> = per_thread.iter().map(|r| (r[i].1, r[i].2)).collect();
            calls_overlap(spans)
        });
        contended_batches += usize::from(split || overlapped);
    }
    for (i, verdict) in verdicts.iter().enumerate() {
        match verdict {
            Ok(winner) => wins[*winner] += 1,
            Err((v, proposals)) => {
                violations += 1;
                if examples.len() < EXAMPLES {
                    examples.push(format!("instance {}: {}", first + i, describe(v, proposals)));
                }
            }
        }
    }
    let cores = cores();
    Ok(StressReport {
        protocol: protocol.to_string(),
        threads,
        cores,
        oversubscribed: threads > cores,
        instances,
        rounds: 1,
        violations,
        examples,
        wins,
        batches: instances.div_ceil(batch),
        contended_batches,
        min_contended: MIN_CONTENDED,
        verdict: Verdict::Inconclusive,
        inconclusive: None,
        elapsed,
    })
}

/// One call's result, and when it started and ended (nanoseconds).
type Timed<T> = (Result<T, ConsensusError>, u64, u64);

/// Whether two of these calls `(started, ended)` overlapped in time. (Sorted by
/// start, a call overlaps an earlier one exactly when it started before the
/// latest end so far.)
fn calls_overlap(mut spans: Vec<(u64, u64)>) -> bool {
    spans.sort_unstable();
    let mut latest_end: Option<u64> = None;
    for (started, ended) in spans {
        if latest_end.is_some_and(|e| started < e) {
            return true;
        }
        latest_end = Some(latest_end.map_or(ended, |e| e.max(ended)));
    }
    false
}

/// Renders a violation with each decided value named by the thread that
/// proposed it ("t1's proposal 5").
fn describe<T: std::fmt::Debug>(v: &Violation, proposals: &[T]) -> String {
    let whose = |s: &str| match proposals.iter().position(|p| format!("{p:?}") == s) {
        Some(t) => format!("t{t}'s proposal {s}"),
        None => s.to_string(),
    };
    match v {
        Violation::Disagreement { first, other } => format!(
            "agreement violated: t{} decided {} but t{} decided {}",
            first.0,
            whose(&first.1),
            other.0,
            whose(&other.1)
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{find, PROTOCOLS};

    #[test]
    fn every_correct_protocol_passes_a_short_stress_run() {
        for e in PROTOCOLS.iter().filter(|e| e.info().broken.is_none()) {
            let cfg = StressConfig::new(2, 2_000).budget(Duration::from_secs(1));
            let r = run_entry(*e, &Params::threads(2), &cfg).unwrap();
            assert_eq!(r.violations, 0, "{}: {:?}", r.protocol, r.examples);
            assert_ne!(r.verdict, Verdict::Violated);
            assert_eq!(r.instances, 2_000 * r.rounds);
            assert_eq!(r.wins.iter().sum::<u64>(), r.instances as u64);
        }
    }

    #[test]
    fn the_runner_catches_a_wrong_protocol() {
        // A protocol where every thread decides itself: disagreement on every
        // instance with 2 threads. Proves the runner's verification can fail.
        struct Selfish;
        impl IdConsensus for Selfish {
            fn threads(&self) -> usize {
                2
            }
            fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
                Ok(me)
            }
            fn progress(&self) -> crate::consensus::Progress {
                crate::consensus::Progress::WaitFree { steps: 0 }
            }
        }
        let r = run("selfish", || Ok(Selfish), &StressConfig::new(2, 100)).unwrap();
        assert_eq!(r.violations, 100);
        assert_eq!((r.verdict, r.rounds), (Verdict::Violated, 1));
        assert!(r.examples[0].contains("agreement violated"), "{:?}", r.examples);
        assert!(r.examples[0].contains("t0's proposal"), "{:?}", r.examples);
    }

    #[test]
    fn an_uncontended_run_is_inconclusive_and_says_why() {
        // The threads take turns: thread 1 makes its proposal for instance i
        // (before its call, so outside it) only once thread 0 has made its
        // proposal for instance i + 1, so has returned from i. No barrier. No
        // two calls overlap and thread 0 wins everything but the last instance
        // of a round, which thread 1 may enter without waiting: at most 1
        // contended batch of 10 per round.
        let (threads, per_round) = (2, 640);
        let progress = crate::sync::AtomicUsize::new(0);
        let proposal = |i: usize, t: usize| {
            if t == 0 {
                // Release: pairs with the Acquire below (thread 0 left i - 1).
                progress.fetch_max(i, crate::sync::Ordering::Release);
            } else if (i + 1) % per_round != 0 {
                // Acquire: pairs with the Release above.
                while progress.load(crate::sync::Ordering::Acquire) <= i {
                    crate::sync::spin_loop();
                }
            }
            (i * threads + t) as u64
        };
        let make = || {
            Ok(Proposals::new(protocol::make::<crate::consensus::cas::CasConsensus>(
                &Params::threads(threads),
            )?))
        };
        let cfg = StressConfig { barrier: false, ..StressConfig::new(threads, per_round) }
            .budget(Duration::from_millis(50));
        let r = run_values("cas, taking turns", make, proposal, &cfg).unwrap();
        assert_eq!(r.violations, 0);
        assert!(r.contended_batches <= r.rounds, "{r:?}");
        assert_eq!(r.verdict, Verdict::Inconclusive);
        assert!(r.rounds > 1, "it kept running for its budget: {r:?}");
        let why = r.inconclusive.unwrap();
        assert!(why.contains("batches were contended") && why.contains("25 %"), "{why}");
    }

    #[test]
    fn one_thread_is_inconclusive_at_once() {
        let r = run_entry(find("cas").unwrap(), &Params::threads(1), &StressConfig::new(1, 200))
            .unwrap();
        assert_eq!((r.verdict, r.rounds, r.violations), (Verdict::Inconclusive, 1, 0));
        assert!(r.inconclusive.unwrap().contains("nothing could race"));
    }

    #[test]
    fn a_broken_protocol_without_its_violation_is_inconclusive() {
        let cfg = StressConfig::new(2, 64).budget(Duration::ZERO);
        let mut r = run_entry(find("cas").unwrap(), &Params::threads(2), &cfg).unwrap();
        r.contended_batches = r.batches;
        r.judge(true);
        assert_eq!(r.verdict, Verdict::Inconclusive);
        assert!(r.inconclusive.as_deref().unwrap().contains("did not find its violation"));
        r.judge(false);
        assert_eq!((r.verdict, r.inconclusive), (Verdict::Passed, None));
    }

    #[test]
    fn zero_sizes_are_errors() {
        let cas = find("cas").unwrap();
        assert!(run_entry(cas, &Params::threads(2), &StressConfig::new(2, 0)).is_err());
        assert!(run_entry(cas, &Params::threads(0), &StressConfig::new(0, 10)).is_err());
    }

    #[test]
    fn oversubscription_is_reported() {
        let n = cores() + 1;
        let r = run_entry(find("cas").unwrap(), &Params::threads(n), &StressConfig::new(n, 50))
            .unwrap();
        assert!(r.oversubscribed);
        assert_eq!(r.violations, 0);
    }
}
