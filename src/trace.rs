//! The protocol trace: the shared-memory steps of one execution, in order,
//! readable without knowing loom.
//!
//! Protocols record each shared-memory step right after performing it with
//! [`trace_step!`](crate::trace_step):
//!
//! ```text
//!   1. t1 load  winner → ⊥
//!   2. t0 load  winner → ⊥
//!   3. t0 store winner ← 0
//!   4. t1 store winner ← 1
//! ```
//!
//! Recording costs nothing outside loom: the macro expands to nothing unless the
//! crate is built with `--cfg loom`. Under loom, events go to a log local to the OS
//! thread that runs the model. Loom runs every modelled thread of one model as a
//! coroutine on that one OS thread, so the log sees the steps in exactly the order
//! loom executed them; and since the log is neither an atomic nor a loom object, it
//! adds no scheduling point (loom only switches threads at its own operations, so
//! nothing runs between a step and its record).

use std::fmt;

/// A shared-memory location: a name and, for arrays, an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loc {
    /// The location's name, e.g. `"winner"` or `"announce"`.
    pub name: &'static str,
    /// The index into an array of locations, e.g. `announce[1]`.
    pub index: Option<usize>,
    /// The instance the location belongs to, for objects made of many
    /// instances of one protocol (cell 2 of a log: `cell2.winner`). Set by the
    /// trace itself inside a [`scope`], never by the protocol.
    pub cell: Option<usize>,
}

impl Loc {
    /// A single named location.
    pub const fn new(name: &'static str) -> Self {
        Loc { name, index: None, cell: None }
    }

    /// Element `index` of the named array.
    pub const fn at(name: &'static str, index: usize) -> Self {
        Loc { name, index: Some(index), cell: None }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = self.cell {
            write!(f, "cell{c}.")?;
        }
        match self.index {
            Some(i) => write!(f, "{}[{}]", self.name, i),
            None => f.write_str(self.name),
        }
    }
}

/// A value as the trace shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val {
    /// The empty value, `⊥`.
    Bot,
    /// A thread id.
    Id(usize),
    /// A number (a version, a ballot, a counter).
    Num(u64),
    /// A boolean.
    Bool(bool),
    /// The value thread `t` proposed (announce slots hold arbitrary `T`).
    Proposal(usize),
    /// An operation of a replicated object: client `client`'s `seq`-th.
    Op {
        /// The client.
        client: usize,
        /// Its sequence number, from 1.
        seq: u64,
    },
    /// A versioned value: `(version, thread id or ⊥)`.
    Versioned(u64, Option<usize>),
    /// A register of the registers-only protocol (and of a Paxos acceptor):
    /// promised ballot, accepted ballot, accepted value.
    Ballots {
        /// The highest ballot promised.
        promised: u64,
        /// The ballot of the accepted value (0: none).
        accepted: u64,
        /// The accepted value, a thread id.
        value: Option<usize>,
    },
    /// An EPaxos instance's attributes: its sequence number and, per client
    /// row (the first 4), the highest instance it depends on (0: none);
    /// `rows` is how many rows there are.
    Attrs {
        /// The sequence number.
        seq: u64,
        /// Per row, the highest instance depended on.
        deps: [u32; 4],
        /// Rows in all (more than 4 are elided).
        rows: u8,
    },
    /// A signed record of the Byzantine protocols: its kind, view, value
    /// and the replica whose name it carries.
    Record {
        /// `"prepare"`, `"commit"`, `"view-change"`, ...
        kind: &'static str,
        /// The replica it claims to be from.
        signer: usize,
        /// Its view.
        view: u64,
        /// The value it names, if any.
        value: Option<u64>,
    },
}

impl Val {
    /// `Id(v)`, or `Bot` when `v == none`: for registers that encode ⊥ as a sentinel.
    pub fn id_or_bot(v: usize, none: usize) -> Self {
        if v == none {
            Val::Bot
        } else {
            Val::Id(v)
        }
    }

