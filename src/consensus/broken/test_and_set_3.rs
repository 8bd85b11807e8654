//! BROKEN: the natural 3-thread protocol from test&set.
//!
//! **Algorithm**: each thread marks `arrived[me]`, then does test&set; the
//! winner decides itself; a loser, which knows only that *someone* else won,
//! decides the lowest other thread that has arrived.
//!
//! **Why it is wrong**: with three threads a loser cannot tell which of the other
//! two won. t0 arrives; t1 arrives and wins the test&set; t2 arrives, loses,
//! sees t0 arrived and decides t0, while t1 decides t1. No fix exists: test&set
//! has consensus number 2 (the valency argument in `docs/src/hierarchy.md`: two
//! test&sets on one bit leave the same state in either order, so a third thread
//! cannot tell who went first).

use crate::consensus::protocol::{
    Broken, LoomModel, Params, Protocol, ProtocolInfo, Shows, ShuttleModel, Threads,
};
use crate::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use crate::objects::rmw::TestAndSet;
use crate::objects::{ConsensusNumber, Object};
use crate::sync::{AtomicBool, Ordering};
use crate::trace_step;

/// test&set plus arrival flags, for any number of threads. Wrong from 3 on.
#[derive(Debug)]
pub struct TestAndSet3 {
    bit: TestAndSet,
    arrived: Box<[AtomicBool]>,
}

impl TestAndSet3 {
    /// An undecided instance for ids `0..threads`.
    pub fn new(threads: usize) -> Self {
        TestAndSet3 {
            bit: TestAndSet::new(),
            arrived: (0..threads).map(|_| AtomicBool::new(false)).collect(),
        }
    }
}

impl IdConsensus for TestAndSet3 {
    fn threads(&self) -> usize {
        self.arrived.len()
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.arrived.len())?;
        // Release: pairs with the Acquire loads of losers scanning the flags.
        self.arrived[me].store(true, Ordering::Release);
        trace_step!(me, Store { loc: Loc::at("arrived", me), value: Val::Bool(true) });
        let winner = if !self.bit.test_and_set(me) {
            me
        } else {
            // The loser guesses: the lowest other thread that has arrived.
            let mut guess = me;
            for (j, flag) in self.arrived.iter().enumerate().filter(|(j, _)| *j != me) {
                // Acquire: pairs with the Release store of the flag.
                let here = flag.load(Ordering::Acquire);
                trace_step!(me, Load { loc: Loc::at("arrived", j), value: Val::Bool(here) });
                if here {
                    guess = j;
                    break;
                }
            }
            guess
        };
        trace_step!(me, Decide { winner });
        Ok(winner)
    }

    fn progress(&self) -> Progress {
        Progress::WaitFree { steps: 1 + self.arrived.len() }
    }
}

impl Protocol for TestAndSet3 {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "test-and-set-3",
        summary: "test&set for 3 threads: losers guess the lowest other arrived thread (BROKEN)",
        primitive: "test&set",
        object: &<TestAndSet as Object>::INFO,
        consensus_number: ConsensusNumber::Finite(2),
        threads: Threads::Any,
        knobs: &[],
        loom: &[LoomModel::exhaustive(3)],
        shuttle: &[ShuttleModel::pct(3, 3, 1_000), ShuttleModel::pct(8, 3, 1_000)],
        stall: None,
        broken: Some(Broken {
            flaw: "a loser learns that it lost, not to whom: with 3 threads it guesses wrong",
            shows: Shows::Interleaving,
        }),
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        Ok(Self::new(p.threads))
    }
}
