//! The registry: every protocol of the lab, in one list.
//!
//! The CLI (`conlab list`, `conlab run`), the real-core stress runner, the
//! criterion benches and the loom suite all iterate [`PROTOCOLS`]; adding a
//! protocol means implementing [`Protocol`] for it and adding one line there.
//! Each entry carries what the tables print (primitive, consensus number,
//! progress, thread limit) and what the loom suite runs (thread counts and their
//! preemption bounds, or "this one is broken: find the counterexample").

use crate::broken::naive_versioned::NaiveVersionedConsensus;
use crate::broken::read_write::ReadWriteConsensus;
use crate::broken::relaxed_cas::RelaxedCasConsensus;
use crate::consensus::cas::CasConsensus;
use crate::consensus::lock::{ParkingLotConsensus, StdMutexConsensus};
use crate::consensus::registers::{self, RegistersConsensus};
use crate::consensus::rounds::RoundLimit;
use crate::consensus::versioned::{self, VersionedConsensus};
use crate::consensus::{ConsensusError, ConsensusNumber, IdConsensus, Progress};
use std::marker::PhantomData;

/// One loom model the suite runs for a protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoomModel {
    /// Threads taking part (loom allows at most 4 spawned besides the main one;
    /// the suite runs thread 0 on loom's main thread).
    pub threads: usize,
    /// `None`: exhaustive. `Some(k)`: at most `k` preemptions per execution,
    /// because exhaustive does not finish in CI time (the entry says why).
    pub preemption_bound: Option<usize>,
    /// For retrying (obstruction-free) protocols: attempts per thread before it
    /// gives up without deciding, so that every execution is finite. Agreement
    /// and validity are then checked among the threads that decided, and some
    /// execution must have every thread decide.
    pub rounds: Option<usize>,
}

impl LoomModel {
    /// An exhaustive model at `threads` threads.
    pub const fn exhaustive(threads: usize) -> Self {
        LoomModel { threads, preemption_bound: None, rounds: None }
    }

    /// A model bounded to `bound` preemptions.
    pub const fn bounded(threads: usize, bound: usize) -> Self {
        LoomModel { threads, preemption_bound: Some(bound), rounds: None }
    }

    /// The same model with at most `rounds` attempts per thread.
    pub const fn rounds(self, rounds: usize) -> Self {
        LoomModel { rounds: Some(rounds), ..self }
    }
}

/// What the registry knows about a protocol without building one.
#[derive(Clone, Copy, Debug)]
pub struct ProtocolInfo {
    /// The name on the command line, e.g. `cas`.
    pub name: &'static str,
    /// One line for tables.
    pub summary: &'static str,
    /// The shared object the protocol is built from.
    pub primitive: &'static str,
    /// That object's consensus number.
    pub consensus_number: ConsensusNumber,
    /// Most threads an instance may serve (`None`: any number).
    pub max_threads: Option<usize>,
    /// The models the loom suite runs (for a broken protocol: where it must find
    /// the counterexample).
    pub loom: &'static [LoomModel],
    /// `Some(flaw)` for intentionally wrong protocols kept for teaching.
    pub broken: Option<&'static str>,
}

/// A protocol the registry can build by thread count.
pub trait Protocol: IdConsensus + Send + Sized + 'static {
    /// Its registry entry.
    const INFO: ProtocolInfo;

    /// An undecided instance for ids `0..threads`; `threads` is already checked
    /// against `INFO.max_threads` and is at least 1.
    fn with_threads(threads: usize) -> Result<Self, ConsensusError>;

    /// The instance a loom model runs: by default `with_threads`; retrying
    /// protocols override it to honour `model.rounds`.
    fn for_model(model: &LoomModel) -> Result<Self, ConsensusError> {
        Self::with_threads(model.threads)
    }
}

/// A registry entry, as a trait object so the registry is one list. Every method
/// is implemented once, generically, for each [`Protocol`], so the stress runner
/// and the benches run monomorphized code, not calls through a vtable.
pub trait Entry: Sync {
    /// The static description.
    fn info(&self) -> &'static ProtocolInfo;

    /// Checks a thread count against the protocol's limits.
    fn check_threads(&self, threads: usize) -> Result<(), ConsensusError> {
        let info = self.info();
        if threads == 0 {
            return Err(ConsensusError::InvalidConfig("a protocol needs at least 1 thread".into()));
        }
        match info.max_threads {
            Some(max) if threads > max => Err(ConsensusError::InvalidConfig(format!(
                "{} supports at most {max} threads, {threads} requested",
                info.name
            ))),
            _ => Ok(()),
        }
    }

    /// A fresh instance behind a box (for exploring and for tests).
    fn build(&self, threads: usize) -> Result<Box<dyn IdConsensus + Send>, ConsensusError>;

    /// A fresh instance for a loom model (honours `model.rounds`).
    fn build_model(&self, model: &LoomModel)
        -> Result<Box<dyn IdConsensus + Send>, ConsensusError>;

