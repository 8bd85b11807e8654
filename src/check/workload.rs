//! Recording histories of the objects on real threads, and checking them.
//!
//! `threads` threads start together (a spinning barrier) and each performs
//! `ops / threads` random operations on one fresh object, stamping each
//! invocation and response with a global counter (a SeqCst fetch&add on one
//! word: its order is a total order consistent with real time, which is what
//! the linearizability checker needs). The history goes to
//! [`linearizability::check`] against the object's specification.
//!
//! A history without two overlapping operations is sequential: it is
//! linearizable exactly when the specification accepts it in real-time order,
//! so checking it tests the object's sequential behaviour and nothing of its
//! concurrency. The report counts the histories that had an overlap
//! ([`LinearizabilityReport::overlapping`]); with none (1 thread, or threads
//! that took turns), [`LinearizabilityReport::inconclusive`] says so.

use crate::check::linearizability::{self, html, History, Operation, Verdict};
use crate::consensus::ConsensusError;
use crate::objects::assignment::{AssignOp, Assignment};
use crate::objects::queue::{Queue, QueueOp};
use crate::objects::register::{Register, RegisterOp};
use crate::objects::rmw::{CasOp, CompareAndSwap, FetchAdd, Swap, TasOp, TestAndSet, WordOp};
use crate::objects::{Object, Spec};
use crate::sync::{AtomicU64, Ordering};
use crate::threads::race;
use crate::threads::SpinBarrier;
use std::time::{Duration, Instant};

/// An object the workload can build and drive.
pub trait Workload: Object + Sized {
    /// A fresh object.
    fn fresh() -> Self;
    /// Operation `k` of thread `t`, from a random number `rnd`.
    fn sample(t: usize, k: usize, rnd: u64) -> <Self::Spec as Spec>::Op;
}

impl Workload for Register {
    fn fresh() -> Self {
        Register::new(0)
    }
    fn sample(t: usize, k: usize, rnd: u64) -> RegisterOp {
        if rnd % 2 == 0 {
            RegisterOp::Read
        } else {
            RegisterOp::Write(t * 1_000_000 + k)
        }
    }
}

impl Workload for TestAndSet {
    fn fresh() -> Self {
        TestAndSet::new()
    }
    fn sample(_t: usize, _k: usize, rnd: u64) -> TasOp {
        if rnd % 8 == 0 {
            TasOp::TestAndSet
        } else {
            TasOp::Read
        }
    }
}

impl Workload for Swap {
    fn fresh() -> Self {
        Swap::new(0)
    }
    fn sample(t: usize, k: usize, rnd: u64) -> WordOp {
        if rnd % 3 == 0 {
            WordOp::Read
        } else {
            WordOp::Rmw(t * 1_000_000 + k)
        }
    }
}

impl Workload for FetchAdd {
    fn fresh() -> Self {
        FetchAdd::new(0)
    }
    fn sample(_t: usize, _k: usize, rnd: u64) -> WordOp {
        if rnd % 3 == 0 {
            WordOp::Read
        } else {
            WordOp::Rmw(1 + (rnd as usize >> 8) % 3)
        }
    }
}

impl Workload for Queue {
    fn fresh() -> Self {
        Queue::new(&[])
    }
    fn sample(t: usize, k: usize, rnd: u64) -> QueueOp {
        // Two dequeues per enqueue keep the queue short: the order of two
        // concurrent enqueues is only settled when their values are dequeued,
        // and the search must carry both orders until then.
        if rnd % 3 != 0 {
            QueueOp::Deq
        } else {
            QueueOp::Enq(t * 1_000_000 + k)
        }
    }
}

impl Workload for CompareAndSwap {
    fn fresh() -> Self {
        CompareAndSwap::new(0)
    }
    fn sample(_t: usize, _k: usize, rnd: u64) -> CasOp {
        match rnd % 4 {
            0 => CasOp::Read,
            _ => CasOp::Cas { expected: (rnd as usize >> 4) % 3, new: (rnd as usize >> 8) % 3 },
        }
    }
}

