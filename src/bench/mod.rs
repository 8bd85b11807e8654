//! Contention workloads shared by the CLI and the criterion benches.
//!
//! For now: the uncontended decision on fresh instances. The instances are
//! allocated before the clock starts; one thread decides each of them once.

use crate::consensus::{Consensus, ConsensusError, IdConsensus, Proposals};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Time for thread 0 to decide `instances` fresh instances built by `make`.
///
/// # Errors
/// A failure of `make` or of a decision (which a correct protocol never has).
pub fn uncontended<C, F>(make: F, instances: usize) -> Result<Duration, ConsensusError>
where
    C: IdConsensus,
    F: Fn() -> Result<C, ConsensusError>,
{
    let slots: Vec<Proposals<u64, C>> =
        (0..instances).map(|_| make().map(Proposals::new)).collect::<Result<_, _>>()?;
    let start = Instant::now();
    for (i, slot) in slots.iter().enumerate() {
        black_box(slot.decide(0, i as u64)?);
    }
    let elapsed = start.elapsed();
    drop(slots);
    Ok(elapsed)
}