    /// The progress guarantee of an instance for `threads` threads.
    fn progress(&self, threads: usize) -> Result<Progress, ConsensusError> {
        Ok(self.build(threads)?.progress())
    }

    /// Races `cfg.threads` real threads on `cfg.instances` fresh instances and
    /// verifies every decision.
    #[cfg(not(loom))]
    fn stress(
        &self,
        cfg: &crate::check::stress::StressConfig,
    ) -> Result<crate::check::stress::StressReport, ConsensusError>;

    /// Time for one thread to decide `instances` fresh, pre-allocated instances.
    #[cfg(not(loom))]
    fn time_uncontended(&self, instances: usize) -> Result<std::time::Duration, ConsensusError>;
}

/// The [`Entry`] of protocol `P`.
pub struct Registered<P>(PhantomData<fn() -> P>);

impl<P> Registered<P> {
    /// The entry (a constant, for the static registry).
    pub const ENTRY: Self = Registered(PhantomData);
}

impl<P: Protocol> Registered<P> {
    fn make(&self, threads: usize) -> Result<P, ConsensusError> {
        self.check_threads(threads)?;
        P::with_threads(threads)
    }
}

impl<P: Protocol> Entry for Registered<P> {
    fn info(&self) -> &'static ProtocolInfo {
        &P::INFO
    }

    fn build(&self, threads: usize) -> Result<Box<dyn IdConsensus + Send>, ConsensusError> {
        Ok(Box::new(self.make(threads)?))
    }

    fn build_model(
        &self,
        model: &LoomModel,
    ) -> Result<Box<dyn IdConsensus + Send>, ConsensusError> {
        self.check_threads(model.threads)?;
        Ok(Box::new(P::for_model(model)?))
    }

    #[cfg(not(loom))]
    fn stress(
        &self,
        cfg: &crate::check::stress::StressConfig,
    ) -> Result<crate::check::stress::StressReport, ConsensusError> {
        self.check_threads(cfg.threads)?;
        crate::check::stress::run(P::INFO.name, || self.make(cfg.threads), cfg)
    }

    #[cfg(not(loom))]
    fn time_uncontended(&self, instances: usize) -> Result<std::time::Duration, ConsensusError> {
        crate::bench::uncontended(|| self.make(1), instances)
    }
}

/// Every protocol of the lab, correct ones first.
pub static PROTOCOLS: &[&dyn Entry] = &[
    &Registered::<StdMutexConsensus>::ENTRY,
    &Registered::<ParkingLotConsensus>::ENTRY,
    &Registered::<CasConsensus>::ENTRY,
    &Registered::<VersionedConsensus>::ENTRY,
    &Registered::<RegistersConsensus>::ENTRY,
    &Registered::<ReadWriteConsensus>::ENTRY,
    &Registered::<NaiveVersionedConsensus>::ENTRY,
    &Registered::<RelaxedCasConsensus>::ENTRY,
];

/// The entry named `name`.
pub fn find(name: &str) -> Option<&'static dyn Entry> {
    PROTOCOLS.iter().copied().find(|e| e.info().name == name)
}

/// The names of all entries, for error messages.
pub fn names() -> Vec<&'static str> {
    PROTOCOLS.iter().map(|e| e.info().name).collect()
}

// ---- the entries --------------------------------------------------------------

impl Protocol for StdMutexConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "lock-std",
        summary: "std::sync::Mutex around a register: check, then set",
        primitive: "mutex (std)",
        consensus_number: ConsensusNumber::Infinite,
        max_threads: None,
        loom: &[LoomModel::exhaustive(2), LoomModel::exhaustive(3)],
        broken: None,
    };
    fn with_threads(threads: usize) -> Result<Self, ConsensusError> {
        Ok(Self::new(threads))
    }
}

impl Protocol for ParkingLotConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "lock-parking-lot",
        summary: "parking_lot::Mutex around a register: check, then set",
        primitive: "mutex (parking_lot)",
        consensus_number: ConsensusNumber::Infinite,
        max_threads: None,
        loom: &[LoomModel::exhaustive(2), LoomModel::exhaustive(3)],
        broken: None,
    };
    fn with_threads(threads: usize) -> Result<Self, ConsensusError> {
        Ok(Self::new(threads))
    }
}

impl Protocol for CasConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "cas",
        summary: "one compare&swap(⊥ → me) on a winner register",
        primitive: "compare&swap",
        consensus_number: ConsensusNumber::Infinite,
        max_threads: None,
        loom: &[LoomModel::exhaustive(2), LoomModel::exhaustive(3), LoomModel::exhaustive(4)],
        broken: None,
    };
    fn with_threads(threads: usize) -> Result<Self, ConsensusError> {
        Ok(Self::new(threads))
    }
}

