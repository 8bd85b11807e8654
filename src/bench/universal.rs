//! Herlihy's universal construction against what a user would pick instead:
//! `conlab bench universal` and the criterion group `universal`.
//!
//! **What is measured.** Operations of one concurrent object, all threads
//! submitting at once: wall time from the first thread's start to the last
//! one's end, over every operation of every thread. "ns per operation" is that
//! time over the operations of all threads together (at 1 thread: the latency
//! of one operation; at N threads: the inverse of the throughput), and
//! "operations per second" is its inverse.
//!
//! **The objects** ([`Workload`]):
//!
//! * the **queue**: each thread alternates `enq(v)` and `deq()` (an
//!   enqueue/dequeue pair per two operations, the workload of the queue
//!   literature), so the queue never holds more than one item per thread:
//!   the universal queue's spec ([`QueueSpec`]) clones its `VecDeque` on every
//!   replayed operation, and a short queue keeps that clone what it costs in
//!   practice, a few words;
//! * the **counter**: every operation is `fetch&add(1)` ([`WordSpec`]).
//!
//! Each is measured as the universal construction over CAS slots
//! ([`CasConsensus`], any thread count) and over test&set slots
//! ([`TestAndSetConsensus`], at most 2 threads: consensus number 2), each with
//! Herlihy's helping rule ([`Helping`]: wait-free) and without it
//! ([`NoHelping`]: lock-free); beside the baselines `Mutex<VecDeque>`
//! (parking_lot), crossbeam's `SegQueue` and `ArrayQueue` (for the queue) and
//! a bare `fetch_add` on one word (for the counter: the ceiling).
//!
//! **How** (the lab's method, see [`super`]): the threads start together and
//! meet at a spinning barrier every `batch` operations ([`racing::lockstep`]),
//! so they contend for the whole run instead of drifting apart. The universal
//! object's capacity is fixed at construction, one cell per operation
//! ([`cells_for`]); a run is cut into chunks of at most [`CHUNK_OPS`]
//! operations (all threads together), each on a fresh object built **before**
//! the clock starts (construction and its allocation are not timed; a cell's
//! memory is [`cell_bytes`]) and dropped after it stops. Nothing stamps the
//! operations: the stress runner's history clock (`check::replicated::stress`)
//! is for checking, and costs two SeqCst fetch&adds on one shared word per
//! operation; here there is none. Baselines are built the same way, one fresh
//! object per chunk.
//!
//! Every operation's result is passed through `black_box`; an error of the
//! universal object (a full log, a slot failure) fails the measurement.

use super::racing;
use crate::consensus::cas::CasConsensus;
use crate::consensus::first_mover::TestAndSetConsensus;
use crate::consensus::{ConsensusError, IdConsensus, Proposals};
use crate::objects::queue::{QueueOp, QueueSpec};
use crate::objects::rmw::{WordOp, WordSpec};
use crate::objects::Spec;
use crate::rsm::universal::{Helping, NoHelping, Rules, Universal};
use crate::rsm::{Client, Replicated, RsmError};
use crate::sync::{AtomicU64, Ordering, ParkingMutex, StdMutex};
use crossbeam_queue::{ArrayQueue, SegQueue};
use std::collections::VecDeque;
use std::hint::black_box;
use std::time::Duration;

/// Most operations (all threads together) on one fresh object.
pub const CHUNK_OPS: usize = 1 << 14;

/// The object a workload runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Object {
    /// A FIFO queue: alternating `enq` and `deq`.
    Queue,
    /// A counter: `fetch&add(1)`.
    Counter,
}

impl Object {
    /// Its name in tables.
    pub const fn name(self) -> &'static str {
        match self {
            Object::Queue => "queue",
            Object::Counter => "counter",
        }
    }
}

/// The universal construction's slot protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slots {
    /// [`CasConsensus`]: any number of threads.
    Cas,
    /// [`TestAndSetConsensus`]: at most 2 threads.
    TestAndSet,
}

