//! PBFT, one slot, n = 3f+1 replicas over per-reader mailboxes.
//!
//! **Algorithm** (Castro–Liskov, one sequence number; q = n − f = 2f+1):
//!
//! 1. The primary of view 0 (replica 0) sends `PrePrepare(0, x)`, x its
//!    client request. In view v > 0 the primary `v mod n` sends
//!    `NewView(v, x, proof)` instead (step 5).
//! 2. A replica in view v accepts the primary's first proposal for v (a
//!    client request; a new view whose proof checks) and sends `Prepare(v, x)`
//!    to all.
//! 3. With q matching `Prepare(v, x)` from distinct replicas it is
//!    *prepared*: it keeps those signed prepares as its prepared certificate
//!    and sends `Commit(v, x)` to all.
//! 4. With q matching `Commit(v, x)` from distinct replicas (of any view) it
//!    decides x, and sends `Decided` with those q signed commits, which lets
//!    any replica that checks them decide x too.
//! 5. **View change.** A replica that sees nothing new for `patience` polls
//!    (its timeout: a silent primary, or one whose equivocation left too few
//!    matching records) moves to view v+1 and sends `ViewChange(v+1, cert)`,
//!    cert its highest prepared certificate. The primary of v+1, with q view
//!    changes for v+1 whose certificates check, sends `NewView(v+1, x, those
//!    view changes)`, x the value of the highest-view certificate among them,
//!    or its own request if there is none. A backup accepts a new view only if
//!    it checks every record in the proof itself and computes the same x. A
//!    replica that sees a valid new view for a later view joins it.
//!
//! **Why it is safe.** Quorums of 2f+1 among 3f+1 intersect in f+1, so in at
//! least one honest replica, which prepares once per view: two values cannot
//! both be prepared in one view. If x is decided in view v, q commits include
//! f+1 honest replicas prepared at v, and any q view changes include one of
//! them, whose certificate (view ≥ v) forces the new primary to re-propose x;
//! by induction every later view proposes only x.
//!
//! **Linearization point**: the decision is fixed when the q-th matching
//! commit is written. **Progress**: blocking (consensus cannot be
//! wait-free from registers); with a timely primary it decides in one view,
//! and every replica gives up after `max_views` views.

use super::inbox::{commit_of, prepare_of};
use super::record::{Cert, Proof, Record, Signed};
use super::replica::{Outcome, Replica, Stop};

/// What a PBFT replica knows.
#[derive(Debug, Default)]
struct State {
    view: u64,
    /// Checked records, at most one per (writer, kind, view).
    got: Vec<(usize, Signed)>,
    accepted: Option<u64>,
    committed: bool,
    proposed: bool,
    prepared: Option<Cert>,
    decided: Option<Cert>,
}

fn same(a: &Record, b: &Record) -> bool {
    a.kind() == b.kind() && a.view() == b.view()
}

/// The value of the highest-view prepared certificate among `vcs` (the first
/// of the highest, in order), if any carries one.
pub fn choose(vcs: &[Signed]) -> Option<u64> {
    let mut best: Option<&Cert> = None;
    for s in vcs {
        if let Record::ViewChange { prepared: Some(c), .. } = &s.record {
            if best.is_none_or(|b| c.view > b.view) {
                best = Some(c);
            }
        }
    }
    best.map(|c| c.value)
}

impl State {
    /// Matching records of `kind` for `(view, value)`, from distinct writers.
    fn matching(
        &self,
        of: fn(&Record) -> Option<(u64, u64)>,
        view: u64,
        value: u64,
    ) -> Vec<Signed> {
        let hits = self.got.iter().filter(|(_, s)| of(&s.record) == Some((view, value)));
        hits.map(|(_, s)| s.clone()).collect()
    }

    fn view_changes(&self, view: u64) -> Vec<Signed> {
        let vcs = self
            .got
            .iter()
            .filter(|(_, s)| matches!(s.record, Record::ViewChange { view: v, .. } if v == view));
        vcs.map(|(_, s)| s.clone()).collect()
    }

