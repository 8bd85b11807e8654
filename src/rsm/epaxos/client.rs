//! An EPaxos client: the command leader of its own instances (phase 1,
//! the fast or the slow path, the commit), its own replica's executor, and
//! the recovery of an instance whose commit it waited for too long (the
//! module docs' algorithm step by step; recovery in [`super::recovery`]).

use super::execute::{Blocked, Learner};
use super::recovery;
use super::replica::{Attrs, Command, Refused};
use super::{Committed, Shared};
use crate::objects::Spec;
use crate::paxos::faults::LeaderStep;
use crate::rsm::multi_paxos::Timeout;
use crate::rsm::{Client, ClientStats, LogEntry, OpId, RsmError};
use crate::sync::yield_now;
use crate::trace_step;
use std::sync::Arc;

/// Why a leader stopped leading its instance.
enum Led {
    /// It committed it.
    Committed,
    /// A replica promised a recovery's ballot: the recovery commits it.
    Fenced,
}

/// One client's handle on an [`Epaxos`](super::Epaxos) object.
pub struct EpaxosClient<S: Spec> {
    shared: Arc<Shared<S>>,
    me: usize,
    /// Operations submitted.
    seq: u64,
    /// Instances led (an operation whose instance a recovery filled with a
    /// no-op takes the next one).
    instance: u64,
    /// Recovery ballots taken (this client's ballots are `k·n + me + 1`).
    round: u64,
    /// Refused recoveries in a row: the next wait lasts the timeout times
    /// 2^`backoff` (real time only; at most 2^10), so two recoverers that
    /// keep fencing each other out soon wait longer than an attempt takes.
    backoff: u32,
    crashed: bool,
    learner: Learner<S>,
    stats: ClientStats,
    /// Counted here, added to the object's [`Tally`](crate::rsm::tally::Tally) on drop.
    counters: super::EpaxosTotals,
}

