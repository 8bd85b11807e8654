//! A replicated object on real threads: every client submits its operations
//! as fast as it can, each submit stamped at its call and its return with a
//! global clock (a SeqCst fetch&add on one word: its order is a total order
//! consistent with real time, what the linearizability checker needs), and
//! the whole run is then [`judge`]d: linearizability of the history of
//! thousands of operations, log agreement, the step bound.
//!
//! A run whose operations never overlapped (1 client, or clients that took
//! turns) tested nothing concurrent: [`StressReport::inconclusive`] says so.
//! The clock's fetch&adds are the same for every object, so the time per
//! operation includes them; the benches (`bench::universal`) time without it.

use super::{judge, merge_logs, Audit, Call, Judged, RsmViolation};
use crate::objects::Spec;
use crate::rsm::{Client, OpId, Replicated, RsmProgress};
use crate::sync::{AtomicU64, Ordering};
use crate::threads::{race, Error, SpinBarrier};
use hdrhistogram::Histogram;
use std::time::{Duration, Instant};

/// What a judged run did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StressReport {
    /// Clients (threads).
    pub clients: usize,
    /// Operations that returned.
    pub ops: u64,
    /// Wall time from the start barrier to the last return.
    #[serde(rename = "elapsed_ms", serialize_with = "crate::threads::serialize_millis")]
    pub elapsed: Duration,
    /// Time the linearizability and log checks took.
    #[serde(rename = "check_ms", serialize_with = "crate::threads::serialize_millis")]
    pub check: Duration,
    /// Cells the log holds at the end.
    pub log_len: usize,
    /// The guarantee the object claims.
    pub progress: RsmProgress,
    /// Whether two operations overlapped.
    pub overlapping: bool,
    /// Operations another client's proposal put in the log.
    pub helped: u64,
    /// The most cells one operation of each client took part in.
    pub max_cells: Vec<usize>,
    /// Log entries repeating an operation already applied.
    pub duplicates: usize,
    /// Whether the linearizability checker searched the history, besides
    /// the log's certificate (histories of at most
    /// [`SEARCH_LIMIT`](super::SEARCH_LIMIT) operations).
    pub searched: bool,
    /// Each submit's wall time, call to return (the clock stamps included).
    pub latency: Latency,
    /// The protocol's own properties checked on the run and held (Zab's:
    /// [`zab_properties`](super::zab_properties)); empty for the others.
    pub properties: Vec<&'static str>,
}

/// Percentiles of the submits' wall times: every submit timed into an
/// HdrHistogram (3 significant digits: exact below 2,048 ns, within 0.1 %
/// above), one per client thread, merged after the run. The one latency
/// mechanism of the crate (`conlab rsm` and `bench::multi_paxos` alike).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Latency {
    /// Submits timed.
    pub samples: usize,
    /// Median, nanoseconds.
    pub p50_ns: u64,
    /// 99th percentile, nanoseconds.
    pub p99_ns: u64,
    /// The slowest, nanoseconds.
    pub max_ns: u64,
}

impl Latency {
    /// An empty histogram: 1 ns to 60 s, 3 significant digits.
    ///
    /// # Panics
    /// Never: the bounds are constants HdrHistogram accepts.
    pub fn histogram() -> Histogram<u64> {
        Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("constant, valid bounds")
    }

    /// Records `ns` into `h` (clamped into its range: 0 counts as 1 ns).
    pub fn record(h: &mut Histogram<u64>, ns: u64) {
        h.saturating_record(ns.max(1));
    }

    /// The percentiles `h` holds.
    pub fn of_histogram(h: &Histogram<u64>) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        Latency {
            samples: usize::try_from(h.len()).unwrap_or(usize::MAX),
            p50_ns: h.value_at_quantile(0.5),
            p99_ns: h.value_at_quantile(0.99),
            max_ns: h.max(),
        }
    }

    /// The percentiles of `times` (nanoseconds).
    pub fn of(times: impl IntoIterator<Item = u64>) -> Latency {
        let mut h = Self::histogram();
        for t in times {
            Self::record(&mut h, t);
        }
        Self::of_histogram(&h)
    }
}

impl StressReport {
    /// Whether the run tested nothing concurrent (no two operations
    /// overlapped): then "no violation" means nothing.
    pub fn inconclusive(&self) -> bool {
        !self.overlapping
    }

    /// Mean wall time per operation (all clients together).
    pub fn ns_per_op(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / self.ops.max(1) as f64
    }
}

/// A run that found a violation: what, and the evidence.
#[derive(Clone, Debug)]
pub struct StressFailure {
    /// The violated property.
    pub violation: RsmViolation,
    /// Operations in the history.
    pub ops: usize,
    /// The log's length.
    pub log_len: usize,
    /// The protocol's own properties checked and held (empty if none were
    /// checked, or one of them is the violation).
    pub properties: Vec<&'static str>,
}

impl std::fmt::Display for StressFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (in a history of {} operations, log of {} cells)",
            self.violation, self.ops, self.log_len
        )
    }
}

