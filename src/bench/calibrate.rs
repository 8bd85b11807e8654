//! Does this machine contend? A short calibration (well under a second) run
//! before any contended measurement, whose verdict every contended figure of
//! the run carries:
//!
//! 1. **the core-to-core round trip**: two threads pass a counter back and
//!    forth on one cache line (thread 0 moves it from even to odd, thread 1
//!    from odd to even); the mean time per round trip. On cores that really
//!    run side by side it is two cache-line transfers, tens to a few hundred
//!    nanoseconds; when the two threads share one core (a vCPU that is not
//!    really there), each turn waits for the other's time slice: microseconds.
//! 2. **fetch&add on one shared line against padded lines**, two threads, per
//!    operation ([`primitives::time`]): a shared line costs its transfers, so
//!    it is clearly dearer than padded lines when the threads run at once; as
//!    cheap means they took turns.
//!
//! Either sign makes every contended figure of the run **unreliable**: it
//! measures the scheduler, not the protocol. The thresholds are
//! [`MAX_ROUND_TRIP_NS`] and [`MIN_SHARED_OVER_PADDED`]. In a debug build the
//! fetch&add loop is mostly loop overhead, which spaces the accesses out so
//! that a shared line is hardly dearer than a padded one: there only the
//! round trip is judged (`debug_build`).
//!
//! Progress: blocking (each thread spins, then yields, until the other moves
//! the counter), which is what is measured.

use super::primitives::{self, Layout, Primitive};
use crate::consensus::ConsensusError;
use crate::sync::{spin_loop, yield_now, AtomicUsize, Ordering};
use crate::threads::race;
use std::time::{Duration, Instant};

/// Above this mean round trip (ns), the two threads did not run side by side:
/// a round trip is two cache-line transfers, at most a few hundred ns even
/// across sockets.
pub const MAX_ROUND_TRIP_NS: f64 = 1_000.0;

/// Below this ratio of shared-line to padded-line fetch&add, the shared line
/// moved no more than a private one: the threads took turns.
pub const MIN_SHARED_OVER_PADDED: f64 = 1.5;

/// Round trips timed (fewer if [`BUDGET`] runs out first).
const ROUND_TRIPS: usize = 20_000;
/// The most the round-trip measurement may take.
const BUDGET: Duration = Duration::from_millis(150);
/// fetch&add operations per thread, per layout.
const FAA_OPS: usize = 200_000;
/// Spins before a waiting thread yields its core.
const SPINS: u32 = 1 << 10;

/// What the calibration measured and what it concludes.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Calibration {
    /// Mean round trip of a counter between two threads on one line, ns.
    pub round_trip_ns: f64,
    /// Round trips timed.
    pub round_trips: usize,
    /// fetch&add, two threads on one shared line, ns per operation.
    pub shared_faa_ns: f64,
    /// fetch&add, two threads each on its own padded line, ns per operation.
    pub padded_faa_ns: f64,
    /// Built without optimizations: the fetch&add comparison is not judged.
    pub debug_build: bool,
    /// Whether contended figures of this machine mean something.
    pub reliable: bool,
    /// Why not, with the measured numbers (empty when reliable).
    pub reasons: Vec<String>,
}

/// Runs the calibration (two threads; about 0.1 s on a machine that contends,
/// at most about 0.3 s on one that does not).
///
/// # Errors
/// A thread that cannot be started.
pub fn calibrate() -> Result<Calibration, ConsensusError> {
    let (round_trip_ns, round_trips) = round_trip()?;
    let per_op = |d: Duration| d.as_nanos() as f64 / FAA_OPS as f64;
    let shared_faa_ns = per_op(primitives::time(Primitive::FetchAdd, 2, FAA_OPS, Layout::Shared)?);
    let padded_faa_ns = per_op(primitives::time(Primitive::FetchAdd, 2, FAA_OPS, Layout::Padded)?);
    Ok(judge(round_trip_ns, round_trips, shared_faa_ns, padded_faa_ns, cfg!(debug_assertions)))
}

