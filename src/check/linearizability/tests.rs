//! The checker's unit tests: the classic cases, ties, budgets, predicate and
//! non-deterministic models, witnesses.

use super::*;
use crate::objects::queue::{QueueOp, QueueSpec};
use crate::objects::register::{RegisterOp, RegisterSpec};
use std::borrow::Cow;
use std::time::Duration;

fn op<O, R>(thread: usize, op: O, call: u64, ret: Option<(u64, R)>) -> Operation<O, R> {
    Operation { thread, op, call, ret }
}

/// Checks that `w` is a valid linearization of `h` under `spec`.
fn assert_witness<M: Model>(model: &M, h: &History<M::Op, M::Ret>, w: &Witness, ties: Ties) {
    // Every state the prefix may have left (a non-deterministic model may
    // leave several).
    let mut states = vec![model.init()];
    for (pos, &i) in w.order.iter().enumerate() {
        let o = &h.ops[i];
        let mut next = Vec::new();
        for s in &states {
            let mut out = Vec::new();
            model.successors(s, &o.op, o.ret.as_ref().map(|(_, r)| r), &mut out);
            next.extend(out.into_iter().map(Cow::into_owned));
        }
        assert!(!next.is_empty(), "the witness does not replay at operation {i}");
        states = next;
        for &j in &w.order[pos + 1..] {
            if let Some((t, _)) = h.ops[j].ret {
                let before = match ties {
                    Ties::Concurrent => t < o.call,
                    Ties::Ordered => t <= o.call,
                };
                assert!(!before, "{j} returned before {i} was called but comes after it");
            }
        }
    }
    for (i, o) in h.ops.iter().enumerate() {
        if o.ret.is_some() {
            assert!(w.order.contains(&i), "completed operation {i} missing from the witness");
        }
    }
}

#[test]
fn overlapping_reads_may_see_either_value() {
    let spec = RegisterSpec { init: 0 };
    // t0 writes 1 during [1, 4]; t1 reads 0 in [2, 3] and 1 in [5, 6].
    let h = History {
        ops: vec![
            op(0, RegisterOp::Write(1), 1, Some((4, None))),
            op(1, RegisterOp::Read, 2, Some((3, Some(0)))),
            op(1, RegisterOp::Read, 5, Some((6, Some(1)))),
        ],
    };
    let Verdict::Linearizable(w) = check(&spec, &h) else { panic!("linearizable") };
    assert_eq!(w.order, vec![1, 0, 2]);
    assert_witness(&spec, &h, &w, Ties::Concurrent);
}

#[test]
fn a_read_after_a_completed_write_must_see_it() {
    let spec = RegisterSpec { init: 0 };
    let h = History {
        ops: vec![
            op(0, RegisterOp::Write(1), 1, Some((2, None))),
            op(1, RegisterOp::Read, 3, Some((4, Some(0)))),
        ],
    };
    let v = check(&spec, &h);
    let e = v.violation().expect("not linearizable");
    assert_eq!(e.stuck_ids, vec![1]);
    assert_eq!(e.prefix_ids, vec![0]);
    assert!(e.stats.steps > 0 && e.stats.states > 0, "{:?}", e.stats);
    assert!(e.to_string().contains("t1 Read → Some(0)"), "{e}");
}

#[test]
fn a_tie_is_concurrent_by_default_and_ordered_on_request() {
    // write(1) in [0, 5], a read of the initial 0 in [5, 6].
    let spec = RegisterSpec { init: 0 };
    let h = History {
        ops: vec![
            op(0, RegisterOp::Write(1), 0, Some((5, None))),
            op(1, RegisterOp::Read, 5, Some((6, Some(0)))),
        ],
    };
    let Verdict::Linearizable(w) = check(&spec, &h) else { panic!("concurrent ties") };
    assert_eq!(w.order, vec![1, 0]);
    let strict = Options { ties: Ties::Ordered, ..Options::default() };
    assert!(check_with(&spec, &h, &strict).violation().is_some());
    // A zero-length operation is still possible under the strict rule.
    let h = History { ops: vec![op(1, RegisterOp::Read, 5, Some((5, Some(0))))] };
    assert!(check_with(&spec, &h, &strict).is_linearizable());
}

