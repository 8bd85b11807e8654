use super::*;
use crate::objects::sequential::{KvOp, KvSpec};
use crate::paxos::faults::{LeaderFault, LeaderStep};
use crate::rsm::multi_paxos::Timeout;
use crate::rsm::Client;

fn config(replicas: usize, clients: usize, capacity: usize) -> Config {
    let timeout = Timeout::After(std::time::Duration::from_millis(20));
    Config { replicas, clients, capacity, timeout, faults: FaultPlan::none() }
}

#[test]
fn a_lone_command_takes_the_fast_path_at_the_fast_quorum() {
    for (replicas, fast) in [(1, 1), (3, 2), (5, 3), (7, 5)] {
        assert_eq!(Quorums::of(replicas).fast, fast, "{replicas}");
        let mut o = Epaxos::new(KvSpec, config(replicas, 1, 4)).unwrap();
        let mut c = o.clients().unwrap().pop().unwrap();
        assert_eq!(c.submit(KvOp::Put(1, 10)).unwrap(), None);
        assert_eq!(c.submit(KvOp::Get(1)).unwrap(), Some(10));
        drop(c);
        let t = o.totals();
        assert_eq!((t.commands, t.fast, t.slow), (2, 2, 0), "{t:?}");
        assert_eq!(t.pre_accepts, 2 * fast as u64);
        let second = o.committed(OpId { client: 0, seq: 2 }).unwrap();
        assert_eq!((second.attrs.seq, &second.attrs.deps[..]), (2, &[1][..]), "its own row");
    }
}

#[test]
fn a_conflict_one_replica_missed_takes_the_slow_path() {
    // Client 1's home is replica 1. Client 0 writes key 1 at replicas 0, 1;
    // then client 2 (home 2) writes key 1: replica 2 knows nothing, replica
    // 0 knows client 0's write, so the replies differ: slow path.
    let mut o = Epaxos::new(KvSpec, config(3, 3, 2)).unwrap();
    let mut cs = o.clients().unwrap();
    let mut c2 = cs.pop().unwrap();
    cs.pop();
    let mut c0 = cs.pop().unwrap();
    c0.submit(KvOp::Put(1, 10)).unwrap();
    assert_eq!(c2.submit(KvOp::Put(1, 20)).unwrap(), Some(10));
    drop((c0, c2));
    let t = o.totals();
    assert_eq!((t.fast, t.slow, t.accepts), (1, 1, 2), "{t:?}");
    let c = o.committed(OpId { client: 2, seq: 1 }).unwrap();
    assert_eq!(&c.attrs.deps[..], &[1, 0, 0][..]);
    assert_eq!(c.attrs.seq, 2);
}

#[test]
fn sizes_and_faults_it_cannot_run_are_refused() {
    let e = |c: Config| Epaxos::new(KvSpec, c).unwrap_err().to_string();
    assert!(e(config(0, 1, 1)).contains("at least 1 replica"));
    assert!(e(config(4, 1, 1)).contains("2F + 1"));
    assert!(e(config(3, 0, 1)).contains("at least 1"));
    let mut c = config(3, 1, 1);
    c.faults = FaultPlan::first_acceptors_crashed(4);
    assert!(Epaxos::new(KvSpec, c).is_err(), "no replica 3");
    let crash = |slot| crate::paxos::faults::LeaderFault {
        slot,
        step: crate::paxos::faults::LeaderStep::BeforePublish,
        stall: None,
    };
    let mut c = config(5, 1, 1);
    c.faults.leader = vec![crash(0)];
    assert!(Epaxos::new(KvSpec, c).is_ok(), "recovery with any F: leader faults with 5 replicas");
    let mut c = config(3, 1, 1);
    c.faults.leader = vec![crash(1)];
    assert!(e(c).contains("beyond the 1 instances"));
    let mut o = Epaxos::new(KvSpec, config(3, 1, 1)).unwrap();
    let mut cl = o.clients().unwrap().pop().unwrap();
    cl.submit(KvOp::Get(0)).unwrap();
    assert!(matches!(cl.submit(KvOp::Get(0)), Err(RsmError::Full { capacity: 1 })));
    assert!(matches!(o.clients(), Err(RsmError::ClientsHandedOut)));
}

