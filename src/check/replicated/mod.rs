//! Checking a run of a replicated object ([`Replicated`](crate::rsm::Replicated)):
//! the three properties every execution must have, whoever ran it (loom,
//! shuttle or real cores).
//!
//! * **Linearizability** of the client history: each submit stamped at its
//!   call and its return (a clock consistent with real time), checked by
//!   [`linearizability`] against the spec.
//! * **Log agreement**: the decided log, replayed against the spec
//!   ([`replay`]), gives every operation that returned exactly the value its
//!   client was told, holds every operation that returned, and orders them as
//!   real time does (an operation that returned before another was called
//!   comes first in the log). Together these make the log a *certificate* of
//!   linearizability, checked in O(n log n) for any history length.
//! * **Linearizability searched** independently of the log, by the
//!   checker, for histories of up to [`SEARCH_LIMIT`] operations (its memo
//!   copies the set of linearized operations, n/8 bytes an entry, so far
//!   longer histories exhaust its budget); longer ones rest on the
//!   certificate, and the report says which ([`Judged::searched`]).
//! * **The step bound** of a wait-free object: no operation took part in
//!   more cells than [`RsmProgress::WaitFree`] claims.
//!
//! [`judge`] checks the three on one execution and reports what it saw
//! (whether any two operations overlapped, how many were helped, the most
//! cells per client): a run in which nothing overlapped tested nothing
//! concurrent, and the runners say so.
//!
//! `workload` (real cores only) names the objects `conlab rsm` offers, draws
//! their seeded operation mixes and runs any of them, judged, over any rule
//! and slot protocol.

#[cfg(any(loom, shuttle))]
pub mod epaxos;
#[cfg(any(loom, shuttle))]
pub mod model;
#[cfg(any(loom, shuttle))]
pub mod multi_paxos;
pub mod partial;
#[cfg(not(loom))]
pub mod stress;
#[cfg(any(loom, shuttle))]
pub mod suite;
#[cfg(not(loom))]
pub mod workload;
#[cfg(any(loom, shuttle))]
pub mod zab;
pub mod zab_properties;

use crate::check::linearizability::{self, History, Operation, Verdict};
use crate::objects::Spec;
use crate::rsm::{replay, ClientStats, LogEntry, LogOrder, OpId, RsmError, RsmProgress};
use std::collections::HashMap;
use std::fmt;

/// A check of a run's object after every client returned (the protocol's
/// own properties, on its ghost record; Zab's are [`zab_properties`]): the
/// properties that held, or the first violated.
pub type Audit<R> = fn(&R) -> Result<Vec<&'static str>, RsmViolation>;

/// One submit as a runner recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call<Op, Ret> {
    /// Which operation (client and sequence number).
    pub id: OpId,
    /// The operation.
    pub op: Op,
    /// When it was called.
    pub call: u64,
    /// When it returned and what: `None` if it never did.
    pub ret: Option<(u64, Result<Ret, RsmError>)>,
}

/// What one execution violated.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RsmViolation {
    /// A submit failed.
    Error {
        /// Which operation.
        id: OpId,
        /// What it reported.
        error: RsmError,
    },
    /// The client history is not linearizable: the checker's explanation.
    NotLinearizable(String),
    /// The checker ran out of budget (a real-core history too hard to decide).
    Undecided(String),
    /// The log and the clients disagree.
    Log(String),
    /// A property of the protocol itself (Zab's, checked on its ghost
    /// record by [`zab_properties`]) was violated.
    Property {
        /// The first property violated (in the checker's order).
        property: &'static str,
        /// How.
        detail: String,
        /// The other properties the execution violated.
        also: Vec<&'static str>,
    },
    /// An operation took part in more cells than the wait-free bound.
    StepBound {
        /// The client.
        client: usize,
        /// Cells its worst operation entered.
        cells: usize,
        /// The claimed bound.
        bound: usize,
    },
}

