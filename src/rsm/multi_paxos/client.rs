//! A Multi-Paxos client: its replica, `submit`, and the leader role it takes
//! (the module docs' algorithm, step by step).

use super::acceptor::{ballot_of, entry_of, Caller, MAX_BALLOT};
use super::entry::{self, NOOP};
use super::liveness::Watch;
use super::published::{disagreement, entry_val};
use super::recovery::Report;
use super::{MultiAcceptor, ReadPath, Shared};
use crate::objects::Spec;
use crate::paxos::faults::LeaderStep;
use crate::rsm::{Client, ClientStats, LogEntry, OpId, RsmError};
use crate::sync::{yield_now, Ordering};
use crate::trace_step;
use std::sync::Arc;

/// The leadership a client holds: its ballot (term) and the next slot.
#[derive(Clone, Copy, Debug)]
struct Lead {
    ballot: u64,
    next: usize,
}

/// A client's replica: the spec's state after the published prefix.
struct Replica<S: Spec> {
    seq: u64,
    cursor: usize,
    state: S::State,
    applied: Vec<u64>,
    /// The return value of the pending operation, once replayed.
    done: Option<S::Ret>,
    /// Non-no-op entries replayed: `(slot, entry)`.
    replayed: Vec<(usize, u64)>,
    stats: ClientStats,
}

/// One client's handle on a [`MultiPaxos`](super::MultiPaxos) log.
pub struct MultiPaxosClient<S: Spec, A> {
    shared: Arc<Shared<S, A>>,
    me: usize,
    r: Replica<S>,
    lead: Option<Lead>,
    watch: Watch,
    crashed: bool,
    rr: usize,
    found: Vec<(usize, u64)>,
    /// Counted here, added to the object's [`Tally`](crate::rsm::tally::Tally) on drop.
    counters: super::MultiPaxosTotals,
}

impl<S: Spec, A> std::fmt::Debug for MultiPaxosClient<S, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiPaxosClient")
            .field("me", &self.me)
            .field("cursor", &self.r.cursor)
            .field("lead", &self.lead)
            .finish_non_exhaustive()
    }
}

/// How a leader's attempt at a slot ended.
enum Attempt {
    Chosen,
    /// A nack: someone leads at a higher ballot.
    Lost,
}

impl<S: Spec, A: MultiAcceptor> MultiPaxosClient<S, A> {
    pub(super) fn new(shared: Arc<Shared<S, A>>, me: usize) -> Self {
        let r = Replica {
            seq: 0,
            cursor: 0,
            state: shared.spec.init(),
            applied: vec![0; shared.log.clients()],
            done: None,
            replayed: Vec::new(),
            stats: ClientStats::default(),
        };
        MultiPaxosClient {
            shared,
            me,
            r,
            lead: None,
            watch: Watch::default(),
            crashed: false,
            rr: me,
            found: Vec::new(),
            counters: super::MultiPaxosTotals::default(),
        }
    }

    fn majority(&self) -> usize {
        self.shared.acceptors.len() / 2 + 1
    }

    /// Applies the published prefix beyond the cursor to the replica.
    fn learn(&mut self) -> Result<(), RsmError> {
        let sh = &*self.shared;
        while let Some(c) = sh.log.cell(self.r.cursor) {
            // Acquire: pairs with the publishing leader's Release CAS, and so
            // (transitively) with the announce of the operation it names.
            let e = c.load(Ordering::Acquire);
            if e == 0 {
                return Ok(());
            }
            let k = self.r.cursor;
            trace_step!(self.me, Load { loc: Loc::at("chosen", k), value: entry_val(e) });
            self.r.cursor += 1;
            self.r.stats.cells_replayed += 1;
            if e == NOOP {
                continue;
            }
            let bad = RsmError::BadEntry { cell: k, entry: OpId { client: usize::MAX, seq: e } };
            let id = entry::unpack(e).ok_or_else(|| bad.clone())?;
            let last = *self.r.applied.get(id.client).ok_or_else(|| bad.clone())?;
            self.r.replayed.push((k, e));
            if id.seq <= last {
                continue; // a duplicate: chosen again by a later leader
            }
            let op = sh.log.op(id).ok_or(bad)?;
            let (next, ret) = sh.spec.apply(&self.r.state, &op);
            self.r.state = next;
            self.r.applied[id.client] = id.seq;
            if id.client == self.me && id.seq == self.r.seq {
                self.r.done = Some(ret);
            }
        }
        Ok(())
    }

    /// Strikes if the plan has a fault for `slot` at `step` not fired yet.
    fn fault(&mut self, slot: usize, step: LeaderStep) -> Result<(), RsmError> {
        let sh = &*self.shared;
        for (f, fired) in sh.faults.iter().zip(sh.fired.iter()) {
            // Relaxed: only the swap's atomicity matters (the fault fires once).
            if f.slot == slot && f.step == step && !fired.swap(true, Ordering::Relaxed) {
                match f.stall {
                    Some(d) => crate::sync::sleep(d),
                    None => {
                        trace_step!(self.me, Note("the leader crashes (fault plan)"));
                        #[cfg(not(any(loom, shuttle)))]
                        sh.failover.crashed();
                        self.crashed = true;
                        return Err(RsmError::Crashed { client: self.me });
                    }
                }
            }
        }
        Ok(())
    }

