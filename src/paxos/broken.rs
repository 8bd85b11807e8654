//! BROKEN: three Paxos variants, each one rule away from Paxos.
//!
//! * [`SplitAcceptor`]: the acceptor's promise check and its accept write are two
//!   atomic steps, a load then a store. Between them another proposer's prepare
//!   can raise the promise, and the store then writes an old ballot's value over
//!   it (and lowers the promise): a value can be accepted by an acceptor that had
//!   promised not to.
//! * [`OwnValue`]: the proposer proposes its own value instead of adopting the
//!   value of the highest accepted ballot from phase 1. A later ballot then
//!   overwrites a value that was already chosen.
//! * [`Minority`]: the proposer decides as soon as *one* acceptor accepted. Two
//!   minorities need not intersect, so two proposers decide different values.
//!
//! The loom suite finds each one's disagreement at 2 proposers and 3 acceptors
//! and prints the trace; `docs/src/paxos.md` walks through them.

use super::protocol;
use crate::consensus::acceptor_state::AcceptorState;
use crate::consensus::acceptor_state::MAX_VALUES;
use crate::consensus::protocol::{
    Broken, LoomModel, Params, Protocol, ProtocolInfo, Shows, ShuttleModel, Threads,
};
use crate::consensus::ConsensusError;
use crate::objects::rmw::CompareAndSwap;
use crate::objects::{ConsensusNumber, Object};
use crate::paxos::acceptor::{Acceptor, Caller, Outcome, Reply};
use crate::paxos::{PackedAcceptor, PaxosConsensus, Quorums, Rules};
use crate::sync::{AtomicU64, Ordering};
use crate::trace_step;

/// An acceptor whose check and write are separate steps.
#[derive(Debug)]
pub struct SplitAcceptor {
    word: AtomicU64,
}

impl SplitAcceptor {
    fn load(&self, who: Caller) -> AcceptorState {
        // Acquire: pairs with the Release stores below, as in a correct register.
        let s = AcceptorState::unpack(self.word.load(Ordering::Acquire));
        trace_step!(who.proposer, Load { loc: Loc::at("acceptor", who.acceptor), value: s.val() });
        s
    }

    fn store(&self, who: Caller, s: AcceptorState) {
        // Release: publishes the accepted value id, as in a correct register.
        self.word.store(s.pack(), Ordering::Release);
        trace_step!(who.proposer, Store { loc: Loc::at("acceptor", who.acceptor), value: s.val() });
    }
}

impl Acceptor for SplitAcceptor {
    const KIND: &'static str = "split load/store (BROKEN)";
    const BLOCKING: bool = false;

    fn new() -> Self {
        SplitAcceptor { word: AtomicU64::new(AcceptorState::default().pack()) }
    }

    fn prepare(&self, who: Caller, b: u64) -> Outcome {
        let s = self.load(who);
        if b <= s.promised {
            return Outcome { reply: Reply::Nack { promised: s.promised }, rmws: 0 };
        }
        self.store(who, AcceptorState { promised: b, ..s });
        Outcome { reply: Reply::Promise { accepted: s.accepted, value: s.value }, rmws: 0 }
    }

    fn accept(&self, who: Caller, b: u64, v: usize) -> Outcome {
        let s = self.load(who);
        if b < s.promised {
            return Outcome { reply: Reply::Nack { promised: s.promised }, rmws: 0 };
        }
        // The bug: the promise may have been raised since the load.
        self.store(who, AcceptorState { promised: b, accepted: b, value: Some(v) });
        Outcome { reply: Reply::Accepted, rmws: 0 }
    }

    fn state(&self) -> AcceptorState {
        AcceptorState::unpack(self.word.load(Ordering::Acquire))
    }
}

/// Proposes its own value whatever phase 1 found.
#[derive(Debug)]
pub struct OwnValue;

impl Rules for OwnValue {
    fn choose(me: usize, _highest: Option<(u64, usize)>) -> usize {
        me
    }

    fn phase2_quorum(q: &Quorums) -> usize {
        q.phase2
    }
}

/// Decides on one accept.
#[derive(Debug)]
pub struct Minority;

impl Rules for Minority {
    fn choose(me: usize, highest: Option<(u64, usize)>) -> usize {
        highest.map_or(me, |(_, v)| v)
    }

    fn phase2_quorum(_q: &Quorums) -> usize {
        1
    }
}

/// Paxos over split acceptors.
pub type SplitAcceptorPaxos = PaxosConsensus<SplitAcceptor>;
/// Paxos whose proposers ignore what phase 1 found.
pub type OwnValuePaxos = PaxosConsensus<PackedAcceptor, OwnValue>;
/// Paxos whose proposers decide on a minority.
pub type MinorityPaxos = PaxosConsensus<PackedAcceptor, Minority>;

/// Where the broken variants must be caught: 2 proposers × 3 acceptors.
const BROKEN_MODELS: &[LoomModel] = &[LoomModel::exhaustive(2).acceptors(3, 0).rounds(2)];
/// PCT must find each broken variant's violation where loom does (2
/// proposers × 3 acceptors) and with 4 proposers.
const BROKEN_SHUTTLE: &[ShuttleModel] = &[
    ShuttleModel::pct(2, 2, 1_000).acceptors(3, 0).rounds(2),
    ShuttleModel::pct(4, 3, 1_000).acceptors(3, 0).rounds(2),
];

/// A broken Paxos variant: its name, summary, object and flaw.
macro_rules! broken_paxos {
    ($ty:ty, $name:literal, $summary:literal, $primitive:literal, $object:expr,
     $number:expr, $flaw:literal, $shows:expr) => {
        impl Protocol for $ty {
            const INFO: ProtocolInfo = ProtocolInfo {
                name: $name,
                summary: $summary,
                primitive: $primitive,
                object: $object,
                consensus_number: $number,
                threads: Threads::AtMost(MAX_VALUES),
                knobs: protocol::KNOBS,
                loom: BROKEN_MODELS,
                shuttle: BROKEN_SHUTTLE,
                stall: None,
                broken: Some(Broken { flaw: $flaw, shows: $shows }),
            };
            fn validate(p: &Params) -> Result<(), ConsensusError> {
                protocol::validate(p)
            }
            fn build(p: &Params) -> Result<Self, ConsensusError> {
                protocol::build(p)
            }
        }
    };
}

broken_paxos!(
    SplitAcceptorPaxos,
    "paxos-split-acceptor",
    "Paxos whose acceptor checks the promise and writes the accept in two steps (BROKEN)",
    "read/write acceptor registers",
    &<crate::objects::register::Register as Object>::INFO,
    ConsensusNumber::Finite(1),
    "a prepare lands between an acceptor's check and its write; the write ignores the new promise",
    Shows::Interleaving
);
broken_paxos!(
    OwnValuePaxos,
    "paxos-own-value",
    "Paxos whose proposer proposes its own value instead of adopting (BROKEN)",
    "compare&swap acceptor registers",
    &<CompareAndSwap as Object>::INFO,
    ConsensusNumber::Infinite,
    "a later ballot overwrites a value a majority already accepted",
    Shows::Sequential
);
broken_paxos!(
    MinorityPaxos,
    "paxos-minority",
    "Paxos whose proposer decides after one accept (BROKEN)",
    "compare&swap acceptor registers",
    &<CompareAndSwap as Object>::INFO,
    ConsensusNumber::Infinite,
    "two minorities need not intersect: each proposer decides its own value",
    Shows::Sequential
);
