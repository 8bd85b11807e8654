//! Benchmark workloads, used by the criterion benches in `benches/`.
//!
//! For now: the uncontended decision on fresh instances. Instances are allocated
//! in chunks of at most [`CHUNK`] before the clock starts for that chunk; one
//! thread decides each of them once. Chunking bounds memory for criterion's large
//! iteration counts and keeps the instances in about the same cache state
//! (mostly L2/L3-resident, freshly written by the allocation) from run to run.

use crate::consensus::{Consensus, ConsensusError, IdConsensus, Proposals};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Most instances allocated at once.
pub const CHUNK: usize = 1 << 14;

/// Time for thread 0 to decide `instances` fresh instances built by `make`.
///
/// # Errors
/// A failure of `make` or of a decision (which a correct protocol never has).
pub fn uncontended<C, F>(make: F, instances: usize) -> Result<Duration, ConsensusError>
where
    C: IdConsensus,
    F: Fn() -> Result<C, ConsensusError>,
{
    let mut total = Duration::ZERO;
    let mut left = instances;
    while left > 0 {
        let n = left.min(CHUNK);
        left -= n;
        let slots: Vec<Proposals<u64, C>> =
            (0..n).map(|_| make().map(Proposals::new)).collect::<Result<_, _>>()?;
        let start = Instant::now();
        for (i, slot) in slots.iter().enumerate() {
            black_box(slot.decide(0, i as u64)?);
        }
        total += start.elapsed();
    }
    Ok(total)
}
