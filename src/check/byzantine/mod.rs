//! Checking the Byzantine protocols: agreement and validity among the honest
//! replicas, in every world (loom `model`, shuttle `shuttle`, real cores
//! `stress`), over the scenarios of [`scenarios`].
//!
//! * **Agreement**: no two honest replicas decide different values.
//! * **Validity**: an honest replica decides only a client request (what a
//!   client's signature would certify), and, if the primary of view 0 is
//!   honest, a decision in view 0 is that primary's request.
//!
//! Liveness is not a property here (a step budget is no timely network), but
//! a run is judged on how much it tested: a model whose executions never all
//! decided, or never changed view when it was meant to, is refused as
//! INCONCLUSIVE by its runner ([`Judged`] says what it saw).

pub mod bound;
#[cfg(loom)]
pub mod model;
#[cfg(all(shuttle, not(loom)))]
pub mod shuttle;
#[cfg(not(any(loom, shuttle)))]
pub mod stress;
#[cfg(any(loom, shuttle))]
pub mod suite;

use crate::byzantine::replica::{Outcome, Report};
use crate::byzantine::{Behaviour, Byzantine, Config, Protocol};
use crate::paxos::FaultPlan;
use std::fmt;

/// What an execution violated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// Two honest replicas decided different values.
    Disagreement {
        /// `(replica, value)` of one.
        a: (usize, u64),
        /// `(replica, value)` of the other.
        b: (usize, u64),
    },
    /// An honest replica decided a value it should not have.
    Invalid {
        /// The replica.
        replica: usize,
        /// What it decided.
        value: u64,
        /// Why that is invalid.
        why: &'static str,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Disagreement { a, b } => write!(
                f,
                "agreement violated: honest replica r{} decided {} and honest replica r{} decided {}",
                a.0, a.1, b.0, b.1
            ),
            Violation::Invalid { replica, value, why } => {
                write!(f, "validity violated: honest replica r{replica} decided {value}: {why}")
            }
        }
    }
}

/// What one execution showed, when it violated nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Judged {
    /// Honest replicas.
    pub honest: usize,
    /// Honest replicas that decided.
    pub decided: usize,
    /// The highest view an honest replica decided in (0 if none decided).
    pub decided_view: u64,
    /// Records the honest replicas rejected.
    pub rejected: u64,
    /// MACs computed and checked, by every replica.
    pub sig_ops: u64,
}

impl Judged {
    /// Whether every honest replica decided.
    pub fn all_decided(&self) -> bool {
        self.decided == self.honest
    }
}

/// Judges one execution's reports.
///
/// # Errors
/// The first [`Violation`] found.
pub fn judge(cfg: &Config, reports: &[Report]) -> Result<Judged, Violation> {
    let mut j = Judged::default();
    let mut first: Option<(usize, u64)> = None;
    let honest_primary = reports.iter().any(|r| r.replica == cfg.primary(0) && r.honest);
    for r in reports {
        j.sig_ops += r.ops.macs + r.ops.checks;
        if !r.honest {
            continue;
        }
        j.honest += 1;
        j.rejected += r.ops.rejected;
        let Outcome::Decided { value, view } = r.outcome else { continue };
        j.decided += 1;
        j.decided_view = j.decided_view.max(view);
        if !cfg.is_request(value) {
            return Err(Violation::Invalid {
                replica: r.replica,
                value,
                why: "no client requested it",
            });
        }
        if honest_primary && view == 0 && value != cfg.input(cfg.primary(0)) {
            return Err(Violation::Invalid {
                replica: r.replica,
                value,
                why: "decided in view 0, whose honest primary proposed another value",
            });
        }
        match first {
            Some(a) if a.1 != value => {
                return Err(Violation::Disagreement { a, b: (r.replica, value) })
            }
            None => first = Some((r.replica, value)),
            _ => {}
        }
    }
    Ok(j)
}

/// Runs one execution of `s` in a model world (loom or shuttle): every
/// replica but the silent ones on a thread of its own (a silent replica
/// writes nothing, and a thread doing nothing would only multiply the
/// interleavings); the reports, by replica.
#[cfg(any(loom, shuttle))]
pub fn execute(s: &Scenario) -> Vec<Report> {
    use crate::byzantine::run::Instance;
    use crate::sync::{thread, Arc};
    let instance = Arc::new(Instance::new(s.cfg, &s.plan).expect("a valid scenario"));
    let silent = |i: usize| instance.behaviour(i) == Some(Behaviour::Silent);
    let runs: Vec<usize> = (0..s.cfg.replicas).filter(|&i| !silent(i)).collect();
    let handles: Vec<_> = runs[1..]
        .iter()
        .map(|&i| {
            let instance = Arc::clone(&instance);
            thread::spawn(move || instance.replica(i))
        })
        .collect();
    let mut reports = vec![instance.replica(runs[0])];
    reports.extend(handles.into_iter().map(|h| h.join().expect("replica threads do not panic")));
    reports.extend((0..s.cfg.replicas).filter(|&i| silent(i)).map(|replica| Report {
        replica,
        honest: false,
        outcome: Outcome::Stopped,
        ops: Default::default(),
        writes: 0,
    }));
    reports
}