impl fmt::Display for RsmViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RsmViolation::Error { id, error } => write!(f, "{id} failed: {error}"),
            RsmViolation::NotLinearizable(why) => write!(f, "not linearizable: {why}"),
            RsmViolation::Undecided(why) => write!(f, "linearizability undecided: {why}"),
            RsmViolation::Log(why) => write!(f, "log agreement violated: {why}"),
            RsmViolation::Property { property, detail, also } => {
                write!(f, "{property}: {detail}")?;
                if !also.is_empty() {
                    write!(f, " (also violated: {})", also.join(", "))?;
                }
                Ok(())
            }
            RsmViolation::StepBound { client, cells, bound } => write!(
                f,
                "not wait-free as claimed: an operation of t{client} took part in {cells} cells, \
                 above the bound of {bound} (it lost every cell to other clients)"
            ),
        }
    }
}

/// What a judged execution showed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Judged {
    /// Whether two operations overlapped in time (else the history tested
    /// nothing concurrent).
    pub overlapping: bool,
    /// Operations put in the log by another client's proposal.
    pub helped: u64,
    /// The most cells one operation of each client entered.
    pub max_cells: Vec<usize>,
    /// Log entries that repeat an operation already applied (skipped by the
    /// replay: correct, but a wasted cell).
    pub duplicates: usize,
    /// Whether the linearizability checker searched the history (at most
    /// [`SEARCH_LIMIT`] operations); else the log's certificate decided.
    pub searched: bool,
}

/// The longest history the judge also gives to the linearizability
/// checker's search (see the module docs).
pub const SEARCH_LIMIT: usize = 20_000;

/// Whether some two operations of `calls` overlap in time.
fn overlapping<Op, Ret>(calls: &[Call<Op, Ret>]) -> bool {
    let mut spans: Vec<(u64, u64)> =
        calls.iter().map(|c| (c.call, c.ret.as_ref().map_or(u64::MAX, |r| r.0))).collect();
    spans.sort_unstable();
    let mut open_until = 0;
    for (i, (call, end)) in spans.into_iter().enumerate() {
        if i > 0 && call < open_until {
            return true;
        }
        open_until = open_until.max(end);
    }
    false
}

/// Checks one execution: every submit succeeded (or its client crashed:
/// then it counts as never returned), the history is
/// linearizable, the log agrees with the clients, and each client's worst
/// operation is within the wait-free bound of `progress`.
///
/// # Errors
/// The first property violated.
pub fn judge<S: Spec>(
    spec: &S,
    calls: &[Call<S::Op, S::Ret>],
    log: &[LogEntry<S::Op>],
    stats: &[ClientStats],
    progress: RsmProgress,
    order: LogOrder,
) -> Result<Judged, RsmViolation> {
    for c in calls {
        if let Some((_, Err(e))) = &c.ret {
            if !e.is_crash() {
                return Err(RsmViolation::Error { id: c.id, error: e.clone() });
            }
        }
    }
    // A crashed client's pending operation never returned: it may or may not
    // have taken effect.
    let uncrashed: Vec<Call<S::Op, S::Ret>>;
    let calls = if calls.iter().any(crashed) {
        uncrashed = calls
            .iter()
            .map(|c| if crashed(c) { Call { ret: None, ..c.clone() } } else { c.clone() })
            .collect();
        &uncrashed[..]
    } else {
        calls
    };
    let searched = calls.len() <= SEARCH_LIMIT;
    if searched {
        let history = History {
            ops: calls
                .iter()
                .map(|c| Operation {
                    thread: c.id.client,
                    op: c.op.clone(),
                    call: c.call,
                    ret: c
                        .ret
                        .as_ref()
                        .map(|(t, r)| (*t, r.clone().expect("errors returned above"))),
                })
                .collect(),
        };
        let verdict = linearizability::check(spec, &history);
        match &verdict {
            Verdict::Linearizable(_) => {}
            Verdict::NotLinearizable(v) => {
                return Err(RsmViolation::NotLinearizable(v.to_string()))
            }
            Verdict::Unknown(_) => return Err(RsmViolation::Undecided(verdict.to_string())),
        }
    }
    match order {
        LogOrder::Total => check_log(spec, calls, log)?,
        LogOrder::Conflicts => partial::certify(spec, calls, log)?,
    }
    if let RsmProgress::WaitFree { cells: bound } = progress {
        if let Some((client, s)) =
            stats.iter().enumerate().find(|(_, s)| s.max_cells_entered > bound)
        {
            return Err(RsmViolation::StepBound { client, cells: s.max_cells_entered, bound });
        }
    }
    Ok(Judged {
        overlapping: overlapping(calls),
        helped: stats.iter().map(|s| s.helped).sum(),
        max_cells: stats.iter().map(|s| s.max_cells_entered).collect(),
        duplicates: crate::rsm::duplicates(log),
        searched,
    })
}

