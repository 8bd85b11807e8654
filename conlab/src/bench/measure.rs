//! The measurement of `conlab bench`: every protocol (through `decide` and
//! through handles) with its baselines and the primitives on one line and on
//! padded lines, at each thread count, with a progress bar.

use super::{pin_for, BenchArgs, Suite};
use crate::rows::{row, Row};
use consensus_lab::bench::baselines::{raw_for, BASELINES};
use consensus_lab::bench::epaxos;
use consensus_lab::bench::log::{self, Log};
use consensus_lab::bench::ops::{self, PaxosOps};
use consensus_lab::bench::primitives::{self, Layout, Primitive};
use consensus_lab::bench::universal::{Workload, MUTEX_VECDEQUE, SEGQUEUE};
use consensus_lab::bench::{repeated, time_entry, Group, Path as BenchPath};
use consensus_lab::check::replicated::stress::Latency;
use consensus_lab::consensus::protocol::{Knob, Params};
use consensus_lab::paxos::DEFAULT_ACCEPTORS;
use consensus_lab::registry::PROTOCOLS;
use consensus_lab::threads;

/// Measures what `args` asks for (`seed`: the run's, which also draws
/// `bench epaxos`'s puts).
///
/// # Errors
/// A failure of a workload.
pub(crate) fn measure(
    args: &BenchArgs,
    cores: usize,
    seed: u64,
) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let progress = Progress::new(args);
    let (k, ops, repeat, batch) = (
        usize::try_from(args.instances)?,
        usize::try_from(args.ops)?,
        args.repeat as usize,
        args.batch as usize,
    );
    let mut rows = Vec::new();
    for &t in &args.threads {
        let t = t as usize;
        let pin = pin_for(args.pin, t);
        let measured: Result<Vec<Row>, Box<dyn std::error::Error>> =
            threads::pinned(pin.clone(), || {
                let mut at = Vec::new();
                if args.suite == Suite::Epaxos {
                    let ops = epaxos_ops(args)?;
                    for (i, conflict) in epaxos::CONFLICTS.into_iter().enumerate() {
                        for kv in epaxos::Kv::ALL {
                            progress.show(&format!("{kv} at conflict {conflict}"), t);
                            // One seed per rate: both objects get the same puts.
                            let seed = seed ^ (i as u64 + 1);
                            at.push(epaxos_row(kv, t, ops, conflict, seed, repeat, cores)?);
                        }
                    }
                    return Ok(at);
                }
                if let Some(l) = args.suite.log() {
                    progress.show(&format!("{l} stable leader"), t);
                    at.push(stable_leader_row(l, t, log_ops(args)?, repeat, cores)?);
                    return Ok(at);
                }
                if args.suite == Suite::Universal {
                    let ops = universal_ops(args)?;
                    for w in Workload::all() {
                        if w.max_threads().is_some_and(|m| t > m) {
                            continue;
                        }
                        let name = w.name();
                        progress.show(&name, t);
                        let s = repeated(repeat, || w.time(t, ops, batch))?;
                        // ns per operation of all threads together: the
                        // wall time over t × ops operations.
                        at.push(row(
                            Group::Universal,
                            &name,
                            t,
                            cores,
                            ops * t,
                            (ops * t) as f64,
                            s,
                        ));
                    }
                    return Ok(at);
                }
                if args.suite != Suite::Primitives {
                    let dec = (k * t) as f64;
                    for b in BASELINES.iter().filter(|b| b.max_threads.is_none_or(|m| t <= m)) {
                        progress.show(b.name, t);
                        let s = repeated(repeat, || (b.time)(t, k, batch))?;
                        at.push(row(Group::Baseline, b.name, t, cores, k, dec, s));
                    }
                    for e in PROTOCOLS.iter().filter(|e| e.info().broken.is_none()) {
                        let params = Params::threads(t);
                        if e.check(&params).is_err() {
                            continue; // more threads than the protocol serves
                        }
                        progress.show(e.info().name, t);
                        let acceptors =
                            e.info().knobs.contains(&Knob::Acceptors).then_some(DEFAULT_ACCEPTORS);
                        for path in BenchPath::ALL {
                            let s = repeated(repeat, || time_entry(*e, &params, path, k, batch))?;
                            let mut r =
                                row(Group::Protocol(path), e.info().name, t, cores, k, dec, s);
                            r.acceptors = acceptors;
                            at.push(r);
                        }
                    }
                }
                if args.suite != Suite::Protocols {
                    for layout in Layout::ALL {
                        for p in Primitive::ALL {
                            progress.show(p.name(), t);
                            let s = repeated(repeat, || primitives::time(p, t, ops, layout))?;
                            let units = (ops * t) as f64;
                            at.push(row(
                                Group::Primitive(layout),
                                p.name(),
                                t,
                                cores,
                                ops,
                                units,
                                s,
                            ));
                        }
                    }
                }
                Ok(at)
            });
        for mut r in measured? {
            r.pinned = pin.is_some();
            rows.push(r);
        }
    }
    if let Some(l) = args.suite.log() {
        progress.show(&format!("{l} failover"), 2);
        let pin = pin_for(args.pin, 2);
        let timeout = std::time::Duration::from_millis(args.detect_timeout_ms);
        let ops = log_ops(args)?;
        let mut r = threads::pinned(pin.clone(), || failover_row(l, ops, timeout, repeat, cores))?;
        r.pinned = pin.is_some();
        rows.push(r);
    }
    progress.done();
    // Ratios to the reference measured in the same run.
    let reference: Vec<(Group, usize, f64)> = rows
        .iter()
        .filter(|r| reference_of(r.group) == (r.group, r.name.as_str()))
        .map(|r| (r.group, r.threads, r.median_ns))
        .collect();
    let baselines: Vec<(String, usize, f64)> = rows
        .iter()
        .filter(|r| r.group == Group::Baseline)
        .map(|r| (r.name.clone(), r.threads, r.median_ns))
        .collect();
    let universal: Vec<(String, usize, f64)> = rows
        .iter()
        .filter(|r| r.group == Group::Universal)
        .map(|r| (r.name.clone(), r.threads, r.median_ns))
        .collect();
    for r in &mut rows {
        let (want, _) = reference_of(r.group);
        r.ratio = reference
            .iter()
            .find(|(g, t, _)| *g == want && *t == r.threads)
            .map(|(_, _, ns)| r.median_ns / ns.max(1e-9));
        if r.group == Group::Universal {
            r.raw = Some(SEGQUEUE.into());
            r.raw_ratio = rows_ns(&universal, SEGQUEUE, r.threads).map(|ns| r.median_ns / ns);
        }
        if let Group::Protocol(_) = r.group {
            if let Some(raw) = raw_for(&r.name) {
                r.raw = Some(raw.into());
                r.raw_ratio = baselines
                    .iter()
                    .find(|(n, t, _)| n == raw && *t == r.threads)
                    .map(|(_, _, ns)| r.median_ns / ns.max(1e-9));
            }
        }
    }
    Ok(rows)
}

