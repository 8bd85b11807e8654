//! Where records live: append-only single-writer logs, in two layouts.
//!
//! * **PBFT (mailboxes).** One log per (writer, reader) pair: replica `w`
//!   writes to `r` by appending to log `(w, r)`, which only `r` reads. A
//!   Byzantine writer can show different readers different records for the
//!   same view: that is equivocation, made concrete. This is message passing
//!   with authenticated channels, in shared memory.
//! * **Single-writer registers (SWMR).** One log per writer, which every
//!   replica reads. Whatever `w` "sends to `r`" is appended to `w`'s one log,
//!   and every reader sees the same sequence: no equivocation. A log is
//!   append-only, so a record once written stays (the *sticky* registers of
//!   the RDMA model, where a region's memory permission lets only its owner
//!   write and the protocol never overwrites: Aguilera et al., PODC 2019).
//!
//! **Ownership.** [`Board::new`] returns one [`Writer`] per replica; only the
//! holder of writer `w` can append to `w`'s logs, and the runner gives each
//! replica thread (honest or Byzantine) its own. A Byzantine replica writes
//! whatever it likes into what it owns, and nothing else.
//!
//! **Algorithm.** A log is `len` and `cap` slots. Append: write slot `len`,
//! then `len.store(len + 1, Release)`; read: `len.load(Acquire)`, then the
//! slots below it. The linearization point of an append is its `len` store,
//! of a read its `len` load. Wait-free: one store per append, one load per
//! read plus the copies. A full log refuses the append (a Byzantine replica
//! cannot grow the board without bound; honest replicas never fill one).
//!
//! # Orderings
//! The `len` store (Release) pairs with the readers' `len` load (Acquire): a
//! reader that sees `len = k` sees slots `0..k` written. The writer's own
//! counts of its own appends are Relaxed: only it touches them. (Under loom
//! the readers' load is a `fetch_add(0)`, see `latest_len`.)

use super::record::Signed;
use crate::sync::{AtomicUsize, Ordering, UnsafeCell};

/// How replicas see each other's records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Layout {
    /// A log per (writer, reader): equivocation is possible (PBFT).
    Mailboxes,
    /// A log per writer, read by all: no equivocation.
    SingleWriter,
}

/// The right to append to one replica's logs, and how many records it has
/// appended to each (only its holder touches the counts).
#[derive(Debug)]
pub struct Writer {
    id: usize,
    next: Vec<AtomicUsize>,
}

impl Writer {
    /// The replica this writer writes for.
    pub fn id(&self) -> usize {
        self.id
    }
}

/// An append-only single-writer log.
struct Log {
    len: AtomicUsize,
    slots: Box<[UnsafeCell<Option<Signed>>]>,
}

// SAFETY: slot `i` is written only by the log's one writer (the holder of its
// `Writer`, which is neither `Clone` nor `Copy`), once, before the Release
// store of `len = i + 1`; readers read only slots below the `len` they loaded
// with Acquire, so no slot is read while being written.
unsafe impl Sync for Log {}
// SAFETY: a `Log` owns its records; `Signed` is `Send`.
unsafe impl Send for Log {}

impl Log {
    fn new(cap: usize) -> Self {
        Log { len: AtomicUsize::new(0), slots: (0..cap).map(|_| UnsafeCell::new(None)).collect() }
    }
}

/// A reader's load of a log's `len`.
///
/// Acquire: pairs with the Release store in [`Board::send`]: the slots below
/// the value read are written. Under loom it is a `fetch_add(0)`, which
/// reads the latest `len` in its modification order: with a plain load, loom
/// branches on every older value each poll may read, and PBFT with 4
/// replicas did not finish in 8 minutes even with no preemption. An older
/// `len` is only a record that arrives later, which the preemptions explore
/// anyway (a replica preempted before a write is a slow writer); what loom
/// then does not explore is the weak-memory outcome of these loads, which no
/// property here depends on (a reader acts only on records it has read, and
/// reading one later is always allowed).
fn latest_len(len: &AtomicUsize) -> usize {
    // AcqRel under loom: a reader's fetch_add may read another reader's, and
    // its Release half carries the writer's Release store on to it (loom
    // detected a race on the slots when it was Acquire alone).
    #[cfg(loom)]
    return len.fetch_add(0, Ordering::AcqRel);
    #[cfg(not(loom))]
    len.load(Ordering::Acquire)
}

/// The append was refused: the log is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

/// Every replica's logs.
#[derive(Debug)]
pub struct Board {
    layout: Layout,
    n: usize,
    logs: Vec<Log>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log").field("cap", &self.slots.len()).finish_non_exhaustive()
    }
}

impl Board {
    /// A board for `n` replicas whose logs hold `cap` records each, and the
    /// replicas' writers (writer `i` at index `i`).
    pub fn new(layout: Layout, n: usize, cap: usize) -> (Board, Vec<Writer>) {
        let logs = match layout {
            Layout::Mailboxes => n * n,
            Layout::SingleWriter => n,
        };
        let logs = (0..logs).map(|_| Log::new(cap)).collect();
        let per = match layout {
            Layout::Mailboxes => n,
            Layout::SingleWriter => 1,
        };
        let writers =
            (0..n).map(|id| Writer { id, next: (0..per).map(|_| AtomicUsize::new(0)).collect() });
        (Board { layout, n, logs }, writers.collect())
    }

