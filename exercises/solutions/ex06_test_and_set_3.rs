//! Reference solution of exercise 6 (`test-and-set-3-fails`): the natural
//! protocol, which loom breaks. The counterexample: t0 arrives; t1 arrives and
//! wins the test&set; t2 arrives, loses, sees t0 arrived and decides t0, while
//! t1 decides itself. The loser cannot tell t0 from t1: both test&sets leave
//! the bit set, in either order.

use consensus_lab::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use consensus_lab::objects::rmw::TestAndSet;
use consensus_lab::sync::{AtomicBool, Ordering};
use consensus_lab::trace_step;

/// The natural protocol for 3 threads (wrong, and that is the point).
#[derive(Debug)]
pub struct TasThree {
    bit: TestAndSet,
    arrived: Vec<AtomicBool>,
}

impl TasThree {
    /// An undecided instance for ids `0..threads`.
    pub fn new(threads: usize) -> Result<Self, ConsensusError> {
        Ok(TasThree {
            bit: TestAndSet::new(),
            arrived: (0..threads).map(|_| AtomicBool::new(false)).collect(),
        })
    }
}

impl IdConsensus for TasThree {
    fn threads(&self) -> usize {
        self.arrived.len()
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.arrived.len())?;
        // Release: pairs with the Acquire loads of the losers' scan.
        self.arrived[me].store(true, Ordering::Release);
        trace_step!(me, Store { loc: Loc::at("arrived", me), value: Val::Bool(true) });
        let winner = if !self.bit.test_and_set(me) {
            me
        } else {
            (0..self.arrived.len())
                .filter(|&j| j != me)
                .find(|&j| {
                    // Acquire: pairs with the Release store of the flag.
                    let here = self.arrived[j].load(Ordering::Acquire);
                    trace_step!(me, Load { loc: Loc::at("arrived", j), value: Val::Bool(here) });
                    here
                })
                .unwrap_or(me)
        };
        trace_step!(me, Decide { winner });
        Ok(winner)
    }

    fn progress(&self) -> Progress {
        Progress::WaitFree { steps: 1 + self.arrived.len() }
    }
}
