//! BROKEN: three Fast Paxos variants, each one rule away from Fast Paxos.
//!
//! * [`MajorityFast`]: the fast quorum is a plain majority (2 of 3). Two fast
//!   quorums and a phase-1 quorum then need not share an acceptor
//!   (`q_1 + 2·q_f = 6`, not above `2·n = 6`): a value chosen at the fast
//!   ballot by 2 of 3 can be outvoted in recovery, where both values reach
//!   the threshold `q_1 + q_f − n = 1`, and the other one is picked.
//! * [`HighestBallot`]: recovery takes the value of the highest accepted
//!   ballot, as classic Paxos does (the last promise reporting it). At the
//!   fast ballot several values share the highest ballot, and the last one
//!   reported need not be the chosen one: with 4 acceptors, proposer 0's value
//!   chosen at acceptors 0, 1, 2 and proposer 1's at acceptor 3, proposer 1's
//!   recovery reads 1, 2, 3 and re-proposes its own value.
//! * [`SmallQuorums`]: every quorum half the acceptors (2 of 4), violating
//!   both intersection conditions: the two fast quorums {0, 1} and {2, 3} are
//!   disjoint, and each proposer's value is chosen by one of them.
//!
//! The loom suite finds each one's disagreement and prints the trace; the
//! correct sizes are refused ([`Quorums::new`]) if asked for directly.

use super::proposer::{lamport_pick, FastRules, Promises};
use super::protocol::{self, KNOBS};
use super::FastPaxosConsensus;
use crate::consensus::acceptor_state::MAX_VALUES;
use crate::consensus::protocol::{
    Broken, LoomModel, Params, Protocol, ProtocolInfo, Shows, ShuttleModel, Threads,
};
use crate::consensus::ConsensusError;
use crate::objects::rmw::CompareAndSwap;
use crate::objects::{ConsensusNumber, Object};
use crate::paxos::{majority, PackedAcceptor, Quorums};

/// Fast quorums of a majority.
#[derive(Debug)]
pub struct MajorityFast;

impl FastRules for MajorityFast {
    const COORDINATED: bool = false;
    fn quorums(q: Quorums) -> Quorums {
        Quorums::unchecked(q.n, q.phase1, q.phase2, majority(q.n))
    }
    fn pick(me: usize, promises: &Promises, q: &Quorums) -> usize {
        lamport_pick(me, promises, q)
    }
}

/// Recovery by the highest accepted ballot (ties: the last promise).
#[derive(Debug)]
pub struct HighestBallot;

impl FastRules for HighestBallot {
    const COORDINATED: bool = false;
    fn pick(me: usize, promises: &Promises, _q: &Quorums) -> usize {
        let mut highest: Option<(u64, usize)> = None;
        for &(b, v) in promises {
            if let Some(v) = v {
                // The bug: at the fast ballot, "highest" is not one value.
                if highest.is_none_or(|(hb, _)| b >= hb) {
                    highest = Some((b, v));
                }
            }
        }
        highest.map_or(me, |(_, v)| v)
    }
}

/// Every quorum half the acceptors (rounded up).
#[derive(Debug)]
pub struct SmallQuorums;

impl FastRules for SmallQuorums {
    const COORDINATED: bool = false;
    fn quorums(q: Quorums) -> Quorums {
        let half = q.n.div_ceil(2);
        Quorums::unchecked(q.n, half, half, half)
    }
    fn pick(me: usize, promises: &Promises, q: &Quorums) -> usize {
        lamport_pick(me, promises, q)
    }
}

/// Fast Paxos with majority fast quorums.
pub type MajorityFastPaxos = FastPaxosConsensus<PackedAcceptor, MajorityFast>;
/// Fast Paxos whose recovery takes the highest ballot's value.
pub type HighestBallotFastPaxos = FastPaxosConsensus<PackedAcceptor, HighestBallot>;
/// Fast Paxos with quorums of half the acceptors.
pub type SmallQuorumsFastPaxos = FastPaxosConsensus<PackedAcceptor, SmallQuorums>;

/// 2 proposers × 3 acceptors: where a majority fast quorum is 2.
const THREE: &[LoomModel] = &[LoomModel::exhaustive(2).acceptors(3, 0).rounds(2)];
/// 2 proposers × 4 acceptors: fast quorum 3, recovery threshold 2 (the
/// highest-ballot rule), or quorums of 2 (small quorums).
const FOUR: &[LoomModel] = &[LoomModel::exhaustive(2).acceptors(4, 0).rounds(2)];
const SHUTTLE_THREE: &[ShuttleModel] = &[
    ShuttleModel::pct(2, 2, 1_000).acceptors(3, 0).rounds(2),
    ShuttleModel::pct(4, 3, 1_000).acceptors(3, 0).rounds(2),
];
const SHUTTLE_FOUR: &[ShuttleModel] = &[
    ShuttleModel::pct(2, 2, 1_000).acceptors(4, 0).rounds(2),
    ShuttleModel::pct(4, 3, 1_000).acceptors(4, 0).rounds(2),
];

/// A broken Fast Paxos variant.
macro_rules! broken_fast {
    ($rules:ty, $name:literal, $summary:literal, $flaw:literal, $models:expr, $shuttle:expr) => {
        impl Protocol for FastPaxosConsensus<PackedAcceptor, $rules> {
            const INFO: ProtocolInfo = ProtocolInfo {
                name: $name,
                summary: $summary,
                primitive: "compare&swap acceptor registers",
                object: &<CompareAndSwap as Object>::INFO,
                consensus_number: ConsensusNumber::Infinite,
                threads: Threads::AtMost(MAX_VALUES),
                knobs: KNOBS,
                loom: $models,
                shuttle: $shuttle,
                stall: None,
                broken: Some(Broken { flaw: $flaw, shows: Shows::Sequential }),
            };
            fn validate(p: &Params) -> Result<(), ConsensusError> {
                protocol::validate::<$rules>(p)
            }
            fn build(p: &Params) -> Result<Self, ConsensusError> {
                protocol::build(p)
            }
        }
    };
}

broken_fast!(
    MajorityFast,
    "fast-paxos-majority-fast",
    "Fast Paxos whose fast quorum is a plain majority (BROKEN)",
    "a value chosen by 2 of 3 at the fast ballot is outvoted in recovery: two values chosen",
    THREE,
    SHUTTLE_THREE
);
broken_fast!(
    HighestBallot,
    "fast-paxos-highest-ballot",
    "Fast Paxos whose recovery takes the highest ballot's value instead of Lamport's rule (BROKEN)",
    "the fast ballot carries several values; the last one reported is not the chosen one",
    FOUR,
    SHUTTLE_FOUR
);
broken_fast!(
    SmallQuorums,
    "fast-paxos-small-quorums",
    "Fast Paxos with quorums of half the acceptors, violating both intersection conditions (BROKEN)",
    "two disjoint fast quorums choose a value each",
    FOUR,
    SHUTTLE_FOUR
);
