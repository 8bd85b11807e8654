//! The entries of the registry: one `impl Protocol` per protocol, and the list.

use super::{Broken, LoomModel, Params, Protocol, ProtocolInfo, Registered, Shows};
use crate::broken::assignment_shortcut::AssignmentShortcut;
use crate::broken::naive_versioned::NaiveVersionedConsensus;
use crate::broken::paxos::{MinorityPaxos, OwnValuePaxos, SplitAcceptorPaxos};
use crate::broken::read_write::ReadWriteConsensus;
use crate::broken::relaxed_cas::RelaxedCasConsensus;
use crate::broken::test_and_set_3::TestAndSet3;
use crate::consensus::assignment::{AssignmentConsensus, AssignmentGroups};
use crate::consensus::cas::CasConsensus;
use crate::consensus::first_mover::{
    FetchAddConsensus, QueueConsensus, SwapConsensus, TestAndSetConsensus,
};
use crate::consensus::lock::{ParkingLotConsensus, StdMutexConsensus};
use crate::consensus::registers::{self, RegistersConsensus};
use crate::consensus::rounds::RoundLimit;
use crate::consensus::versioned::{self, VersionedConsensus};
use crate::consensus::{ConsensusError, ConsensusNumber};
use crate::paxos::{state, FaultPlan, MutexPaxos, Paxos, PaxosConfig};

/// Every protocol of the lab, correct ones first.
pub static PROTOCOLS: &[&dyn super::Entry] = &[
    &Registered::<StdMutexConsensus>::ENTRY,
    &Registered::<ParkingLotConsensus>::ENTRY,
    &Registered::<CasConsensus>::ENTRY,
    &Registered::<TestAndSetConsensus>::ENTRY,
    &Registered::<SwapConsensus>::ENTRY,
    &Registered::<FetchAddConsensus>::ENTRY,
    &Registered::<QueueConsensus>::ENTRY,
    &Registered::<AssignmentConsensus<2>>::ENTRY,
    &Registered::<AssignmentConsensus<3>>::ENTRY,
    &Registered::<AssignmentGroups<3>>::ENTRY,
    &Registered::<VersionedConsensus>::ENTRY,
    &Registered::<RegistersConsensus>::ENTRY,
    &Registered::<Paxos>::ENTRY,
    &Registered::<MutexPaxos>::ENTRY,
    &Registered::<ReadWriteConsensus>::ENTRY,
    &Registered::<NaiveVersionedConsensus>::ENTRY,
    &Registered::<RelaxedCasConsensus>::ENTRY,
    &Registered::<TestAndSet3>::ENTRY,
    &Registered::<AssignmentShortcut<3>>::ENTRY,
    &Registered::<SplitAcceptorPaxos>::ENTRY,
    &Registered::<OwnValuePaxos>::ENTRY,
    &Registered::<MinorityPaxos>::ENTRY,
];

/// Paxos from registry parameters: 3 acceptors unless told, the first
/// `crashed` of them crashed from the start, the fast path on.
fn paxos_config(p: &Params) -> PaxosConfig {
    PaxosConfig {
        proposers: p.threads,
        acceptors: p.acceptors.unwrap_or(3),
        faults: FaultPlan::first_acceptors_crashed(p.crashed),
        rounds: p.rounds,
        fast_path: true,
    }
}

/// 2 proposers × 3 acceptors, exhaustive: 2 ballots each with no crash and
/// with acceptor 0 crashed from the start, and 3 ballots each with no crash
/// (packed acceptors: 608, 700 and 5,136 executions, all under 1 s on 2 vCPUs).
/// 3 proposers × 3 acceptors, 2 ballots each, bounded to 2 preemptions: 53
/// thousand executions in 4 to 9 s; ≤ 3 preemptions took 1.9 million in 122 s.
const PAXOS_MODELS: &[LoomModel] = &[
    LoomModel::exhaustive(2).acceptors(3, 0).rounds(2),
    LoomModel::exhaustive(2).acceptors(3, 1).rounds(2),
    LoomModel::exhaustive(2).acceptors(3, 0).rounds(3),
    LoomModel::bounded(3, 2).acceptors(3, 0).rounds(2),
];

