//! The universal construction's loom models: every explored execution's
//! client history is checked by the linearizability checker, the log against
//! the clients, and the wait-free bound (n + 1 cells per operation) per
//! client; the broken rules must each be caught.
//!
//! The slots are the registry's protocols, by name, built for the model's
//! client count. Every correct model is preemption-bounded, its bound in its
//! name: an operation is some 12 atomic steps per cell, and 2 clients × 2
//! operations exhaustive had not finished after 25 minutes. Each bound is the
//! highest that keeps the model within seconds, and reaches the claimed
//! n + 1 cells where the model can (the 2-client ones need 3 preemptions for
//! it). Costs (executions, time) are next to each model, measured on the
//! lab's 2-vCPU machine with other builds running (load about 3.5), by
//! `LOOM_MAX_PREEMPTIONS=k` runs of the suite's `universal` filter.

use consensus_lab::check::replicated::loom::{check, find_counterexample, RsmModel};
use consensus_lab::consensus::protocol::Params;
use consensus_lab::consensus::IdConsensus;
use consensus_lab::objects::queue::{QueueOp, QueueSpec};
use consensus_lab::objects::rmw::{WordOp, WordSpec};
use consensus_lab::objects::Spec;
use consensus_lab::registry;
use consensus_lab::rsm::universal::broken::{EarlyReturn, NoDuplicateCheck, Unhelped};
use consensus_lab::rsm::universal::{Helping, NoHelping, Rules, Universal};
use libtest_mimic::{Failed, Trial};

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

fn holds<S, R>(name: String, spec: S, slots: &'static str, m: RsmModel<S::Op>, tight: bool) -> Trial
where
    S: Spec + Clone + Send + Sync + 'static,
    S::Op: Sync,
    R: Rules,
{
    Trial::test(name.clone(), move || {
        let clients = m.ops.len();
        let capacity = m.ops.iter().map(Vec::len).sum();
        match check(build::<S, R>(spec, slots, clients, capacity), &m) {
            Ok(report) => {
                println!("{name}: {report}");
                report.raced()?;
                if report.helped == 0 && R::HELPS {
                    return Err(format!("{name}: no execution had an operation helped").into());
                }
                if tight {
                    report.tight()?;
                }
                Ok(())
            }
            Err(cx) => Err(Failed::from(format!("{name}: {cx}"))),
        }
    })
}

fn caught<S, R>(name: String, spec: S, m: RsmModel<S::Op>, what: &'static str) -> Trial
where
    S: Spec + Clone + Send + Sync + 'static,
    S::Op: Sync,
    R: Rules,
{
    Trial::test(name.clone(), move || {
        let clients = m.ops.len();
        // Room for duplicates: a broken rule may decide one operation twice.
        let capacity = 2 * m.ops.iter().map(Vec::len).sum::<usize>();
        match find_counterexample(build::<S, R>(spec, "cas", clients, capacity), &m) {
            Ok(cx) => {
                println!("{name}: loom found the counterexample, as it must:\n{cx}");
                if !cx.message.contains(what) {
                    return Err(format!(
                        "{name}: expected a violation of kind '{what}', got: {cx}"
                    )
                    .into());
                }
                Ok(())
            }
            Err(why) => Err(format!("{name} is broken on purpose, but {why}").into()),
        }
    })
}

fn model<Op>(ops: Vec<Vec<Op>>, preemption_bound: Option<usize>) -> RsmModel<Op> {
    RsmModel { ops, preemption_bound }
}

pub(crate) fn trials() -> Vec<Trial> {
    let queue = QueueSpec::default();
    vec![
        holds::<_, Helping>(
            "universal/cas/2x2-counter/bounded-5".into(),
            COUNTER,
            "cas",
            // ≤ 5 preemptions: 22,829 executions, 2.7 s (≤ 6: 195,048 before the
            // head-store elision, 21 s); exhaustive did not end in 25 minutes.
            model(vec![vec![INC, INC], vec![INC, INC]], Some(5)),
            true,
        ),
        holds::<_, Helping>(
            "universal/test-and-set/2x2-queue/bounded-5".into(),
            queue.clone(),
            "test-and-set",
            // ≤ 5 preemptions: 22,829 executions, 2.6 s.
            model(
                vec![vec![QueueOp::Enq(1), QueueOp::Deq], vec![QueueOp::Enq(2), QueueOp::Deq]],
                Some(5),
            ),
            true,
        ),
        holds::<_, Helping>(
            "universal/cas/3x1-queue/bounded-4".into(),
            queue.clone(),
            "cas",
            // ≤ 4 preemptions: 42,087 executions, 4.7 s (≤ 5: 189,010, 23 s). One
            // operation each cannot reach n + 1 = 4 cells (3 at most): not tight.
            model(vec![vec![QueueOp::Enq(1)], vec![QueueOp::Enq(2)], vec![QueueOp::Deq]], Some(4)),
            false,
        ),
        holds::<_, Helping>(
            "universal/assignment-3/3x1-counter/bounded-3".into(),
            COUNTER,
            "assignment-3",
            // ≤ 3 preemptions: 34,626 executions, 5.4 s (≤ 4: 281,682, 34 s; ≤ 5:
            // 2,030,226, 275 s).
            model(vec![vec![INC], vec![INC], vec![WordOp::Read]], Some(3)),
            false,
        ),
        holds::<_, NoHelping>(
            "universal-lock-free/cas/2x2-counter/bounded-5".into(),
            COUNTER,
            "cas",
            // ≤ 5 preemptions: 10,444 executions, 0.8 s.
            model(vec![vec![INC, INC], vec![INC, WordOp::Read]], Some(5)),
            false,
        ),
        caught::<_, Unhelped>(
            "universal-unhelped/cas/1+3-counter/counterexample".into(),
            COUNTER,
            model(vec![vec![INC], vec![INC, INC, INC]], None),
            "not wait-free",
        ),
        caught::<_, NoDuplicateCheck>(
            "universal-no-duplicate-check/cas/2x2-counter/counterexample".into(),
            COUNTER,
            model(vec![vec![INC, INC], vec![INC, INC]], None),
            "linearizable",
        ),
        caught::<_, EarlyReturn>(
            "universal-early-return/cas/2x2-counter/counterexample".into(),
            COUNTER,
            model(vec![vec![INC, INC], vec![INC, INC]], None),
            "linearizable",
        ),
    ]
}