#[test]
fn more_than_f_crashed_replicas_is_no_quorum_not_a_hang() {
    let mut c = config(3, 1, 2);
    c.faults = FaultPlan::first_acceptors_crashed(2);
    let mut o = Epaxos::new(KvSpec, c).unwrap();
    let mut cl = o.clients().unwrap().pop().unwrap();
    let e = cl.submit(KvOp::Put(1, 1)).unwrap_err();
    assert!(matches!(e, RsmError::NoQuorum { answered: 1, majority: 2, .. }), "{e}");
    // One crashed of three: the fast quorum (2) still answers.
    let mut c = config(3, 1, 2);
    c.faults = FaultPlan::first_acceptors_crashed(1);
    let mut o = Epaxos::new(KvSpec, c).unwrap();
    let mut cl = o.clients().unwrap().pop().unwrap();
    assert_eq!(cl.submit(KvOp::Put(1, 1)).unwrap(), None);
}

#[test]
fn a_crashed_leaders_instance_is_recovered_by_whoever_depends_on_it() {
    // Client 0 crashes at its first instance at each step; client n (its
    // home is client 0's, replica 0) writes the same key after it and must
    // not wait forever. With 3 replicas and with 5 (F = 2: after a
    // minority, the command is at 2 replicas, one confirmation, too few
    // for rule 2: pre-accepted again).
    let steps = [LeaderStep::BeforeBroadcast, LeaderStep::AfterMinority, LeaderStep::BeforePublish];
    for (n, step) in [3, 5].into_iter().flat_map(|n| steps.map(|s| (n, s))) {
        let mut c = config(n, n + 1, 4);
        c.timeout = Timeout::After(std::time::Duration::from_millis(1));
        c.faults.leader = vec![LeaderFault { slot: 0, step, stall: None }];
        let mut o = Epaxos::new(KvSpec, c).unwrap();
        let mut cs = o.clients().unwrap();
        let mut b = cs.pop().unwrap();
        let mut a = cs.remove(0);
        assert!(a.submit(KvOp::Put(0, 1)).unwrap_err().is_crash(), "{n} {step:?}");
        let got = b.submit(KvOp::Put(0, 2)).unwrap();
        // The crashed write may or may not have taken effect.
        assert!(got.is_none() || got == Some(1), "{step:?}: {got:?}");
        // A recovered write may also be ordered after b's (it never
        // returned: it may take effect any time after its call).
        let read = b.submit(KvOp::Get(0)).unwrap();
        assert!(read == Some(2) || read == Some(1), "{step:?}: {read:?}");
        drop((a, b, cs));
        let t = o.totals();
        let struck = o.leader_faults_struck();
        assert_eq!(struck.len(), 1);
        assert_eq!(struck[0].1, Some(OpId { client: 0, seq: 1 }), "the fault names its instance");
        let crashed = o.committed(OpId { client: 0, seq: 1 });
        match step {
            // Nobody saw it: nothing depends on it, nothing to recover.
            LeaderStep::BeforeBroadcast => assert!(crashed.is_none(), "{t:?}"),
            // Its home saw it: b's write depended on it and recovered it.
            _ => assert!(crashed.is_some() && t.recoveries >= 1, "{step:?}: {t:?}"),
        }
    }
}

/// The dependency invariant on the commit table: of every two committed
/// conflicting operations among rows `0..rows`, instances `1..=per`, one
/// depends on the other.
fn dependency_invariant(o: &Epaxos<KvSpec>, rows: usize, per: u64) -> Result<(), String> {
    use super::replica::Command;
    let mut all = Vec::new();
    for client in 0..rows {
        for seq in 1..=per {
            let id = OpId { client, seq };
            if let Some(Committed { command: Command::Op { footprint, .. }, attrs }) =
                o.committed(id)
            {
                all.push((id, footprint, attrs));
            }
        }
    }
    for (i, (a, fa, aa)) in all.iter().enumerate() {
        for (b, fb, ab) in &all[i + 1..] {
            let conflict = fa.key == fb.key && (fa.writes || fb.writes);
            if conflict && ab.deps[a.client] < a.seq && aa.deps[b.client] < b.seq {
                return Err(format!("{a:?} {aa:?} and {b:?} {ab:?}: neither depends on the other"));
            }
        }
    }
    Ok(())
}