impl Slots {
    /// Its name in tables (the registry's protocol name).
    pub const fn name(self) -> &'static str {
        match self {
            Slots::Cas => "cas",
            Slots::TestAndSet => "test-and-set",
        }
    }

    /// Most threads the slots serve (`None`: any number).
    pub const fn max_threads(self) -> Option<usize> {
        match self {
            Slots::Cas => None,
            Slots::TestAndSet => Some(2),
        }
    }
}

/// The universal construction's proposal rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// [`Helping`]: wait-free.
    Helping,
    /// [`NoHelping`]: lock-free.
    NoHelping,
}

impl Rule {
    /// Its name in tables (the rule's [`Rules::NAME`]).
    pub const fn name(self) -> &'static str {
        match self {
            Rule::Helping => Helping::NAME,
            Rule::NoHelping => NoHelping::NAME,
        }
    }
}

/// One measured implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// The universal construction of `object` with `rule` over `slots`.
    Universal {
        /// The object.
        object: Object,
        /// Helping or not.
        rule: Rule,
        /// The slot protocol.
        slots: Slots,
    },
    /// `parking_lot::Mutex<VecDeque<usize>>`: lock, push or pop, unlock.
    MutexVecDeque,
    /// `crossbeam_queue::SegQueue<usize>`: unbounded, lock-free.
    SegQueue,
    /// `crossbeam_queue::ArrayQueue<usize>`: bounded (one slot per thread
    /// and a spare, which the alternating workload never fills), lock-free.
    ArrayQueue,
    /// A bare `fetch_add(1)` on one shared word: the ceiling of a counter.
    FetchAdd,
}

/// The name of the baseline every row's first ratio is to.
pub const MUTEX_VECDEQUE: &str = "queue/mutex-vecdeque";
/// The name of the baseline every row's second ratio is to.
pub const SEGQUEUE: &str = "queue/segqueue";

impl Workload {
    /// Every workload, in the order the tables show them: the queue's
    /// baselines, the universal queues, the counter's ceiling, the universal
    /// counters.
    pub fn all() -> Vec<Workload> {
        let universal =
            |object| {
                [Slots::Cas, Slots::TestAndSet].into_iter().flat_map(move |slots| {
                    [Rule::Helping, Rule::NoHelping]
                        .into_iter()
                        .map(move |rule| Workload::Universal { object, rule, slots })
                })
            };
        let mut v = vec![Workload::MutexVecDeque, Workload::SegQueue, Workload::ArrayQueue];
        v.extend(universal(Object::Queue));
        v.push(Workload::FetchAdd);
        v.extend(universal(Object::Counter));
        v
    }

    /// Its name in tables: `object/implementation`, e.g.
    /// `queue/universal/cas`, `counter/universal-lock-free/test-and-set`,
    /// `queue/segqueue`, `counter/fetch-add`.
    pub fn name(self) -> String {
        match self {
            Workload::Universal { object, rule, slots } => {
                format!("{}/{}/{}", object.name(), rule.name(), slots.name())
            }
            Workload::MutexVecDeque => MUTEX_VECDEQUE.into(),
            Workload::SegQueue => SEGQUEUE.into(),
            Workload::ArrayQueue => "queue/arrayqueue".into(),
            Workload::FetchAdd => "counter/fetch-add".into(),
        }
    }

    /// Most threads it serves (`None`: any number).
    pub fn max_threads(self) -> Option<usize> {
        match self {
            Workload::Universal { slots, .. } => slots.max_threads(),
            _ => None,
        }
    }

