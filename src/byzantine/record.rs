//! The records replicas publish, and the certificates made of them.
//!
//! One slot, so a record names a view and a value and nothing else:
//!
//! | record | PBFT (n = 3f+1) | single-writer protocol (n = 2f+1) |
//! |---|---|---|
//! | `PrePrepare(v, x)` | the primary of view 0 proposes `x` | the leader of view 0 proposes `x` |
//! | `Prepare(v, x)` | "I accepted `x` in view `v`" | "I accept `x` in view `v`" (the vote) |
//! | `Commit(v, x)` | "I hold 2f+1 prepares of `x` in `v`" | (not used) |
//! | `ViewChange(v, cert)` | "I leave for view `v`", with my highest prepared certificate | "I leave for view `v`" (my log before it is the proof) |
//! | `NewView(v, x, proof)` | the primary of `v` re-proposes `x`, with 2f+1 view changes | the leader of `v` proposes `x`, naming the f+1 logs that justify it |
//! | `Decided(x, commits)` | 2f+1 signed commits: anyone who checks them may decide `x` | f+1 votes, the same |
//!
//! Every record travels [`Signed`]: its signer's id, the record, and an
//! authenticator (one MAC per reader, see [`sign`](super::sign)). A
//! certificate carries the signed records themselves, so it can be relayed
//! and checked again by a third replica: that is what makes a view change's
//! proof a proof. [`Record::encode`] is the byte string the MACs cover: it
//! covers nested records with their own authenticators too, so a relay cannot
//! swap a certificate's contents without breaking the relayer's MAC.

use std::fmt;

/// A MAC, HMAC-SHA256 truncated to 128 bits (RFC 2104 allows half the output).
pub type Tag = [u8; 16];

/// One MAC per reader: `tags[j]` is for replica `j` (PBFT's authenticator).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Auth(pub Vec<Tag>);

/// A record and who signed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// The replica that claims to have written it.
    pub signer: usize,
    /// What it says.
    pub record: Record,
    /// The signer's MACs, one per reader.
    pub auth: Auth,
}

/// What the 2f+1 (or f+1) matching records of a certificate agree on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cert {
    /// The view of the records.
    pub view: u64,
    /// Their value.
    pub value: u64,
    /// The signed records themselves (prepares, or commits).
    pub records: Vec<Signed>,
}

/// Why a new view's value is the right one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proof {
    /// PBFT: 2f+1 signed view changes for the view.
    ViewChanges(Vec<Signed>),
    /// Single-writer registers: the f+1 replicas whose logs (up to their view
    /// change) justify the value; every reader reads the same logs.
    Quorum(Vec<usize>),
}

/// A record of the single-slot protocols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// The primary's proposal in view 0.
    PrePrepare {
        /// The view (0).
        view: u64,
        /// The proposed value.
        value: u64,
    },
    /// A replica accepted the view's proposal.
    Prepare {
        /// The view.
        view: u64,
        /// The accepted value.
        value: u64,
    },
    /// A replica holds a prepared certificate for the value.
    Commit {
        /// The view.
        view: u64,
        /// The value.
        value: u64,
    },
    /// A replica leaves for `view`.
    ViewChange {
        /// The view it moves to.
        view: u64,
        /// Its highest prepared certificate, if any (PBFT).
        prepared: Option<Cert>,
    },
    /// The new primary's proposal in `view` > 0.
    NewView {
        /// The view.
        view: u64,
        /// The proposed value.
        value: u64,
        /// Why this value.
        proof: Proof,
    },
    /// A decision, with the certificate that lets any replica decide it too.
    Decided {
        /// The certificate of commits (PBFT) or votes (single-writer).
        cert: Cert,
    },
}

