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
        let sent = self.append(to, record);
        self.board.ring(self.writer, to..to + 1);
        sent
    }

    /// Writes `records[to]` for each reader `to` (a record per reader: an
    /// equivocation), and wakes them once.
    ///
    /// # Errors
    /// [`Stop`], possibly after writing to some replicas.
    pub fn send_each(&mut self, records: Vec<Signed>) -> Result<(), Stop> {
        let mut written = 0;
        let sent = records.into_iter().enumerate().try_for_each(|(to, record)| {
            self.append(to, record)?;
            written = to + 1;
            Ok(())
        });
        self.board.ring(self.writer, 0..written);
        sent
    }

    /// Writes `record` for `to` without waking it (the caller rings).
    fn append(&mut self, to: usize, record: Signed) -> Result<(), Stop> {
        if self.budget.is_some_and(|b| self.writes >= b) {
            crate::trace_step!(self.me(), Note("crashes"));
            return Err(Stop);
        }
        self.board.append(self.writer, to, record).map_err(|_| Stop)?;
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
                // One ring after the appends, for the readers written (a
                // crash mid-broadcast wakes those it wrote to).
                let mut written = 0;
                let sent = (0..self.cfg.replicas).try_for_each(|to| {
                    self.append(to, record.clone())?;
                    written = to + 1;
                    Ok(())
                });
                self.board.ring(self.writer, 0..written);
                sent
            }
            super::board::Layout::SingleWriter => self.send(self.me(), record.clone()),
        }
    }

    /// Its report.
    pub fn report(&self, honest: bool, outcome: Outcome) -> Report {
        Report { replica: self.me(), honest, outcome, ops: self.inbox.ops, writes: self.writes }
    }
}

impl Replica<'_> {
    /// Between two polls of a waiting replica: waits until something may
    /// have changed ([`Board::wait`]).
    ///
    /// Real threads: one yield. Shuttle: no yield, its schedulers switch at
    /// the loads of the next poll, and may run one replica alone through
    /// its timeouts (the single-writer lower bound needs that: see
    /// `check::byzantine::shuttle`). Loom:
    /// the replica blocks until a record arrives for it or the model's clock
    /// ticks (every live replica waiting with nothing new), so the timeouts
    /// loom explores are those of a stuck view (a silent primary, an
    /// equivocation that left too few matching records), not those of a
    /// slow but live one, and a waiting replica is no scheduling choice.
    pub fn pause(&mut self) {
        self.inbox.wait(self.board);
    }
}
