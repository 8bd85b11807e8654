//! Zab's properties checked directly, one checker per property (Junqueira,
//! Reed, Serafini, "Zab: High-performance broadcast for primary-backup
//! systems", DSN 2011, section IV), on the ghost record of a run
//! ([`ZabGhost`]: what every process delivered, with its zxid, and what
//! every primary broadcast). The processes are the replicas (client `t`'s,
//! named `replica t1`) and the primaries (`the primary of epoch 2`, which
//! delivers its synchronised history, then its proposals as it commits
//! them). A transaction is `(zxid, entry)`; its epoch is its zxid's.
//!
//! * [`integrity`]: every delivered transaction was broadcast, by the
//!   primary of its zxid's epoch.
//! * [`total_order`]: if some process delivers `a` before `b`, every
//!   process that delivers `b` delivers `a` before `b`.
//! * [`agreement`]: if `p` delivers `a` and `q` delivers `b`, then `p`
//!   delivers `b` or `q` delivers `a`.
//! * [`local_primary_order`]: if a primary broadcasts `a` before `b`, a
//!   process that delivers `b` delivers `a` before `b`.
//! * [`global_primary_order`]: if the primary of epoch `i` broadcasts `a`
//!   and the primary of a later epoch `j` broadcasts `b`, a process that
//!   delivers both delivers `a` before `b`.
//! * [`primary_integrity`]: if the primary of epoch `e` broadcasts `b` and
//!   some process delivers `a` of an earlier epoch, the primary of `e`
//!   delivered `a` before it broadcast `b`.
//!
//! Each is linear (or `n log n`) in the deliveries, so the stress runs
//! check them over hundreds of thousands; [`check`] runs all six in the
//! paper's order and names every one that fails.

use super::RsmViolation;
use crate::objects::Spec;
use crate::rsm::multi_paxos::entry;
use crate::rsm::zab::follower::Slot;
use crate::rsm::zab::ghost::{Delivery, ZabGhost};
use crate::rsm::zab::{Zab, Zxid};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// The six properties, in the paper's order.
pub const PROPERTIES: [&str; 6] = [
    "integrity",
    "total order",
    "agreement",
    "local primary order",
    "global primary order",
    "primary integrity",
];

/// One property's checker.
pub type Checker = fn(&ZabGhost) -> Result<(), String>;

/// The checkers, in the order of [`PROPERTIES`].
pub const CHECKERS: [Checker; 6] = [
    integrity,
    total_order,
    agreement,
    local_primary_order,
    global_primary_order,
    primary_integrity,
];

/// Each property's verdict on one run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PropertyVerdict {
    /// The property's name.
    pub property: &'static str,
    /// `None`: it held; else the violation.
    pub violation: Option<String>,
}

/// Runs every checker on `ghost`.
pub fn verdicts(ghost: &ZabGhost) -> Vec<PropertyVerdict> {
    PROPERTIES
        .iter()
        .zip(CHECKERS)
        .map(|(&property, check)| PropertyVerdict { property, violation: check(ghost).err() })
        .collect()
}

/// Runs every checker on `ghost`: the names of the properties that held,
/// or the first violated (in the paper's order), naming the others violated.
///
/// # Errors
/// [`RsmViolation::Property`] for the first property violated.
pub fn check(ghost: &ZabGhost) -> Result<Vec<&'static str>, RsmViolation> {
    let v = verdicts(ghost);
    let mut failed = v.iter().filter(|p| p.violation.is_some());
    match failed.next() {
        None => Ok(PROPERTIES.to_vec()),
        Some(first) => Err(RsmViolation::Property {
            property: first.property,
            detail: first.violation.clone().unwrap_or_default(),
            also: failed.map(|p| p.property).collect(),
        }),
    }
}

