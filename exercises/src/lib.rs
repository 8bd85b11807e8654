//! # The consensus-lab exercises
//!
//! Course exercises on wait-freedom and consensus numbers, in the Rustlings
//! spirit: each exercise is one file in `exercises/src/` with a statement (its
//! module docs), a `// TODO` body and, here, its hints and its check. Students
//! edit the file and run
//!
//! ```text
//! conlab exercise list              # the exercises, in order
//! conlab exercise check cas-n       # loom (every interleaving), then real cores
//! conlab exercise hint cas-n        # one hint at a time is enough
//! ```
//!
//! Every check goes through the lab's public harness,
//! [`consensus_lab::check::verify`]: under the loom build it model-checks the
//! exercise at the thread counts it claims (agreement, validity, no data race
//! on the announce slots, the step bound of wait-free protocols), in any other
//! build it races real threads on fresh instances. A failure prints the
//! violated property and the protocol trace of the failing execution.
//!
//! Reference solutions live in `exercises/solutions/`; the crate's tests prove
//! that every solution passes and every untouched stub fails, in both builds,
//! so the set cannot rot. Course staff add an exercise by adding a stub, a
//! solution and one entry to [`EXERCISES`].

#![warn(missing_docs)]

use consensus_lab::check::byzantine::bound::verify_smallest_n;
use consensus_lab::check::verify::{
    verify_helping, verify_ids, verify_mp_recovery, verify_values, verify_zab_recovery, Plan,
    Stage, Verdict,
};
use consensus_lab::consensus::rounds::RoundLimit;
use consensus_lab::paxos::fast::FastRules;
use consensus_lab::paxos::{
    Acceptor, FastPaxosConfig, FastPaxosConsensus, FaultPlan, PackedAcceptor, PaxosConfig,
    PaxosConsensus, Quorums,
};
use std::fmt;

pub mod add_or_set;

/// Names, files, titles and hints (shared with `conlab`, which includes it).
pub use conlab_exercise_catalog as catalog;

// The stubs: the files students edit. Unused code and `todo!()` are expected.
#[allow(unused_variables, unreachable_code, dead_code, clippy::diverging_sub_expression)]
pub mod ex01_test_and_set;
#[allow(unused_variables, unreachable_code, dead_code, clippy::diverging_sub_expression)]
pub mod ex02_queue;
#[allow(unused_variables, unreachable_code, dead_code, clippy::diverging_sub_expression)]
pub mod ex03_cas;
#[allow(unused_variables, unreachable_code, dead_code, clippy::diverging_sub_expression)]
pub mod ex04_versioned;
#[allow(unused_variables, unreachable_code, dead_code, clippy::diverging_sub_expression)]
pub mod ex05_assignment;
#[allow(unused_variables, unreachable_code, dead_code, clippy::diverging_sub_expression)]
pub mod ex06_test_and_set_3;
#[allow(unused_variables, unreachable_code, dead_code, clippy::diverging_sub_expression)]
pub mod ex07_acceptor;
#[allow(unused_variables, unreachable_code, dead_code, clippy::diverging_sub_expression)]
pub mod ex08_add_or_set;
#[allow(unused_variables, unreachable_code, dead_code, clippy::diverging_sub_expression)]
pub mod ex09_helping;
#[allow(unused_variables, unreachable_code, dead_code, clippy::diverging_sub_expression)]
pub mod ex10_fast_quorum;
#[allow(unused_variables, unreachable_code, dead_code, clippy::diverging_sub_expression)]
pub mod ex11_smallest_n;
#[allow(unused_variables, unreachable_code, dead_code, clippy::diverging_sub_expression)]
pub mod ex12_zab_recovery;
// The stub names NOOP for the student to use.
#[allow(
    unused_variables,
    unused_imports,
    unreachable_code,
    dead_code,
    clippy::diverging_sub_expression
)]
pub mod ex13_mp_recovery;

/// The reference solutions, one module per exercise, same names.
#[path = "../solutions/mod.rs"]
pub mod solutions;

