//! Execution: a replica executes a committed instance once every instance
//! it depends on, transitively, is committed; it executes the dependency
//! graph's strongly connected components in dependency order (Tarjan's
//! algorithm emits a component after every component it reaches), and the
//! instances of one component by sequence number (ties by instance id).
//!
//! Every replica builds the same graph from the same commits, so every
//! replica executes two conflicting instances in one order: one depends on
//! the other (their quorums met at a replica that saw both), so they are
//! in one component (sequence numbers order them, the same everywhere) or
//! in two that the graph orders. Instances that do not conflict may run in
//! different orders at different replicas; they commute
//! ([`Spec::footprint`]).
//!
//! **Why sequence numbers.** Any order of a component that every replica
//! computes alike gives agreement; the sequence number (then the instance
//! id) is the paper's. The paper needs it for linearizability too: its
//! leaders reply to a write at commit, before execution, so a command that
//! completed before another began can share that one's component, and only
//! the second's higher sequence number (it saw the first) puts it after.
//! Here a client returns after executing its command, and everything its
//! command reached was committed by then, none of it depending on commands
//! not yet begun: two commands ordered by real time never share a
//! component. Executing a component in an order that is not the same
//! everywhere, such as the order a replica's search found it, breaks
//! agreement ([`broken::unsorted_components`](super::broken::unsorted_components)).
//!
//! An edge `deps[q] = d` stands for every instance `(q, j ≤ d)`: instance
//! `(q, d)` depends on `(q, d − 1)` ([`Attrs::own_row`](super::replica::Attrs::own_row)), so the chain
//! reaches them, and an executed `(q, d)` means its whole past is executed.
//!
//! **Progress.** Blocking: a replica waits for an uncommitted dependency
//! (whose leader commits it, or a recovery does).

use super::commits::{Commits, Committed};
use super::replica::Command;
use crate::objects::Spec;
use crate::rsm::multi_paxos::published::Announced;
use crate::rsm::{LogEntry, OpId, RsmError};
use std::collections::HashMap;

/// One replica's executor: its state, what it executed, in order.
pub(crate) struct Learner<S: Spec> {
    /// Execute each component in the order this replica found its
    /// instances, ignoring sequence numbers (broken).
    unsorted: bool,
    state: S::State,
    /// `executed[q][j − 1]`: instance `(q, j)` executed.
    executed: Vec<Vec<bool>>,
    order: Vec<LogEntry<S::Op>>,
    /// Instances executed, no-ops included.
    pub(crate) instances: u64,
}

/// Why an execution stopped short of its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Blocked(pub(crate) OpId);

impl<S: Spec> Learner<S> {
    pub(crate) fn new(spec: &S, rows: usize, unsorted: bool) -> Self {
        Learner {
            unsorted,
            state: spec.init(),
            executed: vec![Vec::new(); rows],
            order: Vec::new(),
            instances: 0,
        }
    }

    fn executed(&self, id: OpId) -> bool {
        let j = id.seq as usize;
        self.executed.get(id.client).is_some_and(|r| r.get(j - 1).copied().unwrap_or(false))
    }

    fn mark(&mut self, id: OpId) {
        let row = &mut self.executed[id.client];
        let j = id.seq as usize;
        if row.len() < j {
            row.resize(j, false);
        }
        row[j - 1] = true;
    }

    /// The operations executed, in order, each named by its operation's id
    /// (no-ops left out).
    pub(crate) fn log(&self) -> &[LogEntry<S::Op>] {
        &self.order
    }

    /// Executes instance `target` and everything it depends on that this
    /// replica has not executed yet. Returns the target's operation's value
    /// (`None`: a no-op, or executed before), or the first uncommitted instance it must wait for
    /// (components completed before it are executed: progress kept).
    ///
    /// # Errors
    /// [`RsmError::BadEntry`]: a dependency or an operation that does not
    /// exist (a protocol that committed nonsense).
    pub(crate) fn execute(
        &mut self,
        spec: &S,
        ops: &Announced<S::Op>,
        commits: &Commits,
        target: OpId,
    ) -> Result<Result<Option<S::Ret>, Blocked>, RsmError> {
        if self.executed(target) {
            return Ok(Ok(None));
        }
        let Some(first) = commits.get(target) else { return Ok(Err(Blocked(target))) };
        struct Node {
            id: OpId,
            c: Committed,
            index: usize,
            low: usize,
            on_stack: bool,
        }
        let rows = self.executed.len();
        let mut nodes = vec![Node { id: target, c: first, index: 0, low: 0, on_stack: true }];
        let mut at: HashMap<OpId, usize> = HashMap::from([(target, 0)]);
        let mut stack = vec![0usize];
        let mut calls: Vec<(usize, usize)> = vec![(0, 0)];
        let mut ret = None;
        while let Some(&(n, q)) = calls.last() {
            if q < rows {
                calls.last_mut().expect("non-empty").1 += 1;
                let d = nodes[n].c.attrs.deps.get(q).copied().unwrap_or(0);
                if d == 0 {
                    continue;
                }
                let w = OpId { client: q, seq: d };
                if !commits.exists(w) {
                    return Err(RsmError::BadEntry { cell: 0, entry: w });
                }
                if self.executed(w) {
                    continue;
                }
                if let Some(&m) = at.get(&w) {
                    if nodes[m].on_stack {
                        nodes[n].low = nodes[n].low.min(nodes[m].index);
                    }
                    continue;
                }
                let Some(c) = commits.get(w) else { return Ok(Err(Blocked(w))) };
                let m = nodes.len();
                nodes.push(Node { id: w, c, index: m, low: m, on_stack: true });
                at.insert(w, m);
                stack.push(m);
                calls.push((m, 0));
                continue;
            }
            calls.pop();
            if let Some(&(p, _)) = calls.last() {
                nodes[p].low = nodes[p].low.min(nodes[n].low);
            }
            if nodes[n].low != nodes[n].index {
                continue;
            }
            // `n` roots a component: everything above it on the stack.
            let from = stack.iter().rposition(|&m| m == n).expect("the root is on the stack");
            let mut component: Vec<usize> = stack.drain(from..).collect();
            for &m in &component {
                nodes[m].on_stack = false;
            }
            if !self.unsorted {
                component.sort_by_key(|&m| (nodes[m].c.attrs.seq, nodes[m].id));
            }
            for m in component {
                let id = nodes[m].id;
                self.mark(id);
                self.instances += 1;
                let Command::Op { seq, .. } = nodes[m].c.command else { continue };
                let op_id = OpId { client: id.client, seq };
                let op = ops.op(op_id).ok_or(RsmError::BadEntry { cell: 0, entry: op_id })?;
                let (next, r) = spec.apply(&self.state, &op);
                self.state = next;
                if id == target {
                    ret = Some(r);
                }
                self.order.push(LogEntry { cell: self.order.len(), id: op_id, op });
            }
        }
        Ok(Ok(ret))
    }
}
