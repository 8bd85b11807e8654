//! A client of the universal construction: its replica and `submit`, the
//! algorithm of the module docs step by step.

use super::rules::View;
use super::{pack, unpack, Rules, Shared};
use crate::objects::Spec;
use crate::rsm::{Client, ClientStats, OpId, RsmError};
use crate::sync::{fence, Ordering};
use crate::trace::Val;
use crate::trace_step;
use std::marker::PhantomData;
use std::sync::Arc;

/// One client's handle on a [`Universal`](super::Universal): its id, its
/// replica (the spec's state after the cells it replayed) and its counters.
pub struct UniversalClient<S: Spec, C, R> {
    shared: Arc<Shared<S, C>>,
    me: usize,
    replica: Replica<S>,
    _rules: PhantomData<fn() -> R>,
}

/// A client's own state: its replica and counters. Apart from the `Arc`, so
/// `submit` borrows the shared part and this one side by side (no clone of
/// the `Arc`, whose count is one line every client shares, per operation).
struct Replica<S: Spec> {
    /// Operations announced so far (the last one's sequence number).
    seq: u64,
    /// Cells replayed into `state`.
    cursor: usize,
    /// The last value stored to `head[me]`.
    published: Option<usize>,
    state: S::State,
    /// `applied[t]`: the last sequence number of client `t` applied.
    applied: Vec<u64>,
    stats: ClientStats,
    /// The entries of the cells replayed, packed, cell by cell (8 bytes a
    /// cell: what [`Client::log`] reads back).
    replayed: Vec<u64>,
}

impl<S: Spec, C, R> std::fmt::Debug for UniversalClient<S, C, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UniversalClient")
            .field("me", &self.me)
            .field("seq", &self.replica.seq)
            .field("cursor", &self.replica.cursor)
            .field("stats", &self.replica.stats)
            .finish_non_exhaustive()
    }
}

/// What replaying one cell did.
enum Replayed<Ret> {
    /// The cell's entry was applied before (a duplicate) and skipped.
    Skipped,
    /// Another client's operation, applied.
    Theirs,
    /// This client's pending operation, applied: its return value.
    Mine(Ret),
}

impl<S: Spec> Replica<S> {
    /// Applies the entry `e` of cell `cell` to the replica.
    fn replay<C, R: Rules>(
        &mut self,
        sh: &Shared<S, C>,
        me: usize,
        cell: usize,
        e: OpId,
    ) -> Result<Replayed<S::Ret>, RsmError> {
        self.replayed.push(pack(e));
        let last = self.applied.get(e.client).copied();
        let Some(last) = last else {
            return Err(RsmError::BadEntry { cell, entry: e });
        };
        if R::SKIP_DUPLICATES && e.seq <= last {
            return Ok(Replayed::Skipped);
        }
        let Some(op) = sh.op(e) else {
            return Err(RsmError::BadEntry { cell, entry: e });
        };
        let (next, ret) = sh.spec.apply(&self.state, &op);
        self.state = next;
        self.applied[e.client] = last.max(e.seq);
        if e.client == me && e.seq == self.seq {
            Ok(Replayed::Mine(ret))
        } else {
            Ok(Replayed::Theirs)
        }
    }

    /// Publishes how far this client's replica reaches (`head[me]`), unless
    /// that is what the last store published (the wait-freedom argument needs
    /// a head store of at least `k` before the F2 of cell `k`: an earlier
    /// store of the same value is one).
    fn publish_head<C>(&mut self, sh: &Shared<S, C>, me: usize) {
        if self.published == Some(self.cursor) {
            return;
        }
        self.published = Some(self.cursor);
        // Release: pairs with the Acquire head loads of other clients' scans,
        // publishing the `decided` entries of every cell below the cursor.
        sh.heads[me].store(self.cursor, Ordering::Release);
        trace_step!(me, Store { loc: Loc::at("head", me), value: Val::Num(self.cursor as u64) });
    }
}

impl<S: Spec, C: crate::consensus::IdConsensus, R: Rules> UniversalClient<S, C, R> {
    pub(super) fn new(shared: Arc<Shared<S, C>>, me: usize) -> Self {
        let state = shared.spec.init();
        let applied = vec![0; shared.threads()];
        let replica = Replica {
            seq: 0,
            cursor: 0,
            // The initial 0 needs no store: the argument only concerns cells
            // above some client's head, so heads of at least 1.
            published: Some(0),
            state,
            applied,
            stats: ClientStats::default(),
            replayed: Vec::new(),
        };
        UniversalClient { shared, me, replica, _rules: PhantomData }
    }

