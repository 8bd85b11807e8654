//! Lowe's memo: the (set of linearized operations, state) pairs already
//! explored.
//!
//! A lookup builds nothing: the probe is a borrowed `(&[u64], &State)` seen
//! through the trait object `dyn View`, which `Key` also borrows as, so a pair
//! seen before costs a hash and a comparison, and no clone of the bitset or
//! the state. Only a new pair is stored: its bitset copied once, its state an
//! `Rc` shared with the search.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// A stored pair.
struct Key<S> {
    done: Box<[u64]>,
    state: Rc<S>,
}

/// A pair, stored or borrowed.
trait View<S> {
    fn done(&self) -> &[u64];
    fn state(&self) -> &S;
}

impl<S> View<S> for Key<S> {
    fn done(&self) -> &[u64] {
        &self.done
    }
    fn state(&self) -> &S {
        &self.state
    }
}

impl<S> View<S> for (&[u64], &S) {
    fn done(&self) -> &[u64] {
        self.0
    }
    fn state(&self) -> &S {
        self.1
    }
}

impl<S: Hash> Hash for dyn View<S> + '_ {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.done().hash(h);
        self.state().hash(h);
    }
}

impl<S: Eq> PartialEq for dyn View<S> + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.done() == other.done() && self.state() == other.state()
    }
}

impl<S: Eq> Eq for dyn View<S> + '_ {}

impl<'a, S: 'a> Borrow<dyn View<S> + 'a> for Key<S> {
    fn borrow(&self) -> &(dyn View<S> + 'a) {
        self
    }
}

impl<S: Hash> Hash for Key<S> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (self as &dyn View<S>).hash(h);
    }
}

impl<S: Eq> PartialEq for Key<S> {
    fn eq(&self, other: &Self) -> bool {
        (self as &dyn View<S>) == (other as &dyn View<S>)
    }
}

impl<S: Eq> Eq for Key<S> {}

/// The set of explored pairs.
pub(super) struct Memo<S> {
    seen: HashSet<Key<S>>,
    /// Heap bytes per stored entry, estimated: the bitset, the state's inline
    /// size and the `Rc`'s two counts (a state shared with its parent is
    /// counted again: an over-estimate).
    entry_bytes: usize,
    /// The heap data of the states stored, as the model estimates it.
    state_bytes: usize,
}

impl<S: Hash + Eq> Memo<S> {
    /// A memo for bitsets of `words` words.
    pub(super) fn new(words: usize) -> Self {
        let entry_bytes = words * 8 + std::mem::size_of::<S>() + 2 * std::mem::size_of::<usize>();
        Memo { seen: HashSet::new(), entry_bytes, state_bytes: 0 }
    }

    /// Records `(done, state)`; false if it was there already. `heap` is the
    /// state's heap data in bytes, counted if it is stored (`None`: it is
    /// shared with an entry already counted).
    pub(super) fn insert(
        &mut self,
        done: &[u64],
        state: &Rc<S>,
        heap: impl FnOnce() -> usize,
    ) -> bool {
        let probe = (done, &**state);
        if self.seen.contains(&probe as &dyn View<S>) {
            return false;
        }
        // A state shared with its parent (a read) is stored once: count its
        // heap data only for a state that nothing else holds yet.
        if Rc::strong_count(state) == 1 {
            self.state_bytes += heap();
        }
        self.seen.insert(Key { done: done.into(), state: Rc::clone(state) });
        true
    }

    /// Pairs stored.
    pub(super) fn len(&self) -> usize {
        self.seen.len()
    }

    /// An estimate of the memory the memo holds.
    pub(super) fn bytes(&self) -> usize {
        // The table's slots (one control byte each), then each entry's heap data.
        self.seen.capacity() * (std::mem::size_of::<Key<S>>() + 1)
            + self.seen.len() * self.entry_bytes
            + self.state_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_stored_once() {
        let mut m = Memo::new(1);
        let s = Rc::new(5u32);
        assert!(m.insert(&[1], &s, || 100));
        assert!(!m.insert(&[1], &Rc::new(5), || 100));
        assert!(m.insert(&[3], &s, || 100));
        assert!(m.insert(&[1], &Rc::new(6), || 100));
        assert_eq!(m.len(), 3);
        // `s` counted once (the second time it was shared), the 6 once.
        assert!(m.bytes() >= 200 + 3 * 8);
    }
}
