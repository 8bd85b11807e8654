//! Sequential specifications with no hardware object behind them: the stack
//! and a small key-value map. They are not in Herlihy's table; the
//! replicated-state-machine layer (`rsm`) makes them concurrent objects.

use super::{Footprint, Spec};
use std::collections::BTreeMap;

/// The stack's operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StackOp {
    /// Pushes a value; returns `None`.
    Push(usize),
    /// Removes the newest value; returns it, or `None` if empty.
    Pop,
}

/// A LIFO stack of `usize`, empty at first.
#[derive(Clone, Copy, Debug, Default)]
pub struct StackSpec;

impl Spec for StackSpec {
    type State = Vec<usize>;
    type Op = StackOp;
    type Ret = Option<usize>;

    fn init(&self) -> Vec<usize> {
        Vec::new()
    }

    fn apply(&self, s: &Vec<usize>, op: &StackOp) -> (Vec<usize>, Option<usize>) {
        let mut s = s.clone();
        let r = match *op {
            StackOp::Push(v) => {
                s.push(v);
                None
            }
            StackOp::Pop => s.pop(),
        };
        (s, r)
    }
}

/// The key-value map's operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KvOp {
    /// Returns the key's value, `None` if absent.
    Get(usize),
    /// Sets the key's value; returns the previous one.
    Put(usize, usize),
    /// Removes the key; returns the value it had.
    Remove(usize),
}

impl KvOp {
    /// The key the operation touches.
    pub fn key(&self) -> usize {
        match *self {
            KvOp::Get(k) | KvOp::Put(k, _) | KvOp::Remove(k) => k,
        }
    }

    /// Whether it writes (two operations on one key conflict when one writes).
    pub fn writes(&self) -> bool {
        !matches!(self, KvOp::Get(_))
    }
}

/// A map from `usize` keys to `usize` values, empty at first.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvSpec;

impl Spec for KvSpec {
    type State = BTreeMap<usize, usize>;
    type Op = KvOp;
    type Ret = Option<usize>;

    fn init(&self) -> BTreeMap<usize, usize> {
        BTreeMap::new()
    }

    fn apply(
        &self,
        s: &BTreeMap<usize, usize>,
        op: &KvOp,
    ) -> (BTreeMap<usize, usize>, Option<usize>) {
        match *op {
            KvOp::Get(k) => (s.clone(), s.get(&k).copied()),
            KvOp::Put(k, v) => {
                let mut s = s.clone();
                let old = s.insert(k, v);
                (s, old)
            }
            KvOp::Remove(k) => {
                let mut s = s.clone();
                let old = s.remove(&k);
                (s, old)
            }
        }
    }

    fn read_only(&self, op: &KvOp) -> bool {
        !op.writes()
    }

