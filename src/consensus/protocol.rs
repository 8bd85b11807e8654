//! What a protocol says about itself: its [`ProtocolInfo`] (name, summary,
//! object, consensus number, thread limits, the knobs it takes, its loom models
//! with their measured cost, its stall point) and how to build one from
//! [`Params`].
//!
//! Every protocol implements [`Protocol`] in its own file, next to its
//! algorithm; the registry (a layer above, in `registry/entries.rs`) only lists them.
//! Parameters are checked in one place, [`check`], against what the info
//! declares: a knob the protocol did not declare is refused (fail closed), a
//! thread count outside its limits is refused, and the protocol's own
//! [`Protocol::validate`] sees the rest, all without building an instance.

use crate::consensus::stall::{StallPoint, StalledInstance};
use crate::consensus::{ConsensusError, IdConsensus};
use crate::objects::{ConsensusNumber, ObjectInfo};
use std::fmt;
use std::time::Duration;

/// How to build an instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Params {
    /// Threads (ids `0..threads`); for Paxos, proposers.
    pub threads: usize,
    /// [`Knob::Rounds`]: attempts per thread before a retrying protocol gives
    /// up (`None`: retry until decided).
    pub rounds: Option<usize>,
    /// [`Knob::Acceptors`]: the number of acceptors (`None`: the protocol's
    /// default).
    pub acceptors: Option<usize>,
    /// [`Knob::Crashed`]: acceptors crashed from the start (the first ones).
    pub crashed: usize,
    /// [`Knob::Crashed`]: how many operations each crashed acceptor answers
    /// before it crashes (0: crashed from the start).
    pub crash_after: usize,
    /// [`Knob::ProposerCrash`]: proposer `.0` crashes after its `.0`-th step
    /// (`(who, after)`; a step is one prepare or accept it sends).
    pub proposer_crash: Option<(usize, usize)>,
}

impl Params {
    /// Just a thread count.
    pub const fn threads(threads: usize) -> Self {
        Params {
            threads,
            rounds: None,
            acceptors: None,
            crashed: 0,
            crash_after: 0,
            proposer_crash: None,
        }
    }

    /// The knobs these parameters set.
    pub fn knobs(&self) -> impl Iterator<Item = Knob> {
        [
            (self.rounds.is_some(), Knob::Rounds),
            (self.acceptors.is_some(), Knob::Acceptors),
            (self.crashed > 0 || self.crash_after > 0, Knob::Crashed),
            (self.proposer_crash.is_some(), Knob::ProposerCrash),
        ]
        .into_iter()
        .filter_map(|(set, k)| set.then_some(k))
    }
}

/// A parameter beyond the thread count that only some protocols take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Knob {
    /// A limit on each thread's attempts ([`Params::rounds`]): retrying
    /// protocols, so that every loom execution is finite.
    Rounds,
    /// The number of acceptors ([`Params::acceptors`]).
    Acceptors,
    /// Acceptors that crash, from the start or after some operations
    /// ([`Params::crashed`], [`Params::crash_after`]).
    Crashed,
    /// A proposer that crashes after some of its steps ([`Params::proposer_crash`]).
    ProposerCrash,
}

impl fmt::Display for Knob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Knob::Rounds => "a round limit",
            Knob::Acceptors => "acceptors (--acceptors)",
            Knob::Crashed => "crashed acceptors",
            Knob::ProposerCrash => "crashed proposers",
        })
    }
}

/// The thread counts an instance may serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threads {
    /// Any count from 1.
    Any,
    /// 1 to this many.
    AtMost(usize),
    /// An even count, 2 to this many.
    EvenUpTo(usize),
}

impl Threads {
    /// The largest count (`None`: any).
    pub const fn max(self) -> Option<usize> {
        match self {
            Threads::Any => None,
            Threads::AtMost(m) | Threads::EvenUpTo(m) => Some(m),
        }
    }

    /// The limit in a few characters, for tables: `any`, `≤ 3`, `even ≤ 4`.
    pub fn short(self) -> String {
        match self {
            Threads::Any => "any".into(),
            Threads::AtMost(m) => format!("≤ {m}"),
            Threads::EvenUpTo(m) => format!("even ≤ {m}"),
        }
    }

    /// Whether `n` threads are served.
    pub const fn allows(self, n: usize) -> bool {
        match self {
            Threads::Any => n >= 1,
            Threads::AtMost(m) => n >= 1 && n <= m,
            Threads::EvenUpTo(m) => n >= 2 && n <= m && n % 2 == 0,
        }
    }
}

impl fmt::Display for Threads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Threads::Any => write!(f, "any number of threads from 1"),
            Threads::AtMost(m) => write!(f, "at most {m} threads"),
            Threads::EvenUpTo(m) => write!(f, "an even number of threads up to {m}"),
        }
    }
}