/// The audit of a Zab log after a run ([`Audit`](super::Audit)): every
/// property on its ghost record (none for a log that was not
/// [`audited`](Zab::audited)).
///
/// # Errors
/// [`RsmViolation::Property`] for the first property violated.
pub fn audit<S>(log: &Zab<S>) -> Result<Vec<&'static str>, RsmViolation>
where
    S: Spec + Send + Sync + 'static,
    S::Op: Sync,
{
    log.ghost().map_or_else(|| Ok(Vec::new()), |g| check(&g))
}

/// A delivering process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Process {
    Replica(usize),
    Primary(u64),
}

impl fmt::Display for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Process::Replica(t) => write!(f, "replica t{t}"),
            Process::Primary(e) => write!(f, "the primary of epoch {e}"),
        }
    }
}

/// A transaction as a violation names it: `<t1#1 at 0x2:1>`.
struct Txn(Zxid, u64);

impl fmt::Display for Txn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match entry::unpack(self.1) {
            Some(id) => write!(f, "<{id} at {}>", self.0),
            None => write!(f, "<no-op at {}>", self.0),
        }
    }
}

fn txn(d: &Delivery) -> Txn {
    Txn(d.zxid, d.txn)
}

/// A transaction's identity: its zxid and its entry.
type Key = (Zxid, u64);

fn key(d: &Delivery) -> Key {
    (d.zxid, d.txn)
}

/// Every process with its deliveries: the replicas, then the primaries.
fn processes(g: &ZabGhost) -> impl Iterator<Item = (Process, &[Delivery])> {
    let replicas = g.replicas.iter().enumerate().map(|(t, d)| (Process::Replica(t), &d[..]));
    let primaries = g.primaries.iter().map(|p| (Process::Primary(p.epoch), &p.delivered[..]));
    replicas.chain(primaries)
}

/// Integrity: every delivered transaction was broadcast by the primary of
/// its zxid's epoch (or adopted by some primary from an earlier one).
///
/// # Errors
/// The first delivery nobody broadcast.
pub fn integrity(g: &ZabGhost) -> Result<(), String> {
    let broadcast: HashSet<(Zxid, u64)> = g
        .primaries
        .iter()
        .flat_map(|p| p.broadcast.iter().filter(move |s| u64::from(s.0.epoch()) == p.epoch))
        .copied()
        .collect();
    for (p, ds) in processes(g) {
        if let Some(d) = ds.iter().find(|d| !broadcast.contains(&key(d))) {
            return Err(format!(
                "{p} delivered {} at slot {}, which the primary of epoch {} never broadcast",
                txn(d),
                d.slot,
                d.zxid.epoch()
            ));
        }
    }
    Ok(())
}

/// Total order: if a process delivers `a` before `b`, every process that
/// delivers `b` delivers `a` before it. Equivalently, two processes that
/// both deliver `b` delivered the same sequence before it: each delivery is
/// compared with the first process that delivered the same transaction, at
/// the same position and after the same predecessor (by induction, the
/// whole prefixes are then equal).
///
/// # Errors
/// The first pair of processes that order two transactions differently.
pub fn total_order(g: &ZabGhost) -> Result<(), String> {
    let all: Vec<(Process, &[Delivery])> = processes(g).collect();
    let mut first: HashMap<(Zxid, u64), (usize, usize)> = HashMap::new();
    for (q, &(_, ds)) in all.iter().enumerate() {
        for (i, d) in ds.iter().enumerate() {
            let &mut (r, j) = first.entry(key(d)).or_insert((q, i));
            if r == q {
                continue;
            }
            let theirs = all[r].1;
            let same = i == j && (i == 0 || key(&ds[i - 1]) == key(&theirs[i - 1]));
            if same {
                continue;
            }
            // The first place the prefixes before `d` differ.
            let k =
                (0..i.max(j)).find(|&k| ds.get(k).map(key) != theirs.get(k).map(key)).unwrap_or(0);
            let (pq, pr) = (all[q].0, all[r].0);
            return Err(match (theirs.get(k).filter(|_| k < j), ds.get(k).filter(|_| k < i)) {
                (Some(x), Some(y)) => format!(
                    "{pr} delivered {} before {}, {pq} delivered {} in its place before {}",
                    txn(x),
                    txn(d),
                    txn(y),
                    txn(d)
                ),
                (Some(x), None) => format!(
                    "{pr} delivered {} before {}, {pq} delivered {} without it before",
                    txn(x),
                    txn(d),
                    txn(d)
                ),
                (None, Some(y)) => format!(
                    "{pq} delivered {} before {}, {pr} delivered {} without it before",
                    txn(y),
                    txn(d),
                    txn(d)
                ),
                (None, None) => format!("{pq} and {pr} deliver {} at different places", txn(d)),
            });
        }
    }
    Ok(())
}

