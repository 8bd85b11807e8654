//! The wait-free protocols allocate nothing inside `decide` (nor inside a
//! proposer handle's `decide`): a counting global
//! allocator (counting on the calling thread only, so parallel tests do not
//! interfere) sees zero allocations across many decisions.

#![cfg(not(loom))] // real threads and real atomics; the loom suite is loom-tests/

use consensus_lab::consensus::protocol::Params;
use consensus_lab::registry::PROTOCOLS;
use consensus_lab::{Consensus, Progress, Proposals};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; the only
// addition is a thread-local counter, whose const-initialized storage needs no
// allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller upholds `alloc`'s contract; we pass it on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn wait_free_decisions_do_not_allocate() {
    let mut checked = Vec::new();
    for e in PROTOCOLS.iter().filter(|e| e.info().broken.is_none()) {
        let threads = e.info().loom.iter().map(|m| m.threads()).max().unwrap_or(1);
        let params = Params::threads(threads);
        let instances: Vec<_> = (0..200)
            .map(|_| e.build(&params).map(Proposals::<u64, _>::new))
            .collect::<Result<_, _>>()
            .unwrap();
        if !matches!(instances[0].ids().progress(), Progress::WaitFree { .. }) {
            continue;
        }
        let before = allocations();
        for (i, slot) in instances.iter().enumerate() {
            for t in 0..threads {
                // Ids in turn, each deciding once: every thread's code path runs.
                assert!(slot.decide((t + i) % threads, t as u64).is_ok());
            }
        }
        let during = allocations() - before;
        assert_eq!(
            during,
            0,
            "{} allocated {during} times in {} decisions",
            e.info().name,
            200 * threads
        );
        // The same through proposer handles (handed out, and allocated, before).
        let mut instances: Vec<_> = (0..200)
            .map(|_| e.build(&params).map(Proposals::<u64, _>::new))
            .collect::<Result<_, _>>()
            .unwrap();
        let handles: Vec<_> =
            instances.iter_mut().map(|p| p.proposers().unwrap()).collect::<Vec<_>>();
        let before = allocations();
        for hs in handles {
            for h in hs {
                let t = h.id() as u64;
                assert!(h.decide(t).is_ok());
            }
        }
        let during = allocations() - before;
        assert_eq!(during, 0, "{} allocated {during} times through handles", e.info().name);
        checked.push(e.info().name);
    }
    // The check must have covered the wait-free protocols.
    for name in [
        "cas",
        "test-and-set",
        "swap",
        "fetch-and-add",
        "assignment-2",
        "assignment-3",
        "assignment-3-groups",
    ] {
        assert!(checked.contains(&name), "{name} was not checked: {checked:?}");
    }
}

#[test]
fn the_counter_counts() {
    let before = allocations();
    let v = std::hint::black_box(vec![1u8; 100]);
    assert!(allocations() > before);
    drop(v);
}
