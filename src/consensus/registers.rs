//! Consensus from single-writer read/write registers only: no read-modify-write
//! at all. The shape of Disk Paxos (Gafni & Lamport) on one disk.
//!
//! **Algorithm.** Thread `i` owns register `R[i] = (promised, accepted, value)`:
//! the highest ballot it has started, the ballot of the value it last accepted,
//! and that value (a thread id). Only `i` writes `R[i]`; everyone reads it. An
//! attempt with ballot `b` (from [`Ballots`]: unique per thread, increasing):
//!
//! ```text
//! phase 1:  R[me] := (b, acc, val)               -- promise b, keep what I accepted
//!           fence(SeqCst)
//!           read every R[j]: if some promised > b: overruled
//!           v := the value of the highest accepted ballot read (mine included),
//!                or me if nothing was accepted anywhere
//! phase 2:  R[me] := (b, b, v)                   -- accept v at ballot b
//!           fence(SeqCst)
//!           read every R[j]: if some promised > b: overruled
//!           decide v
//! overruled by b': back off, retry with my smallest ballot above b'
//! ```
//!
//! **Why it is safe.** Take the decision of `p` at ballot `b` and any attempt by
//! `q` at a higher ballot `b'`. `p` wrote `R[p] = (b, b, v)` then read `R[q]`; `q`
//! wrote `R[q].promised = b'` then read `R[p]`. With a full fence between each
//! write and the following reads, the two cannot both miss the other's write (the
//! store-buffering pattern: SeqCst fences forbid it). `p` decided, so it did not
//! see `b'`; hence `q` sees `p`'s accepted ballot `b` (p never writes again) and
//! adopts `v` or the value of an even higher accepted ballot, which by induction
//! on ballots is `v` too. So every later ballot that reaches phase 2 carries `v`.
//!
//! **Why the fence.** Store then load *of different locations* is the one pattern
//! acquire/release does not order: without the fence both threads may read the
//! other's old register (each store still in its core's store buffer) and both
//! decide. loom treats SeqCst loads and stores as acquire/release but models
//! `fence(SeqCst)`, so the fence is what the model checks; removing it makes the
//! loom suite fail.
//!
//! **Linearization point**: the phase-2 write of the first attempt to decide.
//!
//! **Progress**: obstruction-free. Read/write registers have consensus number 1
//! (Herlihy): no wait-free protocol over them solves 2-thread consensus, so two
//! attempts can overrule each other forever. Running alone on a fresh instance, a thread decides in
//! one attempt: `2n` steps (two writes, `2(n − 1)` reads; fences not counted);
//! where earlier attempts left higher promises behind, in two (every register
//! is read, so the retry goes above the highest promise seen).
//! Randomized backoff makes livelock vanishingly unlikely on real cores.
//!
//! **What loom cannot check here.** loom 0.7 models `fence(SeqCst)` more
//! strongly than C11 does: every SC fence joins a global clock, so each fence
//! synchronises with every earlier one. C11 gives SC fences no happens-before
//! between threads (only the store-buffering guarantee used above). So the
//! Release stores and Acquire loads are *not* what loom verifies: with both
//! weakened to Relaxed, loom still passes, although a value could then reach a
//! decider without its proposer's announce (the announce layer would report
//! `InvalidWinner`, not race). They are argued below, not model-checked.
//!
//! **One caller per id.** Each register has a single writer only if each id
//! is used by one caller at a time, as [`IdConsensus`] requires; `Proposals`
//! enforces it (two concurrent callers with one id would let one erase the
//! other's accepted value).
//!
//! **Other orderings.** Stores `Release`, loads `Acquire`: a value id travels
//! from its proposer's phase-2 write through any number of adopt-and-rewrite
//! hops, each a Release store read by an Acquire load, so the proposer's announce
//! happens-before every thread that decides it.
//!
//! **Packing**: each register is an [`AcceptorState`] word (ballots up to
//! 2^24 − 1, then [`ConsensusError::Overflow`]).

