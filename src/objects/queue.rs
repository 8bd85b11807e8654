//! The FIFO queue: consensus number 2.
//!
//! A `VecDeque` behind one parking_lot mutex (the loom mutex under `cfg(loom)`).
//! Every operation is linearizable at its critical section. The *object* has
//! consensus number 2 whatever its implementation; this implementation blocks
//! (a thread stopped inside the critical section stops the others), so the
//! 2-thread protocol built on it is blocking too, and says so. Wait-free queues
//! exist; a lock keeps this one obviously correct, which is what the hierarchy
//! is about.

use super::{Object, ObjectInfo, Spec};
use crate::sync::ParkingMutex;
use crate::trace_step;
use std::collections::VecDeque;

/// The queue's operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueueOp {
    /// Appends a value; returns `None`.
    Enq(usize),
    /// Removes the oldest value; returns it, or `None` if empty.
    Deq,
}

/// The queue's sequential specification.
#[derive(Clone, Debug, Default)]
pub struct QueueSpec {
    /// The initial contents, oldest first.
    pub init: Vec<usize>,
}

impl Spec for QueueSpec {
    type State = VecDeque<usize>;
    type Op = QueueOp;
    type Ret = Option<usize>;
    fn init(&self) -> VecDeque<usize> {
        self.init.iter().copied().collect()
    }
    fn apply(&self, s: &VecDeque<usize>, op: &QueueOp) -> (VecDeque<usize>, Option<usize>) {
        let mut s = s.clone();
        let r = match *op {
            QueueOp::Enq(v) => {
                s.push_back(v);
                None
            }
            QueueOp::Deq => s.pop_front(),
        };
        (s, r)
    }
}

/// A linearizable FIFO queue of `usize`.
#[derive(Debug)]
pub struct Queue {
    items: ParkingMutex<VecDeque<usize>>,
    init: Vec<usize>,
}

impl Queue {
    /// A queue holding `init`, oldest first.
    pub fn new(init: &[usize]) -> Self {
        Queue { items: ParkingMutex::new(init.iter().copied().collect()), init: init.to_vec() }
    }

    /// Removes the oldest value. The mutex's acquire/release orders this
    /// operation after every earlier one (and publishes what the caller did
    /// before it to every later one).
    pub fn deq(&self, me: usize) -> Option<usize> {
        let v = self.items.lock().pop_front();
        trace_step!(
            me,
            Rmw {
                op: RmwOp::Deq,
                loc: Loc::new("queue"),
                arg: Val::Bot,
                old: v.map_or(Val::Bot, |v| Val::Num(v as u64)),
                new: Val::Bot
            }
        );
        v
    }

    /// Appends `v`.
    pub fn enq(&self, me: usize, v: usize) {
        self.items.lock().push_back(v);
        trace_step!(
            me,
            Rmw {
                op: RmwOp::Enq,
                loc: Loc::new("queue"),
                arg: Val::Num(v as u64),
                old: Val::Bot,
                new: Val::Bot
            }
        );
    }
}

impl Object for Queue {
    type Spec = QueueSpec;
    const INFO: ObjectInfo = ObjectInfo {
        name: "queue",
        consensus_number: "2",
        implementation: "VecDeque behind a mutex (blocking)",
    };
    fn spec(&self) -> QueueSpec {
        QueueSpec { init: self.init.clone() }
    }
    fn apply(&self, me: usize, op: &QueueOp) -> Option<usize> {
        match *op {
            QueueOp::Enq(v) => {
                self.enq(me, v);
                None
            }
            QueueOp::Deq => self.deq(me),
        }
    }
}