#[test]
fn pending_operations_may_or_may_not_take_effect() {
    let spec = QueueSpec::default();
    // t0's enqueue of 7 never returned; t1 dequeued 7, so it took effect.
    let took = History {
        ops: vec![op(0, QueueOp::Enq(7), 1, None), op(1, QueueOp::Deq, 2, Some((3, Some(7))))],
    };
    let Verdict::Linearizable(w) = check(&spec, &took) else { panic!() };
    assert_eq!(w.order, vec![0, 1]);
    // ... or t1 found the queue empty: it did not (yet), and is left out.
    let not = History {
        ops: vec![op(0, QueueOp::Enq(7), 1, None), op(1, QueueOp::Deq, 2, Some((3, None)))],
    };
    let Verdict::Linearizable(w) = check(&spec, &not) else { panic!() };
    assert_eq!(w.order, vec![1]);
    // But a value nobody enqueued is never dequeued.
    let bad = History {
        ops: vec![op(0, QueueOp::Enq(7), 1, None), op(1, QueueOp::Deq, 2, Some((3, Some(8))))],
    };
    assert!(check(&spec, &bad).violation().is_some());
}

#[test]
fn fifo_order_is_enforced() {
    let spec = QueueSpec::default();
    let h = History {
        ops: vec![
            op(0, QueueOp::Enq(1), 1, Some((2, None))),
            op(0, QueueOp::Enq(2), 3, Some((4, None))),
            op(1, QueueOp::Deq, 5, Some((6, Some(2)))),
        ],
    };
    assert!(check(&spec, &h).violation().is_some());
}

fn sequential_register(n: u64) -> History<RegisterOp, Option<usize>> {
    let ops = (0..n)
        .map(|k| {
            let (o, r) = if k % 2 == 0 {
                (RegisterOp::Write(k as usize), None)
            } else {
                (RegisterOp::Read, Some(k as usize - 1))
            };
            op((k % 3) as usize, o, 2 * k, Some((2 * k + 1, r)))
        })
        .collect();
    History { ops }
}

#[test]
fn long_sequential_histories_are_fast() {
    let spec = RegisterSpec { init: 0 };
    let h = sequential_register(5_000);
    let Verdict::Linearizable(w) = check(&spec, &h) else { panic!() };
    assert!(w.stats.steps < 50_000, "{:?}", w.stats);
    assert_witness(&spec, &h, &w, Ties::Concurrent);
}

/// Many crashed enqueues of distinct values: every subset in every order is a
/// state, so the memo grows without bound.
fn hard_queue_history() -> History<QueueOp, Option<usize>> {
    let mut ops: Vec<_> = (0..24).map(|v| op(v, QueueOp::Enq(v), v as u64, None)).collect();
    // A dequeue of a value nobody enqueued, at the very end: the search must
    // try everything before it can say no.
    ops.push(op(99, QueueOp::Deq, 100, Some((101, Some(1000)))));
    History { ops }
}

#[test]
fn a_state_budget_gives_unknown_with_statistics() {
    let budget = Budget { states: Some(5_000), ..Budget::default() };
    let v = check_with(
        &QueueSpec::default(),
        &hard_queue_history(),
        &Options { budget, ..Options::default() },
    );
    let Verdict::Unknown(u) = v else { panic!("expected unknown, got {v}") };
    assert_eq!(u.reason, Exhausted::States);
    assert!(u.stats.states > 5_000 && u.stats.steps > 5_000, "{:?}", u.stats);
    assert!(u.stats.memo_bytes > 0);
}

#[test]
fn a_time_budget_gives_unknown() {
    let budget = Budget { time: Some(Duration::from_millis(50)), ..Budget::default() };
    let v = check_with(
        &QueueSpec::default(),
        &hard_queue_history(),
        &Options { budget, ..Options::default() },
    );
    let Verdict::Unknown(u) = v else { panic!("expected unknown, got {v}") };
    assert_eq!(u.reason, Exhausted::Time);
    assert!(u.stats.elapsed >= Duration::from_millis(50));
}

#[test]
fn a_memory_budget_gives_unknown() {
    let budget = Budget { memory: Some(1 << 20), ..Budget::default() };
    let v = check_with(
        &QueueSpec::default(),
        &hard_queue_history(),
        &Options { budget, ..Options::default() },
    );
    let Verdict::Unknown(u) = v else { panic!("expected unknown, got {v}") };
    assert_eq!(u.reason, Exhausted::Memory);
}

