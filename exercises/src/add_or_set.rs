//! The object of exercise 8 (`fetch-and-add-test-and-set`), given to the
//! student: one word with two instructions, and the two bits to return
//! references to. The stub and the solution both use it.

use consensus_lab::sync::{AtomicUsize, Ordering};
use consensus_lab::trace_step;

/// The decided bits, to return references to.
pub static TRUE: bool = true;
/// See [`TRUE`].
pub static FALSE: bool = false;

/// One word with two instructions (given: use it, don't change it).
#[derive(Debug, Default)]
pub struct AddOrSet(AtomicUsize);

impl AddOrSet {
    /// Adds 2; returns the old value. AcqRel, as every read-modify-write of
    /// `objects::rmw`; nothing here needs it: read-modify-writes of one word
    /// are totally ordered whatever their ordering, and the decision is a
    /// `static`, so no announce is published (Relaxed would do).
    pub fn fetch_add_2(&self, me: usize) -> usize {
        let old = self.0.fetch_add(2, Ordering::AcqRel);
        trace_step!(
            me,
            Rmw {
                op: RmwOp::FetchAddConst(2),
                loc: Loc::new("word"),
                arg: Val::Num(2),
                old: Val::Num(old as u64),
                new: Val::Num(old as u64 + 2)
            }
        );
        old
    }

    /// Sets the word to 1 if it is 0; returns the old value: the classic
    /// test&set applied to a whole word ("set" means non-zero). The argument
    /// needs exactly that conditional set: x86's `lock bts`, which sets bit 0
    /// of any word, would turn an even word odd and break it. Implemented with
    /// a compare&swap of fixed operands; the protocol may call only these two
    /// operations. AcqRel / Acquire: as above, for consistency only.
    pub fn test_and_set(&self, me: usize) -> usize {
        let old = self
            .0
            .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
            .unwrap_or_else(|x| x);
        let new = if old == 0 { 1 } else { old };
        trace_step!(
            me,
            Rmw {
                op: RmwOp::TestAndSet,
                loc: Loc::new("word"),
                arg: Val::Bot,
                old: Val::Num(old as u64),
                new: Val::Num(new as u64)
            }
        );
        old
    }
}
