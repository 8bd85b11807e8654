//! An EPaxos replica as a shared-memory region: per instance, the ballot it
//! promised, the attributes it recorded (at which ballot, pre-accepted or
//! accepted), and per key an index of the instances it knows that touch
//! the key, from which it computes a new instance's dependencies. Command
//! leaders write straight into it (the RDMA form: Mu, DARE).
//!
//! **Atomicity.** A pre-accept is "read every conflicting instance I know,
//! take their highest sequence number and instances as the new one's, and
//! record the new one": two pre-accepts of conflicting commands that each
//! read before the other recorded would both miss the other, at this
//! replica, which is exactly the interleaving the quorum argument needs to
//! exclude. So one region is one mutex: each operation (pre-accept, accept,
//! prepare) is one critical section, linearizable at its lock, as a replica
//! handling one message at a time is. The mutex is the facade's (loom and
//! shuttle explore its interleavings).
//!
//! **Dependencies as one number per row.** Client `q`'s instances are its
//! operations in program order, and each depends on the one before it
//! ([`Attrs::own_row`]). So "depends on `(q, d)`" covers every `(q, j ≤ d)`
//! through that chain, and the attributes hold `deps[q]`, the highest
//! instance of row `q` depended on (0: none): the key index keeps, per key
//! and row, the highest instance that wrote the key and the highest that
//! touched it.
//!
//! **Progress.** Blocking (a mutex); each operation holds it for O(rows).

use crate::objects::Footprint;
use crate::rsm::OpId;
use crate::sync::StdMutex;
use crate::trace::Val;
use std::collections::HashMap;

/// An instance's attributes: its sequence number and, per client row, the
/// highest instance of that row it depends on (0: none).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Attrs {
    /// The sequence number (orders a strongly connected component).
    pub seq: u64,
    /// `deps[q]`: the highest instance of row `q` depended on.
    pub deps: Box<[u64]>,
}

impl Attrs {
    /// What the leader of instance `(me, s)` starts from: its own previous
    /// instance as the only dependency, and a sequence number above it
    /// (`prev_seq`: the previous instance's committed one, 0 for the first).
    /// Each instance then follows its row's previous one everywhere.
    pub fn own_row(rows: usize, me: usize, s: u64, prev_seq: u64) -> Attrs {
        let mut deps = vec![0; rows].into_boxed_slice();
        deps[me] = s - 1;
        Attrs { seq: prev_seq + 1, deps }
    }

    /// The union: the higher sequence number, the higher instance per row.
    pub fn union(&mut self, other: &Attrs) {
        self.seq = self.seq.max(other.seq);
        for (d, o) in self.deps.iter_mut().zip(other.deps.iter()) {
            *d = (*d).max(*o);
        }
    }

    /// As the trace shows them (the first 4 rows).
    pub fn trace(&self) -> Val {
        let mut deps = [0u32; 4];
        for (d, &x) in deps.iter_mut().zip(self.deps.iter()) {
            *d = u32::try_from(x).unwrap_or(u32::MAX);
        }
        Val::Attrs { seq: self.seq, deps, rows: u8::try_from(self.deps.len()).unwrap_or(u8::MAX) }
    }
}

/// What an instance holds: one of its client's operations, or a no-op a
/// recovery put there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// The client's `seq`-th operation (instance `(q, i)` holds an
    /// operation of client `q`; a client whose instance a recovery filled
    /// with a no-op proposes the operation again in its next instance).
    Op {
        /// What it touches.
        footprint: Footprint,
        /// Which of the client's operations, from 1.
        seq: u64,
    },
    /// Nothing (a recovery found no trace of the operation).
    Noop,
}

/// How far an instance got at a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Pre-accepted (phase 1): attributes the replica computed or took.
    PreAccepted,
    /// Accepted (the slow path's Paxos-accept): the leader's union.
    Accepted,
}

/// One instance at one replica.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The ballot at which `attrs` were recorded.
    pub ballot: u64,
    /// Pre-accepted or accepted.
    pub status: Status,
    /// The command.
    pub command: Command,
    /// The attributes recorded.
    pub attrs: Attrs,
    /// Whether this replica computed the attributes: the leader's first
    /// pre-accept of the instance, from its own-row start (the paper's
    /// leader's own record; normally at the leader's home, at the next
    /// replica round the ring if the home has crashed), rather than
    /// confirmed or extended the attributes it was sent.
    pub computed: bool,
}