    /// `Id(v)` for `Some(v)`, `Bot` for `None`.
    pub fn from_option(v: Option<usize>) -> Self {
        v.map_or(Val::Bot, Val::Id)
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Bot => f.write_str("⊥"),
            Val::Id(t) => write!(f, "{t}"),
            Val::Num(n) => write!(f, "{n}"),
            Val::Bool(b) => write!(f, "{b}"),
            Val::Proposal(t) => write!(f, "proposal of t{t}"),
            Val::Op { client, seq } => write!(f, "t{client}#{seq}"),
            Val::Attrs { seq, deps, rows } => {
                write!(f, "(seq {seq}, deps {{")?;
                let mut first = true;
                for (q, &d) in deps.iter().enumerate().take(usize::from(*rows)) {
                    if d > 0 {
                        write!(f, "{}t{q}#{d}", if first { "" } else { ", " })?;
                        first = false;
                    }
                }
                if *rows > 4 {
                    write!(f, "{}…", if first { "" } else { ", " })?;
                }
                f.write_str("})")
            }
            Val::Versioned(v, x) => write!(f, "(v{v}, {})", Val::from_option(*x)),
            Val::Ballots { promised, accepted, value } => {
                write!(f, "(promised {promised}, accepted {accepted}:{})", Val::from_option(*value))
            }
            Val::Record { kind, signer, view, value } => match value {
                Some(x) => write!(f, "{kind}(view {view}, value {x}) by r{signer}"),
                None => write!(f, "{kind}(view {view}) by r{signer}"),
            },
        }
    }
}

/// The operation of a [`Step::Rmw`]: a read-modify-write other than a
/// compare&swap (which has its own step, [`Step::Cas`]).
///
/// A type rather than a name, so a check that looks for one operation (Paxos's
/// invariant reads the `Accept` steps) cannot miss it by a typo. `Display`
/// gives the name the trace prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RmwOp {
    /// `swap(v)`: writes `v`, returns the old value.
    Swap,
    /// `fetch&add(k)`: adds its argument, returns the old value.
    FetchAdd,
    /// `fetch&add(k)` with the addend fixed in the instruction (prints as
    /// `fetch&add(k)`): exercise 8's `fetch&add(2)`.
    FetchAddConst(u64),
    /// `test&set`: sets the bit (or a zero word), returns the old value.
    TestAndSet,
    /// A queue's enqueue.
    Enq,
    /// A queue's dequeue.
    Deq,
    /// A Paxos acceptor's `prepare(b)` (phase 1).
    Prepare,
    /// A Paxos acceptor's `accept(b, v)` (phase 2).
    Accept,
}

impl fmt::Display for RmwOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RmwOp::Swap => f.write_str("swap"),
            RmwOp::FetchAdd => f.write_str("fetch&add"),
            RmwOp::FetchAddConst(k) => write!(f, "fetch&add({k})"),
            RmwOp::TestAndSet => f.write_str("test&set"),
            RmwOp::Enq => f.write_str("enq"),
            RmwOp::Deq => f.write_str("deq"),
            RmwOp::Prepare => f.write_str("prepare"),
            RmwOp::Accept => f.write_str("accept"),
        }
    }
}

/// One step of a protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// An atomic load (or a read of a slot) that returned `value`.
    Load {
        /// Where.
        loc: Loc,
        /// What it returned.
        value: Val,
    },
    /// An atomic store (or a write of a slot) of `value`.
    Store {
        /// Where.
        loc: Loc,
        /// What it wrote.
        value: Val,
    },
    /// A compare&swap: `expected → new`, succeeded iff `found == expected`.
    Cas {
        /// Where.
        loc: Loc,
        /// The value it expected.
        expected: Val,
        /// The value it tried to install.
        new: Val,
        /// The value it found (equal to `expected` on success).
        found: Val,
    },
    /// Another read-modify-write (swap, fetch&add, test&set, ...).
    Rmw {
        /// The operation.
        op: RmwOp,
        /// Where.
        loc: Loc,
        /// Its argument.
        arg: Val,
        /// The value it returned (the old value).
        old: Val,
        /// The value it left behind.
        new: Val,
    },
    /// An atomic assignment to several registers `r[i] ← v` (the first
    /// `count` entries of `regs`).
    Assign {
        /// The registers' name (`name[i]`).
        name: &'static str,
        /// How many entries of `regs` are used.
        count: u8,
        /// `(register, value)` pairs.
        regs: [(u8, u8); 6],
    },
    /// A lock was acquired.
    Lock {
        /// Which lock.
        loc: Loc,
    },
    /// A lock was released.
    Unlock {
        /// Which lock.
        loc: Loc,
    },
    /// The thread's `decide_id` returns `winner` (not a memory step).
    Decide {
        /// The decided thread id.
        winner: usize,
    },
    /// A `fence(SeqCst)` (not a step on a shared object: it orders the
    /// thread's own steps).
    Fence,
    /// A remark for the reader (not a memory step).
    Note(&'static str),
    /// A Byzantine-tolerant replica rejects a record (not a memory step).
    Rejected {
        /// The replica whose log it came from.
        from: usize,
        /// The record's kind.
        kind: &'static str,
        /// Why: a bad MAC, a signer that is not the writer, a bad certificate...
        why: &'static str,
    },
    /// A Byzantine-tolerant replica decides `value` (not a memory step).
    Decided {
        /// The decided value.
        value: u64,
    },
    /// A Byzantine-tolerant replica enters `view` (not a memory step).
    EnterView {
        /// The view.
        view: u64,
    },
}

