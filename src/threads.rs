//! Real threads for every runner: a spinning barrier, racing `n` threads, the
//! machine's cores and the size limit of one run; and how every runner reports
//! the times it measured ([`median`], [`serialize_millis`]).
//!
//! The stress runner, the benchmarks, the Paxos fault runner and the object
//! workloads all start their threads here, so they start, synchronise and fail
//! alike (a thread the OS refuses is an [`Error`], never a panic).
//!
//! ## The spinning barrier
//!
//! `std::sync::Barrier` puts waiting threads to sleep: the last thread to arrive
//! runs on while the others are still being woken, and decides most of the next
//! batch alone (measured: with 2 threads and batches of 64, only 9 of 3,125
//! batches had both threads winning something). Spinning keeps the threads in
//! lockstep, so they really race on the same instances. Waiters spin 4,096
//! times (`SPINS`), then yield, so oversubscribed runs (more threads than
//! cores) still make progress. `crossbeam_utils::Backoff` is spin-then-yield
//! too, but does not fit: its `snooze` starts yielding after 127 spins (1, 2,
//! ..., 64), far too soon to keep two cores in lockstep.
//!
//! Progress: blocking (a barrier waits for everyone, by definition).

use crate::sync::{spin_loop, yield_now, AtomicUsize, Ordering};
use std::time::Duration;

/// Spins this many times before yielding the core (hand-rolled on purpose, not
/// `crossbeam_utils::Backoff`: see the module docs).
const SPINS: u32 = 1 << 12;

/// A reusable barrier for `n` threads that spins instead of sleeping.
#[derive(Debug)]
pub struct SpinBarrier {
    n: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
}

impl SpinBarrier {
    /// A barrier for `n` threads.
    pub fn new(n: usize) -> Self {
        SpinBarrier { n, arrived: AtomicUsize::new(0), generation: AtomicUsize::new(0) }
    }

    /// Blocks until all `n` threads have called `wait` in this round.
    pub fn wait(&self) {
        // Acquire: pairs with the Release bump below of the previous round, so
        // this round's counter reset is visible before we add to it.
        let generation = self.generation.load(Ordering::Acquire);
        // AcqRel: the last arriver must see every other arriver's work before
        // releasing them (Acquire), and publish its own (Release).
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            // Relaxed: published by the Release store of the generation next.
            self.arrived.store(0, Ordering::Relaxed);
            // Release: pairs with the waiters' Acquire loads; it carries the reset
            // and (through the AcqRel counter) every thread's pre-barrier work.
            self.generation.store(generation.wrapping_add(1), Ordering::Release);
            return;
        }
        let mut spins = 0;
        // Acquire: pairs with the Release bump by the last arriver.
        while self.generation.load(Ordering::Acquire) == generation {
            if spins < SPINS {
                spins += 1;
                spin_loop();
            } else {
                yield_now();
            }
        }
    }
}

/// Why threads could not be started or a run is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused to start a thread.
    #[error("cannot start thread {thread}: {source}")]
    Spawn {
        /// The index of the thread.
        thread: usize,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A run would make more than [`MAX_DECISIONS`] decisions.
    #[error(
        "{threads} threads × {instances} instances is more than {MAX_DECISIONS} decisions \
         in one run; split it into several runs"
    )]
    TooLarge {
        /// Threads asked for.
        threads: usize,
        /// Instances (or operations) asked for.
        instances: usize,
    },
}

/// Cores this process may run on.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Most decisions (threads × instances) one run may make: its memory grows
/// with them (instances, announce slots, results), and a run beyond this would
/// need many GiB. Larger runs are refused with an error rather than aborting
/// the process when an allocation fails.
pub const MAX_DECISIONS: usize = 1 << 25;

/// Refuses runs larger than [`MAX_DECISIONS`].
///
/// # Errors
/// [`Error::TooLarge`].
pub fn check_size(threads: usize, instances: usize) -> Result<(), Error> {
    match threads.checked_mul(instances) {
        Some(d) if d <= MAX_DECISIONS => Ok(()),
        _ => Err(Error::TooLarge { threads, instances }),
    }
}

std::thread_local! {
    /// The cores [`race`] pins its threads to, as set by [`pinned`] on the
    /// calling thread (`None`: not pinned).
    static PIN: std::cell::RefCell<Option<Vec<usize>>> = const { std::cell::RefCell::new(None) };
}

