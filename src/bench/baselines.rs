//! What a user would pick instead of a consensus object, measured the same way
//! as the protocols: fresh instances from a pre-allocated array, all threads
//! deciding each.
//!
//! * `raw-cas`: the bare sequence the CAS protocol performs, "store my
//!   announce, CAS the winner, load the winner's announce", without the
//!   announce layer's misuse checks: the target the protocols are compared to;
//! * `raw-tas`, `raw-swap`, `raw-faa`: the same for the 2-thread protocols,
//!   "store my announce, test&set / swap(1) / fetch&add(1), load the winner's
//!   announce" (the winner is me if I was first, else the other thread), on the
//!   very objects the protocols use;
//! * `once-nonzero`: `once_cell::race::OnceNonZeroUsize`, `set` then `get`;
//! * `once-box`: `once_cell::race::OnceBox<u64>`, `set` (allocates) then `get`;
//! * `once-lock`: `std::sync::OnceLock<u64>`, `set` then `get`;
//! * `mutex-std`, `mutex-parking-lot`: a raw lock and unlock, the floor of the
//!   lock protocols.
//!
//! The raw sequences lay their instance out the way the announce layer does:
//! the winner word inline and the announce words in one heap slice sized to
//! the thread count, so the ratio to them does not measure a different
//! layout. The footprints still differ a little: an announce slot is 16 bytes
//! (state and value) against a raw announce word's 8, and a `Proposals` header
//! is larger than a raw sequence's.

use super::racing;
use crate::consensus::first_mover::FirstOp;
use crate::consensus::ConsensusError;
use crate::objects::rmw::{FetchAdd, Swap, TestAndSet};
use crate::sync::{AtomicU64, AtomicUsize, Ordering, ParkingMutex, StdMutex};
use once_cell::race::{OnceBox, OnceNonZeroUsize};
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const NONE: usize = usize::MAX;

/// One fresh instance of a baseline.
pub trait Baseline: Sync + Sized {
    /// A fresh instance for threads `0..threads`.
    fn fresh(threads: usize) -> Self;
    /// Thread `t` decides (or locks and unlocks).
    fn run(&self, t: usize);
}

fn announce_words(threads: usize) -> Box<[AtomicU64]> {
    (0..threads.max(1)).map(|_| AtomicU64::new(0)).collect()
}

/// Store announce, CAS, load winner.
#[derive(Debug)]
pub struct RawCas {
    winner: AtomicUsize,
    announce: Box<[AtomicU64]>,
}

impl Baseline for RawCas {
    fn fresh(threads: usize) -> Self {
        RawCas { winner: AtomicUsize::new(NONE), announce: announce_words(threads) }
    }
    #[inline]
    fn run(&self, t: usize) {
        // Relaxed: published by the Release CAS below.
        self.announce[t].store(t as u64 + 1, Ordering::Relaxed);
        // Release / Acquire: as in the CAS protocol (the Release publishes the
        // store above to the losers; the losers' Acquire pairs with it).
        let w = match self.winner.compare_exchange(NONE, t, Ordering::Release, Ordering::Acquire) {
            Ok(_) => t,
            Err(w) => w,
        };
        // Relaxed: the CAS above ordered it after the winner's store.
        black_box(self.announce[w].load(Ordering::Relaxed));
    }
}

/// Store announce, one first-mover operation (test&set, swap, fetch&add), load
/// the winner's announce.
#[derive(Debug)]
pub struct RawFirst<O> {
    object: O,
    announce: Box<[AtomicU64]>,
}

impl<O: FirstOp> Baseline for RawFirst<O> {
    fn fresh(threads: usize) -> Self {
        RawFirst { object: O::fresh(), announce: announce_words(threads) }
    }
    #[inline]
    fn run(&self, t: usize) {
        // Relaxed: published by the AcqRel read-modify-write inside `first`.
        self.announce[t].store(t as u64 + 1, Ordering::Relaxed);
        // The object's AcqRel RMW: the loser's reads the winner's, so the
        // winner's store above happens-before the loser's load below.
        let w = if self.object.first(t) { t } else { 1 - t };
        // Relaxed: ordered by the RMW above. (`get`: a second thread exists
        // whenever `first` returns false.)
        black_box(self.announce.get(w).map(|a| a.load(Ordering::Relaxed)));
    }
}

