//! Criterion: the replicated logs' stable-leader command path, Multi-Paxos
//! over 3 packed acceptors (group `multi-paxos`) and Zab over 3 follower
//! regions (group `zab`), at 1 and 2 clients. The workload is
//! `consensus_lab::bench::log::stable_leader`, the one `conlab bench
//! multi-paxos` and `conlab bench zab` run: one fresh log per batch of at
//! most 100,000 commands, built outside the timed region; the first command
//! of each log claims term (epoch) 1 and recovers (phase 1; discovery and
//! synchronisation) before the clock, every later one is one write per
//! replica of a majority (an accept; a follower region write) plus the
//! publishing compare&swap. One criterion iteration is one command, all
//! clients together (at N clients: the wall time of all clients over all
//! their commands, scaled to the iterations as `conlab bench` scales its
//! fillers: `consensus_lab::bench::run::iterations`, for every group).
//!
//! Group `epaxos`: EPaxos over 5 replica regions on the key-value conflict
//! workload of `consensus_lab::bench::epaxos` (the one `conlab bench epaxos`
//! runs: puts, each on the shared key with probability `conflict`, else on
//! its client's own key), at 1 and 2 clients and conflict rates 0 and 1.0;
//! one fresh object per batch of at most 100,000 commands, built outside
//! the timed region; one iteration is one command, all clients together.
//!
//! `cargo bench -p consensus-lab --bench log` (add `-- zab/` or `-- epaxos/`
//! to filter).
//! Client counts above the core count are oversubscribed and labelled so in
//! the benchmark's name.

#[cfg(not(loom))]
mod benches {
    use consensus_lab::bench::epaxos::{self, Kv};
    use consensus_lab::bench::log::{stable_leader, Log};
    use consensus_lab::bench::run::iterations;
    use criterion::measurement::WallTime;
    use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};
    use std::time::Duration;

    /// Most commands on one log (its slots are allocated up front).
    pub(crate) const CHUNK: u64 = 100_000;

    fn label(clients: usize) -> String {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let s = if clients == 1 { "" } else { "s" };
        if clients > cores {
            format!("{clients}-client{s}-oversubscribed-{cores}-cores")
        } else {
            format!("{clients}-client{s}")
        }
    }

    /// A group of one-command iterations, configured alike for every log.
    fn group<'c>(c: &'c mut Criterion, name: &str) -> BenchmarkGroup<'c, WallTime> {
        let mut g = c.benchmark_group(name);
        g.warm_up_time(Duration::from_millis(300));
        g.measurement_time(Duration::from_secs(2));
        g.sample_size(20);
        g.throughput(Throughput::Elements(1));
        g
    }

    pub(crate) fn logs(c: &mut Criterion) {
        for log in Log::ALL {
            let mut g = group(c, log.name());
            for clients in [1, 2] {
                let id = BenchmarkId::new("stable-leader", label(clients));
                g.bench_function(id, |b| {
                    b.iter_custom(|iters| {
                        iterations(iters, CHUNK, clients, |_, ops| {
                            let run = stable_leader(log, clients, ops).expect("a fault-free log");
                            (run.elapsed, run.commands)
                        })
                    })
                });
            }
            g.finish();
        }
    }

    pub(crate) fn epaxos(c: &mut Criterion) {
        let mut g = group(c, "epaxos");
        for conflict in [0.0, 1.0] {
            for clients in [1, 2] {
                let id = BenchmarkId::new(format!("conflict-{conflict}"), label(clients));
                g.bench_function(id, |b| {
                    b.iter_custom(|iters| {
                        iterations(iters, CHUNK, clients, |n, ops| {
                            let run = epaxos::run(Kv::Epaxos, clients, ops, conflict, n)
                                .expect("a fault-free object");
                            (run.elapsed, run.commands)
                        })
                    })
                });
            }
        }
        g.finish();
    }
}

// criterion_group! defines a `pub fn logs` it gives no doc comment.
#[cfg(not(loom))]
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(logs, super::benches::logs, super::benches::epaxos);
}
#[cfg(not(loom))]
use group::logs;
#[cfg(not(loom))]
criterion::criterion_main!(logs);

#[cfg(loom)]
fn main() {}
