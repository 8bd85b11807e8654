//! A Zab client: its replica (delivery), `submit`, and the leader role it
//! takes (broadcast and recovery, the module docs' algorithm step by step).

use super::follower::{RegionState, Slot};
use super::ghost::{ClientGhost, Delivery, Primary};
use super::zxid::{Zxid, ZxidError};
use super::{Election, Shared};
use crate::objects::Spec;
use crate::paxos::faults::LeaderStep;
use crate::rsm::multi_paxos::entry;
use crate::rsm::multi_paxos::liveness::Watch;
use crate::rsm::multi_paxos::published::{disagreement, entry_val};
use crate::rsm::{Client, ClientStats, LogEntry, OpId, RsmError};
use crate::sync::{yield_now, Ordering};
use crate::trace_step;
use std::sync::Arc;

/// The leadership a client holds: its epoch, history and last zxid.
#[derive(Debug)]
struct Lead {
    epoch: u64,
    history: Vec<Slot>,
    last: Zxid,
}

/// One client's handle on a [`Zab`](super::Zab) log.
pub struct ZabClient<S: Spec> {
    shared: Arc<Shared<S>>,
    me: usize,
    seq: u64,
    cursor: usize,
    state: S::State,
    applied: Vec<u64>,
    done: Option<S::Ret>,
    /// Non-no-op entries delivered: `(slot, entry)`.
    delivered: Vec<(usize, u64)>,
    stats: ClientStats,
    lead: Option<Lead>,
    watch: Watch,
    crashed: bool,
    rr: usize,
    /// Counted here, added to the object's [`Tally`](crate::rsm::tally::Tally) on drop.
    counters: super::ZabTotals,
    /// Ghost records not handed to the shared record yet (audited logs).
    ghost: ClientGhost,
}

impl<S: Spec> std::fmt::Debug for ZabClient<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZabClient")
            .field("me", &self.me)
            .field("cursor", &self.cursor)
            .field("lead", &self.lead)
            .finish_non_exhaustive()
    }
}

/// How a leader's write at a majority ended.
enum Quorum {
    Acked,
    /// A follower promised a higher epoch: step down.
    Fenced,
}

impl<S: Spec> ZabClient<S> {
    pub(super) fn new(shared: Arc<Shared<S>>, me: usize) -> Self {
        let n = shared.log.clients();
        let state = shared.spec.init();
        ZabClient {
            shared,
            me,
            seq: 0,
            cursor: 0,
            state,
            applied: vec![0; n],
            done: None,
            delivered: Vec::new(),
            stats: ClientStats::default(),
            lead: None,
            watch: Watch::default(),
            crashed: false,
            rr: me,
            counters: super::ZabTotals::default(),
            ghost: ClientGhost::default(),
        }
    }

    fn majority(&self) -> usize {
        self.shared.followers.len() / 2 + 1
    }

    /// The followers in the order this client tries them: from its own
    /// index round (the first majority that answers is the quorum, as the
    /// first acknowledgements to arrive would be; spreads the load).
    fn order(
        sh: &Shared<S>,
        me: usize,
    ) -> impl Iterator<Item = (usize, &super::Member<super::follower::Region>)> {
        let m = sh.followers.len();
        (0..m).map(move |i| ((me + i) % m, &sh.followers[(me + i) % m]))
    }

    fn no_quorum(&self, answered: usize) -> RsmError {
        RsmError::NoQuorum {
            acceptors: self.shared.followers.len(),
            answered,
            majority: self.majority(),
        }
    }

