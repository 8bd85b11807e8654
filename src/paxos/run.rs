//! Running Paxos on real cores: `P` proposer threads race on `K` fresh
//! instances under a fault plan; every instance is checked for agreement among
//! the proposers that decided, and what each proposer did is summed up.
//!
//! Used by `conlab paxos` and by the fault stress test. Like the generic stress
//! runner, the threads meet at a barrier every `batch` instances so they race on
//! the same instance.

use super::fast::{FastPaxosConfig, FastPaxosConsensus, FastRules};
use super::{Acceptor, FaultPlan, PaxosConfig, PaxosConsensus, ProposerStats, Rules};
use crate::consensus::ConsensusError;
use crate::threads::SpinBarrier;
use crate::threads::{check_size, race};
use std::time::{Duration, Instant};

/// What one proposer did over all instances.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProposerSummary {
    /// Instances it decided.
    pub decided: usize,
    /// Instances where it crashed (fault plan).
    pub crashed: usize,
    /// Instances where it found no quorum.
    pub no_quorum: usize,
    /// Instances it decided on the fast path.
    pub fast_path: usize,
    /// Totals of its per-instance statistics.
    pub attempts: usize,
    /// Nacks received.
    pub nacks: usize,
    /// Prepares sent.
    pub prepares: usize,
    /// Accepts sent.
    pub accepts: usize,
    /// Acceptor read-modify-writes it caused.
    pub rmws: usize,
    /// Of those, the ones of instances it decided on the fast path.
    pub fast_path_rmws: usize,
}

impl ProposerSummary {
    fn add(&mut self, result: &Result<usize, ConsensusError>, s: &ProposerStats) {
        match result {
            Ok(_) => self.decided += 1,
            Err(ConsensusError::Crashed { .. }) => self.crashed += 1,
            Err(ConsensusError::NoQuorum { .. }) => self.no_quorum += 1,
            Err(_) => {}
        }
        self.fast_path += usize::from(s.fast_path && result.is_ok());
        if s.fast_path && result.is_ok() {
            self.fast_path_rmws += s.rmws;
        }
        self.attempts += s.attempts;
        self.nacks += s.nacks;
        self.prepares += s.prepares;
        self.accepts += s.accepts;
        self.rmws += s.rmws;
    }
}

/// The outcome of a run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PaxosRun {
    /// Instances run.
    pub instances: usize,
    /// Per proposer.
    pub proposers: Vec<ProposerSummary>,
    /// `decisions[t]`: instances whose decided value was proposer `t`'s.
    pub decisions: Vec<usize>,
    /// Instances where two proposers decided differently (must be 0).
    pub disagreements: usize,
    /// Instances some proposer decided on the fast path (Fast Paxos: no
    /// collision; classic Paxos: proposer 0's ballot 1 went through).
    pub fast_instances: usize,
    /// The first errors other than crash / no quorum / give-up, if any.
    pub errors: Vec<String>,
    /// Wall time of the racing phase.
    #[serde(rename = "elapsed_ms", serialize_with = "crate::threads::serialize_millis")]
    pub elapsed: Duration,
}

impl PaxosRun {
    /// Decisions made (over all proposers and instances).
    pub fn decided(&self) -> usize {
        self.proposers.iter().map(|p| p.decided).sum()
    }

    /// Instances where some proposer found no quorum.
    pub fn no_quorum(&self) -> usize {
        self.proposers.iter().map(|p| p.no_quorum).sum()
    }
}

/// A single-decree instance whose proposers report what they did: classic
/// Paxos and Fast Paxos, run alike.
pub trait Instance: Sync {
    /// Proposer `me` runs until it decides, gives up, crashes or finds no quorum.
    fn propose(&self, me: usize) -> (Result<usize, ConsensusError>, ProposerStats);
}

impl<A: Acceptor, R: Rules> Instance for PaxosConsensus<A, R> {
    fn propose(&self, me: usize) -> (Result<usize, ConsensusError>, ProposerStats) {
        PaxosConsensus::propose(self, me)
    }
}

impl<A: Acceptor, R: FastRules> Instance for FastPaxosConsensus<A, R> {
    fn propose(&self, me: usize) -> (Result<usize, ConsensusError>, ProposerStats) {
        FastPaxosConsensus::propose(self, me)
    }
}

/// Runs `cfg.proposers` threads on `instances` instances, instance `i` built
/// with the fault plan `plan(i)` (the rest of `cfg` as given).
///
/// # Errors
/// An invalid configuration or plan.
pub fn run<A: Acceptor>(
    cfg: &PaxosConfig,
    instances: usize,
    batch: usize,
    plan: impl Fn(usize) -> FaultPlan,
) -> Result<PaxosRun, ConsensusError> {
    check_run(cfg.proposers, instances, batch)?;
    let slots: Vec<PaxosConsensus<A>> = (0..instances)
        .map(|i| PaxosConsensus::new(&PaxosConfig { faults: plan(i), ..cfg.clone() }))
        .collect::<Result<_, _>>()?;
    run_instances(cfg.proposers, &slots, batch)
}