/// Agreement: if `p` delivers `a` and `q` delivers `b`, then `p` delivers
/// `b` or `q` delivers `a`: the delivered sets form a chain under
/// inclusion (each checked against the next larger one).
///
/// # Errors
/// Two processes each of which delivered something the other did not.
pub fn agreement(g: &ZabGhost) -> Result<(), String> {
    let mut sets: Vec<(Process, HashSet<Key>, &[Delivery])> =
        processes(g).map(|(p, ds)| (p, ds.iter().map(key).collect(), ds)).collect();
    sets.sort_by_key(|s| s.1.len());
    for w in sets.windows(2) {
        let ((p, small, ds), (q, large, dl)) = (&w[0], &w[1]);
        if let Some(a) = ds.iter().find(|d| !large.contains(&key(d))) {
            // |small| ≤ |large| and `a` is only in small: large has one too.
            let b = dl.iter().find(|d| !small.contains(&key(d)));
            return Err(match b {
                Some(b) => format!(
                    "{p} delivered {} and {q} delivered {}, but neither delivered the other's",
                    txn(a),
                    txn(b)
                ),
                None => format!("{p} delivered {}, which {q} did not", txn(a)),
            });
        }
    }
    Ok(())
}

/// The position of each transaction in its epoch's primary's broadcast.
fn broadcast_positions(g: &ZabGhost) -> HashMap<(Zxid, u64), (u64, usize)> {
    g.primaries
        .iter()
        .flat_map(|p| p.broadcast.iter().enumerate().map(move |(i, &s)| (s, (p.epoch, i))))
        .collect()
}

/// Local primary order: if a primary broadcasts `a` before `b`, a process
/// that delivers `b` delivers `a` before `b`. Each process must deliver the
/// transactions of each epoch in the order, and without the gaps, of that
/// epoch's broadcast.
///
/// # Errors
/// The first delivery ahead of an earlier broadcast of its primary.
pub fn local_primary_order(g: &ZabGhost) -> Result<(), String> {
    let at = broadcast_positions(g);
    let sent: HashMap<u64, &[Slot]> =
        g.primaries.iter().map(|p| (p.epoch, &p.broadcast[..])).collect();
    for (p, ds) in processes(g) {
        let mut next: HashMap<u64, usize> = HashMap::new();
        for d in ds {
            let Some(&(e, i)) = at.get(&key(d)) else { continue }; // integrity's
            let n = next.entry(e).or_insert(0);
            if i > *n {
                let missing = sent.get(&e).and_then(|b| b.get(*n)).copied().unwrap_or_default();
                return Err(format!(
                    "the primary of epoch {e} broadcast {} before {}, but {p} delivered {} \
                     without it before",
                    Txn(missing.0, missing.1),
                    txn(d),
                    txn(d)
                ));
            }
            *n = (*n).max(i + 1);
        }
    }
    Ok(())
}

