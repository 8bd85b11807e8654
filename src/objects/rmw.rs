//! The read-modify-write objects: test&set, swap and fetch&add (consensus
//! number 2), and compare&swap (consensus number ∞).
//!
//! Each is one atomic word and one hardware read-modify-write instruction, so
//! each operation is linearizable at that instruction. Orderings: every RMW is
//! `AcqRel` (the caller does not know whether it comes first, so it must both
//! publish its announce, Release, and see the announce of whoever came before,
//! Acquire); reads are `Acquire`.
//!
//! Why test&set, swap and fetch&add stop at 2: each of them *commutes* or
//! *overwrites*. Two operations by different threads on the same object either
//! commute (fetch&add: the state after both is the same in either order) or one
//! overwrites the other (test&set, swap: the later one erases the trace of the
//! earlier). Either way a third thread that runs after both cannot tell which
//! came first, which is what the valency argument needs (`docs/src/hierarchy.md`).
//! compare&swap neither commutes nor overwrites: the first CAS(⊥ → x) is visible
//! forever.

use super::{Object, ObjectInfo, Spec};
use crate::sync::{AtomicBool, AtomicUsize, Ordering};
use crate::trace_step;

/// Test&set's operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TasOp {
    /// Sets the bit; returns the old value.
    TestAndSet,
    /// Returns the bit.
    Read,
}

/// Test&set's sequential specification (initially clear).
#[derive(Clone, Copy, Debug, Default)]
pub struct TasSpec;

impl Spec for TasSpec {
    type State = bool;
    type Op = TasOp;
    type Ret = bool;
    fn init(&self) -> bool {
        false
    }
    fn apply(&self, s: &bool, op: &TasOp) -> (bool, bool) {
        match op {
            TasOp::TestAndSet => (true, *s),
            TasOp::Read => (*s, *s),
        }
    }
    fn read_only(&self, op: &TasOp) -> bool {
        matches!(op, TasOp::Read)
    }
}

/// A test&set bit.
#[derive(Debug, Default)]
pub struct TestAndSet(AtomicBool);

impl TestAndSet {
    /// A clear bit.
    pub fn new() -> Self {
        TestAndSet(AtomicBool::new(false))
    }

    /// Sets the bit; returns whether it was already set (false: first).
    pub fn test_and_set(&self, me: usize) -> bool {
        // AcqRel: see the module docs.
        let old = self.0.swap(true, Ordering::AcqRel);
        trace_step!(
            me,
            Rmw {
                op: RmwOp::TestAndSet,
                loc: Loc::new("bit"),
                arg: Val::Bool(true),
                old: Val::Bool(old),
                new: Val::Bool(true)
            }
        );
        old
    }
}

impl Object for TestAndSet {
    type Spec = TasSpec;
    const INFO: ObjectInfo = ObjectInfo {
        name: "test&set",
        consensus_number: "2",
        implementation: "AtomicBool::swap(true, AcqRel)",
    };
    fn spec(&self) -> TasSpec {
        TasSpec
    }
    fn apply(&self, me: usize, op: &TasOp) -> bool {
        match op {
            TasOp::TestAndSet => self.test_and_set(me),
            // Acquire: pairs with the AcqRel swap that set it.
            TasOp::Read => self.0.load(Ordering::Acquire),
        }
    }
}

/// Swap's and fetch&add's operations on a word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WordOp {
    /// Swap: writes the value, returns the old one. Fetch&add: adds it
    /// (wrapping), returns the old value.
    Rmw(usize),
    /// Returns the value.
    Read,
}

/// The sequential specification of swap (`add: false`) or fetch&add (`add: true`).
#[derive(Clone, Copy, Debug, Default)]
pub struct WordSpec {
    /// Fetch&add rather than swap.
    pub add: bool,
    /// The initial value.
    pub init: usize,
}

impl Spec for WordSpec {
    type State = usize;
    type Op = WordOp;
    type Ret = usize;
    fn init(&self) -> usize {
        self.init
    }
    fn apply(&self, s: &usize, op: &WordOp) -> (usize, usize) {
        match *op {
            WordOp::Rmw(v) if self.add => (s.wrapping_add(v), *s),
            WordOp::Rmw(v) => (v, *s),
            WordOp::Read => (*s, *s),
        }
    }
    fn read_only(&self, op: &WordOp) -> bool {
        matches!(op, WordOp::Read)
    }
}

/// A swap register.
#[derive(Debug)]
pub struct Swap {
    word: AtomicUsize,
    init: usize,
}

impl Swap {
    /// A register holding `init`.
    pub fn new(init: usize) -> Self {
        Swap { word: AtomicUsize::new(init), init }
    }

    /// Writes `v`, returns the old value.
    pub fn swap(&self, me: usize, v: usize) -> usize {
        // AcqRel: see the module docs.
        let old = self.word.swap(v, Ordering::AcqRel);
        trace_step!(
            me,
            Rmw {
                op: RmwOp::Swap,
                loc: Loc::new("word"),
                arg: Val::Num(v as u64),
                old: Val::Num(old as u64),
                new: Val::Num(v as u64)
            }
        );
        old
    }
}

