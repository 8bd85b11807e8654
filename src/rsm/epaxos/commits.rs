//! The commit table: per instance, the committed command and attributes,
//! written once by whoever commits it first (its leader, or a recovery)
//! and read by every replica's executor. The shared-memory form of
//! EPaxos's Commit message (as Multi-Paxos's published log is its
//! decisions'): a leader that crashes after committing leaves its commit
//! readable.
//!
//! Each cell is a pointer, null until a committer installs its value with
//! one compare&swap (Release); a reader that loads a non-null pointer with
//! Acquire reads the value. One step, so a commit is never half done: a
//! committer preempted between claiming a cell and filling it would leave
//! every waiter for that instance spinning on it. The first commit wins: a
//! leader and a recovery of its instance may both commit, with different
//! attributes if the recovery did not see the leader's fast quorum, and
//! both values keep the dependency invariant ([`recovery`](super::recovery)),
//! so the table's one value is what every replica executes.
//!
//! **Progress.** Wait-free: a commit is an allocation and one
//! compare&swap, a read one load (and a copy).

use super::replica::{Attrs, Command};
use crate::rsm::{OpId, RsmError};
use crate::sync::{AtomicPtr, Ordering};
use crate::trace_step;

/// What a commit fixes for an instance.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Committed {
    /// The command (the instance's operation, or a recovery's no-op).
    pub command: Command,
    /// The attributes every replica executes it with.
    pub attrs: Attrs,
}

/// Every instance's commit cell, `rows[client][seq − 1]`: null, or a
/// pointer to the committed value, installed once.
pub(crate) struct Commits {
    rows: Box<[Box<[AtomicPtr<Committed>]>]>,
}

// SAFETY: a cell's pointer is installed once, by a Release compare&swap
// from null, pointing to a value its committer allocated and never touches
// again; a reader dereferences it only after an Acquire load of it (which
// synchronizes with that compare&swap), and only shared; the values are
// freed only in `drop`, with `&mut self`. The values are plain data.
unsafe impl Sync for Commits {}
// SAFETY: the table owns its values; nothing is tied to a thread.
unsafe impl Send for Commits {}

impl std::fmt::Debug for Commits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Commits").field("rows", &self.rows.len()).finish_non_exhaustive()
    }
}

impl Drop for Commits {
    fn drop(&mut self) {
        for row in self.rows.iter_mut() {
            for cell in row.iter_mut() {
                // Relaxed: `&mut self`, every other thread is done with the table.
                let p = cell.swap(std::ptr::null_mut(), Ordering::Relaxed);
                if !p.is_null() {
                    // SAFETY: installed by `commit` from `Box::into_raw`,
                    // freed once (swapped out above).
                    drop(unsafe { Box::from_raw(p) });
                }
            }
        }
    }
}

impl Commits {
    /// Nothing committed, `rows` rows of `per_row` instances.
    pub(crate) fn new(rows: usize, per_row: usize) -> Self {
        Commits {
            rows: (0..rows)
                .map(|_| (0..per_row).map(|_| AtomicPtr::new(std::ptr::null_mut())).collect())
                .collect(),
        }
    }

    fn cell(&self, id: OpId) -> Option<&AtomicPtr<Committed>> {
        self.rows.get(id.client)?.get(usize::try_from(id.seq).ok()?.checked_sub(1)?)
    }

    /// Commits `c` for instance `id` (by thread `me`, for the trace), unless
    /// the instance is committed already: the first commit wins, and a
    /// later committer's value (a recovery's, a fenced leader's) is
    /// dropped; every replica executes the winner's.
    ///
    /// # Errors
    /// [`RsmError::BadEntry`]: no such instance.
    pub(crate) fn commit(&self, me: usize, id: OpId, c: Committed) -> Result<(), RsmError> {
        let Some(cell) = self.cell(id) else {
            return Err(RsmError::BadEntry { cell: 0, entry: id });
        };
        let mine = Box::into_raw(Box::new(c));
        // Release: pairs with the Acquire load in `get`, publishing the
        // value written just above. Relaxed on failure: a loser reads
        // nothing through the cell.
        match cell.compare_exchange(
            std::ptr::null_mut(),
            mine,
            Ordering::Release,
            Ordering::Relaxed,
        ) {
            Ok(_) => {
                // SAFETY: `mine` is live (installed, freed only in `drop`).
                let attrs = unsafe { &(*mine).attrs }.trace();
                trace_step!(me, Store { loc: Loc::at("commit", id.client), value: attrs });
            }
            Err(_) => {
                // SAFETY: `mine` was never shared: this thread frees it.
                drop(unsafe { Box::from_raw(mine) });
                trace_step!(
                    me,
                    Note("the instance was committed already: the first commit stands")
                );
            }
        }
        Ok(())
    }

    /// What instance `id` committed, if it did.
    pub(crate) fn get(&self, id: OpId) -> Option<Committed> {
        // Acquire: pairs with the committer's Release compare&swap.
        let p = self.cell(id)?.load(Ordering::Acquire);
        // SAFETY: a non-null pointer was installed once and stays live
        // until `drop` (see the `Sync` impl); read shared.
        (!p.is_null()).then(|| unsafe { (*p).clone() })
    }

    /// Whether `id` names an instance of the table.
    pub(crate) fn exists(&self, id: OpId) -> bool {
        self.cell(id).is_some()
    }
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;

    fn value(seq: u64) -> Committed {
        Committed { command: Command::Noop, attrs: Attrs { seq, deps: vec![0, 0].into() } }
    }

    #[test]
    fn racing_committers_all_see_the_first_commit_and_no_other() {
        // Real threads (and, under miri, its data-race and leak checks): the
        // losers' values are freed, the winner's lives until the drop.
        let t = Commits::new(2, 3);
        let id = OpId { client: 1, seq: 2 };
        let seen: Vec<Committed> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4u64)
                .map(|k| {
                    let t = &t;
                    s.spawn(move || {
                        t.commit(k as usize, id, value(10 + k)).unwrap();
                        t.get(id).expect("committed once this thread committed")
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
        assert!((10..14).contains(&seen[0].attrs.seq));
        assert_eq!(t.get(id), Some(seen[0].clone()));
        assert_eq!(t.get(OpId { client: 1, seq: 1 }), None, "the other cells untouched");
    }

    #[test]
    fn an_instance_outside_the_table_is_an_error() {
        let t = Commits::new(2, 3);
        for id in
            [OpId { client: 2, seq: 1 }, OpId { client: 0, seq: 0 }, OpId { client: 0, seq: 4 }]
        {
            assert!(matches!(t.commit(0, id, value(1)), Err(RsmError::BadEntry { .. })), "{id:?}");
            assert!(!t.exists(id) && t.get(id).is_none());
        }
    }
}
