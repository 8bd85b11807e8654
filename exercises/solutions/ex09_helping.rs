//! Reference solution of exercise 9: the rule of `consensus_lab::rsm::universal::Helping`.

use consensus_lab::rsm::universal::{Rules, View};
use consensus_lab::rsm::OpId;

/// Herlihy's helping rule.
#[derive(Clone, Copy, Debug)]
pub struct Helping;

impl Rules for Helping {
    const NAME: &'static str = "universal-helping (solution)";
    const HELPS: bool = true;
    const WAIT_FREE: bool = true;

    fn propose(view: &View<'_>) -> OpId {
        let helped = view.cell % view.threads;
        if helped == view.mine.client {
            return view.mine;
        }
        // One load of the helped client's announce register.
        let seq = (view.announced)(helped);
        // Pending: announced and not yet applied in the cells before this one
        // (proposing an applied one would decide it again: a wasted cell).
        if seq > view.applied[helped] {
            OpId { client: helped, seq }
        } else {
            view.mine
        }
    }
}
