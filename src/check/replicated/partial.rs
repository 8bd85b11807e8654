//! Log agreement and the log's certificate for objects that order only
//! conflicting operations ([`LogOrder::Conflicts`](crate::rsm::LogOrder):
//! EPaxos). Two replicas may execute commuting operations in different
//! orders, so "each log a prefix of the longest" is too strong; what must
//! hold is:
//!
//! * **Agreement** ([`merge`]): one order of every operation some replica
//!   executed agrees with every replica's order on each conflicting pair
//!   ([`Spec::conflicts`]). The merge is a topological sort of the union of
//!   the replicas' *conflict chains* (each operation after the last
//!   conflicting one before it in that replica's log); a cycle is a pair (or
//!   a ring) of conflicting operations the replicas order differently.
//! * **Certificate** ([`certify`]): a sequential order of the log's
//!   operations that keeps the log's order of every conflicting pair and
//!   respects real time (an operation that returned before another was
//!   called comes first), whose replay against the spec gives every
//!   returned operation what its client was told. Such an order is a
//!   linearization by definition. It is built by Kahn's algorithm over the
//!   conflict chains, real time's edges left implicit: an operation is
//!   placed once its conflicting predecessors are, and once no unplaced
//!   operation returned before it was called. Stuck means real time and the
//!   log's conflict order form a cycle (reported as one); O(n log n).
//!
//! The replay does not trust the spec's [`footprint`](Spec::footprint): the
//! certificate's order is replayed as it is, so a spec that called two
//! non-commuting operations independent fails here, not silently.

use super::{Call, RsmViolation};
use crate::objects::Spec;
use crate::rsm::{replay, LogEntry, OpId};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// For each entry of `log`, the earlier entries it must follow: the last
/// conflicting entries before it on its key (a write follows the reads since
/// the last write, or that write; a read follows the last write). O(n)
/// edges; their transitive closure orders every conflicting pair as `log`
/// does.
fn chains<S: Spec>(spec: &S, log: &[LogEntry<S::Op>]) -> Vec<Vec<usize>> {
    #[derive(Default)]
    struct Key {
        write: Option<usize>,
        reads: Vec<usize>,
    }
    let mut keys: HashMap<u64, Key> = HashMap::new();
    log.iter()
        .enumerate()
        .map(|(i, e)| {
            let f = spec.footprint(&e.op);
            let k = keys.entry(f.key).or_default();
            if f.writes {
                let preds = if k.reads.is_empty() {
                    k.write.into_iter().collect()
                } else {
                    std::mem::take(&mut k.reads)
                };
                k.write = Some(i);
                preds
            } else {
                k.reads.push(i);
                k.write.into_iter().collect()
            }
        })
        .collect()
}

/// One order of every operation the replicas executed that agrees with each
/// replica's order on every conflicting pair (see the module docs).
///
/// # Errors
/// [`RsmViolation::Log`] naming conflicting operations the replicas order in
/// a ring (two replicas that swap a conflicting pair, at the least).
pub fn merge<S: Spec>(
    spec: &S,
    logs: &[Vec<LogEntry<S::Op>>],
) -> Result<Vec<LogEntry<S::Op>>, RsmViolation> {
    let mut index: HashMap<OpId, usize> = HashMap::new();
    let mut nodes: Vec<&LogEntry<S::Op>> = Vec::new();
    // preds[n]: (predecessor, the replica whose log orders it first).
    let mut preds: Vec<Vec<(usize, usize)>> = Vec::new();
    for (r, log) in logs.iter().enumerate() {
        let ids: Vec<usize> = log
            .iter()
            .map(|e| {
                *index.entry(e.id).or_insert_with(|| {
                    nodes.push(e);
                    preds.push(Vec::new());
                    nodes.len() - 1
                })
            })
            .collect();
        for (i, ps) in chains(spec, log).into_iter().enumerate() {
            preds[ids[i]].extend(ps.into_iter().map(|p| (ids[p], r)));
        }
    }
    for ps in &mut preds {
        ps.sort_unstable();
        ps.dedup_by_key(|p| p.0);
    }
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut waiting: Vec<usize> = preds.iter().map(Vec::len).collect();
    for (n, ps) in preds.iter().enumerate() {
        for &(p, _) in ps {
            succs[p].push(n);
        }
    }
    // Ready nodes in order of first appearance: the merge follows the logs.
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..nodes.len()).filter(|&n| waiting[n] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(nodes.len());
    let mut placed = vec![false; nodes.len()];
    while let Some(Reverse(n)) = ready.pop() {
        placed[n] = true;
        order.push(LogEntry { cell: order.len(), ..nodes[n].clone() });
        for &s in &succs[n] {
            waiting[s] -= 1;
            if waiting[s] == 0 {
                ready.push(Reverse(s));
            }
        }
    }
    if order.len() == nodes.len() {
        return Ok(order);
    }
    // A ring: walk unplaced predecessors from an unplaced node until one
    // repeats.
    let start = placed.iter().position(|p| !p).expect("some node is unplaced");
    let mut path = vec![(start, usize::MAX)];
    let mut seen: HashMap<usize, usize> = HashMap::from([(start, 0)]);
    loop {
        let (n, _) = *path.last().expect("the path is never empty");
        let &(p, r) =
            preds[n].iter().find(|(p, _)| !placed[*p]).expect("an unplaced node waits on one");
        if let Some(&at) = seen.get(&p) {
            let ring: Vec<String> = path[at..]
                .iter()
                .skip(1)
                .chain(std::iter::once(&(p, r)))
                .map(|&(m, r)| format!("replica {r} executes {} after it", nodes[m].id))
                .collect();
            return Err(RsmViolation::Log(format!(
                "the replicas order conflicting operations differently: starting from {} \
                 ({:?}), {}",
                nodes[p].id,
                nodes[p].op,
                ring.join(", ")
            )));
        }
        seen.insert(p, path.len());
        path.push((p, r));
    }
}

