//! The commit table: per instance, the committed command and attributes,
//! written once by whoever commits it first (its leader, or a recovery)
//! and read by every replica's executor. The shared-memory form of
//! EPaxos's Commit message (as Multi-Paxos's published log is its
//! decisions'): a leader that crashes after committing leaves its commit
//! readable.
//!
//! Each cell is a write-once slot: a state word (0 empty, 1 being written,
//! 2 readable) and the value. A committer claims the cell with a
//! compare&swap 0 → 1, writes the value, and stores 2 with Release; a reader
//! that loads 2 with Acquire reads the value. Two committers of one instance
//! must commit the same thing (the protocol's agreement); the loser of the
//! claim compares when the value is readable, and in model worlds a ghost
//! record compares every commit with the first (a broken variant's second,
//! different commit is a reported disagreement, not a silent loss).
//!
//! **Progress.** Wait-free: a commit is one compare&swap and two stores, a
//! read one load (and a copy).

use super::replica::{Attrs, Command};
use crate::rsm::{OpId, RsmError};
use crate::sync::{AtomicU8, Ordering, UnsafeCell};
use crate::trace_step;

/// What a commit fixes for an instance.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Committed {
    /// The command (the instance's operation, or a recovery's no-op).
    pub command: Command,
    /// The attributes every replica executes it with.
    pub attrs: Attrs,
}

const EMPTY: u8 = 0;
const WRITING: u8 = 1;
const READY: u8 = 2;

struct Cell {
    state: AtomicU8,
    value: UnsafeCell<Option<Committed>>,
}

/// Every instance's commit cell, `rows[client][seq − 1]`.
pub(crate) struct Commits {
    rows: Box<[Box<[Cell]>]>,
    #[cfg(any(loom, shuttle))]
    ghost: std::sync::Mutex<std::collections::HashMap<OpId, Committed>>,
    /// Model worlds: a waiter for a commit blocks here instead of spinning
    /// (two spinning waiters could take turns forever in loom's eyes, and
    /// loom gives up on such a model); every commit rings it.
    #[cfg(any(loom, shuttle))]
    bell: (crate::sync::StdMutex<()>, crate::sync::Condvar),
}

// SAFETY: a cell's value is written only by the thread whose compare&swap
// 0 → 1 won it, before its Release store of 2; it is read only after an
// Acquire load of 2, which synchronizes with that store; it is never
// written again. The values cross threads (they are plain data).
unsafe impl Sync for Commits {}
// SAFETY: the table owns its values; nothing is tied to a thread.
unsafe impl Send for Commits {}

impl std::fmt::Debug for Commits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Commits").field("rows", &self.rows.len()).finish_non_exhaustive()
    }
}

impl Commits {
    /// Nothing committed, `rows` rows of `per_row` instances.
    pub(crate) fn new(rows: usize, per_row: usize) -> Self {
        Commits {
            rows: (0..rows)
                .map(|_| {
                    (0..per_row)
                        .map(|_| Cell { state: AtomicU8::new(EMPTY), value: UnsafeCell::new(None) })
                        .collect()
                })
                .collect(),
            #[cfg(any(loom, shuttle))]
            ghost: std::sync::Mutex::new(std::collections::HashMap::new()),
            #[cfg(any(loom, shuttle))]
            bell: (crate::sync::StdMutex::new(()), crate::sync::Condvar::new()),
        }
    }

    /// Waits for instance `id`'s commit, or a little (real cores: yields
    /// once and returns; the caller looks again).
    pub(crate) fn wait(&self, id: OpId) {
        #[cfg(any(loom, shuttle))]
        {
            let guard = self.bell.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            // Checked under the bell's lock: a commit that lands after this
            // check rings only after this thread waits (it takes the lock to
            // ring), so no wake-up is lost.
            if self.get(id).is_none() {
                drop(self.bell.1.wait(guard).unwrap_or_else(std::sync::PoisonError::into_inner));
            }
        }
        #[cfg(not(any(loom, shuttle)))]
        {
            let _ = id;
            crate::sync::yield_now();
        }
    }

