//! The stall demonstration on a replicated object: Herlihy's universal queue
//! with one client paused mid-operation, the others submitting.
//!
//! **Where the client stalls.** Client `stalled` submits one `enq` first. The
//! construction announces it (`announce[stalled]`, Release), catches up, and
//! calls its first cell's consensus; the slot protocol's `decide_id` is where
//! the client pauses, through a slot wrapper ([`GateSlot`]: every cell of the
//! log shares one one-shot [`StallAt`], so the client pauses once, at the
//! first cell it enters). That is "after announcing its operation, before its
//! consensus", reached from outside the construction, with no hook in it. For
//! lock slots the pause is inside the cell's critical section instead
//! ([`LockConsensus`] with a hook sharing the same gate): the client holds the
//! first cell's lock while it sleeps.
//!
//! **What the others do.** Once the stalled client is inside its stall, the
//! other clients start and each submits `ops` operations (alternating `enq`
//! and `deq`). An operation counts as *completed during the stall* if the
//! stalled client was still inside when it returned (read from the gate after
//! `submit` returns, not from a clock). Once every other client is done, if
//! the stalled client is still asleep, the log is read: whether the stalled
//! client's announced `enq` is in it (helped in, while its owner slept) and in
//! which cell. At the end every client's return values are checked against the
//! log's replay (log agreement).
//!
//! Expected: with [`Helping`] over CAS slots (wait-free) the others complete
//! all their operations during the stall and the stalled `enq` is in the log
//! (the cell `k` with `k mod n = stalled` proposes it); with [`NoHelping`]
//! (lock-free) the others still complete, but the stalled `enq` stays out of
//! the log until its owner wakes; with lock slots (blocking) nobody completes
//! anything during the stall: every client's next cell is the one whose lock
//! the stalled client holds.

use crate::consensus::cas::CasConsensus;
use crate::consensus::lock::{LockConsensus, LockHook};
use crate::consensus::stall::{StallAt, StallState};
use crate::consensus::{ConsensusError, IdConsensus, Progress};
use crate::objects::queue::{QueueOp, QueueSpec};
use crate::rsm::universal::{Helping, NoHelping, Rules, Universal};
use crate::rsm::{replay, Client, OpId, Replicated, RsmProgress};
use crate::sync::{thread, Backoff, ParkingMutex};
use crate::threads::median;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A universal object the demo stalls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ObjectKind {
    /// Helping rule over CAS slots: wait-free.
    HelpingCas,
    /// No helping, CAS slots: lock-free.
    NoHelpingCas,
    /// Helping rule over `lock-parking-lot` slots, stalled holding a cell's
    /// lock: blocking.
    HelpingLock,
}

impl ObjectKind {
    /// Every kind, in the order the table shows them.
    pub const ALL: [ObjectKind; 3] =
        [ObjectKind::HelpingCas, ObjectKind::NoHelpingCas, ObjectKind::HelpingLock];

    /// Its name on the command line and in tables.
    pub const fn name(self) -> &'static str {
        match self {
            ObjectKind::HelpingCas => "queue/universal/cas",
            ObjectKind::NoHelpingCas => "queue/universal-lock-free/cas",
            ObjectKind::HelpingLock => "queue/universal/lock-parking-lot",
        }
    }

    /// Where the stalled client pauses, in words.
    pub const fn stalled_at(self) -> &'static str {
        match self {
            ObjectKind::HelpingCas | ObjectKind::NoHelpingCas => {
                "announced its enq, before its first cell's consensus"
            }
            ObjectKind::HelpingLock => "announced its enq, holding its first cell's lock",
        }
    }
}

/// Picks objects: `all`, `none`, or a comma list of names.
///
/// # Errors
/// An unknown name.
pub fn select_objects(spec: &str) -> Result<Vec<ObjectKind>, String> {
    match spec.trim() {
        "all" => return Ok(ObjectKind::ALL.to_vec()),
        "none" | "" => return Ok(Vec::new()),
        _ => {}
    }
    let mut out = Vec::new();
    for name in spec.split(',').map(str::trim) {
        let k = ObjectKind::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| {
            let known: Vec<&str> = ObjectKind::ALL.iter().map(|k| k.name()).collect();
            format!("unknown object '{name}' (known: all, none, {})", known.join(", "))
        })?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    Ok(out)
}

