//! Criterion: Herlihy's universal construction (queue and counter; the
//! helping rule and none; CAS slots, and test&set slots at 2 threads at most)
//! beside `Mutex<VecDeque>`, crossbeam's `SegQueue` and `ArrayQueue` and a
//! bare `fetch_add`, at 1, 2 and 4 threads. The workloads are
//! `consensus_lab::bench::universal`'s, the same ones `conlab bench
//! universal` runs: threads in lockstep every 64 operations, objects built
//! outside the timed region, no history clock. Throughput is in operations
//! (all threads together); one criterion iteration is one operation per
//! thread.
//!
//! `cargo bench -p consensus-lab --bench universal` (add `-- queue/` to filter). Thread counts
//! above the core count are oversubscribed and labelled so in the group name
//! (4 threads on a 2-core machine).

#[cfg(not(loom))]
mod benches {
    use consensus_lab::bench::universal::Workload;
    use criterion::{BenchmarkId, Criterion, Throughput};
    use std::time::Duration;

    fn label(t: usize) -> String {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if t > cores {
            format!("{t}-threads-oversubscribed-{cores}-cores")
        } else {
            format!("{t}-threads")
        }
    }

    pub(crate) fn universal(c: &mut Criterion) {
        for t in [1, 2, 4] {
            let mut g = c.benchmark_group(format!("universal/{}", label(t)));
            g.warm_up_time(Duration::from_millis(300));
            g.measurement_time(Duration::from_secs(1));
            g.sample_size(20);
            g.throughput(Throughput::Elements(t as u64));
            for w in Workload::all().into_iter().filter(|w| w.max_threads().is_none_or(|m| t <= m))
            {
                g.bench_function(BenchmarkId::from_parameter(w.name()), |b| {
                    b.iter_custom(|iters| w.time(t, iters as usize, 64).expect("workload runs"))
                });
            }
            g.finish();
        }
    }
}

// criterion_group! defines a `pub fn universal` it gives no doc comment.
#[cfg(not(loom))]
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(universal, super::benches::universal);
}
#[cfg(not(loom))]
use group::universal;
#[cfg(not(loom))]
criterion::criterion_main!(universal);

#[cfg(loom)]
fn main() {}
