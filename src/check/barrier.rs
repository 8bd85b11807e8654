//! A spinning barrier for the real-core runners.
//!
//! `std::sync::Barrier` puts waiting threads to sleep: the last thread to arrive
//! runs on while the others are still being woken, and decides most of the next
//! batch alone (measured: with 2 threads and batches of 64, only 9 of 3,125
//! batches had both threads winning something). Spinning keeps the threads in
//! lockstep, so they really race on the same instances. Waiters spin for a
//! while, then yield, so oversubscribed runs (more threads than cores) still
//! make progress.

use crate::sync::{spin_loop, yield_now, AtomicUsize, Ordering};

/// Spins this many times before yielding the core.
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

#[cfg(test)]
mod tests {
    use super::*;

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
