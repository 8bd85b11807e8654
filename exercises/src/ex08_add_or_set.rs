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
//! You have one [`AddOrSet`] word (in `exercises/src/add_or_set.rs`: given,
//! don't change it), initially 0, with two operations:
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

pub use crate::add_or_set::{AddOrSet, FALSE, TRUE};
use consensus_lab::consensus::{check_id, Consensus, ConsensusError};

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