/// An answer to a question an exercise asks (exercise 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// Not answered yet.
    Unanswered,
    /// C1: a read returns the most recent write of an attempt ordered before it.
    C1,
    /// C2: once an attempt has read, no attempt ordered before it writes.
    C2,
}

/// Which code to check: the student's file or the reference solution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `exercises/src/exNN_*.rs`, the file the student edits.
    Stub,
    /// `exercises/solutions/exNN_*.rs`.
    Solution,
}

/// One exercise: its catalog entry and its check.
#[derive(Debug)]
pub struct Exercise {
    /// Name, file, title, hints.
    pub info: &'static catalog::Info,
    /// Runs the checks of this build's stage on the target.
    pub check: fn(Target) -> Checked,
}

/// What a check found.
#[derive(Debug, Default)]
pub struct Checked {
    /// A sequential rule the code breaks, found before any concurrent check
    /// (then there are no verdicts).
    pub precheck: Option<String>,
    /// The harness's verdicts, one per part of the exercise.
    pub verdicts: Vec<Verdict>,
    /// A question of the exercise left unanswered or answered wrongly.
    pub question: Option<String>,
}

impl Checked {
    /// Just the harness's verdicts.
    pub fn verdicts(verdicts: Vec<Verdict>) -> Self {
        Checked { verdicts, ..Checked::default() }
    }

    /// Whether every part passed.
    pub fn passed(&self) -> bool {
        self.precheck.is_none()
            && self.question.is_none()
            && !self.verdicts.is_empty()
            && self.verdicts.iter().all(Verdict::passed)
    }
}

impl fmt::Display for Checked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(why) = &self.precheck {
            writeln!(f, "not yet: {why}")?;
        }
        self.verdicts.iter().try_for_each(|v| write!(f, "{v}"))?;
        if let Some(q) = &self.question {
            writeln!(f, "not yet: {q}")?;
        }
        Ok(())
    }
}

/// Picks the stub's or the solution's module for `$body`, which names it `ex`.
macro_rules! target {
    ($target:expr, $module:ident, $body:expr) => {
        match $target {
            Target::Stub => {
                use crate::$module as ex;
                $body
            }
            Target::Solution => {
                use crate::solutions::$module as ex;
                $body
            }
        }
    };
}

/// Stress instances per thread count (the exercises are small; the loom
/// models are the proof).
const INSTANCES: usize = 5_000;

fn plan(threads: &[usize]) -> Plan {
    Plan::new(threads).instances(INSTANCES)
}

