//! What a user would pick instead of a consensus object, measured the same way
//! as the protocols: fresh instances from a pre-allocated array, all threads
//! deciding each.
//!
//! * `raw-cas`: the bare sequence the CAS protocol performs, "store my
//!   announce, CAS the winner, load the winner's announce", without the
//!   announce layer's misuse checks: the target the protocols are compared to;
//! * `once-nonzero`: `once_cell::race::OnceNonZeroUsize`, `set` then `get`;
//! * `once-box`: `once_cell::race::OnceBox<u64>`, `set` (allocates) then `get`;
//! * `once-lock`: `std::sync::OnceLock<u64>`, `set` then `get`;
//! * `mutex-std`, `mutex-parking-lot`: a raw lock and unlock, the floor of the
//!   lock protocols.

use super::racing;
use crate::consensus::ConsensusError;
use crate::sync::{AtomicU64, AtomicUsize, Ordering, ParkingMutex, StdMutex};
use once_cell::race::{OnceBox, OnceNonZeroUsize};
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const NONE: usize = usize::MAX;

/// One fresh instance of a baseline, for up to [`MAX_THREADS`] threads.
pub trait Baseline: Sync + Sized {
    /// A fresh instance.
    fn fresh() -> Self;
    /// Thread `t` decides (or locks and unlocks).
    fn run(&self, t: usize);
}

/// Threads a baseline instance serves (the raw CAS sequence's announce array).
pub const MAX_THREADS: usize = 64;

/// Store announce, CAS, load winner.
pub struct RawCas {
    announce: [AtomicU64; MAX_THREADS],
    winner: AtomicUsize,
}

impl Baseline for RawCas {
    fn fresh() -> Self {
        RawCas {
            announce: std::array::from_fn(|_| AtomicU64::new(0)),
            winner: AtomicUsize::new(NONE),
        }
    }
    #[inline]
    fn run(&self, t: usize) {
        let t = t % MAX_THREADS;
        // Relaxed: published by the Release CAS below.
        self.announce[t].store(t as u64 + 1, Ordering::Relaxed);
        // Release / Acquire: as in the CAS protocol.
        let w = match self.winner.compare_exchange(NONE, t, Ordering::Release, Ordering::Acquire) {
            Ok(_) => t,
            Err(w) => w,
        };
        // Relaxed: the CAS above ordered it after the winner's store.
        black_box(self.announce[w].load(Ordering::Relaxed));
    }
}

/// `OnceNonZeroUsize::set` + `get`.
pub struct OnceNonZero(OnceNonZeroUsize);

impl Baseline for OnceNonZero {
    fn fresh() -> Self {
        OnceNonZero(OnceNonZeroUsize::new())
    }
    #[inline]
    fn run(&self, t: usize) {
        let v = NonZeroUsize::MIN.saturating_add(t);
        let _ = self.0.set(v);
        black_box(self.0.get());
    }
}

/// `OnceBox::set` + `get` (one allocation per `set`).
pub struct OnceBoxed(OnceBox<u64>);

impl Baseline for OnceBoxed {
    fn fresh() -> Self {
        OnceBoxed(OnceBox::new())
    }
    #[inline]
    fn run(&self, t: usize) {
        let _ = self.0.set(Box::new(t as u64));
        black_box(self.0.get());
    }
}

/// `OnceLock::set` + `get`.
pub struct OnceLocked(OnceLock<u64>);

impl Baseline for OnceLocked {
    fn fresh() -> Self {
        OnceLocked(OnceLock::new())
    }
    #[inline]
    fn run(&self, t: usize) {
        let _ = self.0.set(t as u64);
        black_box(self.0.get());
    }
}

/// A raw std mutex lock + unlock.
pub struct RawStdMutex(StdMutex<()>);

impl Baseline for RawStdMutex {
    fn fresh() -> Self {
        RawStdMutex(StdMutex::new(()))
    }
    #[inline]
    fn run(&self, _t: usize) {
        black_box(self.0.lock().is_ok());
    }
}

/// A raw parking_lot mutex lock + unlock.
pub struct RawParkingMutex(ParkingMutex<()>);

impl Baseline for RawParkingMutex {
    fn fresh() -> Self {
        RawParkingMutex(ParkingMutex::new(()))
    }
    #[inline]
    fn run(&self, _t: usize) {
        drop(black_box(self.0.lock()));
    }
}

/// Time for `threads` threads to run `B` on `instances` fresh instances.
///
/// # Errors
/// A thread that cannot be started.
pub fn time<B: Baseline>(
    threads: usize,
    instances: usize,
    batch: usize,
) -> Result<Duration, ConsensusError> {
    super::chunked(
        instances,
        || Ok(B::fresh()),
        |items| {
            if threads <= 1 {
                let start = Instant::now();
                for item in items {
                    item.run(0);
                }
                Ok(start.elapsed())
            } else {
                Ok(racing::time(threads, items, batch, |t, item| {
                    item.run(t);
                    false
                })?
                .0)
            }
        },
    )
}

/// A baseline by name.
pub struct BaselineEntry {
    /// Its name in tables.
    pub name: &'static str,
    /// `(threads, instances, batch)` → time.
    pub time: fn(usize, usize, usize) -> Result<Duration, ConsensusError>,
}

/// Every baseline; `raw-cas` first (the reference of the ratios).
pub static BASELINES: &[BaselineEntry] = &[
    BaselineEntry { name: "raw-cas", time: time::<RawCas> },
    BaselineEntry { name: "once-nonzero", time: time::<OnceNonZero> },
    BaselineEntry { name: "once-box", time: time::<OnceBoxed> },
    BaselineEntry { name: "once-lock", time: time::<OnceLocked> },
    BaselineEntry { name: "mutex-std", time: time::<RawStdMutex> },
    BaselineEntry { name: "mutex-parking-lot", time: time::<RawParkingMutex> },
];
