//! A Zab follower as a shared-memory region: its accepted epoch (the fence),
//! its current epoch (whose leader's history its log follows), its log of
//! `(zxid, txn)` slots and its ack index, which the leader writes straight
//! into (the RDMA form: Mu, DARE).
//!
//! **Atomicity.** The fence is "refuse a write from an epoch below the
//! accepted one". A check of the epoch word followed by a separate write of
//! a log slot would let an old leader check, a new leader raise the epoch
//! and synchronise, and the old leader's write land after it (a follower
//! accepting an old epoch's write). So one region is one mutex: the epoch
//! check, the log write (a synchronisation's truncate/extend or a
//! broadcast's append) and the ack index are one critical section, and the
//! region's operations are linearizable at their lock. A packed word cannot
//! hold a whole log; a per-slot compare&swap on `(epoch, txn)` words would
//! fence a slot but not a truncation. The mutex is the facade's (loom and
//! shuttle explore its interleavings).
//!
//! **Progress.** Blocking (a mutex); each operation holds it for a copy of
//! at most the leader's history.

use super::zxid::Zxid;
use crate::sync::StdMutex;

/// One `(zxid, txn)` slot: the transaction is an entry code
/// (`multi_paxos::entry`).
pub type Slot = (Zxid, u64);

/// A follower's state (behind its mutex).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RegionState {
    /// The highest epoch this follower promised (NEWEPOCH): writes from
    /// lower epochs are refused.
    pub accepted_epoch: u64,
    /// The epoch whose leader last synchronised this follower's log.
    pub current_epoch: u64,
    /// The log.
    pub log: Vec<Slot>,
    /// Slots acknowledged (written by the follower with the log: the ack
    /// index the leader counts).
    pub ack: usize,
}

impl RegionState {
    /// The last zxid of the log (`Zxid::ZERO` for an empty one).
    pub fn last_zxid(&self) -> Zxid {
        self.log.last().map_or(Zxid::ZERO, |s| s.0)
    }
}

/// A write refused: the follower promised a higher epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fenced {
    /// The follower's accepted epoch.
    pub accepted: u64,
}

/// A follower region.
#[derive(Debug, Default)]
pub struct Region {
    state: StdMutex<RegionState>,
    /// Broken on purpose (`broken::accepting_old_epochs`): skip the fence.
    unfenced: bool,
}

impl Region {
    /// A fresh follower (epoch 0, empty log); `unfenced` accepts writes of
    /// any epoch (broken).
    pub fn new(unfenced: bool) -> Self {
        Region { state: StdMutex::new(RegionState::default()), unfenced }
    }

    fn lock(&self) -> crate::sync::StdMutexGuard<'_, RegionState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Discovery: promises `epoch` if it is above every epoch promised, and
    /// returns the state (to pick the new leader's history from).
    ///
    /// # Errors
    /// [`Fenced`] if the follower promised `epoch` or higher already.
    pub fn new_epoch(&self, epoch: u64) -> Result<RegionState, Fenced> {
        let mut s = self.lock();
        if s.accepted_epoch >= epoch && !self.unfenced {
            return Err(Fenced { accepted: s.accepted_epoch });
        }
        s.accepted_epoch = s.accepted_epoch.max(epoch);
        Ok(s.clone())
    }

    /// Synchronisation and broadcast in one: makes the log equal to
    /// `history` (the leader of `epoch`'s whole history, proposals
    /// included): truncated and replaced if it followed another epoch's
    /// leader, extended by the missing suffix if it follows this one.
    /// Returns the ack index (the slots acknowledged).
    ///
    /// # Errors
    /// [`Fenced`] if the follower promised a higher epoch.
    pub fn write(&self, epoch: u64, history: &[Slot]) -> Result<usize, Fenced> {
        let mut s = self.lock();
        if s.accepted_epoch > epoch && !self.unfenced {
            return Err(Fenced { accepted: s.accepted_epoch });
        }
        s.accepted_epoch = s.accepted_epoch.max(epoch);
        if s.current_epoch != epoch || s.log.len() > history.len() {
            s.log.clear();
            s.current_epoch = epoch;
        }
        let have = s.log.len();
        s.log.extend_from_slice(&history[have..]);
        s.ack = s.log.len();
        Ok(s.ack)
    }

    /// A copy of the state (reports and tests).
    pub fn snapshot(&self) -> RegionState {
        self.lock().clone()
    }
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;

    #[test]
    fn an_old_epoch_is_fenced_and_sync_truncates() {
        let r = Region::new(false);
        let h1 = [(Zxid::new(1, 1), 10), (Zxid::new(1, 2), 11)];
        assert_eq!(r.new_epoch(1).unwrap().log, vec![]);
        assert_eq!(r.write(1, &h1), Ok(2));
        assert_eq!(r.new_epoch(1), Err(Fenced { accepted: 1 }));
        let s = r.new_epoch(2).unwrap();
        assert_eq!(s.last_zxid(), Zxid::new(1, 2));
        assert_eq!(r.write(1, &h1), Err(Fenced { accepted: 2 }), "the old leader is fenced");
        let h2 = [(Zxid::new(1, 1), 10), (Zxid::new(2, 1), 12)];
        assert_eq!(r.write(2, &h2), Ok(2));
        assert_eq!(r.snapshot().log, h2.to_vec(), "truncated to the new history");
        assert_eq!(r.snapshot().current_epoch, 2);
    }

    #[test]
    fn an_unfenced_region_takes_old_writes() {
        let r = Region::new(true);
        r.new_epoch(3).unwrap();
        assert_eq!(r.write(1, &[(Zxid::new(1, 1), 5)]), Ok(1));
    }
}