/// [`run`] for Fast Paxos (rules `R`: who recovers, and how).
///
/// # Errors
/// An invalid configuration or plan.
pub fn run_fast<A: Acceptor, R: FastRules>(
    cfg: &FastPaxosConfig,
    instances: usize,
    batch: usize,
    plan: impl Fn(usize) -> FaultPlan,
) -> Result<PaxosRun, ConsensusError> {
    check_run(cfg.proposers, instances, batch)?;
    let slots: Vec<FastPaxosConsensus<A, R>> = (0..instances)
        .map(|i| FastPaxosConsensus::new(&FastPaxosConfig { faults: plan(i), ..cfg.clone() }))
        .collect::<Result<_, _>>()?;
    run_instances(cfg.proposers, &slots, batch)
}

fn check_run(proposers: usize, instances: usize, batch: usize) -> Result<(), ConsensusError> {
    if instances == 0 || batch == 0 {
        return Err(ConsensusError::InvalidConfig("instances and batch must be at least 1".into()));
    }
    Ok(check_size(proposers, instances)?)
}

/// `n` proposer threads race on every instance of `slots`, meeting at a
/// barrier every `batch` instances; every instance is checked for agreement.
///
/// # Errors
/// A thread that cannot be started.
pub fn run_instances<I: Instance>(
    n: usize,
    slots: &[I],
    batch: usize,
) -> Result<PaxosRun, ConsensusError> {
    let instances = slots.len();
    let barrier = SpinBarrier::new(n);
    let start = Instant::now();
    let per_thread: Vec<Vec<(Result<usize, ConsensusError>, ProposerStats)>> = race(n, |me| {
        let mut out = Vec::with_capacity(instances);
        for chunk in slots.chunks(batch) {
            barrier.wait();
            out.extend(chunk.iter().map(|p| p.propose(me)));
        }
        out
    })?;
    let elapsed = start.elapsed();

    let mut proposers = vec![ProposerSummary::default(); n];
    let mut decisions = vec![0; n];
    let (mut disagreements, mut fast_instances, mut errors) = (0, 0, Vec::new());
    for i in 0..instances {
        let mut decided: Option<usize> = None;
        let (mut agree, mut fast) = (true, false);
        for (me, results) in per_thread.iter().enumerate() {
            let (result, stats) = &results[i];
            proposers[me].add(result, stats);
            fast |= stats.fast_path && result.is_ok();
            match result {
                Ok(v) => match decided {
                    None => decided = Some(*v),
                    Some(d) if d != *v => agree = false,
                    Some(_) => {}
                },
                Err(
                    ConsensusError::Crashed { .. }
                    | ConsensusError::NoQuorum { .. }
                    | ConsensusError::GaveUp { .. },
                ) => {}
                Err(e) if errors.len() < 5 => errors.push(format!("instance {i}, t{me}: {e}")),
                Err(_) => {}
            }
        }
        fast_instances += usize::from(fast);
        if !agree {
            disagreements += 1;
        } else if let Some(v) = decided {
            decisions[v] += 1;
        }
    }
    Ok(PaxosRun { instances, proposers, decisions, disagreements, fast_instances, errors, elapsed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paxos::{Crash, MutexAcceptor, PackedAcceptor};

    /// A random plan for instance `i`: up to `max_acceptors` acceptors and up to
    /// `proposers - 1` proposers crash, each at a random point.
    fn random_plan(
        i: usize,
        acceptors: usize,
        proposers: usize,
        max_acceptors: usize,
    ) -> FaultPlan {
        // Seeded by the instance: the same instance always gets the same plan.
        let mut rng = fastrand::Rng::with_seed(i as u64);
        let mut pick = |n: usize| rng.usize(..n);
        let mut plan = FaultPlan::none();
        for _ in 0..pick(max_acceptors + 1) {
            let who = pick(acceptors);
            if plan.acceptor(who).is_none() {
                plan.acceptors.push(Crash { who, after: pick(4) });
            }
        }
        for _ in 0..pick(proposers) {
            let who = pick(proposers);
            if plan.proposer(who).is_none() {
                plan.proposers.push(Crash { who, after: pick(6) });
            }
        }
        plan
    }

    fn random_crashes_never_break_agreement<A: Acceptor>(acceptors: usize, proposers: usize) {
        let cfg = PaxosConfig { acceptors, ..PaxosConfig::new(proposers) };
        let f = (acceptors - 1) / 2;
        // Up to f crashed acceptors: every live proposer decides.
        let r = run::<A>(&cfg, 3_000, 16, |i| random_plan(i, acceptors, proposers, f)).unwrap();
        assert_eq!(r.disagreements, 0, "{r:?}");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.no_quorum(), 0, "with at most f crashed a quorum is always live: {r:?}");
        let crashed: usize = r.proposers.iter().map(|p| p.crashed).sum();
        assert_eq!(r.decided() + crashed, 3_000 * proposers, "every live proposer decides");
        // Any number crashed: still no disagreement, and no hang.
        let r =
            run::<A>(&cfg, 3_000, 16, |i| random_plan(i, acceptors, proposers, acceptors)).unwrap();
        assert_eq!(r.disagreements, 0, "{r:?}");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    }

    #[test]
    fn random_crashes_never_break_agreement_packed() {
        random_crashes_never_break_agreement::<PackedAcceptor>(5, 3);
        random_crashes_never_break_agreement::<PackedAcceptor>(3, 2);
    }

    #[test]
    fn random_crashes_never_break_fast_paxos() {
        use crate::paxos::fast::{Lamport, LamportCoordinated};
        for (acceptors, proposers) in [(4, 3), (5, 4), (3, 2)] {
            let cfg = FastPaxosConfig::new(proposers, acceptors).unwrap();
            let q = cfg.quorums;
            let f = acceptors - q.phase1.max(q.phase2);
            let r = run_fast::<PackedAcceptor, Lamport>(&cfg, 2_000, 16, |i| {
                random_plan(i, acceptors, proposers, f)
            })
            .unwrap();
            assert_eq!(r.disagreements, 0, "{r:?}");
            assert!(r.errors.is_empty(), "{:?}", r.errors);
            assert_eq!(r.no_quorum(), 0, "{r:?}");
            let crashed: usize = r.proposers.iter().map(|p| p.crashed).sum();
            assert_eq!(r.decided() + crashed, 2_000 * proposers, "every live proposer decides");
            // Coordinated: the coordinator (proposer 0) must not crash.
            let r = run_fast::<PackedAcceptor, LamportCoordinated>(&cfg, 2_000, 16, |i| {
                let mut plan = random_plan(i, acceptors, proposers, f);
                plan.proposers.retain(|c| c.who != 0);
                plan
            })
            .unwrap();
            assert_eq!(r.disagreements, 0, "{r:?}");
            assert!(r.errors.is_empty(), "{:?}", r.errors);
            let crashed: usize = r.proposers.iter().map(|p| p.crashed).sum();
            assert_eq!(r.decided() + crashed, 2_000 * proposers, "every live proposer decides");
        }
    }

    #[test]
    fn random_crashes_never_break_agreement_mutex() {
        random_crashes_never_break_agreement::<MutexAcceptor>(5, 3);
    }

    #[test]
    fn a_proposer_stalled_between_phases_is_retried_around() {
        use crate::consensus::stall::StallState;
        use crate::paxos::Stall;
        // Proposer 1 promises ballot 2 at acceptors 1 and 2 (phase 1), then
        // sleeps. Proposer 0's fast-path accept at ballot 1 is nacked there; it
        // retries above 2 and decides, all while proposer 1 sleeps.
        let stall = Stall { who: 1, after: 2, pause: Duration::from_secs(1) };
        let faults = FaultPlan { stalls: vec![stall], ..FaultPlan::none() };
        let cfg = PaxosConfig { faults, ..PaxosConfig::new(2) };
        let p = PaxosConsensus::<PackedAcceptor>::new(&cfg).unwrap();
        let gate = p.stall_gate(1).unwrap();
        assert!(p.stall_gate(0).is_none());
        std::thread::scope(|s| {
            let stalled = s.spawn(|| p.propose(1));
            while gate.state() == StallState::Waiting {
                crate::sync::yield_now();
            }
            let (decided, stats) = p.propose(0);
            assert_eq!(gate.state(), StallState::Inside, "proposer 0 decided during the stall");
            assert_eq!(decided, Ok(0));
            assert_eq!(stats.attempts, 2, "nacked once by proposer 1's promises: {stats:?}");
            let (late, _) = stalled.join().unwrap();
            assert_eq!(late, Ok(0), "the stalled proposer adopts the chosen value");
        });
    }

    #[test]
    fn a_stall_plan_runs_and_agrees() {
        let stall = crate::paxos::Stall { who: 0, after: 1, pause: Duration::from_millis(1) };
        let faults = FaultPlan { stalls: vec![stall], ..FaultPlan::none() };
        let cfg = PaxosConfig { faults: faults.clone(), ..PaxosConfig::new(3) };
        let r = run::<MutexAcceptor>(&cfg, 20, 4, |_| faults.clone()).unwrap();
        assert_eq!(r.disagreements, 0, "{r:?}");
        assert_eq!(r.decided(), 60);
    }

    #[test]
    fn a_lost_majority_is_no_quorum_for_everyone() {
        let cfg = PaxosConfig {
            acceptors: 5,
            faults: FaultPlan::first_acceptors_crashed(3),
            ..PaxosConfig::new(4)
        };
        let r = run::<PackedAcceptor>(&cfg, 100, 10, |_| cfg.faults.clone()).unwrap();
        assert_eq!(r.decided(), 0);
        assert_eq!(r.no_quorum(), 400);
    }
}