/// One loom model the suite runs for a protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoomModel {
    /// The instance: threads taking part (at most 5: loom's main thread runs
    /// thread 0, 4 more are spawned), rounds, acceptors, crashes.
    pub params: Params,
    /// What the default suite (CI) explores. `None`: exhaustive. `Some(k)`: at
    /// most `k` preemptions per execution, because exhaustive does not finish
    /// in CI time (the protocol's file says why, next to the model).
    pub preemption_bound: Option<usize>,
    /// What the long suite (`cargo xtask test --long`) explores beyond that,
    /// if anything: exhaustive (`Some(None)`) or a higher bound (`Some(Some(k))`),
    /// for a model whose full exploration takes too long for CI (the protocol's
    /// file gives both costs).
    pub long: Option<Option<usize>>,
}

impl LoomModel {
    /// An exhaustive model at `threads` threads.
    pub const fn exhaustive(threads: usize) -> Self {
        LoomModel { params: Params::threads(threads), preemption_bound: None, long: None }
    }

    /// A model bounded to `bound` preemptions.
    pub const fn bounded(threads: usize, bound: usize) -> Self {
        LoomModel { params: Params::threads(threads), preemption_bound: Some(bound), long: None }
    }

    /// The same model explored exhaustively by the long suite (`cargo xtask
    /// test --long`), its bounded form staying in the default suite.
    pub const fn long_exhaustive(self) -> Self {
        LoomModel { long: Some(None), ..self }
    }

    /// The same model explored to `bound` preemptions by the long suite
    /// (`cargo xtask test --long`), its lower bound staying in the default suite.
    pub const fn long_bounded(self, bound: usize) -> Self {
        LoomModel { long: Some(Some(bound)), ..self }
    }

    /// The same model with at most `rounds` attempts per thread: every execution
    /// of a retrying protocol must be finite. Agreement and validity are then
    /// checked among the threads that decided, and some execution must have every
    /// thread decide.
    pub const fn rounds(self, rounds: usize) -> Self {
        LoomModel { params: Params { rounds: Some(rounds), ..self.params }, ..self }
    }

    /// The same model with `acceptors` acceptors, the first `crashed` of them
    /// crashed from the start.
    pub const fn acceptors(self, acceptors: usize, crashed: usize) -> Self {
        LoomModel { params: Params { acceptors: Some(acceptors), crashed, ..self.params }, ..self }
    }

    /// The same model with its crashed acceptors (see [`acceptors`](Self::acceptors))
    /// answering `k` operations each before they crash, instead of none.
    pub const fn crash_after(self, k: usize) -> Self {
        LoomModel { params: Params { crash_after: k, ..self.params }, ..self }
    }

    /// The same model with proposer `who` crashing after its `after`-th step.
    pub const fn proposer_crash(self, who: usize, after: usize) -> Self {
        LoomModel { params: Params { proposer_crash: Some((who, after)), ..self.params }, ..self }
    }

    /// The threads of this model that may fail to decide on purpose (a
    /// crashing proposer): the suite does not require them to win or decide.
    pub fn crashing(&self) -> Option<usize> {
        self.params.proposer_crash.map(|(who, _)| who)
    }

    /// The threads taking part.
    pub const fn threads(&self) -> usize {
        self.params.threads
    }

    /// A name for the model: `3`, `3/rounds-2`, `2/acceptors-3/crashed-1`, ...
    pub fn label(&self) -> String {
        let p = &self.params;
        let mut s = p.threads.to_string();
        if let Some(a) = p.acceptors {
            s.push_str(&format!("/acceptors-{a}"));
        }
        if p.crashed > 0 {
            s.push_str(&format!("/crashed-{}", p.crashed));
        }
        if p.crash_after > 0 {
            s.push_str(&format!("-after-{}", p.crash_after));
        }
        if let Some((who, after)) = p.proposer_crash {
            s.push_str(&format!("/proposer-{who}-crashes-after-{after}"));
        }
        if let Some(r) = p.rounds {
            s.push_str(&format!("/rounds-{r}"));
        }
        s
    }
}

/// Which of shuttle's schedulers explores a [`ShuttleModel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShuttleScheduler {
    /// Probabilistic concurrency testing at this depth `d`: each iteration
    /// finds a given bug of depth ≤ `d` (one that needs `d − 1` particular
    /// thread switches at particular points) with probability at least
    /// `1 / (n · k^(d − 1))`, for `n` threads and `k` scheduling steps.
    Pct {
        /// The bug depth aimed at (2 or 3 in the lab).
        depth: usize,
    },
    /// A uniformly random thread at every scheduling point.
    Random,
}

