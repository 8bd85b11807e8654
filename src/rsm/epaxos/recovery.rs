//! Recovery of an instance whose commit a replica waited for too long (its
//! command leader crashed, or is slow): the explicit prepare of the paper's
//! Figure 3, in shared memory, for any F.
//!
//! The recoverer takes a ballot above every one promised for the instance
//! (client `r`'s ballots are `k·n + r + 1`: unique, and above the original
//! leader's 0), prepares it at a majority (each promises it, fencing lower
//! ballots out, and returns what it recorded), and then decides:
//!
//! 1. some replica accepted attributes (the slow path's Paxos-accept, or an
//!    earlier recovery's): accept the ones of the highest ballot;
//! 2. else F replicas that did not compute the leader's attributes
//!    pre-accepted the same command and attributes at the leader's ballot
//!    0 (if they are the leader's own, the fast path may have committed
//!    them): accept those;
//! 3. else some replica pre-accepted the command: pre-accept it again at the
//!    recovery's ballot at a majority (no fast path) and accept the union;
//! 4. else nobody saw the command: the same with a no-op, and its client
//!    proposes the operation again in its next instance.
//!
//! then commits.
//!
//! **The commit table decides.** A commit is one write-once cell
//! (`commits`): the first committer wins and every other adopts its value,
//! so a leader that finished its fast path while a recovery (of a leader it
//! wrongly thought dead) chose other attributes does not make two commits;
//! whichever lands first is what every replica executes. What safety needs
//! is that every value that can land keeps the dependency invariant (any
//! two committed conflicting instances, one depends on the other). Each
//! value has *witnesses*, replicas whose answer for the command is
//! contained in it: a fast path's fast quorum, a slow path's or rule 3's
//! majority, rule 2's majority (the F, which recorded exactly them, and the
//! replica that computed the attributes they were sent, contained in them:
//! the F may all have added one conflict it did not know), rule 1's the
//! earlier value's. Any two witness sets meet (two majorities; a majority
//! and a fast quorum; two fast quorums, in 2⌊(F + 1)/2⌋ − 1 ≥ 1 replicas
//! for F ≥ 1; with F = 0 every quorum is the one replica). At a
//! replica in both, whichever command was pre-accepted second depends on
//! the first (its key index keeps every operation ever recorded there), and
//! so does its committed value.
//!
//! **Why F, and no TryPreAccept.** The paper's optimized EPaxos (fast
//! quorum F + ⌊(F + 1)/2⌋, as here) counts only ⌊(F + 1)/2⌋ matching
//! pre-accepts in rule 2, all a majority must hold of a fast quorum beside
//! its leader, because there rule 2 must keep any value a fast path may
//! have committed (agreement); so few witnesses do not meet every other
//! command's quorum, and its TryPreAccept asks the other replicas whether
//! the attributes can still stand (the path where Sutra (2019) found
//! gaps). Here agreement is the commit cell's: a fast path that had not
//! written its commit is not committed, and its leader adopts what lands
//! first. So recovery need not keep the fast path's attributes; it must
//! only commit a value with a majority of witnesses, and takes the leader's
//! attributes when it sees a majority that recorded them (F confirmations
//! and the replica that computed them: the paper's unoptimized rule),
//! pre-accepting again otherwise. With F = 1 the two counts agree (1);
//! with F = 2 the optimized count, 1, would commit what 2 replicas of 5
//! recorded (the loom model `epaxos-optimized-rule-2` shows a pair left
//! unordered).
//!
//! **Why the computing replica does not count.** Its record is the
//! leader's own attributes, computed from what that replica alone knew; a
//! conflicting command committed by the other replicas would be missing
//! from them, and nothing would order the pair. It is the leader's home
//! unless the home had crashed, then the next replica round the ring; the
//! record says which ([`Record::computed`]), so a recovery need not guess
//! (counting "every replica but the home" would count it when the home is
//! down).
//!
//! **Progress.** One attempt is at most three majority rounds (prepare,
//! pre-accept, accept) and a commit. An attempt a replica refuses (it
//! promised a higher ballot: another recovery holds the instance) ends, and
//! its recoverer waits again, twice as long each time (real time; up to
//! 2^10 timeouts), before it outbids: two recoverers that outbid each other
//! at once could duel forever, like Paxos proposers. The protocol as a
//! whole is blocking (the module docs of [`super`]).

use super::replica::{Attrs, Command, Record, Status};
use super::Quorums;

/// What a recovery does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Accept these at a majority, then commit.
    Accept { command: Command, attrs: Attrs },
    /// Pre-accept the command at a majority first (starting from `attrs`),
    /// then accept the union.
    PreAccept { command: Command, attrs: Attrs },
}

/// How rule 2 counts (the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule2 {
    /// F confirmations, the computing replica not among them.
    Majority,
    /// The computing replica's own record counts (broken: see
    /// [`broken::trusting_the_home`](super::broken::trusting_the_home)).
    TrustingTheHome,
    /// ⌊(F + 1)/2⌋ confirmations, without TryPreAccept (broken: see
    /// [`broken::optimized_rule_2`](super::broken::optimized_rule_2)).
    Optimized,
}

