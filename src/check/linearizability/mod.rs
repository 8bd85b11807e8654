//! A linearizability checker, generic over a sequential specification.
//!
//! A [`History`] is a set of operations, each with its invocation time and, if
//! it returned, its response time and return value. The history is
//! *linearizable* if the operations can be put in one sequence that (1) respects
//! real time: an operation that returned before another was invoked comes first;
//! (2) replays correctly against the [`Model`]: each completed operation's step
//! accepts what it returned for real. An operation that never returned (its
//! thread crashed or stalled: Jepsen's `:info`) may have taken effect or not:
//! it may be placed anywhere after its invocation, or left out.
//!
//! **Algorithm**: Wing & Gong's search with Lowe's memoization. Operations are
//! sorted by invocation time. A depth-first search extends a linearized prefix
//! with any operation that is *minimal*: invoked before every not-yet-linearized
//! operation returned. Each step asks the model whether the operation, with what
//! it returned, may run on the current state, and which states it may leave
//! (more than one for a non-deterministic model). A pair (set of linearized
//! operations, state) seen before is not explored again: that is what makes
//! histories of thousands of operations tractable when only a few are
//! concurrent at any moment. The search succeeds when every completed
//! operation is linearized; the order it found is the [`Witness`].
//!
//! **Ties.** A return and a call with the same timestamp are *concurrent* by
//! default ([`Ties::Concurrent`], porcupine's rule): `a` precedes `b` only if
//! `a` returned strictly before `b` was invoked. So write(1) in [0, 5] and a
//! read returning the initial value in [5, 6] are linearizable (the read first).
//! [`Ties::Ordered`] makes the return come first (for a clock that never
//! stamps two events alike, such as the workload's counter, both rules agree).
//! A return stamped before its own call is read as a return at the call.
//!
//! **Cost.** The search explores each (linearized set, state) pair at most
//! once, and from each tries every candidate (the operations that may come
//! next: at most the operations open at that point, plus crashed ones) with
//! each of its successor states; so its work is bounded by the number of
//! reachable pairs, exponential in the worst case (2^n sets times the states),
//! and close to n when few operations overlap. Each step costs a model step, a
//! hash of the linearized set (n/64 words) and of the state, and, only for a
//! new pair, one copy of the set: the
//! memo is probed with borrowed data (`memo.rs`) and states are shared
//! behind `Rc` ([`model`] explains why a step returns a `Cow`). Linear in
//! practice when few operations overlap and each
//! operation's effect is settled soon (registers, read-modify-writes). The
//! general problem is NP-complete, and a queue shows why: the order of two
//! concurrent enqueues is only settled when their values are dequeued, so a
//! workload that lets the queue grow long makes the search carry every
//! unresolved order. Every check has a [`Budget`] (time, memo entries, memo
//! bytes: 1 GiB by default) and answers [`Verdict::Unknown`] with its
//! [`Stats`] when it runs out, never an abort.
//!
//! **Partitions.** A history of independent objects (a key-value store, key
//! by key) is linearizable iff each object's sub-history is (locality, Herlihy
//! & Wing; P-compositionality, Horn & Kroening). `check_partitioned` checks
//! the partitions in parallel on rayon and stops at the first one that is not
//! linearizable, naming it.
//!
//! Cross-checked against stateright's `LinearizabilityTester` in
//! `tests/linearizability.rs`. Measured figures are in
//! `docs/src/linearizability.md`.

#[cfg(not(loom))]
pub mod edn;
#[cfg(not(loom))]
pub mod events;
#[cfg(not(loom))]
pub mod generate;
pub mod html;
mod memo;
pub mod model;
#[cfg(not(loom))]
pub mod models;
#[cfg(not(loom))]
mod partition;
mod search;
pub mod verdict;

pub use model::Model;
#[cfg(not(loom))]
pub use partition::check_partitioned;
pub use verdict::{
    Budget, Exhausted, NotLinearizable, Options, Stats, Ties, Unknown, Verdict, Witness,
};

use std::time::Instant;

/// One operation of a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation<Op, Ret> {
    /// The thread (process) that performed it.
    pub thread: usize,
    /// The operation and its arguments.
    pub op: Op,
    /// When it was invoked (any clock that respects real time: a global counter).
    pub call: u64,
    /// When it returned and what it returned; `None` if it never returned.
    pub ret: Option<(u64, Ret)>,
}

/// A concurrent history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History<Op, Ret> {
    /// The operations, in any order.
    pub ops: Vec<Operation<Op, Ret>>,
}

impl<Op, Ret> Default for History<Op, Ret> {
    fn default() -> Self {
        History { ops: Vec::new() }
    }
}

/// Checks `history` against `model` with the default [`Options`] (concurrent
/// ties, a 1 GiB memo budget).
pub fn check<M: Model>(model: &M, history: &History<M::Op, M::Ret>) -> Verdict<M::Op, M::Ret> {
    check_with(model, history, &Options::default())
}

/// Checks `history` against `model`.
pub fn check_with<M: Model>(
    model: &M,
    history: &History<M::Op, M::Ret>,
    options: &Options,
) -> Verdict<M::Op, M::Ret> {
    let deadline = options.budget.time.map(|t| Instant::now() + t);
    let ops = sorted(history, 0..history.ops.len());
    let (found, stats) = search::search(model, &ops, options, deadline, &|| false);
    verdict(history, found, stats, None)
}

/// The operations `ids` of `history`, with their ids, sorted by call time.
fn sorted<Op, Ret>(
    history: &History<Op, Ret>,
    ids: impl IntoIterator<Item = usize>,
) -> Vec<(usize, &Operation<Op, Ret>)> {
    let mut ops: Vec<_> = ids.into_iter().map(|i| (i, &history.ops[i])).collect();
    ops.sort_by_key(|(i, o)| (o.call, *i));
    ops
}

/// A search's answer as a verdict on `history`.
fn verdict<Op: Clone, Ret: Clone>(
    history: &History<Op, Ret>,
    found: search::Found,
    stats: Stats,
    partition: Option<String>,
) -> Verdict<Op, Ret> {
    use search::Found;
    let unknown =
        |reason| Verdict::Unknown(Unknown { reason, partition: partition.clone(), stats });
    match found {
        Found::Linearizable(order) => Verdict::Linearizable(Witness { order, stats }),
        Found::Not { prefix, stuck } => {
            let ops = |ids: &[usize]| ids.iter().map(|&i| history.ops[i].clone()).collect();
            Verdict::NotLinearizable(NotLinearizable {
                prefix: ops(&prefix),
                stuck: ops(&stuck),
                prefix_ids: prefix,
                stuck_ids: stuck,
                partition: partition.clone(),
                stats,
            })
        }
        Found::Unknown(reason) => unknown(reason),
        Found::Cancelled => unknown(Exhausted::Cancelled),
    }
}

#[cfg(test)]
mod tests;
#[cfg(all(test, not(loom)))]
mod tests_external;
#[cfg(all(test, not(loom)))]
mod tests_files;