    /// Delivers, in zxid order, the committed slots below the commit index.
    fn deliver(&mut self) -> Result<(), RsmError> {
        let sh = &*self.shared;
        // Acquire: pairs with the leaders' Release fetch_max of the index.
        let index = sh.commit_index.load(Ordering::Acquire) as usize;
        while self.cursor < index.min(sh.log.capacity()) {
            let k = self.cursor;
            // Acquire: pairs with the publishing leader's Release CAS, and so
            // with the announce of the operation the entry names.
            let Some(cell) = sh.log.cell(k) else { break };
            let e = cell.load(Ordering::Acquire);
            if e == 0 {
                return Ok(()); // published below the index but not seen yet
            }
            trace_step!(self.me, Load { loc: Loc::at("committed", k), value: entry_val(e) });
            self.cursor += 1;
            self.stats.cells_replayed += 1;
            if e == entry::NOOP {
                continue;
            }
            let bad = RsmError::BadEntry { cell: k, entry: OpId { client: usize::MAX, seq: e } };
            let id = entry::unpack(e).ok_or_else(|| bad.clone())?;
            let last = *self.applied.get(id.client).ok_or_else(|| bad.clone())?;
            self.delivered.push((k, e));
            if sh.ghost.is_some() {
                self.ghost.delivered.push((k, e));
            }
            if id.seq <= last {
                continue; // a duplicate: proposed again by a later leader
            }
            let op = sh.log.op(id).ok_or(bad)?;
            let (next, ret) = sh.spec.apply(&self.state, &op);
            self.state = next;
            self.applied[id.client] = id.seq;
            if id.client == self.me && id.seq == self.seq {
                self.done = Some(ret);
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

    /// Writes `history` into follower regions until a majority acked it.
    /// `slot`: the proposal's slot, for the fault plan (`None`: a
    /// synchronisation).
    fn replicate(
        &mut self,
        epoch: u64,
        history: &[Slot],
        slot: Option<usize>,
    ) -> Result<Quorum, RsmError> {
        let sh = Arc::clone(&self.shared);
        let majority = self.majority();
        // Broken on purpose (`broken::committing_before_quorum`): a proposal
        // counts as committed one acknowledgement short of a majority.
        let needed = if sh.early_commit && slot.is_some() { majority - 1 } else { majority };
        let mut acked = 0;
        for (i, m) in Self::order(&sh, self.me) {
            if acked == needed {
                break;
            }
            if !m.answers() {
                continue;
            }
            let Ok(ack) = m.acceptor.write(epoch, history) else {
                trace_step!(self.me, Note("a follower refuses the write: a newer epoch"));
                return Ok(Quorum::Fenced);
            };
            trace_step!(self.me, Store { loc: Loc::at("ack", i), value: Val::Num(ack as u64) });
            acked += 1;
            self.counters.writes += 1;
            if slot.is_none() {
                self.counters.sync_writes += 1;
            }
            if let Some(k) = slot {
                if acked == majority - 1 && acked > 0 {
                    self.fault(k, LeaderStep::AfterMinority)?;
                }
            }
        }
        if acked < needed {
            return Err(self.no_quorum(acked));
        }
        Ok(Quorum::Acked)
    }

    /// Publishes slot `k`'s committed transaction `e` (zxid `z`).
    fn publish(&mut self, k: usize, z: Zxid, e: u64) -> Result<(), RsmError> {
        self.shared.log.ghost(k, e)?;
        self.fault(k, LeaderStep::BeforePublish)?;
        let sh = &*self.shared;
        // Release: publishes the operation `e` names to every replica's
        // Acquire load. Acquire on failure: the first publisher's entry.
        let Some(cell) = sh.log.cell(k) else {
            return Err(RsmError::Full { capacity: sh.log.capacity() });
        };
        match cell.compare_exchange(0, e, Ordering::Release, Ordering::Acquire) {
            Ok(_) => {
                trace_step!(
                    self.me,
                    Cas {
                        loc: Loc::at("committed", k),
                        expected: Val::Bot,
                        new: entry_val(e),
                        found: Val::Bot
                    }
                );
                if let Some(g) = &sh.ghost {
                    g.published(k, z);
                }
            }
            Err(first) if first == e => {}
            Err(first) => return Err(disagreement(k, first, e)),
        }
        // Release: pairs with the replicas' Acquire load of the index (the
        // slots below it are published).
        sh.commit_index.fetch_max(k as u64 + 1, Ordering::Release);
        self.stats.cells_entered += 1;
        Ok(())
    }

    fn step_down(&mut self) {
        self.lead = None;
        self.watch.reset();
    }

    /// Whether this client leads (its epoch is still the detector's term,
    /// and nobody committed beyond its history).
    fn leading(&mut self) -> bool {
        let Some(l) = &self.lead else { return false };
        let mine = self.shared.detector.current().is_some_and(|t| t.term == l.epoch);
        if !mine || self.cursor != l.history.len() {
            self.step_down();
            return false;
        }
        true
    }

    /// Broadcast: one proposal, the next announced operation, round robin.
    fn serve(&mut self) -> Result<(), RsmError> {
        let Some(mut l) = self.lead.take() else { return Ok(()) };
        let k = l.history.len();
        let capacity = self.shared.log.capacity();
        if k >= capacity {
            self.lead = Some(l);
            return Err(RsmError::Full { capacity });
        }
        let n = self.shared.log.clients();
        let pick = (0..n).map(|i| (self.rr + i) % n).find_map(|t| {
            // Acquire (in `announced`): client t's operation, which the
            // proposal will name, is visible.
            let s = self.shared.log.announced(t);
            (s > self.applied[t]).then_some(OpId { client: t, seq: s })
        });
        let Some(id) = pick else {
            self.lead = Some(l);
            return Ok(());
        };
        self.rr = (id.client + 1) % n;
        let z = match l.last.next() {
            Ok(z) => z,
            Err(ZxidError::CounterOverflow { .. }) => {
                // A new epoch must begin: give the lead up and recover.
                self.step_down();
                return self.take_over();
            }
            Err(ZxidError::EpochOverflow { epoch }) => {
                return Err(RsmError::EpochsExhausted { epoch })
            }
        };
        let e = entry::pack(id);
        self.fault(k, LeaderStep::BeforeBroadcast)?;
        l.history.push((z, e));
        l.last = z;
        trace_step!(self.me, Note("proposes the next transaction"));
        let epoch = l.epoch;
        if let Some(p) = self.primary(epoch) {
            p.broadcast.push((z, e));
        }
        let quorum = self.replicate(epoch, &l.history, Some(k))?;
        if let Quorum::Fenced = quorum {
            self.step_down();
            return Ok(());
        }
        // Committed: the primary delivers it (the ghost's record).
        if let Some(p) = self.primary(epoch) {
            p.delivered.push(Delivery { slot: k, zxid: z, txn: e });
        }
        self.publish(k, z, e)?;
        self.lead = Some(l);
        self.counters.commands += 1;
        self.shared.detector.beat();
        #[cfg(not(any(loom, shuttle)))]
        self.shared.failover.committed();
        Ok(())
    }

    /// Recovery: election, discovery, synchronisation.
    fn take_over(&mut self) -> Result<(), RsmError> {
        let sh = Arc::clone(&self.shared);
        let Some(term) = self.watch.claim(&sh.detector, self.me) else {
            return Ok(());
        };
        trace_step!(self.me, Note("claims the next epoch"));
        let epoch = term.term;
        let start = Zxid::epoch_start(epoch).map_err(|_| RsmError::EpochsExhausted { epoch })?;
        // Discovery: NEWEPOCH at a majority.
        let majority = self.majority();
        let mut answers: Vec<RegionState> = Vec::with_capacity(majority);
        for (i, m) in Self::order(&sh, self.me) {
            if answers.len() == majority {
                break;
            }
            if !m.answers() {
                continue;
            }
            match m.acceptor.new_epoch(epoch) {
                Ok(s) => {
                    trace_step!(
                        self.me,
                        Store { loc: Loc::at("accepted-epoch", i), value: Val::Num(epoch) }
                    );
                    answers.push(s)
                }
                Err(_) => {
                    trace_step!(self.me, Note("a follower promised a newer epoch"));
                    self.step_down();
                    return Ok(());
                }
            }
        }
        if answers.len() < majority {
            return Err(self.no_quorum(answers.len()));
        }
        let history = match sh.election {
            Election::Highest => {
                answers.into_iter().max_by_key(|s| (s.current_epoch, s.last_zxid())).map(|s| s.log)
            }
            Election::Lowest => {
                answers.into_iter().min_by_key(|s| (s.current_epoch, s.last_zxid())).map(|s| s.log)
            }
            Election::Rule(rule) => {
                let (i, n) = (rule(&answers), answers.len());
                let Some(s) = answers.into_iter().nth(i) else {
                    return Err(RsmError::InvalidConfig(format!(
                        "the recovery rule picked answer {i} of {n} (indices 0 to {})",
                        n.saturating_sub(1)
                    )));
                };
                Some(s.log)
            }
        }
        .unwrap_or_default();
        self.counters.epochs += 1;
        self.watch.reset();
        // Synchronisation: the majority's logs made equal to the history.
        if let Quorum::Fenced = self.replicate(epoch, &history, None)? {
            self.step_down();
            return Ok(());
        }
        trace_step!(self.me, Note("synchronised a majority: commits the history"));
        if self.shared.ghost.is_some() {
            let me = self.me;
            self.ghost.led.push(Primary {
                epoch,
                leader: me,
                initial: history.clone(),
                broadcast: Vec::new(),
                delivered: history
                    .iter()
                    .enumerate()
                    .map(|(slot, &(zxid, txn))| Delivery { slot, zxid, txn })
                    .collect(),
            });
        }
        for (k, &(z, e)) in history.iter().enumerate().skip(self.cursor) {
            self.publish(k, z, e)?;
        }
        self.lead = Some(Lead { epoch, history, last: start });
        self.deliver()?;
        sh.detector.beat();
        Ok(())
    }

    /// The ghost record of the epoch this client leads (audited logs only).
    fn primary(&mut self, epoch: u64) -> Option<&mut Primary> {
        self.shared.ghost.as_ref()?;
        if self.ghost.led.last().is_none_or(|p| p.epoch != epoch) {
            // Its earlier part was handed over already (or it is new).
            let leader = self.me;
            self.ghost.led.push(Primary { epoch, leader, ..Primary::default() });
        }
        self.ghost.led.last_mut()
    }

    fn submit_inner(&mut self, op: S::Op) -> Result<S::Ret, RsmError> {
        let capacity = self.shared.log.capacity();
        if self.crashed {
            return Err(RsmError::Crashed { client: self.me });
        }
        if self.seq >= capacity as u64 {
            return Err(RsmError::Full { capacity });
        }
        let seq = self.seq + 1;
        self.shared.log.announce(self.me, seq, op);
        self.seq = seq;
        let before = self.stats.cells_entered;
        let ret = loop {
            self.deliver()?;
            if let Some(ret) = self.done.take() {
                break ret;
            }
            if self.cursor >= capacity {
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
        let entered = (self.stats.cells_entered - before) as usize;
        self.stats.max_cells_entered = self.stats.max_cells_entered.max(entered);
        if entered == 0 {
            self.stats.helped += 1;
        }
        self.stats.ops += 1;
        Ok(ret)
    }
}

impl<S: Spec> Client<S> for ZabClient<S> {
    fn id(&self) -> usize {
        self.me
    }

    fn submit(&mut self, op: S::Op) -> Result<S::Ret, RsmError> {
        let r = self.submit_inner(op);
        if let Some(g) = &self.shared.ghost {
            g.flush(self.me, &mut self.ghost);
        }
        r
    }

    fn stats(&self) -> ClientStats {
        self.stats
    }

    fn log(&self) -> Vec<LogEntry<S::Op>> {
        self.shared.log.replayed(&self.delivered)
    }
}

impl<S: Spec> Drop for ZabClient<S> {
    fn drop(&mut self) {
        self.shared.totals.add(&self.counters);
    }
}
