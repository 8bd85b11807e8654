//! An EPaxos client: the command leader of its own instances (phase 1,
//! the fast or the slow path, the commit) and its own replica's executor
//! (the module docs' algorithm step by step).

use super::execute::{Blocked, Learner};
use super::replica::{Attrs, Command};
use super::{Committed, Shared};
use crate::objects::Spec;
use crate::rsm::{Client, ClientStats, LogEntry, OpId, RsmError};
#[cfg(not(any(loom, shuttle)))]
use crate::sync::Ordering;
use crate::trace_step;
use std::sync::Arc;

/// Counters, added to the object's totals on drop.
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    commands: u64,
    fast: u64,
    slow: u64,
    pre_accepts: u64,
    accepts: u64,
    waits: u64,
}

/// One client's handle on an [`Epaxos`](super::Epaxos) object.
pub struct EpaxosClient<S: Spec> {
    shared: Arc<Shared<S>>,
    me: usize,
    seq: u64,
    /// The sequence number its previous instance committed with.
    prev_seq: u64,
    learner: Learner<S>,
    stats: ClientStats,
    counters: Counters,
}

impl<S: Spec> std::fmt::Debug for EpaxosClient<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpaxosClient")
            .field("me", &self.me)
            .field("seq", &self.seq)
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
            prev_seq: 0,
            learner,
            stats: ClientStats::default(),
            counters: Counters::default(),
        }
    }

    /// The replicas in the order this client visits them: its home replica
    /// (`me mod n`) first.
    fn order(&self) -> impl Iterator<Item = usize> {
        let n = self.shared.replicas.len();
        let home = self.me % n;
        (0..n).map(move |k| (home + k) % n)
    }

    fn no_quorum(&self, answered: usize) -> RsmError {
        RsmError::NoQuorum {
            acceptors: self.shared.replicas.len(),
            answered,
            majority: self.shared.quorums.majority,
        }
    }

    /// Leads instance `id` to its commit: phase 1 at the fast quorum, then
    /// the fast path or the slow path. Returns the committed attributes.
    fn lead(&mut self, id: OpId, command: Command) -> Result<Attrs, RsmError> {
        let sh = Arc::clone(&self.shared);
        let rows = sh.ops.clients();
        let start = Attrs::own_row(rows, self.me, id.seq, self.prev_seq);
        // The leader's attributes: what its home (the first replica that
        // answers) computed; the others reply with theirs.
        let mut leader: Option<Attrs> = None;
        let mut replies: Vec<Attrs> = Vec::new();
        let mut visit = self.order();
        let (fast, majority) = (sh.fast, sh.quorums.majority);
        while replies.len() < fast {
            let Some(i) = visit.next() else { break };
            if !sh.replicas[i].answers() {
                continue;
            }
            let sent = leader.as_ref().unwrap_or(&start);
            let got = sh.replicas[i]
                .acceptor
                .pre_accept(id, 0, command, sent)
                .map_err(|r| self.fenced(id, r.promised))?;
            trace_step!(self.me, Store { loc: Loc::at("pre-accepted", i), value: got.trace() });
            self.counters.pre_accepts += 1;
            if leader.is_none() {
                leader = Some(got.clone());
            }
            replies.push(got);
        }
        let Some(mine) = leader else { return Err(self.no_quorum(0)) };
        if replies.len() >= fast && replies.iter().all(|a| *a == mine) {
            trace_step!(self.me, Note("fast path: every pre-accept kept the attributes"));
            self.counters.fast += 1;
            return self.commit(id, command, mine);
        }
        // The slow path: a majority's union, accepted at a majority.
        while replies.len() < majority {
            let Some(i) = visit.next() else { break };
            if !sh.replicas[i].answers() {
                continue;
            }
            let got = sh.replicas[i]
                .acceptor
                .pre_accept(id, 0, command, &mine)
                .map_err(|r| self.fenced(id, r.promised))?;
            trace_step!(self.me, Store { loc: Loc::at("pre-accepted", i), value: got.trace() });
            self.counters.pre_accepts += 1;
            replies.push(got);
        }
        if replies.len() < majority {
            return Err(self.no_quorum(replies.len()));
        }
        let mut union = mine;
        for r in &replies {
            union.union(r);
        }
        trace_step!(self.me, Note("slow path: the pre-accepts differ, accept their union"));
        let mut accepted = 0;
        for i in self.order() {
            if accepted == majority {
                break;
            }
            if !sh.replicas[i].answers() {
                continue;
            }
            sh.replicas[i]
                .acceptor
                .accept(id, 0, command, &union)
                .map_err(|r| self.fenced(id, r.promised))?;
            trace_step!(self.me, Store { loc: Loc::at("accepted", i), value: union.trace() });
            self.counters.accepts += 1;
            accepted += 1;
        }
        if accepted < majority {
            return Err(self.no_quorum(accepted));
        }
        self.counters.slow += 1;
        self.commit(id, command, union)
    }

    /// A replica refused the original leader's ballot: only a recovery
    /// promises a higher one, and this build has none.
    fn fenced(&self, id: OpId, promised: u64) -> RsmError {
        RsmError::InvalidConfig(format!(
            "a replica promised ballot {promised} for {id}, which only a recovery does \
             (and this build has no recovery)"
        ))
    }

    fn commit(&mut self, id: OpId, command: Command, attrs: Attrs) -> Result<Attrs, RsmError> {
        self.shared.commits.commit(self.me, id, Committed { command, attrs: attrs.clone() })?;
        self.counters.commands += 1;
        Ok(attrs)
    }

    /// Executes instance `id` at this client's replica, waiting for
    /// uncommitted dependencies.
    fn execute(&mut self, id: OpId) -> Result<S::Ret, RsmError> {
        let sh = Arc::clone(&self.shared);
        loop {
            match self.learner.execute(&sh.spec, &sh.ops, &sh.commits, id)? {
                Ok(Some(ret)) => return Ok(ret),
                Ok(None) => return Err(RsmError::Undecided { cell: id.seq as usize }),
                Err(Blocked(w)) => {
                    trace_step!(self.me, Note("waits for a dependency's commit"));
                    self.counters.waits += 1;
                    sh.commits.wait(w);
                }
            }
        }
    }
}

