//! From a file's events (invoke, then ok / fail / info, per process) to a
//! [`History`] of [`Call`]s: the part of reading a history file that Jepsen's
//! EDN ([`edn`](super::edn)) and the JSON-lines format (read by `conlab
//! check-history`) share.
//!
//! The rules, Jepsen's: each process invokes one operation at a time, and its
//! next event for it completes it. `ok` returned (for a read, a dequeue: with
//! the value read); `fail` did not take effect (the operation is dropped);
//! `info` crashed: it may or may not have taken effect, and never returns. An
//! operation still open at the end of the file crashed too. An event whose
//! process is not an integer (Jepsen's `:nemesis`) is skipped. Times are the
//! events' `time` fields, or, if no event has one, their positions in the
//! file. For `kv` (and any model checked key by key) the key is the event's
//! `key` field, or the value is Jepsen's `[key value]` pair.

use super::models::{Call, Kind, Value, F};
use super::{History, Operation};
use std::collections::HashMap;
use std::fmt;

/// An event's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// The operation was invoked.
    Invoke,
    /// It returned.
    Ok,
    /// It definitely did not take effect.
    Fail,
    /// It crashed: unknown whether it took effect.
    Info,
}

impl Type {
    /// Parses `invoke`, `ok`, `fail`, `info`.
    pub fn parse(s: &str) -> Option<Type> {
        Some(match s {
            "invoke" => Type::Invoke,
            "ok" => Type::Ok,
            "fail" => Type::Fail,
            "info" => Type::Info,
            _ => return None,
        })
    }
}

/// One event of a history file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Where it starts in the file (1-based), for messages.
    pub line: usize,
    /// Its type.
    pub kind: Type,
    /// The process; `None` for a non-integer one (skipped).
    pub process: Option<i64>,
    /// The function's name.
    pub f: String,
    /// The key, if the event has a separate one.
    pub key: Option<Value>,
    /// The value.
    pub value: Value,
    /// The time, if the event has one.
    pub time: Option<i64>,
}

/// What is wrong with a history file, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The line (1-based).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError { line, message: message.into() })
}

/// The key and the value of `e`.
fn split(e: &Event, keyed: bool) -> Result<(Option<Value>, Value), ParseError> {
    if !keyed {
        return Ok((None, e.value.clone()));
    }
    if let Some(k) = &e.key {
        return Ok((Some(k.clone()), e.value.clone()));
    }
    match &e.value {
        Value::List(kv) if kv.len() == 2 => Ok((Some(kv[0].clone()), kv[1].clone())),
        v => err(e.line, format!("expected a [key value] pair (or a key field), found {v}")),
    }
}

/// Pairs the events into operations for `kind` (keyed: key by key).
///
/// # Errors
/// The first event that breaks the rules, with its line.
pub fn history(
    events: &[Event],
    kind: Kind,
    by_key: bool,
) -> Result<History<Call, Value>, ParseError> {
    let keyed = by_key || kind == Kind::Kv;
    let timed = events.iter().any(|e| e.time.is_some());
    let mut open: HashMap<i64, (usize, usize)> = HashMap::new(); // process -> (op, line)
    let mut ops: Vec<Option<Operation<Call, Value>>> = Vec::new();
    for (pos, e) in events.iter().enumerate() {
        let Some(process) = e.process else { continue };
        let time = match e.time {
            Some(t) if t >= 0 => t as u64,
            Some(t) => return err(e.line, format!("negative time {t}")),
            None if timed => return err(e.line, "no time (other events have one)"),
            None => pos as u64,
        };
        let thread = usize::try_from(process)
            .or_else(|_| err(e.line, format!("negative process {process}")))?;
        let f = F::parse(&e.f).ok_or_else(|| ParseError {
            line: e.line,
            message: format!(
                "unknown function {:?} (known: read write cas enqueue dequeue add)",
                e.f
            ),
        })?;
        if !kind.functions().contains(&f) {
            let known: Vec<String> = kind.functions().iter().map(|f| format!("{f:?}")).collect();
            return err(
                e.line,
                format!(
                    "{:?} is not an operation of this model (it has {})",
                    e.f,
                    known.join(", ")
                ),
            );
        }
        let (key, value) = split(e, keyed)?;
        if e.kind == Type::Invoke {
            if let Some((_, line)) = open.get(&process) {
                return err(
                    e.line,
                    format!("process {process} invoked again before its operation of line {line} completed"),
                );
            }
            if f == F::Cas && !matches!(&value, Value::List(p) if p.len() == 2) {
                return err(e.line, format!("a cas takes [old new], found {value}"));
            }
            open.insert(process, (ops.len(), e.line));
            ops.push(Some(Operation { thread, op: Call { f, key, value }, call: time, ret: None }));
            continue;
        }
        let Some((i, _)) = open.remove(&process) else {
            return err(
                e.line,
                format!("a completion of process {process} with no invoke before it"),
            );
        };
        let Some(o) = ops[i].as_mut() else { continue };
        if o.op.f != f || o.op.key != key {
            return err(e.line, format!("this completion does not match the invoke ({})", o.op));
        }
        match e.kind {
            Type::Ok => {
                if time < o.call {
                    return err(
                        e.line,
                        format!("returns at {time}, before its invoke at {}", o.call),
                    );
                }
                let ret = if matches!(f, F::Read | F::Dequeue) { value } else { Value::Nil };
                o.ret = Some((time, ret));
            }
            Type::Fail => ops[i] = None,
            Type::Info | Type::Invoke => {}
        }
    }
    Ok(History { ops: ops.into_iter().flatten().collect() })
}