/// Every exercise, in the order of [`catalog::CATALOG`], with its check.
pub static EXERCISES: &[Exercise] = &[
    Exercise {
        info: &catalog::TEST_AND_SET_2,
        check: |t| {
            target!(t, ex01_test_and_set, {
                Checked::verdicts(vec![verify_ids(
                    "test-and-set-2",
                    ex::TasConsensus::new,
                    &plan(&[2]),
                )])
            })
        },
    },
    Exercise {
        info: &catalog::QUEUE_2,
        check: |t| {
            target!(t, ex02_queue, {
                Checked::verdicts(vec![verify_ids("queue-2", ex::QueueConsensus::new, &plan(&[2]))])
            })
        },
    },
    Exercise {
        info: &catalog::CAS_N,
        check: |t| {
            target!(t, ex03_cas, {
                Checked::verdicts(vec![verify_ids(
                    "cas-n",
                    ex::CasConsensus::new,
                    &plan(&[2, 3, 4]),
                )])
            })
        },
    },
    Exercise {
        info: &catalog::NAIVE_VERSIONED,
        check: |t| {
            target!(t, ex04_versioned, {
                let question = match ex::BROKEN {
                    Condition::C2 => None,
                    Condition::Unanswered => Some(
                        "set BROKEN in src/ex04_versioned.rs to the condition the trace \
                             breaks first (Condition::C1 or Condition::C2)"
                            .into(),
                    ),
                    Condition::C1 => Some(
                        "BROKEN names the wrong condition: which write does the trace show \
                              landing too late, and which condition forbids it?"
                            .into(),
                    ),
                };
                // Two attempts per thread: every loom execution is finite. 3 threads
                // at ≤ 2 preemptions (exhaustive at 3 threads takes minutes).
                let build = |n| ex::VersionedConsensus::new(n, RoundLimit(Some(2)));
                let unlimited = |n| ex::VersionedConsensus::new(n, RoundLimit::UNLIMITED);
                let verdicts = if Stage::current() == Stage::Loom {
                    vec![
                        verify_ids("naive-versioned", build, &plan(&[2]).rounds_bounded()),
                        verify_ids(
                            "naive-versioned",
                            build,
                            &plan(&[3]).rounds_bounded().bounded(2),
                        ),
                    ]
                } else {
                    vec![verify_ids("naive-versioned", unlimited, &plan(&[2, 3, 4]))]
                };
                Checked { verdicts, question, precheck: None }
            })
        },
    },
    Exercise {
        info: &catalog::ASSIGNMENT_2_3,
        check: |t| {
            target!(t, ex05_assignment, {
                Checked::verdicts(vec![verify_ids(
                    "assignment-2-3",
                    ex::AssignConsensus::new,
                    &plan(&[2]),
                )])
            })
        },
    },
    Exercise {
        info: &catalog::TEST_AND_SET_3_FAILS,
        check: |t| {
            target!(t, ex06_test_and_set_3, {
                // Right for 2 threads (so the protocol is the natural one, not any
                // wrong code), wrong for 3.
                Checked::verdicts(vec![
                    verify_ids("test-and-set-3-fails, 2 threads", ex::TasThree::new, &plan(&[2])),
                    verify_ids(
                        "test-and-set-3-fails",
                        ex::TasThree::new,
                        &plan(&[3]).expect_counterexample(),
                    ),
                ])
            })
        },
    },
    Exercise {
        info: &catalog::PAXOS_ACCEPTOR,
        check: |t| {
            target!(t, ex07_acceptor, {
                if Stage::current() == Stage::Stress {
                    if let Err(why) = acceptor_rules::<ex::MyAcceptor>() {
                        return Checked { precheck: Some(why), ..Checked::default() };
                    }
                }
                Checked::verdicts(vec![
                    verify_ids("paxos-acceptor", |n| paxos::<ex::MyAcceptor>(n, 0), &paxos_plan()),
                    verify_ids(
                        "paxos-acceptor, acceptor 0 crashed",
                        |n| paxos::<ex::MyAcceptor>(n, 1),
                        &paxos_plan(),
                    ),
                ])
            })
        },
    },
    Exercise {
        info: &catalog::FETCH_AND_ADD_TEST_AND_SET,
        check: |t| {
            target!(t, ex08_add_or_set, {
                // Mixed proposals, where either bit may win; then all-false and
                // all-true, where validity leaves one answer.
                Checked::verdicts(vec![
                    verify_values(
                        "fetch-and-add-test-and-set",
                        ex::BinaryConsensus::new,
                        |t| t % 2 == 1,
                        Some(1),
                        &plan(&[2, 3, 4]),
                    ),
                    verify_values(
                        "fetch-and-add-test-and-set, all propose false",
                        ex::BinaryConsensus::new,
                        |_| false,
                        Some(1),
                        &plan(&[3]),
                    ),
                    verify_values(
                        "fetch-and-add-test-and-set, all propose true",
                        ex::BinaryConsensus::new,
                        |_| true,
                        Some(1),
                        &plan(&[3]),
                    ),
                ])
            })
        },
    },
    Exercise {
        info: &catalog::UNIVERSAL_HELPING,
        check: |t| {
            target!(t, ex09_helping, {
                Checked::verdicts(vec![verify_helping::<ex::Helping>("universal-helping")])
            })
        },
    },
    Exercise {
        info: &catalog::FAST_QUORUM,
        check: |t| {
            target!(t, ex10_fast_quorum, {
                if Stage::current() == Stage::Stress {
                    if let Err(why) = fast_quorum_formula(ex::fast_quorum) {
                        return Checked { precheck: Some(why), ..Checked::default() };
                    }
                }
                let acceptors: &[usize] =
                    if Stage::current() == Stage::Loom { &[3, 4] } else { &[3, 4, 5] };
                Checked::verdicts(
                    acceptors
                        .iter()
                        .map(|&a| {
                            verify_ids(
                                &format!("fast-quorum, {a} acceptors"),
                                move |n| fast_paxos::<ex::MyRules>(n, a),
                                &fast_plan(),
                            )
                        })
                        .collect(),
                )
            })
        },
    },
    Exercise {
        info: &catalog::BYZANTINE_SMALLEST_N,
        check: |t| {
            target!(t, ex11_smallest_n, {
                Checked::verdicts(vec![verify_smallest_n("byzantine-smallest-n", ex::smallest_n)])
            })
        },
    },
    Exercise {
        info: &catalog::ZAB_RECOVERY,
        check: |t| {
            target!(t, ex12_zab_recovery, {
                Checked::verdicts(vec![verify_zab_recovery("zab-recovery", ex::pick)])
            })
        },
    },
    Exercise {
        info: &catalog::MULTI_PAXOS_RECOVERY,
        check: |t| {
            target!(t, ex13_mp_recovery, {
                Checked::verdicts(vec![verify_mp_recovery("multi-paxos-recovery", ex::recover)])
            })
        },
    },
];

