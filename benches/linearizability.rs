//! Criterion: the linearizability checker on generated histories (simulated
//! objects, linearizable by construction, `check::linearizability::generate`)
//! of registers, CAS registers and key-value maps, with 2% of operations
//! crashed (never returned, may or may not have taken effect). Throughput is
//! in operations checked.
//!
//! `cargo bench --bench linearizability` (add `-- kv` to filter). Figures and
//! how they were taken: `docs/src/linearizability.md`.

#[cfg(not(loom))]
mod benches {
    use consensus_lab::check::linearizability::generate::{generate, Generate};
    use consensus_lab::check::linearizability::models::Kind;
    use consensus_lab::check::linearizability::Options;
    use criterion::{BenchmarkId, Criterion, Throughput};
    use std::time::Duration;

    /// (label, kind, processes, operations, keys, partitioned)
    const CASES: &[(&str, Kind, usize, usize, usize, bool)] = &[
        ("register", Kind::Register, 5, 2_000, 1, false),
        ("register", Kind::Register, 10, 2_000, 1, false),
        ("cas-register", Kind::CasRegister, 5, 2_000, 1, false),
        ("cas-register", Kind::CasRegister, 10, 2_000, 1, false),
        // Unpartitioned, the search interleaves every key with every other:
        // 10,000 operations take seconds and about a gigabyte of memo
        // (docs/src/linearizability.md), so that case is a tenth of the size.
        ("kv-20-keys", Kind::Kv, 10, 1_000, 20, false),
        ("kv-20-keys-partitioned", Kind::Kv, 10, 1_000, 20, true),
        ("kv-20-keys-partitioned", Kind::Kv, 10, 10_000, 20, true),
    ];

    pub(crate) fn checker(c: &mut Criterion) {
        let mut g = c.benchmark_group("linearizability");
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(3));
        g.sample_size(10);
        for &(label, kind, processes, ops, keys, partitioned) in CASES {
            let h = generate(&Generate { kind, processes, ops, keys, crash_percent: 2, seed: 7 });
            let options = Options::default();
            let verdict = kind.check(&h, partitioned, &options);
            assert!(verdict.is_linearizable(), "{label}: {verdict}");
            g.throughput(Throughput::Elements(h.ops.len() as u64));
            let id = BenchmarkId::new(label, format!("{processes}-processes-{ops}-ops"));
            g.bench_with_input(id, &h, |b, h| b.iter(|| kind.check(h, partitioned, &options)));
        }
        g.finish();
    }
}

// criterion_group! defines a `pub fn linearizability` it gives no doc comment.
#[cfg(not(loom))]
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(linearizability, super::benches::checker);
}
#[cfg(not(loom))]
use group::linearizability;
#[cfg(not(loom))]
criterion::criterion_main!(linearizability);

#[cfg(loom)]
fn main() {}