/// `OnceNonZeroUsize::set` + `get`.
#[derive(Debug)]
pub struct OnceNonZero(OnceNonZeroUsize);

impl Baseline for OnceNonZero {
    fn fresh(_threads: usize) -> Self {
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
#[derive(Debug)]
pub struct OnceBoxed(OnceBox<u64>);

impl Baseline for OnceBoxed {
    fn fresh(_threads: usize) -> Self {
        OnceBoxed(OnceBox::new())
    }
    #[inline]
    fn run(&self, t: usize) {
        let _ = self.0.set(Box::new(t as u64));
        black_box(self.0.get());
    }
}

/// `OnceLock::set` + `get`.
#[derive(Debug)]
pub struct OnceLocked(OnceLock<u64>);

impl Baseline for OnceLocked {
    fn fresh(_threads: usize) -> Self {
        OnceLocked(OnceLock::new())
    }
    #[inline]
    fn run(&self, t: usize) {
        let _ = self.0.set(t as u64);
        black_box(self.0.get());
    }
}

/// A raw std mutex lock + unlock.
#[derive(Debug)]
pub struct RawStdMutex(StdMutex<()>);

impl Baseline for RawStdMutex {
    fn fresh(_threads: usize) -> Self {
        RawStdMutex(StdMutex::new(()))
    }
    #[inline]
    fn run(&self, _t: usize) {
        black_box(self.0.lock().is_ok());
    }
}

/// A raw parking_lot mutex lock + unlock.
#[derive(Debug)]
pub struct RawParkingMutex(ParkingMutex<()>);

impl Baseline for RawParkingMutex {
    fn fresh(_threads: usize) -> Self {
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
        || Ok(B::fresh(threads)),
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
#[derive(Debug)]
pub struct BaselineEntry {
    /// Its name in tables.
    pub name: &'static str,
    /// Most threads it serves (`None`: any number).
    pub max_threads: Option<usize>,
    /// `(threads, instances, batch)` → time.
    pub time: fn(usize, usize, usize) -> Result<Duration, ConsensusError>,
}

/// Every baseline; `raw-cas` first (the reference of the ratios).
pub static BASELINES: &[BaselineEntry] = &[
    BaselineEntry { name: "raw-cas", max_threads: None, time: time::<RawCas> },
    BaselineEntry { name: "raw-tas", max_threads: Some(2), time: time::<RawFirst<TestAndSet>> },
    BaselineEntry { name: "raw-swap", max_threads: Some(2), time: time::<RawFirst<Swap>> },
    BaselineEntry { name: "raw-faa", max_threads: Some(2), time: time::<RawFirst<FetchAdd>> },
    BaselineEntry { name: "once-nonzero", max_threads: None, time: time::<OnceNonZero> },
    BaselineEntry { name: "once-box", max_threads: None, time: time::<OnceBoxed> },
    BaselineEntry { name: "once-lock", max_threads: None, time: time::<OnceLocked> },
    BaselineEntry { name: "mutex-std", max_threads: None, time: time::<RawStdMutex> },
    BaselineEntry { name: "mutex-parking-lot", max_threads: None, time: time::<RawParkingMutex> },
];

/// The raw sequence a protocol is held to (its target's denominator): the
/// same primitive without the announce layer's checks, or the bare lock.
pub fn raw_for(protocol: &str) -> Option<&'static str> {
    Some(match protocol {
        "cas" => "raw-cas",
        "test-and-set" => "raw-tas",
        "swap" => "raw-swap",
        "fetch-and-add" => "raw-faa",
        "lock-std" => "mutex-std",
        "lock-parking-lot" => "mutex-parking-lot",
        _ => return None,
    })
}