std::thread_local! {
    /// The seed [`race`] gives its threads' random generators, as set by
    /// [`seeded`] on the calling thread (`None`: fastrand's own seeding).
    static SEED: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with every [`race`] it starts (on this thread) seeding its thread
/// `t`'s `fastrand` generator (the one the retrying protocols' randomized
/// backoff draws from) from `seed` and `t`: the same seed replays the same
/// backoff draws (not the same interleaving: that is the real cores').
pub fn seeded<R>(seed: Option<u64>, f: impl FnOnce() -> R) -> R {
    let before = SEED.with(|s| s.replace(seed));
    let r = f();
    SEED.with(|s| s.set(before));
    r
}

/// The seed [`seeded`] set on this thread, for runners that spawn their own
/// threads: they hand it to [`seed_current`] in each.
pub fn current_seed() -> Option<u64> {
    SEED.with(std::cell::Cell::get)
}

/// Seeds this thread's `fastrand` generator as [`race`] seeds its thread `t`
/// (nothing for `None`).
pub fn seed_current(seed: Option<u64>, t: usize) {
    if let Some(seed) = seed {
        fastrand::seed(thread_seed(seed, t));
    }
}

/// The seed of thread `t` of a race seeded with `seed`.
fn thread_seed(seed: u64, t: usize) -> u64 {
    // Distinct per thread (the golden-ratio increment of splitmix64).
    seed ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The ids of the cores this process may run on (its affinity mask), in order.
pub fn core_ids() -> Vec<usize> {
    core_affinity::get_core_ids().map_or_else(Vec::new, |v| v.into_iter().map(|c| c.id).collect())
}

/// Runs `f` with every [`race`] it starts (on this thread) pinning its thread
/// `t` to `cores[t % cores.len()]` (`None` or an empty list: no pinning).
/// Per calling thread, so concurrent callers do not see each other's setting.
pub fn pinned<R>(cores: Option<Vec<usize>>, f: impl FnOnce() -> R) -> R {
    let before = PIN.with(|p| p.replace(cores.filter(|c| !c.is_empty())));
    let r = f();
    PIN.with(|p| *p.borrow_mut() = before);
    r
}

/// Runs `body(t)` on `threads` scoped threads and collects their results in
/// order; a thread that cannot be started is an error, not a panic. Inside
/// [`pinned`], each thread first pins itself to its core.
///
/// # Errors
/// [`Error::Spawn`] if the OS refuses a thread.
pub fn race<R: Send>(threads: usize, body: impl Fn(usize) -> R + Sync) -> Result<Vec<R>, Error> {
    let pin = PIN.with(|p| p.borrow().clone());
    let seed = SEED.with(std::cell::Cell::get);
    std::thread::scope(|s| {
        let body = &body;
        let mut handles = Vec::with_capacity(threads);
        for t in 0..threads {
            let core = pin.as_ref().map(|c| core_affinity::CoreId { id: c[t % c.len()] });
            let h = std::thread::Builder::new()
                .name(format!("conlab-t{t}"))
                .spawn_scoped(s, move || {
                    if let Some(core) = core {
                        // Best effort: a core the OS refuses leaves the thread unpinned.
                        core_affinity::set_for_current(core);
                    }
                    seed_current(seed, t);
                    body(t)
                })
                .map_err(|source| Error::Spawn { thread: t, source })?;
            handles.push(h);
        }
        // A panicking protocol is a bug in this crate; re-raise it where it shows.
        Ok(handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect())
    })
}

/// The median of `samples` (sorted in place, so the caller can read the min
/// and the max after it): the middle one for an odd count; for an even count
/// the mean of the two middle ones (the usual median of a sample, and a
/// duration, unlike a rank, can be halved). `Duration::ZERO` for no samples.
///
/// The one median of the crate: `bench::repeated` (every `conlab bench`
/// figure) and the stall demonstration's verdict both use it.
pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    let n = samples.len();
    match n {
        0 => Duration::ZERO,
        _ if n % 2 == 1 => samples[n / 2],
        // lo + (hi - lo) / 2: no overflow, and hi ≥ lo in a sorted slice.
        _ => samples[n / 2 - 1] + (samples[n / 2] - samples[n / 2 - 1]) / 2,
    }
}

/// Serializes a `Duration` as milliseconds (an `f64`, fractions kept): the
/// `#[serde(serialize_with = "…")]` of every report's time field, so every JSON
/// output gives times in the same unit.
///
/// # Errors
/// The serializer's.
pub fn serialize_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_races_run_and_the_setting_is_scoped() {
        let cores = core_ids();
        assert!(!cores.is_empty());
        let ids = pinned(Some(cores.clone()), || race(3, |t| t).unwrap());
        assert_eq!(ids, [0, 1, 2]);
        assert!(PIN.with(|p| p.borrow().is_none()), "restored after");
    }

    #[test]
    fn a_seeded_race_replays_its_threads_draws() {
        let draws = || seeded(Some(7), || race(2, |_| fastrand::u64(..)).unwrap());
        let (a, b) = (draws(), draws());
        assert_eq!(a, b, "the same seed, the same draws");
        assert_ne!(a[0], a[1], "each thread its own stream");
        assert!(SEED.with(std::cell::Cell::get).is_none(), "restored after");
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(median(&mut []), Duration::ZERO);
        assert_eq!(median(&mut [ms(7)]), ms(7));
        // Odd: the middle one, whatever the order.
        assert_eq!(median(&mut [ms(9), ms(1), ms(5)]), ms(5));
        // Even: the mean of the two middle ones (here 3 and 6), not either.
        let mut v = [ms(8), ms(3), ms(1), ms(6)];
        assert_eq!(median(&mut v), Duration::from_micros(4_500));
        assert_eq!(v, [ms(1), ms(3), ms(6), ms(8)], "sorted in place");
        assert_eq!(median(&mut [ms(2), ms(3)]), Duration::from_micros(2_500));
        assert_eq!(median(&mut [Duration::MAX, Duration::MAX]), Duration::MAX);
    }

    #[test]
    fn no_thread_passes_a_round_before_all_arrived() {
        let n = 4;
        let rounds = 200;
        let barrier = SpinBarrier::new(n);
        let arrivals = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..n {
                s.spawn(|| {
                    for round in 0..rounds {
                        arrivals.fetch_add(1, Ordering::SeqCst);
                        barrier.wait();
                        // Everyone of this round has arrived.
                        assert!(arrivals.load(Ordering::SeqCst) >= (round + 1) * n);
                        barrier.wait();
                    }
                });
            }
        });
        assert_eq!(arrivals.load(Ordering::SeqCst), rounds * n);
    }
}