/// A slot protocol whose client `who` pauses once, at the start of its first
/// `decide_id` on any cell sharing the stall.
#[derive(Debug)]
pub struct GateSlot<C> {
    inner: C,
    stall: Arc<StallAt>,
}

impl<C: IdConsensus> IdConsensus for GateSlot<C> {
    fn threads(&self) -> usize {
        self.inner.threads()
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        self.stall.here(me);
        self.inner.decide_id(me)
    }

    fn progress(&self) -> Progress {
        self.inner.progress()
    }
}

/// A lock hook sharing one stall among every cell's lock.
#[derive(Debug)]
pub struct SharedHook(Arc<StallAt>);

impl LockHook for SharedHook {
    fn holding(&self, me: usize) {
        self.0.here(me);
    }
}

/// The size of one object's demonstration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectStallConfig {
    /// Clients (the stalled one and the others).
    pub threads: usize,
    /// The stalled client.
    pub stalled: usize,
    /// How long it pauses.
    pub pause: Duration,
    /// Operations each other client submits.
    pub ops: usize,
    /// Runs (each with one stall).
    pub instances: usize,
}

/// What the other clients did while one was stalled, over every run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ObjectRow {
    /// The object.
    pub object: &'static str,
    /// Its guarantee.
    pub progress: RsmProgress,
    /// Where the client stalled.
    pub stalled_at: &'static str,
    /// The pause, ms.
    pub stall_ms: f64,
    /// Operations the other clients submitted (all runs).
    pub ops: usize,
    /// Of those, how many returned while the stalled client was inside its
    /// stall.
    pub completed_during_stall: usize,
    /// The other clients' operation times: median, ns.
    pub median_ns: f64,
    /// ... and the slowest, ns.
    pub max_ns: f64,
    /// Runs in which the log was read while the stalled client still slept
    /// (the others finished within the stall).
    pub observed: usize,
    /// Of those, runs whose log held the stalled client's operation: helped
    /// in by the others.
    pub helped_while_asleep: usize,
    /// The cell of the stalled operation in the last observed run in which it
    /// was helped.
    pub helped_cell: Option<usize>,
    /// Runs re-made because the others started only after the stall was over.
    pub reruns: usize,
    /// The verdict.
    pub verdict: ObjectVerdict,
    /// Errors and log disagreements (then the verdict is `Failed`).
    pub errors: Vec<String>,
}

/// What the others did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectVerdict {
    /// None of their operations returned during the stall.
    Blocked,
    /// They completed operations during the stall, and the stalled
    /// operation was in the log before its owner woke.
    KeptCompletingAndHelped,
    /// They completed operations during the stall; the stalled operation
    /// was not in the log while its owner slept.
    KeptCompleting,
    /// An operation failed or the log disagreed with a client.
    Failed,
}

impl std::fmt::Display for ObjectVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ObjectVerdict::Blocked => "blocked until it woke",
            ObjectVerdict::KeptCompletingAndHelped => "kept completing; helped it in",
            ObjectVerdict::KeptCompleting => "kept completing; it waited",
            ObjectVerdict::Failed => "FAILED",
        })
    }
}

/// One run's outcome.
struct Run {
    /// Times of the others' operations, and whether each returned during
    /// the stall.
    others: Vec<(Duration, bool)>,
    /// `Some(cell)`: the log was read while the stalled client slept and held
    /// its operation at `cell`; `Some(None)`: read, not there; `None`: not read.
    observed: Option<Option<usize>>,
    errors: Vec<String>,
}