impl<S: Spec> std::fmt::Debug for EpaxosClient<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpaxosClient")
            .field("me", &self.me)
            .field("seq", &self.seq)
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl<S: Spec> EpaxosClient<S> {
    pub(crate) fn new(shared: Arc<Shared<S>>, me: usize) -> Self {
        let learner = Learner::new(&shared.spec, shared.ops.clients(), shared.unsorted);
        EpaxosClient {
            shared,
            me,
            seq: 0,
            instance: 0,
            round: 0,
            backoff: 0,
            crashed: false,
            learner,
            stats: ClientStats::default(),
            counters: super::EpaxosTotals::default(),
        }
    }

    /// The replicas from `first` on, round the ring.
    fn from(&self, first: usize) -> impl Iterator<Item = usize> {
        let n = self.shared.replicas.len();
        (0..n).map(move |k| (first + k) % n)
    }

    /// Client `q`'s home replica.
    fn home(&self, q: usize) -> usize {
        q % self.shared.replicas.len()
    }

    fn no_quorum(&self, answered: usize) -> RsmError {
        RsmError::NoQuorum {
            acceptors: self.shared.replicas.len(),
            answered,
            majority: self.shared.quorums.majority,
        }
    }

    /// The fault plan's leader fault at this leader's `k`-th instance (from
    /// 0) and `step`, if it has one: a crash, or a stall.
    fn fault(&mut self, k: usize, step: LeaderStep) -> Result<(), RsmError> {
        let sh = Arc::clone(&self.shared);
        for (f, fired) in sh.faults.iter().zip(sh.fired.iter()) {
            // Relaxed: only the compare&swap's atomicity matters (the fault
            // strikes once); the report reads who it struck after the run.
            let relaxed = crate::sync::Ordering::Relaxed;
            if f.slot == k
                && f.step == step
                && fired.compare_exchange(0, self.me + 1, relaxed, relaxed).is_ok()
            {
                match f.stall {
                    Some(d) => crate::sync::sleep(d),
                    None => {
                        trace_step!(self.me, Note("the command leader crashes (fault plan)"));
                        self.crashed = true;
                        return Err(RsmError::Crashed { client: self.me });
                    }
                }
            }
        }
        Ok(())
    }

    /// The committed sequence number of instance `(q, i − 1)` (0: none).
    fn prev_seq(&self, id: OpId) -> u64 {
        if id.seq <= 1 {
            return 0;
        }
        let prev = OpId { client: id.client, seq: id.seq - 1 };
        self.shared.commits.get(prev).map_or(0, |c| c.attrs.seq)
    }

    /// Pre-accepts `command` for `id` at `ballot` at replicas from `first`
    /// on, skipping those in `replies` already and crashed ones, until
    /// `want` answered in all, each sent the first answer (the leader's own
    /// attributes), or `start` before there is one (that replica computes
    /// them: [`Record::computed`](super::replica::Record::computed)).
    /// Appends `(replica, answer)`.
    fn pre_accepts(
        &mut self,
        (id, ballot, command): (OpId, u64, Command),
        start: &Attrs,
        first: usize,
        want: usize,
        replies: &mut Vec<(usize, Attrs)>,
    ) -> Result<(), Refused> {
        let sh = Arc::clone(&self.shared);
        for i in self.from(first) {
            if replies.len() >= want {
                break;
            }
            if replies.iter().any(|(r, _)| *r == i) || !sh.replicas[i].answers() {
                continue;
            }
            let sent = replies.first().map_or(start, |(_, a)| a);
            let computes = replies.is_empty();
            let got = sh.replicas[i].acceptor.pre_accept((id, ballot, command), sent, computes)?;
            trace_step!(self.me, Store { loc: Loc::at("pre-accepted", i), value: got.trace() });
            self.counters.pre_accepts += 1;
            replies.push((i, got));
        }
        Ok(())
    }

    /// Accepts `(command, attrs)` for `id` at `ballot` at a majority, from
    /// replica `first` on. Returns how many accepted.
    fn accepts(
        &mut self,
        id: OpId,
        ballot: u64,
        command: Command,
        attrs: &Attrs,
        first: usize,
    ) -> Result<usize, Refused> {
        let sh = Arc::clone(&self.shared);
        let mut accepted = 0;
        for i in self.from(first) {
            if accepted == sh.quorums.majority {
                break;
            }
            if !sh.replicas[i].answers() {
                continue;
            }
            sh.replicas[i].acceptor.accept(id, ballot, command, attrs)?;
            trace_step!(self.me, Store { loc: Loc::at("accepted", i), value: attrs.trace() });
            self.counters.accepts += 1;
            accepted += 1;
        }
        Ok(accepted)
    }

    /// Leads instance `id` (its `k`-th, from 0) to its commit: phase 1 at
    /// the fast quorum, then the fast path or the slow path; or stops when
    /// a recovery fenced it out.
    fn lead(&mut self, id: OpId, k: usize, command: Command) -> Result<Led, RsmError> {
        let sh = Arc::clone(&self.shared);
        let start = Attrs::own_row(sh.ops.clients(), self.me, id.seq, self.prev_seq(id));
        self.fault(k, LeaderStep::BeforeBroadcast)?;
        let home = self.home(self.me);
        let this = (id, 0, command);
        let mut replies = Vec::new();
        // The home first (the leader's own attributes), then the rest of
        // a minority (F: where the fault plan's `AfterMinority` strikes),
        // then of the fast quorum.
        let minority = (sh.quorums.majority - 1).max(1);
        if self.pre_accepts(this, &start, home, minority, &mut replies).is_err() {
            return Ok(self.fenced());
        }
        self.fault(k, LeaderStep::AfterMinority)?;
        if self.pre_accepts(this, &start, home, sh.fast, &mut replies).is_err() {
            return Ok(self.fenced());
        }
        let Some(mine) = replies.first().map(|(_, a)| a.clone()) else {
            return Err(self.no_quorum(0));
        };
        if replies.len() >= sh.fast && replies.iter().all(|(_, a)| *a == mine) {
            self.fault(k, LeaderStep::BeforePublish)?;
            trace_step!(self.me, Note("fast path: every pre-accept kept the attributes"));
            self.counters.fast += 1;
            return self.commit(id, command, mine).map(|()| Led::Committed);
        }
        // The slow path: a majority's union (the fast quorum is one, except
        // in the broken variant), accepted at a majority.
        if self.pre_accepts(this, &mine, home, sh.quorums.majority, &mut replies).is_err() {
            return Ok(self.fenced());
        }
        if replies.len() < sh.quorums.majority {
            return Err(self.no_quorum(replies.len()));
        }
        let mut union = mine;
        for (_, r) in &replies {
            union.union(r);
        }
        trace_step!(self.me, Note("slow path: the pre-accepts differ, accept their union"));
        let Ok(accepted) = self.accepts(id, 0, command, &union, home) else {
            return Ok(self.fenced());
        };
        if accepted < sh.quorums.majority {
            return Err(self.no_quorum(accepted));
        }
        self.fault(k, LeaderStep::BeforePublish)?;
        self.counters.slow += 1;
        self.commit(id, command, union).map(|()| Led::Committed)
    }

    fn fenced(&mut self) -> Led {
        trace_step!(self.me, Note("a replica promised a recovery's ballot: fenced out"));
        Led::Fenced
    }

    fn commit(&mut self, id: OpId, command: Command, attrs: Attrs) -> Result<(), RsmError> {
        self.shared.commits.commit(self.me, id, Committed { command, attrs })?;
        self.counters.commands += 1;
        Ok(())
    }

    /// Whether a wait that began at `began` after `polls` polls has lasted
    /// the timeout.
    fn timed_out(&self, polls: u32, began: Option<std::time::Instant>) -> bool {
        match self.shared.timeout {
            // Models: a fixed count (their bounds, not backoff, end duels).
            Timeout::Polls(n) => polls >= n,
            Timeout::After(d) => began.is_some_and(|b| b.elapsed() >= d * (1 << self.backoff)),
        }
    }

    /// Executes instance `id` at this client's replica, waiting for
    /// uncommitted dependencies and recovering one it waited for too long.
    /// `None`: a recovery committed a no-op there.
    fn execute(&mut self, id: OpId) -> Result<Option<S::Ret>, RsmError> {
        let sh = Arc::clone(&self.shared);
        let mut waiting: Option<(OpId, u32, Option<std::time::Instant>)> = None;
        loop {
            let w = match self.learner.execute(&sh.spec, &sh.ops, &sh.commits, id)? {
                Ok(ret) => {
                    self.backoff = 0; // every wait ended
                    return Ok(ret);
                }
                Err(Blocked(w)) => w,
            };
            let (polls, began) = match waiting {
                Some((x, p, b)) if x == w => (p, b),
                _ => {
                    #[cfg(not(any(loom, shuttle)))]
                    let now = Some(std::time::Instant::now());
                    #[cfg(any(loom, shuttle))]
                    let now = None;
                    (0, now)
                }
            };
            if self.timed_out(polls, began) {
                self.recover(w)?;
                waiting = None;
                continue;
            }
            trace_step!(self.me, Note("waits for a dependency's commit"));
            self.counters.waits += 1;
            waiting = Some((w, polls + 1, began));
            yield_now();
        }
    }

    /// Recovers instance `w` (the explicit prepare): a ballot above every
    /// one this client saw promised for it, prepared at a majority, then
    /// what the rules of [`recovery::decide`] say the instance may hold,
    /// accepted at a majority and committed. Returns once `w` is committed
    /// (by this recovery or another committer), or when a replica refused
    /// the ballot: another recovery holds a higher one, and this client goes
    /// back to waiting for the commit, twice as long as the last time (up to
    /// 2^10 timeouts), before it tries again above that ballot (two
    /// recoverers that outbid each other at once could duel forever, as
    /// Paxos proposers do, while an attempt takes longer than the wait).
    fn recover(&mut self, w: OpId) -> Result<(), RsmError> {
        let sh = Arc::clone(&self.shared);
        let majority = sh.quorums.majority;
        if sh.commits.get(w).is_some() {
            return Ok(());
        }
        // This client's next ballot: k·n + me + 1, above every one it saw.
        self.round += 1;
        let ballot = self.round * sh.ops.clients() as u64 + self.me as u64 + 1;
        trace_step!(self.me, Note("recovers a dependency: explicit prepare"));
        self.counters.recoveries += 1;
        let mut found = Vec::new();
        for i in self.from(self.home(self.me)) {
            if found.len() == majority {
                break;
            }
            if !sh.replicas[i].answers() {
                continue;
            }
            match sh.replicas[i].acceptor.prepare(w, ballot) {
                Ok(r) => found.push(r),
                Err(refused) => return self.outbid(refused),
            }
        }
        if found.len() < majority {
            return Err(self.no_quorum(found.len()));
        }
        let own = Attrs::own_row(sh.ops.clients(), w.client, w.seq, self.prev_seq(w));
        let (command, attrs) = match recovery::decide(&found, sh.quorums, &own, sh.rule2) {
            recovery::Plan::Accept { command, attrs } => (command, attrs),
            recovery::Plan::PreAccept { command, attrs } => {
                let mut replies = Vec::new();
                let this = (w, ballot, command);
                let first = self.home(self.me);
                if let Err(refused) = self.pre_accepts(this, &attrs, first, majority, &mut replies)
                {
                    return self.outbid(refused);
                }
                if replies.len() < majority {
                    return Err(self.no_quorum(replies.len()));
                }
                let mut union = attrs;
                for (_, r) in &replies {
                    union.union(r);
                }
                (command, union)
            }
        };
        match self.accepts(w, ballot, command, &attrs, self.home(self.me)) {
            Ok(a) if a >= majority => {}
            Ok(a) => return Err(self.no_quorum(a)),
            Err(refused) => return self.outbid(refused),
        }
        trace_step!(self.me, Note("the recovery commits the instance"));
        self.backoff = 0;
        self.shared.commits.commit(self.me, w, Committed { command, attrs })
    }

    /// A recovery refused: it ends (the instance may or may not be
    /// committed by now: the wait finds out), the next one takes a ballot
    /// above `promised`, after a wait twice as long.
    fn outbid(&mut self, Refused { promised }: Refused) -> Result<(), RsmError> {
        trace_step!(self.me, Note("a higher ballot holds the instance: waits again"));
        self.round = self.round.max(promised / self.shared.ops.clients() as u64);
        self.backoff = (self.backoff + 1).min(10);
        Ok(())
    }
}

