use super::*;
use crate::check::replicated::stress;
use crate::objects::rmw::{WordOp, WordSpec};
use crate::objects::sequential::{KvOp, KvSpec};
use crate::rsm::Client;

fn config(replicas: usize, clients: usize, capacity: usize) -> Config {
    Config { replicas, clients, capacity, faults: FaultPlan::none() }
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
    let mut c = config(3, 1, 1);
    c.faults.leader = vec![crate::paxos::faults::LeaderFault {
        slot: 0,
        step: crate::paxos::faults::LeaderStep::BeforePublish,
        stall: None,
    }];
    assert!(e(c).contains("recovers a crashed command leader"));
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
fn racing_clients_agree_on_every_conflicting_pair_and_are_linearizable() {
    let per = 300;
    // A counter: every increment conflicts with every other.
    let mut o = Epaxos::new(WordSpec { add: true, init: 0 }, config(3, 3, per)).unwrap();
    let r = stress::run(&mut o, per, |_, _| WordOp::Rmw(1)).unwrap().unwrap();
    assert_eq!(r.ops, 3 * per as u64);
    assert_eq!(o.log().len(), 3 * per);
    // A map, keys shared by the clients 1 time in 4.
    let mut o = Epaxos::new(KvSpec, config(5, 4, per)).unwrap();
    let r = stress::run(&mut o, per, |t, k| {
        let key = if k % 4 == 0 { 0 } else { 1 + t };
        if k % 3 == 0 {
            KvOp::Get(key)
        } else {
            KvOp::Put(key, t * 1000 + k)
        }
    })
    .unwrap()
    .unwrap();
    assert_eq!(r.ops, 4 * per as u64);
    let t = o.totals();
    assert_eq!(t.commands, 4 * per as u64);
    assert!(t.fast > 0, "{t:?}");
}
