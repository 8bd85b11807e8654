//! # Exercise 6 — `test-and-set-3-fails`: a negative exercise
//!
//! Test&set has consensus number 2: no protocol from test&set bits and
//! read/write registers solves wait-free consensus for **3** threads. You will
//! not prove that here (the valency argument is in `docs/src/hierarchy.md`); you
//! will *see* it: write the natural 3-thread protocol and let loom find the
//! execution that breaks it.
//!
//! The natural protocol: each thread marks `arrived[me]`, then does one
//! test&set on `bit`. The thread whose test&set found the bit clear won and
//! decides itself. A loser knows only that *someone* else won; let it decide
//! the lowest-numbered other thread that has arrived.
//!
//! The protocol is right for 2 threads (the check verifies that first). For 3,
//! the check **passes when loom finds a counterexample** (an agreement
//! violation): `conlab exercise check test-and-set-3-fails`. Then read the
//! trace and answer for yourself: which thread did the loser guess, who had
//! really won, and could any amount of extra reading have told the loser?
//! (Why does the same idea work for 2 threads?)

use consensus_lab::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use consensus_lab::objects::rmw::TestAndSet;
#[allow(unused_imports)]
use consensus_lab::sync::{AtomicBool, Ordering};
#[allow(unused_imports)]
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
        // TODO: mark arrival (which ordering?), test&set, and decide: yourself
        // if you won, else the lowest other thread that has arrived.
        //
        // The test&set records itself in the trace; record your own steps
        // too, so that the counterexample shows them, e.g.
        //   trace_step!(me, Store { loc: Loc::at("arrived", me), value: Val::Bool(true) });
        //   trace_step!(me, Load { loc: Loc::at("arrived", j), value: Val::Bool(here) });
        //   trace_step!(me, Decide { winner });
        todo!("decide_id of test-and-set-3-fails")
    }

    fn progress(&self) -> Progress {
        Progress::WaitFree { steps: 1 + self.arrived.len() }
    }
}
