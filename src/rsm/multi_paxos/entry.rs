//! Log entries as 40-bit codes, for slot words and the chosen log:
//! `(client + 1) << 29 | seq` for client `client`'s `seq`-th operation, a
//! reserved client field for the no-op a new leader fills gaps with, and 0
//! for no entry.

use crate::rsm::OpId;

/// Bits of an entry (the low bits of an acceptor's slot word).
pub const ENTRY_BITS: u32 = 40;
/// Bits of an entry that hold the sequence number.
const SEQ_BITS: u32 = 29;
/// The largest sequence number (operations per client).
pub const MAX_SEQ: u64 = (1 << SEQ_BITS) - 1;
/// The client field of the no-op.
const NOOP_FIELD: u64 = (1 << (ENTRY_BITS - SEQ_BITS)) - 1;
/// The most clients an entry can name (the no-op takes one code).
pub const MAX_CLIENTS: usize = NOOP_FIELD as usize - 1;
/// The no-op: fills a slot a new leader found no value for.
pub const NOOP: u64 = NOOP_FIELD << SEQ_BITS;
const _: () = assert!(NOOP < 1 << ENTRY_BITS);

/// The entry of operation `id` (its client below [`MAX_CLIENTS`], its
/// sequence number from 1 to [`MAX_SEQ`]).
pub fn pack(id: OpId) -> u64 {
    debug_assert!(id.client < MAX_CLIENTS && (1..=MAX_SEQ).contains(&id.seq));
    ((id.client as u64 + 1) << SEQ_BITS) | id.seq
}

/// The operation of an entry: `None` for no entry and the no-op.
pub fn unpack(e: u64) -> Option<OpId> {
    let field = e >> SEQ_BITS;
    if e == 0 || field == NOOP_FIELD || field == 0 {
        return None;
    }
    Some(OpId { client: field as usize - 1, seq: e & MAX_SEQ })
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_the_noop_is_none() {
        for id in [OpId { client: 0, seq: 1 }, OpId { client: MAX_CLIENTS - 1, seq: MAX_SEQ }] {
            assert_eq!(unpack(pack(id)), Some(id));
            assert_ne!(pack(id), NOOP);
        }
        assert_eq!(unpack(NOOP), None);
        assert_eq!(unpack(0), None);
    }
}
