//! The universal construction's models, for the loom suite and the shuttle
//! suite alike: each model is a name and a run that returns what it
//! explored (or why it failed). Every explored execution's client history
//! is checked by the linearizability checker, the log against the clients,
//! and the wait-free bound (n + 1 cells per operation) per client; the
//! broken rules must each be caught, with the history, the log and the
//! steps printed.
//!
//! The slots are the registry's protocols, by name, built for the model's
//! client count.
//!
//! **Loom.** Every correct model is preemption-bounded, its bound in its
//! name: an operation is some 12 atomic steps per cell, and 2 clients × 2
//! operations exhaustive had not finished after 25 minutes. Each bound is the
//! highest that keeps the model within seconds, and reaches the claimed
//! n + 1 cells where the model can (the 2-client ones need 3 preemptions for
//! it). Costs (executions, time) are next to each model, measured on the
//! lab's 2-vCPU machine with other builds running (load about 3.5), by
//! `LOOM_MAX_PREEMPTIONS=k` runs of the suite's `universal` filter.
//!
//! **Shuttle.** 8 clients (beyond loom's reach), PCT of depth 3, a fixed
//! seed; sequentially consistent schedules only (see `docs/src/checking.md`).

use super::model::{RsmCounterexample, RsmModel, RsmReport};
use crate::consensus::protocol::Params;
use crate::consensus::IdConsensus;
use crate::objects::queue::{QueueOp, QueueSpec};
#[cfg(all(shuttle, not(loom)))]
use crate::objects::register::{RegisterOp, RegisterSpec};
use crate::objects::rmw::{WordOp, WordSpec};
#[cfg(all(shuttle, not(loom)))]
use crate::objects::sequential::{KvOp, KvSpec, StackOp, StackSpec};
use crate::objects::Spec;
use crate::registry;
use crate::rsm::universal::broken::{EarlyReturn, NoDuplicateCheck, Unhelped};
use crate::rsm::universal::{Helping, NoHelping, Rules, Universal};

/// The seed of every shuttle scheduler: a run is reproducible.
#[cfg(all(shuttle, not(loom)))]
const SEED: u64 = 0x5eed;

pub use crate::check::suite::SuiteModel;

type Slot = Box<dyn IdConsensus + Send>;

const COUNTER: WordSpec = WordSpec { add: true, init: 0 };
const INC: WordOp = WordOp::Rmw(1);

/// A fresh universal object of `spec` over the registry protocol `slots`.
fn build<S, R>(
    spec: S,
    slots: &'static str,
    clients: usize,
    capacity: usize,
) -> impl Fn() -> Universal<S, Slot, R> + Send + Sync + 'static
where
    S: Spec + Clone + Send + Sync + 'static,
    S::Op: Sync,
    R: Rules,
{
    let entry = registry::find(slots).expect("a registry protocol");
    move || {
        Universal::new(spec.clone(), clients, capacity, || entry.build(&Params::threads(clients)))
            .expect("the model's configuration is valid")
    }
}

/// Explores in this build's world.
fn explore<S, R>(
    spec: S,
    slots: &'static str,
    capacity: usize,
    m: &RsmModel<S::Op>,
) -> Result<RsmReport, Box<RsmCounterexample>>
where
    S: Spec + Clone + Send + Sync + 'static,
    S::Op: Sync,
    R: Rules,
{
    let object = build::<S, R>(spec, slots, m.ops.len(), capacity);
    #[cfg(loom)]
    return super::model::check(object, m);
    #[cfg(all(shuttle, not(loom)))]
    return super::model::check_shuttle(object, m, SEED);
}

/// A correct model: every execution holds, the clients raced, a helping rule
/// helped somewhere, and (if `tight`) some operation reached the bound.
fn holds<S, R>(
    name: &str,
    spec: S,
    slots: &'static str,
    m: RsmModel<S::Op>,
    tight: bool,
) -> SuiteModel
where
    S: Spec + Clone + Send + Sync + 'static,
    S::Op: Sync,
    R: Rules,
{
    let label = name.to_string();
    SuiteModel {
        long: false,
        name: label.clone(),
        run: Box::new(move || {
            let capacity = m.ops.iter().map(Vec::len).sum();
            match explore::<S, R>(spec.clone(), slots, capacity, &m) {
                Ok(report) => {
                    report.raced()?;
                    if report.helped == 0 && R::HELPS {
                        return Err(format!(
                            "{label}: no execution had an operation helped: {report}"
                        ));
                    }
                    if tight {
                        report.tight()?;
                    }
                    Ok(format!("{label}: {report}"))
                }
                Err(cx) => Err(format!("{label}: {cx}")),
            }
        }),
    }
}

