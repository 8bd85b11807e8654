//! BROKEN: the versioned register exactly as the course notes write it, with the
//! version V and the value X as two separate atomics and plain loads and stores.
//!
//! **Algorithm** (attempt with sequence number N, thread `me`):
//!
//! ```text
//! if read(V) > N: overruled, retry with a higher N
//! write(V, N)
//! x := read(X)
//! if x is set: decide x
//! write(X, me); decide me
//! ```
//!
//! **Why it is wrong.** Nothing ties the read of X to the write of X, nor the
//! read of V to the write of V: each line is its own step. Two attempts can both
//! pass the version check, both read X = ⊥, and both write X:
//!
//! ```text
//!   t0 (N=1) load V → 0;  t1 (N=2) load V → 0
//!   t0 store V ← 1;       t1 store V ← 2
//!   t0 load X → ⊥;        t1 load X → ⊥
//!   t1 store X ← 1, decides t1
//!   t0 store X ← 0, decides t0          -- agreement violated
//! ```
//!
//! t0's write of X comes *after* t1 (ordered later, N = 2) read X: condition C2
//! of the notes ("after a transaction reads, no write by an earlier-ordered
//! transaction") fails, and with it C1 for t1 ("reads see the latest write of an
//! earlier transaction"): t1 read ⊥, yet t0's earlier-ordered write lands later.
//! The correct form ([`versioned`](crate::consensus::versioned)) makes the
//! version check-and-raise one atomic step and the value write conditional on the
//! version being unchanged; `docs/src/versioned-register.md` walks through loom's
//! trace.
//!
//! Loads are Acquire and stores Release, so what loom finds is an agreement
//! violation, not a data race.

use crate::consensus::cas::NONE;
use crate::consensus::protocol::{
    Broken, Knob, LoomModel, Params, Protocol, ProtocolInfo, Shows, ShuttleModel, Threads,
};
use crate::consensus::rounds::{backoff, Ballots, RoundLimit};
use crate::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use crate::objects::register::Register;
use crate::objects::{ConsensusNumber, Object};
use crate::sync::{AtomicU64, AtomicUsize, Ordering};
use crate::trace_step;

/// The notes' procedure over two separate registers. Wrong for two threads.
#[derive(Debug)]
pub struct NaiveVersionedConsensus {
    version: AtomicU64,
    value: AtomicUsize,
    threads: usize,
    limit: RoundLimit,
}

impl NaiveVersionedConsensus {
    /// An undecided instance for ids `0..threads`, giving up after `limit`
    /// overruled attempts.
    pub fn new(threads: usize, limit: RoundLimit) -> Self {
        NaiveVersionedConsensus {
            version: AtomicU64::new(0),
            value: AtomicUsize::new(NONE),
            threads,
            limit,
        }
    }
}

impl IdConsensus for NaiveVersionedConsensus {
    fn threads(&self) -> usize {
        self.threads
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.threads)?;
        let ballots = Ballots::new(me, self.threads, u64::MAX);
        let mut n = ballots.first()?;
        let mut failed = 0;
        loop {
            // Acquire/Release throughout: pairs each load with the store it reads.
            let v = self.version.load(Ordering::Acquire);
            trace_step!(me, Load { loc: Loc::new("V"), value: Val::Num(v) });
            if v > n {
                failed += 1;
                trace_step!(me, Note("overruled: retry with a higher sequence number"));
                self.limit.after_failed(failed)?;
                backoff(failed);
                n = ballots.above(v)?;
                continue;
            }
            self.version.store(n, Ordering::Release);
            trace_step!(me, Store { loc: Loc::new("V"), value: Val::Num(n) });
            let x = self.value.load(Ordering::Acquire);
            trace_step!(me, Load { loc: Loc::new("X"), value: Val::id_or_bot(x, NONE) });
            let winner = if x != NONE {
                x
            } else {
                self.value.store(me, Ordering::Release);
                trace_step!(me, Store { loc: Loc::new("X"), value: Val::Id(me) });
                me
            };
            trace_step!(me, Decide { winner });
            return Ok(winner);
        }
    }

    fn progress(&self) -> Progress {
        Progress::ObstructionFree
    }
}

impl Protocol for NaiveVersionedConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "naive-versioned",
        summary: "the notes' versioned register with V and X as separate registers (BROKEN)",
        primitive: "read/write registers",
        object: &<Register as Object>::INFO,
        consensus_number: ConsensusNumber::Finite(1),
        threads: Threads::Any,
        knobs: &[Knob::Rounds],
        loom: &[LoomModel::exhaustive(2).rounds(2)],
        shuttle: &[
            ShuttleModel::pct(2, 2, 1_000).rounds(2),
            ShuttleModel::pct(8, 3, 1_000).rounds(2),
        ],
        stall: None,
        broken: Some(Broken {
            flaw: "both attempts pass the version check and read X = ⊥, then both write X",
            shows: Shows::Interleaving,
        }),
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        Ok(Self::new(p.threads, RoundLimit(p.rounds)))
    }
}
