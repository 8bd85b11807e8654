//! The atomic primitives side by side: test&set, swap, fetch&add, a CAS that
//! succeeds, a CAS-increment loop, load and store, each on one shared cache line
//! (every thread on the same word: contention) or on one padded line per thread
//! (no sharing: the instruction's own cost).
//!
//! Expected (the literature, and DESIGN.md's measurements): uncontended, the
//! read-modify-writes cost about the same (a few ns on a hot line); contended,
//! fetch&add scales better than a CAS loop, which retries when another thread's
//! update lands between its load and its CAS; a contended cache-line transfer
//! costs tens of nanoseconds.

use super::racing;
use crate::consensus::ConsensusError;
use crate::sync::{AtomicBool, AtomicU64, CachePadded, Ordering};
use std::hint::black_box;
use std::time::Duration;

/// The primitives measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Primitive {
    /// `test&set` of a bit (a swap of `true`).
    TestAndSet,
    /// `swap(1)` of a word.
    Swap,
    /// `fetch&add(1)`.
    FetchAdd,
    /// A CAS 0 → 0: always succeeds, yet takes the line exclusively like any
    /// CAS (the reference of the primitives' ratios).
    CasSuccess,
    /// An increment by a CAS loop (retries when another thread's update lands
    /// between its load and its CAS).
    CasIncrementLoop,
    /// An Acquire load.
    Load,
    /// A Release store.
    Store,
}

impl Primitive {
    /// Every primitive, in the order the tables show them.
    pub const ALL: [Primitive; 7] = [
        Primitive::TestAndSet,
        Primitive::Swap,
        Primitive::FetchAdd,
        Primitive::CasSuccess,
        Primitive::CasIncrementLoop,
        Primitive::Load,
        Primitive::Store,
    ];

    /// Its name in tables and benchmark ids.
    pub const fn name(self) -> &'static str {
        match self {
            Primitive::TestAndSet => "test&set",
            Primitive::Swap => "swap",
            Primitive::FetchAdd => "fetch&add",
            Primitive::CasSuccess => "cas-success",
            Primitive::CasIncrementLoop => "cas-increment-loop",
            Primitive::Load => "load",
            Primitive::Store => "store",
        }
    }
}

impl std::fmt::Display for Primitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the threads apply a primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Every thread on one word, one shared cache line: contention.
    Shared,
    /// One padded line per thread, no sharing: the instruction's own cost.
    Padded,
}

impl Layout {
    /// Both layouts, in the order the tables show them.
    pub const ALL: [Layout; 2] = [Layout::Shared, Layout::Padded];
}

/// One word per line.
struct Line {
    word: CachePadded<AtomicU64>,
    bit: CachePadded<AtomicBool>,
}

impl Line {
    fn new() -> Self {
        Line {
            word: CachePadded::new(AtomicU64::new(0)),
            bit: CachePadded::new(AtomicBool::new(false)),
        }
    }
}

#[inline]
fn apply(primitive: Primitive, line: &Line) {
    // The orderings are those the protocols use: AcqRel read-modify-writes,
    // Acquire loads, Release stores.
    match primitive {
        Primitive::TestAndSet => {
            black_box(line.bit.swap(true, Ordering::AcqRel));
        }
        Primitive::Swap => {
            black_box(line.word.swap(1, Ordering::AcqRel));
        }
        Primitive::FetchAdd => {
            black_box(line.word.fetch_add(1, Ordering::AcqRel));
        }
        // 0 → 0 always succeeds, yet takes the line exclusively like any CAS.
        Primitive::CasSuccess => {
            black_box(
                line.word.compare_exchange(0, 0, Ordering::AcqRel, Ordering::Acquire).is_ok(),
            );
        }
        Primitive::CasIncrementLoop => {
            let mut cur = line.word.load(Ordering::Relaxed);
            // A CAS loop increment; Relaxed failure: the loop retries on what it found.
            while let Err(found) = line.word.compare_exchange_weak(
                cur,
                cur.wrapping_add(1),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                cur = found;
            }
        }
        Primitive::Load => {
            black_box(line.word.load(Ordering::Acquire));
        }
        Primitive::Store => line.word.store(1, Ordering::Release),
    }
}

/// Time for `threads` threads to apply `primitive` `ops` times each, on one
/// line for all ([`Layout::Shared`]) or on their own ([`Layout::Padded`]).
///
/// # Errors
/// A thread that cannot be started.
pub fn time(
    primitive: Primitive,
    threads: usize,
    ops: usize,
    layout: Layout,
) -> Result<Duration, ConsensusError> {
    let shared = layout == Layout::Shared;
    // Fresh lines for every run: the CAS 0 → 0 needs its word at 0.
    let lines: Vec<Line> = (0..if shared { 1 } else { threads }).map(|_| Line::new()).collect();
    // One item per thread's run; the "batch" is the whole run (one start barrier).
    let (elapsed, _) = racing::time(threads, &[()], 1, |t, _| {
        let line = &lines[if shared { 0 } else { t }];
        for _ in 0..ops {
            apply(primitive, line);
        }
        false
    })?;
    Ok(elapsed)
}