/// Runs the demonstration on one object.
///
/// # Errors
/// An invalid configuration, a thread the OS refused, or a machine so busy
/// that the others never started within the stall.
pub fn run_object(kind: ObjectKind, cfg: &ObjectStallConfig) -> Result<ObjectRow, ConsensusError> {
    if cfg.threads < 2 || cfg.stalled >= cfg.threads || cfg.instances == 0 || cfg.pause.is_zero() {
        return Err(ConsensusError::InvalidConfig(format!("invalid stall configuration {cfg:?}")));
    }
    let (mut times, mut during, mut observed, mut helped, mut helped_cell, mut reruns) =
        (Vec::new(), 0, 0, 0, None, 0);
    let mut errors = Vec::new();
    let mut progress = RsmProgress::Blocking;
    for i in 0..cfg.instances {
        let run = loop {
            let (p, r) = match kind {
                ObjectKind::HelpingCas => one::<_, Helping>(cfg, |s| GateSlot {
                    inner: CasConsensus::new(cfg.threads),
                    stall: s,
                })?,
                ObjectKind::NoHelpingCas => one::<_, NoHelping>(cfg, |s| GateSlot {
                    inner: CasConsensus::new(cfg.threads),
                    stall: s,
                })?,
                ObjectKind::HelpingLock => one::<_, Helping>(cfg, |s| {
                    LockConsensus::<ParkingMutex<Option<usize>>, _>::with_hook(
                        cfg.threads,
                        SharedHook(s),
                    )
                })?,
            };
            progress = p;
            match r {
                Some(r) => break r,
                None if reruns < 10 * cfg.instances => reruns += 1,
                None => {
                    return Err(ConsensusError::InvalidConfig(format!(
                        "the machine is too busy: {reruns} times the other clients started only \
                         after a {} ms stall was over; try a longer --stall-ms",
                        cfg.pause.as_millis()
                    )))
                }
            }
        };
        for (d, in_stall) in &run.others {
            times.push(*d);
            during += usize::from(*in_stall);
        }
        if let Some(cell) = run.observed {
            observed += 1;
            if let Some(c) = cell {
                helped += 1;
                helped_cell = Some(c);
            }
        }
        errors.extend(run.errors.into_iter().map(|e| format!("run {i}: {e}")));
    }
    let ops = times.len();
    let med = median(&mut times);
    let verdict = if !errors.is_empty() {
        ObjectVerdict::Failed
    } else if during == 0 {
        ObjectVerdict::Blocked
    } else if helped > 0 {
        ObjectVerdict::KeptCompletingAndHelped
    } else {
        ObjectVerdict::KeptCompleting
    };
    let ns = |d: Duration| d.as_nanos() as f64;
    Ok(ObjectRow {
        object: kind.name(),
        progress,
        stalled_at: kind.stalled_at(),
        stall_ms: cfg.pause.as_secs_f64() * 1e3,
        ops,
        completed_during_stall: during,
        median_ns: ns(med),
        max_ns: ns(times.last().copied().unwrap_or_default()),
        observed,
        helped_while_asleep: helped,
        helped_cell,
        reruns,
        verdict,
        errors,
    })
}