    /// Phase 2 for entry `e` at `slot`, then its publication.
    fn choose(&mut self, ballot: u64, slot: usize, e: u64) -> Result<Attempt, RsmError> {
        self.fault(slot, LeaderStep::BeforeBroadcast)?;
        let majority = self.majority();
        let mut accepted = 0;
        for i in 0..self.shared.acceptors.len() {
            if accepted == majority {
                break;
            }
            let m = &self.shared.acceptors[i];
            if !m.answers() {
                continue;
            }
            let who = Caller { leader: self.me, acceptor: i };
            if m.acceptor.accept(who, ballot, slot, e).is_err() {
                self.step_down();
                return Ok(Attempt::Lost);
            }
            accepted += 1;
            self.counters.accepts += 1;
            if accepted == majority - 1 && accepted > 0 {
                self.fault(slot, LeaderStep::AfterMinority)?;
            }
        }
        if accepted < majority {
            return Err(RsmError::NoQuorum {
                acceptors: self.shared.acceptors.len(),
                answered: accepted,
                majority,
            });
        }
        self.shared.log.ghost(slot, e)?;
        self.fault(slot, LeaderStep::BeforePublish)?;
        let Some(c) = self.shared.log.cell(slot) else {
            return Err(RsmError::Full { capacity: self.shared.log.capacity() });
        };
        // Release: publishes the operation `e` names to every learner's
        // Acquire load. Acquire on failure: the first publisher's entry.
        match c.compare_exchange(0, e, Ordering::Release, Ordering::Acquire) {
            Ok(_) => {
                trace_step!(
                    self.me,
                    Cas {
                        loc: Loc::at("chosen", slot),
                        expected: Val::Bot,
                        new: entry_val(e),
                        found: Val::Bot
                    }
                );
            }
            Err(first) if first == e => {}
            Err(first) => return Err(disagreement(slot, first, e)),
        }
        self.r.stats.cells_entered += 1;
        Ok(Attempt::Chosen)
    }

    fn step_down(&mut self) {
        self.lead = None;
        self.watch.reset();
    }

    /// Whether this client leads (its term is still the detector's).
    fn leading(&mut self) -> bool {
        let Some(l) = self.lead else { return false };
        let mine = self.shared.detector.current().is_some_and(|t| t.term == l.ballot);
        if !mine || self.r.cursor != l.next {
            // A newer term, or slots chosen beyond ours by another leader.
            self.step_down();
            return false;
        }
        true
    }

    /// One command as the leader: the next announced operation, round robin.
    fn serve(&mut self) -> Result<(), RsmError> {
        let Some(l) = self.lead else { return Ok(()) };
        if l.next >= self.shared.log.capacity() {
            return Err(RsmError::Full { capacity: self.shared.log.capacity() });
        }
        let n = self.shared.log.clients();
        let pick = (0..n).map(|i| (self.rr + i) % n).find_map(|t| {
            // Acquire (in `announced`): client t's operation, which the entry
            // will name, is visible.
            let s = self.shared.log.announced(t);
            (s > self.r.applied[t]).then_some(OpId { client: t, seq: s })
        });
        let Some(id) = pick else { return Ok(()) };
        self.rr = (id.client + 1) % n;
        if let Attempt::Chosen = self.choose(l.ballot, l.next, entry::pack(id))? {
            self.lead = Some(Lead { next: l.next + 1, ..l });
            self.counters.commands += 1;
            self.shared.detector.beat();
            #[cfg(not(any(loom, shuttle)))]
            self.shared.failover.committed();
        }
        Ok(())
    }

    /// Claims the next term and recovers every slot not known chosen.
    fn take_over(&mut self) -> Result<(), RsmError> {
        let sh = Arc::clone(&self.shared);
        let Some(term) = self.watch.claim(&sh.detector, self.me) else {
            return Ok(());
        };
        trace_step!(self.me, Note("claims the next term"));
        if term.term > MAX_BALLOT {
            return Err(RsmError::BallotsExhausted { max: MAX_BALLOT });
        }
        self.counters.takeovers += 1;
        let ballot = term.term;
        let from = self.r.cursor;
        let majority = self.majority();
        self.found.clear();
        let mut promised = 0;
        for (i, m) in sh.acceptors.iter().enumerate() {
            if promised == majority {
                break;
            }
            if !m.answers() {
                continue;
            }
            let who = Caller { leader: self.me, acceptor: i };
            if m.acceptor.prepare(who, ballot, from, &mut self.found).is_err() {
                self.step_down();
                return Ok(());
            }
            promised += 1;
            self.counters.prepares += 1;
        }
        if promised < majority {
            return Err(RsmError::NoQuorum {
                acceptors: sh.acceptors.len(),
                answered: promised,
                majority,
            });
        }
        // The recovery rule (Paxos's: per slot the highest-ballot entry, a
        // no-op in a gap) says what to propose at `from`, `from + 1`, ...
        let reports: Vec<Report> = self
            .found
            .iter()
            .map(|&(slot, w)| Report { slot, ballot: ballot_of(w), entry: entry_of(w) })
            .collect();
        let plan = (sh.recovery)(from, &reports);
        if from + plan.len() > sh.log.capacity() {
            return Err(RsmError::Full { capacity: sh.log.capacity() });
        }
        self.lead = Some(Lead { ballot, next: from });
        self.watch.reset();
        for (slot, e) in (from..).zip(plan) {
            if e != NOOP && (e >> super::entry::ENTRY_BITS != 0 || entry::unpack(e).is_none()) {
                // A rule's invention: not an entry any client announced.
                let bad = OpId { client: usize::MAX, seq: e };
                return Err(RsmError::BadEntry { cell: slot, entry: bad });
            }
            match self.choose(ballot, slot, e)? {
                Attempt::Chosen => {
                    self.lead = Some(Lead { ballot, next: slot + 1 });
                    self.learn()?;
                    sh.detector.beat();
                }
                Attempt::Lost => return Ok(()),
            }
        }
        Ok(())
    }

