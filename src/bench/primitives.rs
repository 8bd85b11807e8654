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
pub const PRIMITIVES: &[&str] =
    &["test&set", "swap", "fetch&add", "cas-success", "cas-increment-loop", "load", "store"];

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
fn apply(primitive: usize, line: &Line) {
    // The orderings are those the protocols use: AcqRel read-modify-writes,
    // Acquire loads, Release stores.
    match primitive {
        0 => {
            black_box(line.bit.swap(true, Ordering::AcqRel));
        }
        1 => {
            black_box(line.word.swap(1, Ordering::AcqRel));
        }
        2 => {
            black_box(line.word.fetch_add(1, Ordering::AcqRel));
        }
        // 0 → 0 always succeeds, yet takes the line exclusively like any CAS.
        3 => {
            black_box(
                line.word.compare_exchange(0, 0, Ordering::AcqRel, Ordering::Acquire).is_ok(),
            );
        }
        4 => {
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
        5 => {
            black_box(line.word.load(Ordering::Acquire));
        }
        _ => line.word.store(1, Ordering::Release),
    }
}

/// Time for `threads` threads to apply primitive number `primitive` (an index
/// into [`PRIMITIVES`]) `ops` times each, on one `shared` line or on their own.
///
/// # Errors
/// An unknown primitive, or a thread that cannot be started.
pub fn time(
    primitive: usize,
    threads: usize,
    ops: usize,
    shared: bool,
) -> Result<Duration, ConsensusError> {
    if primitive >= PRIMITIVES.len() {
        return Err(ConsensusError::InvalidConfig(format!("no primitive number {primitive}")));
    }
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