/// The median of row `name` at `threads` threads among `rows` (name,
/// threads, median ns).
fn rows_ns(rows: &[(String, usize, f64)], name: &str, threads: usize) -> Option<f64> {
    rows.iter().find(|(n, t, _)| n == name && *t == threads).map(|(_, _, ns)| ns.max(1e-9))
}

/// Operations per thread per object of `bench universal`: `--ops`, or
/// 20,000 when it was not given (its default is the primitives').
pub(super) fn universal_ops(args: &BenchArgs) -> Result<usize, std::num::TryFromIntError> {
    if args.given.iter().any(|g| g == "ops") {
        usize::try_from(args.ops)
    } else {
        Ok(UNIVERSAL_OPS)
    }
}

/// `bench universal`'s operations per thread per object unless `--ops` is given.
pub(super) const UNIVERSAL_OPS: usize = 20_000;

/// Commands per client of `bench multi-paxos` and `bench zab`: `--ops`, or
/// [`LOG_OPS`] when it was not given.
pub(super) fn log_ops(args: &BenchArgs) -> Result<usize, std::num::TryFromIntError> {
    if args.given.iter().any(|g| g == "ops") {
        usize::try_from(args.ops)
    } else {
        Ok(LOG_OPS)
    }
}

/// `bench multi-paxos`'s and `bench zab`'s commands per client unless
/// `--ops` is given.
pub(super) const LOG_OPS: usize = 20_000;