/// One shuttle model the shuttle suite runs for a protocol: an instance, a
/// scheduler and a fixed iteration budget (shuttle samples schedules; it does
/// not enumerate them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShuttleModel {
    /// The instance: threads (any count the protocol serves), rounds,
    /// acceptors, crashes, as for a [`LoomModel`].
    pub params: Params,
    /// The scheduler.
    pub scheduler: ShuttleScheduler,
    /// Schedules tried (for a broken protocol: the budget within which PCT
    /// must find the violation).
    pub iterations: usize,
}

impl ShuttleModel {
    /// PCT at `depth` on `threads` threads for `iterations` schedules.
    pub const fn pct(threads: usize, depth: usize, iterations: usize) -> Self {
        ShuttleModel {
            params: Params::threads(threads),
            scheduler: ShuttleScheduler::Pct { depth },
            iterations,
        }
    }

    /// The random scheduler on `threads` threads for `iterations` schedules.
    pub const fn random(threads: usize, iterations: usize) -> Self {
        ShuttleModel {
            params: Params::threads(threads),
            scheduler: ShuttleScheduler::Random,
            iterations,
        }
    }

    /// The same with at most `rounds` attempts per thread (see [`LoomModel::rounds`]).
    pub const fn rounds(self, rounds: usize) -> Self {
        ShuttleModel { params: Params { rounds: Some(rounds), ..self.params }, ..self }
    }

    /// The same with `acceptors` acceptors, the first `crashed` crashed from the start.
    pub const fn acceptors(self, acceptors: usize, crashed: usize) -> Self {
        ShuttleModel {
            params: Params { acceptors: Some(acceptors), crashed, ..self.params },
            ..self
        }
    }

    /// A name: the instance's [`LoomModel::label`], then the scheduler:
    /// `8/pct-3`, `16/random`.
    pub fn label(&self) -> String {
        let instance =
            LoomModel { params: self.params, preemption_bound: None, long: None }.label();
        match self.scheduler {
            ShuttleScheduler::Pct { depth } => format!("{instance}/pct-{depth}"),
            ShuttleScheduler::Random => format!("{instance}/random"),
        }
    }
}

/// What a protocol says about itself, without building one.
#[derive(Clone, Copy, Debug)]
pub struct ProtocolInfo {
    /// The name on the command line, e.g. `cas`.
    pub name: &'static str,
    /// One line for tables.
    pub summary: &'static str,
    /// The shared object the protocol is built from, in words.
    pub primitive: &'static str,
    /// That object's row of the hierarchy (its `Object::INFO`, or
    /// [`objects::MUTEX`](crate::objects::MUTEX) for the lock protocols).
    pub object: &'static ObjectInfo,
    /// That object's consensus number.
    pub consensus_number: ConsensusNumber,
    /// The thread counts an instance serves.
    pub threads: Threads,
    /// The knobs it takes beyond the thread count; any other is refused.
    pub knobs: &'static [Knob],
    /// The models the loom suite runs (for a broken protocol: where it must find
    /// the counterexample).
    pub loom: &'static [LoomModel],
    /// The models the shuttle suite runs (for a broken protocol: where PCT must
    /// find the violation within the budget; empty where shuttle cannot see
    /// it, with the reason beside the protocol's models).
    pub shuttle: &'static [ShuttleModel],
    /// Where a thread can be paused inside it (beyond the announce point every
    /// protocol has), for the stall demonstration; see
    /// [`Protocol::build_stalled`].
    pub stall: Option<StallPoint>,
    /// For intentionally wrong protocols kept for teaching: the flaw and the
    /// kind of counterexample that shows it.
    pub broken: Option<Broken>,
}

impl ProtocolInfo {
    /// Most threads an instance may serve (`None`: any number).
    pub const fn max_threads(&self) -> Option<usize> {
        self.threads.max()
    }
}

/// What is wrong with a broken protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Broken {
    /// The flaw, in one line.
    pub flaw: &'static str,
    /// What its counterexample needs; the loom suite checks the trace it finds.
    pub shows: Shows,
}

/// What a broken protocol's counterexample needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shows {
    /// Nothing concurrent: one thread after the other already breaks it.
    Sequential,
    /// An interleaving: steps of the threads mixed, sequentially consistent.
    Interleaving,
    /// Weak memory: a read of a stale value (no sequentially consistent
    /// counterexample exists).
    StaleRead,
}

/// Thread `who` pauses for `pause` at the protocol's [`StallPoint`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StallPlan {
    /// The stalled thread.
    pub who: usize,
    /// How long it pauses.
    pub pause: Duration,
}