impl Object for Swap {
    type Spec = WordSpec;
    const INFO: ObjectInfo = ObjectInfo {
        name: "swap",
        consensus_number: "2",
        implementation: "AtomicUsize::swap(v, AcqRel)",
    };
    fn spec(&self) -> WordSpec {
        WordSpec { add: false, init: self.init }
    }
    fn apply(&self, me: usize, op: &WordOp) -> usize {
        match *op {
            WordOp::Rmw(v) => self.swap(me, v),
            // Acquire: pairs with the AcqRel swap it reads.
            WordOp::Read => self.word.load(Ordering::Acquire),
        }
    }
}

/// A fetch&add counter.
#[derive(Debug)]
pub struct FetchAdd {
    word: AtomicUsize,
    init: usize,
}

impl FetchAdd {
    /// A counter holding `init`.
    pub fn new(init: usize) -> Self {
        FetchAdd { word: AtomicUsize::new(init), init }
    }

    /// Adds `k` (wrapping), returns the old value.
    pub fn fetch_add(&self, me: usize, k: usize) -> usize {
        // AcqRel: see the module docs.
        let old = self.word.fetch_add(k, Ordering::AcqRel);
        trace_step!(
            me,
            Rmw {
                op: RmwOp::FetchAdd,
                loc: Loc::new("counter"),
                arg: Val::Num(k as u64),
                old: Val::Num(old as u64),
                new: Val::Num(old.wrapping_add(k) as u64)
            }
        );
        old
    }
}

impl Object for FetchAdd {
    type Spec = WordSpec;
    const INFO: ObjectInfo = ObjectInfo {
        name: "fetch&add",
        consensus_number: "2",
        implementation: "AtomicUsize::fetch_add(k, AcqRel)",
    };
    fn spec(&self) -> WordSpec {
        WordSpec { add: true, init: self.init }
    }
    fn apply(&self, me: usize, op: &WordOp) -> usize {
        match *op {
            WordOp::Rmw(k) => self.fetch_add(me, k),
            // Acquire: pairs with the AcqRel fetch&add it reads.
            WordOp::Read => self.word.load(Ordering::Acquire),
        }
    }
}

/// Compare&swap's operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CasOp {
    /// If the value is `expected`, writes `new`; returns the value found.
    Cas {
        /// The value expected.
        expected: usize,
        /// The value to install.
        new: usize,
    },
    /// Returns the value.
    Read,
}

/// Compare&swap's sequential specification.
#[derive(Clone, Copy, Debug, Default)]
pub struct CasSpec {
    /// The initial value.
    pub init: usize,
}

impl Spec for CasSpec {
    type State = usize;
    type Op = CasOp;
    type Ret = usize;
    fn init(&self) -> usize {
        self.init
    }
    fn apply(&self, s: &usize, op: &CasOp) -> (usize, usize) {
        match *op {
            CasOp::Cas { expected, new } if *s == expected => (new, *s),
            CasOp::Cas { .. } | CasOp::Read => (*s, *s),
        }
    }
    fn read_only(&self, op: &CasOp) -> bool {
        matches!(op, CasOp::Read)
    }
}

/// A compare&swap register.
#[derive(Debug)]
pub struct CompareAndSwap {
    word: AtomicUsize,
    init: usize,
}

impl CompareAndSwap {
    /// A register holding `init`.
    pub fn new(init: usize) -> Self {
        CompareAndSwap { word: AtomicUsize::new(init), init }
    }
}

impl Object for CompareAndSwap {
    type Spec = CasSpec;
    const INFO: ObjectInfo = ObjectInfo {
        name: "compare&swap",
        consensus_number: "∞",
        implementation: "AtomicUsize::compare_exchange(AcqRel, Acquire)",
    };
    fn spec(&self) -> CasSpec {
        CasSpec { init: self.init }
    }
    fn apply(&self, me: usize, op: &CasOp) -> usize {
        match *op {
            CasOp::Cas { expected, new } => {
                // AcqRel / Acquire: see the module docs.
                let found =
                    self.word.compare_exchange(expected, new, Ordering::AcqRel, Ordering::Acquire);
                let found = found.unwrap_or_else(|x| x);
                trace_step!(
                    me,
                    Cas {
                        loc: Loc::new("word"),
                        expected: Val::Num(expected as u64),
                        new: Val::Num(new as u64),
                        found: Val::Num(found as u64)
                    }
                );
                found
            }
            CasOp::Read => self.word.load(Ordering::Acquire),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Runs ops one at a time on the object and on its spec: same answers.
    fn agrees_with_spec<O: Object>(o: &O, ops: &[<O::Spec as Spec>::Op]) {
        let spec = o.spec();
        let mut s = spec.init();
        for op in ops {
            let (next, want) = spec.apply(&s, op);
            assert_eq!(o.apply(0, op), want, "{op:?}");
            s = next;
        }
    }

    #[test]
    fn objects_match_their_specifications_sequentially() {
        agrees_with_spec(
            &TestAndSet::new(),
            &[TasOp::Read, TasOp::TestAndSet, TasOp::TestAndSet, TasOp::Read],
        );
        agrees_with_spec(&Swap::new(7), &[WordOp::Rmw(1), WordOp::Rmw(2), WordOp::Read]);
        agrees_with_spec(
            &FetchAdd::new(usize::MAX),
            &[WordOp::Rmw(1), WordOp::Rmw(5), WordOp::Read],
        );
        agrees_with_spec(
            &CompareAndSwap::new(0),
            &[
                CasOp::Cas { expected: 1, new: 2 },
                CasOp::Cas { expected: 0, new: 3 },
                CasOp::Cas { expected: 0, new: 4 },
                CasOp::Read,
            ],
        );
    }
}