impl Workload for Assignment {
    fn fresh() -> Self {
        Assignment::new(6, 3).expect("6 registers fit one object")
    }
    fn sample(t: usize, _k: usize, rnd: u64) -> AssignOp {
        let r = rnd as usize;
        if r % 2 == 0 {
            AssignOp::Read((r >> 4) % 6)
        } else {
            // Up to 3 distinct registers, all set to the thread's id.
            let first = (r >> 4) % 6;
            let count = 1 + (r >> 8) % 3;
            AssignOp::Assign((0..count).map(|k| ((first + 2 * k) % 6, t)).collect())
        }
    }
}

/// A history of operations of specification `S`.
pub type HistoryOf<S> = History<<S as Spec>::Op, <S as Spec>::Ret>;

/// Records one history of `threads × per_thread` operations on `object`.
///
/// The operation mix is reproducible: `seed` seeds one [`fastrand::Rng`], which
/// draws one seed per thread before the threads start, and thread `t`'s `k`-th
/// operation is `sample(t, k, r)` with the `k`-th number `r` of its own
/// generator. The same seed gives the same operations (not the same
/// interleaving: that is the real cores').
///
/// # Errors
/// A thread that cannot be started.
pub fn record<O: Object>(
    object: &O,
    threads: usize,
    per_thread: usize,
    seed: u64,
    sample: impl Fn(usize, usize, u64) -> <O::Spec as Spec>::Op + Sync,
) -> Result<HistoryOf<O::Spec>, ConsensusError> {
    let clock = AtomicU64::new(0);
    let barrier = SpinBarrier::new(threads);
    let mut seeds = fastrand::Rng::with_seed(seed);
    let seeds: Vec<u64> = (0..threads).map(|_| seeds.u64(..)).collect();
    let per: Vec<Vec<Operation<_, _>>> = race(threads, |t| {
        let mut rng = fastrand::Rng::with_seed(seeds[t]);
        let mut out = Vec::with_capacity(per_thread);
        barrier.wait();
        for k in 0..per_thread {
            let op = sample(t, k, rng.u64(..));
            // SeqCst: the two stamps of every operation, across all threads, fall
            // in one total order consistent with real time.
            let call = clock.fetch_add(1, Ordering::SeqCst);
            let ret = object.apply(t, &op);
            let done = clock.fetch_add(1, Ordering::SeqCst);
            out.push(Operation { thread: t, op, call, ret: Some((done, ret)) });
        }
        out
    })?;
    Ok(History { ops: per.into_iter().flatten().collect() })
}

/// The outcome of checking many histories of one object.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LinearizabilityReport {
    /// The object's name.
    pub object: &'static str,
    /// Threads per history.
    pub threads: usize,
    /// Operations per history.
    pub ops: usize,
    /// Histories recorded and checked.
    pub histories: usize,
    /// Histories that were not linearizable (must be 0).
    pub violations: usize,
    /// Histories the checker could not decide within its default budget
    /// (a 1 GiB memo).
    pub unknown: usize,
    /// Histories in which at least two operations overlapped (one invoked
    /// before the other returned): only those test concurrency.
    pub overlapping: usize,
    /// The first violation (or undecided history), rendered.
    pub example: Option<String>,
    /// The first violation as a self-contained HTML picture
    /// ([`html::render`]); not serialized.
    #[serde(skip)]
    pub picture: Option<String>,
    /// Time spent checking (not recording).
    #[serde(rename = "check_time_ms", serialize_with = "crate::threads::serialize_millis")]
    pub check_time: Duration,
}

impl LinearizabilityReport {
    /// Operations checked per second.
    pub fn ops_per_second(&self) -> f64 {
        (self.histories * self.ops) as f64 / self.check_time.as_secs_f64().max(1e-9)
    }

