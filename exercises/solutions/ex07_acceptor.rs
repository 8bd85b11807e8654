//! Reference solution of exercise 7 (`paxos-acceptor`): the lab's own
//! lock-free acceptor, `PackedAcceptor` in `src/paxos/acceptor.rs` — read it
//! there. In short: both operations share one CAS loop (load the word,
//! compute the new state and the reply; a nack writes nothing and returns;
//! otherwise CAS, and on failure decide again on the state found), counting
//! CAS attempts. The orderings: `accept`'s CAS succeeds with Release (it
//! publishes the accepted value, and with it its proposer's announce);
//! `prepare`'s with Acquire (it pairs with the Release of the accept whose
//! value it returns; promises in between are read-modify-writes and continue
//! that release sequence); loads and failed CASes are Relaxed (a reply that
//! carries a value always comes from a successful CAS, a nack carries only a
//! ballot).

pub use consensus_lab::paxos::PackedAcceptor as MyAcceptor;
