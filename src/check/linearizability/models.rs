//! Models for histories recorded outside the lab (Jepsen's, or anyone's
//! JSON lines): operations are a [`Call`] (`f`, an optional key, a [`Value`])
//! and return a [`Value`]; [`Kind`] names the five models `conlab
//! check-history --model` takes.
//!
//! | model | operations (`f`) | state | a read of … |
//! |---|---|---|---|
//! | `register` | `read`, `write v` | a value (initially nil) | returns it |
//! | `cas-register` | `read`, `write v`, `cas [old new]` | a value | returns it |
//! | `kv` | the same, each on a key | a map (missing keys are nil) | returns the key's value |
//! | `queue` | `enqueue v`, `dequeue` | a FIFO | `dequeue` returns the head, nil if empty |
//! | `set` | `add v`, `read` | a set | returns the elements, in any order |
//!
//! A completed `cas` succeeded (a failed one, Jepsen's `:fail`, did not take
//! effect and is not in the history). Reads return the state borrowed: no
//! copy of a map or a set per read.

use super::{check_partitioned, check_with, History, Model, Options, Verdict};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

/// A value of an external history (EDN's or JSON's, reduced to what the
/// models compare).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    /// nil / null (also: a register never written).
    #[default]
    Nil,
    /// An integer.
    Int(i64),
    /// A string, keyword or symbol (EDN's `:a` is `"a"`).
    Str(String),
    /// A list, vector or set.
    List(Vec<Value>),
}

/// A history's key as a partition is named: the key's value, or "no key" for
/// the operations that have none.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct KeyOf(Option<Value>);

impl fmt::Display for KeyOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(k) => write!(f, "key {k}"),
            None => f.write_str("no key"),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (k, v) in items.iter().enumerate() {
                    if k > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// An operation's function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum F {
    /// Read a register, a key, or a whole set.
    Read,
    /// Write a value.
    Write,
    /// Compare-and-set: the value is `[old new]`.
    Cas,
    /// Append to a queue.
    Enqueue,
    /// Take a queue's head.
    Dequeue,
    /// Add to a set.
    Add,
}

impl F {
    /// Parses Jepsen's names (`read`, `write`, `cas`, `enqueue`, `dequeue`, `add`).
    pub fn parse(s: &str) -> Option<F> {
        Some(match s {
            "read" => F::Read,
            "write" => F::Write,
            "cas" => F::Cas,
            "enqueue" => F::Enqueue,
            "dequeue" => F::Dequeue,
            "add" => F::Add,
            _ => return None,
        })
    }
}

/// An operation of an external history.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Call {
    /// What it does.
    pub f: F,
    /// The key (for `kv`, or any model checked key by key).
    pub key: Option<Value>,
    /// Its argument as invoked (a write's value, a cas's `[old new]`).
    pub value: Value,
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.f)?;
        if let Some(k) = &self.key {
            write!(f, "[{k}]")?;
        }
        if self.value != Value::Nil {
            write!(f, " {}", self.value)?;
        }
        Ok(())
    }
}

/// The five models, by command-line name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A read/write register.
    Register,
    /// A register with compare-and-set.
    CasRegister,
    /// A map of cas-registers.
    Kv,
    /// A FIFO queue.
    Queue,
    /// A grow-only set.
    Set,
}

impl Kind {
    /// Every kind with its name.
    pub const ALL: [(&'static str, Kind); 5] = [
        ("register", Kind::Register),
        ("cas-register", Kind::CasRegister),
        ("kv", Kind::Kv),
        ("queue", Kind::Queue),
        ("set", Kind::Set),
    ];

    /// The functions this model knows.
    pub fn functions(self) -> &'static [F] {
        match self {
            Kind::Register => &[F::Read, F::Write],
            Kind::CasRegister | Kind::Kv => &[F::Read, F::Write, F::Cas],
            Kind::Queue => &[F::Enqueue, F::Dequeue],
            Kind::Set => &[F::Add, F::Read],
        }
    }

    /// Checks `history`, key by key (in parallel) if `by_key`.
    pub fn check(
        self,
        history: &History<Call, Value>,
        by_key: bool,
        options: &Options,
    ) -> Verdict<Call, Value> {
        let m = Generic(self);
        if by_key {
            check_partitioned(&m, history, |c: &Call| KeyOf(c.key.clone()), options)
        } else {
            check_with(&m, history, options)
        }
    }
}

