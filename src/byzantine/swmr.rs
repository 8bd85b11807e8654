//! Byzantine agreement with n = 2f+1 over single-writer logs (no equivocation).
//!
//! Every replica appends to its own log, which every replica reads alike
//! (see [`board`](super::board)): a record once written stays, at its place,
//! for every reader. That is non-equivocation, and it buys what PBFT's second
//! phase and its 3f+1 pay for (Clement et al., PODC 2012; Aguilera et al.,
//! "The Impact of RDMA on Agreement", PODC 2019, where RDMA's memory
//! permissions give single-writer registers).
//!
//! **The protocol** (q = n − f = f+1; `leader(v) = v mod n`):
//!
//! * *Proposal of view v*: the first `PrePrepare`/`NewView` record for v in
//!   the leader's log, if it is valid: in view 0 a client request; in view
//!   v > 0 a `NewView(v, x, S)` naming q distinct replicas S whose logs each
//!   hold a `ViewChange` to a view ≥ v, with x the value of the highest-view
//!   *valid vote* (of a view < v) in their logs before that view change, or
//!   any request if there is none. Every reader computes the same answer from
//!   the same logs.
//! * *Vote*: `Prepare(v, x)` in w's log is valid iff it is w's first vote in
//!   v, no `ViewChange` to a view > v precedes it in w's log, and x is the
//!   proposal of view v.
//! * A replica in view v votes for the proposal of v once it sees it.
//! * **Decide** x when q valid votes for (v, x) exist, in any view v.
//! * On timeout (`patience` polls without news) a replica appends
//!   `ViewChange(v+1)` and moves on; the leader of v+1, once q logs hold a
//!   view change to ≥ v+1, appends `NewView(v+1, x, S)`. A replica that sees
//!   a valid proposal for a later view joins it.
//!
//! **Why f+1 is enough.** Within a view, every valid vote is for the one
//! proposal (the leader cannot show two). If x is decided in v by the votes
//! of C (|C| = f+1), any S of size f+1 meets C (2f+2 > 2f+1): some s ∈ S has
//! a valid vote for (v, x) before its view change (a vote after a later view
//! change is not valid, so even a Byzantine s cannot add it late), and by
//! induction every valid vote of a view in [v, w) is for x: the leader of w
//! must propose x. The member of C ∩ S may be Byzantine: it cannot hide its
//! vote, since the vote is in its log for everyone to read.
//!
//! **Linearization point**: the q-th valid vote for (v, x) written.
//! **Progress**: blocking; decides in one view with a timely honest leader.

use super::record::{Proof, Record, Signed};
use super::replica::{Outcome, Replica, Stop};
use super::Config;

/// Every log as this replica has read it.
#[derive(Debug)]
struct Logs {
    logs: Vec<Vec<Record>>,
}

impl Logs {
    /// The index of `w`'s first view change to a view ≥ `v`.
    fn left(&self, w: usize, v: u64) -> Option<usize> {
        self.logs[w].iter().position(|r| matches!(r, Record::ViewChange { view, .. } if *view >= v))
    }

    /// The proposal of view `v`, if its leader's first proposal for v is valid
    /// (as far as the logs read so far show).
    fn proposal(&self, cfg: &Config, v: u64) -> Option<u64> {
        let leader = cfg.primary(v);
        let first = self.logs[leader].iter().find(|r| {
            matches!(r, Record::PrePrepare { view, .. } | Record::NewView { view, .. } if *view == v)
        })?;
        match first {
            Record::PrePrepare { view: 0, value } if cfg.is_request(*value) => Some(*value),
            Record::NewView { view, value, proof: Proof::Quorum(s) } if *view > 0 => {
                let mut seen = Vec::new();
                for &w in s {
                    if w >= cfg.replicas || seen.contains(&w) {
                        return None;
                    }
                    seen.push(w);
                }
                if seen.len() < cfg.quorum() {
                    return None;
                }
                match self.justify(cfg, s, v) {
                    Some(Some(x)) => (x == *value).then_some(x),
                    Some(None) => cfg.is_request(*value).then_some(*value),
                    None => None,
                }
            }
            _ => None,
        }
    }

    /// The value the logs of `s` force on view `v`: `Some(Some(x))` the
    /// highest valid vote's, `Some(None)` free, `None` not every log of `s`
    /// holds its view change yet.
    fn justify(&self, cfg: &Config, s: &[usize], v: u64) -> Option<Option<u64>> {
        let mut best: Option<(u64, u64)> = None;
        for &w in s {
            let end = self.left(w, v)?;
            for i in 0..end {
                if let Some((u, x)) = self.valid_vote(cfg, w, i).filter(|&(u, _)| u < v) {
                    if best.is_none_or(|(bu, _)| u > bu) {
                        best = Some((u, x));
                    }
                }
            }
        }
        Some(best.map(|(_, x)| x))
    }

