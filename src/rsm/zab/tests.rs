//! Zab on real threads: every increment applied once, leader crashes at
//! every step survived, follower crashes up to f survived and beyond f a
//! no-quorum error (not a hang), the followers' logs in zxid order and a
//! prefix of the leader's history, bad configurations refused.

use super::broken::{accepting_old_epochs, lowest_history};
use super::{Zab, Zxid};
use crate::objects::rmw::{WordOp, WordSpec};
use crate::paxos::faults::{LeaderFault, LeaderStep};
use crate::paxos::{Crash, FaultPlan};
use crate::rsm::multi_paxos::{Config, Reads, Timeout};
use crate::rsm::{Client, Replicated, RsmError};
use std::time::Duration;

const COUNTER: WordSpec = WordSpec { add: true, init: 0 };

fn config(followers: usize, clients: usize, capacity: usize, faults: FaultPlan) -> Config {
    Config {
        acceptors: followers,
        clients,
        capacity,
        timeout: Timeout::After(Duration::from_micros(200)),
        faults,
        reads: Reads::Log,
    }
}

/// Each client's results (up to its first error) and that error.
type Results = Vec<(Vec<usize>, Option<RsmError>)>;

fn race_on(mut log: Zab<WordSpec>, per: usize) -> (Zab<WordSpec>, Results) {
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

fn race(c: Config, per: usize) -> (Zab<WordSpec>, Results) {
    race_on(Zab::new(COUNTER, c).unwrap(), per)
}

/// Every follower's log is in strictly increasing zxid order and its
/// transactions agree with the published log where both have a slot.
fn followers_agree(log: &Zab<WordSpec>, followers: usize) {
    let published: Vec<u64> = (0..)
        .map_while(|k| log.shared.log.cell(k))
        .map(|c| c.load(crate::sync::Ordering::Relaxed))
        .take_while(|&e| e != 0)
        .collect();
    for i in 0..followers {
        let s = log.follower(i).unwrap();
        assert!(s.log.windows(2).all(|w| w[0].0 < w[1].0), "follower {i}: zxid order");
        for (k, &(_, e)) in s.log.iter().enumerate().take(published.len()) {
            assert_eq!(e, published[k], "follower {i} slot {k}");
        }
        assert_eq!(s.ack, s.log.len());
    }
}

#[test]
fn every_increment_is_applied_once() {
    let per = 300;
    let (log, got) = race(config(3, 3, 3 * per, FaultPlan::none()), per);
    assert!(got.iter().all(|g| g.1.is_none()), "{got:?}");
    let mut all: Vec<usize> = got.iter().flat_map(|g| g.0.clone()).collect();
    all.sort_unstable();
    assert_eq!(all, (0..3 * per).collect::<Vec<_>>(), "each applied once");
    assert_eq!(log.log().len(), 3 * per, "no duplicate without a fault");
    followers_agree(&log, 3);
    let t = log.totals();
    assert!(t.epochs >= 1 && t.writes >= 2 * t.commands, "{t:?}");
}

#[test]
fn a_stable_leader_writes_one_region_per_follower_of_a_majority() {
    let (log, got) = race(config(3, 1, 100, FaultPlan::none()), 100);
    assert_eq!(got[0].0, (0..100).collect::<Vec<_>>());
    let t = log.totals();
    // One epoch; its synchronisation (2 writes of the empty history), then
    // 2 writes per command.
    assert_eq!((t.epochs, t.commands, t.writes, t.sync_writes), (1, 100, 2 + 200, 2));
    let s = log.follower(0).unwrap();
    assert_eq!(s.log.first().map(|s| s.0), Some(Zxid::new(1, 1)));
    assert_eq!(s.last_zxid(), Zxid::new(1, 100));
    assert_eq!(log.follower(2).unwrap().log.len(), 0, "not in the quorum");
}

#[test]
fn a_leader_crash_at_every_step_is_survived() {
    for step in [LeaderStep::BeforeBroadcast, LeaderStep::AfterMinority, LeaderStep::BeforePublish]
    {
        let plan = FaultPlan {
            leader: vec![LeaderFault { slot: 10, step, stall: None }],
            ..FaultPlan::default()
        };
        let (log, got) = race(config(3, 3, 300, plan), 50);
        let crashed: Vec<_> = got.iter().filter(|g| g.1.is_some()).collect();
        assert_eq!(crashed.len(), 1, "{step:?}: {got:?}");
        assert!(crashed[0].1.as_ref().unwrap().is_crash());
        let done: usize = got.iter().map(|g| g.0.len()).sum();
        let applied = log.log().len();
        // The crashed client's pending increment may or may not be applied.
        assert!(applied == done || applied == done + 1, "{step:?}: {applied} vs {done}");
        assert!(log.totals().epochs >= 2, "{step:?}: a failover");
        assert_eq!(log.failover_times().len(), 1, "{step:?}");
        followers_agree(&log, 3);
    }
}

#[test]
fn a_stalled_old_leader_that_wakes_up_is_fenced() {
    let plan = FaultPlan {
        leader: vec![LeaderFault {
            slot: 5,
            step: LeaderStep::AfterMinority,
            stall: Some(Duration::from_millis(5)),
        }],
        ..FaultPlan::default()
    };
    let (log, got) = race(config(3, 3, 400, plan), 50);
    assert!(got.iter().all(|g| g.1.is_none()), "{got:?}");
    let mut all: Vec<usize> = got.iter().flat_map(|g| g.0.clone()).collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 150, "every return value distinct");
    followers_agree(&log, 3);
}