/// A write refused: the replica promised a higher ballot for the instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The ballot it promised.
    pub promised: u64,
}

/// Per key, per row: the highest instance that wrote it and the highest
/// that touched it, and the highest sequence numbers of each kind.
#[derive(Clone, Debug, PartialEq, Eq)]
struct KeyIndex {
    writes: Box<[u64]>,
    touches: Box<[u64]>,
    write_seq: u64,
    touch_seq: u64,
}

/// A replica's state (behind its mutex).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplicaState {
    /// The instances it recorded.
    pub instances: HashMap<OpId, Record>,
    /// The highest ballot promised per instance (absent: 0, the original
    /// leader's). Kept apart from `instances`: a recovery's promise for an
    /// instance this replica never saw must fence the leader out too.
    pub promised: HashMap<OpId, u64>,
    keys: HashMap<u64, KeyIndex>,
}

impl ReplicaState {
    /// Adds what the replica knows to `attrs` for a command of footprint
    /// `f` in instance `id`: every instance it knows that conflicts, and a
    /// sequence number above theirs. (The instance itself, if it is known
    /// here already, is excluded: its row contributes `id.seq − 1` at most.)
    fn conflicts(&self, id: OpId, f: Footprint, attrs: &mut Attrs) {
        let Some(k) = self.keys.get(&f.key) else { return };
        let (rows, seq) =
            if f.writes { (&k.touches, k.touch_seq) } else { (&k.writes, k.write_seq) };
        for (q, (d, &known)) in attrs.deps.iter_mut().zip(rows.iter()).enumerate() {
            let known = if q == id.client { known.min(id.seq - 1) } else { known };
            *d = (*d).max(known);
        }
        attrs.seq = attrs.seq.max(seq + 1);
    }

    /// Records instance `id`'s command and attributes in the key index.
    fn index(&mut self, id: OpId, command: Command, attrs: &Attrs) {
        let Command::Op { footprint: f, .. } = command else { return };
        let rows = attrs.deps.len();
        let k = self.keys.entry(f.key).or_insert_with(|| KeyIndex {
            writes: vec![0; rows].into(),
            touches: vec![0; rows].into(),
            write_seq: 0,
            touch_seq: 0,
        });
        if let Some(t) = k.touches.get_mut(id.client) {
            *t = (*t).max(id.seq);
        }
        k.touch_seq = k.touch_seq.max(attrs.seq);
        if f.writes {
            if let Some(w) = k.writes.get_mut(id.client) {
                *w = (*w).max(id.seq);
            }
            k.write_seq = k.write_seq.max(attrs.seq);
        }
    }

    fn promised(&self, id: OpId) -> u64 {
        self.promised.get(&id).copied().unwrap_or(0)
    }

    /// Records `record` for `id`, promised at its ballot.
    fn record(&mut self, id: OpId, record: Record) {
        self.index(id, record.command, &record.attrs);
        self.promised.insert(id, record.ballot);
        self.instances.insert(id, record);
    }
}

/// A replica region.
#[derive(Debug, Default)]
pub struct Replica {
    state: StdMutex<ReplicaState>,
}

impl Replica {
    /// An empty replica.
    pub fn new() -> Self {
        Replica::default()
    }

    fn lock(&self) -> crate::sync::StdMutexGuard<'_, ReplicaState> {
        // A poisoned region is a panicked test thread: keep its state.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// PreAccept(`ballot`, `id`, `command`, `attrs`): unless a higher ballot
    /// was promised for `id`, adds every conflicting instance this replica
    /// knows to `attrs`, records the result as pre-accepted at `ballot` and
    /// returns it. `computes`: `attrs` is the leader's own-row start (its
    /// first pre-accept), not attributes another replica computed
    /// ([`Record::computed`]).
    ///
    /// # Errors
    /// [`Refused`] with the higher ballot.
    pub fn pre_accept(
        &self,
        (id, ballot, command): (OpId, u64, Command),
        attrs: &Attrs,
        computes: bool,
    ) -> Result<Attrs, Refused> {
        let mut s = self.lock();
        let promised = s.promised(id);
        if ballot < promised {
            return Err(Refused { promised });
        }
        let mut attrs = attrs.clone();
        if let Command::Op { footprint, .. } = command {
            s.conflicts(id, footprint, &mut attrs);
        }
        let record = Record {
            ballot,
            status: Status::PreAccepted,
            command,
            attrs: attrs.clone(),
            computed: computes,
        };
        s.record(id, record);
        Ok(attrs)
    }

