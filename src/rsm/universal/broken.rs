//! The universal construction broken on purpose, one rule at a time. Each is
//! kept only with the check that catches it (the loom suite's
//! `universal-*/counterexample` models and the tests below).
//!
//! | rule | what it breaks | caught by |
//! |---|---|---|
//! | [`Unhelped`] | claims wait-freedom without helping | the step bound: a client loses more than n + 1 cells |
//! | [`NoDuplicateCheck`] | helps an operation already applied, and replays duplicates | linearizability: an operation takes effect twice |
//! | [`EarlyReturn`] | reads the return value before its cell is decided | linearizability: the value belongs to another order |

use super::rules::{Helping, Rules, View};
use crate::rsm::OpId;

/// No helping, but the wait-free claim kept: a client can lose cell after
/// cell to faster clients, so the claimed n + 1 bound fails.
#[derive(Clone, Copy, Debug)]
pub struct Unhelped;

impl Rules for Unhelped {
    const NAME: &'static str = "universal-unhelped";
    const HELPS: bool = false;
    const WAIT_FREE: bool = true;

    fn propose(v: &View<'_>) -> OpId {
        v.mine
    }
}

/// The helping rule without its "still pending" test, and a replay that
/// applies every entry: a helper that read an old announcement proposes an
/// operation already in the log, and it takes effect a second time.
#[derive(Clone, Copy, Debug)]
pub struct NoDuplicateCheck;

impl Rules for NoDuplicateCheck {
    const NAME: &'static str = "universal-no-duplicate-check";
    const HELPS: bool = true;
    const WAIT_FREE: bool = true;
    const SKIP_DUPLICATES: bool = false;

    fn propose(v: &View<'_>) -> OpId {
        let h = v.cell % v.threads;
        if h == v.mine.client {
            return v.mine;
        }
        match (v.announced)(h) {
            0 => v.mine,
            seq => OpId { client: h, seq },
        }
    }
}

/// Helping as it should be, but the return value computed from the replica
/// at the moment the client proposes, as if its operation were to land in
/// the current cell: when another operation wins that cell first, the value
/// is the one of an order that did not happen.
#[derive(Clone, Copy, Debug)]
pub struct EarlyReturn;

impl Rules for EarlyReturn {
    const NAME: &'static str = "universal-early-return";
    const HELPS: bool = true;
    const WAIT_FREE: bool = true;
    const EARLY_RETURN: bool = true;

    fn propose(v: &View<'_>) -> OpId {
        Helping::propose(v)
    }
}
