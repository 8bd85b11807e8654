//! What every leader-based log of the lab shares (Multi-Paxos, and Zab,
//! which uses it from here): the clients' announced operations and the
//! published log of entry codes ([`entry`]).
//!
//! * **Announce** ([`Announced`], which EPaxos uses too). Client `t` writes its `s`-th operation into its own cell
//!   `ops[t][s - 1]` (once), then stores `announce[t] := s` with Release. A
//!   leader that Acquire-loads `announce[t] = s` may read the operation.
//! * **Publish.** A leader stores an entry's code into cell `k` of the
//!   published log with a Release compare&swap from 0 (the protocol decides
//!   *when*: Multi-Paxos once a majority accepted, Zab once a majority
//!   acknowledged); replicas Acquire-load the cells in order. An entry names
//!   an operation, so reading the entry makes the operation readable: the
//!   leader read it through the owner's announce before it published.
//! * **Ghost** (model worlds only): the first entry chosen at each slot, by
//!   whoever got the quorum, published or not, so a chosen entry that is
//!   later replaced is a disagreement even if nobody ever published it.

use super::entry;
use crate::rsm::{LogEntry, OpId, RsmError};
use crate::sync::{AtomicU64, CachePadded, Ordering, UnsafeCell};
use crate::trace::Val;
use crate::trace_step;

/// One client's operations, `row[s - 1]` its `s`-th, each written once.
type OpRow<Op> = Box<[UnsafeCell<Option<Op>>]>;

/// The announce registers and the operations they publish (also EPaxos's,
/// whose instances name operations as the log's entries do).
pub(crate) struct Announced<Op> {
    announce: Box<[CachePadded<AtomicU64>]>,
    ops: Box<[OpRow<Op>]>,
}

// SAFETY: `ops` cells are written once by their owner before the Release
// announce that publishes them, and read only by threads that acquired that
// store (directly, or through whatever the protocol orders after it: an
// acceptor's slot word, a follower region's mutex, a published entry, an
// EPaxos replica's mutex or commit cell); no cell is written twice. The
// operations cross threads, hence `Op: Send + Sync`.
unsafe impl<Op: Send + Sync> Sync for Announced<Op> {}
// SAFETY: the table owns its operations; nothing is tied to a thread.
unsafe impl<Op: Send> Send for Announced<Op> {}

impl<Op: Clone> Announced<Op> {
    /// Nothing announced, for `clients` clients of `capacity` operations each.
    pub(crate) fn new(clients: usize, capacity: usize) -> Self {
        Announced {
            announce: (0..clients).map(|_| CachePadded::new(AtomicU64::new(0))).collect(),
            ops: (0..clients)
                .map(|_| (0..capacity).map(|_| UnsafeCell::new(None)).collect())
                .collect(),
        }
    }

    pub(crate) fn clients(&self) -> usize {
        self.announce.len()
    }

    /// Operations each client can announce.
    pub(crate) fn per_client(&self) -> usize {
        self.ops.first().map_or(0, |row| row.len())
    }

    /// Client `me` announces its `seq`-th operation (only `me`'s one handle
    /// calls it, once per `seq`, `1 ≤ seq ≤ per_client()`).
    pub(crate) fn announce(&self, me: usize, seq: u64, op: Op) {
        // SAFETY: only client `me` writes row `me`, and cell `seq − 1` is
        // fresh: nobody reads it before acquiring `announce[me] = seq`.
        self.ops[me][seq as usize - 1].with_mut(|p| unsafe { *p = Some(op) });
        // Release: pairs with a leader's Acquire load in `announced`,
        // publishing the operation written just above.
        self.announce[me].store(seq, Ordering::Release);
        trace_step!(me, Store { loc: Loc::at("announce", me), value: Val::Num(seq) });
    }

    /// Client `t`'s latest announced sequence number (0: none).
    pub(crate) fn announced(&self, t: usize) -> u64 {
        // Acquire: pairs with the Release store in `announce`.
        self.announce[t].load(Ordering::Acquire)
    }

    /// Operation `id`, learned through a happens-before chain from its
    /// owner's announce.
    pub(crate) fn op(&self, id: OpId) -> Option<Op> {
        let cell = self.ops.get(id.client)?.get(usize::try_from(id.seq).ok()?.checked_sub(1)?)?;
        // SAFETY: written once by its owner before the Release announce the
        // caller's knowledge of `id` descends from (module docs); never
        // written again.
        cell.with(|p| unsafe { (*p).clone() })
    }
}

