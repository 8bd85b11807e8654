//! Multi-Paxos on real threads: every increment applied once, a leader crash
//! survived, acceptor crashes up to f survived and beyond f a no-quorum
//! error (not a hang), bad configurations refused.

use super::broken::skipping_phase1;
use super::{Config, MultiAcceptor, MultiPaxos, MutexMulti, PackedMulti, Reads, Timeout};
use crate::objects::rmw::{WordOp, WordSpec};
use crate::paxos::faults::{LeaderFault, LeaderStep};
use crate::paxos::{Crash, FaultPlan};
use crate::rsm::{Client, Replicated, RsmError};
use std::time::Duration;

const COUNTER: WordSpec = WordSpec { add: true, init: 0 };

fn config(acceptors: usize, clients: usize, capacity: usize, faults: FaultPlan) -> Config {
    Config {
        acceptors,
        clients,
        capacity,
        timeout: Timeout::After(Duration::from_micros(200)),
        faults,
        reads: Reads::Log,
    }
}

/// Each client's results (up to its first error) and that error.
type Results = Vec<(Vec<usize>, Option<RsmError>)>;

/// Runs `per` increments on each client; returns each client's results (up
/// to its first error) and the error.
fn race<A: MultiAcceptor>(c: Config, per: usize) -> (MultiPaxos<WordSpec, A>, Results) {
    let mut log = MultiPaxos::<_, A>::new(COUNTER, c).unwrap();
    let clients = log.clients().unwrap();
    let got = std::thread::scope(|s| {
        let handles: Vec<_> = clients
            .into_iter()
            .map(|mut cl| {
                s.spawn(move || {
                    let mut rets = Vec::new();
                    for _ in 0..per {
                        match cl.submit(WordOp::Rmw(1)) {
                            Ok(r) => rets.push(r),
                            Err(e) => return (rets, Some(e)),
                        }
                    }
                    (rets, None)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    (log, got)
}

fn every_increment_once<A: MultiAcceptor>() {
    let per = 300;
    let (log, got) = race::<A>(config(3, 3, 3 * per, FaultPlan::none()), per);
    let mut all: Vec<usize> = got.iter().flat_map(|g| g.0.clone()).collect();
    assert!(got.iter().all(|g| g.1.is_none()), "{got:?}");
    all.sort_unstable();
    assert_eq!(all, (0..3 * per).collect::<Vec<_>>(), "each applied once");
    assert_eq!(log.log().len(), 3 * per, "no duplicate, no no-op without a fault");
    let t = log.totals();
    assert!(t.takeovers >= 1 && t.accepts >= 2 * t.commands, "{t:?}");
}

#[test]
fn every_increment_is_applied_once_with_both_acceptors() {
    every_increment_once::<PackedMulti>();
    every_increment_once::<MutexMulti>();
}

#[test]
fn a_stable_leader_costs_one_accept_per_acceptor_of_a_majority() {
    let (log, got) = race::<PackedMulti>(config(3, 1, 100, FaultPlan::none()), 100);
    assert_eq!(got[0].0.len(), 100);
    let t = log.totals();
    assert_eq!((t.takeovers, t.prepares, t.commands, t.accepts), (1, 2, 100, 200));
}

#[test]
fn a_leader_crash_before_publishing_is_survived() {
    for step in [LeaderStep::BeforeBroadcast, LeaderStep::AfterMinority, LeaderStep::BeforePublish]
    {
        let plan = FaultPlan {
            leader: vec![LeaderFault { slot: 10, step, stall: None }],
            ..FaultPlan::default()
        };
        let (log, got) = race::<PackedMulti>(config(3, 3, 300, plan), 50);
        let crashed: Vec<_> = got.iter().filter(|g| g.1.is_some()).collect();
        assert_eq!(crashed.len(), 1, "{step:?}: {got:?}");
        assert!(crashed[0].1.as_ref().unwrap().is_crash());
        let done: usize = got.iter().map(|g| g.0.len()).sum();
        let applied = log.log().len();
        // The crashed client's pending increment may or may not be applied.
        assert!(applied == done || applied == done + 1, "{step:?}: {applied} vs {done}");
        assert!(log.totals().takeovers >= 2, "{step:?}: a failover");
    }
}

#[test]
fn f_acceptor_crashes_are_survived_and_more_are_no_quorum() {
    let crash = |who, after| Crash { who, after };
    let plan = FaultPlan { acceptors: vec![crash(0, 5), crash(3, 0)], ..FaultPlan::default() };
    let (log, got) = race::<PackedMulti>(config(5, 2, 200, plan), 50);
    assert!(got.iter().all(|g| g.1.is_none() && g.0.len() == 50), "{got:?}");
    assert_eq!(log.log().len(), 100);
    let plan = FaultPlan {
        acceptors: vec![crash(0, 0), crash(1, 3), crash(4, 10)],
        ..FaultPlan::default()
    };
    let (_, got) = race::<MutexMulti>(config(5, 2, 200, plan), 50);
    for g in &got {
        assert!(
            matches!(g.1, Some(RsmError::NoQuorum { acceptors: 5, majority: 3, .. })),
            "{got:?}"
        );
    }
}

#[test]
fn bad_configurations_are_refused_clearly() {
    let err = |c| MultiPaxos::<_, PackedMulti>::new(COUNTER, c).unwrap_err().to_string();
    assert!(err(config(0, 1, 4, FaultPlan::none())).contains("at least 1 acceptor"));
    let plan = FaultPlan { acceptors: vec![Crash { who: 3, after: 0 }], ..FaultPlan::default() };
    assert!(err(config(3, 1, 4, plan)).contains("no acceptor 3"));
    let plan = FaultPlan {
        leader: vec![LeaderFault { slot: 4, step: LeaderStep::BeforePublish, stall: None }],
        ..FaultPlan::default()
    };
    assert!(err(config(3, 1, 4, plan)).contains("beyond the 4 slots"));
    let mut ok =
        MultiPaxos::<_, PackedMulti>::new(COUNTER, config(1, 1, 2, FaultPlan::none())).unwrap();
    let [mut c]: [_; 1] = ok.clients().unwrap().try_into().ok().unwrap();
    assert_eq!(c.submit(WordOp::Rmw(1)), Ok(0));
    assert_eq!(c.submit(WordOp::Rmw(1)), Ok(1));
    assert_eq!(c.submit(WordOp::Rmw(1)), Err(RsmError::Full { capacity: 2 }));
    assert_eq!(ok.clients().unwrap_err(), RsmError::ClientsHandedOut);
}

#[test]
fn the_broken_recovery_builds_and_runs_alone() {
    // Alone it is harmless (nobody chose anything it skips): the models catch it.
    let mut log =
        skipping_phase1::<_, PackedMulti>(COUNTER, config(3, 1, 4, FaultPlan::none())).unwrap();
    let [mut c]: [_; 1] = log.clients().unwrap().try_into().ok().unwrap();
    assert_eq!(c.submit(WordOp::Rmw(1)), Ok(0));
}