impl<S: Spec> Client<S> for EpaxosClient<S> {
    fn id(&self) -> usize {
        self.me
    }

    fn submit(&mut self, op: S::Op) -> Result<S::Ret, RsmError> {
        let capacity = self.shared.ops.per_client();
        if self.seq as usize >= capacity {
            return Err(RsmError::Full { capacity });
        }
        self.seq += 1;
        let id = OpId { client: self.me, seq: self.seq };
        let command = Command::Op(self.shared.spec.footprint(&op));
        self.shared.ops.announce(self.me, self.seq, op);
        let attrs = self.lead(id, command)?;
        self.prev_seq = attrs.seq;
        let ret = self.execute(id)?;
        self.stats.ops += 1;
        self.stats.cells_entered += 1;
        self.stats.max_cells_entered = 1;
        self.stats.cells_replayed = self.learner.instances - self.stats.ops;
        Ok(ret)
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
        // Not in models: these would be steps loom explores, for counters.
        #[cfg(not(any(loom, shuttle)))]
        {
            let t = &self.shared.totals;
            let c = self.counters;
            // Relaxed: counters, read after every client is dropped.
            t.commands.fetch_add(c.commands, Ordering::Relaxed);
            t.fast.fetch_add(c.fast, Ordering::Relaxed);
            t.slow.fetch_add(c.slow, Ordering::Relaxed);
            t.pre_accepts.fetch_add(c.pre_accepts, Ordering::Relaxed);
            t.accepts.fetch_add(c.accepts, Ordering::Relaxed);
            t.executed.fetch_add(self.learner.instances, Ordering::Relaxed);
            t.waits.fetch_add(c.waits, Ordering::Relaxed);
        }
    }
}