    /// Time for `threads` threads to run `ops` operations each, in lockstep
    /// every `batch` operations; the objects are built outside the timed
    /// region (see the module docs).
    ///
    /// # Errors
    /// More threads than the workload serves, a universal object's failure, a
    /// thread that cannot be started.
    pub fn time(
        self,
        threads: usize,
        ops: usize,
        batch: usize,
    ) -> Result<Duration, ConsensusError> {
        let threads = threads.max(1);
        if self.max_threads().is_some_and(|m| threads > m) {
            return Err(ConsensusError::InvalidConfig(format!(
                "{} serves at most {} threads, not {threads}",
                self.name(),
                self.max_threads().unwrap_or(0)
            )));
        }
        match self {
            Workload::Universal { object, rule, slots } => match (object, rule, slots) {
                (Object::Queue, Rule::Helping, Slots::Cas) => {
                    universal::<_, _, Helping>(queue_spec(), queue_op, cas, threads, ops, batch)
                }
                (Object::Queue, Rule::NoHelping, Slots::Cas) => {
                    universal::<_, _, NoHelping>(queue_spec(), queue_op, cas, threads, ops, batch)
                }
                (Object::Queue, Rule::Helping, Slots::TestAndSet) => {
                    universal::<_, _, Helping>(queue_spec(), queue_op, tas, threads, ops, batch)
                }
                (Object::Queue, Rule::NoHelping, Slots::TestAndSet) => {
                    universal::<_, _, NoHelping>(queue_spec(), queue_op, tas, threads, ops, batch)
                }
                (Object::Counter, Rule::Helping, Slots::Cas) => {
                    universal::<_, _, Helping>(COUNTER, counter_op, cas, threads, ops, batch)
                }
                (Object::Counter, Rule::NoHelping, Slots::Cas) => {
                    universal::<_, _, NoHelping>(COUNTER, counter_op, cas, threads, ops, batch)
                }
                (Object::Counter, Rule::Helping, Slots::TestAndSet) => {
                    universal::<_, _, Helping>(COUNTER, counter_op, tas, threads, ops, batch)
                }
                (Object::Counter, Rule::NoHelping, Slots::TestAndSet) => {
                    universal::<_, _, NoHelping>(COUNTER, counter_op, tas, threads, ops, batch)
                }
            },
            Workload::MutexVecDeque => baseline(
                threads,
                ops,
                batch,
                |n| ParkingMutex::new(VecDeque::with_capacity(n + 1)),
                |q, t, k| {
                    if k % 2 == 0 {
                        q.lock().push_back(value(t, k));
                        None
                    } else {
                        q.lock().pop_front()
                    }
                },
            ),
            Workload::SegQueue => baseline(
                threads,
                ops,
                batch,
                |_| SegQueue::new(),
                |q, t, k| {
                    if k % 2 == 0 {
                        q.push(value(t, k));
                        None
                    } else {
                        q.pop()
                    }
                },
            ),
            Workload::ArrayQueue => baseline(
                threads,
                ops,
                batch,
                |n| ArrayQueue::new(n + 1),
                |q, t, k| {
                    if k % 2 == 0 {
                        // Never full: each thread holds at most one item.
                        q.push(value(t, k)).err()
                    } else {
                        q.pop()
                    }
                },
            ),
            Workload::FetchAdd => baseline(
                threads,
                ops,
                batch,
                |_| AtomicU64::new(0),
                // Relaxed: a counter publishes nothing; its modification
                // order alone makes it linearizable.
                |c, _, _| Some(c.fetch_add(1, Ordering::Relaxed) as usize),
            ),
        }
    }
}

/// The value thread `t` enqueues at its `k`-th operation.
fn value(t: usize, k: usize) -> usize {
    (t << 32) | k
}

fn queue_spec() -> QueueSpec {
    QueueSpec::default()
}

const COUNTER: WordSpec = WordSpec { add: true, init: 0 };

/// Thread `t`'s `k`-th queue operation: `enq` at even `k`, `deq` at odd.
pub fn queue_op(t: usize, k: usize) -> QueueOp {
    if k % 2 == 0 {
        QueueOp::Enq(value(t, k))
    } else {
        QueueOp::Deq
    }
}

/// Every counter operation: `fetch&add(1)`.
pub fn counter_op(_t: usize, _k: usize) -> WordOp {
    WordOp::Rmw(1)
}

fn cas(threads: usize) -> Result<CasConsensus, ConsensusError> {
    Ok(CasConsensus::new(threads))
}

fn tas(threads: usize) -> Result<TestAndSetConsensus, ConsensusError> {
    TestAndSetConsensus::new(threads)
}

/// The cells a universal object needs for `ops` operations of `threads`
/// threads: one per operation (an operation is decided in exactly one cell:
/// a proposer replays every earlier cell before it proposes, so it never
/// proposes an operation already in the log), and `threads` spare cells.
pub fn cells_for(threads: usize, ops: usize) -> usize {
    threads * ops + threads
}

