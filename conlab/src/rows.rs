//! The rows of `conlab bench`: what `bench` measures and `plot` draws, in a
//! module of their own so that neither of the two imports the other's data.

use consensus_lab::bench::{Group, Stats};
use std::time::Duration;

/// One measured figure.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct Row {
    /// What it is of; serialized as its name: `protocol` (through
    /// `Consensus::decide`), `handles` (the same protocol through proposer
    /// handles), `baseline`, or `primitive/shared` / `primitive/padded`.
    pub group: Group,
    /// The protocol, baseline or primitive.
    pub name: String,
    /// Paxos variants: the acceptors of every instance (`None` for the rest).
    pub acceptors: Option<usize>,
    /// Threads.
    pub threads: usize,
    /// More threads than cores.
    pub oversubscribed: bool,
    /// Its threads were pinned to cores (`--pin`).
    pub pinned: bool,
    /// A contended figure (2 threads or more) on a machine whose calibration
    /// found that threads do not really run side by side: it measures the
    /// scheduler (see the report's `calibration`).
    pub unreliable: bool,
    /// Median ns per decision (per instance, all threads deciding) or per op.
    pub median_ns: f64,
    /// Fastest run.
    pub min_ns: f64,
    /// Slowest run.
    pub max_ns: f64,
    /// Every run, in the order they were taken.
    pub samples_ns: Vec<f64>,
    /// Decisions (or operations) per second, all threads together.
    pub per_second: f64,
    /// Median over the reference in the same run at the same thread count:
    /// `raw-cas` for protocols and baselines, `cas-success` on the same layout
    /// for primitives.
    pub ratio: Option<f64>,
    /// For a protocol held to its own raw sequence (`raw-tas` for
    /// `test-and-set`, `mutex-parking-lot` for `lock-parking-lot`, ...): its name.
    pub raw: Option<String>,
    /// Median over that raw sequence's, same run, same threads: the target ratio.
    pub raw_ratio: Option<f64>,
    /// `bench multi-paxos` and `bench zab`: each command's latency (submit call to return),
    /// median and 99th percentile over every command of every run,
    /// nanoseconds (HdrHistogram, 3 significant digits).
    pub p50_ns: Option<f64>,
    /// See `p50_ns`.
    pub p99_ns: Option<f64>,
    /// `bench multi-paxos` and `bench zab`: replica writes per command
    /// (Multi-Paxos's successful accepts, Zab's broadcast writes at
    /// follower regions), counted by the log over every run.
    pub rmws_per_command: Option<f64>,
    /// `bench epaxos`: the conflict rate of the row's workload.
    pub conflict: Option<f64>,
    /// `bench epaxos`: the share of EPaxos's commands that took the fast
    /// path, over every run (`None` for Multi-Paxos's rows).
    pub fast_share: Option<f64>,
}

/// The row of `s`, measured at `threads` threads on `cores` cores: the times
/// per unit (`per`: instances, each decided by all threads, or operations per
/// thread) and `units` (decisions or operations, all threads together) per
/// second; no ratios yet.
pub(crate) fn row(
    group: Group,
    name: &str,
    threads: usize,
    cores: usize,
    per: usize,
    units: f64,
    s: Stats,
) -> Row {
    let ns = |d: Duration| d.as_nanos() as f64 / per.max(1) as f64;
    Row {
        group,
        name: name.into(),
        acceptors: None,
        threads,
        oversubscribed: threads > cores,
        pinned: false,
        unreliable: false,
        median_ns: ns(s.median),
        min_ns: ns(s.min),
        max_ns: ns(s.max),
        samples_ns: s.samples.iter().copied().map(ns).collect(),
        per_second: units / s.median.as_secs_f64().max(1e-12),
        ratio: None,
        raw: None,
        raw_ratio: None,
        p50_ns: None,
        p99_ns: None,
        rmws_per_command: None,
        conflict: None,
        fast_share: None,
    }
}