impl Step {
    /// Whether the step touches shared memory (counts against a step bound).
    pub fn is_memory_step(&self) -> bool {
        !matches!(
            self,
            Step::Decide { .. }
                | Step::Note(_)
                | Step::Fence
                | Step::Rejected { .. }
                | Step::Decided { .. }
                | Step::EnterView { .. }
        )
    }

    /// The step with its location placed in instance `cell` (see [`Loc::cell`]).
    pub fn in_cell(self, cell: usize) -> Step {
        let put = |loc: Loc| Loc { cell: loc.cell.or(Some(cell)), ..loc };
        match self {
            Step::Load { loc, value } => Step::Load { loc: put(loc), value },
            Step::Store { loc, value } => Step::Store { loc: put(loc), value },
            Step::Cas { loc, expected, new, found } => {
                Step::Cas { loc: put(loc), expected, new, found }
            }
            Step::Rmw { op, loc, arg, old, new } => Step::Rmw { op, loc: put(loc), arg, old, new },
            Step::Lock { loc } => Step::Lock { loc: put(loc) },
            Step::Unlock { loc } => Step::Unlock { loc: put(loc) },
            other => other,
        }
    }

    /// The location and value this step read, if it read one.
    pub fn read(&self) -> Option<(Loc, Val)> {
        match *self {
            Step::Load { loc, value } => Some((loc, value)),
            Step::Cas { loc, found, .. } => Some((loc, found)),
            Step::Rmw { loc, old, .. } => Some((loc, old)),
            _ => None,
        }
    }

    /// The locations and values this step wrote.
    pub fn writes(&self) -> Vec<(Loc, Val)> {
        match *self {
            Step::Store { loc, value } => vec![(loc, value)],
            Step::Cas { loc, expected, new, found } if found == expected => vec![(loc, new)],
            Step::Rmw { loc, new, .. } => vec![(loc, new)],
            Step::Assign { name, count, regs } => regs[..usize::from(count)]
                .iter()
                .map(|&(r, v)| (Loc::at(name, usize::from(r)), Val::Id(usize::from(v))))
                .collect(),
            _ => vec![],
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Load { loc, value } => write!(f, "load   {loc} → {value}"),
            Step::Store { loc, value } => write!(f, "store  {loc} ← {value}"),
            Step::Cas { loc, expected, new, found } => {
                if found == expected {
                    write!(f, "CAS    {loc} {expected}→{new} ok")
                } else {
                    write!(f, "CAS    {loc} {expected}→{new} failed (found {found})")
                }
            }
            Step::Rmw { op, loc, arg, old, new } => {
                write!(f, "{op} {loc} ({arg}) → {old}, leaves {new}")
            }
            Step::Assign { name, count, regs } => {
                f.write_str("assign ")?;
                for (k, (r, v)) in regs[..usize::from(*count)].iter().enumerate() {
                    write!(f, "{}{name}[{r}] ← {v}", if k > 0 { ", " } else { "" })?;
                }
                Ok(())
            }
            Step::Lock { loc } => write!(f, "lock   {loc}"),
            Step::Unlock { loc } => write!(f, "unlock {loc}"),
            Step::Decide { winner } => write!(f, "decides t{winner}"),
            Step::Fence => f.write_str("fence(SeqCst)"),
            Step::Note(text) => write!(f, "-- {text}"),
            Step::Rejected { from, kind, why } => write!(f, "rejects a {kind} from r{from}: {why}"),
            Step::Decided { value } => write!(f, "decides value {value}"),
            Step::EnterView { view } => write!(f, "-- enters view {view}"),
        }
    }
}

