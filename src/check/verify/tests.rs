//! The harness's own tests, on the real-core stage.

use super::*;
use crate::consensus::cas::CasConsensus;
use crate::consensus::Progress;

struct Todo;
impl IdConsensus for Todo {
    fn threads(&self) -> usize {
        2
    }
    fn decide_id(&self, _me: usize) -> Result<usize, ConsensusError> {
        todo!("decide_id")
    }
    fn progress(&self) -> Progress {
        Progress::WaitFree { steps: 1 }
    }
}

struct Selfish;
impl IdConsensus for Selfish {
    fn threads(&self) -> usize {
        4
    }
    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        Ok(me)
    }
    fn progress(&self) -> Progress {
        Progress::WaitFree { steps: 0 }
    }
}

#[test]
fn a_correct_protocol_passes_at_every_count() {
    let v = verify_ids("cas", |n| Ok(CasConsensus::new(n)), &Plan::new(&[2, 3]).instances(500));
    assert!(v.passed(), "{v}");
    assert_eq!(v.outcomes.len(), 2);
    assert!(v.to_string().contains("cas (stress on real cores): passed"), "{v}");
}

#[test]
fn a_todo_is_reported_as_unimplemented_without_hanging() {
    let v = verify_ids("todo", |_| Ok(Todo), &Plan::new(&[2]).instances(200));
    assert!(matches!(v.failure(), Some((2, Failure::Unimplemented(_)))), "{v}");
    assert!(v.to_string().contains("not implemented yet"), "{v}");
}

#[test]
fn a_wrong_protocol_fails_with_the_violated_property() {
    let v = verify_ids("selfish", |_| Ok(Selfish), &Plan::new(&[2, 4]).instances(100));
    assert_eq!(v.outcomes.len(), 1, "checking stops at the first failure");
    assert!(v.to_string().contains("agreement violated"), "{v}");
}

#[test]
fn a_build_error_is_a_failure() {
    let v = verify_ids(
        "too-many",
        crate::consensus::first_mover::TestAndSetConsensus::new,
        &Plan::new(&[3]),
    );
    assert!(matches!(v.failure(), Some((3, Failure::Build(_)))), "{v}");
}

#[test]
fn empty_or_impossible_plans_are_failures_not_passes() {
    let cas = |n| Ok(CasConsensus::new(n));
    for plan in [Plan::new(&[]), Plan::new(&[0, 2]), Plan::new(&[2]).rounds_bounded()] {
        let v = verify_ids("cas", cas, &plan);
        assert!(matches!(v.failure(), Some((_, Failure::Build(_)))), "{plan:?}: {v}");
    }
}

#[test]
fn a_constant_answer_fails_validity_when_nobody_proposes_it() {
    struct AlwaysFalse;
    impl Consensus<bool> for AlwaysFalse {
        fn threads(&self) -> usize {
            3
        }
        fn decide(&self, _id: usize, _value: bool) -> Result<&bool, ConsensusError> {
            Ok(&false)
        }
    }
    let v =
        verify_values("false", |_| Ok(AlwaysFalse), |_| true, None, &Plan::new(&[3]).instances(50));
    assert!(v.to_string().contains("validity violated"), "{v}");
}

#[test]
fn values_are_checked_directly() {
    use crate::consensus::Proposals;
    let v = verify_values(
        "bits",
        |n| Ok(Proposals::new(CasConsensus::new(n))),
        |t| t % 2 == 1,
        None,
        &Plan::new(&[2, 3]).instances(300),
    );
    assert!(v.passed(), "{v}");
}

#[test]
fn verify_helping_passes_herlihys_rule_on_real_cores() {
    let good = super::verify_helping::<crate::rsm::universal::Helping>("helping");
    assert!(good.passed(), "{good}");
    assert_eq!(good.outcomes.iter().map(|o| o.threads).collect::<Vec<_>>(), [2, 4]);
    assert!(good.to_string().contains("\n  4 threads: counter: "), "{good}");
}

#[test]
fn from_runs_stops_at_the_first_failure_and_says_what_it_counts() {
    let mut ran = Vec::new();
    let runs = [3, 4, 5].into_iter().map(|n| {
        ran.push(n);
        let result =
            if n == 4 { Err(Failure::Unimplemented("x".into())) } else { Ok("held".into()) };
        (n, result)
    });
    let v = Verdict::from_runs("pbft", Counts::Replicas, runs);
    assert_eq!(ran, [3, 4], "no run after the first failure");
    assert_eq!(v.outcomes.len(), 2);
    let text = v.to_string();
    assert!(text.starts_with("pbft (stress on real cores): FAILED at 4 replicas\n"), "{text}");
    assert!(text.contains("\n  3 replicas: held\n  4 replicas: not implemented yet"), "{text}");
}
