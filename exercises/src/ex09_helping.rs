//! # Exercise 9 — `universal-helping`: write Herlihy's helping rule
//!
//! Consensus is universal: a log of consensus cells turns any sequential
//! object into a concurrent one (`consensus_lab::rsm::universal`). Each
//! client announces its operation, then takes part in the log's cells in
//! order until its operation is in the log. *Which* operation a client
//! proposes for a cell is the rule you write. Proposing always your own
//! operation is correct and lock-free, but not wait-free: a slow client can
//! lose every cell to faster ones, forever.
//!
//! Herlihy's answer is **helping**: cell `k` belongs to client `k mod n`.
//! Every client proposing for cell `k` proposes *that* client's announced
//! operation, if it is still pending, and its own otherwise. Then once a
//! client has announced, within n + 1 cells every proposer of "its" cell
//! proposes its operation, so the operation is decided whatever the others
//! do: **wait-free, n + 1 cells per operation**.
//!
//! Write [`Helping::propose`]. The [`View`] tells you the cell, the number of
//! clients, your own pending operation (`mine`), `applied[t]` (the last
//! sequence number of client `t` your replica has applied, in the cells
//! before this one) and `announced(t)` (reads client `t`'s announce register:
//! the sequence number of its latest operation, 0 if none). An announced
//! operation is pending when its sequence number is above `applied[t]`.
//!
//! `conlab exercise check universal-helping`: loom explores a counter of 2
//! clients × 2 increments and a queue of 3 clients × 1 operation, checking in
//! every execution that the history is linearizable, that the log agrees with
//! what every client was told and that no operation took part in more than
//! n + 1 cells; the rule must really help, reach the bound, and never
//! propose an operation already applied. Then real cores race 2 and 4
//! clients.

use consensus_lab::rsm::universal::{Rules, View};
use consensus_lab::rsm::OpId;

/// Your helping rule.
#[derive(Clone, Copy, Debug)]
pub struct Helping;

impl Rules for Helping {
    const NAME: &'static str = "universal-helping (exercise)";
    const HELPS: bool = true;
    const WAIT_FREE: bool = true;

    fn propose(view: &View<'_>) -> OpId {
        // TODO: the client this cell helps is `view.cell % view.threads`.
        // Propose its announced operation (`OpId { client, seq }`) if it is
        // still pending in your replica, else your own (`view.mine`).
        todo!("propose of the helping rule")
    }
}