/// One recorded step and the thread that took it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The protocol-level thread id (`me` in `decide_id`).
    pub thread: usize,
    /// What it did.
    pub step: Step,
}

/// The steps of one execution, in the order they happened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// The events, oldest first.
    pub events: Vec<Event>,
}

impl Trace {
    /// How many shared-memory steps `thread` took.
    pub fn memory_steps(&self, thread: usize) -> usize {
        self.events.iter().filter(|e| e.thread == thread && e.step.is_memory_step()).count()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The reads that returned something other than the latest value written to
    /// their location earlier in this trace: `(event index, latest write's index)`.
    ///
    /// The C11 model (and loom) lets a load return an older value when no
    /// happens-before orders the newer write before it. A trace with no stale read
    /// is sequentially consistent: its order is an interleaving that explains it.
    pub fn stale_reads(&self) -> Vec<(usize, usize)> {
        let mut latest: Vec<(Loc, Val, usize)> = Vec::new();
        let mut stale = Vec::new();
        for (i, e) in self.events.iter().enumerate() {
            if let Some((loc, value)) = e.step.read() {
                if let Some(&(_, v, at)) = latest.iter().find(|(l, _, _)| *l == loc) {
                    if v != value {
                        stale.push((i, at));
                    }
                }
            }
            for (loc, value) in e.step.writes() {
                match latest.iter_mut().find(|(l, _, _)| *l == loc) {
                    Some(entry) => *entry = (loc, value, i),
                    None => latest.push((loc, value, i)),
                }
            }
        }
        stale
    }

    /// Whether the trace order explains every read (no [stale read](Self::stale_reads)).
    pub fn is_sequentially_consistent(&self) -> bool {
        self.stale_reads().is_empty()
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.events.is_empty() {
            return writeln!(f, "  (no steps recorded)");
        }
        let stale = self.stale_reads();
        for (i, e) in self.events.iter().enumerate() {
            write!(f, "  {:>3}. t{} {}", i + 1, e.thread, e.step)?;
            match stale.iter().find(|(at, _)| *at == i) {
                Some((_, w)) => writeln!(f, "   <- stale: step {} wrote a newer value", w + 1)?,
                None => writeln!(f)?,
            }
        }
        if !stale.is_empty() {
            writeln!(
                f,
                "  (a stale read returns an older value because nothing orders the newer \
                 write before it (no happens-before): allowed by the C11 memory model, \
                 impossible in a sequentially consistent interleaving)"
            )?;
        }
        Ok(())
    }
}

/// Records a protocol step into the current execution's trace.
///
/// In loom builds the step goes to the log; in every other build the call sits
/// behind `if false` ([`RECORDING`]), so it is type-checked but compiled out:
/// the arguments cost nothing on real cores. `Loc`, `RmwOp`, `Step` and `Val` are in scope
/// inside the macro: callers need no import.
///
/// ```
/// let me = 0;
/// consensus_lab::trace_step!(me, Store { loc: Loc::new("winner"), value: Val::Id(me) });
/// ```
#[macro_export]
macro_rules! trace_step {
    ($thread:expr, $($step:tt)+) => {{
        #[allow(unused_imports)]
        use $crate::trace::{Loc, RmwOp, Step, Val};
        if $crate::trace::RECORDING {
            $crate::trace::record($thread, Step::$($step)+);
        }
    }};
}

/// Whether [`trace_step!`](crate::trace_step) records: only in loom and
/// shuttle builds (both run every modelled thread on the OS thread that
/// explores, so one thread-local log holds an execution's steps).
pub const RECORDING: bool = cfg!(any(loom, shuttle));

/// Does nothing outside loom and shuttle builds (see [`RECORDING`]).
#[cfg(not(any(loom, shuttle)))]
#[inline(always)]
pub fn record(_thread: usize, _step: Step) {}

/// Does nothing outside loom and shuttle builds. In them: from now on,
/// `thread`'s steps on locations without an instance are recorded as steps
/// inside instance `cell` (`None`: outside any), so the traces of many
/// instances of one protocol (the cells of a log) stay apart.
#[cfg(not(any(loom, shuttle)))]
#[inline(always)]
pub fn scope(_thread: usize, _cell: Option<usize>) {}

#[cfg(any(loom, shuttle))]
mod log {
    use super::{Event, Step, Trace};
    use std::cell::RefCell;

