//! # Exercise 8 — `fetch-and-add-test-and-set` (advanced): collapsing the hierarchy
//!
//! fetch&add and test&set each have consensus number 2. But Herlihy's
//! hierarchy classifies *objects*, and real processors apply *instructions*
//! to memory words: what if both instructions may be applied to the **same**
//! word? Then (Ellen, Gelashvili, Shavit and Zhu, "A complexity-based
//! hierarchy for multiprocessor synchronization", 2016) binary consensus is
//! solvable for **any** number of threads — the combination has consensus
//! number ∞.
//!
//! You have one [`AddOrSet`] word, initially 0, with two operations:
//!
//! * `fetch_add_2(me)`: adds 2, returns the old value;
//! * `test_and_set(me)`: sets the word to 1 **if it is 0** (the classic
//!   test&set, on a whole word: "set" means non-zero), returns the old value.
//!
//! Each thread proposes a bit. Write `decide` so that every thread decides
//! the same bit, proposed by someone, in **one** operation on the word and no
//! other shared step. Hint of hints: whatever operation comes first, what
//! does it do to the *parity* of the word, forever after?
//!
//! This is binary consensus on values, not on thread ids, so it implements
//! `Consensus<bool>` directly; return `&TRUE` or `&FALSE`. The check runs
//! 2, 3 and 4 threads exhaustively, with proposals alternating `false`,
//! `true`, `false`, `true` by thread id.

use consensus_lab::consensus::{check_id, Consensus, ConsensusError};
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
                op: "fetch&add(2)",
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
                op: "test&set",
                loc: Loc::new("word"),
                arg: Val::Bot,
                old: Val::Num(old as u64),
                new: Val::Num(new as u64)
            }
        );
        old
    }
}

/// Binary consensus for any number of threads.
#[derive(Debug)]
pub struct BinaryConsensus {
    word: AddOrSet,
    threads: usize,
}

impl BinaryConsensus {
    /// An undecided instance for ids `0..threads`.
    pub fn new(threads: usize) -> Result<Self, ConsensusError> {
        Ok(BinaryConsensus { word: AddOrSet::default(), threads })
    }
}

impl Consensus<bool> for BinaryConsensus {
    fn threads(&self) -> usize {
        self.threads
    }

    fn decide(&self, id: usize, value: bool) -> Result<&bool, ConsensusError> {
        check_id(id, self.threads)?;
        // TODO: which operation does a thread proposing `false` apply, which
        // one a thread proposing `true`? What does the returned value say?
        let _ = value;
        todo!("decide of fetch-and-add-test-and-set")
    }
}
