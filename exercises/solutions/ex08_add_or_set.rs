//! Reference solution of exercise 8 (`fetch-and-add-test-and-set`).
//!
//! Proposers of `false` apply fetch&add(2), proposers of `true` test&set. The
//! first operation fixes the word's parity for ever: a test&set first makes it
//! 1, and then fetch&add(2) keeps it odd and test&set leaves a non-zero word
//! alone; a fetch&add first makes it 2, and it stays even. So the value an
//! operation returns tells its caller which kind came first: 0, it was first
//! itself; odd, a test&set; even and non-zero, a fetch&add. Everyone decides
//! the first operation's proposal: agreement and validity. Wait-free, one step.

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
        let old = if value { self.word.test_and_set(id) } else { self.word.fetch_add_2(id) };
        let decided = match old {
            0 => value,
            odd if odd % 2 == 1 => true,
            _ => false,
        };
        Ok(if decided { &TRUE } else { &FALSE })
    }
}
