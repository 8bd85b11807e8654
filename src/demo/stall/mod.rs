//! The stall demonstration: wait-freedom made visible on real cores.
//!
//! A progress guarantee says what the *other* threads can do while one thread
//! takes no steps, and on a real machine a thread takes no steps all the time:
//! it is preempted, it page-faults, its core is taken by an interrupt. This demo
//! makes that happen on purpose. On every instance, thread `stalled` (0 unless
//! told) starts first and pauses at a chosen point inside its protocol for a
//! chosen time (a [`StallGate`](crate::consensus::stall::StallGate)); only once
//! it is inside its stall do the other threads start, and each one's `decide` is
//! timed from its own start:
//!
//! * **holding the lock** ([`Point::Lock`], the lock protocols): the others
//!   cannot take the lock, so they wait out the rest of the stall. That is what
//!   *blocking* means: one slow thread makes everyone slow.
//! * **between announcing and its decisive operation** ([`Point::Announce`],
//!   every protocol, through [`Stalled`] in
//!   front of the announce layer): the stalled thread has published its
//!   proposal but taken no step of the protocol. A *wait-free* protocol bounds every thread's own steps whatever
//!   the others do, so the others decide in about the uncontended time and the
//!   stalled thread, when it wakes, adopts their decision.
//! * **between Paxos phases** ([`Point::PaxosPhase`], through the fault plan's
//!   [`Stall`](crate::paxos::Stall)): the stalled proposer holds promises from
//!   a majority (or, on the fast path, one accepted value) and then sleeps.
//!   Paxos is *obstruction-free*: a thread running alone decides. A sleeping proposer
//!   takes no steps, so the others run alone: they decide, overruling its
//!   ballot if it is in their way ("retried around it", counted from their
//!   ballots). Obstruction-freedom's weakness, two proposers that keep running
//!   and keep overruling each other, is not what a stall shows.
//!
//! The obstruction-free register protocols (`versioned`, `registers`) behave
//! like the wait-free ones at the announce point for the same reason: a stalled
//! thread takes no steps, so it cannot obstruct. The table says what was
//! measured, not what the class predicts.
//!
//! The verdict compares the others' median decide time with the stall: more
//! than half of it is "waited out the stall"; otherwise "retried around it" if
//! a Paxos proposer needed a second ballot, else "unaffected". Separately, and
//! without timing, the report counts the decisions that returned while the
//! stalled thread was still inside its stall (the gate's state, read after
//! `decide` returns): a lock protocol's count is always 0, because the lock is
//! released after the stalled thread marks itself awake.
//!
//! The uncontended time is measured in the same run and the same way: a fresh
//! thread decides alone on a fresh instance, with the id the others use.
//!
//! [`universal`] does the same to replicated objects: one client of Herlihy's
//! universal queue stalled mid-operation (announced, before its first cell's
//! consensus, or holding that cell's lock), the others submitting operations.

mod instance;
pub mod universal;

use crate::consensus::protocol::{Params, ProtocolInfo, StallPlan};
use crate::consensus::stall::{StallPoint, Stalled, StalledInstance};
use crate::consensus::{ConsensusError, Progress};
use crate::registry::{self, Entry, PROTOCOLS};
use crate::threads::median;
use instance::{instance, uncontended, MAX_RERUNS};
use std::time::Duration;

/// Where the stalled thread pauses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Point {
    /// After announcing its proposal, before its first step of the protocol.
    Announce,
    /// Inside the critical section of a lock protocol.
    Lock,
    /// Paxos: after phase 1, before phase 2 (after its first accept on the
    /// fast path, which has no phase 1).
    PaxosPhase,
}

impl Point {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Point::Announce => "announce",
            Point::Lock => "lock",
            Point::PaxosPhase => "paxos-phase",
        }
    }

    /// The protocol's own stall point this is (`None`: the announce point,
    /// which every protocol has).
    pub fn inner(self) -> Option<StallPoint> {
        match self {
            Point::Announce => None,
            Point::Lock => Some(StallPoint::Lock),
            Point::PaxosPhase => Some(StallPoint::PaxosPhase),
        }
    }

    /// Whether the point exists in the protocol (as its info declares).
    pub fn applies_to(self, info: &ProtocolInfo) -> bool {
        self.inner().is_none_or(|p| info.stall == Some(p))
    }

    /// The most telling point of a protocol: its own stall point if it
    /// declares one (the lock, between Paxos phases), after announcing
    /// otherwise.
    pub fn auto(info: &ProtocolInfo) -> Point {
        match info.stall {
            Some(StallPoint::Lock) => Point::Lock,
            Some(StallPoint::PaxosPhase) => Point::PaxosPhase,
            None => Point::Announce,
        }
    }

    /// The protocols that have this point.
    fn protocols(self) -> Vec<&'static str> {
        PROTOCOLS
            .iter()
            .map(|e| e.info())
            .filter(|i| i.broken.is_none() && self.applies_to(i))
            .map(|i| i.name)
            .collect()
    }
}