    /// Record `i` of `w`'s log as a valid vote `(view, value)`.
    fn valid_vote(&self, cfg: &Config, w: usize, i: usize) -> Option<(u64, u64)> {
        let log = &self.logs[w];
        let Record::Prepare { view, value } = log[i] else { return None };
        let earlier = &log[..i];
        let again =
            earlier.iter().any(|r| matches!(r, Record::Prepare { view: u, .. } if *u == view));
        let gone =
            earlier.iter().any(|r| matches!(r, Record::ViewChange { view: u, .. } if *u > view));
        (!again && !gone && self.proposal(cfg, view) == Some(value)).then_some((view, value))
    }

    /// A decision: q valid votes for one (view, value).
    fn decision(&self, cfg: &Config) -> Option<(u64, u64)> {
        let mut votes: Vec<((u64, u64), usize)> = Vec::new();
        for w in 0..self.logs.len() {
            for i in 0..self.logs[w].len() {
                if let Some(vote) = self.valid_vote(cfg, w, i) {
                    match votes.iter_mut().find(|(v, _)| *v == vote) {
                        Some((_, k)) => *k += 1,
                        None => votes.push((vote, 1)),
                    }
                }
            }
        }
        votes.into_iter().find(|&(_, k)| k >= cfg.quorum()).map(|(v, _)| v)
    }

    /// The latest view above `view` with a valid proposal.
    fn later(&self, cfg: &Config, view: u64) -> Option<u64> {
        (view + 1..=cfg.max_views).rev().find(|&v| self.proposal(cfg, v).is_some())
    }
}

/// Runs honest replica `r` to a decision (or until it gives up).
///
/// # Errors
/// [`Stop`]: its write budget ran out (a planned crash).
pub fn run(r: &mut Replica<'_>) -> Result<Outcome, Stop> {
    let (cfg, me, q) = (*r.cfg, r.me(), r.cfg.quorum());
    let mut logs = Logs { logs: vec![Vec::new(); cfg.replicas] };
    let (mut view, mut voted, mut proposed) = (0, false, false);
    if me == cfg.primary(0) {
        let pp = r.inbox.sign(Record::PrePrepare { view: 0, value: cfg.input(me) });
        r.broadcast(&pp)?;
    }
    let (mut new, mut idle): (Vec<(usize, Signed)>, usize) = (Vec::new(), 0);
    loop {
        r.inbox.poll(r.board, &mut new);
        let news = !new.is_empty();
        for (from, s) in new.drain(..) {
            logs.logs[from].push(s.record);
        }
        if let Some((v, value)) = logs.decision(&cfg) {
            crate::trace_step!(me, Decided { value });
            return Ok(Outcome::Decided { value, view: v });
        }
        let mut acted = false;
        if let Some(v) = logs.later(&cfg, view) {
            crate::trace_step!(me, EnterView { view: v });
            (view, voted, proposed) = (v, false, false);
        }
        // f+1 logs left for a later view: an honest replica did; follow.
        let ahead = (view + 1..=cfg.max_views)
            .rev()
            .find(|&v| (0..cfg.replicas).filter(|&w| logs.left(w, v).is_some()).count() > cfg.f);
        if let Some(v) = ahead {
            crate::trace_step!(me, EnterView { view: v });
            (view, voted, proposed) = (v, false, false);
            let vc = r.inbox.sign(Record::ViewChange { view, prepared: None });
            r.broadcast(&vc)?;
            acted = true;
        }
        if !voted {
            if let Some(x) = logs.proposal(&cfg, view) {
                let vote = r.inbox.sign(Record::Prepare { view, value: x });
                r.broadcast(&vote)?;
                (voted, acted) = (true, true);
            }
        }
        if me == cfg.primary(view) && view > 0 && !proposed {
            let ready: Vec<usize> =
                (0..cfg.replicas).filter(|&w| logs.left(w, view).is_some()).take(q).collect();
            if ready.len() == q {
                if let Some(forced) = logs.justify(&cfg, &ready, view) {
                    let value = forced.unwrap_or(cfg.input(me));
                    let nv = Record::NewView { view, value, proof: Proof::Quorum(ready) };
                    let nv = r.inbox.sign(nv);
                    r.broadcast(&nv)?;
                    (proposed, acted) = (true, true);
                }
            }
        }
        if acted || news {
            idle = 0;
        } else {
            idle += 1;
            if idle > cfg.patience_in(view) {
                idle = 0;
                if view + 1 > cfg.max_views {
                    return Ok(Outcome::Undecided { view });
                }
                view += 1;
                (voted, proposed) = (false, false);
                crate::trace_step!(me, EnterView { view });
                let vc = r.inbox.sign(Record::ViewChange { view, prepared: None });
                r.broadcast(&vc)?;
            }
        }
        r.pause();
    }
}
