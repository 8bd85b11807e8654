//! The universal construction on real threads, and the judge on
//! hand-made runs.

use super::stress::run;
use super::*;
use crate::consensus::cas::CasConsensus;
use crate::consensus::first_mover::TestAndSetConsensus;
use crate::consensus::ConsensusError;
use crate::objects::queue::{QueueOp, QueueSpec};
use crate::objects::rmw::{WordOp, WordSpec};
use crate::objects::sequential::{KvOp, KvSpec, StackOp, StackSpec};
use crate::rsm::universal::{Helping, NoHelping, Universal};
use crate::rsm::{Client, Replicated};

const COUNTER: WordSpec = WordSpec { add: true, init: 0 };

fn cas_slots(n: usize) -> impl FnMut() -> Result<CasConsensus, ConsensusError> {
    move || Ok(CasConsensus::new(n))
}

#[test]
fn one_client_gets_the_specs_values_and_the_log_in_order() {
    let mut q = Universal::<_, _, Helping>::new(QueueSpec::default(), 1, 4, cas_slots(1)).unwrap();
    let [mut c]: [_; 1] = q.clients().unwrap().try_into().ok().unwrap();
    assert_eq!(c.submit(QueueOp::Enq(7)).unwrap(), None);
    assert_eq!(c.submit(QueueOp::Enq(8)).unwrap(), None);
    assert_eq!(c.submit(QueueOp::Deq).unwrap(), Some(7));
    let log = q.log();
    let ops: Vec<_> = log.iter().map(|e| (e.cell, e.id.seq, e.op)).collect();
    assert_eq!(ops, [(0, 1, QueueOp::Enq(7)), (1, 2, QueueOp::Enq(8)), (2, 3, QueueOp::Deq)]);
    assert_eq!(c.stats().ops, 3);
    assert_eq!(c.stats().max_cells_entered, 1);
}

#[test]
fn a_full_log_is_an_error_not_a_wrap() {
    let mut q = Universal::<_, _, Helping>::new(COUNTER, 2, 2, cas_slots(2)).unwrap();
    let [mut a, mut b]: [_; 2] = q.clients().unwrap().try_into().ok().unwrap();
    assert_eq!(a.submit(WordOp::Rmw(1)).unwrap(), 0);
    assert_eq!(b.submit(WordOp::Rmw(1)).unwrap(), 1);
    assert_eq!(a.submit(WordOp::Rmw(1)), Err(RsmError::Full { capacity: 2 }));
    assert_eq!(b.submit(WordOp::Read), Err(RsmError::Full { capacity: 2 }));
    assert_eq!(q.log().len(), 2);
}

#[test]
fn bad_configurations_are_refused_clearly() {
    let err = |r: Result<Universal<WordSpec, CasConsensus>, RsmError>| r.unwrap_err().to_string();
    assert!(err(Universal::new(COUNTER, 0, 4, cas_slots(1))).contains("at least 1 client"));
    assert!(err(Universal::new(COUNTER, 2, 0, cas_slots(2))).contains("at least 1 cell"));
    assert!(err(Universal::new(COUNTER, 3, 4, cas_slots(2))).contains("serves 2 threads"));
    let tas = Universal::<_, _, Helping>::new(COUNTER, 3, 4, || TestAndSetConsensus::new(3));
    assert!(matches!(tas.unwrap_err(), RsmError::Slot { cell: 0, .. }));
    let mut ok = Universal::<_, _, Helping>::new(COUNTER, 2, 4, cas_slots(2)).unwrap();
    assert!(ok.clients().is_ok());
    assert_eq!(ok.clients().unwrap_err(), RsmError::ClientsHandedOut);
}

#[test]
fn progress_is_the_weaker_of_construction_and_slots() {
    use crate::consensus::lock::ParkingLotConsensus;
    use crate::rsm::RsmProgress;
    let wf = Universal::<_, _, Helping>::new(COUNTER, 3, 1, cas_slots(3)).unwrap();
    assert_eq!(wf.progress(), RsmProgress::WaitFree { cells: 4 });
    let lf = Universal::<_, _, NoHelping>::new(COUNTER, 3, 1, cas_slots(3)).unwrap();
    assert_eq!(lf.progress(), RsmProgress::LockFree);
    let blocking =
        Universal::<_, _, Helping>::new(COUNTER, 2, 1, || Ok(ParkingLotConsensus::new(2))).unwrap();
    assert_eq!(blocking.progress(), RsmProgress::Blocking);
}