/// The size of the demonstration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StallConfig {
    /// Threads per instance (at least 2: the stalled one and someone to watch).
    pub threads: usize,
    /// The stalled thread's id.
    pub stalled: usize,
    /// How long it pauses.
    pub pause: Duration,
    /// Instances per protocol.
    pub instances: usize,
}

impl StallConfig {
    /// Checks the sizes.
    ///
    /// # Errors
    /// Fewer than 2 threads, a stalled id out of range, no instance, no pause.
    pub fn validate(&self) -> Result<(), String> {
        if self.threads < 2 {
            return Err(format!(
                "the stall demo needs at least 2 threads (the stalled one and one to watch), not {}",
                self.threads
            ));
        }
        if self.stalled >= self.threads {
            return Err(format!(
                "there is no thread {} to stall (threads are 0..{})",
                self.stalled, self.threads
            ));
        }
        if self.instances == 0 {
            return Err("the stall demo needs at least 1 instance".into());
        }
        if self.pause.is_zero() {
            return Err("a stall of 0 ms shows nothing".into());
        }
        Ok(())
    }
}

/// A protocol and where it is stalled.
#[derive(Clone, Copy)]
pub struct Selected {
    /// The registry entry.
    pub entry: Entry,
    /// The stall point.
    pub point: Point,
}

impl std::fmt::Debug for Selected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selected")
            .field("protocol", &self.entry.info().name)
            .field("point", &self.point)
            .finish()
    }
}

/// A protocol left out, and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Skipped {
    /// Its name.
    pub protocol: &'static str,
    /// Why.
    pub reason: String,
}

/// Picks the protocols: `all` (every correct one for which the point and the
/// thread count make sense; the rest are skipped with the reason) or a comma
/// list of names (where the same mismatches are errors). `point: None` is
/// auto ([`Point::auto`]).
///
/// # Errors
/// An unknown or broken protocol, a point or thread count a named protocol does
/// not support, or nothing left to run.
pub fn select(
    spec: &str,
    point: Option<Point>,
    threads: usize,
) -> Result<(Vec<Selected>, Vec<Skipped>), String> {
    let fits = |e: Entry| -> Result<Selected, String> {
        let info = e.info();
        let point = point.unwrap_or_else(|| Point::auto(info));
        if !point.applies_to(info) {
            return Err(format!(
                "the {} point does not exist in {} (only in {})",
                point.name(),
                info.name,
                point.protocols().join(", ")
            ));
        }
        e.check(&Params::threads(threads)).map_err(|e| e.to_string())?;
        Ok(Selected { entry: e, point })
    };
    let (mut selected, mut skipped) = (Vec::new(), Vec::new());
    if spec == "all" {
        for e in PROTOCOLS.iter().copied().filter(|e| e.info().broken.is_none()) {
            match fits(e) {
                Ok(s) => selected.push(s),
                Err(reason) => skipped.push(Skipped { protocol: e.info().name, reason }),
            }
        }
    } else {
        for name in spec.split(',').map(str::trim) {
            let e = registry::find(name).ok_or_else(|| {
                format!("unknown protocol '{name}' (known: all, {})", correct_names().join(", "))
            })?;
            if e.info().broken.is_some() {
                return Err(format!(
                    "{name} is broken on purpose; the stall demo compares correct protocols"
                ));
            }
            if !selected.iter().any(|s: &Selected| s.entry.info().name == name) {
                selected.push(fits(e)?);
            }
        }
    }
    if selected.is_empty() {
        let why: Vec<_> = skipped.iter().map(|s| format!("{}: {}", s.protocol, s.reason)).collect();
        return Err(format!("no protocol to stall ({})", why.join("; ")));
    }
    Ok((selected, skipped))
}

fn correct_names() -> Vec<&'static str> {
    PROTOCOLS.iter().filter(|e| e.info().broken.is_none()).map(|e| e.info().name).collect()
}

