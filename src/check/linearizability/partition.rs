//! Checking a history partition by partition, in parallel.
//!
//! Locality (Herlihy & Wing) makes a history of independent objects
//! linearizable iff each object's sub-history is. The partitions run on
//! rayon's pool; the first one found not linearizable raises a flag that the
//! other searches poll (every 256 steps), so the check stops early. The
//! verdict names the partition by its key.

use super::model::Model;
use super::search::{search, Found};
use super::verdict::{Options, Stats, Ties, Verdict, Witness};
use super::{sorted, verdict, History};
use crate::sync::{AtomicBool, Ordering};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::time::Instant;

/// Checks `history` partition by partition: operations with equal `key(op)`
/// form one partition (one key of a key-value store).
///
/// The verdict is the first partition that is not linearizable (by its first
/// operation's position in the history, among those that finished), else the
/// first that ran out of budget, else linearizable with a witness that merges
/// the partitions' orders into one order respecting real time. Stats are
/// summed over the partitions (`elapsed` is the whole check's).
pub fn check_partitioned<M, K, F>(
    model: &M,
    history: &History<M::Op, M::Ret>,
    key: F,
    options: &Options,
) -> Verdict<M::Op, M::Ret>
where
    M: Model + Sync,
    M::Op: Send + Sync,
    M::Ret: Send + Sync,
    K: Hash + Eq + fmt::Display,
    F: Fn(&M::Op) -> K,
{
    let start = Instant::now();
    let deadline = options.budget.time.map(|t| start + t);
    let mut index: HashMap<K, usize> = HashMap::new();
    let mut parts: Vec<Vec<usize>> = Vec::new();
    for (i, o) in history.ops.iter().enumerate() {
        let k = key(&o.op);
        match index.get(&k) {
            Some(&p) => parts[p].push(i),
            None => {
                index.insert(k, parts.len());
                parts.push(vec![i]);
            }
        }
    }
    let mut keys: Vec<Option<K>> = (0..parts.len()).map(|_| None).collect();
    for (k, p) in index {
        keys[p] = Some(k);
    }
    let failed = AtomicBool::new(false);
    let stop = || failed.load(Ordering::Relaxed);
    let results: Vec<(Found, Stats)> = parts
        .par_iter()
        .map(|ids| {
            if stop() {
                return (Found::Cancelled, Stats::default());
            }
            let ops = sorted(history, ids.iter().copied());
            let (found, stats) = search(model, &ops, options, deadline, &stop);
            if matches!(found, Found::Not { .. }) {
                // Relaxed: a flag that only makes other searches stop sooner;
                // nothing is published through it.
                failed.store(true, Ordering::Relaxed);
            }
            (found, stats)
        })
        .collect();

    let mut total = Stats::default();
    for (_, s) in &results {
        total.steps += s.steps;
        total.states += s.states;
        total.memo_bytes += s.memo_bytes;
        total.backtracks += s.backtracks;
    }
    total.partitions = parts.len();
    total.elapsed = start.elapsed();
    let name = |p: usize| keys[p].as_ref().map(ToString::to_string);
    if let Some(p) = results.iter().position(|(f, _)| matches!(f, Found::Not { .. })) {
        let (found, _) = results.into_iter().nth(p).unwrap_or((Found::Cancelled, total));
        return verdict(history, found, total, name(p));
    }
    if let Some(p) = results.iter().position(|(f, _)| matches!(f, Found::Unknown(_))) {
        let (found, _) = results.into_iter().nth(p).unwrap_or((Found::Cancelled, total));
        return verdict(history, found, total, name(p));
    }
    let orders: Vec<Vec<usize>> = results
        .into_iter()
        .map(|(f, _)| match f {
            Found::Linearizable(order) => order,
            _ => Vec::new(),
        })
        .collect();
    Verdict::Linearizable(Witness { order: merge(history, &orders, options.ties), stats: total })
}

/// Merges per-partition linearizations into one that respects real time.
///
/// Times are doubled so that one comparison covers both tie rules (concurrent:
/// call `2c`, return `2r`; ordered: call `2c + 1`, return `2r`, so a return
/// precedes a call at the same time). Each operation gets the point
/// `max(its call, the previous point of its partition)`, which lies within its
/// interval because the partition's order respects real time; sorting by point
/// then respects real time across partitions: if `a` returned before `b` was
/// called, `point(a) ≤ ret(a) < call(b) ≤ point(b)`.
fn merge<Op, Ret>(history: &History<Op, Ret>, orders: &[Vec<usize>], ties: Ties) -> Vec<usize> {
    let call = |i: usize| {
        let c = u128::from(history.ops[i].call) * 2;
        if ties == Ties::Ordered {
            c + 1
        } else {
            c
        }
    };
    let mut keyed: Vec<(u128, usize, usize, usize)> = Vec::new();
    for (p, order) in orders.iter().enumerate() {
        let mut point = 0u128;
        for (pos, &i) in order.iter().enumerate() {
            point = point.max(call(i));
            keyed.push((point, p, pos, i));
        }
    }
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, _, _, i)| i).collect()
}
