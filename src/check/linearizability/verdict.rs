//! What a check returns: a [`Verdict`], always with [`Stats`]; and what it is
//! given besides the history: [`Options`] (a [`Budget`], the [`Ties`] rule).

use super::Operation;
use std::fmt;
use std::time::Duration;

/// How much a check may spend before it answers [`Verdict::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock time (for a partitioned check: for all partitions together).
    pub time: Option<Duration>,
    /// Memo entries (explored (linearized set, state) pairs), per search.
    pub states: Option<usize>,
    /// The memo's estimated size in bytes, per search (states' heap data as
    /// [`Model::heap_bytes`](super::Model::heap_bytes) says). The default,
    /// 1 GiB, is what keeps a hard history from growing the memo until the
    /// allocator aborts the process. It is an estimate: allocator overhead
    /// and the search's own stack come on top.
    pub memory: Option<usize>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { time: None, states: None, memory: Some(1 << 30) }
    }
}

impl Budget {
    /// No limit at all (a hard history may then exhaust memory).
    pub const UNLIMITED: Budget = Budget { time: None, states: None, memory: None };
}

/// When a return and a call carry the same timestamp.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ties {
    /// The two operations are concurrent (porcupine's rule, the default):
    /// `a` precedes `b` only if `a` returned strictly before `b` was called.
    #[default]
    Concurrent,
    /// The return comes first: `a` precedes `b` if `a` returned at or before
    /// `b`'s call (for clocks that never give two events one stamp).
    Ordered,
}

/// How to check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The budget.
    pub budget: Budget,
    /// The rule for equal timestamps.
    pub ties: Ties,
}

/// What a check explored. Present in every verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Model steps tried (an operation offered to a state).
    pub steps: u64,
    /// Memo entries at the end (explored (linearized set, state) pairs).
    pub states: usize,
    /// The memo's estimated size in bytes, at its largest.
    pub memo_bytes: usize,
    /// Backtracks (dead ends left).
    pub backtracks: u64,
    /// Partitions checked (1 for an unpartitioned check).
    pub partitions: usize,
    /// Wall-clock time.
    #[serde(serialize_with = "crate::threads::serialize_millis")]
    pub elapsed: Duration,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} steps, {} memo entries (~{} KiB), {} backtracks, {} partition(s), {:.1} ms",
            self.steps,
            self.states,
            self.memo_bytes / 1024,
            self.backtracks,
            self.partitions,
            self.elapsed.as_secs_f64() * 1e3
        )
    }
}

/// A linearization: every completed operation, and the crashed ones that took
/// effect, in an order that respects real time and replays on the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// Indices into the history's `ops`, in linearization order. A crashed
    /// operation missing from it did not take effect.
    pub order: Vec<usize>,
    /// What the check explored.
    pub stats: Stats,
}

/// Why a history is not linearizable: the longest linearizable prefix the
/// search found, and the operations none of which could come next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotLinearizable<Op, Ret> {
    /// The longest prefix that could be linearized, in order.
    pub prefix: Vec<Operation<Op, Ret>>,
    /// The operations that could be next by real time, none of which returns
    /// what it really returned after that prefix (or every extension of which
    /// failed further on).
    pub stuck: Vec<Operation<Op, Ret>>,
    /// `prefix` as indices into the history's `ops`.
    pub prefix_ids: Vec<usize>,
    /// `stuck` as indices into the history's `ops`.
    pub stuck_ids: Vec<usize>,
    /// For a partitioned check, the partition (its key, `Debug`-printed).
    pub partition: Option<String>,
    /// What the check explored.
    pub stats: Stats,
}

/// Why a search gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exhausted {
    /// The time budget ran out.
    Time,
    /// The memo reached the state budget.
    States,
    /// The memo reached the memory budget.
    Memory,
    /// Stopped because another partition was found not linearizable.
    Cancelled,
}

impl fmt::Display for Exhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Exhausted::Time => "the time budget ran out",
            Exhausted::States => "the memo reached the state budget",
            Exhausted::Memory => "the memo reached the memory budget",
            Exhausted::Cancelled => "stopped: another partition is not linearizable",
        })
    }
}

/// No answer within the budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    /// Which budget ran out.
    pub reason: Exhausted,
    /// For a partitioned check, the first partition that ran out.
    pub partition: Option<String>,
    /// What the check explored.
    pub stats: Stats,
}

/// The answer of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict<Op, Ret> {
    /// Linearizable, with a witness order.
    Linearizable(Witness),
    /// Not linearizable, with the longest linearizable prefix.
    NotLinearizable(NotLinearizable<Op, Ret>),
    /// The budget ran out first.
    Unknown(Unknown),
}

impl<Op, Ret> Verdict<Op, Ret> {
    /// Whether the history was shown linearizable.
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable(_))
    }

    /// The violation, if the history was shown not linearizable.
    pub fn violation(&self) -> Option<&NotLinearizable<Op, Ret>> {
        match self {
            Verdict::NotLinearizable(e) => Some(e),
            _ => None,
        }
    }

    /// What the check explored.
    pub fn stats(&self) -> &Stats {
        match self {
            Verdict::Linearizable(w) => &w.stats,
            Verdict::NotLinearizable(e) => &e.stats,
            Verdict::Unknown(u) => &u.stats,
        }
    }

    /// `linearizable`, `not-linearizable` or `unknown`.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Linearizable(_) => "linearizable",
            Verdict::NotLinearizable(_) => "not-linearizable",
            Verdict::Unknown(_) => "unknown",
        }
    }
}

fn show<Op: fmt::Debug, Ret: fmt::Debug>(
    f: &mut fmt::Formatter<'_>,
    o: &Operation<Op, Ret>,
) -> fmt::Result {
    match &o.ret {
        Some((t, r)) => {
            writeln!(
                f,
                "    t{} {:?} → {:?}   [called {}, returned {}]",
                o.thread, o.op, r, o.call, t
            )
        }
        None => {
            writeln!(f, "    t{} {:?} → (never returned)   [called {}]", o.thread, o.op, o.call)
        }
    }
}

impl<Op: fmt::Debug, Ret: fmt::Debug> fmt::Display for NotLinearizable<Op, Ret> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.partition {
            writeln!(f, "partition {p}:")?;
        }
        writeln!(
            f,
            "not linearizable. The longest linearizable prefix ({} operations) ends with:",
            self.prefix.len()
        )?;
        for o in self.prefix.iter().rev().take(8).rev() {
            show(f, o)?;
        }
        writeln!(f, "  after which none of these can come next:")?;
        for o in &self.stuck {
            show(f, o)?;
        }
        write!(f, "  ({})", self.stats)
    }
}

impl<Op: fmt::Debug, Ret: fmt::Debug> fmt::Display for Verdict<Op, Ret> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Linearizable(w) => write!(
                f,
                "linearizable: a witness order of {} operations ({})",
                w.order.len(),
                w.stats
            ),
            Verdict::NotLinearizable(e) => e.fmt(f),
            Verdict::Unknown(u) => {
                write!(f, "unknown: {}", u.reason)?;
                if let Some(p) = &u.partition {
                    write!(f, " (partition {p})")?;
                }
                write!(f, " ({})", u.stats)
            }
        }
    }
}
