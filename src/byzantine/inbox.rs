//! A replica's reading side: new records from every log, checked before the
//! protocol sees them, and its signing side.
//!
//! Checks on every record read from writer `w`'s log:
//!
//! 1. **The signer is the writer.** A record in `w`'s log under another
//!    name is a forgery or a replay of someone else's record as `w`'s own:
//!    rejected (the log's ownership is what no Byzantine replica can fake).
//! 2. **Mailboxes (PBFT): the MAC checks** under the key this reader shares
//!    with `w`. Records nested in a certificate are checked the same way, by
//!    [`Inbox::check_cert`], when the protocol uses them.
//!
//! With single-writer logs the ownership *is* the authentication, and records
//! carry no MACs: a MAC is checkable only by its reader, so a Byzantine writer
//! could give one reader a good MAC and another a bad one, and the two would
//! then read different logs: equivocation by other means. The single-writer
//! protocol relays no records (a proof names logs, which every reader reads
//! itself), so it needs no transferable signature either.
//!
//! Every rejection is counted ([`SigOps::rejected`]) and traced.

use super::board::{Board, Layout};
use super::record::{Auth, Cert, Record, Signed};
use super::sign::{Keyring, SigOps};

/// One replica's reading position in every log, its keys and its counts.
#[derive(Debug)]
pub struct Inbox {
    me: usize,
    layout: Layout,
    cursors: Vec<usize>,
    ring: Keyring,
    /// Signature operations and rejections so far.
    pub ops: SigOps,
    buf: Vec<Signed>,
    /// The writers whose logs may hold news (a bit per writer, every bit at
    /// first; see [`Board::wait`]): under loom, a poll reads only those.
    unread: u64,
}

impl Inbox {
    /// Replica `ring.me()`'s inbox on `board`.
    pub fn new(board: &Board, ring: Keyring) -> Self {
        Inbox {
            me: ring.me(),
            layout: board.layout(),
            cursors: vec![0; board.replicas()],
            ring,
            ops: SigOps::default(),
            buf: Vec::new(),
            unread: u64::MAX,
        }
    }

    /// Whose inbox.
    pub fn me(&self) -> usize {
        self.me
    }

    /// Signs `record` as this replica (MACs with mailboxes, none with
    /// single-writer logs: see the module doc).
    pub fn sign(&mut self, record: Record) -> Signed {
        match self.layout {
            Layout::Mailboxes => self.ring.sign(record, &mut self.ops),
            Layout::SingleWriter => Signed { signer: self.me, record, auth: Auth::default() },
        }
    }

    /// The record under `signer`'s name with this replica's MACs: a forgery.
    pub fn forge(&mut self, signer: usize, record: Record) -> Signed {
        match self.layout {
            Layout::Mailboxes => self.ring.forge(signer, record, &mut self.ops),
            Layout::SingleWriter => Signed { signer, record, auth: Auth::default() },
        }
    }

    /// Counts and traces a rejected record.
    pub fn reject(&mut self, from: usize, record: &Record, why: &'static str) {
        self.ops.rejected += 1;
        crate::trace_step!(self.me, Rejected { from, kind: record.kind(), why });
    }

    /// The records written for this replica since the last poll, checked, as
    /// `(writer, record)`, oldest first per writer.
    pub fn poll(&mut self, board: &Board, out: &mut Vec<(usize, Signed)>) {
        let unread = std::mem::replace(&mut self.unread, 0);
        for from in 0..self.cursors.len() {
            if from < 64 && unread & (1 << from) == 0 {
                continue;
            }
            let mut cursor = self.cursors[from];
            let mut buf = std::mem::take(&mut self.buf);
            board.read(self.me, from, &mut cursor, &mut buf);
            self.cursors[from] = cursor;
            for s in buf.drain(..) {
                if s.signer != from {
                    self.reject(from, &s.record, "signed by another replica than its writer");
                } else if self.layout == Layout::Mailboxes && !self.ring.check(&s, &mut self.ops) {
                    self.reject(from, &s.record, "its MAC does not check");
                } else {
                    out.push((from, s));
                }
            }
            self.buf = buf;
        }
    }

    /// Waits until something may have changed (see [`Board::wait`]); the next
    /// poll reads the logs that may hold news.
    pub fn wait(&mut self, board: &Board) {
        self.unread |= board.wait(self.me);
    }

    /// Whether this replica's MAC entry of `s` checks (a record nested in
    /// another: the writer's own records are checked by [`poll`](Self::poll)).
    pub fn check(&mut self, s: &Signed) -> bool {
        self.ring.check(s, &mut self.ops)
    }

    /// Whether `cert` holds: at least `quorum` records from distinct signers,
    /// each matching `(cert.view, cert.value)` by `matches`, each MAC checking
    /// at this replica. A failing one is counted and traced as a rejection.
    pub fn check_cert(
        &mut self,
        from: usize,
        cert: &Cert,
        quorum: usize,
        matches: fn(&Record) -> Option<(u64, u64)>,
    ) -> bool {
        let mut signers: Vec<usize> = Vec::new();
        for s in &cert.records {
            if matches(&s.record) != Some((cert.view, cert.value)) {
                self.reject(from, &s.record, "does not match its certificate");
                return false;
            }
            if signers.contains(&s.signer) {
                self.reject(from, &s.record, "a certificate signer counted twice");
                return false;
            }
            if !self.ring.check(s, &mut self.ops) {
                self.reject(from, &s.record, "a certificate record's MAC does not check");
                return false;
            }
            signers.push(s.signer);
        }
        if signers.len() < quorum {
            if let Some(s) = cert.records.first() {
                self.reject(from, &s.record, "a certificate with too few records");
            } else {
                self.ops.rejected += 1;
            }
            return false;
        }
        true
    }
}

/// `(view, value)` of a prepare.
pub fn prepare_of(r: &Record) -> Option<(u64, u64)> {
    match *r {
        Record::Prepare { view, value } => Some((view, value)),
        _ => None,
    }
}

/// `(view, value)` of a commit.
pub fn commit_of(r: &Record) -> Option<(u64, u64)> {
    match *r {
        Record::Commit { view, value } => Some((view, value)),
        _ => None,
    }
}
