//! The proposal rule of the universal construction: which operation a client
//! proposes for a cell. Herlihy's helping rule makes the construction
//! wait-free; without it the construction is lock-free. The broken variants
//! (`broken.rs`) are rules too.

use super::super::{OpId, RsmProgress};
use crate::consensus::Progress;

/// What a client knows when it proposes for a cell.
pub struct View<'a> {
    /// The cell.
    pub cell: usize,
    /// Clients of the object.
    pub threads: usize,
    /// The proposing client's own pending operation.
    pub mine: OpId,
    /// `applied[t]`: the last sequence number of client `t` in the proposer's
    /// replica (the cells before `cell`, all replayed).
    pub applied: &'a [u64],
    /// Reads `announce[t]`: the sequence number of client `t`'s latest
    /// announced operation (0: none yet). Each call is one shared-memory load
    /// (Acquire), traced.
    pub announced: &'a dyn Fn(usize) -> u64,
}

impl std::fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View")
            .field("cell", &self.cell)
            .field("threads", &self.threads)
            .field("mine", &self.mine)
            .field("applied", &self.applied)
            .finish_non_exhaustive()
    }
}

/// A proposal rule and what it guarantees.
pub trait Rules: Send + Sync + 'static {
    /// The rule's name (`conlab rsm --impl`, reports).
    const NAME: &'static str;
    /// Whether the rule reads other clients' announcements: then the
    /// construction fences its announce and head stores (the Dekker pair the
    /// wait-freedom argument needs).
    const HELPS: bool;
    /// Whether the construction is wait-free with wait-free slots.
    const WAIT_FREE: bool;
    /// Whether a replica skips an entry it has already applied (off only in
    /// a broken variant).
    const SKIP_DUPLICATES: bool = true;
    /// Whether the return value is computed when the client first proposes,
    /// from the replica of that moment, instead of at the operation's cell (on
    /// only in a broken variant).
    const EARLY_RETURN: bool = false;

    /// The operation to propose.
    fn propose(view: &View<'_>) -> OpId;
}

/// Herlihy's helping rule: cell `k` prefers the announced operation of client
/// `k mod n` if that one is still pending in the proposer's replica, and the
/// proposer's own operation otherwise. Wait-free: n + 1 cells per operation.
#[derive(Clone, Copy, Debug)]
pub struct Helping;

impl Rules for Helping {
    const NAME: &'static str = "universal";
    const HELPS: bool = true;
    const WAIT_FREE: bool = true;

    fn propose(v: &View<'_>) -> OpId {
        let h = v.cell % v.threads;
        if h == v.mine.client {
            return v.mine;
        }
        let seq = (v.announced)(h);
        // Pending: announced and not yet applied in the cells before this one.
        // (An entry already applied would be a duplicate in the log.)
        if seq > v.applied[h] {
            OpId { client: h, seq }
        } else {
            v.mine
        }
    }
}

/// No helping: every client proposes its own operation. Lock-free (each cell
/// decides some client's operation), not wait-free (a slow client may lose
/// every cell).
#[derive(Clone, Copy, Debug)]
pub struct NoHelping;

impl Rules for NoHelping {
    const NAME: &'static str = "universal-lock-free";
    const HELPS: bool = false;
    const WAIT_FREE: bool = false;

    fn propose(v: &View<'_>) -> OpId {
        v.mine
    }
}

/// The construction's guarantee with rule `R` over slots of progress `slots`
/// for `threads` clients: the weaker of the two.
pub(super) fn progress<R: Rules>(slots: Progress, threads: usize) -> RsmProgress {
    match slots {
        Progress::Blocking => RsmProgress::Blocking,
        Progress::ObstructionFree => RsmProgress::ObstructionFree,
        Progress::LockFree => RsmProgress::LockFree,
        Progress::WaitFree { .. } if R::WAIT_FREE => RsmProgress::WaitFree { cells: threads + 1 },
        Progress::WaitFree { .. } => RsmProgress::LockFree,
    }
}