/// What the other threads did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Their median decide took more than half the stall.
    WaitedOutTheStall,
    /// They decided during the stall, some after overruling the stalled
    /// thread's ballot.
    RetriedAroundIt,
    /// They decided during the stall, as if it were not there.
    Unaffected,
    /// Some decision failed or disagreed (see the errors).
    Failed,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::WaitedOutTheStall => "waited out the stall",
            Verdict::RetriedAroundIt => "retried around it",
            Verdict::Unaffected => "unaffected",
            Verdict::Failed => "FAILED",
        })
    }
}

/// One protocol's result.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Row {
    /// The protocol.
    pub protocol: &'static str,
    /// Its progress guarantee.
    pub progress: Progress,
    /// The stall point.
    pub point: Point,
    /// The stall point, in words, for this protocol and stalled id.
    pub stalled_at: String,
    /// The pause, in milliseconds.
    pub stall_ms: f64,
    /// Median time of one decide by a fresh thread alone on a fresh instance.
    pub uncontended_ns: f64,
    /// The other threads' decide times while the stall was on: median.
    pub median_ns: f64,
    /// ... and maximum.
    pub max_ns: f64,
    /// The other threads' decisions measured.
    pub decisions: usize,
    /// Of those, how many returned while the stalled thread was still inside
    /// its stall (read from its gate, not from a clock).
    pub during_stall: usize,
    /// Of those, how many needed more than one ballot (Paxos only).
    pub retried: Option<usize>,
    /// Instances whose decided value was the stalled thread's.
    pub stalled_won: usize,
    /// Instances re-run because the others started only after the stall ended
    /// (a busy machine).
    pub reruns: usize,
    /// The verdict.
    pub verdict: Verdict,
    /// Errors and disagreements, if any (then the verdict is `Failed`).
    pub errors: Vec<String>,
}

/// A fresh instance of the selected protocol with the stall built in.
fn build(sel: &Selected, cfg: &StallConfig) -> Result<Box<dyn StalledInstance>, ConsensusError> {
    let params = Params::threads(cfg.threads);
    match sel.point {
        Point::Announce => {
            Ok(Box::new(Stalled::new(sel.entry.build(&params)?, cfg.stalled, cfg.pause)))
        }
        _ => sel.entry.build_stalled(&params, StallPlan { who: cfg.stalled, pause: cfg.pause }),
    }
}

/// Fewest samples of the uncontended baseline (a fresh thread each, so its
/// median is noisy with fewer).
const UNCONTENDED_SAMPLES: usize = 51;

