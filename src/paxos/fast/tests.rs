//! Fast Paxos on real threads and in hand-made schedules: the fast round's
//! cost, Lamport's rule on promises, recovery after a collision, faults.

use super::broken::{HighestBallot, MajorityFast, SmallQuorums};
use super::proposer::{lamport_pick, FastRules, Promises};
use super::*;
use crate::paxos::{Crash, MutexAcceptor, Stall};
use std::time::Duration;

fn cfg(proposers: usize, acceptors: usize) -> FastPaxosConfig {
    FastPaxosConfig::new(proposers, acceptors).unwrap()
}

#[test]
fn uncontended_a_decision_is_one_accept_per_fast_quorum_member() {
    for (n, fast) in [(3, 3), (4, 3), (5, 4), (7, 6)] {
        let p = FastPaxos::new(&cfg(2, n)).unwrap();
        let (r, stats) = p.propose(1);
        assert_eq!(r, Ok(1));
        assert!(stats.fast_path, "{stats:?}");
        assert_eq!((stats.prepares, stats.accepts, stats.rmws), (0, fast, fast), "n = {n}");
        // The second proposer finds the value chosen and adopts it.
        let (r, stats) = p.propose(0);
        assert_eq!(r, Ok(1), "n = {n}");
        assert!(!stats.fast_path && stats.prepares >= p.quorums().phase1, "{stats:?}");
    }
}

#[test]
fn lamports_rule_picks_the_value_that_may_have_been_chosen() {
    let q = Quorums::defaults(4).unwrap(); // q1 3, qf 3: threshold 2
    let promises = |v: &[(u64, Option<usize>)]| v.iter().copied().collect::<Promises>();
    // v0 at two of three promises at the fast ballot: v0 may be chosen.
    let p = promises(&[(1, Some(1)), (1, Some(0)), (1, Some(0))]);
    assert_eq!(lamport_pick(7, &p, &q), 0);
    // ... whatever order the promises came in; the highest-ballot rule
    // takes the last one reported.
    let p = promises(&[(1, Some(0)), (1, Some(0)), (1, Some(1))]);
    assert_eq!(lamport_pick(7, &p, &q), 0);
    assert_eq!(HighestBallot::pick(7, &p, &q), 1, "the broken rule");
    // A classic ballot above the fast one wins.
    let p = promises(&[(1, Some(0)), (5, Some(2)), (1, Some(0))]);
    assert_eq!(lamport_pick(7, &p, &q), 2);
    // Nothing accepted: my own value.
    let p = promises(&[(0, None), (0, None), (0, None)]);
    assert_eq!(lamport_pick(7, &p, &q), 7);
}

#[test]
fn a_collision_is_recovered_to_the_chosen_value() {
    // 4 acceptors: proposer 0's value at 0, 1, 2 (chosen), proposer 1's at 3.
    let p = FastPaxos::new(&cfg(2, 4)).unwrap();
    assert_eq!(p.propose(0).0, Ok(0));
    let (r, stats) = p.propose(1);
    assert_eq!(r, Ok(0), "recovery must re-propose the chosen value");
    assert_eq!(stats.attempts, 2, "one fast round, one recovery: {stats:?}");
    // The highest-ballot rule loses it in exactly this schedule.
    let broken = FastPaxosConsensus::<PackedAcceptor, HighestBallot>::new(&cfg(2, 4)).unwrap();
    assert_eq!(broken.propose(0).0, Ok(0));
    assert_eq!(broken.propose(1).0, Ok(1), "BROKEN: the chosen value 0 is lost");
}

#[test]
fn broken_quorums_choose_two_values_one_proposer_after_the_other() {
    let small = FastPaxosConsensus::<PackedAcceptor, SmallQuorums>::new(&cfg(2, 4)).unwrap();
    assert_eq!((small.propose(0).0, small.propose(1).0), (Ok(0), Ok(1)));
    assert!(!small.quorums().is_valid());
    let maj = FastPaxosConsensus::<PackedAcceptor, MajorityFast>::new(&cfg(2, 3)).unwrap();
    assert_eq!((maj.propose(1).0, maj.propose(0).0), (Ok(1), Ok(0)));
}

#[test]
fn racing_proposers_agree_on_real_threads() {
    for n in [3, 4, 5] {
        for threads in [2, 4, 8] {
            let c = FastPaxosConfig { rounds: None, ..cfg(threads, n) };
            for _ in 0..200 {
                let uncoordinated = &FastPaxos::new(&c).unwrap();
                let coordinated = &CoordinatedFastPaxos::new(&c).unwrap();
                let (a, b) = std::thread::scope(|s| {
                    let a: Vec<_> = (0..threads)
                        .map(|me| s.spawn(move || uncoordinated.propose(me).0.unwrap()))
                        .collect();
                    let b: Vec<_> = (0..threads)
                        .map(|me| s.spawn(move || coordinated.propose(me).0.unwrap()))
                        .collect();
                    let join = |v: Vec<std::thread::ScopedJoinHandle<'_, usize>>| {
                        v.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
                    };
                    (join(a), join(b))
                });
                assert!(a.iter().all(|&v| v == a[0] && v < threads), "{a:?}");
                assert!(b.iter().all(|&v| v == b[0] && v < threads), "{b:?}");
            }
        }
    }
}

