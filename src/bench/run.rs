//! The clients' loop every replicated-object benchmark shares
//! ([`log::stable_leader`](super::log::stable_leader) over Multi-Paxos and
//! Zab, [`epaxos::run`](super::epaxos::run) over EPaxos and Multi-Paxos),
//! and the chunked iterations of their criterion groups (`benches/log.rs`).
//!
//! **The algorithm** ([`race_clients`]): one thread per client handle of a
//! fresh object, each taking its handle (and an empty HdrHistogram) before a
//! spinning barrier, so that all start together. From the barrier each
//! client submits its own `ops` commands, timing every submit on its own
//! (call to return, nanoseconds, [`Latency::record`]); with a filler budget
//! a client that is done keeps submitting (fillers, counted and timed too)
//! until every client is done or the budget is spent, so that a leader
//! which stopped serving would not leave the others waiting for the
//! detector's timeout. Each thread drops its handle (its counters go to the
//! object's totals) before it reads its end time. The measurement is the
//! wall time from the earliest start to the latest end, the commands of all
//! clients, and their histograms merged into one ([`Timed`]). An optional
//! warm-up command is submitted by client 0 before the threads start (a
//! leader's first term claimed and recovered off the clock).
//!
//! **Linearization point**: none of its own; the commands linearize where
//! the object measured says. **Progress**: a client's loop is as live as the
//! object's `submit`; a client past its own `ops` yields between fillers and
//! stops at the budget, so the loop ends whenever every `submit` returns.
//! **Orderings**: the two counters (clients done, fillers taken) are
//! Relaxed: counts only, nothing is published through them; the barrier
//! orders the start ([`SpinBarrier`]).

use crate::check::replicated::stress::Latency;
use crate::objects::Spec;
use crate::rsm::{Client, Replicated, RsmError};
use crate::sync::{yield_now, AtomicUsize, Ordering, ParkingMutex};
use crate::threads::{self, SpinBarrier};
use hdrhistogram::Histogram;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// What one [`race_clients`] run measured.
#[derive(Debug)]
pub struct Timed {
    /// Wall time, barrier to the last client's end.
    pub elapsed: Duration,
    /// Commands submitted, all clients together (fillers included).
    pub commands: usize,
    /// Each submit's wall time, nanoseconds ([`Latency::histogram`]).
    pub latency: Histogram<u64>,
}

/// Every client of `object` submits `ops` commands (`command(t, k)`:
/// client `t`'s `k`-th, fillers counting on from `ops`) and, while
/// `fillers` (in all, for every client together) are left, fillers until
/// every client is done; `warm_up`, if any, is client 0's command before
/// the clock (see the module docs).
///
/// # Errors
/// Clients already handed out, a thread the OS refuses, a histogram that
/// cannot be merged, or the first failing `submit` (a client stops at it).
pub fn race_clients<R: Replicated>(
    object: &mut R,
    warm_up: Option<<R::Spec as Spec>::Op>,
    ops: usize,
    fillers: usize,
    command: impl Fn(usize, usize) -> <R::Spec as Spec>::Op + Sync,
) -> Result<Timed, RsmError> {
    let mut handles = object.clients()?;
    let clients = handles.len();
    if let (Some(op), Some(first)) = (warm_up, handles.first_mut()) {
        black_box(first.submit(op)?);
    }
    let barrier = SpinBarrier::new(clients);
    // Clients that submitted their `ops`, and filler commands taken.
    let (finished, taken) = (AtomicUsize::new(0), AtomicUsize::new(0));
    // One cell per thread, so that `race`'s shared body can move each handle out.
    let cells: Vec<ParkingMutex<Option<R::Client>>> =
        handles.into_iter().map(|c| ParkingMutex::new(Some(c))).collect();
    let per_thread = threads::race(clients, |t| {
        // Taken once, before the barrier: the handle moves into its thread.
        let mut client = cells[t].lock().take();
        let mut h = Latency::histogram();
        barrier.wait();
        let start = Instant::now();
        let (mut result, mut done) = (Ok(()), 0usize);
        if let Some(c) = client.as_mut() {
            loop {
                if done >= ops {
                    // Relaxed: counts only, nothing is published through them.
                    if fillers == 0
                        || finished.load(Ordering::Relaxed) == clients
                        || taken.fetch_add(1, Ordering::Relaxed) >= fillers
                    {
                        break;
                    }
                    // Let the clients still at work run (oversubscribed
                    // or loaded cores).
                    yield_now();
                }
                let t0 = Instant::now();
                match c.submit(command(t, done)) {
                    Ok(v) => {
                        black_box(v);
                        Latency::record(&mut h, t0.elapsed().as_nanos() as u64);
                    }
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
                done += 1;
                if done == ops {
                    // Relaxed: a count (see above).
                    finished.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        drop(client); // its counters go to the object's totals
        (start, Instant::now(), h, result, done)
    })
    .map_err(|e| RsmError::InvalidConfig(format!("benchmark threads: {e}")))?;
    let mut latency = Latency::histogram();
    let (mut first, mut last, mut commands) = (None::<Instant>, None::<Instant>, 0);
    for (start, end, h, result, done) in per_thread {
        result?;
        commands += done;
        latency.add(&h).map_err(|e| RsmError::InvalidConfig(format!("histogram: {e}")))?;
        first = Some(first.map_or(start, |f| f.min(start)));
        last = Some(last.map_or(end, |l| l.max(end)));
    }
    let elapsed = last.zip(first).map_or(Duration::ZERO, |(l, f)| l - f);
    Ok(Timed { elapsed, commands, latency })
}

/// The wall time of `iters` commands at `clients` clients, for a criterion
/// `iter_custom`: fresh runs of at most `chunk` commands each (`run(n,
/// ops)`: `n` commands, `ops` per client, returning the run's wall time and
/// the commands it submitted), each run's time scaled to its `n` commands
/// (fillers included in the rate, as `conlab bench` counts them).
pub fn iterations(
    iters: u64,
    chunk: u64,
    clients: usize,
    mut run: impl FnMut(u64, usize) -> (Duration, usize),
) -> Duration {
    let mut left = iters;
    let mut total = Duration::ZERO;
    while left > 0 {
        let n = left.min(chunk.max(1));
        left -= n;
        let ops = (n as usize).div_ceil(clients.max(1));
        let (elapsed, commands) = run(n, ops);
        total += elapsed.mul_f64(n as f64 / commands.max(1) as f64);
    }
    total
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;

    #[test]
    fn iterations_scale_each_chunk_to_its_commands() {
        let mut seen = Vec::new();
        // Every run reports twice its commands (fillers) in 1 ms.
        let total = iterations(250, 100, 2, |n, ops| {
            seen.push((n, ops));
            (Duration::from_millis(1), 2 * n as usize)
        });
        assert_eq!(seen, [(100, 50), (100, 50), (50, 25)]);
        // Each chunk's 1 ms covered twice its commands: half of it counts.
        assert_eq!(total, Duration::from_micros(1_500));
        assert_eq!(iterations(0, 100, 1, |_, _| unreachable!("no chunk")), Duration::ZERO);
    }
}