/// The announce registers, the operations they publish, and the published log.
pub(crate) struct Published<Op> {
    table: Announced<Op>,
    /// The published entries (codes; 0: nothing published yet).
    cells: Box<[AtomicU64]>,
    #[cfg(any(loom, shuttle))]
    ghost: std::sync::Mutex<Vec<u64>>,
}

impl<Op> std::fmt::Debug for Published<Op> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Published")
            .field("clients", &self.table.announce.len())
            .field("capacity", &self.cells.len())
            .finish_non_exhaustive()
    }
}

impl<Op: Clone> Published<Op> {
    /// Nothing announced or published, for `clients` clients and `capacity`
    /// slots (and operations per client).
    pub(crate) fn new(clients: usize, capacity: usize) -> Self {
        Published {
            table: Announced::new(clients, capacity),
            cells: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
            #[cfg(any(loom, shuttle))]
            ghost: std::sync::Mutex::new(vec![0; capacity]),
        }
    }

    pub(crate) fn clients(&self) -> usize {
        self.table.clients()
    }

    /// Slots of the log.
    pub(crate) fn capacity(&self) -> usize {
        self.cells.len()
    }

    /// Published cell `k`.
    pub(crate) fn cell(&self, k: usize) -> Option<&AtomicU64> {
        self.cells.get(k)
    }

    /// Client `me` announces its `seq`-th operation ([`Announced::announce`]).
    pub(crate) fn announce(&self, me: usize, seq: u64, op: Op) {
        self.table.announce(me, seq, op);
    }

    /// Client `t`'s latest announced sequence number (0: none).
    pub(crate) fn announced(&self, t: usize) -> u64 {
        self.table.announced(t)
    }

    /// Operation `id` ([`Announced::op`]).
    pub(crate) fn op(&self, id: OpId) -> Option<Op> {
        self.table.op(id)
    }

    /// The published prefix, cell by cell (no-ops skipped).
    pub(crate) fn entries(&self) -> Vec<LogEntry<Op>> {
        let mut log = Vec::new();
        for (cell, c) in self.cells.iter().enumerate() {
            // Acquire: pairs with the leader's Release publish, so the
            // operation the entry names is visible.
            let e = c.load(Ordering::Acquire);
            if e == 0 {
                break;
            }
            if let Some(id) = entry::unpack(e) {
                match self.op(id) {
                    Some(op) => log.push(LogEntry { cell, id, op }),
                    None => break,
                }
            }
        }
        log
    }

    /// The entries a replica applied, `(cell, code)`, as a log.
    pub(crate) fn replayed(&self, applied: &[(usize, u64)]) -> Vec<LogEntry<Op>> {
        applied
            .iter()
            .map_while(|&(cell, e)| {
                let id = entry::unpack(e)?;
                self.op(id).map(|op| LogEntry { cell, id, op })
            })
            .collect()
    }

    /// The published cells that hold a no-op (read after the run).
    pub(crate) fn noops(&self) -> usize {
        self.cells
            .iter()
            // Relaxed: only the value is compared; read after the run.
            .map(|c| c.load(Ordering::Relaxed))
            .take_while(|&e| e != 0)
            .filter(|&e| e == entry::NOOP)
            .count()
    }

    /// Model worlds: records entry `e` chosen at `slot`; a different one
    /// chosen there before is a lost chosen entry.
    #[cfg(any(loom, shuttle))]
    pub(crate) fn ghost(&self, slot: usize, e: u64) -> Result<(), RsmError> {
        let mut g = self.ghost.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match g[slot] {
            0 => {
                g[slot] = e;
                Ok(())
            }
            first if first == e => Ok(()),
            first => Err(disagreement(slot, first, e)),
        }
    }

    #[cfg(not(any(loom, shuttle)))]
    #[inline(always)]
    pub(crate) fn ghost(&self, _slot: usize, _e: u64) -> Result<(), RsmError> {
        Ok(())
    }
}

/// Two entries at one slot.
pub(crate) fn disagreement(slot: usize, first: u64, second: u64) -> RsmError {
    let id = |e: u64| entry::unpack(e).unwrap_or(OpId::NOOP);
    RsmError::Disagreement { cell: slot, first: id(first), second: id(second) }
}

/// An entry as the trace shows it.
pub(crate) fn entry_val(e: u64) -> Val {
    match entry::unpack(e) {
        Some(id) => Val::Op { client: id.client, seq: id.seq },
        None => Val::Bot,
    }
}
