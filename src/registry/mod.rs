//! The registry: every protocol of the lab, in one list.
//!
//! The CLI (`conlab list`, `conlab run`), the real-core stress runner, the
//! criterion benches and the loom suite all iterate [`PROTOCOLS`]; adding a
//! protocol means implementing [`Protocol`] for it and adding one line to the
//! list in `entries.rs`. Each entry carries what the tables print (primitive,
//! consensus number, progress, thread limit) and what the loom suite runs
//! (thread counts, preemption bounds, retry rounds, crashed acceptors; or "this
//! one is broken: find the counterexample").
//!
//! Every instance is built from one [`Params`]: the thread count, and the knobs
//! only some protocols have (acceptors, retry rounds, crashed acceptors). A
//! protocol that has no use for a knob rejects it with a clear error.

mod entries;

pub use entries::PROTOCOLS;

use crate::consensus::{ConsensusError, ConsensusNumber, IdConsensus, Progress};
use std::marker::PhantomData;

/// How to build an instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Params {
    /// Threads (ids `0..threads`); for Paxos, proposers.
    pub threads: usize,
    /// Attempts per thread before a retrying protocol gives up (`None`: retry
    /// until decided). Protocols that never retry ignore it.
    pub rounds: Option<usize>,
    /// Paxos: the number of acceptors (`None`: the protocol's default).
    pub acceptors: Option<usize>,
    /// Paxos: acceptors crashed from the start (the first ones).
    pub crashed: usize,
}

impl Params {
    /// Just a thread count.
    pub const fn threads(threads: usize) -> Self {
        Params { threads, rounds: None, acceptors: None, crashed: 0 }
    }

    /// Errors unless the Paxos-only knobs are unset: for every other protocol.
    pub fn no_acceptors(&self, protocol: &str) -> Result<(), ConsensusError> {
        if self.acceptors.is_some() || self.crashed > 0 {
            return Err(ConsensusError::InvalidConfig(format!(
                "{protocol} has no acceptors (only the Paxos protocols take --acceptors)"
            )));
        }
        Ok(())
    }
}

/// One loom model the suite runs for a protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoomModel {
    /// The instance: threads taking part (at most 5: loom's main thread runs
    /// thread 0, 4 more are spawned), rounds, acceptors, crashes.
    pub params: Params,
    /// `None`: exhaustive. `Some(k)`: at most `k` preemptions per execution,
    /// because exhaustive does not finish in CI time (the entry says why).
    pub preemption_bound: Option<usize>,
}

impl LoomModel {
    /// An exhaustive model at `threads` threads.
    pub const fn exhaustive(threads: usize) -> Self {
        LoomModel { params: Params::threads(threads), preemption_bound: None }
    }

    /// A model bounded to `bound` preemptions.
    pub const fn bounded(threads: usize, bound: usize) -> Self {
        LoomModel { params: Params::threads(threads), preemption_bound: Some(bound) }
    }

    /// The same model with at most `rounds` attempts per thread: every execution
    /// of a retrying protocol must be finite. Agreement and validity are then
    /// checked among the threads that decided, and some execution must have every
    /// thread decide.
    pub const fn rounds(self, rounds: usize) -> Self {
        LoomModel { params: Params { rounds: Some(rounds), ..self.params }, ..self }
    }

    /// The same model with `acceptors` acceptors, the first `crashed` of them
    /// crashed from the start.
    pub const fn acceptors(self, acceptors: usize, crashed: usize) -> Self {
        LoomModel { params: Params { acceptors: Some(acceptors), crashed, ..self.params }, ..self }
    }

    /// The threads taking part.
    pub const fn threads(&self) -> usize {
        self.params.threads
    }

    /// A name for the model: `3`, `3/rounds-2`, `2/acceptors-3/crashed-1`, ...
    pub fn label(&self) -> String {
        let p = &self.params;
        let mut s = p.threads.to_string();
        if let Some(a) = p.acceptors {
            s.push_str(&format!("/acceptors-{a}"));
        }
        if p.crashed > 0 {
            s.push_str(&format!("/crashed-{}", p.crashed));
        }
        if let Some(r) = p.rounds {
            s.push_str(&format!("/rounds-{r}"));
        }
        s
    }
}

/// What the registry knows about a protocol without building one.
#[derive(Clone, Copy, Debug)]
pub struct ProtocolInfo {
    /// The name on the command line, e.g. `cas`.
    pub name: &'static str,
    /// One line for tables.
    pub summary: &'static str,
    /// The shared object the protocol is built from, in words.
    pub primitive: &'static str,
    /// The name of that object in [`objects::hierarchy`](crate::objects::hierarchy)
    /// (or `"mutex"`), for the hierarchy table.
    pub object: &'static str,
    /// That object's consensus number.
    pub consensus_number: ConsensusNumber,
    /// Most threads an instance may serve (`None`: any number).
    pub max_threads: Option<usize>,
    /// The models the loom suite runs (for a broken protocol: where it must find
    /// the counterexample).
    pub loom: &'static [LoomModel],
    /// For intentionally wrong protocols kept for teaching: the flaw and the
    /// kind of counterexample that shows it.
    pub broken: Option<Broken>,
}

/// What is wrong with a broken protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Broken {
    /// The flaw, in one line.
    pub flaw: &'static str,
    /// What its counterexample needs; the loom suite checks the trace it finds.
    pub shows: Shows,
}

/// What a broken protocol's counterexample needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shows {
    /// Nothing concurrent: one thread after the other already breaks it.
    Sequential,
    /// An interleaving: steps of the threads mixed, sequentially consistent.
    Interleaving,
    /// Weak memory: a read of a stale value (no sequentially consistent
    /// counterexample exists).
    StaleRead,
}