#[test]
fn crashes_up_to_the_quorums_are_survived_and_beyond_are_no_quorum() {
    // 5 acceptors: phase quorums 3, fast 4. One crashed: the fast round still
    // works; two crashed: only recovery (3 live); three: no quorum.
    let with = |crashed: usize| FastPaxosConfig {
        faults: FaultPlan::first_acceptors_crashed(crashed),
        ..cfg(2, 5)
    };
    let p = FastPaxos::new(&with(1)).unwrap();
    let (r, s) = p.propose(0);
    assert_eq!(r, Ok(0));
    assert!(s.fast_path);
    let p = FastPaxos::new(&with(2)).unwrap();
    let (r, s) = p.propose(1);
    assert_eq!(r, Ok(1));
    assert!(!s.fast_path, "3 live acceptors are no fast quorum: {s:?}");
    let p = FastPaxos::new(&with(3)).unwrap();
    assert!(matches!(p.propose(0).0, Err(ConsensusError::NoQuorum { live: 2, needed: 3 })));
    let p = CoordinatedFastPaxos::new(&with(3)).unwrap();
    assert!(matches!(p.propose(0).0, Err(ConsensusError::NoQuorum { .. })));
    // The waiter returns the coordinator's no quorum instead of waiting.
    assert!(matches!(p.propose(1).0, Err(ConsensusError::NoQuorum { .. })));
}

#[test]
fn a_crashed_proposer_value_at_one_acceptor_does_not_confuse_recovery() {
    let faults = FaultPlan { proposers: vec![Crash { who: 1, after: 1 }], ..FaultPlan::none() };
    let c = FastPaxosConfig { faults, ..cfg(2, 3) };
    let p = FastPaxos::new(&c).unwrap();
    assert!(matches!(p.propose(1).0, Err(ConsensusError::Crashed { after: 1 })));
    assert_eq!(p.acceptor_state(1).unwrap().value, Some(1));
    // Proposer 0's fast round collides at acceptor 1; recovery picks a value.
    let (r, s) = p.propose(0);
    assert!(r.is_ok() && !s.fast_path, "{r:?} {s:?}");
}

#[test]
fn bad_configurations_are_refused_clearly() {
    let e = |c: &FastPaxosConfig, coordinated| c.validate(coordinated).unwrap_err().to_string();
    let crash0 = FastPaxosConfig {
        faults: FaultPlan { proposers: vec![Crash { who: 0, after: 1 }], ..FaultPlan::none() },
        ..cfg(2, 3)
    };
    assert!(e(&crash0, true).contains("coordinator"), "{}", e(&crash0, true));
    assert!(crash0.validate(false).is_ok());
    assert!(FastPaxosConfig::new(2, 0).is_err());
    let zero = FastPaxosConfig { proposers: 0, ..cfg(2, 3) };
    assert!(e(&zero, false).contains("proposers"));
    let bad_q = FastPaxosConfig { quorums: Quorums::unchecked(3, 2, 2, 2), ..cfg(2, 3) };
    assert!(e(&bad_q, false).contains("invalid quorums"));
    assert!(FastPaxos::new(&cfg(2, 3)).unwrap().propose(5).0.is_err());
    use crate::paxos::faults::{LeaderFault, LeaderStep};
    let leader = LeaderFault { slot: 0, step: LeaderStep::BeforePublish, stall: None };
    let plan = FaultPlan { leader: vec![leader], ..FaultPlan::none() };
    let c = FastPaxosConfig { faults: plan.clone(), ..cfg(2, 3) };
    assert!(e(&c, false).contains("replicated log"), "{}", e(&c, false));
    let classic = crate::paxos::PaxosConfig { faults: plan, ..crate::paxos::PaxosConfig::new(2) };
    assert!(classic.validate().unwrap_err().to_string().contains("replicated log"));
}

#[test]
fn a_stalled_coordinator_blocks_the_collided_proposers_until_it_wakes() {
    use crate::consensus::stall::StallState;
    // The coordinator pauses before its first step. Proposer 1 takes the fast
    // round alone and decides: no wait when nothing collided.
    let stall = Stall { who: 0, after: 0, pause: Duration::from_secs(1) };
    let faults = FaultPlan { stalls: vec![stall], ..FaultPlan::none() };
    let c = FastPaxosConfig { faults, ..cfg(2, 3) };
    let p = CoordinatedFastPaxos::new(&c).unwrap();
    let gate = p.stall_gate(0).unwrap();
    std::thread::scope(|s| {
        let coordinator = s.spawn(|| p.propose(0).0);
        while gate.state() == StallState::Waiting {
            crate::sync::yield_now();
        }
        let (r, stats) = p.propose(1);
        assert_eq!(gate.state(), StallState::Inside, "proposer 1 decided during the stall");
        assert_eq!(r, Ok(1));
        assert!(stats.fast_path);
        assert_eq!(coordinator.join().unwrap(), Ok(1), "the coordinator adopts it");
    });
}

#[test]
fn mutex_acceptors_run_the_same_protocol() {
    let p = FastPaxosConsensus::<MutexAcceptor, Lamport>::new(&cfg(2, 4)).unwrap();
    assert_eq!(p.propose(0).0, Ok(0));
    assert_eq!(p.propose(1).0, Ok(0));
    assert_eq!(p.progress(), Progress::Blocking);
    assert_eq!(FastPaxos::new(&cfg(2, 4)).unwrap().progress(), Progress::ObstructionFree);
    assert_eq!(CoordinatedFastPaxos::new(&cfg(2, 4)).unwrap().progress(), Progress::Blocking);
}