/// Whether `c` ended in its client's crash (then it never returned).
fn crashed<Op, Ret>(c: &Call<Op, Ret>) -> bool {
    matches!(&c.ret, Some((_, Err(e))) if e.is_crash())
}

/// Agreement of the replicas' logs, and the log they agree on. For a
/// [`LogOrder::Total`] object each log is a prefix of the longest, which is
/// returned; for [`LogOrder::Conflicts`] one order of every operation
/// executed somewhere agrees with each replica's on every conflicting pair
/// ([`partial::merge`]), and is returned.
///
/// # Errors
/// The first cell two replicas disagree on; for `Conflicts`, conflicting
/// operations the replicas order differently.
pub fn merge_logs<S: Spec>(
    spec: &S,
    logs: &[Vec<LogEntry<S::Op>>],
    order: LogOrder,
) -> Result<Vec<LogEntry<S::Op>>, RsmViolation> {
    match order {
        LogOrder::Total => merge_prefixes(logs),
        LogOrder::Conflicts => partial::merge(spec, logs),
    }
}

/// Each log a prefix of the longest, which is returned.
fn merge_prefixes<Op: Clone + fmt::Debug>(
    logs: &[Vec<LogEntry<Op>>],
) -> Result<Vec<LogEntry<Op>>, RsmViolation> {
    let Some((longest, full)) = logs.iter().enumerate().max_by_key(|(_, l)| l.len()) else {
        return Ok(Vec::new());
    };
    for (t, l) in logs.iter().enumerate() {
        if let Some(e) = l.iter().zip(full).find(|(a, b)| a.id != b.id) {
            return Err(RsmViolation::Log(format!(
                "the replicas of t{t} and t{longest} disagree at cell {}: {} there for one, {} \
                 for the other",
                e.0.cell, e.0.id, e.1.id
            )));
        }
    }
    Ok(full.clone())
}

/// Log agreement: the replayed log gives each returned operation its value.
/// A read-only operation ([`Spec::read_only`]) may have returned without a
/// log slot (a confirmed leader read): it must then read a state the log
/// passes through while it ran (see `check_unlogged_reads`).
///
/// # Errors
/// The first operation that returned something the log does not give it, or
/// that returned without being in the log (and is not a read the log's
/// states explain).
pub fn check_log<S: Spec>(
    spec: &S,
    calls: &[Call<S::Op, S::Ret>],
    log: &[LogEntry<S::Op>],
) -> Result<(), RsmViolation> {
    let order: Vec<(OpId, S::Ret)> = replay(spec, log);
    let position: HashMap<OpId, usize> =
        order.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    let applied: Vec<OpId> = order.iter().map(|(id, _)| *id).collect();
    let replayed: HashMap<OpId, S::Ret> = order.into_iter().collect();
    let mut unlogged = Vec::new();
    for c in calls {
        let Some((_, Ok(got))) = &c.ret else { continue };
        match replayed.get(&c.id) {
            None if spec.read_only(&c.op) => unlogged.push(c),
            None => {
                return Err(RsmViolation::Log(format!(
                    "{} {:?} returned {got:?} but is not in the log ({} cells decided)",
                    c.id,
                    c.op,
                    log.len()
                )))
            }
            Some(want) if want != got => {
                return Err(RsmViolation::Log(format!(
                    "{} {:?} returned {got:?}, the log's replay gives it {want:?}",
                    c.id, c.op
                )))
            }
            Some(_) => {}
        }
    }
    check_real_time(calls, &position)?;
    if unlogged.is_empty() {
        return Ok(());
    }
    check_unlogged_reads(spec, calls, log, &applied, &position, unlogged)
}