impl Protocol for VersionedConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "versioned",
        summary: "one packed (version, value) word: refuse-if-newer-else-raise, then write-if-unset-at-my-version",
        primitive: "compare&swap on a (version, value) word",
        consensus_number: ConsensusNumber::Infinite,
        max_threads: Some(versioned::MAX_THREADS),
        // 2 attempts per thread: enough for each thread to be overruled once and
        // retry. 3 threads: exhaustive had not finished after 14 minutes; the
        // bound grows the executions about 3× a step (≤5: 67 thousand in 3.4 s,
        // ≤6: 242 thousand in 12 s, ≤7: 749 thousand in 38 s on 2 vCPUs).
        loom: &[LoomModel::exhaustive(2).rounds(2), LoomModel::bounded(3, 7).rounds(2)],
        broken: None,
    };
    fn with_threads(threads: usize) -> Result<Self, ConsensusError> {
        Self::new(threads)
    }
    fn for_model(model: &LoomModel) -> Result<Self, ConsensusError> {
        Self::with_limit(model.threads, RoundLimit(model.rounds))
    }
}

impl Protocol for RegistersConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "registers",
        summary:
            "single-writer registers only (Disk Paxos on one disk): write mine, fence, read all",
        primitive: "read/write registers",
        consensus_number: ConsensusNumber::Finite(1),
        max_threads: Some(registers::MAX_THREADS),
        // 2 attempts per thread. 3 threads: exhaustive is out of reach (each
        // attempt is 2(n-1) reads and 2 writes, all conflicting); ≤4 preemptions:
        // 137 thousand executions in 7 s, ≤5: 2.1 million in 112 s on 2 vCPUs.
        loom: &[LoomModel::exhaustive(2).rounds(2), LoomModel::bounded(3, 5).rounds(2)],
        broken: None,
    };
    fn with_threads(threads: usize) -> Result<Self, ConsensusError> {
        Self::new(threads)
    }
    fn for_model(model: &LoomModel) -> Result<Self, ConsensusError> {
        Self::with_limit(model.threads, RoundLimit(model.rounds))
    }
}

impl Protocol for NaiveVersionedConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "naive-versioned",
        summary: "the notes' versioned register with V and X as separate registers (BROKEN)",
        primitive: "read/write registers",
        consensus_number: ConsensusNumber::Finite(1),
        max_threads: None,
        loom: &[LoomModel::exhaustive(2).rounds(2)],
        broken: Some("both attempts pass the version check and read X = ⊥, then both write X"),
    };
    fn with_threads(threads: usize) -> Result<Self, ConsensusError> {
        Ok(Self::new(threads, RoundLimit::UNLIMITED))
    }
    fn for_model(model: &LoomModel) -> Result<Self, ConsensusError> {
        Ok(Self::new(model.threads, RoundLimit(model.rounds)))
    }
}

impl Protocol for ReadWriteConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "read-write",
        summary: "read the winner register; if ⊥ write my id (BROKEN)",
        primitive: "read/write register",
        consensus_number: ConsensusNumber::Finite(1),
        max_threads: None,
        loom: &[LoomModel::exhaustive(2)],
        broken: Some("two threads both read ⊥, then both write: each decides itself"),
    };
    fn with_threads(threads: usize) -> Result<Self, ConsensusError> {
        Ok(Self::new(threads))
    }
}

impl Protocol for RelaxedCasConsensus {
    const INFO: ProtocolInfo = ProtocolInfo {
        name: "relaxed-cas",
        summary: "compare&swap(⊥ → me) with Relaxed orderings (BROKEN)",
        primitive: "compare&swap",
        consensus_number: ConsensusNumber::Infinite,
        max_threads: None,
        loom: &[LoomModel::exhaustive(2)],
        broken: Some("the loser learns who won but may not see what the winner announced"),
    };
    fn with_threads(threads: usize) -> Result<Self, ConsensusError> {
        Ok(Self::new(threads))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_findable() {
        let names = names();
        for (i, n) in names.iter().enumerate() {
            assert!(!names[..i].contains(n), "duplicate protocol name {n}");
            assert_eq!(find(n).map(|e| e.info().name), Some(*n));
        }
        assert!(find("no-such-protocol").is_none());
    }

    #[test]
    fn every_entry_has_loom_models_within_loom_limits() {
        for e in PROTOCOLS {
            let info = e.info();
            assert!(!info.loom.is_empty(), "{} has no loom model", info.name);
            for m in info.loom {
                assert!((1..=5).contains(&m.threads), "{}: loom runs at most 5 threads", info.name);
                assert!(e.check_threads(m.threads).is_ok());
            }
        }
    }

    #[test]
    fn thread_limits_are_errors() {
        let cas = find("cas").unwrap();
        assert!(matches!(cas.build(0), Err(ConsensusError::InvalidConfig(_))));
        assert_eq!(cas.build(3).unwrap().threads(), 3);
        assert_eq!(cas.progress(3), Ok(Progress::WaitFree { steps: 1 }));
    }
}
