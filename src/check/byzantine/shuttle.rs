//! The Byzantine scenarios under shuttle's random scheduler: many random
//! schedules, and in the random-strategy models a Byzantine replica and a
//! strategy drawn per iteration (from a seeded generator: a run replays).
//!
//! A violation panics inside the iteration; shuttle reports the failing
//! schedule and re-raises, and the model returns the violation with the
//! protocol trace of that iteration. Shuttle's atomics are sequentially
//! consistent: these models find interleaving bugs, never ordering bugs.

use super::{execute, judge, Expect, Scenario, Violation};
use crate::byzantine::{Behaviour, Byzantine, Config, Protocol};
use crate::paxos::FaultPlan;
use crate::trace::{self, Trace};
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The seed of every scheduler and strategy draw.
const SEED: u64 = 0x5eed;

// Shuttle runs every task of an iteration on the OS thread that called it,
// so these thread locals are the run's, and shuttle does not schedule
// around them.
std::thread_local! {
    static FOUND: RefCell<Option<(Violation, Trace, String)>> = const { RefCell::new(None) };
    /// Iterations, all decided, decided after a view change.
    static COUNTS: Cell<[u64; 3]> = const { Cell::new([0; 3]) };
    static RNG: RefCell<fastrand::Rng> = const { RefCell::new(fastrand::Rng::with_seed(SEED)) };
}

fn count(i: usize, yes: bool) {
    COUNTS.with(|c| {
        let mut v = c.get();
        v[i] += u64::from(yes);
        c.set(v);
    });
}

/// Every strategy a random model draws from (crash points 0..=4).
fn draw(k: u64) -> Behaviour {
    match k % 7 {
        0 => Behaviour::Silent,
        1 => Behaviour::Equivocate,
        2 => Behaviour::Split,
        3 => Behaviour::Lie,
        4 => Behaviour::Replay,
        5 => Behaviour::Forge,
        _ => Behaviour::CrashAfter((k / 7 % 5) as usize),
    }
}

/// Which of shuttle's schedulers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sched {
    /// Uniformly random: any runnable thread at every step.
    Random,
    /// PCT (Burckhardt et al., ASPLOS 2010) of this depth: random thread
    /// priorities, the highest runnable one runs, lowered at depth − 1
    /// random steps (and at a yield), so one thread may run alone for long:
    /// what a bug needing one replica far ahead of another needs.
    Pct(usize),
}

impl std::fmt::Display for Sched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sched::Random => f.write_str("random"),
            Sched::Pct(d) => write!(f, "PCT-{d}"),
        }
    }
}

/// Runs `iterations` schedules of `s` under `scheduler`; with `random`, each iteration
/// replaces the plan by one Byzantine replica and strategy drawn from a
/// seeded generator. `(summary, all decided, after a view change)`, or the
/// violation with its trace.
pub fn explore(
    s: &Scenario,
    iterations: usize,
    random: bool,
    scheduler: Sched,
) -> Result<(String, u64, u64), String> {
    FOUND.with(|f| *f.borrow_mut() = None);
    COUNTS.with(|c| c.set([0; 3]));
    RNG.with(|r| *r.borrow_mut() = fastrand::Rng::with_seed(SEED));
    let scenario = s.clone();
    let body = move || {
        let k = COUNTS.with(Cell::get)[0];
        count(0, true);
        let mut s = scenario.clone();
        let mut label = format!("the scenario's plan, iteration {k}");
        if random {
            let (who, behaviour) = RNG.with(|r| {
                let mut r = r.borrow_mut();
                (r.usize(..s.cfg.replicas), draw(r.u64(..)))
            });
            label = format!("replica {who} {behaviour} (iteration {k})");
            s.plan =
                FaultPlan { byzantine: vec![Byzantine { who, behaviour }], ..FaultPlan::default() };
        }
        trace::start();
        match judge(&s.cfg, &execute(&s)) {
            Ok(j) => {
                count(1, j.all_decided());
                count(2, j.decided > 0 && j.decided_view > 0);
            }
            Err(v) => {
                FOUND.with(|f| *f.borrow_mut() = Some((v.clone(), trace::snapshot(), label)));
                panic!("{v}");
            }
        }
    };
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    config.silence_warnings = true;
    let outcome = catch_unwind(AssertUnwindSafe(|| match scheduler {
        Sched::Random => {
            let scheduler = shuttle::scheduler::RandomScheduler::new_from_seed(SEED, iterations);
            shuttle::Runner::new(scheduler, config).run(body)
        }
        Sched::Pct(depth) => {
            let scheduler =
                shuttle::scheduler::PctScheduler::new_from_seed(SEED, depth, iterations);
            shuttle::Runner::new(scheduler, config).run(body)
        }
    }));
    if let Some((v, trace, label)) = FOUND.with(|f| f.borrow_mut().take()) {
        return Err(format!("{v} ({label})\n{trace}"));
    }
    if let Err(payload) = outcome {
        let text = crate::check::panic::text(payload.as_ref()).unwrap_or("a panic");
        return Err(format!("shuttle: {text}"));
    }
    let [runs, decided, views] = COUNTS.with(Cell::get);
    let report = format!(
        "{runs} {scheduler} schedules{}, {decided} with every honest replica decided, {views} deciding after a view change",
        if random { " and strategies" } else { "" }
    );
    Ok((report, decided, views))
}

/// The shuttle models' scenarios: one random-strategy scenario per
/// protocol, and the two below-bound ones; with whether strategies are
/// drawn per iteration, the scheduler, and the iterations (before scaling).
///
/// The single-writer n = 2f needs replica 1 to time out and decide alone
/// before replica 0's vote reaches it: replica 1 runs from its timeout to its
/// decision between two steps of replica 0, a long run of one thread that a
/// uniformly random schedule rarely gives (none of 5,000 did), but PCT does:
/// at depth 3 its two priority changes are the two switches (found at
/// iteration 7: `docs/src/byzantine.md`).
pub fn scenarios() -> Vec<(Scenario, bool, Sched, usize)> {
    let random = |name, cfg: Config| Scenario {
        name,
        cfg,
        plan: FaultPlan::default(),
        expect: Expect::Holds,
    };
    let small = |protocol: Protocol| Config {
        patience: 2,
        max_views: 2,
        ..Config::new(protocol, protocol.min_replicas(1), 1)
    };
    let mut list = vec![
        (random("pbft/4/random-strategies", small(Protocol::Pbft)), true, Sched::Random, 300),
        (random("swmr/3/random-strategies", small(Protocol::Swmr)), true, Sched::Random, 300),
    ];
    for s in super::scenarios().into_iter().filter(|s| s.expect == Expect::Caught) {
        let (sched, iterations) = match s.cfg.protocol {
            Protocol::Pbft => (Sched::Random, 300),
            Protocol::Swmr => (Sched::Pct(3), 1000),
        };
        list.push((s, false, sched, iterations));
    }
    list
}
