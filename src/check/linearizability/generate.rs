//! Generated histories of the [`models`](super::models): a simulated object
//! that is linearizable by construction, for tests, benchmarks and `conlab
//! check-history` demonstrations.
//!
//! Each tick one random process moves: an idle one invokes a random operation;
//! a pending one either takes effect (its linearization point: the operation
//! is applied to the simulated state), or, once applied, returns. With
//! probability `crash_percent`, a pending operation instead crashes, before or
//! after taking effect: it never returns, and its process is replaced by a new
//! one (a new id), as Jepsen does. A cas that finds another value fails and is
//! left out of the history, like Jepsen's `:fail`.

use super::models::{Call, Generic, Kind, Value, F};
use super::{History, Model, Operation};

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Generate {
    /// The model.
    pub kind: Kind,
    /// Processes running at once.
    pub processes: usize,
    /// Operations invoked.
    pub ops: usize,
    /// Keys (for `kv`; ignored by the other models, which have none).
    pub keys: usize,
    /// Percent of operations that crash.
    pub crash_percent: u32,
    /// The random seed.
    pub seed: u64,
}

/// Generates a linearizable history.
pub fn generate(g: &Generate) -> History<Call, Value> {
    let mut rng = fastrand::Rng::with_seed(g.seed);
    let model = Generic(g.kind);
    let mut state = model.init();
    let processes = g.processes.max(1);
    // Per process slot: its current id, and its pending operation (index,
    // applied?, the value it will return).
    let mut ids: Vec<usize> = (0..processes).collect();
    let mut next_id = processes;
    let mut pending: Vec<Option<(usize, bool, Value)>> = vec![None; processes];
    let mut ops: Vec<Operation<Call, Value>> = Vec::with_capacity(g.ops);
    let mut failed = vec![false; g.ops];
    let mut t = 0u64;
    let mut counter = 0i64;
    while ops.len() < g.ops || pending.iter().any(Option::is_some) {
        t += 1;
        let p = rng.usize(..processes);
        match pending[p].take() {
            None if ops.len() < g.ops => {
                counter += 1;
                let call = random_call(g, &mut rng, counter);
                ops.push(Operation { thread: ids[p], op: call, call: t, ret: None });
                pending[p] = Some((ops.len() - 1, false, Value::Nil));
            }
            None => {}
            Some((i, applied, ret)) => {
                if rng.u32(..100) < g.crash_percent {
                    if !applied && rng.bool() {
                        // Crashed before taking effect: it never happened.
                    } else if !applied {
                        let _ = apply(&model, &mut state, &ops[i].op);
                    }
                    ids[p] = next_id;
                    next_id += 1;
                } else if !applied {
                    match apply(&model, &mut state, &ops[i].op) {
                        Some(r) => pending[p] = Some((i, true, r)),
                        None => failed[i] = true,
                    }
                } else {
                    ops[i].ret = Some((t, ret));
                }
            }
        }
    }
    let ops = ops.into_iter().zip(failed).filter(|(_, f)| !f).map(|(o, _)| o).collect();
    History { ops }
}

/// Applies `c` to `state`; what it returns, or `None` for a failed cas.
fn apply(model: &Generic, state: &mut <Generic as Model>::State, c: &Call) -> Option<Value> {
    use super::models::State;
    let ret = match (&*state, c.f) {
        (State::Register(v), F::Read) => v.clone(),
        (State::Map(m), F::Read) => m.get(c.key.as_ref()?).cloned().unwrap_or_default(),
        (State::Queue(q), F::Dequeue) => q.front().cloned().unwrap_or_default(),
        (State::Set(s), F::Read) => Value::List(s.iter().cloned().collect()),
        _ => Value::Nil,
    };
    let next = model.accepts(state, c, Some(&ret))?.into_owned();
    *state = next;
    Some(ret)
}

fn random_call(g: &Generate, rng: &mut fastrand::Rng, counter: i64) -> Call {
    let small = |rng: &mut fastrand::Rng| Value::Int(rng.i64(0..5));
    let (f, value) = match g.kind {
        Kind::Register => match rng.u32(..2) {
            0 => (F::Read, Value::Nil),
            _ => (F::Write, small(rng)),
        },
        Kind::CasRegister | Kind::Kv => match rng.u32(..3) {
            0 => (F::Read, Value::Nil),
            1 => (F::Write, small(rng)),
            _ => (F::Cas, Value::List(vec![small(rng), small(rng)])),
        },
        Kind::Queue => match rng.u32(..3) {
            0 => (F::Enqueue, Value::Int(counter)),
            _ => (F::Dequeue, Value::Nil),
        },
        Kind::Set => match rng.u32(..2) {
            0 => (F::Add, Value::Int(counter)),
            _ => (F::Read, Value::Nil),
        },
    };
    let key = (g.kind == Kind::Kv).then(|| Value::Int(rng.usize(..g.keys.max(1)) as i64));
    Call { f, key, value }
}