/// Bytes one log cell of a universal object over slots `C` for `threads`
/// clients and operations `Op` takes: the cell (its slot protocol `C`, the
/// `Proposals` header, the decided word), the `Proposals`' announce slots
/// (one per thread: a state byte and an `Option<u64>`), and one operation
/// slot per client (`Option<Op>`). The layout is the construction's private
/// one, mirrored from its parts' sizes; the allocator's headers are not
/// counted.
pub fn cell_bytes<C, Op>(threads: usize) -> usize {
    use std::mem::size_of;
    size_of::<Proposals<u64, C>>()
        + size_of::<AtomicU64>()
        + threads * size_of::<(u8, Option<u64>)>()
        + threads * size_of::<Option<Op>>()
}

/// [`cell_bytes`] for a workload (`None` for the baselines).
pub fn workload_cell_bytes(w: Workload, threads: usize) -> Option<usize> {
    let Workload::Universal { object, slots, .. } = w else { return None };
    Some(match (object, slots) {
        (Object::Queue, Slots::Cas) => cell_bytes::<CasConsensus, QueueOp>(threads),
        (Object::Queue, Slots::TestAndSet) => cell_bytes::<TestAndSetConsensus, QueueOp>(threads),
        (Object::Counter, Slots::Cas) => cell_bytes::<CasConsensus, WordOp>(threads),
        (Object::Counter, Slots::TestAndSet) => cell_bytes::<TestAndSetConsensus, WordOp>(threads),
    })
}

fn rsm_error(e: RsmError) -> ConsensusError {
    ConsensusError::InvalidConfig(format!("the universal object failed: {e}"))
}

/// Splits `ops` operations per thread into chunks of at most
/// [`CHUNK_OPS`] operations (all threads), as operations per thread.
fn chunks(threads: usize, ops: usize) -> impl Iterator<Item = usize> {
    let per = (CHUNK_OPS / threads).max(1);
    let mut left = ops;
    std::iter::from_fn(move || {
        (left > 0).then(|| {
            let n = left.min(per);
            left -= n;
            n
        })
    })
}

/// The universal construction of `spec` over slots `slot(threads)` with rule
/// `R`: thread `t`'s `k`-th operation is `op(t, k)`.
fn universal<S, C, R>(
    spec: S,
    op: fn(usize, usize) -> S::Op,
    slot: fn(usize) -> Result<C, ConsensusError>,
    threads: usize,
    ops: usize,
    batch: usize,
) -> Result<Duration, ConsensusError>
where
    S: Spec + Clone + Send + Sync + 'static,
    S::Op: Sync,
    C: IdConsensus + Send + 'static,
    R: Rules,
{
    let batch = batch.max(1);
    let mut total = Duration::ZERO;
    let mut done = 0;
    for per in chunks(threads, ops) {
        // Built before the clock starts: every cell, announce slot and
        // operation slot allocated here.
        let mut object =
            Universal::<S, C, R>::new(spec.clone(), threads, cells_for(threads, per), || {
                slot(threads)
            })
            .map_err(rsm_error)?;
        let clients = object.clients().map_err(rsm_error)?;
        let slots: Vec<StdMutex<Option<_>>> =
            clients.into_iter().map(|c| StdMutex::new(Some(c))).collect();
        let first = done;
        let (elapsed, failures) = racing::lockstep(
            threads,
            per.div_ceil(batch),
            |t| {
                // Taken before the start barrier (not timed).
                let client = slots[t].lock().unwrap_or_else(|p| p.into_inner()).take();
                (client, first)
            },
            |t, (client, k)| {
                let Some(client) = client.as_mut() else { return 1 };
                let end = (*k + batch).min(first + per);
                let mut failures = 0;
                while *k < end {
                    failures += usize::from(black_box(client.submit(op(t, *k))).is_err());
                    *k += 1;
                }
                failures
            },
        )?;
        if failures > 0 {
            return Err(ConsensusError::InvalidConfig(format!(
                "{failures} operations of the universal object failed during the benchmark"
            )));
        }
        // The object (and the clients' replicas) drop here, after the clock.
        drop(object);
        total += elapsed;
        done += per;
    }
    Ok(total)
}