/// A protocol the registry can build.
pub trait Protocol: IdConsensus + Send + Sized + 'static {
    /// Its registry entry.
    const INFO: ProtocolInfo;

    /// An undecided instance; `params.threads` is already checked against
    /// `INFO.max_threads` and is at least 1.
    fn build(params: &Params) -> Result<Self, ConsensusError>;
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
    fn build(&self, params: &Params) -> Result<Box<dyn IdConsensus + Send>, ConsensusError>;

    /// The progress guarantee of an instance for `threads` threads.
    fn progress(&self, threads: usize) -> Result<Progress, ConsensusError> {
        Ok(self.build(&Params::threads(threads))?.progress())
    }

    /// Races real threads on fresh instances and verifies every decision.
    #[cfg(not(loom))]
    fn stress(
        &self,
        params: &Params,
        cfg: &crate::check::stress::StressConfig,
    ) -> Result<crate::check::stress::StressReport, ConsensusError>;

    /// Time for one thread to decide `instances` fresh, pre-allocated instances.
    #[cfg(not(loom))]
    fn time_uncontended(&self, instances: usize) -> Result<std::time::Duration, ConsensusError>;

    /// Time for `params.threads` threads racing on `instances` fresh instances
    /// (all deciding each), barriers every `batch`.
    #[cfg(not(loom))]
    fn time_contended(
        &self,
        params: &Params,
        instances: usize,
        batch: usize,
    ) -> Result<std::time::Duration, ConsensusError>;

    /// [`time_contended`](Self::time_contended) through proposer handles
    /// ([`Proposals::proposers`](crate::consensus::Proposals::proposers)).
    #[cfg(not(loom))]
    fn time_handles(
        &self,
        params: &Params,
        instances: usize,
        batch: usize,
    ) -> Result<std::time::Duration, ConsensusError>;
}

/// The [`Entry`] of protocol `P`.
pub struct Registered<P>(PhantomData<fn() -> P>);

impl<P> Registered<P> {
    /// The entry (a constant, for the static registry).
    pub const ENTRY: Self = Registered(PhantomData);
}

impl<P: Protocol> Registered<P> {
    fn make(&self, params: &Params) -> Result<P, ConsensusError> {
        self.check_threads(params.threads)?;
        P::build(params)
    }
}

impl<P: Protocol> Entry for Registered<P> {
    fn info(&self) -> &'static ProtocolInfo {
        &P::INFO
    }

    fn build(&self, params: &Params) -> Result<Box<dyn IdConsensus + Send>, ConsensusError> {
        Ok(Box::new(self.make(params)?))
    }

    #[cfg(not(loom))]
    fn stress(
        &self,
        params: &Params,
        cfg: &crate::check::stress::StressConfig,
    ) -> Result<crate::check::stress::StressReport, ConsensusError> {
        self.make(params)?;
        crate::check::stress::run(P::INFO.name, || self.make(params), cfg)
    }

    #[cfg(not(loom))]
    fn time_uncontended(&self, instances: usize) -> Result<std::time::Duration, ConsensusError> {
        crate::bench::uncontended(|| self.make(&Params::threads(1)), instances)
    }

    #[cfg(not(loom))]
    fn time_contended(
        &self,
        params: &Params,
        instances: usize,
        batch: usize,
    ) -> Result<std::time::Duration, ConsensusError> {
        crate::bench::contended(|| self.make(params), params.threads, instances, batch)
    }

    #[cfg(not(loom))]
    fn time_handles(
        &self,
        params: &Params,
        instances: usize,
        batch: usize,
    ) -> Result<std::time::Duration, ConsensusError> {
        crate::bench::contended_handles(|| self.make(params), params.threads, instances, batch)
    }
}

/// The entry named `name`.
pub fn find(name: &str) -> Option<&'static dyn Entry> {
    PROTOCOLS.iter().copied().find(|e| e.info().name == name)
}

/// The names of all entries, for error messages.
pub fn names() -> Vec<&'static str> {
    PROTOCOLS.iter().map(|e| e.info().name).collect()
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
    fn every_entry_has_buildable_loom_models_within_loom_limits() {
        for e in PROTOCOLS {
            let info = e.info();
            assert!(!info.loom.is_empty(), "{} has no loom model", info.name);
            for m in info.loom {
                assert!(
                    (1..=5).contains(&m.threads()),
                    "{}: loom runs at most 5 threads",
                    info.name
                );
                assert!(e.build(&m.params).is_ok(), "{} cannot build {m:?}", info.name);
            }
        }
    }

    #[test]
    fn thread_limits_and_foreign_knobs_are_errors() {
        let cas = find("cas").unwrap();
        assert!(matches!(cas.build(&Params::threads(0)), Err(ConsensusError::InvalidConfig(_))));
        assert_eq!(cas.build(&Params::threads(3)).unwrap().threads(), 3);
        assert_eq!(cas.progress(3), Ok(Progress::WaitFree { steps: 1 }));
        let with_acceptors = Params { acceptors: Some(3), ..Params::threads(2) };
        assert!(matches!(cas.build(&with_acceptors), Err(ConsensusError::InvalidConfig(_))));
    }

    #[test]
    fn model_labels_name_their_knobs() {
        assert_eq!(LoomModel::exhaustive(3).label(), "3");
        assert_eq!(
            LoomModel::exhaustive(2).rounds(2).acceptors(3, 1).label(),
            "2/acceptors-3/crashed-1/rounds-2"
        );
    }
}