    /// Why the check tested no concurrency, if it did not: no violation and no
    /// history with overlapping operations.
    pub fn inconclusive(&self) -> Option<String> {
        if self.violations > 0 || self.overlapping > 0 {
            return None;
        }
        Some(if self.threads < 2 {
            "1 thread: no two operations could overlap, only the sequential \
             specification was tested"
                .to_string()
        } else {
            format!(
                "none of the {} histories had overlapping operations (the threads took \
                 turns): only the sequential specification was tested",
                self.histories
            )
        })
    }
}

/// Whether two operations of `history` overlap: one was invoked before the
/// other returned. (Sorted by invocation, an operation overlaps an earlier one
/// exactly when it was invoked before the latest return so far; operations of
/// one thread never overlap each other, so that return is another thread's.)
pub fn has_overlap<Op, Ret>(history: &History<Op, Ret>) -> bool {
    let mut spans: Vec<(u64, u64)> =
        history.ops.iter().map(|o| (o.call, o.ret.as_ref().map_or(u64::MAX, |r| r.0))).collect();
    spans.sort_unstable();
    let mut latest_return = None;
    for (call, ret) in spans {
        if latest_return.is_some_and(|r| call < r) {
            return true;
        }
        latest_return = Some(latest_return.map_or(ret, |r: u64| r.max(ret)));
    }
    false
}

/// Records and checks `histories` histories of a fresh `O` each, history `h`
/// with the operation mix of seed `h` ([`check_object_with`] with seed 0).
///
/// # Errors
/// Zero sizes, a run above the size limit, or a thread that cannot start.
pub fn check_object<O: Workload>(
    threads: usize,
    ops: usize,
    histories: usize,
) -> Result<LinearizabilityReport, ConsensusError> {
    check_object_with::<O>(threads, ops, histories, 0, &mut |_| {})
}

/// The seed of history `h`'s operation mix in a check seeded with `seed`:
/// distinct for every history of one check and, for two seeds, two distinct
/// sequences (seed 0: `h`).
pub fn history_seed(seed: u64, h: usize) -> u64 {
    // The golden-ratio increment of splitmix64 spreads seeds apart.
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ h as u64
}

/// Records and checks `histories` histories of a fresh `O` each: history `h`
/// draws its operations from [`history_seed`]`(seed, h)`, so the same seed
/// replays the same operation mix (not the same interleaving: that is the
/// cores'); `done(h)` is called after history `h` is checked (a progress bar).
///
/// # Errors
/// Zero sizes, a run above the size limit, or a thread that cannot start.
pub fn check_object_with<O: Workload>(
    threads: usize,
    ops: usize,
    histories: usize,
    seed: u64,
    done: &mut dyn FnMut(usize),
) -> Result<LinearizabilityReport, ConsensusError> {
    if threads == 0 || ops < threads || histories == 0 {
        return Err(ConsensusError::InvalidConfig(
            "threads, histories ≥ 1 and at least one operation per thread".into(),
        ));
    }
    crate::threads::check_size(1, ops.saturating_mul(histories))?;
    let mut report = LinearizabilityReport {
        object: O::INFO.name,
        threads,
        ops,
        histories,
        violations: 0,
        unknown: 0,
        overlapping: 0,
        example: None,
        picture: None,
        check_time: Duration::ZERO,
    };
    for h in 0..histories {
        let object = O::fresh();
        let history = record(&object, threads, ops / threads, history_seed(seed, h), O::sample)?;
        report.overlapping += usize::from(has_overlap(&history));
        let start = Instant::now();
        let verdict = linearizability::check(&object.spec(), &history);
        report.check_time += start.elapsed();
        match verdict {
            Verdict::Linearizable(_) => {}
            Verdict::NotLinearizable(ref e) => {
                report.violations += 1;
                report.example.get_or_insert_with(|| e.to_string());
                if report.picture.is_none() {
                    let title = format!("{}: history {h} of {threads} threads", O::INFO.name);
                    let describe = |o: &Operation<_, _>| match &o.ret {
                        Some((_, r)) => format!("t{} {:?} → {:?}", o.thread, o.op, r),
                        None => format!("t{} {:?} → (never returned)", o.thread, o.op),
                    };
                    report.picture = Some(html::render(&history, &verdict, &title, &describe));
                }
            }
            Verdict::Unknown(u) => {
                report.unknown += 1;
                report.example.get_or_insert_with(|| Verdict::<(), ()>::Unknown(u).to_string());
            }
        }
        done(h);
    }
    Ok(report)
}

