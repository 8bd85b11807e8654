//! The one place that picks real or model primitives.
//!
//! Every protocol in the lab imports its atomics, cells, locks and threads from
//! here and from nowhere else. Built normally, these are the real primitives
//! (std, parking_lot, crossbeam-utils); built with `RUSTFLAGS="--cfg loom"`, they
//! are loom's models of them; built with `RUSTFLAGS="--cfg shuttle"`, shuttle's.
//! That is what makes the code the stress runner and the benches run the very
//! code the loom and shuttle suites check. (`cfg(loom)` wins if both are set.)
//!
//! What differs between the three worlds, and how the facade hides it:
//!
//! | item | real | `cfg(loom)` | `cfg(shuttle)` |
//! |---|---|---|---|
//! | atomics, `fence`, `Ordering` | `std::sync::atomic` | `loom::sync::atomic` | `shuttle::sync::atomic` (sequentially consistent) |
//! | [`UnsafeCell`] | a wrapper over `std::cell::UnsafeCell` with loom's closure API | `loom::cell::UnsafeCell` | the real world's wrapper (shuttle has no race detector) |
//! | [`StdMutex`] | `std::sync::Mutex` (poisoning) | `loom::sync::Mutex` (same API) | `shuttle::sync::Mutex` (same API) |
//! | [`Condvar`] (with [`StdMutex`]) | `std::sync::Condvar` | `loom::sync::Condvar` | `shuttle::sync::Condvar` |
//! | [`ParkingMutex`] | `parking_lot::Mutex` (no poisoning) | the loom mutex behind parking_lot's API | the shuttle mutex behind it |
//! | [`Arc`], [`thread`] | std | loom | std's `Arc`, shuttle's threads |
//! | [`spin_loop`] | `std::hint::spin_loop` | `loom::hint::spin_loop` (a loom yield) | `shuttle::hint::spin_loop` (a shuttle yield) |
//! | [`yield_now`] | `std::thread::yield_now` | `loom::thread::yield_now` | `shuttle::thread::yield_now` |
//! | [`sleep`] | `std::thread::sleep` | one `loom::thread::yield_now` (loom has no clock) | one shuttle yield |
//! | [`Backoff`] | `crossbeam_utils::Backoff` | the same API; every `spin` and `snooze` is one loom yield | the same, one shuttle yield |
//! | [`CachePadded`] | `crossbeam_utils::CachePadded` in all worlds (it is only alignment) |
//!
//! Shuttle explores interleavings of sequentially consistent operations under
//! a randomized scheduler (PCT or uniform random): it sees no weak memory and
//! no data race on an [`UnsafeCell`], but any number of threads. What each
//! world cannot see is in `docs/src/checking.md`.
//!
//! Known loom facts the protocols are written around (see `docs/src/architecture.md`):
//! loom treats SeqCst loads and stores as AcqRel but models `fence(SeqCst)`, never
//! fails `compare_exchange_weak` spuriously, and only switches threads at the
//! operations above, so every spin or retry loop must call [`spin_loop`] or
//! [`yield_now`], or back off with [`Backoff`].
//!
//! crossbeam's `Backoff` calls std's `spin_loop` and `yield_now` directly, which
//! loom cannot see (a loop backing off with it would never let loom switch
//! threads), so the loom build has its own: one loom yield per call, like the
//! single [`spin_loop`] it replaces in a retry loop, so that a loop's loom
//! executions are the same whichever of the two it uses.

pub use crossbeam_utils::CachePadded;

#[cfg(loom)]
mod imp {
    pub use super::model_backoff::Backoff;
    pub use loom::cell::UnsafeCell;
    pub use loom::hint::spin_loop;
    pub use loom::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
    };
    pub use loom::sync::{Arc, Condvar, Mutex as StdMutex, MutexGuard as StdMutexGuard};
    pub use loom::thread;
    pub use loom::thread::yield_now;

    /// A pause (the stall demonstration's): loom has no clock, so a pause is one
    /// point where every other thread may run, and loom explores those anyway.
    pub fn sleep(pause: std::time::Duration) {
        let _ = pause;
        loom::thread::yield_now();
    }

    /// parking_lot's `Mutex` API over loom's mutex, so that the parking_lot-based
    /// protocol is model-checked through the same code path it runs on for real.
    /// (loom cannot see inside parking_lot itself.)
    #[derive(Debug, Default)]
    pub struct ParkingMutex<T>(loom::sync::Mutex<T>);

    /// The guard of a [`ParkingMutex`].
    pub type ParkingMutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> ParkingMutex<T> {
        /// A new unlocked mutex holding `value`.
        pub fn new(value: T) -> Self {
            Self(loom::sync::Mutex::new(value))
        }

        /// Blocks until the lock is held. Like parking_lot, never reports poisoning:
        /// a panic inside a loom model ends the model anyway.
        pub fn lock(&self) -> ParkingMutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
        }
    }
}