/// The log's certificate for an object that orders only conflicting
/// operations (see the module docs): every returned operation is in `log`,
/// and some order of `log` that keeps its conflicting pairs' order and real
/// time's replays to what every client was told.
///
/// # Errors
/// [`RsmViolation::Log`]: a returned operation missing from the log, real
/// time contradicting the log's conflict order (with the ring), or a replay
/// that gives some operation another value than its client got.
pub fn certify<S: Spec>(
    spec: &S,
    calls: &[Call<S::Op, S::Ret>],
    log: &[LogEntry<S::Op>],
) -> Result<(), RsmViolation> {
    let by_id: HashMap<OpId, &Call<S::Op, S::Ret>> = calls.iter().map(|c| (c.id, c)).collect();
    let at: HashMap<OpId, usize> = log.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
    for c in calls {
        if let Some((_, Ok(got))) = &c.ret {
            if !at.contains_key(&c.id) {
                return Err(RsmViolation::Log(format!(
                    "{} {:?} returned {got:?} but no replica executed it ({} executed)",
                    c.id,
                    c.op,
                    log.len()
                )));
            }
        }
    }
    // Each entry's call and return stamps (unconstrained if unknown: an
    // operation that never returned constrains nothing after it).
    let span = |e: &LogEntry<S::Op>| match by_id.get(&e.id) {
        Some(c) => (c.call, c.ret.as_ref().map_or(u64::MAX, |r| r.0)),
        None => (0, u64::MAX),
    };
    let spans: Vec<(u64, u64)> = log.iter().map(span).collect();
    let preds = chains(spec, log);
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); log.len()];
    let mut waiting: Vec<usize> = preds.iter().map(Vec::len).collect();
    for (n, ps) in preds.iter().enumerate() {
        for &p in ps {
            succs[p].push(n);
        }
    }
    // Conflict-ready entries by call time; unplaced entries by return time.
    let mut ready: BinaryHeap<Reverse<(u64, usize)>> =
        (0..log.len()).filter(|&n| waiting[n] == 0).map(|n| Reverse((spans[n].0, n))).collect();
    let mut returns: BinaryHeap<Reverse<(u64, usize)>> =
        (0..log.len()).map(|n| Reverse((spans[n].1, n))).collect();
    let mut placed = vec![false; log.len()];
    let mut order: Vec<LogEntry<S::Op>> = Vec::with_capacity(log.len());
    while let Some(&Reverse((call, n))) = ready.peek() {
        while returns.peek().is_some_and(|Reverse((_, m))| placed[*m]) {
            returns.pop();
        }
        if let Some(&Reverse((ret, x))) = returns.peek() {
            if ret < call && x != n {
                // `x` returned before every ready entry was called, and
                // waits on conflicting predecessors: walk back to a ready one.
                let mut m = x;
                let mut chain = vec![log[x].id.to_string()];
                while waiting[m] > 0 {
                    m = *preds[m].iter().find(|&&p| !placed[p]).expect("it waits on one");
                    chain.push(log[m].id.to_string());
                }
                chain.reverse();
                return Err(RsmViolation::Log(format!(
                    "real time contradicts the order of conflicting operations: {} returned \
                     before {} was called, yet the replicas execute {} (each after the one \
                     before it, conflicting)",
                    log[x].id,
                    log[m].id,
                    chain.join(" → ")
                )));
            }
        }
        ready.pop();
        placed[n] = true;
        order.push(log[n].clone());
        for &s in &succs[n] {
            waiting[s] -= 1;
            if waiting[s] == 0 {
                ready.push(Reverse((spans[s].0, s)));
            }
        }
    }
    let replayed: HashMap<OpId, S::Ret> = replay(spec, &order).into_iter().collect();
    for c in calls {
        let Some((_, Ok(got))) = &c.ret else { continue };
        match replayed.get(&c.id) {
            Some(want) if want == got => {}
            want => {
                let want = want.map_or_else(|| "nothing".to_string(), |w| format!("{w:?}"));
                return Err(RsmViolation::Log(format!(
                    "{} {:?} returned {got:?}, the replay of the executed order (conflicting \
                     pairs as the replicas ordered them, the rest in real time's order) gives \
                     it {want}",
                    c.id, c.op
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::sequential::{KvOp, KvSpec};

    fn entry(client: usize, seq: u64, op: KvOp) -> LogEntry<KvOp> {
        LogEntry { cell: 0, id: OpId { client, seq }, op }
    }

    fn call(
        client: usize,
        op: KvOp,
        call: u64,
        ret: u64,
        got: Option<usize>,
    ) -> Call<KvOp, Option<usize>> {
        Call { id: OpId { client, seq: 1 }, op, call, ret: Some((ret, Ok(got))) }
    }

    #[test]
    fn replicas_may_swap_commuting_operations_but_not_conflicting_ones() {
        let (a, b) = (entry(0, 1, KvOp::Put(1, 10)), entry(1, 1, KvOp::Put(2, 20)));
        let merged = merge(&KvSpec, &[vec![a.clone(), b.clone()], vec![b.clone(), a.clone()]]);
        assert_eq!(merged.unwrap().len(), 2);
        let c = entry(1, 1, KvOp::Put(1, 20));
        let e = merge(&KvSpec, &[vec![a.clone(), c.clone()], vec![c, a]]).unwrap_err();
        assert!(e.to_string().contains("differently"), "{e}");
    }

    #[test]
    fn the_merge_keeps_every_operation_once_in_each_replicas_conflict_order() {
        let a = entry(0, 1, KvOp::Put(1, 10));
        let b = entry(1, 1, KvOp::Get(1));
        let c = entry(2, 1, KvOp::Put(3, 1));
        let m = merge(&KvSpec, &[vec![a.clone(), b.clone()], vec![c.clone(), a.clone()]]).unwrap();
        let ids: Vec<OpId> = m.iter().map(|e| e.id).collect();
        assert_eq!(ids.len(), 3);
        let pos = |x: &LogEntry<KvOp>| ids.iter().position(|i| *i == x.id).unwrap();
        assert!(pos(&a) < pos(&b));
    }

    #[test]
    fn commuting_operations_are_reordered_to_real_time() {
        // The log executes b before a; they commute, and a returned first.
        let log = vec![entry(1, 1, KvOp::Put(2, 20)), entry(0, 1, KvOp::Put(1, 10))];
        let calls =
            vec![call(0, KvOp::Put(1, 10), 0, 1, None), call(1, KvOp::Put(2, 20), 2, 3, None)];
        certify(&KvSpec, &calls, &log).unwrap();
    }

    #[test]
    fn conflicting_operations_against_real_time_are_refused_with_the_ring() {
        // a returned before b was called, yet the log applies b first (same key).
        let log = vec![entry(1, 1, KvOp::Put(1, 20)), entry(0, 1, KvOp::Put(1, 10))];
        let calls =
            vec![call(0, KvOp::Put(1, 10), 0, 1, Some(20)), call(1, KvOp::Put(1, 20), 2, 3, None)];
        let e = certify(&KvSpec, &calls, &log).unwrap_err().to_string();
        assert!(e.contains("real time contradicts"), "{e}");
        assert!(e.contains("t1#1 → t0#1"), "{e}");
    }

    #[test]
    fn a_wrong_value_or_a_missing_operation_is_refused() {
        let log = vec![entry(0, 1, KvOp::Put(1, 10))];
        let wrong = vec![call(0, KvOp::Put(1, 10), 0, 1, Some(3))];
        assert!(certify(&KvSpec, &wrong, &log).unwrap_err().to_string().contains("gives it"));
        let missing = vec![call(1, KvOp::Get(1), 0, 1, None)];
        let e = certify(&KvSpec, &missing, &log).unwrap_err().to_string();
        assert!(e.contains("no replica executed it"), "{e}");
    }
}