use crate::consensus::acceptor_state::{self, AcceptorState};
use crate::consensus::protocol::{
    Knob, LoomModel, Params, Protocol, ProtocolInfo, ShuttleModel, Threads,
};
use crate::consensus::rounds::{retry, Ballots, RoundLimit};
use crate::consensus::{check_id, ConsensusError, IdConsensus, Progress};
use crate::objects::register::Register;
use crate::objects::{ConsensusNumber, Object};
use crate::sync::{fence, AtomicU64, CachePadded, Ordering};
use crate::trace_step;

/// The largest ballot a register holds.
pub const MAX_BALLOT: u64 = acceptor_state::MAX_BALLOT;
/// The most threads an instance serves.
pub const MAX_THREADS: usize = acceptor_state::MAX_VALUES;

/// One thread's register: a Disk Paxos block, the same triple as an acceptor's.
type Reg = AcceptorState;

/// Obstruction-free consensus from one single-writer register per thread.
#[derive(Debug)]
pub struct RegistersConsensus {
    regs: Box<[CachePadded<AtomicU64>]>,
    limit: RoundLimit,
}

impl RegistersConsensus {
    /// An undecided instance for ids `0..threads` that retries until it decides.
    ///
    /// # Errors
    /// [`ConsensusError::InvalidConfig`] for more than [`MAX_THREADS`] threads.
    pub fn new(threads: usize) -> Result<Self, ConsensusError> {
        Self::with_limit(threads, RoundLimit::UNLIMITED)
    }

    /// An instance whose threads give up after `limit` overruled attempts.
    ///
    /// # Errors
    /// [`ConsensusError::InvalidConfig`] for more than [`MAX_THREADS`] threads.
    pub fn with_limit(threads: usize, limit: RoundLimit) -> Result<Self, ConsensusError> {
        if threads > MAX_THREADS {
            return Err(ConsensusError::InvalidConfig(format!(
                "registers packs thread ids into 16 bits: at most {MAX_THREADS} threads"
            )));
        }
        let regs = (0..threads).map(|_| CachePadded::new(AtomicU64::new(0))).collect();
        Ok(RegistersConsensus { regs, limit })
    }

    /// Writes my register, fences, reads all others. Returns the register with
    /// the highest accepted ballot among them and mine, or `Err(promise)` with the
    /// highest promise above `b` (all registers are read, so one retry gets past
    /// every promise seen).
    fn write_then_read(&self, me: usize, mine: Reg, b: u64) -> Result<Reg, u64> {
        // Release: pairs with the Acquire loads of other threads reading R[me],
        // so a value id adopted from it carries its proposer's announce along.
        self.regs[me].store(mine.pack(), Ordering::Release);
        trace_step!(me, Store { loc: Loc::at("R", me), value: mine.val() });
        // SeqCst fence: pairs with the same fence in every other attempt. Between
        // a store and loads of *other* locations, only a SeqCst fence guarantees
        // that of two such attempts at least one sees the other's store.
        fence(Ordering::SeqCst);
        let mut best = mine;
        let mut higher = None;
        for (j, reg) in self.regs.iter().enumerate().filter(|(j, _)| *j != me) {
            // Acquire: pairs with the Release store of R[j] by thread j.
            let r = Reg::unpack(reg.load(Ordering::Acquire));
            trace_step!(me, Load { loc: Loc::at("R", j), value: r.val() });
            if r.promised > b {
                higher = higher.max(Some(r.promised));
            }
            if r.accepted > best.accepted {
                best = r;
            }
        }
        match higher {
            Some(promise) => Err(promise),
            None => Ok(best),
        }
    }

    /// One attempt at ballot `b`: `Ok(winner)` or `Err(promise)` that overruled it.
    fn attempt(&self, me: usize, b: u64, mine: &mut Reg) -> Result<usize, u64> {
        mine.promised = b;
        let best = self.write_then_read(me, *mine, b)?;
        let v = best.value.unwrap_or(me);
        *mine = Reg { promised: b, accepted: b, value: Some(v) };
        self.write_then_read(me, *mine, b)?;
        Ok(v)
    }
}

