//! # Exercise 7 — `paxos-acceptor`: a Paxos acceptor register
//!
//! The lab's Paxos runs proposer threads against shared-memory acceptor
//! registers. An acceptor's state is a promised ballot and an accepted
//! (ballot, value) pair ([`AcceptorState`]); its two operations must each be
//! **one atomic step**:
//!
//! ```text
//! prepare(b):   if b > promised: promised := b; reply Promise(accepted, value)
//!               else: reply Nack(promised)
//! accept(b, v): if b ≥ promised: promised := b; (accepted, value) := (b, v); reply Accepted
//!               else: reply Nack(promised)
//! ```
//!
//! Implement them on one `AtomicU64` holding the packed state
//! (`AcceptorState::pack` / `unpack`) with a compare&swap loop: load, compute
//! the new state and the reply, CAS; if the CAS fails another proposer's step
//! landed first, so decide again on what it found. Count your CAS attempts in
//! `Outcome::rmws` (the lab reports atomic operations per decision). Call
//! [`trace`] after each operation (with `RmwOp::Prepare` or `RmwOp::Accept`,
//! the old and the new state; on a nack the old state twice), so loom's trace, and the Paxos invariant "every
//! ballot accepted by a majority carries the same value" which reads it, see
//! your steps.
//!
//! Orderings: a proposer that adopts a value from a promise must see that
//! value's proposer's announce. Which operation publishes, which one reads?
//!
//! The check first runs your acceptor alone against the rules above, then
//! plugs it into the lab's proposers — 2 proposers, 3 acceptors, at most 2
//! ballots each — exhaustively under loom, with no crash and with one
//! acceptor crashed.

use consensus_lab::consensus::acceptor_state::AcceptorState;
#[allow(unused_imports)]
use consensus_lab::paxos::acceptor::{trace, Caller, Outcome, Reply};
use consensus_lab::paxos::Acceptor;
#[allow(unused_imports)]
use consensus_lab::sync::{spin_loop, AtomicU64, Ordering};
#[allow(unused_imports)]
use consensus_lab::trace::RmwOp;

/// Your acceptor register.
#[derive(Debug)]
pub struct MyAcceptor {
    word: AtomicU64,
}

impl Acceptor for MyAcceptor {
    const KIND: &'static str = "exercise";
    const BLOCKING: bool = false;

    fn new() -> Self {
        MyAcceptor { word: AtomicU64::new(AcceptorState::default().pack()) }
    }

    fn prepare(&self, who: Caller, b: u64) -> Outcome {
        // TODO: one atomic step (a CAS loop). Which ordering on success?
        let _ = (who, b, Reply::Accepted);
        todo!("prepare of paxos-acceptor")
    }

    fn accept(&self, who: Caller, b: u64, v: usize) -> Outcome {
        // TODO: one atomic step (a CAS loop). Which ordering on success?
        let _ = (who, b, v);
        todo!("accept of paxos-acceptor")
    }

    fn state(&self) -> AcceptorState {
        // Acquire: inspection sees what the accepts published.
        AcceptorState::unpack(self.word.load(Ordering::Acquire))
    }
}