/// Fast Paxos over `acceptors` lock-free acceptors with the default phase
/// quorums and the fast quorum of rules `R`; at most 2 attempts per
/// proposer under loom.
fn fast_paxos<R: FastRules>(
    n: usize,
    acceptors: usize,
) -> Result<FastPaxosConsensus<PackedAcceptor, R>, consensus_lab::ConsensusError> {
    let mut cfg = FastPaxosConfig::new(n, acceptors)?;
    cfg.rounds = if Stage::current() == Stage::Loom { Some(2) } else { None };
    FastPaxosConsensus::new(&cfg)
}

/// 2 proposers under loom, exhaustive; 2 and 4 on real cores.
fn fast_plan() -> Plan {
    if Stage::current() == Stage::Loom {
        plan(&[2]).rounds_bounded()
    } else {
        plan(&[2, 4])
    }
}

/// Checks a fast-quorum formula for every `n` up to 63 and every phase-1
/// quorum from a majority to `n`: safe (both intersection conditions) and
/// the smallest safe size.
///
/// # Errors
/// The first `(n, phase1)` where it is unsafe or not the smallest, in words.
pub fn fast_quorum_formula(fast_quorum: fn(usize, usize) -> usize) -> Result<(), String> {
    for n in 1..=consensus_lab::paxos::MAX_ACCEPTORS {
        let phase2 = n / 2 + 1;
        for phase1 in phase2..=n {
            let f = fast_quorum(n, phase1);
            if let Err(why) = Quorums::new(n, phase1, phase2, f) {
                return Err(format!(
                    "fast_quorum({n}, {phase1}) = {f}: a quorum condition is violated with {n} \
                     acceptors and phase-1 quorums of {phase1}: {why}"
                ));
            }
            if f > phase2 && Quorums::new(n, phase1, phase2, f - 1).is_ok() {
                return Err(format!(
                    "fast_quorum({n}, {phase1}) = {f} is safe but not the smallest: {} would \
                     do (and survive one more crashed acceptor on the fast path)",
                    f - 1
                ));
            }
        }
    }
    Ok(())
}

/// Installs a panic hook that stays silent for the `todo!()` and
/// `unimplemented!()` of untouched stubs and for the harness's own signal of
/// a violated property (a panic without a message: the verdict reports
/// both), and prints every other panic as usual.
pub fn quiet_todo_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        use consensus_lab::check::panic;
        if panic::text(info.payload()).is_some_and(|m| !panic::is_todo(m)) {
            default(info);
        }
    }));
}

