//! The check of the exercise "the smallest n for f = 1 under each model":
//! a claimed smallest replica count is checked by running the protocol, at
//! the claim and one below it.
//!
//! For each protocol (PBFT over mailboxes, votes over single-writer logs),
//! with `n` the claim for f = 1:
//!
//! * **At n the protocol must hold**: under loom, the lab's model of the
//!   protocol's equivocating primary at n replicas (every interleaving
//!   within the suite's bound for that protocol, `suite::loom_bound`);
//!   under shuttle, its random-strategy model; on real cores, instances
//!   with a Byzantine replica and strategy drawn per run. Agreement and
//!   validity among the honest replicas in every execution, and some
//!   execution where all decided.
//! * **At n − 1 it must break**: under loom and shuttle, the lab's
//!   below-bound model at n − 1 replicas (PBFT: an equivocating primary;
//!   single-writer: a timing attack among honest replicas) must find honest
//!   replicas deciding differently, and the trace is printed. Real cores
//!   cannot be made to take the one schedule that shows it, so the stress
//!   build checks the quorum-intersection argument the model checker
//!   shows: with n − 1 replicas two quorums of n − 1 − f meet in fewer
//!   replicas than the model needs (f + 1 under equivocation, so that one
//!   is honest; one with single-writer logs, which show everyone the same).

use super::{Expect, Scenario};
use crate::byzantine::{Behaviour, Byzantine, Config, Protocol};
use crate::check::verify::{Counts, Failure, Verdict};
use crate::paxos::FaultPlan;

/// The largest claim checked (loom explores small models only; f = 1 needs
/// far fewer).
const MOST: usize = 8;

fn scenario(protocol: Protocol, replicas: usize, expect: Expect) -> Scenario {
    let plan = match (protocol, expect) {
        // n = 2f single-writer: no Byzantine replica needed, only timing.
        (Protocol::Swmr, Expect::Caught) => FaultPlan::default(),
        _ => FaultPlan {
            byzantine: vec![Byzantine { who: 0, behaviour: Behaviour::Equivocate }],
            ..FaultPlan::default()
        },
    };
    let cfg = Config {
        patience: 1,
        max_views: 1,
        below_bound: true,
        ..Config::new(protocol, replicas, 1)
    };
    let name = match expect {
        Expect::Caught => "below the claim",
        _ => "at the claim",
    };
    Scenario { name, cfg, plan, expect }
}

/// Runs `s` in this build's world: `(what it saw, all decided, view changes)`
/// or the violation with its trace.
fn run(s: &Scenario) -> Result<(String, u64, u64), String> {
    #[cfg(loom)]
    {
        let bound = super::suite::loom_bound(if s.cfg.protocol == Protocol::Pbft {
            "pbft/4/equivocating-primary"
        } else {
            "swmr/3/equivocating-primary"
        });
        super::model::explore(s, bound)
            .map(|r| (r.to_string(), r.all_decided, r.view_changes))
            .map_err(|cx| cx.to_string())
    }
    #[cfg(all(shuttle, not(loom)))]
    {
        use super::shuttle::{explore, Sched};
        let (sched, iterations) = match (s.cfg.protocol, s.expect) {
            (Protocol::Swmr, Expect::Caught) => (Sched::Pct(3), 1000),
            _ => (Sched::Random, 300),
        };
        explore(s, iterations, s.expect != Expect::Caught, sched)
    }
    #[cfg(not(any(loom, shuttle)))]
    {
        // Two quorums of q among m replicas share at least 2q − m.
        let m = s.cfg.replicas;
        let q = m - s.cfg.f;
        let shared = (2 * q).saturating_sub(m);
        let need = match s.cfg.protocol {
            Protocol::Pbft => s.cfg.f + 1,
            Protocol::Swmr => 1,
        };
        let why = if need > 1 { "one of them honest" } else { "one log everyone reads" };
        if shared < need {
            return Err(format!(
                "agreement violated in principle: with {m} replicas two quorums of {q} may \
                 share only {shared} replica(s), and {need} are needed ({why}); the model \
                 checker shows the execution (`cargo xtask test` runs this exercise under loom)"
            ));
        }
        if s.expect == Expect::Caught {
            return Ok((format!("two quorums of {q} among {m} share {shared} ≥ {need}"), 1, 0));
        }
        let cfg = Config { patience: 5_000, below_bound: true, ..s.cfg };
        super::stress::stress(cfg, None, 40, 7)
            .map(|r| {
                let text = format!(
                    "{} runs with a random Byzantine replica and strategy, {} with every honest \
                     replica decided",
                    r.runs, r.all_decided
                );
                (text, r.all_decided, r.view_changes)
            })
            .map_err(|f| f.to_string())
    }
}

/// One protocol's part: the claim `n` at f = 1, then n − 1.
fn check(protocol: Protocol, n: usize) -> Result<String, Failure> {
    let violation = |message: String| Failure::Violation { message, trace: None };
    if !(2..=MOST).contains(&n) {
        return Err(violation(format!(
            "smallest_n({protocol}, 1) = {n}: the check runs {protocol} with 2 to {MOST} replicas \
             (with n = 1 there is no one to agree with)"
        )));
    }
    let at = scenario(protocol, n, Expect::Holds);
    let seen = match run(&at) {
        Err(cx) => {
            return Err(violation(format!(
                "smallest_n({protocol}, 1) = {n} is too small: with {n} replicas and one \
                 Byzantine, {cx}"
            )))
        }
        Ok((report, 0, _)) => {
            return Err(violation(format!(
                "with {n} replicas no execution had every honest replica decide ({report}): \
                 quorums of n − f = {} cannot form",
                n - 1
            )))
        }
        Ok((report, _, _)) => report,
    };
    let below = scenario(protocol, n - 1, Expect::Caught);
    match run(&below) {
        Ok((report, _, _)) => Err(violation(format!(
            "smallest_n({protocol}, 1) = {n} is safe but not the smallest: with {} replicas \
             nothing broke either ({report})",
            n - 1
        ))),
        Err(cx) => {
            Ok(format!("{n} replicas hold ({seen}); {} replicas break, as they must: {cx}", n - 1))
        }
    }
}

/// Checks `smallest_n` (the fewest replicas that tolerate `f` Byzantine ones
/// under a protocol) at f = 1 for both protocols, by running them at the
/// claim and one below; one outcome per protocol, its count the claim (replicas).
pub fn verify_smallest_n(name: &str, smallest_n: fn(Protocol, usize) -> usize) -> Verdict {
    let runs =
        [Protocol::Pbft, Protocol::Swmr].into_iter().map(
            |protocol| match std::panic::catch_unwind(|| smallest_n(protocol, 1)) {
                Err(p) => (0, Err(Failure::from_panic(p.as_ref()))),
                Ok(n) => (n, check(protocol, n)),
            },
        );
    Verdict::from_runs(name, Counts::Replicas, runs)
}
