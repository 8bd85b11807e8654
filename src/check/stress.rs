//! The real-core stress runner: many fresh instances, all threads racing on each,
//! every decision verified.
//!
//! `threads` OS threads (scoped, started once) walk the same pre-allocated array
//! of instances. To keep them racing on the *same* instance rather than drifting
//! apart (free-running threads soon look uncontended), they meet at a spinning
//! [`SpinBarrier`] before every batch of `batch` instances, and the report says
//! how many batches were really contended (won by more than one thread). Thread `t` proposes
//! `instance × threads + t` on each instance, so a value from the wrong instance
//! fails validity. After the run every instance is checked with
//! [`check_decisions`]: agreement, validity, no error.
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

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct StressConfig {
    /// Racing threads (ids `0..threads`).
    pub threads: usize,
    /// Fresh instances decided, each by all threads.
    pub instances: usize,
    /// Instances between two barriers.
    pub batch: usize,
}

impl StressConfig {
    /// `threads` threads on `instances` instances, a barrier every 64 instances.
    pub fn new(threads: usize, instances: usize) -> Self {
        StressConfig { threads, instances, batch: 64 }
    }
}

/// At most this many violations are kept as examples.
const EXAMPLES: usize = 5;

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
    /// Instances decided.
    pub instances: usize,
    /// Instances on which some property failed (must be 0).
    pub violations: usize,
    /// The first few violations, as `instance N: ...`.
    pub examples: Vec<String>,
    /// How many instances each thread won.
    pub wins: Vec<u64>,
    /// Batches run (threads meet at a barrier before each).
    pub batches: usize,
    /// Batches won by more than one thread: a sign the threads really raced
    /// rather than one deciding a whole batch before the others arrived.
    pub contended_batches: usize,
    /// Wall time of the racing phase.
    #[serde(rename = "elapsed_ms", serialize_with = "crate::threads::serialize_millis")]
    pub elapsed: Duration,
}

impl StressReport {
    /// Wall time per instance (all threads deciding it), in nanoseconds.
    pub fn ns_per_instance(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / self.instances.max(1) as f64
    }
}

/// [`run`] on fresh instances of `entry`'s protocol built from `params`,
/// monomorphized through the registry's visitor.
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
            run(P::INFO.name, || P::build(params), cfg)
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
/// first thread whose proposal equals the decision.
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
    let StressConfig { threads, instances, batch } = *cfg;
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
    let per_thread: Vec<Vec<Result<T, ConsensusError>>> = race(threads, |t| {
        let mut out = Vec::with_capacity(instances);
        for (b, chunk) in slots.chunks(batch).enumerate() {
            barrier.wait();
            for (k, slot) in chunk.iter().enumerate() {
                let i = b * batch + k;
                out.push(slot.decide(t, proposal(i, t)).cloned());
            }
        }
        out
    })?;
    let elapsed = start.elapsed();

    // Verification is independent per instance: spread it over the cores.
    let verdicts: Vec<Result<usize, (Violation, Vec<T>)>> = (0..instances)
        .into_par_iter()
        .map(|i| {
            let proposals: Vec<T> = (0..threads).map(|t| proposal(i, t)).collect();
            let results: Vec<_> = per_thread.iter().map(|r| r[i].clone()).collect();
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
    for chunk in verdicts.chunks(batch) {
        let mut winners = chunk.iter().filter_map(|v| v.as_ref().ok());
        if let Some(first) = winners.next() {
            contended_batches += usize::from(winners.any(|w| w != first));
        }
    }
    for (i, verdict) in verdicts.iter().enumerate() {
        match verdict {
            Ok(winner) => wins[*winner] += 1,
            Err((v, proposals)) => {
                violations += 1;
                if examples.len() < EXAMPLES {
                    examples.push(format!("instance {i}: {}", describe(v, proposals)));
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
        violations,
        examples,
        wins,
        batches: instances.div_ceil(batch),
        contended_batches,
        elapsed,
    })
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
            let r = run_entry(*e, &Params::threads(2), &StressConfig::new(2, 2_000)).unwrap();
            assert_eq!(r.violations, 0, "{}: {:?}", r.protocol, r.examples);
            assert_eq!(r.wins.iter().sum::<u64>(), 2_000);
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
        assert!(r.examples[0].contains("agreement violated"), "{:?}", r.examples);
        assert!(r.examples[0].contains("t0's proposal"), "{:?}", r.examples);
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
