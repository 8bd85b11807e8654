//! The read/write register: consensus number 1.
//!
//! One atomic word. `read` is a load, `write` a store; both are linearizable
//! (a single location's modification order is a total order every thread agrees
//! on), and the linearization point is the instruction itself. Values are
//! `usize`; the protocols store thread ids and use `usize::MAX` for ⊥.
//!
//! Orderings: `write` Release and `read` Acquire, so a value (a thread id) read
//! from a register carries with it whatever its writer did before (its
//! announce).

use super::{Object, ObjectInfo, Spec};
use crate::sync::{AtomicUsize, Ordering};
use crate::trace_step;

/// A register's operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOp {
    /// Returns the value.
    Read,
    /// Sets the value; returns nothing (`None`).
    Write(usize),
}

/// The register's sequential specification.
#[derive(Clone, Copy, Debug, Default)]
pub struct RegisterSpec {
    /// The initial value.
    pub init: usize,
}

impl Spec for RegisterSpec {
    type State = usize;
    type Op = RegisterOp;
    type Ret = Option<usize>;

    fn init(&self) -> usize {
        self.init
    }

    fn apply(&self, state: &usize, op: &RegisterOp) -> (usize, Option<usize>) {
        match *op {
            RegisterOp::Read => (*state, Some(*state)),
            RegisterOp::Write(v) => (v, None),
        }
    }

    fn read_only(&self, op: &RegisterOp) -> bool {
        matches!(op, RegisterOp::Read)
    }
}

/// An atomic read/write register.
#[derive(Debug)]
pub struct Register {
    value: AtomicUsize,
    init: usize,
}

impl Register {
    /// A register holding `init`.
    pub fn new(init: usize) -> Self {
        Register { value: AtomicUsize::new(init), init }
    }

    /// Reads the value. Acquire: pairs with the Release of the write it reads.
    pub fn read(&self, me: usize) -> usize {
        let v = self.value.load(Ordering::Acquire);
        trace_step!(me, Load { loc: Loc::new("register"), value: Val::Num(v as u64) });
        v
    }

    /// Writes `v`. Release: pairs with the Acquire of the reads that see it.
    pub fn write(&self, me: usize, v: usize) {
        self.value.store(v, Ordering::Release);
        trace_step!(me, Store { loc: Loc::new("register"), value: Val::Num(v as u64) });
    }
}

impl Object for Register {
    type Spec = RegisterSpec;
    const INFO: ObjectInfo = ObjectInfo {
        name: "register",
        consensus_number: "1",
        implementation: "one atomic word: load (Acquire) / store (Release)",
    };

    fn spec(&self) -> RegisterSpec {
        RegisterSpec { init: self.init }
    }

    fn apply(&self, me: usize, op: &RegisterOp) -> Option<usize> {
        match *op {
            RegisterOp::Read => Some(self.read(me)),
            RegisterOp::Write(v) => {
                self.write(me, v);
                None
            }
        }
    }
}
