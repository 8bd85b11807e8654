//! The Byzantine scenarios as suite models, for the loom suite and the
//! shuttle suite alike (see `loom-tests/tests/loom/byzantine.rs` and
//! `shuttle-tests/`): each a name and a run that returns what it explored,
//! or why it failed.
//!
//! **Loom.** Each model is preemption-bounded, its bound in its name and its
//! cost beside it in [`loom_bound`], measured on the lab's 2-vCPU machine
//! with two other builds running. A correct scenario must hold in every
//! execution and have some execution where every honest replica decided
//! (and, for a view-change scenario, one that decided after a view change):
//! otherwise it tested nothing and fails as INCONCLUSIVE. A below-bound
//! scenario must be caught, its trace printed.
//!
//! **Shuttle.** Random schedules; each iteration draws the Byzantine
//! replica and its strategy from the iteration number, so one model covers
//! every strategy in every position.

use super::{Expect, Scenario};

/// One model of the suite.
pub struct SuiteModel {
    /// The test's name.
    pub name: String,
    /// Runs it: what it explored, or why it failed.
    pub run: Box<dyn Fn() -> Result<String, String> + Send + Sync>,
    /// Too long for CI: an ignored test (`-- --ignored` runs it).
    pub long: bool,
}

impl std::fmt::Debug for SuiteModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuiteModel").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Judges what a model world explored against what the scenario must show.
fn verdict(s: &Scenario, explored: Result<(String, u64, u64), String>) -> Result<String, String> {
    match (s.expect, explored) {
        (Expect::Caught, Ok((report, _, _))) => {
            Err(format!("{}: below the bound, but no violation found: {report}", s.name))
        }
        (Expect::Caught, Err(cx)) => Ok(format!("{}: caught, as it must be: {cx}", s.name)),
        (_, Err(cx)) => Err(format!("{}: {cx}", s.name)),
        (_, Ok((report, 0, _))) => Err(format!(
            "{}: INCONCLUSIVE: no execution had every honest replica decide: {report}",
            s.name
        )),
        (Expect::ViewChange, Ok((report, _, 0))) => Err(format!(
            "{}: INCONCLUSIVE: no execution decided after a view change: {report}",
            s.name
        )),
        (_, Ok((report, _, _))) => Ok(format!("{}: {report}", s.name)),
    }
}

/// The preemption bound of each scenario under loom. Costs (executions,
/// time) on the 2-vCPU machine with two other builds running:
///
/// * swmr/3, ≤ 2: equivocating primary 10,423 (1.3 s), lying backup 70,797
///   (8.6 s), forging backup 81,349 (10.2 s), silent primary 1,641 (0.2 s);
///   swmr/2 below the bound caught at execution 72.
/// * pbft/4, ≤ 0: equivocating primary 37, lying backup 27, forging backup 1
///   (each under 15 ms). At ≤ 1 none finished within 90 s: every yield of a
///   waiting replica is a free scheduling choice, and four replicas polling
///   n logs each multiply them. pbft/3 below the bound, ≤ 1: caught.
/// * pbft/4 view changes (silent or equivocating primary), ≤ 0: did not
///   finish within 4 minutes; ignored tests (the long suite). The PBFT view
///   change is checked by shuttle and the real-core stress instead.
#[cfg(loom)]
pub fn loom_bound(name: &str) -> Option<usize> {
    match name {
        n if n.starts_with("swmr") => Some(2),
        n if n.starts_with("pbft/3") => Some(1),
        _ => Some(0),
    }
}

/// The loom models.
#[cfg(loom)]
pub fn models() -> Vec<SuiteModel> {
    super::scenarios()
        .into_iter()
        .map(|s| {
            let bound = loom_bound(s.name);
            let name = match bound {
                Some(b) => format!("byzantine/{}/bounded-{b}", s.name),
                None => format!("byzantine/{}/exhaustive", s.name),
            };
            let long = s.name.starts_with("pbft/4") && s.name.contains("view-change");
            SuiteModel {
                name,
                long,
                run: Box::new(move || {
                    let explored = super::model::explore(&s, bound)
                        .map(|r| (r.to_string(), r.all_decided, r.view_changes))
                        .map_err(|cx| cx.to_string());
                    verdict(&s, explored)
                }),
            }
        })
        .collect()
}

/// The shuttle models: `iterations` random schedules each, times `scale`.
#[cfg(all(shuttle, not(loom)))]
pub fn models(scale: usize) -> Vec<SuiteModel> {
    super::shuttle::scenarios()
        .into_iter()
        .map(|(s, random, iterations)| SuiteModel {
            long: false,
            name: format!("byzantine/{}/random-{}", s.name, iterations * scale),
            run: Box::new(move || {
                verdict(&s, super::shuttle::explore(&s, iterations * scale, random))
            }),
        })
        .collect()
}
