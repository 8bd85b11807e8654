//! Criterion: the Multi-Paxos stable-leader command path, 1 client, 3 packed
//! acceptors. The workload is `consensus_lab::bench::multi_paxos::stable_leader`,
//! the one `conlab bench multi-paxos` runs: one fresh log per batch of at most
//! 100,000 commands, built outside the timed region; the first command of
//! each log claims term 1 and runs phase 1, every later one is one accept per
//! acceptor of a majority plus the publishing compare&swap. One criterion
//! iteration is one command (`submit` call to return).
//!
//! `cargo bench -p consensus-lab --bench multi_paxos`.

#[cfg(not(loom))]
mod benches {
    use consensus_lab::bench::multi_paxos::stable_leader;
    use criterion::{Criterion, Throughput};
    use std::time::Duration;

    /// Most commands on one log (its slots are allocated up front).
    pub(crate) const CHUNK: u64 = 100_000;

    pub(crate) fn multi_paxos(c: &mut Criterion) {
        let mut g = c.benchmark_group("multi-paxos");
        g.warm_up_time(Duration::from_millis(300));
        g.measurement_time(Duration::from_secs(2));
        g.sample_size(20);
        g.throughput(Throughput::Elements(1));
        g.bench_function("stable-leader/1-client", |b| {
            b.iter_custom(|iters| {
                let mut left = iters;
                let mut total = Duration::ZERO;
                while left > 0 {
                    let n = left.min(CHUNK);
                    left -= n;
                    total += stable_leader(1, n as usize).expect("a fault-free log").elapsed;
                }
                total
            })
        });
        g.finish();
    }
}

// criterion_group! defines a `pub fn multi_paxos` it gives no doc comment.
#[cfg(not(loom))]
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(multi_paxos, super::benches::multi_paxos);
}
#[cfg(not(loom))]
use group::multi_paxos;
#[cfg(not(loom))]
criterion::criterion_main!(multi_paxos);

#[cfg(loom)]
fn main() {}
