//! Reference solution of exercise 8 (`fetch-and-add-test-and-set`).
//!
//! Proposers of `false` apply fetch&add(2), proposers of `true` test&set. The
//! first operation fixes the word's parity for ever: a test&set first makes it
//! 1, and then fetch&add(2) keeps it odd and test&set leaves a non-zero word
//! alone; a fetch&add first makes it 2, and it stays even. So the value an
//! operation returns tells its caller which kind came first: 0, it was first
//! itself; odd, a test&set; even and non-zero, a fetch&add. Everyone decides
//! the first operation's proposal: agreement and validity. Wait-free, one step.

use consensus_lab::consensus::{check_id, Consensus, ConsensusError};
use consensus_lab::sync::{AtomicUsize, Ordering};
use consensus_lab::trace_step;

/// The decided bits, to return references to.
pub static TRUE: bool = true;
/// See [`TRUE`].
pub static FALSE: bool = false;

/// One word with two instructions.
#[derive(Debug, Default)]
pub struct AddOrSet(AtomicUsize);

impl AddOrSet {
    /// Adds 2; returns the old value. AcqRel for consistency with
    /// `objects::rmw`; nothing needs it (one word: its RMWs are totally
    /// ordered; the decision is a `static`): Relaxed would do.
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

    /// Sets the word to 1 if it is 0; returns the old value. AcqRel / Acquire:
    /// as above, for consistency only.
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
        let old = if value { self.word.test_and_set(id) } else { self.word.fetch_add_2(id) };
        let decided = match old {
            0 => value,
            odd if odd % 2 == 1 => true,
            _ => false,
        };
        Ok(if decided { &TRUE } else { &FALSE })
    }
}