/// Where the broken variants must be caught: 2 proposers × 3 acceptors.
const BROKEN_PAXOS_MODELS: &[LoomModel] = &[LoomModel::exhaustive(2).acceptors(3, 0).rounds(2)];

impl Protocol for Paxos {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "paxos",
        summary:
            "Paxos over lock-free acceptor registers (packed word, CAS); fast path for ballot 1",
        primitive: "compare&swap acceptor registers",
        object: "compare&swap",
        consensus_number: ConsensusNumber::Infinite,
        max_threads: Some(state::MAX_VALUES),
        loom: PAXOS_MODELS,
        broken: None,
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        Self::new(&paxos_config(p))
    }
}

impl Protocol for MutexPaxos {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "paxos-mutex",
        summary: "Paxos over acceptor registers behind a mutex each",
        primitive: "mutex acceptor registers",
        object: "mutex",
        consensus_number: ConsensusNumber::Infinite,
        max_threads: Some(state::MAX_VALUES),
        loom: PAXOS_MODELS,
        broken: None,
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        Self::new(&paxos_config(p))
    }
}

impl Protocol for SplitAcceptorPaxos {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "paxos-split-acceptor",
        summary: "Paxos whose acceptor checks the promise and writes the accept in two steps (BROKEN)",
        primitive: "read/write acceptor registers",
        object: "register",
        consensus_number: ConsensusNumber::Finite(1),
        max_threads: Some(state::MAX_VALUES),
        loom: BROKEN_PAXOS_MODELS,
        broken: Some(Broken {
            flaw: "a prepare lands between an acceptor's check and its write; the write ignores the new promise",
            shows: Shows::Interleaving,
        }),
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        Self::new(&paxos_config(p))
    }
}

impl Protocol for OwnValuePaxos {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "paxos-own-value",
        summary: "Paxos whose proposer proposes its own value instead of adopting (BROKEN)",
        primitive: "compare&swap acceptor registers",
        object: "compare&swap",
        consensus_number: ConsensusNumber::Infinite,
        max_threads: Some(state::MAX_VALUES),
        loom: BROKEN_PAXOS_MODELS,
        broken: Some(Broken {
            flaw: "a later ballot overwrites a value a majority already accepted",
            shows: Shows::Sequential,
        }),
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        Self::new(&paxos_config(p))
    }
}

impl Protocol for MinorityPaxos {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "paxos-minority",
        summary: "Paxos whose proposer decides after one accept (BROKEN)",
        primitive: "compare&swap acceptor registers",
        object: "compare&swap",
        consensus_number: ConsensusNumber::Infinite,
        max_threads: Some(state::MAX_VALUES),
        loom: BROKEN_PAXOS_MODELS,
        broken: Some(Broken {
            flaw: "two minorities need not intersect: each proposer decides its own value",
            shows: Shows::Sequential,
        }),
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        Self::new(&paxos_config(p))
    }
}

impl Protocol for StdMutexConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "lock-std",
        summary: "std::sync::Mutex around a register: check, then set",
        primitive: "mutex (std)",
        object: "mutex",
        consensus_number: ConsensusNumber::Infinite,
        max_threads: None,
        loom: &[LoomModel::exhaustive(2), LoomModel::exhaustive(3)],
        broken: None,
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        p.no_acceptors(Self::INFO.name)?;
        Ok(Self::new(p.threads))
    }
}

impl Protocol for ParkingLotConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "lock-parking-lot",
        summary: "parking_lot::Mutex around a register: check, then set",
        primitive: "mutex (parking_lot)",
        object: "mutex",
        consensus_number: ConsensusNumber::Infinite,
        max_threads: None,
        loom: &[LoomModel::exhaustive(2), LoomModel::exhaustive(3)],
        broken: None,
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        p.no_acceptors(Self::INFO.name)?;
        Ok(Self::new(p.threads))
    }
}

impl Protocol for CasConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "cas",
        summary: "one compare&swap(⊥ → me) on a winner register",
        primitive: "compare&swap",
        object: "compare&swap",
        consensus_number: ConsensusNumber::Infinite,
        max_threads: None,
        loom: &[LoomModel::exhaustive(2), LoomModel::exhaustive(3), LoomModel::exhaustive(4)],
        broken: None,
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        p.no_acceptors(Self::INFO.name)?;
        Ok(Self::new(p.threads))
    }
}