impl Record {
    /// The record's kind, as the trace prints it.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::PrePrepare { .. } => "pre-prepare",
            Record::Prepare { .. } => "prepare",
            Record::Commit { .. } => "commit",
            Record::ViewChange { .. } => "view-change",
            Record::NewView { .. } => "new-view",
            Record::Decided { .. } => "decided",
        }
    }

    /// The record's view (a decision's: its certificate's).
    pub fn view(&self) -> u64 {
        match self {
            Record::PrePrepare { view, .. }
            | Record::Prepare { view, .. }
            | Record::Commit { view, .. }
            | Record::ViewChange { view, .. }
            | Record::NewView { view, .. } => *view,
            Record::Decided { cert } => cert.view,
        }
    }

    /// The value it names, if it names one.
    pub fn value(&self) -> Option<u64> {
        match self {
            Record::PrePrepare { value, .. }
            | Record::Prepare { value, .. }
            | Record::Commit { value, .. }
            | Record::NewView { value, .. } => Some(*value),
            Record::ViewChange { prepared, .. } => prepared.as_ref().map(|c| c.value),
            Record::Decided { cert } => Some(cert.value),
        }
    }

    /// The bytes a MAC covers, appended to `out` (the signer's id first).
    pub fn encode(&self, signer: usize, out: &mut Vec<u8>) {
        let word = |out: &mut Vec<u8>, w: u64| out.extend_from_slice(&w.to_le_bytes());
        word(out, signer as u64);
        let (tag, view) = match self {
            Record::PrePrepare { view, .. } => (1, *view),
            Record::Prepare { view, .. } => (2, *view),
            Record::Commit { view, .. } => (3, *view),
            Record::ViewChange { view, .. } => (4, *view),
            Record::NewView { view, .. } => (5, *view),
            Record::Decided { cert } => (6, cert.view),
        };
        out.push(tag);
        word(out, view);
        word(out, self.value().unwrap_or(u64::MAX));
        let cert = |out: &mut Vec<u8>, c: &Cert| {
            word(out, c.view);
            word(out, c.value);
            word(out, c.records.len() as u64);
            for s in &c.records {
                s.encode(out);
            }
        };
        match self {
            Record::ViewChange { prepared: Some(c), .. } | Record::Decided { cert: c } => {
                cert(out, c);
            }
            Record::NewView { proof: Proof::ViewChanges(vcs), .. } => {
                word(out, vcs.len() as u64);
                vcs.iter().for_each(|s| s.encode(out));
            }
            Record::NewView { proof: Proof::Quorum(q), .. } => {
                word(out, q.len() as u64);
                q.iter().for_each(|&i| word(out, i as u64));
            }
            _ => {}
        }
    }
}

impl Signed {
    /// The signed record's bytes, its authenticator included (for nesting).
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.record.encode(self.signer, out);
        for tag in &self.auth.0 {
            out.extend_from_slice(tag);
        }
    }
}

impl Signed {
    /// The record as the trace shows it.
    pub fn trace_val(&self) -> crate::trace::Val {
        crate::trace::Val::Record {
            kind: self.record.kind(),
            signer: self.signer,
            view: self.record.view(),
            value: self.record.value(),
        }
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Record::ViewChange { view, prepared: None } => write!(f, "view-change({view})"),
            Record::ViewChange { view, prepared: Some(c) } => {
                write!(f, "view-change({view}, prepared {}@{})", c.value, c.view)
            }
            Record::Decided { cert } => write!(f, "decided({}@{})", cert.value, cert.view),
            other => {
                write!(f, "{}({}, {})", other.kind(), other.view(), other.value().unwrap_or(0))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_differ_by_signer_kind_view_and_value() {
        let bytes = |signer, r: Record| {
            let mut out = Vec::new();
            r.encode(signer, &mut out);
            out
        };
        let p = Record::Prepare { view: 0, value: 1 };
        assert_ne!(bytes(0, p.clone()), bytes(1, p.clone()));
        assert_ne!(bytes(0, p.clone()), bytes(0, Record::Commit { view: 0, value: 1 }));
        assert_ne!(bytes(0, p.clone()), bytes(0, Record::Prepare { view: 1, value: 1 }));
        assert_ne!(bytes(0, p), bytes(0, Record::Prepare { view: 0, value: 2 }));
        let vc = Record::ViewChange { view: 1, prepared: None };
        assert_eq!(vc.to_string(), "view-change(1)");
        assert_eq!(Record::PrePrepare { view: 0, value: 7 }.to_string(), "pre-prepare(0, 7)");
    }
}