/// What a scenario is meant to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Agreement and validity hold in every execution, and some execution
    /// has every honest replica decide.
    Holds,
    /// As `Holds`, and some execution decides after a view change.
    ViewChange,
    /// Below the bound: some execution violates agreement.
    Caught,
}

/// A configuration, a plan, and what it must show.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Its name (the test's).
    pub name: &'static str,
    /// The configuration.
    pub cfg: Config,
    /// The Byzantine replicas.
    pub plan: FaultPlan,
    /// What it must show.
    pub expect: Expect,
}

fn plan(byzantine: &[(usize, Behaviour)]) -> FaultPlan {
    FaultPlan {
        byzantine: byzantine.iter().map(|&(who, behaviour)| Byzantine { who, behaviour }).collect(),
        ..FaultPlan::default()
    }
}

/// The model-checked scenarios, f = 1: PBFT with 4 replicas and SWMR with 3
/// under each kind of fault, view changes, and the two lower bounds. Loom
/// configurations are small (patience 1, 2 views); the runners set their own
/// patience for the other worlds.
pub fn scenarios() -> Vec<Scenario> {
    let pbft = Config { patience: 1, max_views: 1, ..Config::new(Protocol::Pbft, 4, 1) };
    let swmr = Config { patience: 1, max_views: 1, ..Config::new(Protocol::Swmr, 3, 1) };
    let s = |name, cfg, byz: &[(usize, Behaviour)], expect| Scenario {
        name,
        cfg,
        plan: plan(byz),
        expect,
    };
    use Behaviour::*;
    use Expect::*;
    vec![
        s("pbft/4/equivocating-primary", pbft, &[(0, Equivocate)], Holds),
        s("pbft/4/lying-backup", pbft, &[(3, Lie)], Holds),
        s("pbft/4/forging-backup", pbft, &[(3, Forge)], Holds),
        s("pbft/4/silent-primary/view-change", pbft, &[(0, Silent)], ViewChange),
        s("pbft/4/splitting-primary/view-change", pbft, &[(0, Split)], ViewChange),
        s("swmr/3/equivocating-primary", swmr, &[(0, Equivocate)], Holds),
        s("swmr/3/lying-backup", swmr, &[(2, Lie)], Holds),
        s("swmr/3/forging-backup", swmr, &[(2, Forge)], Holds),
        s("swmr/3/silent-primary/view-change", swmr, &[(0, Silent)], ViewChange),
        s(
            "pbft/3/equivocating-primary/below-bound",
            Config { patience: 1, max_views: 1, ..Config::below_bound(Protocol::Pbft, 1) },
            &[(0, Equivocate)],
            Caught,
        ),
        s(
            "swmr/2/below-bound",
            Config { patience: 1, max_views: 1, ..Config::below_bound(Protocol::Swmr, 1) },
            &[],
            Caught,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::byzantine::sign::SigOps;

    fn report(replica: usize, honest: bool, outcome: Outcome) -> Report {
        Report { replica, honest, outcome, ops: SigOps::default(), writes: 0 }
    }

    #[test]
    fn disagreement_and_invalid_values_are_caught_among_the_honest_only() {
        let cfg = Config::new(Protocol::Pbft, 4, 1);
        let d = |value, view| Outcome::Decided { value, view };
        let ok = [report(0, true, d(1, 0)), report(1, false, d(3, 0)), report(2, true, d(1, 0))];
        let j = judge(&cfg, &ok).unwrap();
        assert_eq!((j.honest, j.decided), (2, 2));
        let split = [report(1, true, d(2, 1)), report(2, true, d(3, 1))];
        assert!(matches!(judge(&cfg, &split), Err(Violation::Disagreement { .. })));
        let bogus = [report(1, true, d(9, 1))];
        assert!(judge(&cfg, &bogus).unwrap_err().to_string().contains("no client requested"));
        let overruled = [report(0, true, Outcome::Stopped), report(1, true, d(2, 0))];
        assert!(matches!(judge(&cfg, &overruled), Err(Violation::Invalid { .. })));
        for s in scenarios() {
            let below = s.expect == Expect::Caught;
            assert!(s.cfg.validate(&s.plan).is_ok(), "{}", s.name);
            assert_eq!(s.cfg.below_bound, below, "{}", s.name);
        }
    }
}