impl Protocol for VersionedConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "versioned",
        summary: "one packed (version, value) word: refuse-if-newer-else-raise, then write-if-unset-at-my-version",
        primitive: "compare&swap on a (version, value) word",
        object: "compare&swap",
        consensus_number: ConsensusNumber::Infinite,
        max_threads: Some(versioned::MAX_THREADS),
        // 2 attempts per thread: enough for each thread to be overruled once and
        // retry. 3 threads: exhaustive had not finished after 14 minutes; the
        // bound grows the executions about 3× a step (≤5: 67 thousand in 3.4 s,
        // ≤6: 242 thousand in 12 s, ≤7: 749 thousand in 38 s on 2 vCPUs).
        loom: &[LoomModel::exhaustive(2).rounds(2), LoomModel::bounded(3, 7).rounds(2)],
        broken: None,
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        p.no_acceptors(Self::INFO.name)?;
        Self::with_limit(p.threads, RoundLimit(p.rounds))
    }
}

impl Protocol for RegistersConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "registers",
        summary:
            "single-writer registers only (Disk Paxos on one disk): write mine, fence, read all",
        primitive: "read/write registers",
        object: "register",
        consensus_number: ConsensusNumber::Finite(1),
        max_threads: Some(registers::MAX_THREADS),
        // 2 attempts per thread. 3 threads: exhaustive is out of reach (each
        // attempt is 2(n-1) reads and 2 writes, all conflicting); ≤4 preemptions:
        // 187 thousand executions in 10 s, ≤5: 3.5 million in 200 s on 2 vCPUs.
        loom: &[LoomModel::exhaustive(2).rounds(2), LoomModel::bounded(3, 4).rounds(2)],
        broken: None,
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        p.no_acceptors(Self::INFO.name)?;
        Self::with_limit(p.threads, RoundLimit(p.rounds))
    }
}

impl Protocol for NaiveVersionedConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "naive-versioned",
        summary: "the notes' versioned register with V and X as separate registers (BROKEN)",
        primitive: "read/write registers",
        object: "register",
        consensus_number: ConsensusNumber::Finite(1),
        max_threads: None,
        loom: &[LoomModel::exhaustive(2).rounds(2)],
        broken: Some(Broken {
            flaw: "both attempts pass the version check and read X = ⊥, then both write X",
            shows: Shows::Interleaving,
        }),
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        p.no_acceptors(Self::INFO.name)?;
        Ok(Self::new(p.threads, RoundLimit(p.rounds)))
    }
}

impl Protocol for ReadWriteConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "read-write",
        summary: "read the winner register; if ⊥ write my id (BROKEN)",
        primitive: "read/write register",
        object: "register",
        consensus_number: ConsensusNumber::Finite(1),
        max_threads: None,
        loom: &[LoomModel::exhaustive(2)],
        broken: Some(Broken {
            flaw: "two threads both read ⊥, then both write: each decides itself",
            shows: Shows::Interleaving,
        }),
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        p.no_acceptors(Self::INFO.name)?;
        Ok(Self::new(p.threads))
    }
}

impl Protocol for RelaxedCasConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "relaxed-cas",
        summary: "compare&swap(⊥ → me) with Relaxed orderings (BROKEN)",
        primitive: "compare&swap",
        object: "compare&swap",
        consensus_number: ConsensusNumber::Infinite,
        max_threads: None,
        loom: &[LoomModel::exhaustive(2)],
        broken: Some(Broken {
            flaw: "the loser learns who won but may not see what the winner announced",
            shows: Shows::StaleRead,
        }),
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        p.no_acceptors(Self::INFO.name)?;
        Ok(Self::new(p.threads))
    }
}

/// The 2-thread protocols from consensus-number-2 objects: exhaustive at 2.
const TWO: &[LoomModel] = &[LoomModel::exhaustive(2)];

macro_rules! first_mover {
    ($ty:ty, $name:literal, $primitive:literal, $object:literal, $summary:literal) => {
        impl Protocol for $ty {
            const INFO: ProtocolInfo = ProtocolInfo {
                name: $name,
                summary: $summary,
                primitive: $primitive,
                object: $object,
                consensus_number: ConsensusNumber::Finite(2),
                max_threads: Some(2),
                loom: TWO,
                broken: None,
            };
            fn build(p: &Params) -> Result<Self, ConsensusError> {
                p.no_acceptors(Self::INFO.name)?;
                Self::new(p.threads)
            }
        }
    };
}