#[test]
fn f_follower_crashes_are_survived_and_more_are_no_quorum() {
    let crash = |who, after| Crash { who, after };
    let plan = FaultPlan { acceptors: vec![crash(0, 5), crash(3, 0)], ..FaultPlan::default() };
    let (log, got) = race(config(5, 2, 200, plan), 50);
    assert!(got.iter().all(|g| g.1.is_none() && g.0.len() == 50), "{got:?}");
    assert_eq!(log.log().len(), 100);
    let plan = FaultPlan {
        acceptors: vec![crash(0, 0), crash(1, 3), crash(4, 10)],
        ..FaultPlan::default()
    };
    let (_, got) = race(config(5, 2, 200, plan), 50);
    for g in &got {
        assert!(
            matches!(g.1, Some(RsmError::NoQuorum { acceptors: 5, majority: 3, .. })),
            "{got:?}"
        );
    }
}

#[test]
fn bad_configurations_are_refused_clearly() {
    let err = |c| Zab::new(COUNTER, c).unwrap_err().to_string();
    assert!(err(config(0, 1, 4, FaultPlan::none())).contains("at least 1 follower"));
    let plan = FaultPlan { acceptors: vec![Crash { who: 3, after: 0 }], ..FaultPlan::default() };
    assert!(err(config(3, 1, 4, plan)).contains("no acceptor 3"));
    let plan = FaultPlan {
        leader: vec![LeaderFault { slot: 4, step: LeaderStep::BeforePublish, stall: None }],
        ..FaultPlan::default()
    };
    assert!(err(config(3, 1, 4, plan)).contains("beyond the 4 slots"));
    let mut ok = Zab::new(COUNTER, config(1, 1, 2, FaultPlan::none())).unwrap();
    let [mut c]: [_; 1] = ok.clients().unwrap().try_into().ok().unwrap();
    assert_eq!(c.submit(WordOp::Rmw(1)), Ok(0));
    assert_eq!(c.submit(WordOp::Rmw(1)), Ok(1));
    assert_eq!(c.submit(WordOp::Rmw(1)), Err(RsmError::Full { capacity: 2 }));
    assert_eq!(ok.clients().unwrap_err(), RsmError::ClientsHandedOut);
}

#[test]
fn the_broken_variants_build_and_run_alone() {
    // Alone they are harmless: the models catch them.
    for log in [
        lowest_history(COUNTER, config(3, 1, 4, FaultPlan::none())).unwrap(),
        accepting_old_epochs(COUNTER, config(3, 1, 4, FaultPlan::none())).unwrap(),
    ] {
        let (_, got) = race_on(log, 2);
        assert_eq!(got[0].0, vec![0, 1]);
    }
}
