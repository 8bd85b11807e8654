//! The real-core stress runner: many fresh instances, all threads racing on each,
//! every decision verified.
//!
//! `threads` OS threads (scoped, started once) walk the same pre-allocated array
//! of instances. To keep them racing on the *same* instance rather than drifting
//! apart (free-running threads soon look uncontended), they meet at a barrier
//! before every batch of `batch` instances. Thread `t` proposes
//! `instance × threads + t` on each instance, so a value from the wrong instance
//! fails validity. After the run every instance is checked with
//! [`check_decisions`]: agreement, validity, no error.
//!
//! The elapsed time covers only the racing phase (barriers included), not
//! allocation or verification. It is a sanity figure: benchmarks live in
//! `benches/`.

use crate::check::properties::{check_decisions, Undecided, Violation};
use crate::consensus::{Consensus, ConsensusError, IdConsensus, Proposals};
use rayon::prelude::*;
use std::sync::Barrier;
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
    /// Wall time of the racing phase.
    #[serde(serialize_with = "as_millis")]
    pub elapsed: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1e3)
}

impl StressReport {
    /// Wall time per instance (all threads deciding it), in nanoseconds.
    pub fn ns_per_instance(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / self.instances.max(1) as f64
    }
}

/// Cores this process may run on.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs the stress test on instances built by `make`.
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
    let StressConfig { threads, instances, batch } = *cfg;
    if threads == 0 || instances == 0 || batch == 0 {
        return Err(ConsensusError::InvalidConfig(
            "threads, instances and batch must all be at least 1".into(),
        ));
    }
    let slots: Vec<Proposals<u64, C>> =
        (0..instances).map(|_| make().map(Proposals::new)).collect::<Result<_, _>>()?;
    if let Some(s) = slots.first() {
        if s.threads() < threads {
            return Err(ConsensusError::InvalidConfig(format!(
                "instances serve {} threads, {threads} requested",
                s.threads()
            )));
        }
    }
    let proposal = |i: usize, t: usize| (i * threads + t) as u64;

    let barrier = Barrier::new(threads);
    let start = Instant::now();
    let per_thread: Vec<Vec<Result<u64, ConsensusError>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (slots, barrier) = (&slots, &barrier);
                s.spawn(move || {
                    let mut out = Vec::with_capacity(instances);
                    for (b, chunk) in slots.chunks(batch).enumerate() {
                        barrier.wait();
                        for (k, slot) in chunk.iter().enumerate() {
                            let i = b * batch + k;
                            out.push(slot.decide(t, proposal(i, t)).copied());
                        }
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a stress thread panicked")).collect()
    });
    let elapsed = start.elapsed();

    // Verification is independent per instance: spread it over the cores.
    let verdicts: Vec<Result<usize, Violation>> = (0..instances)
        .into_par_iter()
        .map(|i| {
            let proposals: Vec<u64> = (0..threads).map(|t| proposal(i, t)).collect();
            let results: Vec<_> = per_thread.iter().map(|r| r[i].clone()).collect();
            check_decisions(&proposals, &results, Undecided::IsViolation).map(|()| {
                match results.first() {
                    Some(Ok(v)) => *v as usize - i * threads,
                    _ => unreachable!("check_decisions accepted an instance without a decision"),
                }
            })
        })
        .collect();
    let mut violations = 0;
    let mut examples = Vec::new();
    let mut wins = vec![0u64; threads];
    for (i, verdict) in verdicts.iter().enumerate() {
        match verdict {
            Ok(winner) => wins[*winner] += 1,
            Err(v) => {
                violations += 1;
                if examples.len() < EXAMPLES {
                    examples.push(format!("instance {i}: {}", describe(v, i, threads)));
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
        elapsed,
    })
}

/// Renders a violation with proposals shown as "t<k>'s proposal".
fn describe(v: &Violation, instance: usize, threads: usize) -> String {
    let whose = |s: &str| match s.parse::<usize>() {
        Ok(x) if x >= instance * threads && x < (instance + 1) * threads => {
            format!("t{}'s proposal", x - instance * threads)
        }
        _ => s.to_string(),
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
    use crate::registry::{find, Params, PROTOCOLS};

    #[test]
    fn every_correct_protocol_passes_a_short_stress_run() {
        for e in PROTOCOLS.iter().filter(|e| e.info().broken.is_none()) {
            let r = e.stress(&Params::threads(2), &StressConfig::new(2, 2_000)).unwrap();
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
        assert!(cas.stress(&Params::threads(2), &StressConfig::new(2, 0)).is_err());
        assert!(cas.stress(&Params::threads(0), &StressConfig::new(0, 10)).is_err());
    }

    #[test]
    fn oversubscription_is_reported() {
        let n = cores() + 1;
        let r =
            find("cas").unwrap().stress(&Params::threads(n), &StressConfig::new(n, 50)).unwrap();
        assert!(r.oversubscribed);
        assert_eq!(r.violations, 0);
    }
}
