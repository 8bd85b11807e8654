//! Zab broken on purpose, each kept with the model that catches it
//! (`check::replicated::zab`).
//!
//! * [`lowest_history`]: a new leader adopts the *lowest* history of its
//!   discovery majority instead of the highest: a leader elected without
//!   the highest zxid. A transaction committed by a majority that this
//!   leader's answerer missed (its leader crashed before publishing the
//!   commit, or published it after the new leader last delivered) is
//!   replaced by the new leader's own proposal: a committed transaction
//!   lost, and two transactions committed at one slot.
//! * [`accepting_old_epochs`]: followers that skip the epoch fence (accept
//!   a write, and a NEWEPOCH, from any epoch). An old leader that has not
//!   noticed the new one keeps overwriting the followers the new leader
//!   synchronised, and commits a different transaction at a slot the new
//!   leader committed.
//! * [`committing_before_quorum`]: the leader commits (delivers, then
//!   publishes) a proposal once a majority *minus one* acknowledged it (one
//!   follower of 3). A leader that crashes before publishing, or a replica
//!   that delivered it, leaves a committed transaction that the next
//!   epoch's discovery majority need not contain: the new leader's history
//!   misses it and its own proposal takes the slot (agreement and primary
//!   integrity are violated; the ghost record also sees two transactions
//!   committed at one slot).
//!
//! The broken logs are audited ([`Zab::audited`]): the models check Zab's
//! properties on them.

use super::{Build, Election, Zab};
use crate::objects::Spec;
use crate::rsm::multi_paxos::Config;
use crate::rsm::RsmError;

/// A log whose new leaders adopt the lowest history they discover.
///
/// # Errors
/// As [`Zab::new`].
pub fn lowest_history<S>(spec: S, config: Config) -> Result<Zab<S>, RsmError>
where
    S: Spec + Send + Sync + 'static,
    S::Op: Sync,
{
    Zab::build(spec, config, Build { election: Election::Lowest, audited: true, ..Build::CORRECT })
}

/// A log whose followers accept writes from old epochs.
///
/// # Errors
/// As [`Zab::new`].
pub fn accepting_old_epochs<S>(spec: S, config: Config) -> Result<Zab<S>, RsmError>
where
    S: Spec + Send + Sync + 'static,
    S::Op: Sync,
{
    Zab::build(spec, config, Build { unfenced: true, audited: true, ..Build::CORRECT })
}

/// A log whose leaders commit a proposal once fewer than a majority
/// acknowledged it.
///
/// # Errors
/// As [`Zab::new`].
pub fn committing_before_quorum<S>(spec: S, config: Config) -> Result<Zab<S>, RsmError>
where
    S: Spec + Send + Sync + 'static,
    S::Op: Sync,
{
    Zab::build(spec, config, Build { early_commit: true, audited: true, ..Build::CORRECT })
}