/// Global primary order: a process delivers the transactions of an earlier
/// epoch's primary before those of a later one.
///
/// # Errors
/// The first delivery of an epoch after one of a later epoch.
pub fn global_primary_order(g: &ZabGhost) -> Result<(), String> {
    for (p, ds) in processes(g) {
        let mut latest: Option<&Delivery> = None;
        for d in ds {
            if let Some(l) = latest.filter(|l| l.zxid.epoch() > d.zxid.epoch()) {
                return Err(format!(
                    "{p} delivered {} of epoch {} before {} of epoch {}",
                    txn(l),
                    l.zxid.epoch(),
                    txn(d),
                    d.zxid.epoch()
                ));
            }
            if latest.is_none_or(|l| d.zxid.epoch() > l.zxid.epoch()) {
                latest = Some(d);
            }
        }
    }
    Ok(())
}

/// Primary integrity: a primary that broadcasts anything delivered, before
/// it, every transaction of an earlier epoch that any process delivers (in
/// its synchronised history).
///
/// # Errors
/// The first primary that broadcast without a transaction delivered
/// elsewhere.
pub fn primary_integrity(g: &ZabGhost) -> Result<(), String> {
    // Every transaction delivered anywhere, with the first process that did.
    let mut delivered: Vec<(Delivery, Process)> = Vec::new();
    let mut seen: HashSet<(Zxid, u64)> = HashSet::new();
    for (p, ds) in processes(g) {
        for d in ds {
            if seen.insert(key(d)) {
                delivered.push((*d, p));
            }
        }
    }
    delivered.sort_by_key(|(d, _)| d.zxid);
    for primary in g.primaries.iter().filter(|p| !p.broadcast.is_empty()) {
        let before: HashSet<(Zxid, u64)> = primary.initial.iter().copied().collect();
        let older = delivered.iter().take_while(|(d, _)| u64::from(d.zxid.epoch()) < primary.epoch);
        if let Some((d, by)) = older.into_iter().find(|(d, _)| !before.contains(&key(d))) {
            let b = primary.broadcast[0];
            return Err(format!(
                "the primary of epoch {} broadcast {} without having delivered {} of epoch {}, \
                 which {by} delivered",
                primary.epoch,
                Txn(b.0, b.1),
                txn(d),
                d.zxid.epoch()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rsm::zab::ghost::Primary;
    use crate::rsm::OpId;

    /// Transaction `(epoch, counter)` naming operation `t{c}#{s}`.
    fn t(epoch: u32, counter: u32, c: usize, s: u64) -> Slot {
        (Zxid::new(epoch, counter), entry::pack(OpId { client: c, seq: s }))
    }

    fn deliveries(s: &[Slot]) -> Vec<Delivery> {
        s.iter().enumerate().map(|(slot, &(zxid, txn))| Delivery { slot, zxid, txn }).collect()
    }

    fn primary(epoch: u64, initial: &[Slot], broadcast: &[Slot]) -> Primary {
        let all: Vec<Slot> = initial.iter().chain(broadcast).copied().collect();
        Primary {
            epoch,
            leader: 0,
            initial: initial.to_vec(),
            broadcast: broadcast.to_vec(),
            delivered: deliveries(&all),
        }
    }

    /// A correct run: epoch 1 broadcasts a, b; epoch 2 adopts them and
    /// broadcasts c; replicas deliver prefixes.
    fn good() -> ZabGhost {
        let (a, b, c) = (t(1, 1, 0, 1), t(1, 2, 1, 1), t(2, 1, 0, 2));
        ZabGhost {
            replicas: vec![deliveries(&[a, b, c]), deliveries(&[a])],
            primaries: vec![primary(1, &[], &[a, b]), primary(2, &[a, b], &[c])],
        }
    }

    fn failing(g: &ZabGhost) -> Vec<&'static str> {
        verdicts(g).into_iter().filter(|v| v.violation.is_some()).map(|v| v.property).collect()
    }

    #[test]
    fn a_correct_history_has_every_property() {
        assert_eq!(check(&good()), Ok(PROPERTIES.to_vec()));
    }

    #[test]
    fn integrity_fails_on_a_transaction_nobody_broadcast() {
        let mut g = good();
        g.replicas[1] = deliveries(&[t(1, 1, 0, 1), t(1, 7, 1, 5)]);
        assert_eq!(
            integrity(&g).unwrap_err(),
            "replica t1 delivered <t1#5 at 0x1:7> at slot 1, which the primary of epoch 1 never \
             broadcast"
        );
    }

    #[test]
    fn total_order_fails_on_two_orders() {
        let mut g = good();
        let (a, b) = (t(1, 1, 0, 1), t(1, 2, 1, 1));
        g.replicas[1] = deliveries(&[b, a]);
        let why = total_order(&g).unwrap_err();
        assert_eq!(
            why,
            "replica t0 delivered <t0#1 at 0x1:1> before <t1#1 at 0x1:2>, replica t1 delivered \
             <t1#1 at 0x1:2> without it before"
        );
    }

    #[test]
    fn agreement_fails_on_two_different_extensions() {
        // Two epochs' primaries each deliver their own, and a replica each.
        let (a, b) = (t(1, 1, 0, 1), t(2, 1, 1, 1));
        let g = ZabGhost {
            replicas: vec![deliveries(&[a]), deliveries(&[b])],
            primaries: vec![primary(1, &[], &[a]), primary(2, &[], &[b])],
        };
        assert_eq!(
            agreement(&g).unwrap_err(),
            "replica t0 delivered <t0#1 at 0x1:1> and replica t1 delivered <t1#1 at 0x2:1>, but \
             neither delivered the other's"
        );
        assert!(total_order(&g).is_ok(), "no two are ordered differently");
    }

    #[test]
    fn local_primary_order_fails_on_a_skipped_broadcast() {
        let (a, b) = (t(1, 1, 0, 1), t(1, 2, 1, 1));
        let g = ZabGhost {
            replicas: vec![deliveries(&[b])],
            primaries: vec![primary(1, &[], &[a, b])],
        };
        assert_eq!(
            local_primary_order(&g).unwrap_err(),
            "the primary of epoch 1 broadcast <t0#1 at 0x1:1> before <t1#1 at 0x1:2>, but \
             replica t0 delivered <t1#1 at 0x1:2> without it before"
        );
        assert_eq!(failing(&g), ["total order", "local primary order"]);
    }

    #[test]
    fn global_primary_order_fails_on_an_older_epoch_after_a_newer() {
        let (a, c) = (t(1, 1, 0, 1), t(2, 1, 1, 1));
        let g = ZabGhost {
            replicas: vec![deliveries(&[c, a])],
            primaries: vec![primary(1, &[], &[a]), primary(2, &[], &[c])],
        };
        assert_eq!(
            global_primary_order(&g).unwrap_err(),
            "replica t0 delivered <t1#1 at 0x2:1> of epoch 2 before <t0#1 at 0x1:1> of epoch 1"
        );
    }

    #[test]
    fn primary_integrity_fails_on_a_primary_missing_a_delivered_transaction() {
        // The lost-commit shape: epoch 1 commits a, epoch 2 adopts nothing.
        let (a, c) = (t(1, 1, 0, 1), t(2, 1, 1, 1));
        let g = ZabGhost {
            replicas: vec![deliveries(&[c])],
            primaries: vec![primary(1, &[], &[a]), primary(2, &[], &[c])],
        };
        assert_eq!(
            primary_integrity(&g).unwrap_err(),
            "the primary of epoch 2 broadcast <t1#1 at 0x2:1> without having delivered <t0#1 at \
             0x1:1> of epoch 1, which the primary of epoch 1 delivered"
        );
        let err = check(&g).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "agreement: replica t0 delivered <t1#1 at 0x2:1> and the \
                                         primary of epoch 1 delivered <t0#1 at 0x1:1>"
            ),
            "{err}"
        );
        assert!(err.to_string().ends_with("(also violated: primary integrity)"), "{err}");
    }
}
