//! Ghost state for checking Zab's properties directly (Junqueira, Reed,
//! Serafini, DSN 2011): what every process delivered, with its zxid, and
//! what every primary (epoch) broadcast. Nothing of the protocol reads it.
//!
//! Recorded only by an audited log ([`Zab::audited`](super::Zab::audited):
//! the models and the stress runs; the benches run without it). Each client
//! keeps its own records and hands them, once per submit, to its own
//! `std::sync::Mutex` (never the facade's: loom and shuttle must not explore
//! it; it is only ever contended by the checker, after the run). Each slot's
//! zxid is stored by the client whose compare&swap published it (a
//! `std` atomic, Relaxed: read after the run, through a join or, in the
//! models, on the one OS thread the checkers run everything on).
//!
//! The processes that deliver are the replicas (every client delivers the
//! published commits in order) and the primaries: the leader of epoch `e`
//! delivers the history it synchronised (before it broadcasts anything) and
//! then each of its proposals when a majority acknowledged it (its commit,
//! recorded before the commit is published: a leader that crashes between
//! the two has delivered it, as Zab's leader has once it commits).

use super::follower::Slot;
use super::zxid::Zxid;
use std::sync::atomic::{AtomicU64, Ordering as StdOrdering};
use std::sync::{Mutex, PoisonError};

/// One delivered transaction: its slot in the log, its zxid (whose epoch is
/// the primary that broadcast it) and its entry code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The log slot.
    pub slot: usize,
    /// Its zxid.
    pub zxid: Zxid,
    /// The transaction (an entry code, `multi_paxos::entry`).
    pub txn: u64,
}

/// What the primary of one epoch did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Primary {
    /// Its epoch.
    pub epoch: u64,
    /// The client that led it.
    pub leader: usize,
    /// The history it adopted in discovery and synchronised (delivered
    /// before its first broadcast).
    pub initial: Vec<Slot>,
    /// Its proposals, in the order it broadcast them.
    pub broadcast: Vec<Slot>,
    /// What it delivered, in order: its initial history, then its
    /// proposals as it committed them.
    pub delivered: Vec<Delivery>,
}

/// One run's record, read after the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZabGhost {
    /// `replicas[t]`: what client `t`'s replica delivered, in order.
    pub replicas: Vec<Vec<Delivery>>,
    /// Every epoch's primary, by epoch.
    pub primaries: Vec<Primary>,
}

/// One client's records.
#[derive(Debug, Default)]
pub(crate) struct ClientGhost {
    /// Its replica's deliveries: `(slot, entry)`; the zxid is the slot's
    /// publisher's, attached when the record is read.
    pub(crate) delivered: Vec<(usize, u64)>,
    /// The epochs it led.
    pub(crate) led: Vec<Primary>,
}

impl ClientGhost {
    fn append(&mut self, more: &mut ClientGhost) {
        self.delivered.append(&mut more.delivered);
        // The last epoch may still be led: merge into it, not beside it.
        let mut led = std::mem::take(&mut more.led).into_iter();
        if let (Some(mine), Some(first)) = (self.led.last_mut(), led.as_slice().first()) {
            if mine.epoch == first.epoch {
                let first = led.next().unwrap_or_default();
                mine.broadcast.extend(first.broadcast);
                mine.delivered.extend(first.delivered);
            }
        }
        self.led.extend(led);
    }
}

/// The shared record of an audited log.
#[derive(Debug)]
pub(crate) struct Recorder {
    clients: Box<[Mutex<ClientGhost>]>,
    /// Each published slot's zxid (its publisher's), 0: not published.
    zxids: Box<[AtomicU64]>,
}

impl Recorder {
    pub(crate) fn new(clients: usize, capacity: usize) -> Self {
        Recorder {
            clients: (0..clients).map(|_| Mutex::new(ClientGhost::default())).collect(),
            zxids: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Slot `k` was published with `zxid` (by the compare&swap's winner).
    pub(crate) fn published(&self, k: usize, zxid: Zxid) {
        if let Some(z) = self.zxids.get(k) {
            // Relaxed: ghost state, read after the run.
            z.store(zxid.to_u64(), StdOrdering::Relaxed);
        }
    }

    /// Client `me` hands its records over (once per submit).
    pub(crate) fn flush(&self, me: usize, local: &mut ClientGhost) {
        if let Some(m) = self.clients.get(me) {
            m.lock().unwrap_or_else(PoisonError::into_inner).append(local);
        }
    }

    /// The run's record (after the run).
    pub(crate) fn snapshot(&self) -> ZabGhost {
        let zxid_of = |k: usize| {
            // Relaxed: read after the run.
            let z = self.zxids.get(k).map_or(0, |z| z.load(StdOrdering::Relaxed));
            Zxid::from_u64(z)
        };
        let mut replicas = Vec::with_capacity(self.clients.len());
        let mut primaries = Vec::new();
        for c in self.clients.iter() {
            let c = c.lock().unwrap_or_else(PoisonError::into_inner);
            replicas.push(
                c.delivered
                    .iter()
                    .map(|&(slot, txn)| Delivery { slot, zxid: zxid_of(slot), txn })
                    .collect(),
            );
            primaries.extend(c.led.iter().cloned());
        }
        primaries.sort_by_key(|p| p.epoch);
        ZabGhost { replicas, primaries }
    }
}