    /// Accept(`ballot`, `id`, `command`, `attrs`): unless a higher ballot was
    /// promised, records `attrs` as accepted at `ballot`.
    ///
    /// # Errors
    /// [`Refused`] with the higher ballot.
    pub fn accept(
        &self,
        id: OpId,
        ballot: u64,
        command: Command,
        attrs: &Attrs,
    ) -> Result<(), Refused> {
        let mut s = self.lock();
        let promised = s.promised(id);
        if ballot < promised {
            return Err(Refused { promised });
        }
        let record = Record {
            ballot,
            status: Status::Accepted,
            command,
            attrs: attrs.clone(),
            computed: false,
        };
        s.record(id, record);
        Ok(())
    }

    /// Prepare(`ballot`, `id`) (recovery's phase 1): unless a ballot at least
    /// as high was promised, promises `ballot` and returns what the replica
    /// recorded for `id` (`None`: nothing).
    ///
    /// # Errors
    /// [`Refused`] with the ballot promised before.
    pub fn prepare(&self, id: OpId, ballot: u64) -> Result<Option<Record>, Refused> {
        let mut s = self.lock();
        let promised = s.promised(id);
        if ballot <= promised {
            return Err(Refused { promised });
        }
        s.promised.insert(id, ballot);
        Ok(s.instances.get(&id).cloned())
    }

    /// The state (tests and reports).
    pub fn snapshot(&self) -> ReplicaState {
        self.lock().clone()
    }
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;

    const W1: Command = Command::Op { footprint: Footprint { key: 1, writes: true }, seq: 1 };
    const R1: Command = Command::Op { footprint: Footprint { key: 1, writes: false }, seq: 1 };
    const W2: Command = Command::Op { footprint: Footprint { key: 2, writes: true }, seq: 1 };

    fn id(client: usize, seq: u64) -> OpId {
        OpId { client, seq }
    }

    #[test]
    fn a_pre_accept_depends_on_every_conflicting_instance_the_replica_knows() {
        let r = Replica::new();
        let a = r.pre_accept((id(0, 1), 0, W1), &Attrs::own_row(3, 0, 1, 0), true).unwrap();
        assert_eq!((a.seq, &a.deps[..]), (1, &[0, 0, 0][..]));
        // A read of key 1 depends on the write; a write of key 2 on nothing.
        let b = r.pre_accept((id(1, 1), 0, R1), &Attrs::own_row(3, 1, 1, 0), true).unwrap();
        assert_eq!((b.seq, &b.deps[..]), (2, &[1, 0, 0][..]));
        let c = r.pre_accept((id(2, 1), 0, W2), &Attrs::own_row(3, 2, 1, 0), true).unwrap();
        assert_eq!((c.seq, &c.deps[..]), (1, &[0, 0, 0][..]));
        // Two reads do not conflict; a second write depends on both reads' rows.
        let d = r.pre_accept((id(2, 2), 0, R1), &Attrs::own_row(3, 2, 2, 1), true).unwrap();
        assert_eq!(&d.deps[..], &[1, 0, 1][..], "its own row, and the write only");
        let e = r.pre_accept((id(0, 2), 0, W1), &Attrs::own_row(3, 0, 2, 1), true).unwrap();
        assert_eq!((e.seq, &e.deps[..]), (3, &[1, 1, 2][..]));
    }

    #[test]
    fn a_promise_fences_lower_ballots_out() {
        let r = Replica::new();
        let x = id(0, 1);
        r.pre_accept((x, 0, W1), &Attrs::own_row(2, 0, 1, 0), true).unwrap();
        let rec = r.prepare(x, 5).unwrap().unwrap();
        assert_eq!(rec.status, Status::PreAccepted);
        assert_eq!(r.accept(x, 0, W1, &rec.attrs), Err(Refused { promised: 5 }));
        assert!(r.prepare(x, 5).is_err(), "a ballot is promised once");
        r.accept(x, 5, W1, &rec.attrs).unwrap();
        assert_eq!(r.snapshot().instances[&x].status, Status::Accepted);
        assert_eq!(r.prepare(id(1, 1), 1), Ok(None), "nothing known");
        let late = r.pre_accept((id(1, 1), 0, W1), &Attrs::own_row(2, 1, 1, 0), true);
        assert_eq!(late, Err(Refused { promised: 1 }), "a promise fences an unseen instance");
    }
}