    #[cfg(any(loom, shuttle))]
    fn ring(&self) {
        let _guard = self.bell.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.bell.1.notify_all();
    }

    #[cfg(not(any(loom, shuttle)))]
    #[inline(always)]
    fn ring(&self) {}

    fn cell(&self, id: OpId) -> Option<&Cell> {
        self.rows.get(id.client)?.get(usize::try_from(id.seq).ok()?.checked_sub(1)?)
    }

    /// Commits `c` for instance `id` (by thread `me`, for the trace).
    ///
    /// # Errors
    /// [`RsmError::Conflicting`]: the instance was committed differently
    /// before (agreement broken); [`RsmError::BadEntry`]: no such instance.
    pub(crate) fn commit(&self, me: usize, id: OpId, c: Committed) -> Result<(), RsmError> {
        self.ghost(id, &c)?;
        let Some(cell) = self.cell(id) else {
            return Err(RsmError::BadEntry { cell: 0, entry: id });
        };
        // Relaxed on success: the claim publishes nothing (the Release store
        // below does). Acquire on failure: pairs with the winner's Release
        // store of READY, so its value can be compared.
        match cell.state.compare_exchange(EMPTY, WRITING, Ordering::Relaxed, Ordering::Acquire) {
            Ok(_) => {
                trace_step!(
                    me,
                    Store { loc: Loc::at("commit", id.client), value: c.attrs.trace() }
                );
                // SAFETY: this thread won the claim: nobody else writes the
                // cell, and nobody reads it before the READY store below.
                cell.value.with_mut(|p| unsafe { *p = Some(c) });
                // Release: pairs with the Acquire loads in `get` and in a
                // losing committer's claim, publishing the value.
                cell.state.store(READY, Ordering::Release);
                self.ring();
                Ok(())
            }
            Err(READY) => {
                // SAFETY: READY was acquired: the value is written, never again.
                let first = cell.value.with(|p| unsafe { (*p).clone() });
                match first {
                    Some(f) if f != c => Err(conflicting(id, &f, &c)),
                    _ => Ok(()),
                }
            }
            // Being written by another committer: it publishes (the ghost
            // compares in models).
            Err(_) => Ok(()),
        }
    }

    /// What instance `id` committed, if it is readable.
    pub(crate) fn get(&self, id: OpId) -> Option<Committed> {
        let cell = self.cell(id)?;
        // Acquire: pairs with the committer's Release store of READY.
        if cell.state.load(Ordering::Acquire) != READY {
            return None;
        }
        // SAFETY: READY was acquired: the value is written, never again.
        cell.value.with(|p| unsafe { (*p).clone() })
    }

    /// Whether `id` names an instance of the table.
    pub(crate) fn exists(&self, id: OpId) -> bool {
        self.cell(id).is_some()
    }

    #[cfg(any(loom, shuttle))]
    fn ghost(&self, id: OpId, c: &Committed) -> Result<(), RsmError> {
        let mut g = self.ghost.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match g.get(&id) {
            None => {
                g.insert(id, c.clone());
                Ok(())
            }
            Some(f) if f == c => Ok(()),
            Some(f) => Err(conflicting(id, f, c)),
        }
    }

    #[cfg(not(any(loom, shuttle)))]
    #[inline(always)]
    fn ghost(&self, _id: OpId, _c: &Committed) -> Result<(), RsmError> {
        Ok(())
    }
}

fn conflicting(id: OpId, first: &Committed, second: &Committed) -> RsmError {
    let show = |c: &Committed| match c.command {
        Command::Noop => format!("a no-op {}", c.attrs.trace()),
        Command::Op(_) => format!("{id} {}", c.attrs.trace()),
    };
    RsmError::Conflicting { instance: id, first: show(first), second: show(second) }
}
