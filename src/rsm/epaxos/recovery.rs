//! Recovery of an instance whose commit a replica waited for too long (its
//! command leader crashed, or is slow): the explicit prepare of the paper's
//! Figure 3, in shared memory.
//!
//! The recoverer takes a ballot above every one promised for the instance
//! (client `r`'s ballots are `k·n + r + 1`: unique, and above the original
//! leader's 0), prepares it at a majority (each promises it, fencing lower
//! ballots out, and returns what it recorded), and then decides:
//!
//! 1. some replica accepted attributes (the slow path's Paxos-accept, or an
//!    earlier recovery's): accept the ones of the highest ballot;
//! 2. else ⌊(F + 1)/2⌋ replicas other than the leader's home pre-accepted
//!    the same attributes at the leader's ballot 0 (the fast path may have
//!    committed them): accept those;
//! 3. else some replica pre-accepted the command: pre-accept it again at the
//!    recovery's ballot at a majority (no fast path) and accept the union;
//! 4. else nobody saw the command: the same with a no-op, and its client
//!    proposes the operation again in its next instance.
//!
//! then commits. Why the home replica does not count in rule 2: its record
//! is the leader's own attributes, computed from what the home alone knew;
//! a conflicting command committed by the two other replicas would be
//! missing from them, and nothing would order the pair.
//!
//! **The commit table decides.** A commit is one write-once cell
//! (`commits`): the first committer wins and every other
//! adopts its value, so a leader that finished its fast path while a
//! recovery (of a leader it wrongly thought dead) chose other attributes
//! does not make two commits; whichever lands first is what every replica
//! executes. What safety needs is that every value that can land keeps the
//! dependency invariant (any two committed conflicting instances, one
//! depends on the other): each of the rules above commits what a majority
//! (or a fast quorum) recorded, which meets every other command's quorum.
//!
//! **With more than 3 replicas there is no recovery.** For F ≥ 2 the
//! paper's rule 2 is not enough on its own (the tech report adds
//! TryPreAccept, and Sutra (2019) found further gaps); the lab recovers
//! only with F ≤ 1, and with 5 or more replicas a replica waits for a
//! dependency's commit however long it takes (leader faults are refused
//! there).

use super::replica::{Attrs, Command, Record, Status};
use super::Quorums;

/// One replica's answer to a prepare.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    /// Which replica.
    pub(crate) replica: usize,
    /// What it recorded for the instance.
    pub(crate) record: Option<Record>,
}

/// What a recovery does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Accept these at a majority, then commit.
    Accept { command: Command, attrs: Attrs },
    /// Pre-accept the command at a majority first (starting from `attrs`),
    /// then accept the union.
    PreAccept { command: Command, attrs: Attrs },
}

/// The recovery rules (module docs) over a majority's answers. `home`: the
/// instance's leader's home replica; `own`: the instance's own-row
/// attributes (its row's previous instance, a sequence number above it).
/// `trust_home` counts the home's own record in rule 2 (broken: see
/// [`broken::trusting_the_home`](super::broken::trusting_the_home)).
pub(crate) fn decide(
    found: &[Found],
    home: usize,
    quorums: Quorums,
    own: &Attrs,
    trust_home: bool,
) -> Plan {
    let records = || found.iter().filter_map(|f| f.record.as_ref().map(|r| (f.replica, r)));
    if let Some((_, r)) =
        records().filter(|(_, r)| r.status == Status::Accepted).max_by_key(|(_, r)| r.ballot)
    {
        return Plan::Accept { command: r.command, attrs: r.attrs.clone() };
    }
    let need = quorums.majority / 2; // ⌊(F + 1)/2⌋
    let defaults: Vec<&Record> = records()
        .filter(|(i, r)| (trust_home || *i != home) && r.ballot == 0)
        .filter(|(_, r)| r.status == Status::PreAccepted)
        .map(|(_, r)| r)
        .collect();
    if need > 0 {
        if let Some(r) = defaults.iter().find(|r| {
            defaults.iter().filter(|o| o.command == r.command && o.attrs == r.attrs).count() >= need
        }) {
            return Plan::Accept { command: r.command, attrs: r.attrs.clone() };
        }
    }
    match records().max_by_key(|(_, r)| r.ballot) {
        Some((_, r)) => {
            let mut attrs = own.clone();
            attrs.union(&r.attrs);
            Plan::PreAccept { command: r.command, attrs }
        }
        None => Plan::PreAccept { command: Command::Noop, attrs: own.clone() },
    }
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;
    use crate::objects::Footprint;

    const W: Command = Command::Op { footprint: Footprint { key: 0, writes: true }, seq: 1 };

    fn rec(ballot: u64, status: Status, dep: u64) -> Option<Record> {
        Some(Record {
            ballot,
            status,
            command: W,
            attrs: Attrs { seq: 1, deps: vec![0, dep].into() },
        })
    }

    fn found(answers: Vec<(usize, Option<Record>)>) -> Vec<Found> {
        answers.into_iter().map(|(replica, record)| Found { replica, record }).collect()
    }

    #[test]
    fn the_rules_in_order() {
        let q = Quorums::of(3);
        let own = Attrs { seq: 1, deps: vec![0, 0].into() };
        // 1. The highest accepted wins over any pre-accept.
        let f = found(vec![(1, rec(0, Status::PreAccepted, 1)), (2, rec(4, Status::Accepted, 2))]);
        assert!(
            matches!(decide(&f, 0, q, &own, false), Plan::Accept { attrs, .. } if attrs.deps[1] == 2)
        );
        // 2. A default-ballot pre-accept away from home is enough with F = 1.
        let f = found(vec![(0, None), (1, rec(0, Status::PreAccepted, 1))]);
        assert!(
            matches!(decide(&f, 0, q, &own, false), Plan::Accept { attrs, .. } if attrs.deps[1] == 1)
        );
        // The home's own record is not: pre-accept again.
        let f = found(vec![(0, rec(0, Status::PreAccepted, 1)), (2, None)]);
        assert!(matches!(decide(&f, 0, q, &own, false), Plan::PreAccept { command: W, .. }));
        // ... unless the home is trusted (broken).
        assert!(matches!(decide(&f, 0, q, &own, true), Plan::Accept { .. }));
        // 4. Nobody saw it: a no-op.
        let f = found(vec![(1, None), (2, None)]);
        assert_eq!(
            decide(&f, 0, q, &own, false),
            Plan::PreAccept { command: Command::Noop, attrs: own }
        );
    }
}
