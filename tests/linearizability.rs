//! The linearizability checker against an independent oracle, stateright's
//! `LinearizabilityTester`, on the same histories recorded from real threads;
//! and against a deliberately non-linearizable object.

#![cfg(not(loom))] // real threads and real atomics; the loom suite is loom-tests/

use consensus_lab::check::linearizability::{check, History, Operation};
use consensus_lab::check::workload::{check_object, record, Workload};
use consensus_lab::objects::register::{Register, RegisterOp, RegisterSpec};
use consensus_lab::objects::{Object, ObjectInfo};
use consensus_lab::sync::{AtomicUsize, Ordering};
use stateright::semantics::register::{
    Register as SrRegister, RegisterOp as SrOp, RegisterRet as SrRet,
};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester};

/// Feeds a history to stateright in timestamp order.
fn oracle(history: &History<RegisterOp, Option<usize>>) -> bool {
    let mut events: Vec<(u64, usize, bool)> = Vec::new(); // (time, op index, is return)
    for (i, o) in history.ops.iter().enumerate() {
        events.push((o.call, i, false));
        if let Some((t, _)) = o.ret {
            events.push((t, i, true));
        }
    }
    events.sort_unstable();
    let mut tester = LinearizabilityTester::new(SrRegister(0usize));
    for (_, i, is_return) in events {
        let o = &history.ops[i];
        if is_return {
            let ret = match o.ret.as_ref().expect("a return event has a return").1 {
                Some(v) => SrRet::ReadOk(v),
                None => SrRet::WriteOk,
            };
            tester.on_return(o.thread, ret).expect("well-formed history");
        } else {
            let op = match o.op {
                RegisterOp::Read => SrOp::Read,
                RegisterOp::Write(v) => SrOp::Write(v),
            };
            tester.on_invoke(o.thread, op).expect("well-formed history");
        }
    }
    tester.is_consistent()
}

/// A register whose reads return the value of two writes ago: not
/// linearizable, even run by one thread.
#[derive(Debug)]
struct LaggingRegister {
    current: AtomicUsize,
    previous: AtomicUsize,
}

impl Object for LaggingRegister {
    type Spec = RegisterSpec;
    const INFO: ObjectInfo = ObjectInfo {
        name: "lagging register (deliberately wrong)",
        consensus_number: "1",
        implementation: "two words; reads return the older one",
    };
    fn spec(&self) -> RegisterSpec {
        RegisterSpec { init: 0 }
    }
    fn apply(&self, _me: usize, op: &RegisterOp) -> Option<usize> {
        match *op {
            RegisterOp::Read => Some(self.previous.load(Ordering::SeqCst)),
            RegisterOp::Write(v) => {
                let old = self.current.swap(v, Ordering::SeqCst);
                self.previous.store(old, Ordering::SeqCst);
                None
            }
        }
    }
}

impl Workload for LaggingRegister {
    fn fresh() -> Self {
        LaggingRegister { current: AtomicUsize::new(0), previous: AtomicUsize::new(0) }
    }
    fn sample(t: usize, k: usize, rnd: u64) -> RegisterOp {
        <Register as Workload>::sample(t, k, rnd)
    }
}

#[test]
fn both_checkers_agree_on_recorded_register_histories() {
    let mut checked = 0;
    for seed in 0..200 {
        let good = Register::new(0);
        let h = record(&good, 3, 6, seed, <Register as Workload>::sample).unwrap();
        let ours = check(&good.spec(), &h).is_linearizable();
        assert!(ours, "a real register history was judged not linearizable: {h:?}");
        assert_eq!(ours, oracle(&h), "disagreement on {h:?}");

        let bad = LaggingRegister::fresh();
        let h = record(&bad, 3, 6, seed, LaggingRegister::sample).unwrap();
        assert_eq!(check(&bad.spec(), &h).is_linearizable(), oracle(&h), "disagreement on {h:?}");
        checked += 2;
    }
    assert_eq!(checked, 400);
}

#[test]
fn both_checkers_reject_hand_made_violations_and_accept_pending_writes() {
    let op = |thread, op, call, ret| Operation { thread, op, call, ret };
    // A read after a completed write sees the old value.
    let stale = History {
        ops: vec![
            op(0, RegisterOp::Write(1), 0, Some((1, None))),
            op(1, RegisterOp::Read, 2, Some((3, Some(0)))),
        ],
    };
    assert!(check(&RegisterSpec { init: 0 }, &stale).violation().is_some());
    assert!(!oracle(&stale));
    // A write that never returned may explain a read.
    let pending = History {
        ops: vec![
            op(0, RegisterOp::Write(5), 0, None),
            op(1, RegisterOp::Read, 1, Some((2, Some(5)))),
        ],
    };
    assert!(check(&RegisterSpec { init: 0 }, &pending).is_linearizable());
    assert!(oracle(&pending));
}

#[test]
fn the_deliberately_wrong_object_is_caught() {
    let r = check_object::<LaggingRegister>(2, 200, 20).unwrap();
    assert!(r.violations > 0, "{r:?}");
    assert!(r.example.as_deref().unwrap_or("").contains("not linearizable"), "{r:?}");
    let picture = r.picture.as_deref().unwrap_or("");
    assert_eq!(picture.matches(r#"<g class="lane">"#).count(), 2, "one lane per thread");
    assert!(picture.contains(r#"class="op stuck""#), "the stuck operation is marked");
}