impl IdConsensus for RegistersConsensus {
    fn threads(&self) -> usize {
        self.regs.len()
    }

    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        check_id(me, self.regs.len())?;
        let ballots = Ballots::new(me, self.regs.len(), MAX_BALLOT);
        // Only the caller with id `me` writes R[me]. Acquire: pairs with the
        // Release store of R[me] by an earlier call with this id, which may have
        // run on another OS thread.
        let mut mine = Reg::unpack(self.regs[me].load(Ordering::Acquire));
        let seen = mine.promised;
        retry(me, ballots, self.limit, seen, |b| self.attempt(me, b, &mut mine))
    }

    fn progress(&self) -> Progress {
        Progress::ObstructionFree
    }
}

impl Protocol for RegistersConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "registers",
        summary:
            "single-writer registers only (Disk Paxos on one disk): write mine, fence, read all",
        primitive: "read/write registers",
        object: &<Register as Object>::INFO,
        consensus_number: ConsensusNumber::Finite(1),
        threads: Threads::AtMost(MAX_THREADS),
        knobs: &[Knob::Rounds],
        // 2 attempts per thread. 3 threads: exhaustive is out of reach (each
        // attempt is 2(n-1) reads and 2 writes, all conflicting). CI: ≤ 4
        // preemptions, 170,622 executions in 24 to 31 s on 2 shared vCPUs (187,179 in
        // 10 to 18 s while the harness joined its threads); the long suite: ≤ 5,
        // 3,071,654 in 250 s (3.5 million in 200 s with joins).
        loom: &[
            LoomModel::exhaustive(2).rounds(2),
            LoomModel::bounded(3, 4).rounds(2).long_bounded(5),
        ],
        shuttle: &[
            ShuttleModel::pct(8, 3, 10_000).rounds(3),
            ShuttleModel::random(16, 5_000).rounds(3),
        ],
        stall: None,
        broken: None,
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        Self::with_limit(p.threads, RoundLimit(p.rounds))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn alone_it_decides_itself_and_later_threads_adopt() {
        let c = RegistersConsensus::with_limit(3, RoundLimit(Some(2))).unwrap();
        assert_eq!(c.decide_id(2), Ok(2));
        // t0's first ballot (1) is below t2's promise (3): overruled once, then
        // its ballot 4 adopts t2's accepted value.
        assert_eq!(c.decide_id(0), Ok(2));
        assert_eq!(Reg::unpack(c.regs[0].load(Ordering::Relaxed)).promised, 4);
        assert_eq!(c.decide_id(1), Ok(2));
        // With a single attempt allowed, a late low ballot gives up.
        let c = RegistersConsensus::with_limit(2, RoundLimit(Some(1))).unwrap();
        assert_eq!(c.decide_id(1), Ok(1));
        assert_eq!(c.decide_id(0), Err(ConsensusError::GaveUp { attempts: 1 }));
    }

    #[test]
    fn a_higher_promise_overrules_and_the_retry_goes_above_it() {
        let c = RegistersConsensus::new(2).unwrap();
        c.regs[1].store(Reg { promised: 8, accepted: 0, value: None }.pack(), Ordering::Relaxed);
        let mut mine = Reg::default();
        assert_eq!(c.attempt(0, 1, &mut mine), Err(8));
        assert_eq!(c.decide_id(0), Ok(0));
        assert_eq!(Reg::unpack(c.regs[0].load(Ordering::Relaxed)).promised, 9);
    }

    #[test]
    fn ballot_overflow_is_an_error() {
        let c = RegistersConsensus::new(2).unwrap();
        c.regs[1].store(Reg { promised: MAX_BALLOT, ..Reg::default() }.pack(), Ordering::Relaxed);
        assert!(matches!(c.decide_id(0), Err(ConsensusError::Overflow { .. })));
    }
}