/// Why a stress run did not give a verdict.
#[derive(Debug, thiserror::Error)]
pub enum StressError {
    /// The clients were handed out before.
    #[error(transparent)]
    Rsm(#[from] crate::rsm::RsmError),
    /// A thread could not be started.
    #[error(transparent)]
    Threads(#[from] Error),
}

/// Runs `ops_per_client` operations on every client of `object` at once, the
/// `k`-th operation of client `t` being `op(t, k)`; then judges the run. A
/// client stops at its first error (the judge reports it).
///
/// # Errors
/// [`StressError`] if the run could not be made; `Ok(Err(_))` is a run that
/// was made and violated a property.
pub fn run<R, F>(
    object: &mut R,
    ops_per_client: usize,
    op: F,
) -> Result<Result<StressReport, StressFailure>, StressError>
where
    R: Replicated,
    F: Fn(usize, usize) -> <R::Spec as Spec>::Op + Sync,
{
    run_audited(object, ops_per_client, op, |_| Ok(Vec::new()))
}

/// As [`run`], and `audit` checks the object after the run (its protocol's
/// own properties, on a ghost record), before the judge.
///
/// # Errors
/// As [`run`].
pub fn run_audited<R, F>(
    object: &mut R,
    ops_per_client: usize,
    op: F,
    audit: Audit<R>,
) -> Result<Result<StressReport, StressFailure>, StressError>
where
    R: Replicated,
    F: Fn(usize, usize) -> <R::Spec as Spec>::Op + Sync,
{
    let clients = object.clients()?;
    let n = clients.len();
    let slots: Vec<crate::sync::StdMutex<Option<R::Client>>> =
        clients.into_iter().map(|c| crate::sync::StdMutex::new(Some(c))).collect();
    let clock = AtomicU64::new(0);
    let barrier = SpinBarrier::new(n);
    let start = Instant::now();
    type Calls<S> = Vec<Call<<S as Spec>::Op, <S as Spec>::Ret>>;
    type Returned<S> = (
        Calls<S>,
        crate::rsm::ClientStats,
        Vec<crate::rsm::LogEntry<<S as Spec>::Op>>,
        Instant,
        Histogram<u64>,
    );
    let per: Vec<Returned<R::Spec>> = race(n, |t| {
        let mut client = slots[t]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .expect("each client is taken by its own thread");
        let mut calls = Vec::with_capacity(ops_per_client);
        // Allocated before the barrier: recording allocates nothing.
        let mut times = Latency::histogram();
        barrier.wait();
        for k in 0..ops_per_client {
            let o = op(t, k);
            let began = Instant::now();
            // SeqCst: one total order of every stamp, consistent with real time.
            let call = clock.fetch_add(1, Ordering::SeqCst);
            let r = client.submit(o.clone());
            let done = clock.fetch_add(1, Ordering::SeqCst);
            Latency::record(
                &mut times,
                u64::try_from(began.elapsed().as_nanos()).unwrap_or(u64::MAX),
            );
            let failed = r.is_err();
            calls.push(Call {
                id: OpId { client: t, seq: k as u64 + 1 },
                op: o,
                call,
                ret: Some((done, r)),
            });
            if failed {
                break;
            }
        }
        let end = Instant::now();
        (calls, client.stats(), client.log(), end, times)
    })?;
    let end = per.iter().map(|p| p.3).max().unwrap_or(start);
    let stats: Vec<_> = per.iter().map(|p| p.1).collect();
    let mut logs = Vec::with_capacity(n);
    let mut calls = Vec::new();
    let mut times = Latency::histogram();
    for p in per {
        calls.extend(p.0);
        logs.push(p.2);
        // Same bounds on both sides: adding cannot fail; saturate if it did.
        if times.add(&p.4).is_err() {
            times.saturating_record(u64::MAX);
        }
    }
    let log = object.log();
    let checking = Instant::now();
    // Every replica's log agrees with the others' and with the shared log
    // (read after the threads were joined).
    logs.push(log.clone());
    let audited = audit(object);
    let properties = audited.as_ref().map_or_else(|_| Vec::new(), Clone::clone);
    let judged =
        audited.and_then(|_| merge_logs(object.spec(), &logs, object.order())).and_then(|_| {
            judge(object.spec(), &calls, &log, &stats, object.progress(), object.order())
        });
    let check = checking.elapsed();
    Ok(match judged {
        Ok(Judged { overlapping, helped, max_cells, duplicates, searched }) => Ok(StressReport {
            clients: n,
            ops: stats.iter().map(|s| s.ops).sum(),
            elapsed: end.duration_since(start),
            check,
            log_len: log.len(),
            progress: object.progress(),
            overlapping,
            helped,
            max_cells,
            duplicates,
            searched,
            latency: Latency::of_histogram(&times),
            properties,
        }),
        Err(violation) => {
            Err(StressFailure { violation, ops: calls.len(), log_len: log.len(), properties })
        }
    })
}