/// The state of any of the five models.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// A register's value.
    Register(Value),
    /// A map's values.
    Map(BTreeMap<Value, Value>),
    /// A queue's elements, head first.
    Queue(VecDeque<Value>),
    /// A set's elements.
    Set(BTreeSet<Value>),
}

/// The model of a [`Kind`].
#[derive(Clone, Copy, Debug)]
pub struct Generic(pub Kind);

/// `want` matches `got` (anything, if the operation never returned).
fn matches(ret: Option<&Value>, got: &Value) -> bool {
    ret.is_none_or(|want| want == got)
}

/// A register step; `None` rejects.
fn register<'s>(v: &'s Value, c: &Call, ret: Option<&Value>) -> Option<Cow<'s, Value>> {
    match c.f {
        F::Read => matches(ret, v).then_some(Cow::Borrowed(v)),
        F::Write => Some(Cow::Owned(c.value.clone())),
        F::Cas => match &c.value {
            Value::List(pair) if pair.len() == 2 && pair[0] == *v => {
                Some(Cow::Owned(pair[1].clone()))
            }
            _ => None,
        },
        _ => None,
    }
}

impl Model for Generic {
    type State = State;
    type Op = Call;
    type Ret = Value;

    fn init(&self) -> State {
        match self.0 {
            Kind::Register | Kind::CasRegister => State::Register(Value::Nil),
            Kind::Kv => State::Map(BTreeMap::new()),
            Kind::Queue => State::Queue(VecDeque::new()),
            Kind::Set => State::Set(BTreeSet::new()),
        }
    }

    fn heap_bytes(&self, s: &State) -> usize {
        // Per element: the value (and the key) inline, plus B-tree / ring
        // overhead; a value's own heap data (strings, lists) is not counted.
        let v = std::mem::size_of::<Value>();
        match s {
            State::Register(_) => 0,
            State::Map(m) => m.len() * (2 * v + 16),
            State::Queue(q) => q.capacity() * v,
            State::Set(set) => set.len() * (v + 16),
        }
    }

    fn accepts<'s>(&self, s: &'s State, c: &Call, ret: Option<&Value>) -> Option<Cow<'s, State>> {
        if !self.0.functions().contains(&c.f) {
            return None;
        }
        match s {
            State::Register(v) => match register(v, c, ret)? {
                Cow::Borrowed(_) => Some(Cow::Borrowed(s)),
                Cow::Owned(v) => Some(Cow::Owned(State::Register(v))),
            },
            State::Map(m) => {
                let key = c.key.clone().unwrap_or_default();
                let nil = Value::Nil;
                let v = m.get(&key).unwrap_or(&nil);
                match register(v, c, ret)? {
                    Cow::Borrowed(_) => Some(Cow::Borrowed(s)),
                    Cow::Owned(v) => {
                        let mut m = m.clone();
                        m.insert(key, v);
                        Some(Cow::Owned(State::Map(m)))
                    }
                }
            }
            State::Queue(q) => match c.f {
                F::Enqueue => {
                    let mut q = q.clone();
                    q.push_back(c.value.clone());
                    Some(Cow::Owned(State::Queue(q)))
                }
                _ => match q.front() {
                    None => matches(ret, &Value::Nil).then_some(Cow::Borrowed(s)),
                    Some(head) if matches(ret, head) => {
                        let mut q = q.clone();
                        q.pop_front();
                        Some(Cow::Owned(State::Queue(q)))
                    }
                    Some(_) => None,
                },
            },
            State::Set(set) => match c.f {
                F::Add if set.contains(&c.value) => Some(Cow::Borrowed(s)),
                F::Add => {
                    let mut set = set.clone();
                    set.insert(c.value.clone());
                    Some(Cow::Owned(State::Set(set)))
                }
                _ => {
                    let ok = match ret {
                        None => true,
                        Some(Value::List(items)) => {
                            items.len() == set.len()
                                && items.iter().collect::<BTreeSet<_>>() == set.iter().collect()
                        }
                        Some(_) => false,
                    };
                    ok.then_some(Cow::Borrowed(s))
                }
            },
        }
    }
}