/// Puts per client of `bench epaxos`: `--ops`, or [`EPAXOS_OPS`] when it
/// was not given.
pub(super) fn epaxos_ops(args: &BenchArgs) -> Result<usize, std::num::TryFromIntError> {
    if args.given.iter().any(|g| g == "ops") {
        usize::try_from(args.ops)
    } else {
        Ok(EPAXOS_OPS)
    }
}

/// `bench epaxos`'s puts per client unless `--ops` is given.
pub(super) const EPAXOS_OPS: usize = 5_000;

/// The row of `kv` at `t` clients and conflict rate `conflict`: ns per
/// command (wall time over all commands), commands per second, latency
/// percentiles over every command of every run, region operations per
/// command and (EPaxos) the fast-path share, summed over the runs.
fn epaxos_row(
    kv: epaxos::Kv,
    t: usize,
    ops: usize,
    conflict: f64,
    seed: u64,
    repeat: usize,
    cores: usize,
) -> Result<Row, Box<dyn std::error::Error>> {
    let mut latency = Latency::histogram();
    let (mut region_ops, mut served, mut fast, mut committed) = (0u64, 0u64, 0u64, 0u64);
    let mut samples = Vec::with_capacity(repeat);
    for _ in 0..repeat.max(1) {
        let run = epaxos::run(kv, t, ops, conflict, seed)?;
        latency.add(&run.latency)?;
        region_ops += run.region_ops;
        served += run.served;
        if let Some(e) = run.epaxos {
            fast += e.fast;
            committed += e.commands;
        }
        // Scaled to `ops × t` commands at the run's rate (fillers included).
        samples.push(run.elapsed.mul_f64((ops * t) as f64 / run.commands.max(1) as f64));
    }
    let mut taken = samples.into_iter();
    let s = repeated(repeat, || Ok(taken.next().unwrap_or_default()))?;
    let mut r = row(Group::Epaxos, kv.name(), t, cores, ops * t, (ops * t) as f64, s);
    r.acceptors = Some(epaxos::REPLICAS);
    r.conflict = Some(conflict);
    r.p50_ns = Some(latency.value_at_quantile(0.5) as f64);
    r.p99_ns = Some(latency.value_at_quantile(0.99) as f64);
    r.rmws_per_command = (served > 0).then(|| region_ops as f64 / served as f64);
    r.fast_share = (committed > 0).then(|| fast as f64 / committed as f64);
    Ok(r)
}

/// The stable-leader row of log `l` at `t` clients: ns per command (wall
/// time over all commands), commands per second, the latency percentiles
/// over every command of every run, replica writes (acceptor RMWs, follower
/// region writes) per command.
fn stable_leader_row(
    l: Log,
    t: usize,
    ops: usize,
    repeat: usize,
    cores: usize,
) -> Result<Row, Box<dyn std::error::Error>> {
    let mut latency = Latency::histogram();
    let (mut writes, mut commands) = (0u64, 0u64);
    let mut samples = Vec::with_capacity(repeat);
    for _ in 0..repeat.max(1) {
        let run = log::stable_leader(l, t, ops)?;
        latency.add(&run.latency)?;
        writes += run.totals.writes;
        commands += run.totals.commands;
        // Scaled to `ops × t` commands at the run's rate (fillers included).
        samples.push(run.elapsed.mul_f64((ops * t) as f64 / run.commands.max(1) as f64));
    }
    let mut taken = samples.into_iter();
    let s = repeated(repeat, || Ok(taken.next().unwrap_or_default()))?;
    let mut r = row(Group::Log(l), STABLE_LEADER, t, cores, ops * t, (ops * t) as f64, s);
    r.acceptors = Some(log::ACCEPTORS);
    r.p50_ns = Some(latency.value_at_quantile(0.5) as f64);
    r.p99_ns = Some(latency.value_at_quantile(0.99) as f64);
    r.rmws_per_command = (commands > 0).then(|| writes as f64 / commands as f64);
    Ok(r)
}

