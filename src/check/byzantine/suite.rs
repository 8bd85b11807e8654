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

pub use crate::check::suite::SuiteModel;

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

/// The preemption bound of each scenario under loom. Under loom a replica
/// that polled and found nothing new blocks on the board's doorbell
/// (`byzantine::board`) until a record arrives for it or the model's clock
/// ticks (every live replica waiting with nothing new), instead of yielding:
/// a waiting replica is then no scheduling choice, a poll re-reads only the
/// logs that grew, and a broadcast wakes its readers once. That is what made
/// PBFT with 4 replicas tractable (before it, ≤ 1 did not finish in 90 s and
/// the view-change models did not finish at ≤ 0 in 4 minutes).
///
/// Costs (executions, time), release build, on the lab's 2-vCPU AMD EPYC KVM
/// machine with other builds running (load average 4.6 to 6.5), measured
/// with `target/loom/release/deps/loom-* --test-threads 1 byzantine/`:
///
/// * pbft/4, ≤ 1: equivocating primary 1,127 (0.4 s), lying backup 11,597
///   (2.6 s), forging backup 13,748 (6.2 s), silent primary with view change
///   21,960 (9.6 s, all 21,942 decided after the view change). ≤ 2 costs
///   too much for CI: the equivocating primary alone took 865,931
///   executions (213 s, measured before a broadcast woke its readers once).
/// * pbft/4 splitting primary (every backup shown another request, so no
///   value gathers 2f+1 prepares and the view must change): ≤ 0, 1
///   execution (0.3 ms); ≤ 1 is an ignored test ([`loom_long`]): 642,478
///   executions, 497 s, every one deciding after the view change. It costs
///   thirty times the silent primary's because the primary's thread writes
///   3n records that every replica reacts to, where a silent one has no
///   thread at all.
/// * pbft/3 below the bound, ≤ 1: caught at execution 6.
/// * swmr/3, ≤ 2: equivocating primary 1,977 (0.3 s), lying backup 4,053
///   (0.6 s), forging backup 5,519 (0.8 s), silent primary 533 (64 ms);
///   swmr/2 below the bound caught at execution 105. (≤ 3: 82,713, 127,527,
///   218,366 and 5,660 executions, 61 s together: past the CI budget.)
#[cfg(loom)]
pub fn loom_bound(name: &str) -> Option<usize> {
    match name {
        n if n.starts_with("swmr") => Some(2),
        n if n.starts_with("pbft/4/splitting") => Some(0),
        _ => Some(1),
    }
}

/// The scenarios loom also checks at a higher bound than [`loom_bound`]'s,
/// too long for CI (ignored tests: `-- --ignored` runs them); each with its
/// bound.
#[cfg(loom)]
pub fn loom_long(name: &str) -> Option<usize> {
    match name {
        n if n.starts_with("pbft/4/splitting") => Some(1),
        _ => None,
    }
}

/// The loom models: each scenario at its [`loom_bound`], and at its
/// [`loom_long`] bound as an ignored test.
#[cfg(loom)]
pub fn models() -> Vec<SuiteModel> {
    let model = |s: Scenario, bound: Option<usize>, long: bool| {
        let name = match bound {
            Some(b) => format!("byzantine/{}/bounded-{b}", s.name),
            None => format!("byzantine/{}/exhaustive", s.name),
        };
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
    };
    let mut list = Vec::new();
    for s in super::scenarios() {
        if let Some(b) = loom_long(s.name) {
            list.push(model(s.clone(), Some(b), true));
        }
        let bound = loom_bound(s.name);
        list.push(model(s, bound, false));
    }
    list
}

/// The shuttle models: `iterations` random schedules each, times `scale`.
#[cfg(all(shuttle, not(loom)))]
pub fn models(scale: usize) -> Vec<SuiteModel> {
    super::shuttle::scenarios()
        .into_iter()
        .map(|(s, random, sched, iterations)| SuiteModel {
            long: false,
            name: format!(
                "byzantine/{}/{}-{}",
                s.name,
                match sched {
                    super::shuttle::Sched::Random => "random".to_string(),
                    super::shuttle::Sched::Pct(d) => format!("pct{d}"),
                },
                iterations * scale
            ),
            run: Box::new(move || {
                verdict(&s, super::shuttle::explore(&s, iterations * scale, random, sched))
            }),
        })
        .collect()
}
