//! Tests of the external models, the generator and partitioned checks.

use super::generate::{generate, Generate};
use super::models::{Call, Kind, Value, F};
use super::*;

fn gen(kind: Kind, ops: usize, seed: u64) -> History<Call, Value> {
    generate(&Generate { kind, processes: 6, ops, keys: 8, crash_percent: 5, seed })
}

fn small_kv(seed: u64) -> History<Call, Value> {
    generate(&Generate { kind: Kind::Kv, processes: 4, ops: 60, keys: 3, crash_percent: 5, seed })
}

/// Makes one completed read return a value nobody wrote.
fn corrupt(h: &mut History<Call, Value>, seed: u64) -> bool {
    let reads: Vec<usize> =
        (0..h.ops.len()).filter(|&i| h.ops[i].op.f == F::Read && h.ops[i].ret.is_some()).collect();
    if reads.is_empty() {
        return false;
    }
    let i = reads[seed as usize % reads.len()];
    if let Some((_, r)) = &mut h.ops[i].ret {
        *r = Value::Int(-1);
    }
    true
}

#[test]
fn generated_histories_of_every_model_are_linearizable() {
    for (name, kind) in Kind::ALL {
        for seed in 0..5 {
            // A crashed add stays possible forever, so a set's states double
            // with each: keep its history short.
            let h = gen(kind, if kind == Kind::Set { 80 } else { 300 }, seed);
            assert!(h.ops.iter().any(|o| o.ret.is_none()), "{name}: some operations crash");
            let v = kind.check(&h, false, &Options::default());
            let Verdict::Linearizable(w) = &v else { panic!("{name}/{seed}: {v}") };
            let completed = h.ops.iter().filter(|o| o.ret.is_some()).count();
            assert!(w.order.len() >= completed, "{name}");
        }
    }
}

#[test]
fn partitioned_and_unpartitioned_verdicts_agree_on_kv_histories() {
    let mut bad = 0;
    // Small histories: unpartitioned, a violation on one key makes the search
    // try every interleaving of the others (which is why partitions matter).
    for seed in 0..40 {
        let mut h = small_kv(seed);
        if seed % 2 == 1 && corrupt(&mut h, seed) {
            bad += 1;
        }
        let whole = Kind::Kv.check(&h, false, &Options::default());
        let parts = Kind::Kv.check(&h, true, &Options::default());
        assert_eq!(whole.name(), parts.name(), "seed {seed}: {whole} / {parts}");
        match &parts {
            Verdict::Linearizable(w) => {
                // The merged witness replays on the whole map.
                let m = models::Generic(Kind::Kv);
                let mut s = m.init();
                for &i in &w.order {
                    let o = &h.ops[i];
                    s = m.accepts(&s, &o.op, o.ret.as_ref().map(|(_, r)| r)).unwrap().into_owned();
                }
                assert!(parts.stats().partitions > 1);
            }
            Verdict::NotLinearizable(e) => {
                let key = e.stuck[0].op.key.as_ref().unwrap();
                assert_eq!(e.partition.as_deref(), Some(format!("key {key}").as_str()));
            }
            Verdict::Unknown(u) => panic!("seed {seed}: {u:?}"),
        }
    }
    assert!(bad > 15);
}

#[test]
fn a_set_read_is_compared_as_a_set() {
    let m = models::Generic(Kind::Set);
    let add = |v, t| Operation {
        thread: 0,
        op: Call { f: F::Add, key: None, value: Value::Int(v) },
        call: t,
        ret: Some((t + 1, Value::Nil)),
    };
    let read = |vs: Vec<i64>| Operation {
        thread: 1,
        op: Call { f: F::Read, key: None, value: Value::Nil },
        call: 10,
        ret: Some((11, Value::List(vs.into_iter().map(Value::Int).collect()))),
    };
    let h = |vs| History { ops: vec![add(1, 0), add(2, 2), read(vs)] };
    assert!(check(&m, &h(vec![2, 1])).is_linearizable());
    assert!(check(&m, &h(vec![1, 1])).violation().is_some());
    assert!(check(&m, &h(vec![1])).violation().is_some());
}

/// Brute force: some permutation of the completed operations and a subset of
/// the crashed ones respects real time (concurrent ties) and replays.
fn brute_force<M: Model>(m: &M, h: &History<M::Op, M::Ret>) -> bool {
    fn go<M: Model>(m: &M, h: &History<M::Op, M::Ret>, s: &M::State, used: &mut Vec<bool>) -> bool {
        let open = |j: usize, used: &[bool]| !used[j] && h.ops[j].ret.is_some();
        if (0..h.ops.len()).all(|j| !open(j, used)) {
            return true;
        }
        for i in 0..h.ops.len() {
            if used[i] {
                continue;
            }
            // No unused completed operation returned before `i` was called.
            let blocked = (0..h.ops.len()).any(|j| {
                j != i && open(j, used) && h.ops[j].ret.as_ref().unwrap().0 < h.ops[i].call
            });
            if blocked {
                continue;
            }
            let o = &h.ops[i];
            let mut next = Vec::new();
            m.successors(s, &o.op, o.ret.as_ref().map(|(_, r)| r), &mut next);
            for n in next {
                used[i] = true;
                if go(m, h, &n, used) {
                    used[i] = false;
                    return true;
                }
                used[i] = false;
            }
        }
        false
    }
    go(m, h, &m.init(), &mut vec![false; h.ops.len()])
}

#[test]
fn the_search_agrees_with_brute_force_on_small_histories_with_crashes() {
    let mut checked = [0; 2];
    for (_, kind) in Kind::ALL {
        for seed in 0..150 {
            let g = Generate { kind, processes: 3, ops: 7, keys: 2, crash_percent: 30, seed };
            let mut h = generate(&g);
            if seed % 2 == 1 {
                corrupt(&mut h, seed);
            }
            let m = models::Generic(kind);
            let ours = check(&m, &h);
            assert_eq!(
                ours.is_linearizable(),
                brute_force(&m, &h),
                "{kind:?}/{seed}: {ours} on {h:?}"
            );
            checked[usize::from(ours.is_linearizable())] += 1;
        }
    }
    assert!(checked[0] > 50 && checked[1] > 50, "{checked:?}");
}
