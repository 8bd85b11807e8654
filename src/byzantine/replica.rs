//! What every replica has, honest or not: its configuration, the board, the
//! right to write its own logs, its inbox; and what it returns.
//!
//! A replica's writes go through [`Replica::send`] and [`Replica::broadcast`],
//! which count them: a replica planned to crash after `k` writes
//! ([`Behaviour::CrashAfter`](super::Behaviour::CrashAfter)) stops at its
//! k-th, wherever that is (between two records, or in the middle of a
//! broadcast, having written to some readers and not others).

use super::board::{Board, Writer};
use super::inbox::Inbox;
use super::record::Signed;
use super::sign::{Keyring, SigOps};
use super::Config;

/// How a replica's run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Outcome {
    /// It decided `value` in `view`.
    Decided {
        /// The value.
        value: u64,
        /// The view it decided in (the certificate's).
        view: u64,
    },
    /// It gave up after its last view (no decision: safety holds, liveness
    /// needs a timely view, which a step budget does not promise).
    Undecided {
        /// The last view it was in.
        view: u64,
    },
    /// It stopped writing: crashed, or a Byzantine strategy finished.
    Stopped,
}

/// One replica's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Which replica.
    pub replica: usize,
    /// Whether it followed the protocol (its outcome counts).
    pub honest: bool,
    /// How it ended.
    pub outcome: Outcome,
    /// Its signature operations.
    pub ops: SigOps,
    /// How many records it wrote.
    pub writes: usize,
}

/// The replica stopped writing: its write budget ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stop;

/// A replica's means: configuration, board, writer, inbox, write budget.
#[derive(Debug)]
pub struct Replica<'a> {
    /// The configuration.
    pub cfg: &'a Config,
    /// The board.
    pub board: &'a Board,
    writer: &'a Writer,
    /// Its inbox (and signing keys).
    pub inbox: Inbox,
    writes: usize,
    budget: Option<usize>,
}

impl<'a> Replica<'a> {
    /// Replica `writer.id()`, with its ring; `budget`: writes before it stops.
    pub fn new(
        cfg: &'a Config,
        board: &'a Board,
        writer: &'a Writer,
        ring: Keyring,
        budget: Option<usize>,
    ) -> Self {
        debug_assert_eq!(ring.me(), writer.id());
        let inbox = Inbox::new(board, ring);
        Replica { cfg, board, writer, inbox, writes: 0, budget }
    }

    /// Its id.
    pub fn me(&self) -> usize {
        self.writer.id()
    }

    /// Writes `record` for `to`.
    ///
    /// # Errors
    /// [`Stop`]: the write budget is spent, or the log is full.
    pub fn send(&mut self, to: usize, record: Signed) -> Result<(), Stop> {
        if self.budget.is_some_and(|b| self.writes >= b) {
            crate::trace_step!(self.me(), Note("crashes"));
            return Err(Stop);
        }
        self.board.send(self.writer, to, record).map_err(|_| Stop)?;
        self.writes += 1;
        Ok(())
    }

    /// Writes `record` for every replica (one write with single-writer logs).
    ///
    /// # Errors
    /// [`Stop`], possibly after writing to some replicas.
    pub fn broadcast(&mut self, record: &Signed) -> Result<(), Stop> {
        match self.board.layout() {
            super::board::Layout::Mailboxes => {
                (0..self.cfg.replicas).try_for_each(|to| self.send(to, record.clone()))
            }
            super::board::Layout::SingleWriter => self.send(self.me(), record.clone()),
        }
    }

    /// Its report.
    pub fn report(&self, honest: bool, outcome: Outcome) -> Report {
        Report { replica: self.me(), honest, outcome, ops: self.inbox.ops, writes: self.writes }
    }
}

/// Between two polls of a waiting replica: a yield, in every world.
///
/// Under loom a yield hands the turn to the other threads without costing a
/// preemption, so a waiting replica's patience runs out only once every
/// other replica has finished or is waiting too: the timeouts loom explores
/// are those of a stuck view (a silent primary, an equivocation that left too
/// few matching records), not those of a slow but live one. Shuttle's random
/// scheduler runs any thread at any yield, so it explores early timeouts too
/// (the single-writer lower bound needs one: see `check::byzantine`).
pub fn pause() {
    crate::sync::yield_now();
}
