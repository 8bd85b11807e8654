//! Zab's transaction ids: `zxid = epoch (high 32 bits) ‖ counter (low 32)`.
//!
//! A leader of epoch `e` numbers its proposals `(e, 1)`, `(e, 2)`, …; the
//! numeric order of the 64-bit word is the order of the pairs (epoch first),
//! which is the total order every follower delivers in. The increment is
//! checked: a counter that would pass `u32::MAX` is
//! [`ZxidError::CounterOverflow`] (the leader must start a new epoch: claim
//! the next term and recover), and an epoch above `u32::MAX` is
//! [`ZxidError::EpochOverflow`], an error, never a wrap (a wrapped epoch
//! would let a fenced old leader's proposals compare above the new ones).

use std::fmt;

/// A Zab transaction id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Zxid(u64);

/// Why a zxid could not be formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ZxidError {
    /// The counter of this epoch is used up: a new epoch must begin.
    #[error("the zxid counter of epoch {epoch} is used up: a new epoch must begin")]
    CounterOverflow {
        /// The epoch whose counter ran out.
        epoch: u32,
    },
    /// The epoch does not fit 32 bits.
    #[error("epoch {epoch} does not fit the 32 bits of a zxid")]
    EpochOverflow {
        /// The epoch asked for.
        epoch: u64,
    },
}

impl Zxid {
    /// No transaction: `(0, 0)`, below every real zxid.
    pub const ZERO: Zxid = Zxid(0);

    /// `(epoch, counter)`.
    pub const fn new(epoch: u32, counter: u32) -> Zxid {
        Zxid(((epoch as u64) << 32) | counter as u64)
    }

    /// The first zxid of a new epoch, `(epoch, 0)` (proposals start at
    /// counter 1); an epoch beyond 32 bits is an error.
    ///
    /// # Errors
    /// [`ZxidError::EpochOverflow`].
    pub fn epoch_start(epoch: u64) -> Result<Zxid, ZxidError> {
        let e = u32::try_from(epoch).map_err(|_| ZxidError::EpochOverflow { epoch })?;
        Ok(Zxid::new(e, 0))
    }

    /// The epoch (high 32 bits).
    pub const fn epoch(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The counter (low 32 bits).
    pub const fn counter(self) -> u32 {
        self.0 as u32
    }

    /// The next zxid of the same epoch.
    ///
    /// # Errors
    /// [`ZxidError::CounterOverflow`] when the counter is `u32::MAX`.
    pub fn next(self) -> Result<Zxid, ZxidError> {
        match self.counter().checked_add(1) {
            Some(c) => Ok(Zxid::new(self.epoch(), c)),
            None => Err(ZxidError::CounterOverflow { epoch: self.epoch() }),
        }
    }

    /// The next zxid: the same epoch's, or, when its counter is used up,
    /// `(epoch + 1, 1)` (the caller must then lead that epoch).
    ///
    /// # Errors
    /// [`ZxidError::EpochOverflow`] when the epoch is `u32::MAX` as well.
    pub fn next_or_new_epoch(self) -> Result<Zxid, ZxidError> {
        self.next().or_else(|_| {
            let e = u64::from(self.epoch()) + 1;
            Zxid::epoch_start(e).and_then(Zxid::next)
        })
    }

    /// The packed word.
    pub const fn to_u64(self) -> u64 {
        self.0
    }

    /// The zxid a packed word holds.
    pub const fn from_u64(word: u64) -> Zxid {
        Zxid(word)
    }
}

impl fmt::Display for Zxid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}:{}", self.epoch(), self.counter())
    }
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;

    #[test]
    fn the_word_orders_epoch_first() {
        let a = Zxid::new(1, u32::MAX);
        let b = Zxid::new(2, 1);
        assert!(a < b);
        assert_eq!((b.epoch(), b.counter()), (2, 1));
        assert_eq!(b.to_u64(), (2 << 32) | 1);
        assert!(Zxid::ZERO < Zxid::new(0, 1));
        assert_eq!(Zxid::new(3, 7).to_string(), "0x3:7");
    }

    #[test]
    fn a_counter_overflow_forces_a_new_epoch() {
        let z = Zxid::new(4, u32::MAX - 1);
        let z = z.next().unwrap();
        assert_eq!(z.next(), Err(ZxidError::CounterOverflow { epoch: 4 }));
        assert_eq!(z.next_or_new_epoch(), Ok(Zxid::new(5, 1)));
    }

    #[test]
    fn an_epoch_overflow_is_an_error_not_a_wrap() {
        let last = Zxid::new(u32::MAX, u32::MAX);
        assert_eq!(last.next_or_new_epoch(), Err(ZxidError::EpochOverflow { epoch: 1 << 32 }));
        assert_eq!(
            Zxid::epoch_start(u64::from(u32::MAX) + 1),
            Err(ZxidError::EpochOverflow { epoch: 1 << 32 })
        );
        assert_eq!(Zxid::epoch_start(7).unwrap().next(), Ok(Zxid::new(7, 1)));
    }
}
