//! Multi-Paxos's loom models, from the library's table
//! (`consensus_lab::check::replicated::multi_paxos`, where each model's
//! bound and cost are written), and the recovery rules of the exercise
//! "multi-paxos-recovery" that its check must refuse, each with its trace.
//! (A rule that ignores ballots, the first or the lowest-ballot report per
//! slot, is not refused: see `check::verify::verify_mp_recovery`.)

use consensus_lab::check::verify::verify_mp_recovery;
use consensus_lab::rsm::multi_paxos::entry::NOOP;
use consensus_lab::rsm::multi_paxos::{RecoveryRule, Report};
use libtest_mimic::Trial;

/// A no-op at every reported slot: what phase 1 said is ignored.
fn forget(from: usize, reports: &[Report]) -> Vec<u64> {
    let last = reports.iter().map(|r| r.slot + 1).max().unwrap_or(from);
    vec![NOOP; last.saturating_sub(from)]
}

/// Nothing re-proposed: the leader starts serving at once.
fn nothing(_: usize, _: &[Report]) -> Vec<u64> {
    Vec::new()
}

/// The trial that `rule` is refused with a trace.
fn refused(name: &'static str, rule: RecoveryRule) -> Trial {
    crate::refused::refused("multi-paxos-recovery", verify_mp_recovery, name, rule)
}

pub(crate) fn trials() -> Vec<Trial> {
    let mut trials = crate::table::trials(consensus_lab::check::replicated::multi_paxos::models());
    trials.push(refused("forget", forget));
    trials.push(refused("nothing", nothing));
    trials
}
