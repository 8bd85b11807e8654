//! Racing threads over an array: the timing harness of the contended workloads.

use crate::check::barrier::SpinBarrier;
use crate::check::stress::race;
use crate::consensus::ConsensusError;
use std::time::{Duration, Instant};

/// `threads` threads each run `op(t, item)` on every item, in order, meeting
/// at a spinning barrier before every `batch` items. Returns the wall time from
/// the first barrier to the last thread's finish, and how many calls returned
/// `true` (failures, for the caller to report).
///
/// # Errors
/// A thread that cannot be started.
pub fn time<I: Sync>(
    threads: usize,
    items: &[I],
    batch: usize,
    op: impl Fn(usize, &I) -> bool + Sync,
) -> Result<(Duration, usize), ConsensusError> {
    let batch = batch.max(1);
    let barrier = SpinBarrier::new(threads);
    let start_barrier = SpinBarrier::new(threads);
    let results = race(threads, |t| {
        start_barrier.wait();
        let start = Instant::now();
        let mut failures = 0;
        for chunk in items.chunks(batch) {
            barrier.wait();
            for item in chunk {
                failures += usize::from(op(t, item));
            }
        }
        (start, Instant::now(), failures)
    })?;
    let start = results.iter().map(|r| r.0).min().unwrap_or_else(Instant::now);
    let end = results.iter().map(|r| r.1).max().unwrap_or(start);
    Ok((end - start, results.iter().map(|r| r.2).sum()))
}