/// The failover row of log `l` (2 clients): leader crash → next command
/// committed, one failover per run.
fn failover_row(
    l: Log,
    ops: usize,
    timeout: std::time::Duration,
    repeat: usize,
    cores: usize,
) -> Result<Row, Box<dyn std::error::Error>> {
    let mut samples = Vec::with_capacity(repeat);
    for _ in 0..repeat.max(1) {
        samples.push(log::failover(l, ops, timeout)?);
    }
    let mut taken = samples.into_iter();
    let s = repeated(repeat, || Ok(taken.next().unwrap_or_default()))?;
    let mut r = row(Group::Log(l), FAILOVER, 2, cores, 1, 1.0, s);
    r.acceptors = Some(log::ACCEPTORS);
    Ok(r)
}

/// The names of `bench multi-paxos`'s and `bench zab`'s rows.
pub(crate) const STABLE_LEADER: &str = "stable-leader";
/// See [`STABLE_LEADER`].
pub(crate) const FAILOVER: &str = "failover";

/// The row a row of `group` is compared with (its `ratio`), as (group, name):
/// `raw-cas` for protocols and baselines, `cas-success` on the same layout for
/// primitives, `Mutex<VecDeque>` for the universal suite (whose `raw` is
/// `SegQueue`).
pub(super) fn reference_of(group: Group) -> (Group, &'static str) {
    match group {
        Group::Universal => (group, MUTEX_VECDEQUE),
        // No reference row: `ratio` stays empty.
        Group::Log(_) | Group::Epaxos => (group, ""),
        Group::Primitive(_) => (group, Primitive::CasSuccess.name()),
        Group::Protocol(_) | Group::Baseline => (Group::Baseline, "raw-cas"),
    }
}

/// Atomic operations per decision at each thread count: Paxos (3
/// acceptors), Fast Paxos (3 and 4 acceptors) and coordinated Fast Paxos (4),
/// counted in one run.
///
/// # Errors
/// A failure of the run.
pub(crate) fn paxos_ops(args: &BenchArgs) -> Result<Vec<PaxosOps>, Box<dyn std::error::Error>> {
    if args.suite == Suite::Primitives {
        return Ok(Vec::new());
    }
    let k = usize::try_from(args.instances)?.min(10_000);
    let mut out = Vec::new();
    for &t in &args.threads {
        let (t, b) = (t as usize, args.batch as usize);
        out.push(ops::paxos(t, k, b)?);
        out.push(ops::fast_paxos(false, t, 3, k, b)?);
        out.push(ops::fast_paxos(false, t, 4, k, b)?);
        out.push(ops::fast_paxos(true, t, 4, k, b)?);
    }
    Ok(out)
}

/// A progress bar on stderr with an ETA (indicatif), only when stderr is a
/// terminal: one step per figure group `measure` takes.
pub(super) struct Progress {
    pub(super) bar: indicatif::ProgressBar,
}

impl Progress {
    fn new(args: &BenchArgs) -> Self {
        // One step per `show` in `measure`, with the same filters.
        let protocols = |t: usize| {
            let baselines = BASELINES.iter().filter(|b| b.max_threads.is_none_or(|m| t <= m));
            let correct = PROTOCOLS.iter().filter(|e| e.info().broken.is_none());
            baselines.count() + correct.filter(|e| e.check(&Params::threads(t)).is_ok()).count()
        };
        let primitives = Layout::ALL.len() * Primitive::ALL.len();
        let universal = |t: usize| {
            Workload::all().iter().filter(|w| w.max_threads().is_none_or(|m| t <= m)).count()
        };
        let per_thread = |t: usize| match args.suite {
            Suite::Universal => universal(t),
            Suite::Protocols => protocols(t),
            Suite::Primitives => primitives,
            Suite::All => protocols(t) + primitives,
            Suite::Cores => 0,
            Suite::MultiPaxos | Suite::Zab => 1,
            Suite::Epaxos => epaxos::CONFLICTS.len() * epaxos::Kv::ALL.len(),
        };
        let failover = usize::from(args.suite.log().is_some());
        let total: usize =
            args.threads.iter().map(|&t| per_thread(t as usize)).sum::<usize>() + failover;
        Progress { bar: crate::progress::bar(total as u64) }
    }

    fn show(&self, what: &str, threads: usize) {
        self.bar.set_message(format!("{what} at {threads} threads"));
        self.bar.inc(1);
    }

    fn done(&self) {
        self.bar.finish_and_clear();
    }
}
