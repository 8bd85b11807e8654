//! What the checker replays a history against: a [`Model`], whose step is a
//! predicate over (state, operation, return value).
//!
//! **Why `Cow`.** A step returns `Option<Cow<'_, State>>`: `None` rejects,
//! `Some(Cow::Borrowed(state))` accepts and leaves the state as it was (a
//! read), `Some(Cow::Owned(next))` accepts and moves to a new state (a write).
//! The checker keeps every state behind an `Rc`: a borrowed answer reuses the
//! parent's `Rc` (a reference count, no clone), and the memo entry for it
//! shares that allocation. So a read of a large map costs no copy of the map,
//! and a model author writes plain Rust with no reference counting in sight.
//! `Rc` and not `Arc`: one search runs on one thread (partitions run in
//! parallel, but each in a search of its own), so the count need not be atomic.

use crate::objects::Spec;
use std::borrow::Cow;
use std::fmt::Debug;
use std::hash::Hash;

/// A sequential specification as a predicate.
///
/// `ret` is `None` for an operation that never returned (crashed, Jepsen's
/// `:info`): its result is unknown, so the model must accept it with whatever
/// it would have returned. A model may also accept a *partly* known `ret` (a
/// read whose value was lost, a set read that lists only some elements): the
/// predicate decides what matches.
///
/// Every [`Spec`] is a `Model` whose predicate is `==` on the return value.
pub trait Model {
    /// The abstract state (hashed and compared by the memo).
    type State: Clone + Eq + Hash + Debug;
    /// An operation with its arguments.
    type Op: Clone + Debug;
    /// What an operation returned.
    type Ret: Clone + Debug;

    /// The initial state.
    fn init(&self) -> Self::State;

    /// Whether `op` returning `ret` may run on `state`, and the state it
    /// leaves: `Cow::Borrowed(state)` if unchanged (no clone), `Cow::Owned` if
    /// changed, `None` if the step is impossible.
    fn accepts<'s>(
        &self,
        state: &'s Self::State,
        op: &Self::Op,
        ret: Option<&Self::Ret>,
    ) -> Option<Cow<'s, Self::State>>;

    /// The heap bytes `state` holds beyond its inline size, for the memory
    /// budget (an estimate is enough; the default, 0, suits plain values).
    fn heap_bytes(&self, state: &Self::State) -> usize {
        let _ = state;
        0
    }

    /// Every state `op` returning `ret` may leave (a non-deterministic model:
    /// a crashed `take` from a bag may have removed any element). The default
    /// is the one state of [`accepts`](Model::accepts); a non-deterministic
    /// model overrides this (and makes `accepts` return one of them).
    fn successors<'s>(
        &self,
        state: &'s Self::State,
        op: &Self::Op,
        ret: Option<&Self::Ret>,
        out: &mut Vec<Cow<'s, Self::State>>,
    ) {
        out.extend(self.accepts(state, op, ret));
    }
}

/// A [`Spec`] as a model: run `apply`, accept if the return is `==` to the
/// recorded one (anything, for a crashed operation). An unchanged state is
/// returned borrowed, so the search and the memo share it.
impl<S: Spec> Model for S {
    type State = S::State;
    type Op = S::Op;
    type Ret = S::Ret;

    fn init(&self) -> S::State {
        Spec::init(self)
    }

    fn accepts<'s>(
        &self,
        state: &'s S::State,
        op: &S::Op,
        ret: Option<&S::Ret>,
    ) -> Option<Cow<'s, S::State>> {
        let (next, r) = self.apply(state, op);
        if ret.is_some_and(|want| *want != r) {
            return None;
        }
        Some(if next == *state { Cow::Borrowed(state) } else { Cow::Owned(next) })
    }
}