/// The recovery rules (module docs) over a majority's answers to the
/// prepare (`None`: that replica recorded nothing). `own`: the instance's
/// own-row attributes (its row's previous instance, a sequence number
/// above it).
pub(crate) fn decide(
    found: &[Option<Record>],
    quorums: Quorums,
    own: &Attrs,
    rule2: Rule2,
) -> Plan {
    let records = || found.iter().flatten();
    if let Some(r) = records().filter(|r| r.status == Status::Accepted).max_by_key(|r| r.ballot) {
        return Plan::Accept { command: r.command, attrs: r.attrs.clone() };
    }
    let need = match rule2 {
        Rule2::Optimized => quorums.majority / 2, // ⌊(F + 1)/2⌋
        Rule2::Majority | Rule2::TrustingTheHome => quorums.majority - 1, // F
    };
    let defaults: Vec<&Record> = records()
        .filter(|r| r.ballot == 0 && r.status == Status::PreAccepted)
        .filter(|r| rule2 == Rule2::TrustingTheHome || !r.computed)
        .collect();
    let matching = |r: &Record| {
        defaults.iter().filter(|o| o.command == r.command && o.attrs == r.attrs).count()
    };
    if need > 0 {
        if let Some(r) = defaults.iter().find(|r| matching(r) >= need) {
            return Plan::Accept { command: r.command, attrs: r.attrs.clone() };
        }
    }
    match records().max_by_key(|r| r.ballot) {
        Some(r) => {
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

    /// A record of `W` with `deps[1] = dep`; `computed`: the leader's first.
    fn rec(ballot: u64, status: Status, dep: u64, computed: bool) -> Option<Record> {
        let attrs = Attrs { seq: 1, deps: vec![0, dep].into() };
        Some(Record { ballot, status, command: W, attrs, computed })
    }

    fn pre(dep: u64) -> Option<Record> {
        rec(0, Status::PreAccepted, dep, false)
    }

    fn computed(dep: u64) -> Option<Record> {
        rec(0, Status::PreAccepted, dep, true)
    }

    fn accepts(plan: &Plan, dep: u64) -> bool {
        matches!(plan, Plan::Accept { attrs, .. } if attrs.deps[1] == dep)
    }

    #[test]
    fn the_rules_in_order_with_3_replicas() {
        let q = Quorums::of(3);
        let own = Attrs { seq: 1, deps: vec![0, 0].into() };
        let ok = Rule2::Majority;
        // 1. The highest accepted wins over any pre-accept.
        let f = [pre(1), rec(4, Status::Accepted, 2, false)];
        assert!(accepts(&decide(&f, q, &own, ok), 2));
        // 2. One (F) confirmation of the leader's attributes is enough.
        let f = [None, pre(1)];
        assert!(accepts(&decide(&f, q, &own, ok), 1));
        // The computing replica's own record is not: pre-accept again.
        let f = [computed(1), None];
        assert!(matches!(decide(&f, q, &own, ok), Plan::PreAccept { command: W, .. }));
        // ... unless it is trusted (broken).
        assert!(accepts(&decide(&f, q, &own, Rule2::TrustingTheHome), 1));
        // A record at a recovery's ballot is no confirmation.
        let f = [rec(7, Status::PreAccepted, 1, false), None];
        assert!(matches!(decide(&f, q, &own, ok), Plan::PreAccept { command: W, .. }));
        // 4. Nobody saw it: a no-op.
        let f = [None, None];
        assert_eq!(decide(&f, q, &own, ok), Plan::PreAccept { command: Command::Noop, attrs: own });
    }

    #[test]
    fn with_5_replicas_rule_2_needs_a_majority_of_witnesses() {
        let q = Quorums::of(5);
        let own = Attrs { seq: 1, deps: vec![0, 0].into() };
        // The leader's attributes at the computing replica and one more:
        // 2 witnesses of 5. The optimized count (⌊(F + 1)/2⌋ = 1) would
        // take them (broken); the correct one pre-accepts again.
        let f = [pre(1), None, None];
        let plan = decide(&f, q, &own, Rule2::Majority);
        assert!(matches!(&plan, Plan::PreAccept { command: W, attrs } if attrs.deps[1] == 1));
        assert!(accepts(&decide(&f, q, &own, Rule2::Optimized), 1));
        // With the computing replica in the answers, still 2 witnesses.
        let f = [computed(1), pre(1), None];
        assert!(matches!(decide(&f, q, &own, Rule2::Majority), Plan::PreAccept { .. }));
        // Two confirmations and the computing replica: 3 of 5, a majority.
        let f = [pre(1), pre(1), None];
        assert!(accepts(&decide(&f, q, &own, Rule2::Majority), 1));
        // Confirmations of different attributes do not add up.
        let f = [pre(1), pre(2), None];
        assert!(matches!(decide(&f, q, &own, Rule2::Majority), Plan::PreAccept { .. }));
    }

    #[test]
    fn the_computing_replica_is_known_when_the_home_is_down() {
        // The home crashed before the leader reached it: replica 1 computed
        // the attributes. Counting "every replica but the home" would take
        // its record as a confirmation; the record's flag does not.
        let q = Quorums::of(3);
        let own = Attrs { seq: 1, deps: vec![0, 0].into() };
        let f = [computed(1), None];
        assert!(matches!(decide(&f, q, &own, Rule2::Majority), Plan::PreAccept { command: W, .. }));
    }
}
