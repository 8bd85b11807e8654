//! Real-core stress: many instances on real threads, each with a Byzantine
//! replica and strategy drawn from a seed, every one judged.
//!
//! Real cores show only the interleavings the machine happens to produce;
//! the report counts how many runs decided after a view change and how many
//! left an honest replica undecided, so a run that never exercised the view
//! change says so.

use super::{judge, Violation};
use crate::byzantine::run::Instance;
use crate::byzantine::{Behaviour, Byzantine, Config};
use crate::paxos::FaultPlan;
use std::time::{Duration, Instant};

/// What a stress run saw.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct StressReport {
    /// Instances run.
    pub runs: u64,
    /// Instances in which every honest replica decided.
    pub all_decided: u64,
    /// Instances with a decision after a view change.
    pub view_changes: u64,
    /// Honest decisions.
    pub decisions: u64,
    /// MACs computed and checked, by every replica.
    pub sig_ops: u64,
    /// Records the honest replicas rejected.
    pub rejected: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl StressReport {
    /// Decisions per second of wall time.
    pub fn decisions_per_sec(&self) -> f64 {
        self.decisions as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Signature operations (MACs made and checked) per honest decision.
    pub fn sig_ops_per_decision(&self) -> f64 {
        self.sig_ops as f64 / (self.decisions.max(1)) as f64
    }
}

/// Why a stress run failed.
#[derive(Clone, Debug)]
pub enum StressFailure {
    /// The configuration or plan was refused.
    Refused(String),
    /// A run violated agreement or validity.
    Violated {
        /// What was violated.
        violation: Violation,
        /// Which run (0-based).
        run: u64,
        /// The plan of that run.
        plan: FaultPlan,
    },
}

impl std::fmt::Display for StressFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StressFailure::Refused(e) => f.write_str(e),
            StressFailure::Violated { violation, run, plan } => {
                let who: Vec<String> =
                    plan.byzantine.iter().map(|b| format!("r{} {}", b.who, b.behaviour)).collect();
                write!(
                    f,
                    "run {run} (Byzantine: {}): {violation}",
                    if who.is_empty() { "none".into() } else { who.join(", ") }
                )
            }
        }
    }
}

/// The strategy of run `k` drawn from `rng`: one Byzantine replica (if `f`
/// allows one), any strategy.
fn draw(rng: &mut fastrand::Rng, cfg: &Config) -> FaultPlan {
    let all = [
        Behaviour::Silent,
        Behaviour::Equivocate,
        Behaviour::Split,
        Behaviour::Lie,
        Behaviour::Replay,
        Behaviour::Forge,
        Behaviour::CrashAfter(rng.usize(0..3 * cfg.replicas)),
    ];
    let byzantine = (0..cfg.f)
        .map(|_| rng.usize(..cfg.replicas))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|who| Byzantine { who, behaviour: all[rng.usize(..all.len())] })
        .collect();
    FaultPlan { byzantine, ..FaultPlan::default() }
}

/// Runs `runs` instances of `cfg`: under `plan` if given, else under a
/// plan drawn per run from `seed`.
///
/// # Errors
/// The configuration is refused, or a run violated agreement or validity.
pub fn stress(
    cfg: Config,
    plan: Option<&FaultPlan>,
    runs: u64,
    seed: u64,
) -> Result<StressReport, Box<StressFailure>> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut report = StressReport::default();
    let start = Instant::now();
    for run in 0..runs {
        let plan = plan.cloned().unwrap_or_else(|| draw(&mut rng, &cfg));
        let instance =
            Instance::new(cfg, &plan).map_err(|e| Box::new(StressFailure::Refused(e)))?;
        let reports = instance.run();
        match judge(&cfg, &reports) {
            Ok(j) => {
                report.runs += 1;
                report.all_decided += u64::from(j.all_decided());
                report.view_changes += u64::from(j.decided > 0 && j.decided_view > 0);
                report.decisions += j.decided as u64;
                report.sig_ops += j.sig_ops;
                report.rejected += j.rejected;
            }
            Err(violation) => {
                return Err(Box::new(StressFailure::Violated { violation, run, plan }))
            }
        }
    }
    report.elapsed = start.elapsed();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::byzantine::Protocol;

    #[test]
    fn random_strategies_on_real_cores_keep_agreement() {
        for protocol in [Protocol::Pbft, Protocol::Swmr] {
            let cfg =
                Config { patience: 5_000, ..Config::new(protocol, protocol.min_replicas(1), 1) };
            let r = stress(cfg, None, 40, 7).unwrap_or_else(|f| panic!("{protocol}: {f}"));
            assert_eq!(r.runs, 40);
            assert!(r.all_decided > 0, "{protocol}: {r:?}");
        }
    }

    #[test]
    fn below_the_bound_real_cores_may_disagree_but_the_bound_is_refused_without_the_flag() {
        let cfg = Config::new(Protocol::Pbft, 3, 1);
        assert!(Instance::new(cfg, &FaultPlan::default()).is_err());
    }
}