#[cfg(all(shuttle, not(loom)))]
mod imp {
    pub use super::model_backoff::Backoff;
    pub use super::real_cell::UnsafeCell;
    pub use shuttle::hint::spin_loop;
    pub use shuttle::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
    };
    pub use shuttle::sync::{Condvar, Mutex as StdMutex, MutexGuard as StdMutexGuard};
    pub use shuttle::thread;
    pub use shuttle::thread::yield_now;
    pub use std::sync::Arc;

    /// A pause (the stall demonstration's): one shuttle yield, shuttle's
    /// schedulers decide who runs meanwhile.
    pub fn sleep(pause: std::time::Duration) {
        let _ = pause;
        shuttle::thread::yield_now();
    }

    /// parking_lot's `Mutex` API over shuttle's mutex (as the loom build's).
    #[derive(Debug, Default)]
    pub struct ParkingMutex<T>(shuttle::sync::Mutex<T>);

    /// The guard of a [`ParkingMutex`].
    pub type ParkingMutexGuard<'a, T> = shuttle::sync::MutexGuard<'a, T>;

    impl<T> ParkingMutex<T> {
        /// A new unlocked mutex holding `value`.
        pub fn new(value: T) -> Self {
            Self(shuttle::sync::Mutex::new(value))
        }

        /// Blocks until the lock is held; never reports poisoning.
        pub fn lock(&self) -> ParkingMutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
        }
    }
}

#[cfg(not(any(loom, shuttle)))]
mod imp {
    pub use super::real_cell::UnsafeCell;
    pub use crossbeam_utils::Backoff;
    pub use parking_lot::{Mutex as ParkingMutex, MutexGuard as ParkingMutexGuard};
    pub use std::hint::spin_loop;
    pub use std::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
    };
    pub use std::sync::{Arc, Condvar, Mutex as StdMutex, MutexGuard as StdMutexGuard};
    pub use std::thread;
    pub use std::thread::sleep;
    pub use std::thread::yield_now;
}

/// The real-world cell, shared by the real and the shuttle builds.
/// `crossbeam_utils::Backoff`'s API for the model checkers (loom, shuttle):
/// crossbeam's calls std's `spin_loop` / `yield_now`, which neither checker
/// sees, so a model spinning on it would never let the thread it waits for
/// run. Here each [`spin`](Backoff::spin) is exactly one of the world's
/// `spin_loop` and each [`snooze`](Backoff::snooze) one of its `yield_now`
/// (the checker explores the interleavings; more spins would only add
/// executions), and the step count follows crossbeam's, so
/// [`is_completed`](Backoff::is_completed) turns true after as many calls.
#[cfg(any(loom, shuttle))]
mod model_backoff {
    use std::cell::Cell;

    /// Where crossbeam's `Backoff` stops spinning and starts yielding.
    const SPIN_LIMIT: u32 = 6;
    /// Where crossbeam's `Backoff` reports completion.
    const YIELD_LIMIT: u32 = 10;

    /// See the module docs.
    #[derive(Debug, Default)]
    pub struct Backoff {
        step: Cell<u32>,
    }

    impl Backoff {
        /// A fresh backoff.
        pub fn new() -> Self {
            Self::default()
        }

        /// Starts over.
        pub fn reset(&self) {
            self.step.set(0);
        }

        /// Backs off in a lock-free retry loop (another thread made progress):
        /// one `spin_loop` of the model checker.
        pub fn spin(&self) {
            super::imp::spin_loop();
            if self.step.get() <= SPIN_LIMIT {
                self.step.set(self.step.get() + 1);
            }
        }

        /// Backs off in a loop that waits for another thread: one `yield_now`
        /// of the model checker.
        pub fn snooze(&self) {
            super::imp::yield_now();
            if self.step.get() <= YIELD_LIMIT {
                self.step.set(self.step.get() + 1);
            }
        }

        /// Whether a waiting loop should block rather than snooze on.
        pub fn is_completed(&self) -> bool {
            self.step.get() > YIELD_LIMIT
        }
    }
}

#[cfg(not(loom))]
mod real_cell {
    /// `std::cell::UnsafeCell` behind loom's closure API (`with`, `with_mut`), so
    /// that protocol code reads the same in both worlds and every access to shared
    /// non-atomic data is visible to loom's data-race detector when model-checked.
    #[derive(Debug, Default)]
    #[repr(transparent)]
    pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        /// Wraps `value`.
        pub const fn new(value: T) -> Self {
            Self(std::cell::UnsafeCell::new(value))
        }

        /// Calls `f` with a shared raw pointer to the contents. The caller's
        /// `unsafe` dereference must prove no `with_mut` runs concurrently.
        #[inline(always)]
        pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Calls `f` with a unique raw pointer to the contents. The caller's
        /// `unsafe` dereference must prove no other access runs concurrently.
        #[inline(always)]
        pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }

        /// Unwraps the value.
        pub fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }
}

pub use imp::*;
