//! Herlihy's wait-free universal construction, over any id-consensus protocol.
//!
//! **Algorithm.** The object is a log of `capacity` cells, each a one-shot
//! consensus ([`Proposals`] over a fresh instance of the slot protocol `C`)
//! on *which operation* goes there, plus per client `t` an announce register
//! `announce[t]` (the sequence number of `t`'s latest operation), the
//! operations themselves (`ops[t][s]`, written once by `t`), and a head
//! register `head[t]` (how many cells `t` knows decided). Every client keeps
//! its own replica of the object: the spec's state after the cells it has
//! replayed, and `applied[u]`, the last sequence number of each client `u`
//! applied so far. Client `me` submitting its `s`-th operation `op`:
//!
//! ```text
//! ops[me][s] := op;  announce[me] := s          (Release)
//! fence(SeqCst)                                   -- F1
//! m := max over t of head[t]                      (Acquire)
//! replay cells cursor..m from decided[k]          (Acquire), catching up
//! while my operation is not replayed:
//!     k := cursor
//!     head[me] := k;  fence(SeqCst)               -- F2
//!     h := k mod n
//!     if announce[h] > applied[h]: propose (h, announce[h])     -- help h
//!     else:                        propose (me, s)              -- or myself
//!     e := cell k's consensus;  decided[k] := e   (CAS ⊥ → e: a different
//!                                                  e there is a disagreement)
//!     replay e: skip it if applied[e.client] >= e.seq (a duplicate), else
//!               apply it to the replica; cursor := k + 1
//! return the value the replay of my operation produced
//! ```
//!
//! An operation is applied once however many helpers proposed it: every
//! client replays the same log and skips an entry whose sequence number it
//! has already applied. Its return value is the one the replay computes at
//! the operation's cell, never one computed earlier.
//!
//! **Linearization point**: the decision of the cell that holds the operation
//! (the slot protocol's decisive step). The log is the linearization order.
//!
//! **Progress: wait-free, at most n + 1 cells per operation** (with wait-free
//! slots; [`Universal::progress`]). Let `m` be the largest head `me` read
//! after F1. A client `q` proposing at a cell `k > m` stored `head[q] = k`
//! before its F2, and `me` read `head[q] ≤ m < k` after F1, so F2 cannot
//! precede F1 in the SeqCst order (else `me`'s load would see `k`, by the
//! fence rule of C++ \[atomics.fences\]); so F1 precedes F2 and `q`'s load of
//! `announce[me]` sees `me`'s operation. Among the n cells `m + 1 ..= m + n`
//! one, `k*`, has `k* mod n = me`: every proposer there sees `me` pending and
//! proposes `me`'s operation, so it is decided at a cell `≤ m + n`, and `me`
//! takes part in cells `m ..= m + n` at most. Replaying the cells below `m`
//! (decided before `me` looked) is not consensus and is not counted; each
//! client replays each cell once in its lifetime. The bound is tight: cell `m`
//! may go to a proposer that read `announce[me]` before F1, and each cell up
//! to `k*` to another client's operation.
//!
//! **Orderings.** `announce[me] := s` is Release, paired with the Acquire load
//! of `announce[me]` by a helper: it publishes `ops[me][s]`. `head` stores are
//! Release and the loads Acquire: a client that read `head[t] = k` sees
//! `decided[j]` for every `j < k` (each `decided` CAS is Release; its failure
//! and the catch-up loads are Acquire), and through them the operations they
//! name. The two SeqCst fences are the Dekker pair above (F1 after the
//! announce, F2 after the head store): only the helping rule needs them, and
//! [`NoHelping`] has neither. The proposals' own announce slots carry the
//! entry to every client the cell tells (see [`Proposals`]).
//!
//! [`NoHelping`] drops the helping rule: every client proposes its own
//! operation. It is lock-free (every cell decides someone's operation) but not
//! wait-free: a client can lose every cell to faster ones. `broken` holds the
//! variants that break the construction on purpose.

pub mod broken;
mod client;
mod rules;

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests;

pub use client::UniversalClient;
pub use rules::{Helping, NoHelping, Rules, View};

use super::{LogEntry, OpId, Replicated, RsmError, RsmProgress};
use crate::consensus::{IdConsensus, Progress, Proposals};
use crate::objects::Spec;
use crate::sync::{AtomicU64, AtomicUsize, CachePadded, Ordering, UnsafeCell};
use std::marker::PhantomData;
use std::sync::Arc;

