//! The registry: every protocol of the lab, in one list.
//!
//! The CLI (`conlab list`, `conlab run`), the real-core stress runner, the
//! criterion benches and the loom suite all iterate [`PROTOCOLS`]; adding a
//! protocol means implementing [`Protocol`] for it and adding one line there.
//! Each entry carries what the tables print (primitive, consensus number,
//! progress, thread limit) and what the loom suite runs (thread counts and their
//! preemption bounds, or "this one is broken: find the counterexample").

use crate::broken::read_write::ReadWriteConsensus;
use crate::broken::relaxed_cas::RelaxedCasConsensus;
use crate::consensus::cas::CasConsensus;
use crate::consensus::lock::{ParkingLotConsensus, StdMutexConsensus};
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
}

impl LoomModel {
    /// An exhaustive model at `threads` threads.
    pub const fn exhaustive(threads: usize) -> Self {
        LoomModel { threads, preemption_bound: None }
    }

    /// A model bounded to `bound` preemptions.
    pub const fn bounded(threads: usize, bound: usize) -> Self {
        LoomModel { threads, preemption_bound: Some(bound) }
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

    /// A fresh instance behind a box (for the loom suite and for exploring).
    fn build(&self, threads: usize) -> Result<Box<dyn IdConsensus + Send>, ConsensusError>;

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
    &Registered::<ReadWriteConsensus>::ENTRY,
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
                assert!(
                    (1..=4).contains(&m.threads),
                    "{}: the suite models at most 4 threads",
                    info.name
                );
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
