//! The registry: every protocol of the lab, in one list.
//!
//! The CLI (`conlab list`, `conlab run`), the real-core stress runner, the
//! criterion benches and the loom suite all iterate [`PROTOCOLS`]. A protocol
//! describes itself in its own file (its
//! [`Protocol`] impl: name, summary,
//! object, thread limits, knobs, loom models, stall point); the registry only
//! lists it, in `entries.rs`, one line per protocol.
//!
//! The registry describes and builds; it knows no runner. A runner that needs
//! a protocol's concrete type (the stress runner and the benches run
//! monomorphized code, not calls through a vtable) passes a [`Visit`] to
//! [`Entry::visit`], which calls it back with the type.

mod entries;

pub use entries::PROTOCOLS;

use crate::consensus::protocol::{self, Params, Protocol, ProtocolInfo, StallPlan};
use crate::consensus::stall::StalledInstance;
use crate::consensus::{ConsensusError, IdConsensus, Progress};
use std::fmt;

/// A runner that needs a protocol's type: [`Entry::visit`] calls
/// [`visit`](Self::visit) with it.
pub trait Visit {
    /// What the visit returns.
    type Output;

    /// Runs with protocol `P`.
    fn visit<P: Protocol>(self) -> Self::Output;
}

/// One protocol of the list: its description, and its type through
/// [`visit`](Self::visit).
#[derive(Clone, Copy)]
pub struct Entry {
    info: &'static ProtocolInfo,
    id: entries::Id,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Entry").field(&self.info.name).finish()
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Entry {}

impl Entry {
    /// What the protocol says about itself.
    pub fn info(self) -> &'static ProtocolInfo {
        self.info
    }

    /// Calls `v` back with the protocol's type.
    pub fn visit<V: Visit>(self, v: V) -> V::Output {
        entries::visit(self.id, v)
    }

    /// Checks `params` without building: thread limits, knobs (an undeclared
    /// one is refused) and the protocol's own rules.
    ///
    /// # Errors
    /// [`ConsensusError::InvalidConfig`] naming what is wrong.
    pub fn check(self, params: &Params) -> Result<(), ConsensusError> {
        struct Check<'a>(&'a Params);
        impl Visit for Check<'_> {
            type Output = Result<(), ConsensusError>;
            fn visit<P: Protocol>(self) -> Self::Output {
                protocol::check::<P>(self.0)
            }
        }
        self.visit(Check(params))
    }

    /// A fresh, checked instance behind a box (for the loom suite and for
    /// exploring).
    ///
    /// # Errors
    /// As [`check`](Self::check), and whatever building needs.
    pub fn build(self, params: &Params) -> Result<Box<dyn IdConsensus + Send>, ConsensusError> {
        struct Build<'a>(&'a Params);
        impl Visit for Build<'_> {
            type Output = Result<Box<dyn IdConsensus + Send>, ConsensusError>;
            fn visit<P: Protocol>(self) -> Self::Output {
                Ok(Box::new(protocol::make::<P>(self.0)?))
            }
        }
        self.visit(Build(params))
    }

    /// A checked instance with thread `plan.who` paused at the protocol's own
    /// stall point ([`ProtocolInfo::stall`]).
    ///
    /// # Errors
    /// As [`check`](Self::check), or the protocol has no stall point.
    pub fn build_stalled(
        self,
        params: &Params,
        plan: StallPlan,
    ) -> Result<Box<dyn StalledInstance>, ConsensusError> {
        struct Stalled<'a>(&'a Params, StallPlan);
        impl Visit for Stalled<'_> {
            type Output = Result<Box<dyn StalledInstance>, ConsensusError>;
            fn visit<P: Protocol>(self) -> Self::Output {
                protocol::check::<P>(self.0)?;
                P::build_stalled(self.0, self.1)
            }
        }
        self.visit(Stalled(params, plan))
    }

    /// The progress guarantee of an instance for `threads` threads.
    ///
    /// # Errors
    /// As [`build`](Self::build).
    pub fn progress(self, threads: usize) -> Result<Progress, ConsensusError> {
        Ok(self.build(&Params::threads(threads))?.progress())
    }
}

/// The entry named `name`.
pub fn find(name: &str) -> Option<Entry> {
    PROTOCOLS.iter().copied().find(|e| e.info().name == name)
}