/// Runs `per` operations on each of `n` clients and asserts the run clean.
fn clean<R: Replicated>(
    mut object: R,
    per: usize,
    op: impl Fn(usize, usize) -> <R::Spec as crate::objects::Spec>::Op + Sync,
) -> stress::StressReport {
    match run(&mut object, per, op).unwrap() {
        Ok(report) => {
            assert_eq!(report.ops, (per * report.clients) as u64);
            report
        }
        Err(f) => panic!("{f}"),
    }
}

#[test]
fn racing_clients_leave_linearizable_histories_on_every_object() {
    let n = 4;
    let per = 300;
    let cap = n * per;
    let counter = Universal::<_, _, Helping>::new(COUNTER, n, cap, cas_slots(n)).unwrap();
    clean(counter, per, |_, k| if k % 3 == 0 { WordOp::Read } else { WordOp::Rmw(1) });
    let queue =
        Universal::<_, _, Helping>::new(QueueSpec::default(), n, cap, cas_slots(n)).unwrap();
    clean(queue, per, |t, k| if k % 2 == 0 { QueueOp::Enq(t * 1000 + k) } else { QueueOp::Deq });
    let stack = Universal::<_, _, NoHelping>::new(StackSpec, n, cap, cas_slots(n)).unwrap();
    clean(stack, per, |t, k| if k % 2 == 0 { StackOp::Push(t * 1000 + k) } else { StackOp::Pop });
    let kv = Universal::<_, _, Helping>::new(KvSpec, n, cap, cas_slots(n)).unwrap();
    clean(kv, per, |t, k| match k % 3 {
        0 => KvOp::Put(k % 4, t),
        1 => KvOp::Get(k % 4),
        _ => KvOp::Remove(k % 4),
    });
}

#[test]
fn two_clients_on_test_and_set_slots_make_a_wait_free_queue() {
    let q = Universal::<_, _, Helping>::new(QueueSpec::default(), 2, 2000, || {
        TestAndSetConsensus::new(2)
    })
    .unwrap();
    let report =
        clean(q, 1000, |t, k| if k % 2 == 0 { QueueOp::Enq(t * 10_000 + k) } else { QueueOp::Deq });
    assert!(report.max_cells.iter().all(|&c| c <= 3), "{report:?}");
}

#[test]
fn the_judge_catches_a_wrong_return_value_and_a_missing_entry() {
    let spec = COUNTER;
    let log = vec![
        crate::rsm::LogEntry { cell: 0, id: OpId { client: 0, seq: 1 }, op: WordOp::Rmw(1) },
        crate::rsm::LogEntry { cell: 1, id: OpId { client: 1, seq: 1 }, op: WordOp::Rmw(1) },
    ];
    let call = |client, call, ret: usize| Call {
        id: OpId { client, seq: 1 },
        op: WordOp::Rmw(1),
        call,
        ret: Some((call + 1, Ok(ret))),
    };
    let progress = crate::rsm::RsmProgress::LockFree;
    let stats = [ClientStats::default(); 2];
    assert!(judge(&spec, &[call(0, 0, 0), call(1, 2, 1)], &log, &stats, progress, LogOrder::Total)
        .is_ok());
    // Both told 0, sequentially: not linearizable.
    let v = judge(&spec, &[call(0, 0, 0), call(1, 2, 0)], &log, &stats, progress, LogOrder::Total)
        .unwrap_err();
    assert!(matches!(v, RsmViolation::NotLinearizable(_)), "{v}");
    // Linearizable (t1 first), but the log put t0 first.
    let v = check_log(&spec, &[call(1, 0, 0), call(0, 0, 1)], &log).unwrap_err();
    assert!(v.to_string().contains("log's replay gives it"), "{v}");
    let v = check_log(&spec, &[call(0, 0, 0)], &log[1..]).unwrap_err();
    assert!(v.to_string().contains("not in the log"), "{v}");
    let mut too_many = stats;
    too_many[1].max_cells_entered = 4;
    let wf = crate::rsm::RsmProgress::WaitFree { cells: 3 };
    let v = judge(&spec, &[call(0, 0, 0), call(1, 2, 1)], &log, &too_many, wf, LogOrder::Total)
        .unwrap_err();
    assert_eq!(v, RsmViolation::StepBound { client: 1, cells: 4, bound: 3 });
}