    std::thread_local! {
        static LOG: RefCell<Vec<Event>> = const { RefCell::new(Vec::new()) };
        // `SCOPES[t]`: the instance thread t's steps are in (see `scope`).
        static SCOPES: RefCell<Vec<Option<usize>>> = const { RefCell::new(Vec::new()) };
    }

    /// Appends a step to the current execution's trace.
    pub fn record(thread: usize, step: Step) {
        let cell = SCOPES.with(|s| s.borrow().get(thread).copied().flatten());
        let step = match cell {
            Some(c) => step.in_cell(c),
            None => step,
        };
        LOG.with(|log| log.borrow_mut().push(Event { thread, step }));
    }

    /// See the real-world [`scope`](super::scope) docs.
    pub fn scope(thread: usize, cell: Option<usize>) {
        SCOPES.with(|s| {
            let mut s = s.borrow_mut();
            if s.len() <= thread {
                s.resize(thread + 1, None);
            }
            s[thread] = cell;
        });
    }

    /// Starts a new execution's trace (called at the top of every loom execution).
    pub fn start() {
        LOG.with(|log| log.borrow_mut().clear());
        SCOPES.with(|s| s.borrow_mut().clear());
    }

    /// A copy of the trace recorded so far on this OS thread.
    pub fn snapshot() -> Trace {
        LOG.with(|log| Trace { events: log.borrow().clone() })
    }
}

#[cfg(any(loom, shuttle))]
pub use log::{record, scope, snapshot, start};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_steps_readably() {
        let t = Trace {
            events: vec![
                Event { thread: 1, step: Step::Load { loc: Loc::new("winner"), value: Val::Bot } },
                Event {
                    thread: 0,
                    step: Step::Cas {
                        loc: Loc::new("winner"),
                        expected: Val::Bot,
                        new: Val::Id(0),
                        found: Val::Id(1),
                    },
                },
                Event {
                    thread: 0,
                    step: Step::Load { loc: Loc::at("announce", 1), value: Val::Proposal(1) },
                },
                Event { thread: 0, step: Step::Decide { winner: 1 } },
            ],
        };
        let s = t.to_string();
        assert!(s.contains("1. t1 load   winner → ⊥"), "{s}");
        assert!(s.contains("2. t0 CAS    winner ⊥→0 failed (found 1)"), "{s}");
        assert!(s.contains("3. t0 load   announce[1] → proposal of t1"), "{s}");
        assert!(s.contains("4. t0 decides t1"), "{s}");
        assert_eq!(t.memory_steps(0), 2);
        assert_eq!(t.memory_steps(1), 1);
        assert!(t.is_sequentially_consistent());
    }

    #[test]
    fn rmw_steps_print_their_operation_by_name() {
        let rmw = |op| Step::Rmw {
            op,
            loc: Loc::new("word"),
            arg: Val::Num(2),
            old: Val::Num(0),
            new: Val::Num(2),
        };
        assert_eq!(rmw(RmwOp::FetchAdd).to_string(), "fetch&add word (2) → 0, leaves 2");
        assert_eq!(rmw(RmwOp::FetchAddConst(2)).to_string(), "fetch&add(2) word (2) → 0, leaves 2");
        let names = [
            (RmwOp::Swap, "swap"),
            (RmwOp::TestAndSet, "test&set"),
            (RmwOp::Enq, "enq"),
            (RmwOp::Deq, "deq"),
            (RmwOp::Prepare, "prepare"),
            (RmwOp::Accept, "accept"),
        ];
        for (op, name) in names {
            assert_eq!(op.to_string(), name);
        }
    }

    #[test]
    fn stale_reads_are_marked() {
        let w = Loc::new("winner");
        let t = Trace {
            events: vec![
                Event { thread: 0, step: Step::Store { loc: w, value: Val::Id(0) } },
                Event { thread: 1, step: Step::Load { loc: w, value: Val::Bot } },
                Event { thread: 1, step: Step::Load { loc: w, value: Val::Id(0) } },
            ],
        };
        assert_eq!(t.stale_reads(), vec![(1, 0)]);
        assert!(!t.is_sequentially_consistent());
        let s = t.to_string();
        assert!(
            s.contains("2. t1 load   winner → ⊥   <- stale: step 1 wrote a newer value"),
            "{s}"
        );
        assert!(!s.contains("3. t1 load   winner → 0   <-"), "{s}");
    }
}