/// Runs the demonstration for one protocol.
///
/// # Errors
/// An invalid configuration, a thread the OS refused, or a machine so busy
/// that the other threads never started while the stalled one was stalled.
pub fn run_one(sel: &Selected, cfg: &StallConfig) -> Result<Row, ConsensusError> {
    cfg.validate().map_err(ConsensusError::InvalidConfig)?;
    let uncontended = uncontended(sel, cfg, cfg.instances.max(UNCONTENDED_SAMPLES))?;
    let (mut times, mut during, mut retried, mut stalled_won, mut reruns) =
        (Vec::new(), 0, None, 0, 0);
    let mut errors = Vec::new();
    for i in 0..cfg.instances {
        let (mine, others) = loop {
            match instance(build(sel, cfg)?, cfg)? {
                Some(outcome) => break outcome,
                None if reruns < MAX_RERUNS * cfg.instances => reruns += 1,
                None => {
                    return Err(ConsensusError::InvalidConfig(format!(
                        "the machine is too busy: {reruns} times the other threads started only \
                         after a {} ms stall was over; try a longer --stall-ms",
                        cfg.pause.as_millis()
                    )))
                }
            }
        };
        let results: Vec<_> =
            std::iter::once(&mine).chain(others.iter().map(|o| &o.result)).collect();
        let decided: Vec<u64> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
        for e in results.iter().filter_map(|r| r.as_ref().err()) {
            errors.push(format!("instance {i}: {e}"));
        }
        if decided.windows(2).any(|w| w[0] != w[1]) {
            errors.push(format!("instance {i}: disagreement: {decided:?}"));
        }
        stalled_won += usize::from(mine == Ok(cfg.stalled as u64));
        for o in &others {
            times.push(o.took);
            during += usize::from(o.during_stall);
            if let Some(a) = o.attempts {
                *retried.get_or_insert(0) += usize::from(a > 1);
            }
        }
    }
    let med = median(&mut times);
    let verdict = if !errors.is_empty() {
        Verdict::Failed
    } else if med > cfg.pause / 2 {
        Verdict::WaitedOutTheStall
    } else if retried.is_some_and(|r| r > 0) {
        Verdict::RetriedAroundIt
    } else {
        Verdict::Unaffected
    };
    let ns = |d: Duration| d.as_nanos() as f64;
    Ok(Row {
        protocol: sel.entry.info().name,
        progress: sel.entry.progress(cfg.threads)?,
        point: sel.point,
        stalled_at: build(sel, cfg)?.stalled_at(),
        stall_ms: cfg.pause.as_secs_f64() * 1e3,
        uncontended_ns: ns(uncontended),
        median_ns: ns(med),
        max_ns: ns(times.last().copied().unwrap_or_default()),
        decisions: times.len(),
        during_stall: during,
        retried,
        stalled_won,
        reruns,
        verdict,
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(ms: u64) -> StallConfig {
        StallConfig { threads: 2, stalled: 0, pause: Duration::from_millis(ms), instances: 2 }
    }

    fn one(name: &str, point: Option<Point>, cfg: &StallConfig) -> Row {
        let (sel, _) = select(name, point, cfg.threads).unwrap();
        run_one(&sel[0], cfg).unwrap()
    }

    #[test]
    fn a_stalled_lock_holder_makes_the_other_wait_for_it() {
        for name in ["lock-std", "lock-parking-lot"] {
            // Long enough that starting the other thread is a small part of it.
            let c = cfg(100);
            let r = one(name, None, &c);
            assert_eq!(r.point, Point::Lock);
            // No timing: the lock is released after the stalled thread's Woke
            // store, and the other's lock acquisition synchronizes with it.
            assert_eq!(r.during_stall, 0, "{r:?}");
            assert_eq!(r.verdict, Verdict::WaitedOutTheStall);
            assert_eq!(r.stalled_won, c.instances, "the lock holder decided itself");
        }
    }

    #[test]
    fn a_wait_free_protocol_decides_while_the_stalled_thread_sleeps() {
        // A long stall so that even a busy machine runs the other thread within it.
        let r = one("cas", None, &cfg(300));
        assert_eq!(r.point, Point::Announce);
        assert_eq!(r.during_stall, r.decisions, "{r:?}");
        assert_eq!(r.stalled_won, 0, "the others decided first; the stalled thread adopted it");
        assert!(r.errors.is_empty(), "{r:?}");
    }

    #[test]
    fn paxos_retries_around_a_proposer_stalled_between_phases() {
        // Proposer 1 stalls holding a majority of promises; proposer 0's
        // fast-path accept is nacked, so it needs a second ballot.
        let c = StallConfig { stalled: 1, ..cfg(300) };
        let r = one("paxos", None, &c);
        assert_eq!(r.point, Point::PaxosPhase);
        assert!(r.stalled_at.contains("between phases"), "{r:?}");
        assert_eq!(r.retried, Some(r.decisions), "{r:?}");
        assert_eq!(r.during_stall, r.decisions, "{r:?}");
        assert_eq!(r.verdict, Verdict::RetriedAroundIt);
    }

    #[test]
    fn selection_skips_with_all_and_refuses_by_name() {
        let (sel, skipped) = select("all", Some(Point::Lock), 2).unwrap();
        assert_eq!(sel.len(), 2);
        assert!(skipped.iter().any(|s| s.protocol == "cas"), "{skipped:?}");
        let (sel, skipped) = select("all", None, 3).unwrap();
        assert!(sel.iter().all(|s| s.entry.info().name != "swap"));
        assert!(skipped.iter().any(|s| s.protocol == "swap" && s.reason.contains("at most 2")));
        assert!(select("cas", Some(Point::Lock), 2).unwrap_err().contains("does not exist"));
        assert!(select("swap", None, 3).unwrap_err().contains("at most 2"));
        assert!(select("nope", None, 2).unwrap_err().contains("unknown protocol 'nope'"));
        assert!(select("read-write", None, 2).unwrap_err().contains("broken"));
        assert!(select("all", Some(Point::PaxosPhase), 2).is_ok());
        let (_, skipped) = select("all", None, 3).unwrap();
        assert!(skipped.iter().any(|s| s.protocol == "assignment-3-groups"), "{skipped:?}");
        let (sel, _) = select("cas,cas", None, 2).unwrap();
        assert_eq!(sel.len(), 1);
    }

    #[test]
    fn sizes_are_validated() {
        assert!(cfg(5).validate().is_ok());
        assert!(StallConfig { threads: 1, ..cfg(5) }.validate().is_err());
        assert!(StallConfig { stalled: 2, ..cfg(5) }.validate().is_err());
        assert!(StallConfig { instances: 0, ..cfg(5) }.validate().is_err());
        assert!(cfg(0).validate().is_err());
    }
}
