//! The state of a Paxos acceptor, packed into one 64-bit word.
//!
//! `(promised, accepted, value)`: the highest ballot promised, the ballot of the
//! last accepted value (0: none) and that value (a thread id). The same triple
//! is a Disk Paxos block, which is why the registers-only protocol
//! ([`consensus::registers`](crate::consensus::registers)) stores one per thread.
//!
//! Layout: `promised` and `accepted` in 24 bits each, `value + 1` in the low 16
//! (0 = none). Ballots above [`MAX_BALLOT`] never reach a register: the
//! [`Ballots`](crate::consensus::rounds::Ballots) that hand them out are built
//! with that maximum and report [`Overflow`](crate::ConsensusError::Overflow)
//! instead of wrapping.

const BALLOT_BITS: u32 = 24;
const BALLOT_MASK: u64 = (1 << BALLOT_BITS) - 1;
const VALUE_BITS: u32 = 16;
const VALUE_MASK: u64 = (1 << VALUE_BITS) - 1;

/// The largest ballot the word holds.
pub const MAX_BALLOT: u64 = BALLOT_MASK;
/// Thread ids `0..MAX_VALUES` fit the value field.
pub const MAX_VALUES: usize = VALUE_MASK as usize;

/// An acceptor's (or a Disk Paxos block's) state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AcceptorState {
    /// Highest ballot promised (0: none).
    pub promised: u64,
    /// Ballot of the accepted value (0: nothing accepted).
    pub accepted: u64,
    /// The accepted value, a thread id.
    pub value: Option<usize>,
}

impl AcceptorState {
    /// The packed word. Fields must fit (`≤ MAX_BALLOT`, `< MAX_VALUES`).
    #[inline]
    pub fn pack(self) -> u64 {
        debug_assert!(self.promised <= MAX_BALLOT && self.accepted <= MAX_BALLOT);
        (self.promised << (BALLOT_BITS + VALUE_BITS))
            | (self.accepted << VALUE_BITS)
            | self.value.map_or(0, |v| v as u64 + 1)
    }

    /// The state a word holds.
    #[inline]
    pub fn unpack(w: u64) -> Self {
        let v = w & VALUE_MASK;
        AcceptorState {
            promised: w >> (BALLOT_BITS + VALUE_BITS),
            accepted: (w >> VALUE_BITS) & BALLOT_MASK,
            value: if v == 0 { None } else { Some(v as usize - 1) },
        }
    }

    /// The trace's rendering of this state.
    pub fn val(self) -> crate::trace::Val {
        crate::trace::Val::Ballots {
            promised: self.promised,
            accepted: self.accepted,
            value: self.value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips() {
        for s in [
            AcceptorState::default(),
            AcceptorState { promised: 5, accepted: 3, value: Some(0) },
            AcceptorState {
                promised: MAX_BALLOT,
                accepted: MAX_BALLOT,
                value: Some(MAX_VALUES - 1),
            },
        ] {
            assert_eq!(AcceptorState::unpack(s.pack()), s);
        }
    }
}
