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
use std::sync::atomic::AtomicUsize as StdAtomicUsize;

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
    /// Deliberately std's atomics in every world, not the facade's: only this
    /// writer's thread touches them (a `Writer` is neither `Clone` nor
    /// shared between replicas), so no model has anything to explore in
    /// them, and under loom each facade access would be one more scheduling
    /// point per append.
    next: Vec<std::sync::atomic::AtomicUsize>,
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

/// Under loom only: what lets a waiting replica block instead of spinning.
///
/// A replica that polled and found nothing new waits on its own condition
/// variable until (a) some writer appends to a log it reads, or (b) the
/// model's **clock ticks**: when every live replica thread is waiting with
/// nothing new, no record can ever arrive without time passing, so one tick
/// wakes them all and each counts it as one poll without news (the
/// replicas' patience is a count of those: a timeout fires only in a stuck
/// view, as with the yields loom used to explore, but a waiter is no longer
/// runnable, and no longer a scheduling choice, while nothing changes).
/// A wake reports the writers that appended, so the reader re-reads only
/// their logs: a log with no new append has nothing to read.
///
/// The doorbell is rung after the append's Release store of `len`, so a
/// reader woken by it reads at least that record (the mutex orders the two).
/// It adds no behaviour a real run lacks: a real replica may poll at any
/// moment, and the polls loom no longer makes are the ones that found
/// nothing (or found a record a later, explored, poll finds as well).
#[cfg(loom)]
struct Doorbell {
    bells: crate::sync::StdMutex<Bells>,
    wake: Vec<crate::sync::Condvar>,
}

#[cfg(loom)]
#[derive(Debug)]
struct Bells {
    /// Per reader: the writers that appended for it since it last woke.
    dirty: Vec<u64>,
    /// Per reader: blocked in `wait`, nobody has woken it yet.
    asleep: Vec<bool>,
    /// Per reader: the clock when it last woke.
    seen: Vec<u64>,
    /// Replica threads that have not ended.
    live: usize,
    /// The model's clock.
    clock: u64,
}

#[cfg(loom)]
impl Doorbell {
    fn new(n: usize) -> Self {
        assert!(n <= 64, "a loom model of at most 64 replicas (a bit per writer)");
        Doorbell {
            bells: crate::sync::StdMutex::new(Bells {
                dirty: vec![0; n],
                asleep: vec![false; n],
                seen: vec![0; n],
                live: n,
                clock: 0,
            }),
            wake: (0..n).map(|_| crate::sync::Condvar::new()).collect(),
        }
    }

    fn lock(&self) -> crate::sync::StdMutexGuard<'_, Bells> {
        self.bells.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wakes `reader` if it sleeps.
    fn rouse(&self, g: &mut Bells, reader: usize) {
        if std::mem::take(&mut g.asleep[reader]) {
            self.wake[reader].notify_one();
        }
    }

    /// Time passes: every sleeper wakes to a tick.
    fn tick(&self, g: &mut Bells) {
        g.clock += 1;
        for r in 0..g.asleep.len() {
            self.rouse(g, r);
        }
    }

    fn ring(&self, writer: usize, readers: std::ops::Range<usize>) {
        if readers.is_empty() {
            return;
        }
        let mut g = self.lock();
        for r in readers {
            g.dirty[r] |= 1 << writer;
            self.rouse(&mut g, r);
        }
    }

    fn wait(&self, reader: usize) -> u64 {
        let mut g = self.lock();
        loop {
            // Awake (woken, or never asleep): not counted among the sleepers.
            g.asleep[reader] = false;
            if g.dirty[reader] != 0 || g.seen[reader] != g.clock {
                g.seen[reader] = g.clock;
                return std::mem::take(&mut g.dirty[reader]);
            }
            if g.asleep.iter().filter(|a| **a).count() + 1 >= g.live {
                self.tick(&mut g);
                continue;
            }
            g.asleep[reader] = true;
            g = self.wake[reader].wait(g).unwrap_or_else(|p| p.into_inner());
        }
    }
}

