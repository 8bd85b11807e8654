//! Reference solution of exercise 3 (`cas-n`).

use consensus_lab::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use consensus_lab::sync::{AtomicUsize, Ordering};
use consensus_lab::trace_step;

/// `winner` holds this until someone wins.
pub const NONE: usize = usize::MAX;

/// Wait-free consensus for any number of threads.
#[derive(Debug)]
pub struct CasConsensus {
    winner: AtomicUsize,
    threads: usize,
}

impl CasConsensus {
    /// An undecided instance for ids `0..threads`.
    pub fn new(threads: usize) -> Result<Self, ConsensusError> {
        Ok(CasConsensus { winner: AtomicUsize::new(NONE), threads })
    }
}

impl IdConsensus for CasConsensus {
    fn threads(&self) -> usize {
        self.threads
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.threads)?;
        // Success Release: pairs with the Acquire of the losers' failed CAS, so
        // the winner's announce (before its CAS) happens-before their return.
        // Failure Acquire: pairs with that Release. The strong form: a spurious
        // failure would report no winner at all.
        let found = self.winner.compare_exchange(NONE, me, Ordering::Release, Ordering::Acquire);
        let winner = match found {
            Ok(_) => me,
            Err(other) => other,
        };
        trace_step!(
            me,
            Cas {
                loc: Loc::new("winner"),
                expected: Val::Bot,
                new: Val::Id(me),
                found: Val::id_or_bot(found.unwrap_or_else(|x| x), NONE),
            }
        );
        trace_step!(me, Decide { winner });
        Ok(winner)
    }

    fn progress(&self) -> Progress {
        Progress::WaitFree { steps: 1 }
    }
}
