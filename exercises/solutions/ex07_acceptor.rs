//! Reference solution of exercise 7 (`paxos-acceptor`).

use consensus_lab::paxos::acceptor::{trace, Caller, Outcome, Reply};
use consensus_lab::paxos::state::AcceptorState;
use consensus_lab::paxos::Acceptor;
use consensus_lab::sync::{spin_loop, AtomicU64, Ordering};

/// The acceptor register: one packed word, a CAS loop.
#[derive(Debug)]
pub struct MyAcceptor {
    word: AtomicU64,
}

impl MyAcceptor {
    /// The CAS loop both operations share: `rule` maps the current state to
    /// the state to write (`None`: a nack, nothing to write) and the reply.
    fn step(
        &self,
        who: Caller,
        op: &'static str,
        arg: u64,
        success: Ordering,
        rule: impl Fn(AcceptorState) -> (Option<AcceptorState>, Reply),
    ) -> Outcome {
        // Relaxed: a reply that carries a value comes from the CAS, which
        // re-reads the word with `success`.
        let mut cur = self.word.load(Ordering::Relaxed);
        let mut rmws = 0;
        loop {
            let old = AcceptorState::unpack(cur);
            let (new, reply) = rule(old);
            let Some(new) = new else {
                trace(who, op, arg, old, old);
                return Outcome { reply, rmws };
            };
            rmws += 1;
            match self.word.compare_exchange(cur, new.pack(), success, Ordering::Relaxed) {
                Ok(_) => {
                    trace(who, op, arg, old, new);
                    return Outcome { reply, rmws };
                }
                Err(found) => {
                    cur = found;
                    spin_loop();
                }
            }
        }
    }
}

impl Acceptor for MyAcceptor {
    const KIND: &'static str = "exercise";
    const BLOCKING: bool = false;

    fn new() -> Self {
        MyAcceptor { word: AtomicU64::new(AcceptorState::default().pack()) }
    }

    fn prepare(&self, who: Caller, b: u64) -> Outcome {
        // Acquire: pairs with the Release of the accept whose value it returns.
        self.step(who, "prepare", b, Ordering::Acquire, |s| {
            if b > s.promised {
                (
                    Some(AcceptorState { promised: b, ..s }),
                    Reply::Promise { accepted: s.accepted, value: s.value },
                )
            } else {
                (None, Reply::Nack { promised: s.promised })
            }
        })
    }

    fn accept(&self, who: Caller, b: u64, v: usize) -> Outcome {
        // Release: publishes the accepted value (and its proposer's announce)
        // to the prepare that will return it.
        self.step(who, "accept", b, Ordering::Release, |s| {
            if b >= s.promised {
                (Some(AcceptorState { promised: b, accepted: b, value: Some(v) }), Reply::Accepted)
            } else {
                (None, Reply::Nack { promised: s.promised })
            }
        })
    }

    fn state(&self) -> AcceptorState {
        // Acquire: inspection sees what the accepts published.
        AcceptorState::unpack(self.word.load(Ordering::Acquire))
    }
}