#[cfg(loom)]
impl std::fmt::Debug for Doorbell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Doorbell").finish_non_exhaustive()
    }
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
    #[cfg(loom)]
    bell: Doorbell,
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
        let writers = (0..n)
            .map(|id| Writer { id, next: (0..per).map(|_| StdAtomicUsize::new(0)).collect() });
        #[cfg(loom)]
        let bell = Doorbell::new(n);
        (
            Board {
                layout,
                n,
                logs,
                #[cfg(loom)]
                bell,
            },
            writers.collect(),
        )
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
        self.append(w, to, record)?;
        self.ring(w, to..to + 1);
        Ok(())
    }

    /// [`send`](Self::send) without waking the reader: the writer then
    /// [`ring`](Self::ring)s for every reader it appended for (a broadcast
    /// rings once, not once per reader, which under loom is fewer steps).
    ///
    /// # Errors
    /// [`Full`]: the log holds `cap` records already.
    pub fn append(&self, w: &Writer, to: usize, record: Signed) -> Result<(), Full> {
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

    /// Wakes the `readers` writer `w` appended for (with single-writer
    /// logs: every reader), after the appends. Only loom's readers sleep
    /// ([`wait`](Self::wait)); real and shuttle readers poll, and this does
    /// nothing.
    pub fn ring(&self, w: &Writer, readers: std::ops::Range<usize>) {
        #[cfg(loom)]
        match self.layout {
            Layout::Mailboxes => self.bell.ring(w.id, readers),
            Layout::SingleWriter => self.bell.ring(w.id, 0..self.n),
        }
        #[cfg(not(loom))]
        let _ = (w, readers);
    }

    /// Appends `record` for every reader: n appends (mailboxes) or one.
    ///
    /// # Errors
    /// [`Full`]: some log is full (the earlier appends stay).
    pub fn broadcast(&self, w: &Writer, record: &Signed) -> Result<(), Full> {
        match self.layout {
            Layout::Mailboxes => {
                let sent = (0..self.n).try_for_each(|to| self.append(w, to, record.clone()));
                self.ring(w, 0..self.n);
                sent
            }
            Layout::SingleWriter => self.send(w, w.id, record.clone()),
        }
    }

    /// Waits, as replica `reader` that found nothing new, until something
    /// may have changed; the writers whose logs for `reader` may hold news
    /// (a bit per writer; every bit: read them all).
    ///
    /// Real threads: one yield (the real clock decides what happens
    /// meanwhile), every log. Shuttle: nothing but the next poll's loads,
    /// where its scheduler decides who runs, every log. Loom: blocks on
    /// the doorbell (`Doorbell`, loom builds only) until a writer appends
    /// for `reader`, or the model's clock ticks, which it does only when
    /// every live replica waits with nothing new; returns the writers that
    /// appended since.
    pub fn wait(&self, reader: usize) -> u64 {
        #[cfg(loom)]
        return self.bell.wait(reader);
        #[cfg(not(loom))]
        {
            let _ = reader;
            // Shuttle: no yield. Its scheduler may switch at every load of
            // the next poll anyway, and a yield would make its PCT scheduler
            // demote the waiter every time, forbidding the schedules where
            // one replica runs alone through its timeouts (which the
            // single-writer lower bound needs: see `check::byzantine`).
            #[cfg(not(shuttle))]
            crate::sync::yield_now();
            u64::MAX
        }
    }

    /// Under loom: the model expects `threads` replica threads to wait on
    /// this board (each calls [`leave`](Self::leave) once when it ends).
    #[cfg(loom)]
    pub fn expect_threads(&self, threads: usize) {
        self.bell.lock().live = threads;
    }

    /// Under loom: a replica thread ends (it will wait no more); if every
    /// other one is waiting, the clock ticks.
    #[cfg(loom)]
    pub fn leave(&self) {
        let mut g = self.bell.lock();
        g.live = g.live.saturating_sub(1);
        if g.live > 0 && g.asleep.iter().filter(|a| **a).count() == g.live {
            self.bell.tick(&mut g);
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