/// The verdict on measured figures (`debug_build`: the fetch&add comparison
/// is reported, not judged).
pub fn judge(
    round_trip_ns: f64,
    round_trips: usize,
    shared_faa_ns: f64,
    padded_faa_ns: f64,
    debug_build: bool,
) -> Calibration {
    let mut reasons = Vec::new();
    if round_trip_ns > MAX_ROUND_TRIP_NS {
        reasons.push(format!(
            "a round trip between two threads on one cache line takes {round_trip_ns:.0} ns, \
             far above two cache-line transfers (at most {MAX_ROUND_TRIP_NS:.0} ns)"
        ));
    }
    let ratio = shared_faa_ns / padded_faa_ns.max(1e-9);
    if ratio < MIN_SHARED_OVER_PADDED && !debug_build {
        reasons.push(format!(
            "fetch&add on one shared line costs {shared_faa_ns:.1} ns against {padded_faa_ns:.1} \
             ns on padded lines ({ratio:.2}×, under {MIN_SHARED_OVER_PADDED}×): the line never \
             moved between cores running at once"
        ));
    }
    Calibration {
        round_trip_ns,
        round_trips,
        shared_faa_ns,
        padded_faa_ns,
        debug_build,
        reliable: reasons.is_empty(),
        reasons,
    }
}

/// Waits until `counter` has the parity `odd`; false if `deadline` passed.
fn wait_for(counter: &AtomicUsize, odd: bool, deadline: Instant) -> Option<usize> {
    let mut spins = 0;
    loop {
        // Acquire: pairs with the other thread's Release increment, like a
        // real handoff.
        let v = counter.load(Ordering::Acquire);
        if (v % 2 == 1) == odd {
            return Some(v);
        }
        spins += 1;
        if spins < SPINS {
            spin_loop();
        } else {
            if Instant::now() > deadline {
                return None;
            }
            spins = 0;
            yield_now();
        }
    }
}

/// (mean ns per round trip, round trips timed). Each thread makes
/// [`ROUND_TRIPS`] handoffs, or fewer if [`BUDGET`] runs out while it waits;
/// thread 1's count and the time of its last handoff give the mean.
fn round_trip() -> Result<(f64, usize), ConsensusError> {
    let counter = AtomicUsize::new(0);
    let results = race(2, |t| {
        let start = Instant::now();
        let deadline = start + BUDGET;
        let (mut done, mut last) = (0, Duration::ZERO);
        while done < ROUND_TRIPS {
            // Thread 0 moves the counter from even to odd, thread 1 back.
            let Some(v) = wait_for(&counter, t == 1, deadline) else { break };
            // Release: pairs with the other thread's Acquire load.
            counter.store(v + 1, Ordering::Release);
            done += 1;
            last = start.elapsed();
        }
        (done, last)
    })
    .map_err(|e| ConsensusError::InvalidConfig(e.to_string()))?;
    let (trips, elapsed) = results[1];
    let trips = trips.max(1);
    Ok((elapsed.as_nanos() as f64 / trips as f64, trips))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_names_each_reason_with_its_numbers() {
        let ok = judge(180.0, 20_000, 40.0, 7.0, false);
        assert!(ok.reliable && ok.reasons.is_empty());
        assert!(judge(180.0, 20_000, 12.6, 12.6, true).reliable, "debug: not judged");
        let busy = judge(1_779.0, 100, 12.6, 12.6, false);
        assert!(!busy.reliable);
        assert_eq!(busy.reasons.len(), 2);
        assert!(busy.reasons[0].contains("1779 ns"), "{:?}", busy.reasons);
        assert!(busy.reasons[1].contains("12.6 ns against 12.6 ns"), "{:?}", busy.reasons);
    }

    #[test]
    fn the_calibration_is_quick_and_measures_something() {
        let start = Instant::now();
        let c = calibrate().unwrap();
        assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
        assert!(c.round_trip_ns > 0.0 && c.shared_faa_ns > 0.0 && c.padded_faa_ns > 0.0, "{c:?}");
        assert!(c.round_trips >= 1);
        assert_eq!(c.reliable, c.reasons.is_empty());
    }
}