#[test]
fn every_two_thread_slot_kind_makes_a_linearizable_queue() {
    use crate::consensus::first_mover::{FetchAddConsensus, QueueConsensus, SwapConsensus};
    use crate::objects::register::{RegisterOp, RegisterSpec};
    let enq_deq =
        |t: usize, k: usize| if k % 2 == 0 { QueueOp::Enq(t * 10_000 + k) } else { QueueOp::Deq };
    let q = QueueSpec::default();
    clean(
        Universal::<_, _, Helping>::new(q.clone(), 2, 1000, || SwapConsensus::new(2)).unwrap(),
        500,
        enq_deq,
    );
    clean(
        Universal::<_, _, Helping>::new(q.clone(), 2, 1000, || FetchAddConsensus::new(2)).unwrap(),
        500,
        enq_deq,
    );
    clean(
        Universal::<_, _, Helping>::new(q, 2, 1000, || QueueConsensus::new(2)).unwrap(),
        500,
        enq_deq,
    );
    let three = Universal::<_, _, Helping>::new(RegisterSpec::default(), 3, 900, || {
        crate::consensus::assignment::AssignmentConsensus::<3>::new(3)
    })
    .unwrap();
    clean(
        three,
        300,
        |t, k| if k % 2 == 0 { RegisterOp::Write(t * 1000 + k) } else { RegisterOp::Read },
    );
}

#[test]
fn a_log_that_reorders_real_time_is_caught_even_when_its_values_replay() {
    use crate::objects::register::{RegisterOp, RegisterSpec};
    let spec = RegisterSpec::default();
    let (w, r) = (OpId { client: 0, seq: 1 }, OpId { client: 1, seq: 1 });
    let calls = [
        Call { id: w, op: RegisterOp::Write(1), call: 0, ret: Some((1, Ok(None))) },
        Call { id: r, op: RegisterOp::Read, call: 2, ret: Some((3, Ok(Some(0)))) },
    ];
    let entry = |cell, id, op| crate::rsm::LogEntry { cell, id, op };
    // The read of the initial 0 first: the values replay, real time does not.
    let log = [entry(0, r, RegisterOp::Read), entry(1, w, RegisterOp::Write(1))];
    let v = check_log(&spec, &calls, &log).unwrap_err();
    assert!(v.to_string().contains("not real time's"), "{v}");
    // Overlapping, the same log is fine.
    let overlapping = [calls[0].clone(), Call { call: 0, ..calls[1].clone() }];
    assert!(check_log(&spec, &overlapping, &log).is_ok());
}

#[test]
fn long_histories_rest_on_the_certificate_and_say_so() {
    let n = 2;
    let per = SEARCH_LIMIT / n + 500;
    let q =
        Universal::<_, _, Helping>::new(QueueSpec::default(), n, n * per, cas_slots(n)).unwrap();
    let report =
        clean(q, per, |t, k| if k % 2 == 0 { QueueOp::Enq(t * 100_000 + k) } else { QueueOp::Deq });
    assert!(!report.searched);
    let small =
        Universal::<_, _, Helping>::new(QueueSpec::default(), n, 200, cas_slots(n)).unwrap();
    assert!(
        clean(small, 100, |t, k| if k % 2 == 0 {
            QueueOp::Enq(t * 1000 + k)
        } else {
            QueueOp::Deq
        })
        .searched
    );
}

#[test]
fn latency_percentiles_are_exact_below_2048_ns() {
    use super::stress::Latency;
    let l = Latency::of((1..=100).rev());
    assert_eq!((l.samples, l.p50_ns, l.p99_ns, l.max_ns), (100, 50, 99, 100));
    assert_eq!(Latency::of(vec![]), Latency::default());
    assert_eq!(Latency::of(vec![7]).p99_ns, 7);
    // Above 2,048 ns: within 0.1 % (3 significant digits); out of range: clamped.
    let big = Latency::of(vec![1_234_567, 0, u64::MAX]);
    assert_eq!(big.samples, 3);
    assert!(big.p50_ns.abs_diff(1_234_567) <= 1_235, "{big:?}");
}

