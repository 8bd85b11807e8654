//! [`verify_zab_recovery`]: the check of a Zab recovery rule (the course
//! exercise "zab-recovery"): which history a new leader adopts from the
//! answers of its discovery majority.
//!
//! The rule is plugged into the lab's Zab ([`Zab::with_recovery_rule`]) and
//! checked, under loom, on the Zab models' shape (2 clients, each the leader
//! in turn, × 3 followers × 2 increments, the detector suspecting after 1
//! poll): the leader of slot 0 crashing after a majority acknowledged,
//! before publishing (≤ 6 preemptions), then no crash and leaders stealing
//! the lead (≤ 6; at ≤ 3, once the models got cheaper, two of the loom
//! suite's wrong rules were no longer caught). Every execution must keep Zab's six properties, be
//! linearizable and agree with its log. On real cores: 3 clients × 2,000
//! operations on a counter, 3 followers, the leader of slot 100 crashing
//! before it publishes, judged the same way.

use super::{stage, Counts, Failure, Verdict};
use crate::rsm::zab::RecoveryRule;

/// Checks recovery rule `rule` (see the module docs), in this build's stage.
pub fn verify_zab_recovery(name: &str, rule: RecoveryRule) -> Verdict {
    Verdict::from_runs(name, Counts::Clients, run(rule))
}

/// The runs, one per model, lazily (the verdict stops at a failure).
#[cfg(loom)]
fn run(rule: RecoveryRule) -> impl Iterator<Item = (usize, Result<String, Failure>)> {
    use crate::check::replicated::model::{check_audited, RsmModel};
    use crate::check::replicated::zab_properties::audit;
    use crate::objects::rmw::{WordOp, WordSpec};
    use crate::paxos::faults::{LeaderFault, LeaderStep};
    use crate::paxos::FaultPlan;
    use crate::rsm::multi_paxos::{Config, Timeout};
    use crate::rsm::zab::Zab;
    let inc = WordOp::Rmw(1);
    let model = RsmModel {
        ops: vec![vec![inc], vec![inc]],
        preemption_bound: Some(6),
        iterations: 0,
        patience: None,
    };
    let one = move |crash: bool| -> Result<String, Failure> {
        let object = move || {
            let faults = if crash {
                FaultPlan {
                    leader: vec![LeaderFault {
                        slot: 0,
                        step: LeaderStep::BeforePublish,
                        stall: None,
                    }],
                    ..FaultPlan::default()
                }
            } else {
                FaultPlan::none()
            };
            let config = Config {
                acceptors: 3,
                clients: 2,
                capacity: 2,
                timeout: Timeout::Polls(1),
                faults,
                reads: crate::rsm::multi_paxos::Reads::Log,
            };
            Zab::with_recovery_rule(WordSpec { add: true, init: 0 }, config, rule)
                .expect("the model's configuration is valid")
        };
        let what = if crash { "leader crash before publishing" } else { "false suspicions" };
        match check_audited(object, audit, &model) {
            Ok(report) => Ok(format!("{what}: {report}")),
            Err(cx) => Err(stage::model_failure(Some(what), *cx)),
        }
    };
    [true, false].into_iter().map(move |crash| (2, one(crash)))
}

/// The one run, lazily.
#[cfg(not(loom))]
fn run(rule: RecoveryRule) -> impl Iterator<Item = (usize, Result<String, Failure>)> {
    use crate::check::replicated::stress;
    use crate::check::replicated::zab_properties::audit;
    use crate::objects::rmw::{WordOp, WordSpec};
    use crate::paxos::faults::{LeaderFault, LeaderStep};
    use crate::paxos::FaultPlan;
    use crate::rsm::multi_paxos::{Config, Timeout};
    use crate::rsm::zab::Zab;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::time::Duration;
    const OPS: usize = 2_000;
    const CLIENTS: usize = 3;
    let one = move || -> Result<String, Failure> {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let faults = FaultPlan {
                leader: vec![LeaderFault {
                    slot: 100,
                    step: LeaderStep::BeforePublish,
                    stall: None,
                }],
                ..FaultPlan::default()
            };
            let config = Config {
                acceptors: 3,
                clients: CLIENTS,
                capacity: CLIENTS * OPS + 64,
                timeout: Timeout::After(Duration::from_millis(1)),
                faults,
                reads: crate::rsm::multi_paxos::Reads::Log,
            };
            let mut log = Zab::with_recovery_rule(WordSpec { add: true, init: 0 }, config, rule)
                .map_err(|e| Failure::Violation { message: e.to_string(), trace: None })?;
            let r = stress::run_audited(
                &mut log,
                OPS,
                |_, k| if k % 4 == 3 { WordOp::Read } else { WordOp::Rmw(1) },
                audit,
            );
            Ok::<_, Failure>((r, log.totals().epochs))
        }));
        let (r, epochs) = outcome.map_err(|p| Failure::from_panic(p.as_ref()))??;
        stage::stress_result("counter", r, |report| {
            Ok(format!(
                "{} operations linearizable, Zab's properties held ({}), {epochs} epochs after a \
                 leader crash",
                report.ops,
                report.properties.join(", "),
            ))
        })
    };
    std::iter::once_with(move || (CLIENTS, one()))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::rsm::zab::follower::RegionState;
    use crate::rsm::zab::highest_history;

    #[test]
    fn zab_s_rule_passes_on_real_cores() {
        let v = verify_zab_recovery("zab-recovery", highest_history);
        assert!(v.passed(), "{v}");
        assert!(v.to_string().contains("\n  3 clients: counter: "), "{v}");
    }

    #[test]
    fn a_rule_out_of_range_is_an_error_not_a_panic() {
        fn past_the_end(answers: &[RegionState]) -> usize {
            answers.len()
        }
        let v = verify_zab_recovery("zab-recovery", past_the_end);
        let (_, f) = v.failure().expect("an index past the answers fails");
        assert!(f.to_string().contains("the recovery rule picked answer 2 of 2"), "{f}");
    }
}