/// The names of all entries, for error messages.
pub fn names() -> Vec<&'static str> {
    PROTOCOLS.iter().map(|e| e.info().name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::protocol::Knob;

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
        for &e in PROTOCOLS {
            let info = e.info();
            assert!(!info.loom.is_empty(), "{} has no loom model", info.name);
            for m in info.loom {
                assert!(
                    (1..=5).contains(&m.threads()),
                    "{}: loom runs at most 5 threads",
                    info.name
                );
                assert!(e.check(&m.params).is_ok(), "{} refuses {m:?}", info.name);
                // A long exploration explores more than the default one: a
                // bounded model's exhaustive run, or a higher bound.
                match (m.preemption_bound, m.long) {
                    (_, None) | (Some(_), Some(None)) => {}
                    (Some(ci), Some(Some(long))) => {
                        assert!(long > ci, "{}: long bound {long} ≤ default {ci}", info.name)
                    }
                    (None, Some(_)) => {
                        panic!("{}: an exhaustive model has no longer exploration", info.name)
                    }
                }
                assert!(e.build(&m.params).is_ok(), "{} cannot build {m:?}", info.name);
            }
        }
    }

    #[test]
    fn every_shuttle_model_builds_and_only_relaxed_cas_has_none() {
        for &e in PROTOCOLS {
            let info = e.info();
            // relaxed-cas's flaw is weak memory, which shuttle cannot see.
            assert_eq!(info.shuttle.is_empty(), info.name == "relaxed-cas", "{}", info.name);
            for m in info.shuttle {
                assert!(m.iterations > 0, "{}: {m:?}", info.name);
                assert!(e.build(&m.params).is_ok(), "{} cannot build {m:?}", info.name);
            }
        }
    }

    #[test]
    fn check_agrees_with_build() {
        // Whatever check accepts builds, and whatever it refuses does not.
        for &e in PROTOCOLS {
            for threads in 0..=6 {
                for acceptors in [None, Some(1), Some(2), Some(3), Some(5)] {
                    for crashed in [0, 1, 3] {
                        let p = Params { acceptors, crashed, ..Params::threads(threads) };
                        assert_eq!(
                            e.check(&p).is_ok(),
                            e.build(&p).is_ok(),
                            "{} at {p:?}",
                            e.info().name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn thread_limits_and_undeclared_knobs_are_errors() {
        let cas = find("cas").unwrap();
        assert!(matches!(cas.build(&Params::threads(0)), Err(ConsensusError::InvalidConfig(_))));
        assert_eq!(cas.build(&Params::threads(3)).unwrap().threads(), 3);
        assert_eq!(cas.progress(3), Ok(Progress::WaitFree { steps: 1 }));
        let with_acceptors = Params { acceptors: Some(3), ..Params::threads(2) };
        let err = cas.check(&with_acceptors).unwrap_err().to_string();
        assert!(err.contains("cas takes no acceptors"), "{err}");
        // Fail closed: every knob a protocol did not declare is refused.
        for &e in PROTOCOLS {
            let info = e.info();
            let p = info.loom[0].params;
            for (knob, set) in [
                (Knob::Rounds, Params { rounds: Some(2), ..p }),
                (Knob::Acceptors, Params { acceptors: Some(3), ..p }),
                (Knob::Crashed, Params { acceptors: Some(3), crashed: 1, ..p }),
                (Knob::Crashed, Params { acceptors: Some(3), crashed: 1, crash_after: 1, ..p }),
                // The last proposer (coordinated Fast Paxos refuses to crash
                // its coordinator, proposer 0).
                (Knob::ProposerCrash, Params { proposer_crash: Some((p.threads - 1, 1)), ..p }),
            ] {
                let wanted = set.knobs().all(|k| info.knobs.contains(&k));
                assert_eq!(e.check(&set).is_ok(), wanted, "{} with {knob:?}", info.name);
            }
        }
    }

    #[test]
    fn stall_points_are_declared_and_built() {
        let plan = StallPlan { who: 0, pause: std::time::Duration::from_millis(1) };
        for &e in PROTOCOLS {
            let built = e.build_stalled(&Params::threads(2), plan);
            assert_eq!(built.is_ok(), e.info().stall.is_some(), "{}", e.info().name);
        }
    }
}