/// Places every read that returned without a log slot at a state of the
/// log: state `p` (after the first `p` applied operations) such that every
/// logged operation that returned before the read was called is among the
/// first `p`, none called after the read returned is, reads follow each
/// other in real time, and the spec applied to state `p` gives the read what
/// it returned. Greedy in call order, the earliest fitting state each
/// (earliest leaves the most room to later reads); the lowest state allowed
/// never decreases along the call order, so a sliding window of states is
/// enough. With the log's other checks this extends the log's certificate
/// to such reads.
///
/// # Errors
/// The first read no state fits: a stale (or invented) read.
fn check_unlogged_reads<S: Spec>(
    spec: &S,
    calls: &[Call<S::Op, S::Ret>],
    log: &[LogEntry<S::Op>],
    applied: &[OpId],
    position: &HashMap<OpId, usize>,
    mut reads: Vec<&Call<S::Op, S::Ret>>,
) -> Result<(), RsmViolation> {
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, VecDeque};
    let ops: HashMap<OpId, &S::Op> = log.iter().map(|e| (e.id, &e.op)).collect();
    // Logged calls: (called, returned if it did, position).
    let logged: Vec<(u64, Option<u64>, usize)> = calls
        .iter()
        .filter_map(|c| position.get(&c.id).map(|&p| (c.call, c.ret.as_ref().map(|r| r.0), p)))
        .collect();
    let mut by_ret: Vec<(u64, usize)> =
        logged.iter().filter_map(|&(_, ret, p)| ret.map(|t| (t, p))).collect();
    by_ret.sort_unstable();
    let mut by_call: Vec<(u64, usize)> = logged.iter().map(|&(call, _, p)| (call, p)).collect();
    by_call.sort_unstable();
    // The highest state below which a logged operation called later lies:
    // suffix minima of positions over calls sorted by call time.
    let mut suffix_min = vec![applied.len(); by_call.len() + 1];
    for i in (0..by_call.len()).rev() {
        suffix_min[i] = suffix_min[i + 1].min(by_call[i].1);
    }
    reads.sort_by_key(|c| c.call);
    let (mut done, mut lo) = (0, 0);
    let mut finished: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
    let mut floor = 0;
    let mut window: VecDeque<S::State> = VecDeque::from([spec.init()]);
    let mut base = 0; // the state `window[0]` is
    for r in reads {
        let Some((ret_at, Ok(got))) = &r.ret else { continue };
        while done < by_ret.len() && by_ret[done].0 < r.call {
            lo = lo.max(by_ret[done].1 + 1);
            done += 1;
        }
        while let Some(&Reverse((t, p))) = finished.peek() {
            if t >= r.call {
                break;
            }
            floor = floor.max(p);
            finished.pop();
        }
        let later = by_call.partition_point(|&(t, _)| t <= *ret_at);
        let hi = suffix_min[later];
        let from = lo.max(floor);
        while base < from {
            if window.len() == 1 {
                let next = spec.apply(&window[0], ops[&applied[base]]).0;
                window.push_back(next);
            }
            window.pop_front();
            base += 1;
        }
        let mut seen = Vec::new();
        let mut fit = None;
        for p in from..=hi {
            while base + window.len() <= p {
                let last = window.back().expect("the window is never empty");
                let next = spec.apply(last, ops[&applied[base + window.len() - 1]]).0;
                window.push_back(next);
            }
            let gives = spec.apply(&window[p - base], &r.op).1;
            if gives == *got {
                fit = Some(p);
                break;
            }
            if seen.len() < 4 {
                seen.push(format!("{gives:?}"));
            }
        }
        let Some(p) = fit else {
            return Err(RsmViolation::Log(format!(
                "{} {:?} returned {got:?} without a log slot, but no state the log passes \
                 through while it ran gives that: real time puts it after {from} to {hi} \
                 applied operations, and the states there give {}: a stale read",
                r.id,
                r.op,
                if seen.is_empty() { "nothing (no room)".to_string() } else { seen.join(", ") }
            )));
        };
        finished.push(Reverse((*ret_at, p)));
    }
    Ok(())
}