    /// The layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// How many replicas.
    pub fn replicas(&self) -> usize {
        self.n
    }

    fn log(&self, writer: usize, reader: usize) -> &Log {
        match self.layout {
            Layout::Mailboxes => &self.logs[writer * self.n + reader],
            Layout::SingleWriter => &self.logs[writer],
        }
    }

    /// Appends `record` for reader `to` (with single-writer registers: for
    /// everyone, whatever `to` is).
    ///
    /// # Errors
    /// [`Full`]: the log holds `cap` records already.
    pub fn send(&self, w: &Writer, to: usize, record: Signed) -> Result<(), Full> {
        let (log, k) = match self.layout {
            Layout::Mailboxes => (self.log(w.id, to), to),
            Layout::SingleWriter => (self.log(w.id, to), 0),
        };
        // Relaxed: only this writer touches its counts. (Not a load of `len`:
        // under loom the readers' `fetch_add(0)`s store to `len` too, and loom
        // then reported a race on the slots when the writer loaded it.)
        let i = w.next[k].load(Ordering::Relaxed);
        let slot = log.slots.get(i).ok_or(Full)?;
        let shown = record.trace_val();
        // SAFETY: slot `i` is at or above `len`: no reader reads it yet, and
        // only this writer (it holds `w`) writes it (see `Log`'s `Sync`).
        slot.with_mut(|p| unsafe { *p = Some(record) });
        // Release: pairs with the Acquire load in `read`.
        log.len.store(i + 1, Ordering::Release);
        w.next[k].store(i + 1, Ordering::Relaxed);
        crate::trace_step!(w.id, Store { loc: Loc::at("to", to), value: shown });
        Ok(())
    }

    /// Appends `record` for every reader: n appends (mailboxes) or one.
    ///
    /// # Errors
    /// [`Full`]: some log is full (the earlier appends stay).
    pub fn broadcast(&self, w: &Writer, record: &Signed) -> Result<(), Full> {
        match self.layout {
            Layout::Mailboxes => (0..self.n).try_for_each(|to| self.send(w, to, record.clone())),
            Layout::SingleWriter => self.send(w, w.id, record.clone()),
        }
    }

    /// How many records `from` has written that `reader` can see.
    pub fn len(&self, from: usize, reader: usize) -> usize {
        latest_len(&self.log(from, reader).len)
    }

    /// The records `from` wrote for `reader` past `*cursor`, appended to
    /// `out`; moves the cursor past them.
    pub fn read(&self, reader: usize, from: usize, cursor: &mut usize, out: &mut Vec<Signed>) {
        let log = self.log(from, reader);
        let len = latest_len(&log.len);
        for slot in &log.slots[(*cursor).min(len)..len] {
            // SAFETY: below the `len` loaded with Acquire: written, and never again.
            let record = slot.with(|p| unsafe { (*p).clone() });
            if let Some(r) = &record {
                crate::trace_step!(
                    reader,
                    Load { loc: Loc::at("from", from), value: r.trace_val() }
                );
            }
            out.extend(record);
        }
        *cursor = len.max(*cursor);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::byzantine::record::{Auth, Record};

    fn rec(signer: usize, value: u64) -> Signed {
        Signed { signer, record: Record::Prepare { view: 0, value }, auth: Auth::default() }
    }

    #[test]
    fn mailboxes_let_a_writer_show_readers_different_records() {
        let (board, w) = Board::new(Layout::Mailboxes, 3, 2);
        board.send(&w[0], 1, rec(0, 1)).unwrap();
        board.send(&w[0], 2, rec(0, 2)).unwrap();
        let (mut c1, mut c2, mut out1, mut out2) = (0, 0, vec![], vec![]);
        board.read(1, 0, &mut c1, &mut out1);
        board.read(2, 0, &mut c2, &mut out2);
        assert_eq!((out1[0].record.value(), out2[0].record.value()), (Some(1), Some(2)));
    }

    #[test]
    fn single_writer_logs_show_everyone_the_same_and_refuse_when_full() {
        let (board, w) = Board::new(Layout::SingleWriter, 3, 2);
        board.send(&w[0], 1, rec(0, 1)).unwrap();
        board.send(&w[0], 2, rec(0, 2)).unwrap();
        assert_eq!(board.send(&w[0], 2, rec(0, 3)), Err(Full));
        for reader in 0..3 {
            let (mut c, mut out) = (0, vec![]);
            board.read(reader, 0, &mut c, &mut out);
            let values: Vec<_> = out.iter().map(|s| s.record.value()).collect();
            assert_eq!(values, [Some(1), Some(2)]);
            assert_eq!(c, 2);
            board.read(reader, 0, &mut c, &mut out);
            assert_eq!(out.len(), 2, "nothing new past the cursor");
        }
    }
}
