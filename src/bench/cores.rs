//! The core-to-core latency matrix (`conlab bench cores`), the figure every
//! contended number is read against: for each pair of available cores, two
//! threads pinned to them pass a word back and forth with compare&swap
//! (thread 0 CASes 0 → 1, thread 1 CASes 1 → 0); one sample is the time of
//! `iterations` round trips, and the figure is a round trip / 2, the one-way
//! latency of a cache-line transfer (the method and defaults of nviennot's
//! core-to-core-latency: mean ± standard deviation over the samples).
//!
//! Progress: blocking (each thread spins, then yields, until the other moves
//! the word), which is what is measured. A pair whose threads cannot run at
//! once (one core shared) gives up after [`PAIR_BUDGET`] and reports what it
//! measured.

use crate::consensus::ConsensusError;
use crate::sync::{spin_loop, yield_now, AtomicUsize, Ordering};
use crate::threads::{pinned, race};
use std::time::{Duration, Instant};

/// The most one pair may take.
pub const PAIR_BUDGET: Duration = Duration::from_secs(2);

/// Spins before a waiting thread yields its core.
const SPINS: u32 = 1 << 12;

/// One pair of cores.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Pair {
    /// The first core (thread 0).
    pub a: usize,
    /// The second core (thread 1).
    pub b: usize,
    /// Mean one-way latency (round trip / 2), ns.
    pub mean_ns: f64,
    /// Standard deviation over the samples, ns.
    pub sd_ns: f64,
    /// The median sample, ns: what a preempted sample does not move.
    pub median_ns: f64,
    /// Every sample's one-way latency, ns, in the order taken.
    pub samples_ns: Vec<f64>,
}

/// CAS ping-pong between threads pinned to cores `a` and `b`: `samples`
/// samples of `iterations` round trips each (fewer if [`PAIR_BUDGET`] runs out).
///
/// # Errors
/// A thread that cannot be started.
pub fn pair(a: usize, b: usize, iterations: usize, samples: usize) -> Result<Pair, ConsensusError> {
    let word = AtomicUsize::new(0);
    let iterations = iterations.max(1);
    let results = pinned(Some(vec![a, b]), || {
        race(2, |t| {
            let (from, to) = if t == 0 { (0, 1) } else { (1, 0) };
            let deadline = Instant::now() + PAIR_BUDGET;
            let mut out = Vec::with_capacity(samples);
            'samples: for _ in 0..samples {
                let start = Instant::now();
                for _ in 0..iterations {
                    let mut spins = 0;
                    // AcqRel: the handoff, like a lock passed between cores.
                    while word
                        .compare_exchange(from, to, Ordering::AcqRel, Ordering::Relaxed)
                        .is_err()
                    {
                        spins += 1;
                        if spins < SPINS {
                            spin_loop();
                        } else {
                            if Instant::now() > deadline {
                                break 'samples;
                            }
                            spins = 0;
                            yield_now();
                        }
                    }
                }
                out.push(start.elapsed().as_nanos() as f64 / iterations as f64 / 2.0);
            }
            out
        })
    })
    .map_err(|e| ConsensusError::InvalidConfig(e.to_string()))?;
    let samples_ns = results.into_iter().next().unwrap_or_default();
    let n = samples_ns.len().max(1) as f64;
    let mean_ns = samples_ns.iter().sum::<f64>() / n;
    let sd_ns = (samples_ns.iter().map(|x| (x - mean_ns).powi(2)).sum::<f64>() / n).sqrt();
    let mut sorted = samples_ns.clone();
    sorted.sort_by(f64::total_cmp);
    let median_ns = match sorted.len() {
        0 => 0.0,
        k if k % 2 == 1 => sorted[k / 2],
        k => (sorted[k / 2 - 1] + sorted[k / 2]) / 2.0,
    };
    Ok(Pair { a, b, mean_ns, sd_ns, median_ns, samples_ns })
}

/// Every pair `a < b` of `cores`, in order.
///
/// # Errors
/// A thread that cannot be started.
pub fn matrix(
    cores: &[usize],
    iterations: usize,
    samples: usize,
) -> Result<Vec<Pair>, ConsensusError> {
    let mut pairs = Vec::new();
    for (i, &a) in cores.iter().enumerate() {
        for &b in &cores[i + 1..] {
            pairs.push(pair(a, b, iterations, samples)?);
        }
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_measures_every_sample() {
        let cores = crate::threads::core_ids();
        let (a, b) = (cores[0], *cores.get(1).unwrap_or(&cores[0]));
        let p = pair(a, b, 50, 4).unwrap();
        assert!(!p.samples_ns.is_empty() && p.samples_ns.len() <= 4, "{p:?}");
        assert!(p.mean_ns > 0.0 && p.sd_ns >= 0.0, "{p:?}");
        let m = matrix(&[a, b, a], 10, 2).unwrap();
        assert_eq!(m.iter().map(|p| (p.a, p.b)).collect::<Vec<_>>(), [(a, b), (a, a), (b, a)]);
    }
}
