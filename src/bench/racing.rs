//! Racing threads over an array: the timing harness of the contended workloads.

use crate::consensus::ConsensusError;
use crate::sync::StdMutex;
use crate::threads::race;
use crate::threads::SpinBarrier;
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
    lockstep(
        threads,
        items.len().div_ceil(batch),
        |_| items.chunks(batch),
        |t, chunks| chunks.next().map_or(0, |c| c.iter().filter(|i| op(t, i)).count()),
    )
}

/// Like [`time`], but thread `t` owns `per_thread[t]` and consumes its items
/// (proposer handles, whose `decide` takes `self`). Every thread gets the same
/// number of items: item `k` of each belongs to instance `k`.
///
/// # Errors
/// A thread that cannot be started, or lists of different lengths.
pub fn time_owned<I: Send>(
    per_thread: Vec<Vec<I>>,
    batch: usize,
    op: impl Fn(usize, I) -> bool + Sync,
) -> Result<(Duration, usize), ConsensusError> {
    let batch = batch.max(1);
    let n = per_thread.first().map_or(0, Vec::len);
    if per_thread.iter().any(|v| v.len() != n) {
        return Err(ConsensusError::InvalidConfig(
            "every racing thread needs one item per instance".into(),
        ));
    }
    let threads = per_thread.len();
    let cells: Vec<StdMutex<Vec<I>>> = per_thread.into_iter().map(StdMutex::new).collect();
    lockstep(
        threads,
        n.div_ceil(batch),
        // Taken once by each thread, before the start barrier (not timed).
        |t| std::mem::take(&mut *cells[t].lock().unwrap_or_else(|p| p.into_inner())).into_iter(),
        |t, items| items.by_ref().take(batch).map(|i| usize::from(op(t, i))).sum(),
    )
}

/// The lockstep skeleton: each thread builds its state with `init(t)`, waits
/// for the others, then runs `batches` batches (`step(t, state)` returns its
/// failures), meeting the others at a spinning barrier before each. Returns
/// the wall time from the first thread's start to the last one's end, and the
/// failures.
///
/// # Errors
/// A thread that cannot be started.
pub fn lockstep<S>(
    threads: usize,
    batches: usize,
    init: impl Fn(usize) -> S + Sync,
    step: impl Fn(usize, &mut S) -> usize + Sync,
) -> Result<(Duration, usize), ConsensusError> {
    let barrier = SpinBarrier::new(threads);
    let start_barrier = SpinBarrier::new(threads);
    let results = race(threads, |t| {
        let mut state = init(t);
        start_barrier.wait();
        let start = Instant::now();
        let mut failures = 0;
        for _ in 0..batches {
            barrier.wait();
            failures += step(t, &mut state);
        }
        (start, Instant::now(), failures)
    })?;
    let start = results.iter().map(|r| r.0).min().unwrap_or_else(Instant::now);
    let end = results.iter().map(|r| r.1).max().unwrap_or(start);
    Ok((end - start, results.iter().map(|r| r.2).sum()))
}