first_mover!(
    TestAndSetConsensus,
    "test-and-set",
    "test&set",
    "test&set",
    "test&set decides who was first; the loser decides the other"
);
first_mover!(
    SwapConsensus,
    "swap",
    "swap",
    "swap",
    "swap(1) on a 0: whoever gets 0 back was first"
);
first_mover!(
    FetchAddConsensus,
    "fetch-and-add",
    "fetch&add",
    "fetch&add",
    "fetch&add(1) on a 0: whoever gets 0 back was first"
);
first_mover!(
    QueueConsensus,
    "queue",
    "FIFO queue",
    "queue",
    "dequeue from [WIN, LOSE]: whoever gets WIN was first"
);

impl Protocol for AssignmentConsensus<2> {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "assignment-2",
        summary: "(2,3)-assignment: assign r_me and r_01, then read r_other and r_01",
        primitive: "2-register assignment",
        object: "m-register assignment",
        consensus_number: ConsensusNumber::Finite(2),
        max_threads: Some(2),
        loom: TWO,
        broken: None,
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        p.no_acceptors(Self::INFO.name)?;
        Self::new(p.threads)
    }
}

impl Protocol for AssignmentConsensus<3> {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "assignment-3",
        summary:
            "m = 3 threads from 3-register assignment: own + pair registers, first assigner wins",
        primitive: "3-register assignment",
        object: "m-register assignment",
        consensus_number: ConsensusNumber::Finite(4),
        max_threads: Some(3),
        // Exhaustive at 3 threads: 4.2 million executions in about 230 s on 2 vCPUs.
        loom: &[LoomModel::exhaustive(2), LoomModel::exhaustive(3)],
        broken: None,
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        p.no_acceptors(Self::INFO.name)?;
        Self::new(p.threads)
    }
}

impl Protocol for AssignmentGroups<3> {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "assignment-3-groups",
        summary: "2m − 2 = 4 threads from 3-register assignment: two groups, cross pair registers",
        primitive: "3-register assignment",
        object: "m-register assignment",
        consensus_number: ConsensusNumber::Finite(4),
        max_threads: Some(4),
        loom: ASSIGNMENT_GROUPS_MODELS,
        broken: None,
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        p.no_acceptors(Self::INFO.name)?;
        Self::new(p.threads)
    }
}

/// 2 threads exhaustive; 4 threads (the consensus number) bounded to 2
/// preemptions: 626 thousand executions in 44 s on 2 vCPUs. Exhaustive is far
/// out of reach (a prototype over a mutex-based object had not finished after
/// 3.7 million executions; bound 3 took it 1.6 million).
const ASSIGNMENT_GROUPS_MODELS: &[LoomModel] =
    &[LoomModel::exhaustive(2), LoomModel::bounded(4, 2)];

impl Protocol for TestAndSet3 {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "test-and-set-3",
        summary: "test&set for 3 threads: losers guess the lowest other arrived thread (BROKEN)",
        primitive: "test&set",
        object: "test&set",
        consensus_number: ConsensusNumber::Finite(2),
        max_threads: None,
        loom: &[LoomModel::exhaustive(3)],
        broken: Some(Broken {
            flaw: "a loser learns that it lost, not to whom: with 3 threads it guesses wrong",
            shows: Shows::Interleaving,
        }),
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        p.no_acceptors(Self::INFO.name)?;
        Ok(Self::new(p.threads))
    }
}

impl Protocol for AssignmentShortcut<3> {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "assignment-3-shortcut",
        summary: "2m − 2 threads with one shared register instead of pair registers (BROKEN)",
        primitive: "3-register assignment",
        object: "m-register assignment",
        consensus_number: ConsensusNumber::Finite(4),
        max_threads: Some(4),
        loom: &[LoomModel::bounded(4, 1)],
        broken: Some(Broken {
            flaw: "one shared register orders two assignments, not two groups of them",
            shows: Shows::Interleaving,
        }),
    };
    fn build(p: &Params) -> Result<Self, ConsensusError> {
        p.no_acceptors(Self::INFO.name)?;
        Self::new(p.threads)
    }
}