    /// A read-only operation answered from this client's replica, if the
    /// read path allows it here (the module docs' reads): `None` sends it
    /// through the log.
    fn read_locally(&mut self, op: &S::Op) -> Result<Option<S::Ret>, RsmError> {
        let sh = Arc::clone(&self.shared);
        match sh.reads {
            ReadPath::Log => return Ok(None),
            // Broken: it led the last time it looked, so it trusts its replica.
            ReadPath::Trusting if self.lead.is_none() => return Ok(None),
            ReadPath::Trusting => {}
            ReadPath::Confirmed => {
                self.learn()?;
                if !self.leading() {
                    return Ok(None);
                }
                let Some(l) = self.lead else { return Ok(None) };
                let majority = self.majority();
                let mut confirmed = 0;
                for (i, m) in sh.acceptors.iter().enumerate() {
                    if confirmed == majority {
                        break;
                    }
                    if !m.answers() {
                        continue;
                    }
                    if m.acceptor.promised(Caller { leader: self.me, acceptor: i }) > l.ballot {
                        self.step_down();
                        return Ok(None);
                    }
                    confirmed += 1;
                }
                if confirmed < majority {
                    return Err(RsmError::NoQuorum {
                        acceptors: sh.acceptors.len(),
                        answered: confirmed,
                        majority,
                    });
                }
            }
        }
        let note = match sh.reads {
            ReadPath::Trusting => {
                "answers a read from its replica, trusting it still leads (no lease)"
            }
            _ => "answers a read from its replica (its ballot confirmed at a majority)",
        };
        trace_step!(self.me, Note(note));
        self.counters.leader_reads += 1;
        Ok(Some(sh.spec.apply(&self.r.state, op).1))
    }

    fn submit_inner(&mut self, op: S::Op) -> Result<S::Ret, RsmError> {
        let capacity = self.shared.log.capacity();
        if self.crashed {
            return Err(RsmError::Crashed { client: self.me });
        }
        if self.r.seq >= capacity as u64 {
            return Err(RsmError::Full { capacity });
        }
        let seq = self.r.seq + 1;
        if self.shared.spec.read_only(&op) {
            if let Some(ret) = self.read_locally(&op)? {
                // The sequence number is spent (callers number operations
                // one by one), but nothing is announced under it.
                self.r.seq = seq;
                self.r.stats.ops += 1;
                return Ok(ret);
            }
        }
        self.shared.log.announce(self.me, seq, op);
        self.r.seq = seq;
        let before = self.r.stats.cells_entered;
        let ret = loop {
            self.learn()?;
            if let Some(ret) = self.r.done.take() {
                break ret;
            }
            if self.r.cursor >= capacity {
                return Err(RsmError::Full { capacity });
            }
            if self.leading() {
                self.serve()?;
            } else if self.watch.suspects(&self.shared.detector) {
                self.take_over()?;
            } else {
                yield_now();
            }
        };
        let entered = (self.r.stats.cells_entered - before) as usize;
        self.r.stats.max_cells_entered = self.r.stats.max_cells_entered.max(entered);
        if entered == 0 {
            self.r.stats.helped += 1;
        }
        self.r.stats.ops += 1;
        Ok(ret)
    }
}

impl<S: Spec, A: MultiAcceptor> Client<S> for MultiPaxosClient<S, A> {
    fn id(&self) -> usize {
        self.me
    }

    fn submit(&mut self, op: S::Op) -> Result<S::Ret, RsmError> {
        self.submit_inner(op)
    }

    fn stats(&self) -> ClientStats {
        self.r.stats
    }

    fn log(&self) -> Vec<LogEntry<S::Op>> {
        self.shared.log.replayed(&self.r.replayed)
    }
}

impl<S: Spec, A> Drop for MultiPaxosClient<S, A> {
    fn drop(&mut self) {
        self.shared.totals.add(&self.counters);
    }
}