    /// Keys are independent: operations on different keys commute.
    fn footprint(&self, op: &KvOp) -> Footprint {
        Footprint { key: op.key() as u64, writes: op.writes() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stack_is_last_in_first_out() {
        let spec = StackSpec;
        let (s, r) = spec.apply(&spec.init(), &StackOp::Push(1));
        assert_eq!(r, None);
        let (s, _) = spec.apply(&s, &StackOp::Push(2));
        let (s, r) = spec.apply(&s, &StackOp::Pop);
        assert_eq!(r, Some(2));
        let (s, r) = spec.apply(&s, &StackOp::Pop);
        assert_eq!(r, Some(1));
        assert_eq!(spec.apply(&s, &StackOp::Pop).1, None);
    }

    /// Every operation a spec calls read-only leaves the state as it was,
    /// and every one it does not changes some state (so leader reads, which
    /// skip the log for the first kind, never skip a write).
    fn reads_are_exactly_the_read_only<S: Spec>(spec: &S, states: &[S::State], ops: &[S::Op]) {
        for op in ops {
            let unchanged = states.iter().all(|s| spec.apply(s, op).0 == *s);
            assert_eq!(spec.read_only(op), unchanged, "{op:?}");
        }
    }

    #[test]
    fn read_only_operations_are_the_ones_that_change_nothing() {
        use crate::objects::register::{RegisterOp, RegisterSpec};
        use crate::objects::rmw::{CasOp, CasSpec, TasOp, TasSpec, WordOp, WordSpec};
        let kv = KvSpec;
        let one = kv.apply(&kv.init(), &KvOp::Put(1, 10)).0;
        let ops = [KvOp::Get(1), KvOp::Put(1, 11), KvOp::Remove(1)];
        reads_are_exactly_the_read_only(&kv, &[kv.init(), one], &ops);
        let counter = WordSpec { add: true, init: 0 };
        reads_are_exactly_the_read_only(&counter, &[0, 5], &[WordOp::Read, WordOp::Rmw(1)]);
        let reg = RegisterSpec { init: 0 };
        reads_are_exactly_the_read_only(&reg, &[0, 3], &[RegisterOp::Read, RegisterOp::Write(4)]);
        reads_are_exactly_the_read_only(&TasSpec, &[false], &[TasOp::Read, TasOp::TestAndSet]);
        let cas = CasSpec { init: 0 };
        let ops = [CasOp::Read, CasOp::Cas { expected: 0, new: 1 }];
        reads_are_exactly_the_read_only(&cas, &[0, 1], &ops);
        assert!(!StackSpec.read_only(&StackOp::Pop), "the default orders every operation");
    }

    /// Every two operations a spec says do not conflict commute from every
    /// state given: the same state and the same returns in either order (the
    /// promise EPaxos's ordering relies on).
    fn non_conflicting_operations_commute<S: Spec>(spec: &S, states: &[S::State], ops: &[S::Op]) {
        let mut pairs = 0;
        for a in ops {
            for b in ops {
                if spec.conflicts(a, b) {
                    continue;
                }
                pairs += 1;
                for s in states {
                    let (sa, ra) = spec.apply(s, a);
                    let (sab, rb_after_a) = spec.apply(&sa, b);
                    let (sb, rb) = spec.apply(s, b);
                    let (sba, ra_after_b) = spec.apply(&sb, a);
                    assert_eq!(sab, sba, "{a:?} and {b:?} leave different states");
                    assert_eq!((ra, rb), (ra_after_b, rb_after_a), "{a:?}, {b:?} from {s:?}");
                }
            }
        }
        assert!(pairs > 0, "no pair tested");
    }

    #[test]
    fn operations_that_do_not_conflict_commute() {
        use crate::objects::rmw::{WordOp, WordSpec};
        let kv = KvSpec;
        let one = kv.apply(&kv.init(), &KvOp::Put(1, 10)).0;
        let both = kv.apply(&one, &KvOp::Put(2, 20)).0;
        let ops = [
            KvOp::Get(1),
            KvOp::Put(1, 11),
            KvOp::Remove(1),
            KvOp::Get(2),
            KvOp::Put(2, 21),
            KvOp::Remove(2),
        ];
        non_conflicting_operations_commute(&kv, &[kv.init(), one, both], &ops);
        assert!(kv.conflicts(&KvOp::Get(1), &KvOp::Put(1, 3)));
        assert!(!kv.conflicts(&KvOp::Get(1), &KvOp::Get(1)));
        assert!(!kv.conflicts(&KvOp::Put(1, 3), &KvOp::Put(2, 3)));
        // The default: one key, only reads commute.
        let counter = WordSpec { add: true, init: 0 };
        non_conflicting_operations_commute(&counter, &[0, 5], &[WordOp::Read, WordOp::Rmw(1)]);
        assert!(counter.conflicts(&WordOp::Rmw(1), &WordOp::Rmw(2)));
        assert!(StackSpec.conflicts(&StackOp::Pop, &StackOp::Pop));
    }

    #[test]
    fn the_map_returns_previous_values() {
        let spec = KvSpec;
        let (s, r) = spec.apply(&spec.init(), &KvOp::Put(3, 30));
        assert_eq!(r, None);
        let (s, r) = spec.apply(&s, &KvOp::Put(3, 31));
        assert_eq!(r, Some(30));
        assert_eq!(spec.apply(&s, &KvOp::Get(3)).1, Some(31));
        assert_eq!(spec.apply(&s, &KvOp::Get(4)).1, None);
        let (s, r) = spec.apply(&s, &KvOp::Remove(3));
        assert_eq!(r, Some(31));
        assert!(s.is_empty());
        assert!(KvOp::Put(1, 2).writes() && !KvOp::Get(1).writes());
        assert_eq!(KvOp::Remove(9).key(), 9);
    }
}
