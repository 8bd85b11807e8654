//! The list: one line per protocol, correct ones first. Everything else about
//! a protocol is in its own file, in its `impl Protocol`.

use super::{Entry, Visit};
use crate::consensus::assignment::{AssignmentConsensus, AssignmentGroups};
use crate::consensus::broken::assignment_shortcut::AssignmentShortcut;
use crate::consensus::broken::naive_versioned::NaiveVersionedConsensus;
use crate::consensus::broken::read_write::ReadWriteConsensus;
use crate::consensus::broken::relaxed_cas::RelaxedCasConsensus;
use crate::consensus::broken::test_and_set_3::TestAndSet3;
use crate::consensus::cas::CasConsensus;
use crate::consensus::first_mover::{
    FetchAddConsensus, QueueConsensus, SwapConsensus, TestAndSetConsensus,
};
use crate::consensus::lock::{ParkingLotConsensus, StdMutexConsensus};
use crate::consensus::protocol::Protocol;
use crate::consensus::registers::RegistersConsensus;
use crate::consensus::versioned::VersionedConsensus;
use crate::paxos::broken::{MinorityPaxos, OwnValuePaxos, SplitAcceptorPaxos};
use crate::paxos::fast::broken::{
    HighestBallotFastPaxos, MajorityFastPaxos, SmallQuorumsFastPaxos,
};
use crate::paxos::{CoordinatedFastPaxos, FastPaxos, MutexPaxos, Paxos};

/// Generates the list, a private id per entry, and the visit that maps an id
/// back to its type (a `match`: total, no lookup).
macro_rules! protocols {
    ($($id:ident: $ty:ty,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(super) enum Id { $($id,)* }

        /// Every protocol of the lab, correct ones first.
        pub static PROTOCOLS: &[Entry] =
            &[$(Entry { info: &<$ty as Protocol>::INFO, id: Id::$id },)*];

        pub(super) fn visit<V: Visit>(id: Id, v: V) -> V::Output {
            match id { $(Id::$id => v.visit::<$ty>(),)* }
        }
    };
}

protocols! {
    LockStd: StdMutexConsensus,
    LockParkingLot: ParkingLotConsensus,
    Cas: CasConsensus,
    TestAndSet: TestAndSetConsensus,
    Swap: SwapConsensus,
    FetchAdd: FetchAddConsensus,
    Queue: QueueConsensus,
    Assignment2: AssignmentConsensus<2>,
    Assignment3: AssignmentConsensus<3>,
    Assignment3Groups: AssignmentGroups<3>,
    Versioned: VersionedConsensus,
    Registers: RegistersConsensus,
    Paxos: Paxos,
    PaxosMutex: MutexPaxos,
    FastPaxos: FastPaxos,
    FastPaxosCoordinated: CoordinatedFastPaxos,
    ReadWrite: ReadWriteConsensus,
    NaiveVersioned: NaiveVersionedConsensus,
    RelaxedCas: RelaxedCasConsensus,
    TestAndSet3: TestAndSet3,
    Assignment3Shortcut: AssignmentShortcut<3>,
    PaxosSplitAcceptor: SplitAcceptorPaxos,
    PaxosOwnValue: OwnValuePaxos,
    PaxosMinority: MinorityPaxos,
    FastPaxosMajorityFast: MajorityFastPaxos,
    FastPaxosHighestBallot: HighestBallotFastPaxos,
    FastPaxosSmallQuorums: SmallQuorumsFastPaxos,
}