/// Replica 0 answers 2 operations, then crashes. c0 writes key 5 (replicas
/// 0, 1); c2 writes key 0 fast on replicas 2, 0 (J, no dependencies);
/// replica 0 is down now. c0 writes key 0 (I): its home is down, so replica
/// 1 computes I's attributes (without J), and c0 crashes after that one
/// pre-accept. c1 writes key 0 (K, on replicas 1, 2: depends on I and J),
/// waits for I and recovers it at the majority {1, 2}, where replica 1's
/// record is the computing one, no confirmation. Counting it (as "every
/// replica but the home" would) commits I without J, while J has no I.
fn home_down(make: fn(KvSpec, Config) -> Result<Epaxos<KvSpec>, RsmError>) -> Result<(), String> {
    let mut c = config(3, 3, 4);
    c.timeout = Timeout::After(std::time::Duration::from_millis(1));
    c.faults.acceptors = vec![crate::paxos::faults::Crash { who: 0, after: 2 }];
    c.faults.leader = vec![LeaderFault { slot: 1, step: LeaderStep::AfterMinority, stall: None }];
    let mut o = make(KvSpec, c).unwrap();
    let mut cs = o.clients().unwrap();
    let (mut c2, mut c1, mut c0) = (cs.pop().unwrap(), cs.pop().unwrap(), cs.pop().unwrap());
    assert_eq!(c0.submit(KvOp::Put(5, 50)).unwrap(), None);
    assert_eq!(c2.submit(KvOp::Put(0, 2)).unwrap(), None);
    assert!(c0.submit(KvOp::Put(0, 1)).unwrap_err().is_crash());
    c1.submit(KvOp::Put(0, 3)).unwrap();
    drop((c0, c1, c2));
    let i = OpId { client: 0, seq: 2 };
    assert!(o.committed(i).is_some(), "I was recovered");
    assert!(o.replica(1).unwrap().instances[&i].ballot > 0, "by a recovery's ballot");
    dependency_invariant(&o, 3, 4)
}

#[test]
fn with_the_home_down_the_computing_replica_is_no_confirmation() {
    home_down(Epaxos::new).unwrap();
    let broken = home_down(super::broken::trusting_the_home);
    assert!(broken.is_err(), "trusting the computing replica leaves a pair unordered");
}

#[test]
fn recovery_keeps_the_invariant_with_1_and_7_replicas() {
    // F = 0 (rule 2 never applies) and F = 3: the first leader crashes at
    // each step, 1 or 3 later writers of the same key recover it.
    let steps = [LeaderStep::BeforeBroadcast, LeaderStep::AfterMinority, LeaderStep::BeforePublish];
    for (n, step, writers) in
        [1, 7].into_iter().flat_map(|n| steps.into_iter().flat_map(move |s| [(n, s, 1), (n, s, 3)]))
    {
        let mut c = config(n, n + 1, 4);
        c.timeout = Timeout::After(std::time::Duration::from_millis(1));
        c.faults.leader = vec![LeaderFault { slot: 0, step, stall: None }];
        let mut o = Epaxos::new(KvSpec, c).unwrap();
        let mut cs = o.clients().unwrap();
        assert!(cs[0].submit(KvOp::Put(0, 1)).unwrap_err().is_crash());
        for w in 1..=writers.min(cs.len() - 1) {
            let k = cs.len() - w;
            cs[k].submit(KvOp::Put(0, 10 + w)).unwrap();
        }
        drop(cs);
        dependency_invariant(&o, n + 1, 4)
            .unwrap_or_else(|e| panic!("{n} {step:?} {writers}: {e}"));
    }
}