/// A broken rule: some execution must violate `what` (a word of the
/// violation's message).
fn caught<S, R>(name: &str, spec: S, m: RsmModel<S::Op>, what: &'static str) -> SuiteModel
where
    S: Spec + Clone + Send + Sync + 'static,
    S::Op: Sync,
    R: Rules,
{
    let label = name.to_string();
    SuiteModel {
        long: false,
        name: label.clone(),
        run: Box::new(move || {
            // Room for duplicates: a rule that helps applied operations may
            // decide each one again at every cell of its helper.
            let capacity = m.ops.len() * m.ops.iter().map(Vec::len).sum::<usize>();
            match explore::<S, R>(spec.clone(), "cas", capacity, &m) {
                Ok(r) => Err(format!("{label} is broken on purpose, but it held: {r}")),
                Err(cx) if cx.violation.is_none() => {
                    Err(format!("{label}: stopped before any violation: {cx}"))
                }
                Err(cx) if !cx.message.contains(what) => {
                    Err(format!("{label}: expected a violation of kind '{what}', got: {cx}"))
                }
                Err(cx) => Ok(format!("{label}: the counterexample was found, as it must:\n{cx}")),
            }
        }),
    }
}

fn model<Op>(
    ops: Vec<Vec<Op>>,
    preemption_bound: Option<usize>,
    iterations: usize,
) -> RsmModel<Op> {
    RsmModel { ops, preemption_bound, iterations, patience: None }
}

#[cfg(loom)]
fn queue2() -> Vec<Vec<QueueOp>> {
    vec![vec![QueueOp::Enq(1), QueueOp::Deq], vec![QueueOp::Enq(2), QueueOp::Deq]]
}

/// The loom suite's models.
#[cfg(loom)]
pub fn models() -> Vec<SuiteModel> {
    let q = QueueSpec::default();
    vec![
        // ≤ 5 preemptions: 21,706 executions, 2.4 s (≤ 6: 195,048 with joins and
        // before the head-store elision, 21 s); exhaustive did not end in 25
        // minutes.
        holds::<_, Helping>(
            "universal/cas/2x2-counter/bounded-5",
            COUNTER,
            "cas",
            model(vec![vec![INC, INC], vec![INC, INC]], Some(5), 0),
            true,
        ),
        // ≤ 5 preemptions: 21,706 executions, 2.5 s.
        holds::<_, Helping>(
            "universal/test-and-set/2x2-queue/bounded-5",
            q.clone(),
            "test-and-set",
            model(queue2(), Some(5), 0),
            true,
        ),
        // ≤ 4 preemptions: 29,965 executions, 4.9 s (≤ 5, with joins: 189,010,
        // 23 s). One
        // operation each cannot reach n + 1 = 4 cells (3 at most): not tight.
        holds::<_, Helping>(
            "universal/cas/3x1-queue/bounded-4",
            q,
            "cas",
            model(
                vec![vec![QueueOp::Enq(1)], vec![QueueOp::Enq(2)], vec![QueueOp::Deq]],
                Some(4),
                0,
            ),
            false,
        ),
        // ≤ 3 preemptions: 28,094 executions, 6.1 s (with joins, ≤ 4: 281,682,
        // 34 s; ≤ 5: 2,030,226, 275 s).
        holds::<_, Helping>(
            "universal/assignment-3/3x1-counter/bounded-3",
            COUNTER,
            "assignment-3",
            model(vec![vec![INC], vec![INC], vec![WordOp::Read]], Some(3), 0),
            false,
        ),
        // ≤ 5 preemptions: 9,687 executions, 1.2 s.
        holds::<_, NoHelping>(
            "universal-lock-free/cas/2x2-counter/bounded-5",
            COUNTER,
            "cas",
            model(vec![vec![INC, INC], vec![INC, WordOp::Read]], Some(5), 0),
            false,
        ),
        // Found in execution 50 (exhaustive search, stops at the first).
        caught::<_, Unhelped>(
            "universal-unhelped/cas/1+3-counter/counterexample",
            COUNTER,
            model(vec![vec![INC], vec![INC, INC, INC]], None, 0),
            "not wait-free",
        ),
        // Found in execution 1.
        caught::<_, NoDuplicateCheck>(
            "universal-no-duplicate-check/cas/2x2-counter/counterexample",
            COUNTER,
            model(vec![vec![INC, INC], vec![INC, INC]], None, 0),
            "linearizable",
        ),
        caught::<_, EarlyReturn>(
            "universal-early-return/cas/2x2-counter/counterexample",
            COUNTER,
            model(vec![vec![INC, INC], vec![INC, INC]], None, 0),
            "linearizable",
        ),
    ]
}

/// The shuttle suite's models, their iteration budgets multiplied by `scale`.
#[cfg(all(shuttle, not(loom)))]
pub fn models(scale: usize) -> Vec<SuiteModel> {
    let it = |n: usize| n * scale;
    let eight = |op: &dyn Fn(usize, usize) -> QueueOp| -> Vec<Vec<QueueOp>> {
        (0..8).map(|t| (0..2).map(|k| op(t, k)).collect()).collect()
    };
    let queue_ops = eight(&|t, k| if k == 0 { QueueOp::Enq(t + 1) } else { QueueOp::Deq });
    let stack_ops: Vec<Vec<StackOp>> =
        (0..8).map(|t| vec![StackOp::Push(t + 1), StackOp::Pop]).collect();
    let kv_ops: Vec<Vec<KvOp>> =
        (0..8).map(|t| vec![KvOp::Put(t % 2, t + 1), KvOp::Get((t + 1) % 2)]).collect();
    let counter8 = vec![vec![INC, INC]; 8];
    let register_ops: Vec<Vec<RegisterOp>> =
        (0..8).map(|t| vec![RegisterOp::Write(t + 1), RegisterOp::Read]).collect();
    let queue_2x4 = vec![
        vec![QueueOp::Enq(1), QueueOp::Deq, QueueOp::Enq(3), QueueOp::Deq],
        vec![QueueOp::Enq(2), QueueOp::Deq, QueueOp::Enq(4), QueueOp::Deq],
    ];
    vec![
        holds::<_, Helping>(
            "universal/cas/8x2-queue/pct-3",
            QueueSpec::default(),
            "cas",
            model(queue_ops, Some(3), it(2_000)),
            false,
        ),
        holds::<_, Helping>(
            "universal/cas/8x2-counter/pct-3",
            COUNTER,
            "cas",
            model(counter8.clone(), Some(3), it(2_000)),
            false,
        ),
        holds::<_, Helping>(
            "universal/cas/8x2-stack/pct-3",
            StackSpec,
            "cas",
            model(stack_ops, Some(3), it(1_000)),
            false,
        ),
        holds::<_, Helping>(
            "universal/cas/8x2-kv/pct-3",
            KvSpec,
            "cas",
            model(kv_ops, Some(3), it(1_000)),
            false,
        ),
        holds::<_, Helping>(
            "universal/test-and-set/2x4-queue/pct-3",
            QueueSpec::default(),
            "test-and-set",
            model(queue_2x4.clone(), Some(3), it(2_000)),
            true,
        ),
        holds::<_, Helping>(
            "universal/cas/8x2-register/pct-3",
            RegisterSpec::default(),
            "cas",
            model(register_ops, Some(3), it(1_000)),
            false,
        ),
        holds::<_, Helping>(
            "universal/swap/2x4-queue/pct-3",
            QueueSpec::default(),
            "swap",
            model(queue_2x4.clone(), Some(3), it(1_000)),
            true,
        ),
        holds::<_, Helping>(
            "universal/fetch-and-add/2x4-counter/pct-3",
            COUNTER,
            "fetch-and-add",
            model(
                vec![vec![INC, INC, WordOp::Read, INC], vec![INC, WordOp::Read, INC, INC]],
                Some(3),
                it(1_000),
            ),
            true,
        ),
        holds::<_, Helping>(
            "universal/queue/2x4-stack/pct-3",
            StackSpec,
            "queue",
            model(
                vec![
                    vec![StackOp::Push(1), StackOp::Pop, StackOp::Push(3), StackOp::Pop],
                    vec![StackOp::Push(2), StackOp::Pop, StackOp::Push(4), StackOp::Pop],
                ],
                Some(3),
                it(1_000),
            ),
            false,
        ),
        holds::<_, NoHelping>(
            "universal-lock-free/cas/8x2-counter/pct-3",
            COUNTER,
            "cas",
            model(counter8.clone(), Some(3), it(1_000)),
            false,
        ),
        caught::<_, NoDuplicateCheck>(
            "universal-no-duplicate-check/cas/8x2-counter/counterexample",
            COUNTER,
            model(counter8.clone(), Some(3), it(2_000)),
            "linearizable",
        ),
        caught::<_, EarlyReturn>(
            "universal-early-return/cas/8x2-counter/counterexample",
            COUNTER,
            model(counter8, Some(3), it(2_000)),
            "linearizable",
        ),
        caught::<_, Unhelped>(
            "universal-unhelped/cas/1+3-counter/counterexample",
            COUNTER,
            model(vec![vec![INC], vec![INC, INC, INC]], Some(3), it(2_000)),
            "not wait-free",
        ),
    ]
}