/// One run over slots made by `slot` (each given the shared stall); `None` if
/// the others started after the stall was over.
fn one<C, R>(
    cfg: &ObjectStallConfig,
    slot: impl Fn(Arc<StallAt>) -> C,
) -> Result<(RsmProgress, Option<Run>), ConsensusError>
where
    C: IdConsensus + Send + 'static,
    R: Rules,
{
    let n = cfg.threads;
    let who = cfg.stalled;
    let stall = Arc::new(StallAt::new(who, cfg.pause));
    // One cell per operation (the stalled enq and every other client's), and
    // n spare cells.
    let capacity = 1 + (n - 1) * cfg.ops + n;
    let rsm = |e: crate::rsm::RsmError| ConsensusError::InvalidConfig(e.to_string());
    let mut object = Universal::<QueueSpec, C, R>::new(QueueSpec::default(), n, capacity, || {
        Ok(slot(Arc::clone(&stall)))
    })
    .map_err(rsm)?;
    let progress = object.progress();
    let mut clients: Vec<Option<_>> =
        object.clients().map_err(rsm)?.into_iter().map(Some).collect();
    let mut stalled_client =
        clients[who].take().ok_or_else(|| rsm(crate::rsm::RsmError::ClientsHandedOut))?;
    let gate = stall.gate();
    let object = &object;
    let ops = cfg.ops;
    let result = thread::scope(|s| {
        let stalled = s.spawn(move || stalled_client.submit(QueueOp::Enq(usize::MAX)));
        let wait = Backoff::new();
        while gate.state() == StallState::Waiting {
            if stalled.is_finished() {
                return Err(ConsensusError::InvalidConfig(format!(
                    "t{who} completed its operation without reaching its stall point"
                )));
            }
            wait.snooze();
        }
        let handles: Vec<_> = clients
            .iter_mut()
            .enumerate()
            .filter_map(|(t, c)| c.take().map(|c| (t, c)))
            .map(|(t, mut c)| {
                s.spawn(move || {
                    let started_inside = gate.state() == StallState::Inside;
                    let mut out = Vec::with_capacity(ops);
                    let mut rets = Vec::with_capacity(ops);
                    for k in 0..ops {
                        let op = if k % 2 == 0 { QueueOp::Enq(t * ops + k) } else { QueueOp::Deq };
                        let start = Instant::now();
                        let r = c.submit(op);
                        let took = start.elapsed();
                        out.push((took, gate.state() == StallState::Inside));
                        rets.push((OpId { client: t, seq: k as u64 + 1 }, r));
                    }
                    (started_inside, out, rets)
                })
            })
            .collect();
        let others: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        // Everyone else is done: is the stalled client's operation in the log
        // already, while it still sleeps?
        let observed = (gate.state() == StallState::Inside).then(|| {
            object.log().iter().find(|e| e.id == OpId { client: who, seq: 1 }).map(|e| e.cell)
        });
        let mine = stalled.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        Ok((mine, others, observed))
    })?;
    let (mine, others, observed) = result;
    if !others.iter().all(|o| o.0) {
        return Ok((progress, None));
    }
    // Log agreement: every client's return values are the log's replay.
    let mut errors = Vec::new();
    let replayed: std::collections::HashMap<OpId, Option<usize>> =
        replay(object.spec(), &object.log()).into_iter().collect();
    let rets = std::iter::once((OpId { client: who, seq: 1 }, mine))
        .chain(others.iter().flat_map(|o| o.2.iter().cloned()));
    for (id, r) in rets {
        match r {
            Err(e) => errors.push(format!("{id} failed: {e}")),
            Ok(v) if replayed.get(&id) != Some(&v) => errors.push(format!(
                "{id} returned {v:?}, the log's replay gives {:?}",
                replayed.get(&id)
            )),
            Ok(_) => {}
        }
    }
    let others = others.into_iter().flat_map(|o| o.1).collect();
    Ok((progress, Some(Run { others, observed, errors })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(ms: u64) -> ObjectStallConfig {
        ObjectStallConfig {
            threads: 2,
            stalled: 0,
            pause: Duration::from_millis(ms),
            ops: 200,
            instances: 1,
        }
    }

    #[test]
    fn wait_free_others_complete_and_help_the_stalled_operation_in() {
        // A long stall: even a loaded machine runs 200 operations within it.
        let r = run_object(ObjectKind::HelpingCas, &cfg(300)).unwrap();
        assert!(r.errors.is_empty(), "{r:?}");
        assert_eq!(r.progress, RsmProgress::WaitFree { cells: 3 });
        assert!(r.completed_during_stall > 0, "{r:?}");
        // Read only if the others finished within the stall (not timed here).
        assert_eq!(r.helped_while_asleep, r.observed, "{r:?}");
        if r.observed > 0 {
            assert_eq!(r.verdict, ObjectVerdict::KeptCompletingAndHelped);
            // Cell 0 is the stalled client's (0 mod 2 = 0): helped there.
            assert_eq!(r.helped_cell, Some(0), "{r:?}");
        }
    }

    #[test]
    fn lock_free_others_complete_but_do_not_help() {
        let r = run_object(ObjectKind::NoHelpingCas, &cfg(300)).unwrap();
        assert!(r.errors.is_empty(), "{r:?}");
        assert_eq!(r.progress, RsmProgress::LockFree);
        assert!(r.completed_during_stall > 0, "{r:?}");
        assert_eq!(r.helped_while_asleep, 0, "{r:?}");
    }

    #[test]
    fn a_stalled_lock_holder_blocks_every_other_client() {
        let r = run_object(ObjectKind::HelpingLock, &cfg(100)).unwrap();
        assert!(r.errors.is_empty(), "{r:?}");
        assert_eq!(r.progress, RsmProgress::Blocking);
        // No timing: the first cell's lock is released after the stalled
        // client's Woke store, and every other client needs that cell first.
        assert_eq!(r.completed_during_stall, 0, "{r:?}");
        assert_eq!(r.verdict, ObjectVerdict::Blocked);
        assert_eq!(r.ops, 200);
    }

    #[test]
    fn objects_are_selected_by_name() {
        assert_eq!(select_objects("all").unwrap().len(), 3);
        assert!(select_objects("none").unwrap().is_empty());
        let two = select_objects("queue/universal/cas,queue/universal/cas").unwrap();
        assert_eq!(two, [ObjectKind::HelpingCas]);
        assert!(select_objects("stack").unwrap_err().contains("unknown object 'stack'"));
    }
}
