//! Criterion: every registered protocol deciding fresh, pre-allocated
//! instances (through `Consensus::decide` and through proposer handles), alone
//! and with N threads racing on each (threads started outside
//! the timed region and released together by a spinning barrier); the baselines
//! a user would pick instead; and the atomic primitives on a shared line and on
//! padded lines. The workloads are `consensus_lab::bench`'s, the same ones
//! `conlab bench` runs. Throughput is in decisions (or operations).
//!
//! `cargo bench --bench consensus` (add `-- cas` to filter). Short measurement
//! times keep the whole suite to a few minutes on 2 cores; thread counts above
//! the core count are oversubscribed and labelled so in the group name.

#[cfg(not(loom))]
mod benches {
    use consensus_lab::bench::primitives::{self, Layout, Primitive};
    use consensus_lab::bench::{baselines::BASELINES, time_entry, Group, Path};
    use consensus_lab::consensus::protocol::Params;
    use consensus_lab::registry::PROTOCOLS;
    use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};
    use std::time::Duration;

    fn threads() -> Vec<usize> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut t = vec![1, 2, cores.max(2) * 2];
        t.dedup();
        t
    }

    fn label(t: usize) -> String {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if t > cores {
            format!("{t}-threads-oversubscribed-{cores}-cores")
        } else {
            format!("{t}-threads")
        }
    }

    fn short<M: criterion::measurement::Measurement>(g: &mut BenchmarkGroup<'_, M>) {
        g.warm_up_time(Duration::from_millis(300));
        g.measurement_time(Duration::from_secs(1));
        g.sample_size(20);
    }

    pub(crate) fn protocols(c: &mut Criterion) {
        for t in threads() {
            let mut g = c.benchmark_group(format!("decide/{}", label(t)));
            short(&mut g);
            g.throughput(Throughput::Elements(t as u64));
            for b in BASELINES.iter().filter(|b| b.max_threads.is_none_or(|m| t <= m)) {
                g.bench_function(BenchmarkId::new(Group::Baseline.name(), b.name), |bench| {
                    bench.iter_custom(|iters| {
                        (b.time)(t, iters as usize, 64).expect("baseline runs")
                    })
                });
            }
            for e in PROTOCOLS.iter().filter(|e| e.info().broken.is_none()) {
                let params = Params::threads(t);
                if e.check(&params).is_err() {
                    continue;
                }
                for path in Path::ALL {
                    let id = BenchmarkId::new(Group::Protocol(path).name(), e.info().name);
                    g.bench_function(id, |bench| {
                        bench.iter_custom(|iters| {
                            time_entry(*e, &params, path, iters as usize, 64)
                                .expect("a correct protocol decides")
                        })
                    });
                }
            }
            g.finish();
        }
    }

    pub(crate) fn primitives(c: &mut Criterion) {
        for t in threads() {
            for layout in Layout::ALL {
                // Criterion's group names, kept as they were (saved baselines
                // still compare): `conlab bench` calls these primitive/shared
                // and primitive/padded.
                let layout_name = match layout {
                    Layout::Shared => "shared-line",
                    Layout::Padded => "padded-lines",
                };
                let mut g = c.benchmark_group(format!("primitive/{layout_name}/{}", label(t)));
                short(&mut g);
                // One iteration: every thread applies the primitive once.
                g.throughput(Throughput::Elements(t as u64));
                for p in Primitive::ALL {
                    g.bench_function(p.name(), |bench| {
                        bench.iter_custom(|iters| {
                            primitives::time(p, t, iters as usize, layout).expect("primitive runs")
                        })
                    });
                }
                g.finish();
            }
        }
    }
}

// criterion_group! defines a `pub fn consensus` it gives no doc comment.
#[cfg(not(loom))]
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(consensus, super::benches::protocols, super::benches::primitives);
}
#[cfg(not(loom))]
use group::consensus;
#[cfg(not(loom))]
criterion::criterion_main!(consensus);

#[cfg(loom)]
fn main() {}