    /// Checks `s` from `from` and keeps it; whether it was news.
    fn keep(&mut self, r: &mut Replica<'_>, from: usize, s: Signed) -> bool {
        if self.got.iter().any(|(w, t)| *w == from && same(&t.record, &s.record)) {
            return false;
        }
        let (cfg, q) = (*r.cfg, r.cfg.quorum());
        let ok = match &s.record {
            Record::PrePrepare { view, value } => {
                if from != cfg.primary(*view) || *view != 0 {
                    Err("a pre-prepare not from the primary of view 0")
                } else if !cfg.is_request(*value) {
                    Err("proposes a value no client requested")
                } else {
                    Ok(())
                }
            }
            Record::NewView { view, value, proof } => check_new_view(r, from, *view, *value, proof),
            Record::ViewChange { view, prepared: Some(c) } => {
                if c.view < *view && r.inbox.check_cert(from, c, q, prepare_of) {
                    Ok(())
                } else {
                    Err("its prepared certificate does not hold")
                }
            }
            Record::Decided { cert } => {
                if r.inbox.check_cert(from, cert, q, commit_of) {
                    self.decided.get_or_insert_with(|| cert.clone());
                    Ok(())
                } else {
                    Err("its commit certificate does not hold")
                }
            }
            _ => Ok(()),
        };
        match ok {
            Ok(()) => {
                self.got.push((from, s));
                true
            }
            Err(why) => {
                r.inbox.reject(from, &s.record, why);
                false
            }
        }
    }

    /// A commit certificate: one relayed, or q matching commits seen.
    fn decision(&self, q: usize) -> Option<Cert> {
        if let Some(c) = &self.decided {
            return Some(c.clone());
        }
        self.got.iter().find_map(|(_, s)| {
            let (view, value) = commit_of(&s.record)?;
            let records = self.matching(commit_of, view, value);
            (records.len() >= q).then_some(Cert { view, value, records })
        })
    }

    fn enter(&mut self, me: usize, view: u64) {
        crate::trace_step!(me, EnterView { view });
        self.view = view;
        self.accepted = None;
        self.committed = false;
        self.proposed = false;
    }

    /// One round of the protocol on what is known; whether it did anything.
    fn act(&mut self, r: &mut Replica<'_>) -> Result<bool, Stop> {
        let (cfg, q, me) = (*r.cfg, r.cfg.quorum(), r.me());
        // A valid new view for a later view: join it.
        let later = self.got.iter().find_map(|(_, s)| match s.record {
            Record::NewView { view, .. } if view > self.view => Some(view),
            _ => None,
        });
        if let Some(view) = later {
            self.enter(me, view);
        }
        let mut acted = false;
        // f+1 view changes for a later view: at least one honest replica left
        // for it; follow (PBFT's rule, so a slow timeout does not hold the view).
        let mut ahead: Vec<u64> = self
            .got
            .iter()
            .filter_map(|(_, s)| match s.record {
                Record::ViewChange { view, .. } if view > self.view => Some(view),
                _ => None,
            })
            .collect();
        ahead.sort_unstable();
        if let Some(&view) = ahead.iter().find(|&&v| self.view_changes(v).len() > cfg.f) {
            self.enter(me, view);
            let vc = Record::ViewChange { view, prepared: self.prepared.clone() };
            let vc = r.inbox.sign(vc);
            r.broadcast(&vc)?;
            acted = true;
        }
        if self.accepted.is_none() {
            let proposal = self.got.iter().find_map(|(w, s)| match s.record {
                Record::PrePrepare { view, value } | Record::NewView { view, value, .. }
                    if view == self.view && *w == cfg.primary(view) =>
                {
                    Some(value)
                }
                _ => None,
            });
            if let Some(x) = proposal {
                self.accepted = Some(x);
                let prepare = r.inbox.sign(Record::Prepare { view: self.view, value: x });
                r.broadcast(&prepare)?;
                acted = true;
            }
        }
        if let (Some(x), false) = (self.accepted, self.committed) {
            let records = self.matching(prepare_of, self.view, x);
            if records.len() >= q {
                self.prepared = Some(Cert { view: self.view, value: x, records });
                self.committed = true;
                let commit = r.inbox.sign(Record::Commit { view: self.view, value: x });
                r.broadcast(&commit)?;
                acted = true;
            }
        }
        if me == cfg.primary(self.view) && self.view > 0 && !self.proposed {
            let vcs = self.view_changes(self.view);
            if vcs.len() >= q {
                let vcs = vcs[..q].to_vec();
                let value = choose(&vcs).unwrap_or(cfg.input(me));
                let nv = Record::NewView { view: self.view, value, proof: Proof::ViewChanges(vcs) };
                let nv = r.inbox.sign(nv);
                r.broadcast(&nv)?;
                self.proposed = true;
                acted = true;
            }
        }
        Ok(acted)
    }
}

