//! EPaxos broken on purpose, each kept with the loom (and shuttle) test
//! that finds its counterexample.
//!
//! * [`small_fast_quorum`]: the fast path commits after one replica fewer
//!   than F + ⌊(F + 1)/2⌋ agreed. With 3 replicas that is the leader's home
//!   alone: two conflicting commands led from different homes each commit
//!   fast without the other in their dependencies, so nothing orders them,
//!   and two replicas may execute them in opposite orders (each client's
//!   replica executes its own first: both writes return the old value).
//! * [`unsorted_components`]: a replica executes a strongly connected
//!   component in the order its own search found the instances, not by
//!   sequence number. Two conflicting commands that depend on each other
//!   (each pre-accepted where the other was already known) form one
//!   component; a replica that starts from its own command finds it first,
//!   so two replicas execute the pair in opposite orders.
//! * [`trusting_the_home`]: a recovery takes the crashed leader's home
//!   replica's own pre-accept (the record that computed the leader's
//!   attributes) as evidence that the fast path may have committed it, and
//!   commits those attributes. They are what the home alone knew: a
//!   conflicting command committed by the two other replicas is missing
//!   from them, and that command's attributes miss the recovered one, so
//!   nothing orders the pair (the rule the paper's "none of those replies
//!   is from L" exists for).
//! * [`optimized_rule_2`]: a recovery takes the leader's attributes on
//!   ⌊(F + 1)/2⌋ confirmations (the paper's optimized count) without the
//!   TryPreAccept that must follow it there. With 5 replicas that is one
//!   confirmation: the attributes 2 replicas recorded, while a conflicting
//!   command committed fast on the other 3, each missing the other.
//!   With 3 replicas the count is the correct one (1 = F). In this lab's form this is the way a
//!   recovery loses what a commit needed: a commit is one write-once cell,
//!   so a committed command cannot be dropped, and a fast path that had not
//!   written its commit yet is not committed (its leader adopts whatever
//!   lands first).

use super::recovery::Rule2;
use super::{Build, Config, Epaxos};
use crate::objects::Spec;
use crate::rsm::RsmError;

/// An object whose fast path is one replica short (see the module docs).
///
/// # Errors
/// As [`Epaxos::new`].
pub fn small_fast_quorum<S: Spec + Send + Sync + 'static>(
    spec: S,
    config: Config,
) -> Result<Epaxos<S>, RsmError>
where
    S::Op: Sync,
{
    Epaxos::build(spec, config, Build { small_fast_quorum: true, ..Build::CORRECT })
}

/// An object whose replicas execute a component unsorted (see the module
/// docs).
///
/// # Errors
/// As [`Epaxos::new`].
pub fn unsorted_components<S: Spec + Send + Sync + 'static>(
    spec: S,
    config: Config,
) -> Result<Epaxos<S>, RsmError>
where
    S::Op: Sync,
{
    Epaxos::build(spec, config, Build { unsorted: true, ..Build::CORRECT })
}

/// An object whose recovery trusts the leader's home (see the module docs).
///
/// # Errors
/// As [`Epaxos::new`].
pub fn trusting_the_home<S: Spec + Send + Sync + 'static>(
    spec: S,
    config: Config,
) -> Result<Epaxos<S>, RsmError>
where
    S::Op: Sync,
{
    Epaxos::build(spec, config, Build { rule2: Rule2::TrustingTheHome, ..Build::CORRECT })
}

/// An object whose recovery takes the optimized rule 2's count without
/// TryPreAccept (see the module docs).
///
/// # Errors
/// As [`Epaxos::new`].
pub fn optimized_rule_2<S: Spec + Send + Sync + 'static>(
    spec: S,
    config: Config,
) -> Result<Epaxos<S>, RsmError>
where
    S::Op: Sync,
{
    Epaxos::build(spec, config, Build { rule2: Rule2::Optimized, ..Build::CORRECT })
}
