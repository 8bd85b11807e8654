//! Benchmark workloads, shared by `conlab bench` and the criterion benches.
//!
//! Method (what held up on 2-vCPU machines, see DESIGN.md):
//! * instances are allocated before the clock starts, in chunks of at most
//!   [`CHUNK`], and each is decided once: fresh instances, mostly cache-resident;
//! * racing threads start together and meet at a spinning barrier every `batch`
//!   instances, so they stay on the same instance instead of drifting apart;
//! * protocols are timed both ways in: [`Consensus::decide`] (id checked,
//!   slot claimed on every call) and proposer handles
//!   ([`Proposals::proposers`], handed out before the clock starts);
//! * the wall time from the first barrier to the last thread's end is the
//!   measurement; per instance it is "ns per decision" (all threads decided it),
//!   and `threads × instances / time` is decisions per second;
//! * every figure is the median of `repeat` runs, with the min and max;
//! * the machine, the cores, and whether the thread count oversubscribes them
//!   are part of every result.

pub mod baselines;
pub mod calibrate;
pub mod cores;
pub mod epaxos;
pub mod log;
pub mod ops;
pub mod primitives;
pub mod racing;
pub mod run;
pub mod universal;

pub use primitives::{Layout, Primitive};

use crate::consensus::protocol::{self, Params, Protocol};
use crate::consensus::{Consensus, ConsensusError, IdConsensus, Proposals, Proposer};
use crate::registry::{Entry, Visit};
use crate::threads::median;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Most instances allocated at once.
pub const CHUNK: usize = 1 << 14;

/// Runs `time` over `instances` fresh items built by `make`, allocated
/// `CHUNK` at a time outside the timed region; returns the summed times.
///
/// # Errors
/// A failure of `make` or of `time`.
pub fn chunked<I>(
    instances: usize,
    make: impl Fn() -> Result<I, ConsensusError>,
    mut time: impl FnMut(&mut [I]) -> Result<Duration, ConsensusError>,
) -> Result<Duration, ConsensusError> {
    let mut total = Duration::ZERO;
    let mut left = instances;
    while left > 0 {
        let n = left.min(CHUNK);
        left -= n;
        let mut items: Vec<I> = (0..n).map(|_| make()).collect::<Result<_, _>>()?;
        total += time(&mut items)?;
    }
    Ok(total)
}

/// Time for thread 0 to decide `instances` fresh instances built by `make`.
///
/// # Errors
/// A failure of `make` or of a decision (which a correct protocol never has).
pub fn uncontended<C, F>(make: F, instances: usize) -> Result<Duration, ConsensusError>
where
    C: IdConsensus,
    F: Fn() -> Result<C, ConsensusError>,
{
    chunked(
        instances,
        || make().map(Proposals::<u64, C>::new),
        |slots| {
            let start = Instant::now();
            for (i, slot) in slots.iter().enumerate() {
                black_box(slot.decide(0, i as u64)?);
            }
            Ok(start.elapsed())
        },
    )
}

/// Time for `threads` threads racing on `instances` fresh instances built by
/// `make` (all threads decide every instance), barriers every `batch`.
///
/// # Errors
/// A failure of `make`, of a decision, or of starting a thread.
pub fn contended<C, F>(
    make: F,
    threads: usize,
    instances: usize,
    batch: usize,
) -> Result<Duration, ConsensusError>
where
    C: IdConsensus,
    F: Fn() -> Result<C, ConsensusError>,
{
    if threads <= 1 {
        return uncontended(make, instances);
    }
    chunked(
        instances,
        || make().map(Proposals::<u64, C>::new),
        |slots| {
            let (elapsed, errors) = racing::time(threads, slots, batch, |t, slot| {
                slot.decide(t, t as u64).map(|v| black_box(*v)).is_err()
            })?;
            failures_are_errors(errors)?;
            Ok(elapsed)
        },
    )
}

/// Like [`contended`] (1 thread: [`uncontended`]), through proposer handles:
/// every instance's handles are handed out before the clock starts, and thread
/// `t` consumes handle `t` of each instance.
///
/// # Errors
/// A failure of `make`, of a decision, or of starting a thread.
pub fn contended_handles<C, F>(
    make: F,
    threads: usize,
    instances: usize,
    batch: usize,
) -> Result<Duration, ConsensusError>
where
    C: IdConsensus,
    F: Fn() -> Result<C, ConsensusError>,
{
    chunked(
        instances,
        || make().map(Proposals::<u64, C>::new),
        |slots| {
            let threads = threads.max(1);
            let mut per_thread: Vec<Vec<Proposer<'_, u64, C>>> =
                (0..threads).map(|_| Vec::with_capacity(slots.len())).collect();
            for slot in slots.iter_mut() {
                for (t, h) in slot.proposers()?.into_iter().take(threads).enumerate() {
                    per_thread[t].push(h);
                }
            }
            if threads == 1 {
                let handles = per_thread.pop().unwrap_or_default();
                let start = Instant::now();
                for (i, h) in handles.into_iter().enumerate() {
                    black_box(h.decide(i as u64)?);
                }
                return Ok(start.elapsed());
            }
            let (elapsed, errors) = racing::time_owned(per_thread, batch, |t, h| {
                h.decide(t as u64).map(|v| black_box(*v)).is_err()
            })?;
            failures_are_errors(errors)?;
            Ok(elapsed)
        },
    )
}

/// How the benchmark calls a protocol: its rows are in group
/// [`Group::Protocol`]`(path)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// [`Consensus::decide`]: the id checked and the slot claimed on every call
    /// ([`contended`]). Group name `protocol`.
    Decide,
    /// Proposer handles handed out before the clock starts
    /// ([`contended_handles`]). Group name `handles`.
    Handles,
}