/// [`check_object_with`] of one object.
pub type CheckFn = fn(
    usize,
    usize,
    usize,
    u64,
    &mut dyn FnMut(usize),
) -> Result<LinearizabilityReport, ConsensusError>;

/// A checkable object by name, for `conlab run --object`.
#[derive(Debug)]
pub struct ObjectEntry {
    /// The name on the command line.
    pub name: &'static str,
    /// Records and checks histories: [`check_object_with`] of the object,
    /// `(threads, ops per history, histories, seed, done)`.
    pub check: CheckFn,
}

/// Every object, by command-line name.
pub static OBJECTS: &[ObjectEntry] = &[
    ObjectEntry { name: "register", check: check_object_with::<Register> },
    ObjectEntry { name: "test-and-set", check: check_object_with::<TestAndSet> },
    ObjectEntry { name: "swap", check: check_object_with::<Swap> },
    ObjectEntry { name: "fetch-and-add", check: check_object_with::<FetchAdd> },
    ObjectEntry { name: "queue", check: check_object_with::<Queue> },
    ObjectEntry { name: "assignment", check: check_object_with::<Assignment> },
    ObjectEntry { name: "compare-and-swap", check: check_object_with::<CompareAndSwap> },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_records_the_same_operations() {
        let ops = |seed| {
            let history = record(&Register::fresh(), 2, 50, seed, Register::sample).unwrap();
            // Thread by thread, each in its own order (the stamps, the
            // interleaving, are the cores' and differ from run to run).
            history.ops.into_iter().map(|o| (o.thread, o.op)).collect::<Vec<_>>()
        };
        assert_eq!(ops(7), ops(7));
        assert_ne!(ops(7), ops(8));
    }

    #[test]
    fn every_history_has_its_own_seed_and_reports_when_checked() {
        assert_eq!(history_seed(0, 3), 3, "check_object's mixes: seed h for history h");
        let seeds: Vec<u64> =
            (0..4).flat_map(|s| (0..50).map(move |h| history_seed(s, h))).collect();
        let mut distinct = seeds.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), seeds.len(), "no two (seed, history) share a mix");
        let mut done = Vec::new();
        let r = check_object_with::<Register>(2, 40, 3, 9, &mut |h| done.push(h)).unwrap();
        assert_eq!(done, [0, 1, 2]);
        assert_eq!(r.histories, 3);
    }

    #[test]
    fn a_history_without_overlap_is_inconclusive() {
        let op = |thread, call, ret| Operation { thread, op: (), call, ret: Some((ret, ())) };
        let sequential = History { ops: vec![op(0, 0, 1), op(1, 2, 3), op(0, 4, 5)] };
        assert!(!has_overlap(&sequential));
        let overlapping = History { ops: vec![op(0, 0, 3), op(1, 1, 2)] };
        assert!(has_overlap(&overlapping));
        let r = check_object::<Register>(1, 100, 3).unwrap();
        assert_eq!((r.violations, r.overlapping), (0, 0));
        assert!(r.inconclusive().unwrap().contains("1 thread"), "{r:?}");
    }

    #[test]
    fn every_object_is_linearizable_at_2_and_4_threads() {
        for e in OBJECTS {
            for threads in [2, 4] {
                let r = (e.check)(threads, 400, 5, 1, &mut |_| {}).unwrap();
                assert_eq!(r.violations, 0, "{}: {:?}", e.name, r.example);
            }
        }
    }
}