#[test]
fn reads_without_a_log_slot_are_placed_at_a_state_of_the_log_or_caught_stale() {
    use crate::objects::register::{RegisterOp, RegisterSpec};
    let spec = RegisterSpec::default();
    let id = |client, seq| OpId { client, seq };
    let entry = |cell, id, op| crate::rsm::LogEntry { cell, id, op };
    let write = |c, v, call, ret| Call {
        id: id(c, 1),
        op: RegisterOp::Write(v),
        call,
        ret: Some((ret, Ok(None))),
    };
    let read = |c, seq, call, ret, got| Call {
        id: id(c, seq),
        op: RegisterOp::Read,
        call,
        ret: Some((ret, Ok(Some(got)))),
    };
    // Writes 1 then 2 in the log; the reads are in no slot.
    let log = [entry(0, id(0, 1), RegisterOp::Write(1)), entry(1, id(1, 1), RegisterOp::Write(2))];
    let (w1, w2) = (write(0, 1, 0, 1), write(1, 2, 4, 5));
    // After w1, before w2: reads 1.
    assert!(check_log(&spec, &[w1.clone(), w2.clone(), read(2, 1, 2, 3, 1)], &log).is_ok());
    // Overlapping w2: either value.
    for got in [1, 2] {
        assert!(check_log(&spec, &[w1.clone(), w2.clone(), read(2, 1, 3, 6, got)], &log).is_ok());
    }
    // After w2 returned, the old value: stale.
    let v = check_log(&spec, &[w1.clone(), w2.clone(), read(2, 1, 6, 7, 1)], &log).unwrap_err();
    assert!(v.to_string().contains("a stale read"), "{v}");
    // Two reads overlapping w2, one after the other: new then old is not
    // linearizable, though each alone fits.
    let (r1, r2) = (read(2, 1, 3, 6, 2), read(3, 1, 7, 9, 1));
    let w2_long = write(1, 2, 4, 10);
    assert!(check_log(&spec, &[w1.clone(), w2_long.clone(), r2.clone()], &log).is_ok());
    let v = check_log(&spec, &[w1.clone(), w2_long.clone(), r1.clone(), r2.clone()], &log);
    assert!(v.unwrap_err().to_string().contains("a stale read"));
    let old_then_new = [w1, w2_long, read(2, 1, 3, 6, 1), read(3, 1, 7, 9, 2)];
    assert!(check_log(&spec, &old_then_new, &log).is_ok());
    // A write missing from the log is still refused.
    let v = check_log(&spec, &[write(4, 9, 0, 1)], &log).unwrap_err();
    assert!(v.to_string().contains("not in the log"), "{v}");
}

mod epaxos {
    use super::super::stress;
    use crate::objects::rmw::{WordOp, WordSpec};
    use crate::objects::sequential::{KvOp, KvSpec};
    use crate::paxos::FaultPlan;
    use crate::rsm::epaxos::{Config, Epaxos};
    use crate::rsm::multi_paxos::Timeout;
    use crate::rsm::Replicated;

    fn config(replicas: usize, clients: usize, capacity: usize) -> Config {
        let timeout = Timeout::After(std::time::Duration::from_millis(20));
        Config { replicas, clients, capacity, timeout, faults: FaultPlan::none() }
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
        // Committed by their leaders, or by a recovery that fenced a slow one.
        assert!(t.commands <= 4 * per as u64 && t.commands + t.recoveries >= 4 * per as u64);
        assert!(t.fast > 0, "{t:?}");
    }

    #[test]
    fn racing_clients_with_a_short_timeout_recover_live_leaders_and_stay_linearizable() {
        // A timeout of 1 poll-free microsecond: waits turn into recoveries of
        // leaders that are merely slow (false suspicions).
        // With 3 replicas and with 5 (F = 2: rule 2 needs 2 confirmations).
        // Enough operations that the clients outlast a scheduler slice on a
        // loaded machine (a race needs one preempted between its first
        // pre-accept and its commit while another runs).
        let per = 1_000;
        'sizes: for replicas in [3, 5] {
            for attempt in 1..=5 {
                let mut c = config(replicas, 3, 2 * per);
                c.timeout = Timeout::After(std::time::Duration::from_micros(1));
                let mut o = Epaxos::new(WordSpec { add: true, init: 0 }, c).unwrap();
                let r = stress::run(&mut o, per, |_, _| WordOp::Rmw(1)).unwrap().unwrap();
                assert_eq!(r.ops, 3 * per as u64);
                if o.totals().recoveries > 0 {
                    continue 'sizes;
                }
                eprintln!("{replicas} replicas, attempt {attempt}: no wait lasted the timeout");
            }
            panic!(
                "INCONCLUSIVE: with {replicas} replicas, in 5 runs no replica ever recovered a \
                 live leader's instance"
            );
        }
    }
}