/// Bits of a packed entry that hold the sequence number.
const SEQ_BITS: u32 = 40;
/// Clients a packed entry can name (`2^(64 − SEQ_BITS) − 1`).
pub const MAX_CLIENTS: usize = (1 << (64 - SEQ_BITS)) - 1;
/// The largest capacity a packed entry's sequence number can count to.
pub const MAX_CAPACITY: usize = (1 << SEQ_BITS) - 1;

/// An [`OpId`] packed in one word for the cells: `client << 40 | seq`; `seq`
/// starts at 1, so 0 means "no entry".
fn pack(id: OpId) -> u64 {
    ((id.client as u64) << SEQ_BITS) | id.seq
}

fn unpack(e: u64) -> OpId {
    OpId { client: (e >> SEQ_BITS) as usize, seq: e & ((1 << SEQ_BITS) - 1) }
}

/// One cell of the log: its consensus and the entry it decided.
struct Cell<C> {
    consensus: Proposals<u64, C>,
    /// The decided entry (packed), 0 until some client recorded it.
    decided: AtomicU64,
}

/// One client's operations, `row[s - 1]` its `s`-th, each written once.
type OpRow<Op> = Box<[UnsafeCell<Option<Op>>]>;

/// What every client shares.
pub(crate) struct Shared<S: Spec, C> {
    spec: S,
    cells: Box<[Cell<C>]>,
    announce: Box<[CachePadded<AtomicU64>]>,
    heads: Box<[CachePadded<AtomicUsize>]>,
    /// `ops[t][s - 1]`: client `t`'s `s`-th operation, written once by `t`
    /// before its Release store of `announce[t] = s`.
    ops: Box<[OpRow<S::Op>]>,
    slots: Progress,
}

// SAFETY: the only part that is not `Sync` by itself is `ops`, whose cells are
// written once, by their owner, before the Release store of `announce[owner]`
// that publishes them, and read only by threads that acquired that store
// (directly, or through a cell's decision or a head: see the module docs'
// orderings); no cell is written twice, so no write races a read. Readers
// clone through `&S::Op` from several threads at once, hence `S::Op: Sync`.
unsafe impl<S: Spec + Sync, C: Sync> Sync for Shared<S, C> where S::Op: Sync {}
// SAFETY: the object owns its operations (`S::Op: Send`) and slots
// (`C: Send`); nothing in it is tied to a thread.
unsafe impl<S: Spec + Send, C: Send> Send for Shared<S, C> {}

impl<S: Spec, C> Shared<S, C> {
    fn threads(&self) -> usize {
        self.announce.len()
    }

    /// Operation `id`, which the caller learned through a happens-before
    /// chain from its owner's announce (a cell's decision, a head, or
    /// `announce[id.client]` itself).
    fn op(&self, id: OpId) -> Option<S::Op> {
        let cell = self.ops.get(id.client)?.get(usize::try_from(id.seq).ok()?.checked_sub(1)?)?;
        // SAFETY: the owner wrote this cell once, before its Release store of
        // `announce[owner] = seq`, and the caller's knowledge of `id` comes
        // through an Acquire of that store or of a later Release in the same
        // chain (module docs), so the write happens-before this read; the cell
        // is never written again (sequence numbers only grow).
        cell.with(|p| unsafe { (*p).clone() })
    }
}

/// Herlihy's universal construction of `S` over consensus protocol `C`, with
/// the proposal rule `R` ([`Helping`]: wait-free; [`NoHelping`]: lock-free).
///
/// ```
/// use consensus_lab::consensus::cas::CasConsensus;
/// use consensus_lab::objects::queue::{QueueOp, QueueSpec};
/// use consensus_lab::rsm::universal::{Helping, Universal};
/// use consensus_lab::rsm::{Client, Replicated};
///
/// let mut queue = Universal::<_, _, Helping>::new(QueueSpec::default(), 2, 8, || {
///     Ok(CasConsensus::new(2))
/// })
/// .unwrap();
/// let [mut a, mut b]: [_; 2] = queue.clients().unwrap().try_into().ok().unwrap();
/// std::thread::scope(|s| {
///     s.spawn(move || a.submit(QueueOp::Enq(1)).unwrap());
///     s.spawn(move || b.submit(QueueOp::Enq(2)).unwrap());
/// });
/// let log = queue.log();
/// assert_eq!(log.len(), 2); // two enqueues, in the agreed order
/// ```
pub struct Universal<S: Spec, C, R = Helping> {
    shared: Arc<Shared<S, C>>,
    handed_out: bool,
    _rules: PhantomData<fn() -> R>,
}

