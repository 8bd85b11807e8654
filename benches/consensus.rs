//! Criterion: every registered protocol deciding fresh, pre-allocated instances
//! alone (1 thread, uncontended). The instances are allocated outside the timed
//! region by the shared workload in `consensus_lab::bench`; throughput is in
//! decisions. Contended workloads and the primitive comparison come with the
//! benchmarks issue and are read from the same registry.
//!
//! `cargo bench --bench consensus` (add `-- cas` to filter).

#[cfg(not(loom))]
mod benches {
    use consensus_lab::registry::PROTOCOLS;
    use criterion::{BenchmarkId, Criterion, Throughput};
    use std::time::Duration;

    pub fn uncontended(c: &mut Criterion) {
        let mut group = c.benchmark_group("uncontended-fresh-instance");
        group.throughput(Throughput::Elements(1));
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(2));
        for entry in PROTOCOLS.iter().filter(|e| e.info().broken.is_none()) {
            group.bench_function(BenchmarkId::from_parameter(entry.info().name), |b| {
                b.iter_custom(|iters| {
                    let n = usize::try_from(iters).expect("iteration count fits usize");
                    entry.time_uncontended(n).expect("a correct protocol decides")
                })
            });
        }
        group.finish();
    }
}

#[cfg(not(loom))]
criterion::criterion_group!(consensus, benches::uncontended);
#[cfg(not(loom))]
criterion::criterion_main!(consensus);

#[cfg(loom)]
fn main() {}