impl Path {
    /// Both paths, in the order the tables show them.
    pub const ALL: [Path; 2] = [Path::Decide, Path::Handles];
}

/// What a measured figure is of: the `group` column of `conlab bench` (text,
/// JSON and CSV alike) and the group of a criterion benchmark id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// A protocol, timed through `path`: `protocol` ([`Path::Decide`]) or
    /// `handles` ([`Path::Handles`]).
    Protocol(Path),
    /// What a user would pick instead ([`baselines`]): `baseline`.
    Baseline,
    /// An atomic primitive ([`primitives`]) on a layout: `primitive/shared` or
    /// `primitive/padded`.
    Primitive(Layout),
    /// A concurrent object: the universal construction or what a user would
    /// pick instead ([`universal`]): `universal`.
    Universal,
    /// A replicated log's stable-leader commands and failover ([`log`]):
    /// the log's name, `multi-paxos` or `zab`.
    Log(log::Log),
    /// EPaxos beside Multi-Paxos on the key-value conflict workload
    /// ([`epaxos`]): `epaxos`.
    Epaxos,
}

impl Group {
    /// The group's name in every output (it serializes as this string).
    pub const fn name(self) -> &'static str {
        match self {
            Group::Protocol(Path::Decide) => "protocol",
            Group::Protocol(Path::Handles) => "handles",
            Group::Baseline => "baseline",
            Group::Primitive(Layout::Shared) => "primitive/shared",
            Group::Primitive(Layout::Padded) => "primitive/padded",
            Group::Universal => "universal",
            Group::Log(l) => l.name(),
            Group::Epaxos => "epaxos",
        }
    }
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Group {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// [`contended`] or [`contended_handles`] (by `path`) on fresh instances of
/// `entry`'s protocol built from `params` (`params.threads` threads race),
/// monomorphized through the registry's visitor.
///
/// # Errors
/// Parameters the protocol refuses, and the errors of the timing.
pub fn time_entry(
    entry: Entry,
    params: &Params,
    path: Path,
    instances: usize,
    batch: usize,
) -> Result<Duration, ConsensusError> {
    struct Time<'a> {
        params: &'a Params,
        path: Path,
        instances: usize,
        batch: usize,
    }
    impl Visit for Time<'_> {
        type Output = Result<Duration, ConsensusError>;
        fn visit<P: Protocol>(self) -> Self::Output {
            let Time { params, path, instances, batch } = self;
            protocol::check::<P>(params)?;
            let make = || P::build(params);
            match path {
                Path::Decide => contended(make, params.threads, instances, batch),
                Path::Handles => contended_handles(make, params.threads, instances, batch),
            }
        }
    }
    entry.visit(Time { params, path, instances, batch })
}

fn failures_are_errors(errors: usize) -> Result<(), ConsensusError> {
    if errors > 0 {
        return Err(ConsensusError::InvalidConfig(format!(
            "{errors} decisions failed during the benchmark"
        )));
    }
    Ok(())
}

/// Median ([`median`]: for an even `repeat`, the mean of the two
/// middle runs), min and max of `repeat` measurements of `run`.
///
/// # Errors
/// The first failure of `run`.
pub fn repeated(
    repeat: usize,
    mut run: impl FnMut() -> Result<Duration, ConsensusError>,
) -> Result<Stats, ConsensusError> {
    let samples: Vec<Duration> = (0..repeat.max(1)).map(|_| run()).collect::<Result<_, _>>()?;
    let mut v = samples.clone();
    let median = median(&mut v); // sorts v
    Ok(Stats { median, min: v[0], max: v[v.len() - 1], samples })
}

/// The spread of repeated measurements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stats {
    /// The median.
    pub median: Duration,
    /// The fastest.
    pub min: Duration,
    /// The slowest.
    pub max: Duration,
    /// Every measurement, in the order they were taken.
    pub samples: Vec<Duration>,
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn groups_and_primitives_keep_their_names() {
        let groups: Vec<&str> = Path::ALL
            .map(Group::Protocol)
            .into_iter()
            .chain([Group::Baseline])
            .chain(Layout::ALL.map(Group::Primitive))
            .chain([Group::Universal])
            .chain(log::Log::ALL.map(Group::Log))
            .map(Group::name)
            .collect();
        assert_eq!(
            groups,
            [
                "protocol",
                "handles",
                "baseline",
                "primitive/shared",
                "primitive/padded",
                "universal",
                "multi-paxos",
                "zab"
            ]
        );
        assert_eq!(Group::Primitive(Layout::Padded).to_string(), "primitive/padded");
        let names: Vec<&str> = Primitive::ALL.map(Primitive::name).to_vec();
        assert_eq!(
            names,
            ["test&set", "swap", "fetch&add", "cas-success", "cas-increment-loop", "load", "store"]
        );
    }

    #[test]
    fn every_primitive_runs_on_both_layouts() {
        for layout in Layout::ALL {
            for p in Primitive::ALL {
                assert!(primitives::time(p, 2, 100, layout).is_ok(), "{p} {layout:?}");
            }
        }
    }

    #[test]
    fn repeated_reports_the_median_min_and_max() {
        let mut times = [5, 1, 4, 2].map(Duration::from_millis).into_iter();
        let s = repeated(4, || Ok(times.next().unwrap_or_default())).unwrap();
        assert_eq!(s.median, Duration::from_micros(3_000));
        assert_eq!((s.min, s.max), (Duration::from_millis(1), Duration::from_millis(5)));
        assert_eq!(s.samples, [5, 1, 4, 2].map(Duration::from_millis), "in run order");
    }
}
