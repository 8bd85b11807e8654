//! The search itself: Wing & Gong's depth-first search over linearized
//! prefixes, with Lowe's memo (see the parent module for the algorithm).

use super::memo::Memo;
use super::model::Model;
use super::verdict::{Budget, Exhausted, Options, Stats, Ties};
use super::Operation;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::time::Instant;

/// What one search found, in indices of the caller's operations.
#[derive(Debug)]
pub(super) enum Found {
    /// A linearization.
    Linearizable(Vec<usize>),
    /// The longest linearizable prefix and the operations that could not follow.
    Not { prefix: Vec<usize>, stuck: Vec<usize> },
    /// A budget ran out.
    Unknown(Exhausted),
    /// `stop` said so (another partition failed).
    Cancelled,
}

/// How often (in steps) the clock and `stop` are looked at.
const POLL: u64 = 256;

struct Frame<S> {
    state: Rc<S>,
    /// The next candidate operation to try, and which of its successors.
    next: (usize, usize),
    chosen: Option<usize>,
}

fn is_done(done: &[u64], i: usize) -> bool {
    done[i / 64] >> (i % 64) & 1 == 1
}

/// The first operation not linearized yet (`n` if none).
fn first_undone(done: &[u64], n: usize) -> usize {
    for (w, word) in done.iter().enumerate() {
        if *word != u64::MAX {
            return (w * 64 + word.trailing_ones() as usize).min(n);
        }
    }
    n
}

/// Operations to search, each with its id (its index in the history).
pub(super) type Indexed<'h, M> = [(usize, &'h Operation<<M as Model>::Op, <M as Model>::Ret>)];

/// Searches `ops` (each `(id, operation)`, sorted by call time) for a
/// linearization. Ids in the answer are the given ones.
pub(super) fn search<M: Model>(
    model: &M,
    ops: &Indexed<'_, M>,
    options: &Options,
    deadline: Option<Instant>,
    stop: &dyn Fn() -> bool,
) -> (Found, Stats) {
    let start = Instant::now();
    let n = ops.len();
    let Budget { states: max_states, memory: max_bytes, .. } = options.budget;
    // A return before its own call is read as a return at the call.
    let ret_time = |i: usize| ops[i].1.ret.as_ref().map(|(t, _)| (*t).max(ops[i].1.call));
    let completed = (0..n).filter(|&i| ret_time(i).is_some()).count();
    // Not-yet-linearized completed operations by return time: the first bounds
    // which operations may come next.
    let mut open: BTreeSet<(u64, usize)> =
        (0..n).filter_map(|i| ret_time(i).map(|t| (t, i))).collect();
    let words = n.div_ceil(64);
    let mut done = vec![0u64; words];
    let mut memo = Memo::new(words);
    let mut stats = Stats { partitions: 1, ..Stats::default() };
    let mut stack = vec![Frame { state: Rc::new(model.init()), next: (0, 0), chosen: None }];
    let mut linearized_completed = 0;
    let mut path: Vec<usize> = Vec::new();
    let mut best: Option<(Vec<usize>, Vec<usize>)> = None;
    let mut successors: Vec<Rc<M::State>> = Vec::new();
    let mut next_poll = POLL;
    let finish = |found: Found, mut stats: Stats, memo: &Memo<M::State>| {
        stats.states = memo.len();
        stats.memo_bytes = memo.bytes();
        stats.elapsed = start.elapsed();
        (found, stats)
    };

    loop {
        if linearized_completed == completed {
            let order = path.iter().map(|&i| ops[i].0).collect();
            return finish(Found::Linearizable(order), stats, &memo);
        }
        if stats.steps >= next_poll {
            next_poll = stats.steps + POLL;
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return finish(Found::Unknown(Exhausted::Time), stats, &memo);
            }
            if stop() {
                return finish(Found::Cancelled, stats, &memo);
            }
        }
        // Operation `i` may come next iff no other open operation returned
        // before its call (strictly before, with concurrent ties).
        let mut firsts = open.iter();
        let (b1, i1) = firsts.next().copied().unwrap_or((u64::MAX, usize::MAX));
        let b2 = firsts.next().map_or(u64::MAX, |(t, _)| *t);
        let may_come_next = |i: usize| {
            let bound = if i == i1 { b2 } else { b1 };
            match options.ties {
                Ties::Concurrent => ops[i].1.call <= bound,
                Ties::Ordered => ops[i].1.call < bound,
            }
        };
        // Every candidate is invoked at or before the earliest open return, and
        // the operations are sorted by call: the scan stops at the first later one.
        // (The earliest open operation itself is called by `b1`, so it comes
        // before the first operation called after `b1`.)
        let scan_end = |i: usize| ops[i].1.call > b1;
        let top = stack.len() - 1;
        let state = Rc::clone(&stack[top].state);
        let (mut i, mut k) = stack[top].next;
        i = i.max(first_undone(&done, n));
        let mut pick = None;
        while i < n && !scan_end(i) {
            if !is_done(&done, i) && may_come_next(i) {
                let (_, o) = ops[i];
                let mut cows = Vec::new();
                stats.steps += 1;
                model.successors(&state, &o.op, o.ret.as_ref().map(|(_, r)| r), &mut cows);
                successors.clear();
                successors.extend(cows.into_iter().map(|c| match c {
                    Cow::Borrowed(s) if std::ptr::eq(s, &*state) => Rc::clone(&state),
                    Cow::Borrowed(s) => Rc::new(s.clone()),
                    Cow::Owned(s) => Rc::new(s),
                }));
                done[i / 64] |= 1 << (i % 64);
                for (j, s) in successors.iter().enumerate().skip(k) {
                    if memo.insert(&done, s, || model.heap_bytes(s)) {
                        pick = Some((i, j, Rc::clone(s)));
                        break;
                    }
                }
                if pick.is_some() {
                    break;
                }
                done[i / 64] &= !(1 << (i % 64));
            }
            i += 1;
            k = 0;
        }
        match pick {
            Some((i, j, next_state)) => {
                if max_states.is_some_and(|m| memo.len() > m) {
                    return finish(Found::Unknown(Exhausted::States), stats, &memo);
                }
                if max_bytes.is_some_and(|m| memo.bytes() > m) {
                    return finish(Found::Unknown(Exhausted::Memory), stats, &memo);
                }
                stack[top].next = (i, j + 1);
                if let Some(t) = ret_time(i) {
                    open.remove(&(t, i));
                    linearized_completed += 1;
                }
                path.push(i);
                stack.push(Frame { state: next_state, next: (0, 0), chosen: Some(i) });
            }
            None => {
                if best.as_ref().is_none_or(|(p, _)| path.len() > p.len()) {
                    let from = first_undone(&done, n);
                    let stuck = (from..n)
                        .take_while(|&j| !scan_end(j))
                        .filter(|&j| !is_done(&done, j) && may_come_next(j))
                        .collect();
                    best = Some((path.clone(), stuck));
                }
                let Some(frame) = stack.pop() else { break };
                let Some(i) = frame.chosen else { break };
                stats.backtracks += 1;
                done[i / 64] &= !(1 << (i % 64));
                if let Some(t) = ret_time(i) {
                    open.insert((t, i));
                    linearized_completed -= 1;
                }
                path.pop();
            }
        }
    }
    let (prefix, stuck) = best.unwrap_or_default();
    let ids = |v: Vec<usize>| v.into_iter().map(|i| ops[i].0).collect();
    finish(Found::Not { prefix: ids(prefix), stuck: ids(stuck) }, stats, &memo)
}
