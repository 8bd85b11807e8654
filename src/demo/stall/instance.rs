//! One stalled instance on real threads, and the uncontended baseline.

use super::{Selected, StallConfig};
use crate::consensus::protocol::Params;
use crate::consensus::stall::StallState;
use crate::consensus::stall::StalledInstance;
use crate::consensus::{Consensus, ConsensusError, Proposals};
use crate::sync::{thread, Backoff};
use crate::threads::median;
use std::time::{Duration, Instant};

/// Runs `f` on a new scoped thread named after thread id `t`.
fn spawn<'scope, R: Send + 'scope>(
    s: &'scope thread::Scope<'scope, '_>,
    t: usize,
    f: impl FnOnce() -> R + Send + 'scope,
) -> Result<thread::ScopedJoinHandle<'scope, R>, ConsensusError> {
    // The caller's seed (`threads::seeded`), as `race` would give thread t.
    let seed = crate::threads::current_seed();
    thread::Builder::new()
        .name(format!("conlab-stall-t{t}"))
        .spawn_scoped(s, move || {
            crate::threads::seed_current(seed, t);
            f()
        })
        .map_err(|source| crate::threads::Error::Spawn { thread: t, source }.into())
}

fn join<R>(h: thread::ScopedJoinHandle<'_, R>) -> R {
    // A panicking protocol is a bug in this crate; re-raise it where it shows.
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// One other thread's decision.
pub(super) struct Other {
    /// What its decide returned.
    pub result: Result<u64, ConsensusError>,
    /// How long the decide took, from the thread's start.
    pub took: Duration,
    /// Whether the stalled thread was inside its stall when this one started.
    started_inside: bool,
    /// Whether it was still inside when this one's decide returned.
    pub during_stall: bool,
    /// Paxos ballots used.
    pub attempts: Option<usize>,
}

/// One instance: the stalled thread's result and the others'; `None` if the
/// others started only after the stall was over.
pub(super) type Outcome = (Result<u64, ConsensusError>, Vec<Other>);

pub(super) fn instance(
    target: Box<dyn StalledInstance>,
    cfg: &StallConfig,
) -> Result<Option<Outcome>, ConsensusError> {
    let who = cfg.stalled;
    let slot = Proposals::new(target);
    let slot = &slot;
    let gate = slot
        .ids()
        .gate()
        .ok_or_else(|| ConsensusError::InvalidConfig("the instance has no stall".into()))?;
    thread::scope(|s| {
        let stalled = spawn(s, who, move || slot.decide(who, who as u64).copied())?;
        // Waiting for another thread to reach a point: crossbeam's `snooze`
        // (spin a little, then yield the core).
        let wait = Backoff::new();
        while gate.state() == StallState::Waiting {
            if stalled.is_finished() {
                let r = join(stalled);
                return Err(ConsensusError::InvalidConfig(format!(
                    "t{who} decided ({r:?}) without reaching its stall point"
                )));
            }
            wait.snooze();
        }
        let handles = (0..cfg.threads)
            .filter(|&t| t != who)
            .map(|t| {
                spawn(s, t, move || {
                    let started_inside = gate.state() == StallState::Inside;
                    let start = Instant::now();
                    let result = slot.decide(t, t as u64).copied();
                    let took = start.elapsed();
                    let during_stall = gate.state() == StallState::Inside;
                    Other { result, took, started_inside, during_stall, attempts: None }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut others: Vec<Other> = handles.into_iter().map(join).collect();
        let mine = join(stalled);
        if !others.iter().all(|o| o.started_inside) {
            return Ok(None);
        }
        let ids: Vec<usize> = (0..cfg.threads).filter(|&t| t != who).collect();
        for (o, t) in others.iter_mut().zip(ids) {
            o.attempts = slot.ids().attempts(t);
        }
        Ok(Some((mine, others)))
    })
}

/// Re-runs of one instance before giving up on a machine too busy to start
/// the other threads within the stall.
pub(super) const MAX_RERUNS: usize = 10;

/// One decide by a fresh thread alone on a fresh registry instance, with the
/// id the others use: the median over `samples`.
pub(super) fn uncontended(
    sel: &Selected,
    cfg: &StallConfig,
    samples: usize,
) -> Result<Duration, ConsensusError> {
    let t = usize::from(cfg.stalled == 0);
    let mut times = Vec::with_capacity(samples);
    // One more sample, discarded first: it warms the code and the allocator.
    for k in 0..=samples {
        let slot = Proposals::new(sel.entry.build(&Params::threads(cfg.threads))?);
        let slot = &slot;
        let (result, took) = thread::scope(|s| {
            Ok::<_, ConsensusError>(join(spawn(s, t, move || {
                let start = Instant::now();
                let r = slot.decide(t, t as u64).copied();
                (r, start.elapsed())
            })?))
        })?;
        result?;
        if k > 0 {
            times.push(took);
        }
    }
    Ok(median(&mut times))
}
