//! A replicated object's run counters: each client counts in a plain struct
//! of its own (no shared write on the hot path), and adds it to the
//! object's sum when it is dropped; the object reports the sum.
//!
//! Real cores only: in loom and shuttle models the sum stays empty (the
//! lock would be steps the checker explores, for counters), and the object
//! reports zeros. Progress: blocking (one mutex, taken once per client and
//! per report).

/// A set of counters that adds up field by field.
pub(crate) trait Counts: Copy + Default {
    /// Adds `other`'s counters to these.
    #[cfg_attr(any(loom, shuttle), allow(dead_code))] // models keep no sum
    fn add(&mut self, other: &Self);
}

/// The sum of the dropped clients' counters.
#[derive(Debug, Default)]
pub(crate) struct Tally<T> {
    #[cfg(not(any(loom, shuttle)))]
    sum: crate::sync::StdMutex<T>,
    #[cfg(any(loom, shuttle))]
    sum: std::marker::PhantomData<T>,
}

impl<T: Counts> Tally<T> {
    /// Adds one client's counters (its `Drop`).
    pub(crate) fn add(&self, counts: &T) {
        #[cfg(not(any(loom, shuttle)))]
        self.lock().add(counts);
        #[cfg(any(loom, shuttle))]
        let _ = counts;
    }

    /// The sum so far (every client dropped: the run's).
    pub(crate) fn get(&self) -> T {
        #[cfg(not(any(loom, shuttle)))]
        return *self.lock();
        #[cfg(any(loom, shuttle))]
        return T::default();
    }

    #[cfg(not(any(loom, shuttle)))]
    fn lock(&self) -> crate::sync::StdMutexGuard<'_, T> {
        // A poisoned sum is a panicked client's: its counters are still sums.
        self.sum.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, Default, PartialEq)]
    struct Two {
        a: u64,
        b: u64,
    }

    impl Counts for Two {
        fn add(&mut self, o: &Self) {
            self.a += o.a;
            self.b += o.b;
        }
    }

    #[test]
    fn clients_counters_add_up() {
        let t = Tally::<Two>::default();
        t.add(&Two { a: 1, b: 2 });
        t.add(&Two { a: 10, b: 0 });
        assert_eq!(t.get(), Two { a: 11, b: 2 });
    }
}
