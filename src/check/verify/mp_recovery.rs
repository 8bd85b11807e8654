//! [`verify_mp_recovery`]: the check of a Multi-Paxos recovery rule (the
//! course exercise "multi-paxos-recovery"): what a new leader proposes at
//! the slots it does not know chosen, from its phase 1 reports.
//!
//! The rule is plugged into the lab's Multi-Paxos
//! ([`MultiPaxos::with_recovery_rule`]) over packed acceptors and checked,
//! under loom, on the Multi-Paxos models' shape (2 clients, each the leader
//! in turn, × 3 acceptors × 2 increments, the detector suspecting after 1
//! poll): the leader of slot 0 crashing after a majority accepted, before
//! publishing, then no crash and leaders stealing the lead (≤ 6 preemptions
//! each: 24,615 and 42,734 executions, 2.9 s and 3.5 s on the 2-vCPU
//! machine). Every execution must be linearizable, agree with its log and
//! never choose two entries for one slot (the ghost record). On real cores:
//! 3 clients × 2,000 operations on a counter over 3 acceptors, the leader of
//! slot 100 crashing before it publishes, judged the same way.
//!
//! **Blind spot.** Rules that forget what phase 1 reported (no-ops, or
//! nothing re-proposed) are refused with a trace. A rule that ignores the
//! ballots (the first report of a slot, or the lowest-ballot one) is not:
//! with 2 leaders, each visiting the acceptors in index order, two
//! different entries never reach a promising majority at one slot in the
//! bounded model (a 3-leader model would show it, but at ≤ 3 preemptions it
//! did not finish in 8 minutes). The hints steer to the highest ballot, and
//! the solution explains why only it is safe.

use super::{stage, Counts, Failure, Verdict};
use crate::objects::rmw::WordSpec;
use crate::paxos::faults::{LeaderFault, LeaderStep};
use crate::paxos::FaultPlan;
use crate::rsm::multi_paxos::{Config, MultiPaxos, PackedMulti, Reads, RecoveryRule, Timeout};
use crate::rsm::RsmError;

/// Checks recovery rule `rule` (see the module docs), in this build's stage.
pub fn verify_mp_recovery(name: &str, rule: RecoveryRule) -> Verdict {
    Verdict::from_runs(name, Counts::Clients, run(rule))
}

/// The log the check runs: `clients` clients, a crash of slot `crash`'s
/// leader before it publishes (if any).
fn log(
    rule: RecoveryRule,
    clients: usize,
    capacity: usize,
    timeout: Timeout,
    crash: Option<usize>,
) -> Result<MultiPaxos<WordSpec, PackedMulti>, RsmError> {
    let faults = FaultPlan {
        leader: crash
            .map(|slot| LeaderFault { slot, step: LeaderStep::BeforePublish, stall: None })
            .into_iter()
            .collect(),
        ..FaultPlan::default()
    };
    let config = Config { acceptors: 3, clients, capacity, timeout, faults, reads: Reads::Log };
    MultiPaxos::with_recovery_rule(WordSpec { add: true, init: 0 }, config, rule)
}

/// The runs, one per model, lazily (the verdict stops at a failure).
#[cfg(loom)]
fn run(rule: RecoveryRule) -> impl Iterator<Item = (usize, Result<String, Failure>)> {
    use crate::check::replicated::model::{check, RsmModel};
    use crate::objects::rmw::WordOp;
    let inc = WordOp::Rmw(1);
    // (clients, a crash of slot 0's leader, the preemption bound)
    let models = [(2, Some(0), 6), (2, None, 6)];
    models.into_iter().map(move |(clients, crash, bound)| {
        let model = RsmModel {
            ops: vec![vec![inc]; clients],
            preemption_bound: Some(bound),
            iterations: 0,
            patience: None,
        };
        let object = move || {
            log(rule, clients, clients + 1, Timeout::Polls(1), crash)
                .expect("the model's configuration is valid")
        };
        let what =
            if crash.is_some() { "leader crash before publishing" } else { "false suspicions" };
        let result = match check(object, &model) {
            Ok(report) => Ok(format!("{what}: {report}")),
            Err(cx) => Err(stage::model_failure(Some(what), *cx)),
        };
        (clients, result)
    })
}

/// The one run, lazily.
#[cfg(not(loom))]
fn run(rule: RecoveryRule) -> impl Iterator<Item = (usize, Result<String, Failure>)> {
    use crate::check::replicated::stress;
    use crate::objects::rmw::WordOp;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::time::Duration;
    const OPS: usize = 2_000;
    const CLIENTS: usize = 3;
    let one = move || -> Result<String, Failure> {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let timeout = Timeout::After(Duration::from_millis(1));
            let mut log = log(rule, CLIENTS, CLIENTS * OPS + 64, timeout, Some(100))
                .map_err(|e| Failure::Violation { message: e.to_string(), trace: None })?;
            let r =
                stress::run(
                    &mut log,
                    OPS,
                    |_, k| if k % 4 == 3 { WordOp::Read } else { WordOp::Rmw(1) },
                );
            let takeovers = log.totals().takeovers;
            Ok::<_, Failure>((r, takeovers))
        }));
        let (r, takeovers) = outcome.map_err(|p| Failure::from_panic(p.as_ref()))??;
        stage::stress_result("counter", r, |report| {
            Ok(format!(
                "{} operations linearizable, the log agrees, {takeovers} terms claimed after a \
                 leader crash",
                report.ops,
            ))
        })
    };
    std::iter::once_with(move || (CLIENTS, one()))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::rsm::multi_paxos::recovery::{highest_ballot, Report};

    #[test]
    fn paxos_s_rule_passes_on_real_cores() {
        let v = verify_mp_recovery("multi-paxos-recovery", highest_ballot);
        assert!(v.passed(), "{v}");
        assert!(v.to_string().contains("\n  3 clients: counter: "), "{v}");
    }

    #[test]
    fn an_invented_entry_is_an_error_not_a_panic() {
        fn invents(_: usize, reports: &[Report]) -> Vec<u64> {
            reports.iter().map(|_| u64::MAX >> 20).collect()
        }
        let v = verify_mp_recovery("multi-paxos-recovery", invents);
        let (_, f) = v.failure().expect("an invented entry is refused");
        assert!(!f.to_string().contains("panicked"), "{f}");
    }
}