impl<S: Spec> Client<S> for EpaxosClient<S> {
    fn id(&self) -> usize {
        self.me
    }

    fn submit(&mut self, op: S::Op) -> Result<S::Ret, RsmError> {
        if self.crashed {
            return Err(RsmError::Crashed { client: self.me });
        }
        let capacity = self.shared.ops.per_client();
        if self.seq as usize >= capacity || self.instance as usize >= capacity {
            return Err(RsmError::Full { capacity });
        }
        self.seq += 1;
        let command = Command::Op { footprint: self.shared.spec.footprint(&op), seq: self.seq };
        self.shared.ops.announce(self.me, self.seq, op);
        loop {
            if self.instance as usize >= capacity {
                return Err(RsmError::Full { capacity });
            }
            let k = self.instance as usize;
            self.instance += 1;
            let id = OpId { client: self.me, seq: self.instance };
            self.lead(id, k, command)?;
            if let Some(ret) = self.execute(id)? {
                self.stats.ops += 1;
                self.stats.cells_entered += 1;
                self.stats.max_cells_entered = self.stats.max_cells_entered.max(1);
                self.stats.cells_replayed = self.learner.instances - self.instance;
                return Ok(ret);
            }
            // A recovery filled the instance with a no-op: the operation
            // takes the next instance.
            trace_step!(self.me, Note("a recovery put a no-op in the instance: proposes again"));
            self.counters.retries += 1;
        }
    }

    fn stats(&self) -> ClientStats {
        self.stats
    }

    fn log(&self) -> Vec<LogEntry<S::Op>> {
        self.learner.log().to_vec()
    }
}

impl<S: Spec> Drop for EpaxosClient<S> {
    fn drop(&mut self) {
        let mut c = self.counters;
        c.executed = self.learner.instances;
        self.shared.totals.add(&c);
    }
}
