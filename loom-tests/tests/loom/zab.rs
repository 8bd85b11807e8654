//! Zab's loom models, from the library's table
//! (`consensus_lab::check::replicated::zab`, where each model's bound
//! and cost are written), and the recovery rules of the exercise
//! "zab-recovery" that its check must refuse, each with its trace.

use consensus_lab::check::verify::verify_zab_recovery;
use consensus_lab::rsm::zab::follower::RegionState;
use consensus_lab::rsm::zab::RecoveryRule;
use libtest_mimic::Trial;

/// The first answer of the majority, whatever it holds.
fn first_answer(_: &[RegionState]) -> usize {
    0
}

/// The longest log.
fn longest_log(answers: &[RegionState]) -> usize {
    answers.iter().enumerate().max_by_key(|(_, s)| s.log.len()).map_or(0, |(i, _)| i)
}

/// The highest accepted epoch (a promise), then the last zxid.
fn highest_accepted(answers: &[RegionState]) -> usize {
    answers
        .iter()
        .enumerate()
        .max_by_key(|(_, s)| (s.accepted_epoch, s.last_zxid()))
        .map_or(0, |(i, _)| i)
}

/// The trial that `rule` is refused with a trace.
fn refused(name: &'static str, rule: RecoveryRule) -> Trial {
    crate::refused::refused("zab-recovery", verify_zab_recovery, name, rule)
}

pub(crate) fn trials() -> Vec<Trial> {
    let mut trials = crate::table::trials(consensus_lab::check::replicated::zab::models());
    trials.push(refused("first-answer", first_answer));
    trials.push(refused("longest-log", longest_log));
    trials.push(refused("highest-accepted-epoch", highest_accepted));
    trials
}