/// Whether a new view checks at this replica: from the view's primary, q
/// view changes for the view from distinct replicas, each MAC and each
/// certificate checking, and the value the one [`choose`] gives (any client
/// request if no view change carries a certificate).
fn check_new_view(
    r: &mut Replica<'_>,
    from: usize,
    view: u64,
    value: u64,
    proof: &Proof,
) -> Result<(), &'static str> {
    let (cfg, q) = (*r.cfg, r.cfg.quorum());
    let Proof::ViewChanges(vcs) = proof else { return Err("a new view without view changes") };
    if view == 0 || from != cfg.primary(view) {
        return Err("a new view not from the primary of its view");
    }
    let mut signers = Vec::new();
    for s in vcs {
        let Record::ViewChange { view: v, prepared } = &s.record else {
            return Err("a new view's proof holds something else than view changes");
        };
        if *v != view || signers.contains(&s.signer) || !r.inbox.check(s) {
            return Err("a new view's view change does not check");
        }
        if let Some(c) = prepared {
            if c.view >= view || !r.inbox.check_cert(from, c, q, prepare_of) {
                return Err("a new view's prepared certificate does not hold");
            }
        }
        signers.push(s.signer);
    }
    if signers.len() < q {
        return Err("a new view with too few view changes");
    }
    match choose(vcs) {
        Some(x) if x != value => Err("a new view that drops a prepared value"),
        None if !cfg.is_request(value) => Err("proposes a value no client requested"),
        _ => Ok(()),
    }
}

/// Runs honest replica `r` to a decision (or until it gives up).
///
/// # Errors
/// [`Stop`]: its write budget ran out (a planned crash).
pub fn run(r: &mut Replica<'_>) -> Result<Outcome, Stop> {
    let (cfg, me) = (*r.cfg, r.me());
    let mut st = State::default();
    if me == cfg.primary(0) {
        let pp = r.inbox.sign(Record::PrePrepare { view: 0, value: cfg.input(me) });
        r.broadcast(&pp)?;
    }
    let (mut new, mut idle) = (Vec::new(), 0);
    loop {
        r.inbox.poll(r.board, &mut new);
        let mut news = false;
        for (from, s) in new.drain(..) {
            news |= st.keep(r, from, s);
        }
        if let Some(cert) = st.decision(cfg.quorum()) {
            crate::trace_step!(me, Decided { value: cert.value });
            let (value, view) = (cert.value, cert.view);
            let decided = r.inbox.sign(Record::Decided { cert });
            r.broadcast(&decided)?;
            return Ok(Outcome::Decided { value, view });
        }
        if st.act(r)? || news {
            idle = 0;
        } else {
            idle += 1;
            if idle > cfg.patience_in(st.view) {
                idle = 0;
                if st.view + 1 > cfg.max_views {
                    return Ok(Outcome::Undecided { view: st.view });
                }
                st.enter(me, st.view + 1);
                let vc = Record::ViewChange { view: st.view, prepared: st.prepared.clone() };
                let vc = r.inbox.sign(vc);
                r.broadcast(&vc)?;
            }
        }
        r.pause();
    }
}