/// The log's order respects real time: for every operation `b` in the log,
/// every operation that returned before `b` was called is earlier in the
/// log. (An operation that never returned constrains nothing after it.)
/// Sorted sweeps, O(n log n).
fn check_real_time<Op: fmt::Debug, Ret>(
    calls: &[Call<Op, Ret>],
    position: &HashMap<OpId, usize>,
) -> Result<(), RsmViolation> {
    let placed: Vec<(&Call<Op, Ret>, usize)> =
        calls.iter().filter_map(|c| position.get(&c.id).map(|&p| (c, p))).collect();
    let mut by_ret: Vec<(u64, usize, OpId)> =
        placed.iter().filter_map(|(c, p)| c.ret.as_ref().map(|r| (r.0, *p, c.id))).collect();
    by_ret.sort_unstable();
    let mut by_call: Vec<&(&Call<Op, Ret>, usize)> = placed.iter().collect();
    by_call.sort_unstable_by_key(|(c, _)| c.call);
    let mut done = 0;
    let mut latest: Option<(usize, OpId)> = None;
    for (b, pos) in by_call {
        while done < by_ret.len() && by_ret[done].0 < b.call {
            let (_, p, id) = by_ret[done];
            if latest.is_none_or(|(q, _)| p > q) {
                latest = Some((p, id));
            }
            done += 1;
        }
        if let Some((p, a)) = latest {
            if p > *pos {
                return Err(RsmViolation::Log(format!(
                    "{a} returned before {} {:?} was called, yet the log applies it later \
                     (replayed position {p} against {pos}): the log's order is not real time's",
                    b.id, b.op
                )));
            }
        }
    }
    Ok(())
}

/// A history as lines for a counterexample: `t0#1 Enq(1) [1, 4] → None`.
pub fn describe<Op: fmt::Debug, Ret: fmt::Debug>(calls: &[Call<Op, Ret>]) -> String {
    let mut sorted: Vec<&Call<Op, Ret>> = calls.iter().collect();
    sorted.sort_by_key(|c| c.call);
    let mut out = String::new();
    for c in sorted {
        let line = match &c.ret {
            Some((t, Ok(r))) => format!("  {} {:?} [{}, {t}] → {r:?}\n", c.id, c.op, c.call),
            Some((t, Err(e))) => format!("  {} {:?} [{}, {t}] → error: {e}\n", c.id, c.op, c.call),
            None => format!("  {} {:?} [{}, —] never returned\n", c.id, c.op, c.call),
        };
        out.push_str(&line);
    }
    out
}

/// The log as lines: `cell 0: t1#1 Enq(2)`.
pub fn describe_log<Op: fmt::Debug>(log: &[LogEntry<Op>]) -> String {
    log.iter().map(|e| format!("  cell {}: {} {:?}\n", e.cell, e.id, e.op)).collect()
}

#[cfg(all(test, not(loom)))]
mod tests;