/// A baseline object built by `make(threads)`; thread `t`'s `k`-th
/// operation is `run(&object, t, k)`.
fn baseline<O: Sync>(
    threads: usize,
    ops: usize,
    batch: usize,
    make: impl Fn(usize) -> O,
    run: impl Fn(&O, usize, usize) -> Option<usize> + Sync,
) -> Result<Duration, ConsensusError> {
    let batch = batch.max(1);
    let mut total = Duration::ZERO;
    let mut done = 0;
    for per in chunks(threads, ops) {
        let object = make(threads);
        let object = &object;
        let run = &run;
        let first = done;
        let (elapsed, _) = racing::lockstep(
            threads,
            per.div_ceil(batch),
            |_| first,
            |t, k| {
                let end = (*k + batch).min(first + per);
                while *k < end {
                    black_box(run(object, t, *k));
                    *k += 1;
                }
                0
            },
        )?;
        total += elapsed;
        done += per;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_the_baselines_exist() {
        let names: Vec<String> = Workload::all().iter().map(|w| w.name()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "{names:?}");
        assert_eq!(names.len(), 3 + 4 + 1 + 4);
        assert!(names.contains(&MUTEX_VECDEQUE.to_string()));
        assert!(names.contains(&SEGQUEUE.to_string()));
        assert!(names.contains(&"queue/universal/cas".to_string()), "{names:?}");
        assert!(names.contains(&"counter/universal-lock-free/test-and-set".to_string()));
    }

    #[test]
    fn chunks_cover_every_operation() {
        assert_eq!(chunks(2, 10).collect::<Vec<_>>(), [10]);
        let c: Vec<usize> = chunks(2, CHUNK_OPS + 3).collect();
        assert_eq!(c.iter().sum::<usize>(), CHUNK_OPS + 3);
        assert!(c.iter().all(|&n| n * 2 <= CHUNK_OPS), "{c:?}");
        assert_eq!(chunks(1, 0).count(), 0);
    }

    #[test]
    fn a_cell_costs_tens_of_bytes() {
        let b = cell_bytes::<CasConsensus, QueueOp>(2);
        assert!((48..=256).contains(&b), "{b}");
        assert!(workload_cell_bytes(Workload::SegQueue, 2).is_none());
    }

    /// Every workload, tiny, at 1 and 2 threads (and test&set refused at 3):
    /// it ran (a time) and every operation fit the object sized for it.
    #[test]
    fn every_workload_runs_tiny() {
        for w in Workload::all() {
            for threads in [1, 2] {
                // More than one chunk at 2 threads for the universal objects.
                let ops = if matches!(w, Workload::Universal { .. }) { 300 } else { 1000 };
                let d = w.time(threads, ops, 7).unwrap_or_else(|e| panic!("{}: {e}", w.name()));
                assert!(d > Duration::ZERO, "{}", w.name());
            }
        }
        let tas = Workload::Universal {
            object: Object::Queue,
            rule: Rule::Helping,
            slots: Slots::TestAndSet,
        };
        assert!(tas.time(3, 10, 4).is_err());
        let cas =
            Workload::Universal { object: Object::Queue, rule: Rule::Helping, slots: Slots::Cas };
        assert!(cas.time(3, 10, 4).is_ok());
    }

    /// The universal objects do what they are timed doing: after a run sized
    /// like the benchmark's, every operation is in the log, once.
    #[test]
    fn a_sized_object_holds_every_operation() {
        let (threads, per) = (2, 200);
        let mut object =
            Universal::<_, _, Helping>::new(COUNTER, threads, cells_for(threads, per), || {
                cas(threads)
            })
            .unwrap();
        let clients = object.clients().unwrap();
        std::thread::scope(|s| {
            for (t, mut c) in clients.into_iter().enumerate() {
                s.spawn(move || {
                    for k in 0..per {
                        c.submit(counter_op(t, k)).unwrap();
                    }
                });
            }
        });
        let log = object.log();
        assert_eq!(log.len(), threads * per);
        let replayed = crate::rsm::replay(object.spec(), &log);
        assert_eq!(replayed.len(), threads * per, "no duplicates");
    }
}