/// A register whose reads may have lost their value: `Read(None)` is a read
/// that completed (so it is ordered in real time) but whose value is unknown.
#[derive(Debug)]
struct LossyRegister;

impl Model for LossyRegister {
    type State = u32;
    type Op = Option<u32>; // Some(v): write v; None: read
    type Ret = Option<u32>; // for a read: the value, if known

    fn init(&self) -> u32 {
        0
    }
    fn accepts<'s>(
        &self,
        s: &'s u32,
        op: &Option<u32>,
        ret: Option<&Option<u32>>,
    ) -> Option<Cow<'s, u32>> {
        match op {
            Some(v) => Some(Cow::Owned(*v)),
            None => match ret {
                Some(Some(v)) if v != s => None,
                _ => Some(Cow::Borrowed(s)),
            },
        }
    }
}

#[test]
fn a_predicate_model_accepts_a_partly_unknown_result() {
    let h = |read: Option<u32>| History {
        ops: vec![
            op(0, Some(1), 0, Some((1, None))),
            op(1, None, 2, Some((3, read))),
            op(0, Some(2), 4, Some((5, None))),
        ],
    };
    assert!(check(&LossyRegister, &h(None)).is_linearizable());
    assert!(check(&LossyRegister, &h(Some(1))).is_linearizable());
    assert!(check(&LossyRegister, &h(Some(2))).violation().is_some());
}

/// A bag: `take` removes some element, and says which. A crashed take (result
/// unknown) may have removed any one of them: a non-deterministic step.
#[derive(Debug)]
struct Bag;

#[derive(Clone, Debug)]
enum BagOp {
    Put(u8),
    Take,
}

impl Model for Bag {
    type State = Vec<u8>; // sorted
    type Op = BagOp;
    type Ret = Option<u8>;

    fn init(&self) -> Vec<u8> {
        Vec::new()
    }
    fn accepts<'s>(
        &self,
        s: &'s Vec<u8>,
        op: &BagOp,
        ret: Option<&Option<u8>>,
    ) -> Option<Cow<'s, Vec<u8>>> {
        let mut all = Vec::new();
        self.successors(s, op, ret, &mut all);
        all.into_iter().next()
    }
    fn successors<'s>(
        &self,
        s: &'s Vec<u8>,
        op: &BagOp,
        ret: Option<&Option<u8>>,
        out: &mut Vec<Cow<'s, Vec<u8>>>,
    ) {
        let without = |i: usize| {
            let mut t = s.clone();
            t.remove(i);
            Cow::Owned(t)
        };
        match (op, ret) {
            (BagOp::Put(v), _) => {
                let mut t = s.clone();
                let at = t.partition_point(|x| x < v);
                t.insert(at, *v);
                out.push(Cow::Owned(t));
            }
            (BagOp::Take, Some(None)) if s.is_empty() => out.push(Cow::Borrowed(s)),
            (BagOp::Take, Some(Some(v))) => out.extend(s.iter().position(|x| x == v).map(without)),
            (BagOp::Take, Some(None)) => {}
            (BagOp::Take, None) => out.extend((0..s.len()).map(without)),
        }
    }
}

#[test]
fn a_non_deterministic_model_explores_every_successor() {
    // Put 1, put 2, a crashed take (removed 1 or 2), then takes of 1 and of
    // nothing: linearizable only if the crashed take removed 2.
    let h = History {
        ops: vec![
            op(0, BagOp::Put(1), 0, Some((1, None))),
            op(0, BagOp::Put(2), 2, Some((3, None))),
            op(1, BagOp::Take, 4, None),
            op(0, BagOp::Take, 10, Some((11, Some(1)))),
            op(0, BagOp::Take, 12, Some((13, None))),
        ],
    };
    let Verdict::Linearizable(w) = check(&Bag, &h) else { panic!() };
    assert_witness(&Bag, &h, &w, Ties::Concurrent);
    // Two more takes of 1: impossible whatever the crashed take did.
    let mut bad = h.clone();
    bad.ops[4] = op(0, BagOp::Take, 12, Some((13, Some(1))));
    assert!(check(&Bag, &bad).violation().is_some());
}