impl<S: Spec, C, R> std::fmt::Debug for Universal<S, C, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Universal")
            .field("clients", &self.shared.threads())
            .field("capacity", &self.shared.cells.len())
            .field("handed_out", &self.handed_out)
            .finish_non_exhaustive()
    }
}

impl<S, C, R> Universal<S, C, R>
where
    S: Spec + Send + Sync + 'static,
    S::Op: Sync,
    C: IdConsensus + Send + 'static,
    R: Rules,
{
    /// A log of `capacity` cells for `clients` clients, each cell's consensus
    /// a fresh `slot()`.
    ///
    /// # Errors
    /// [`RsmError::InvalidConfig`] for zero clients or capacity, more than
    /// [`MAX_CLIENTS`] clients or [`MAX_CAPACITY`] cells, a slot protocol that
    /// serves fewer than `clients` threads; and whatever `slot` fails with.
    pub fn new(
        spec: S,
        clients: usize,
        capacity: usize,
        mut slot: impl FnMut() -> Result<C, crate::consensus::ConsensusError>,
    ) -> Result<Self, RsmError> {
        let bad = |m: String| Err(RsmError::InvalidConfig(m));
        if clients == 0 {
            return bad("a replicated object needs at least 1 client".into());
        }
        if clients > MAX_CLIENTS {
            return bad(format!(
                "at most {MAX_CLIENTS} clients fit a log entry ({clients} requested)"
            ));
        }
        if capacity == 0 {
            return bad("the log needs at least 1 cell (capacity 0 requested)".into());
        }
        if capacity > MAX_CAPACITY {
            return bad(format!(
                "at most {MAX_CAPACITY} cells fit a log entry ({capacity} requested)"
            ));
        }
        let mut cells = Vec::with_capacity(capacity);
        let mut slots = Progress::WaitFree { steps: 0 };
        for cell in 0..capacity {
            let c = slot().map_err(|source| RsmError::Slot { cell, source })?;
            if c.threads() < clients {
                return bad(format!(
                    "the slot protocol serves {} threads, fewer than the {clients} clients",
                    c.threads()
                ));
            }
            slots = c.progress();
            cells.push(Cell { consensus: Proposals::new(c), decided: AtomicU64::new(0) });
        }
        let padded = |n: usize| (0..n).map(|_| CachePadded::new(AtomicU64::new(0))).collect();
        let shared = Shared {
            spec,
            cells: cells.into_boxed_slice(),
            announce: padded(clients),
            heads: (0..clients).map(|_| CachePadded::new(AtomicUsize::new(0))).collect(),
            ops: (0..clients)
                .map(|_| (0..capacity).map(|_| UnsafeCell::new(None)).collect())
                .collect(),
            slots,
        };
        Ok(Universal { shared: Arc::new(shared), handed_out: false, _rules: PhantomData })
    }
}

impl<S, C, R> Replicated for Universal<S, C, R>
where
    S: Spec + Send + Sync + 'static,
    S::Op: Sync,
    C: IdConsensus + Send + 'static,
    R: Rules,
{
    type Spec = S;
    type Client = UniversalClient<S, C, R>;

    fn spec(&self) -> &S {
        &self.shared.spec
    }

    fn clients_count(&self) -> usize {
        self.shared.threads()
    }

    fn capacity(&self) -> usize {
        self.shared.cells.len()
    }

    fn progress(&self) -> RsmProgress {
        rules::progress::<R>(self.shared.slots, self.shared.threads())
    }

    fn clients(&mut self) -> Result<Vec<UniversalClient<S, C, R>>, RsmError> {
        if std::mem::replace(&mut self.handed_out, true) {
            return Err(RsmError::ClientsHandedOut);
        }
        Ok((0..self.shared.threads())
            .map(|me| UniversalClient::new(Arc::clone(&self.shared), me))
            .collect())
    }

    fn log(&self) -> Vec<LogEntry<S::Op>> {
        let sh = &*self.shared;
        let mut log = Vec::new();
        for (cell, c) in sh.cells.iter().enumerate() {
            // Acquire: pairs with the Release CAS that recorded the entry, so
            // the operation it names is visible; cells are recorded in order
            // (a client records cell k only after it knew k − 1), so the first
            // empty cell ends the decided prefix.
            let e = c.decided.load(Ordering::Acquire);
            if e == 0 {
                break;
            }
            let id = unpack(e);
            match sh.op(id) {
                Some(op) => log.push(LogEntry { cell, id, op }),
                None => break,
            }
        }
        log
    }
}