/// A protocol the registry can list and build.
pub trait Protocol: IdConsensus + Send + Sized + 'static {
    /// What it says about itself.
    const INFO: ProtocolInfo;

    /// Checks what [`check`] cannot see from [`INFO`](Self::INFO) (an acceptor
    /// count, a fault plan), without building.
    ///
    /// # Errors
    /// [`ConsensusError::InvalidConfig`] with the reason.
    fn validate(params: &Params) -> Result<(), ConsensusError> {
        let _ = params;
        Ok(())
    }

    /// An undecided instance. `params` passed [`check`]; call [`make`], which
    /// checks first.
    ///
    /// # Errors
    /// Whatever building needs and [`check`] could not tell in advance.
    fn build(params: &Params) -> Result<Self, ConsensusError>;

    /// An instance whose thread `plan.who` pauses at [`ProtocolInfo::stall`]
    /// (the stall demonstration). Only protocols that declare a stall point
    /// implement it.
    ///
    /// # Errors
    /// The default: the protocol has no stall point of its own.
    fn build_stalled(
        params: &Params,
        plan: StallPlan,
    ) -> Result<Box<dyn StalledInstance>, ConsensusError> {
        let _ = (params, plan);
        Err(ConsensusError::InvalidConfig(format!(
            "{} has no stall point inside it (only the announce point)",
            Self::INFO.name
        )))
    }
}

/// Checks `params` against `info`: the thread count against its limits, every
/// knob set against the knobs it declares (an undeclared knob is refused).
///
/// # Errors
/// [`ConsensusError::InvalidConfig`] naming what is wrong.
pub fn check_info(info: &ProtocolInfo, params: &Params) -> Result<(), ConsensusError> {
    if !info.threads.allows(params.threads) {
        return Err(ConsensusError::InvalidConfig(format!(
            "{} serves {}, not {}",
            info.name, info.threads, params.threads
        )));
    }
    if let Some(k) = params.knobs().find(|k| !info.knobs.contains(k)) {
        return Err(ConsensusError::InvalidConfig(format!("{} takes no {k}", info.name)));
    }
    Ok(())
}

/// Checks `params` for `P` without building: [`check_info`], then
/// [`Protocol::validate`].
///
/// # Errors
/// As those two.
pub fn check<P: Protocol>(params: &Params) -> Result<(), ConsensusError> {
    check_info(&P::INFO, params)?;
    P::validate(params)
}

/// A checked, undecided instance of `P`.
///
/// # Errors
/// As [`check`] and [`Protocol::build`].
pub fn make<P: Protocol>(params: &Params) -> Result<P, ConsensusError> {
    check::<P>(params)?;
    P::build(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_limits() {
        assert!(Threads::Any.allows(1) && !Threads::Any.allows(0));
        assert!(Threads::AtMost(2).allows(2) && !Threads::AtMost(2).allows(3));
        let even = Threads::EvenUpTo(4);
        assert!(even.allows(2) && even.allows(4));
        assert!(!even.allows(0) && !even.allows(3) && !even.allows(6));
    }

    #[test]
    fn long_explorations_keep_the_default_one() {
        let m = LoomModel::bounded(3, 4).long_exhaustive();
        assert_eq!((m.preemption_bound, m.long), (Some(4), Some(None)));
        let m = LoomModel::bounded(3, 2).rounds(2).long_bounded(3);
        assert_eq!(
            (m.preemption_bound, m.long, m.label()),
            (Some(2), Some(Some(3)), "3/rounds-2".into())
        );
        assert_eq!(LoomModel::exhaustive(2).long, None);
    }

    #[test]
    fn model_labels_name_their_knobs() {
        assert_eq!(LoomModel::exhaustive(3).label(), "3");
        assert_eq!(
            LoomModel::exhaustive(2).rounds(2).acceptors(3, 1).label(),
            "2/acceptors-3/crashed-1/rounds-2"
        );
    }

    #[test]
    fn shuttle_model_labels_name_their_scheduler() {
        assert_eq!(ShuttleModel::pct(8, 3, 100).label(), "8/pct-3");
        assert_eq!(
            ShuttleModel::random(2, 10).rounds(2).acceptors(3, 0).label(),
            "2/acceptors-3/rounds-2/random"
        );
    }

    #[test]
    fn params_name_the_knobs_they_set() {
        assert_eq!(Params::threads(2).knobs().count(), 0);
        let p = LoomModel::exhaustive(2).rounds(2).acceptors(3, 1).params;
        assert_eq!(p.knobs().collect::<Vec<_>>(), [Knob::Rounds, Knob::Acceptors, Knob::Crashed]);
        let m =
            LoomModel::exhaustive(2).rounds(2).acceptors(3, 1).crash_after(2).proposer_crash(1, 2);
        assert_eq!(
            m.label(),
            "2/acceptors-3/crashed-1-after-2/proposer-1-crashes-after-2/rounds-2"
        );
        assert_eq!(m.params.knobs().last(), Some(Knob::ProposerCrash));
        let after_alone = Params { crash_after: 1, ..Params::threads(2) };
        assert_eq!(after_alone.knobs().collect::<Vec<_>>(), [Knob::Crashed]);
    }
}