/// The exercise named `name`.
pub fn find(name: &str) -> Option<&'static Exercise> {
    EXERCISES.iter().find(|e| e.info.name == name)
}

/// 2 proposers (or `n`) over 3 acceptors of type `A`, the first `crashed`
/// crashed from the start, at most 2 ballots each.
fn paxos<A: Acceptor>(
    n: usize,
    crashed: usize,
) -> Result<PaxosConsensus<A>, consensus_lab::ConsensusError> {
    PaxosConsensus::new(&PaxosConfig {
        proposers: n,
        acceptors: 3,
        faults: FaultPlan::first_acceptors_crashed(crashed),
        rounds: if Stage::current() == Stage::Loom { Some(2) } else { None },
        fast_path: true,
        quorums: None,
    })
}

/// 2 proposers, exhaustive; under loom the ballots are bounded (see [`paxos`]).
fn paxos_plan() -> Plan {
    let p = plan(&[2]);
    if Stage::current() == Stage::Loom {
        p.rounds_bounded()
    } else {
        p
    }
}

/// Runs an acceptor alone against the rules of `prepare` and `accept`.
///
/// # Errors
/// The first rule it breaks, in words. A panic (a `todo!()`) is reported as
/// "not implemented yet".
#[cfg(not(loom))]
pub fn acceptor_rules<A: Acceptor>() -> Result<(), String> {
    use consensus_lab::paxos::acceptor::{Caller, Reply};
    let run = || -> Result<(), String> {
        let a = A::new();
        let who = Caller { proposer: 0, acceptor: 0 };
        let expect = |what: &str, got: Reply, want: Reply| {
            if got == want {
                Ok(())
            } else {
                Err(format!("{what}: replied {got:?}, the rules say {want:?}"))
            }
        };
        expect(
            "prepare(2) on a fresh acceptor",
            a.prepare(who, 2).reply,
            Reply::Promise { accepted: 0, value: None },
        )?;
        expect(
            "prepare(1) after promising 2",
            a.prepare(who, 1).reply,
            Reply::Nack { promised: 2 },
        )?;
        expect(
            "prepare(2) again after promising 2 (b must be strictly higher)",
            a.prepare(who, 2).reply,
            Reply::Nack { promised: 2 },
        )?;
        expect(
            "accept(1, 5) after promising 2",
            a.accept(who, 1, 5).reply,
            Reply::Nack { promised: 2 },
        )?;
        expect("accept(2, 5) after promising 2", a.accept(who, 2, 5).reply, Reply::Accepted)?;
        expect(
            "prepare(3) after accepting (2, 5)",
            a.prepare(who, 3).reply,
            Reply::Promise { accepted: 2, value: Some(5) },
        )?;
        expect("accept(4, 7) above the promise 3", a.accept(who, 4, 7).reply, Reply::Accepted)?;
        expect(
            "accept(3, 6) after accepting at 4",
            a.accept(who, 3, 6).reply,
            Reply::Nack { promised: 4 },
        )?;
        let s = a.state();
        if (s.promised, s.accepted, s.value) != (4, 4, Some(7)) {
            return Err(format!(
                "after accept(4, 7) the state should be promised 4, accepted (4, 7); it is {s:?}"
            ));
        }
        let fresh = A::new();
        expect("accept(1, 3) on a fresh acceptor", fresh.accept(who, 1, 3).reply, Reply::Accepted)?;
        Ok(())
    };
    use consensus_lab::check::verify::Failure;
    std::panic::catch_unwind(run)
        .unwrap_or_else(|p| Err(Failure::from_panic(p.as_ref()).to_string()))
}

/// Under loom the sequential rules are checked by the stress build only.
#[cfg(loom)]
pub fn acceptor_rules<A: Acceptor>() -> Result<(), String> {
    Ok(())
}