    fn submit_inner(&mut self, op: S::Op) -> Result<S::Ret, RsmError> {
        let sh = &*self.shared;
        let r = &mut self.replica;
        let capacity = sh.cells.len();
        let n = sh.threads();
        let me = self.me;
        if r.cursor >= capacity || r.seq >= capacity as u64 {
            return Err(RsmError::Full { capacity });
        }
        let seq = r.seq + 1;
        let early = R::EARLY_RETURN.then(|| sh.spec.apply(&r.state, &op).1);
        // SAFETY: only this client (the one handle for `me`, used through
        // `&mut self`) writes row `me`, and cell `seq − 1` is fresh: no thread
        // reads it before acquiring `announce[me] = seq`, stored just below.
        sh.ops[me][seq as usize - 1].with_mut(|p| unsafe { *p = Some(op) });
        // Release: pairs with a helper's Acquire load of `announce[me]`,
        // publishing the operation written just above.
        sh.announce[me].store(seq, Ordering::Release);
        trace_step!(me, Store { loc: Loc::at("request", me), value: Val::Num(seq) });
        r.seq = seq;
        if R::HELPS {
            // F1, paired with every helper's F2 (module docs): a helper whose
            // F2 follows this fence in the SeqCst order sees the announce.
            fence(Ordering::SeqCst);
            trace_step!(me, Fence);
        }

        // Catch up to the largest head: those cells are decided.
        let mut m = 0;
        for t in 0..n {
            // Acquire: pairs with the Release head store of client `t`.
            let h = sh.heads[t].load(Ordering::Acquire);
            trace_step!(me, Load { loc: Loc::at("head", t), value: Val::Num(h as u64) });
            m = m.max(h);
        }
        let mut found = None;
        while r.cursor < m.min(capacity) {
            let k = r.cursor;
            // Acquire: pairs with the Release CAS that recorded cell k (made
            // visible by the head we read).
            let e = sh.cells[k].decided.load(Ordering::Acquire);
            trace_step!(me, Load { loc: Loc::at("log", k), value: entry_val(e) });
            if e == 0 {
                // A head promised this cell decided: the construction's own
                // invariant is broken, not the caller's input.
                return Err(RsmError::Undecided { cell: k });
            }
            r.cursor += 1;
            r.stats.cells_replayed += 1;
            if let Replayed::Mine(ret) = r.replay::<C, R>(sh, me, k, unpack(e))? {
                found = Some(ret);
                r.stats.helped += 1;
                break;
            }
        }

        let mut entered = 0;
        let ret = loop {
            if let Some(ret) = found.take() {
                break ret;
            }
            let k = r.cursor;
            if k >= capacity {
                r.publish_head(sh, me);
                return Err(RsmError::Full { capacity });
            }
            r.publish_head(sh, me);
            if R::HELPS {
                // F2, paired with the F1 of every client whose announcement
                // the rule reads below (module docs).
                fence(Ordering::SeqCst);
                trace_step!(me, Fence);
            }
            let announced = |t: usize| {
                // Acquire: pairs with client t's Release announce store,
                // publishing its operation `ops[t][seq]`.
                let s = sh.announce[t].load(Ordering::Acquire);
                trace_step!(me, Load { loc: Loc::at("request", t), value: Val::Num(s) });
                s
            };
            let view = View {
                cell: k,
                threads: n,
                mine: OpId { client: me, seq },
                applied: &r.applied,
                announced: &announced,
            };
            let proposal = R::propose(&view);
            let cell = &sh.cells[k];
            crate::trace::scope(me, Some(k));
            let decided = crate::consensus::Consensus::decide(&cell.consensus, me, pack(proposal));
            crate::trace::scope(me, None);
            let e = *decided.map_err(|source| RsmError::Slot { cell: k, source })?;
            // Release on success: pairs with the Acquire loads of catch-up and
            // `log`, publishing the operation the entry names. Acquire on
            // failure: pairs with the first recorder's Release.
            match cell.decided.compare_exchange(0, e, Ordering::Release, Ordering::Acquire) {
                Ok(_) => {
                    trace_step!(
                        me,
                        Cas {
                            loc: Loc::at("log", k),
                            expected: Val::Bot,
                            new: entry_val(e),
                            found: Val::Bot
                        }
                    );
                }
                Err(first) if first == e => {}
                Err(first) => {
                    return Err(RsmError::Disagreement {
                        cell: k,
                        first: unpack(first),
                        second: unpack(e),
                    })
                }
            }
            entered += 1;
            r.cursor += 1;
            r.stats.cells_entered += 1;
            if let Replayed::Mine(ret) = r.replay::<C, R>(sh, me, k, unpack(e))? {
                break ret;
            }
        };
        r.publish_head(sh, me);
        r.stats.ops += 1;
        r.stats.max_cells_entered = r.stats.max_cells_entered.max(entered);
        Ok(early.unwrap_or(ret))
    }
}

/// A packed entry as the trace shows it: the client's id (⊥ for none).
fn entry_val(e: u64) -> Val {
    if e == 0 {
        Val::Bot
    } else {
        let id = unpack(e);
        Val::Op { client: id.client, seq: id.seq }
    }
}

impl<S: Spec, C: crate::consensus::IdConsensus, R: Rules> Client<S> for UniversalClient<S, C, R> {
    fn id(&self) -> usize {
        self.me
    }

    fn submit(&mut self, op: S::Op) -> Result<S::Ret, RsmError> {
        self.submit_inner(op)
    }

    fn stats(&self) -> ClientStats {
        self.replica.stats
    }

    fn log(&self) -> Vec<crate::rsm::LogEntry<S::Op>> {
        self.replica
            .replayed
            .iter()
            .enumerate()
            .map_while(|(cell, &e)| {
                let id = unpack(e);
                // Replayed, so its operation is visible to this client.
                self.shared.op(id).map(|op| crate::rsm::LogEntry { cell, id, op })
            })
            .collect()
    }
}
