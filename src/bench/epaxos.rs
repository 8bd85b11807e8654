//! EPaxos beside Multi-Paxos on one key-value workload at the conflict
//! rates of the EPaxos paper (`conlab bench epaxos` and `benches/log.rs`'s
//! `epaxos` group): commands per second, latency, region operations per
//! command and the fast-path share.
//!
//! EPaxos is leaderless, so the stable-leader workload of [`log`](super::log)
//! (its [`BenchLog`](super::log::BenchLog) trait: a counter log, leaders,
//! failover) does not fit it: here both objects are the key-value map
//! ([`KvSpec`]) and the figures are per command, whoever leads it.
//!
//! **The workload** ([`mix`]): every command is a put; with probability
//! `conflict` it writes the hot key ([`HOT_KEY`]), else a key of its own
//! client ([`private_key`](workload::private_key)), so `conflict` is the
//! probability that a command conflicts with every other client's hot-key
//! commands (the paper's workload: writes only, so a rate means what it
//! says). The keys are those of the workload's conflict-rate mix
//! (`--conflict`, [`workload::operations_mixed`] with [`Mix::Conflict`]:
//! drawn from a seed before the clock, one generator per client), each
//! operation made a put of its value.
//!
//! **What is measured** ([`run`]): `clients` threads each submit their `ops`
//! puts to one fresh object, all starting together at a barrier; the wall
//! time from the barrier to the last client's end over all commands is "ns
//! per command", each submit is timed on its own (HdrHistogram: p50, p99).
//! * [`Kv::Epaxos`]: [`REPLICAS`] replica regions (fast quorum 3 of 5),
//!   every client its own command leader; the object's counters give the
//!   fast-path share and the region operations (pre-accepts and accepts)
//!   per command. Its config comes from
//!   `workload::epaxos_config`.
//! * [`Kv::MultiPaxos`]: [`REPLICAS`] packed acceptors
//!   ([`PackedMulti`]), one leader serving every client (the log's
//!   commands in one order, whatever the rate); client 0 claims term 1 with
//!   one warm-up command before the clock, a client that is done keeps
//!   submitting its own puts again (fillers, counted) until every client is
//!   done, as in [`log::stable_leader`](super::log::stable_leader), and the
//!   detector's timeout is [`STABLE_TIMEOUT`] so the leader stays. Region
//!   operations per command: its successful accepts.
//!
//! Both run the clients' loop of [`bench::run`](super::run) ([`race_clients`]).
//!
//! No check runs here (the judged runs are `conlab rsm --impl epaxos` and
//! the loom and shuttle models); no clock stamps are taken.

use super::log::{capacity, FILLERS, STABLE_TIMEOUT};
use super::run::{race_clients, Timed};
use crate::check::replicated::workload::{self, value, Mix, HOT_KEY};
use crate::objects::sequential::{KvOp, KvSpec};
use crate::paxos::FaultPlan;
use crate::rsm::epaxos::{Epaxos, EpaxosTotals};
use crate::rsm::multi_paxos::{Config, MultiPaxos, PackedMulti, Reads, Timeout};
use crate::rsm::RsmError;
use hdrhistogram::Histogram;
use std::time::Duration;

/// Replicas of both objects (F = 2: EPaxos's fast quorum is 3, its
/// majority 3; Multi-Paxos's majority 3).
pub const REPLICAS: usize = 5;

/// The conflict rates of the EPaxos paper's comparison: 0 %, 2 %, 25 %,
/// 100 %.
pub const CONFLICTS: [f64; 4] = [0.0, 0.02, 0.25, 1.0];

/// Most commands one run may ask for (every client's row is allocated up
/// front).
pub const MAX_COMMANDS: usize = workload::MAX_OPS;

/// Which object a run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kv {
    /// EPaxos over [`REPLICAS`] replica regions.
    Epaxos,
    /// Multi-Paxos over [`REPLICAS`] packed acceptors.
    MultiPaxos,
}

impl Kv {
    /// Both, in the order the tables show them.
    pub const ALL: [Kv; 2] = [Kv::Epaxos, Kv::MultiPaxos];

    /// Its name in every output.
    pub const fn name(self) -> &'static str {
        match self {
            Kv::Epaxos => "epaxos",
            Kv::MultiPaxos => "multi-paxos",
        }
    }
}

impl std::fmt::Display for Kv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One run.
#[derive(Debug)]
pub struct KvRun {
    /// The object measured.
    pub kv: Kv,
    /// The conflict rate.
    pub conflict: f64,
    /// Wall time, barrier to the last client's end.
    pub elapsed: Duration,
    /// Commands submitted, all clients together (Multi-Paxos's fillers
    /// included).
    pub commands: usize,
    /// Each submit's wall time, nanoseconds
    /// ([`Latency::histogram`](crate::check::replicated::stress::Latency::histogram)).
    pub latency: Histogram<u64>,
    /// Commands served (EPaxos: committed by their leaders; Multi-Paxos: by
    /// its leader, the warm-up included).
    pub served: u64,
    /// Region operations on the command path: EPaxos's pre-accepts and
    /// accepts, Multi-Paxos's successful accepts.
    pub region_ops: u64,
    /// EPaxos's counters (`None` for Multi-Paxos).
    pub epaxos: Option<EpaxosTotals>,
}

impl KvRun {
    /// Wall time per command.
    pub fn per_command(&self) -> Duration {
        self.elapsed.div_f64(self.commands.max(1) as f64)
    }

    /// Region operations per command served (`None`: none served).
    pub fn region_ops_per_command(&self) -> Option<f64> {
        (self.served > 0).then(|| self.region_ops as f64 / self.served as f64)
    }

    /// EPaxos's fast-path share (`None` for Multi-Paxos).
    pub fn fast_share(&self) -> Option<f64> {
        self.epaxos.and_then(|t| t.fast_share())
    }
}

/// Every client's `ops` puts at conflict rate `conflict` (see the module
/// docs), drawn from `seed`: the keys of the workload's conflict-rate mix,
/// every operation a put of its value.
///
/// # Errors
/// A rate outside `[0, 1]` ([`workload::operations_mixed`]'s refusal).
pub fn mix(
    clients: usize,
    ops: usize,
    conflict: f64,
    seed: u64,
) -> Result<Vec<Vec<KvOp>>, RsmError> {
    let keyed = workload::operations_mixed::<KvSpec>(clients, ops, seed, Mix::Conflict(conflict))?;
    Ok(keyed
        .into_iter()
        .enumerate()
        .map(|(t, row)| {
            row.into_iter().enumerate().map(|(k, op)| KvOp::Put(op.key(), value(t, k))).collect()
        })
        .collect())
}

/// Refuses what a run cannot do, before any allocation.
///
/// # Errors
/// [`RsmError::InvalidConfig`]: no client or command, more than
/// [`MAX_COMMANDS`] commands, a rate outside `[0, 1]`.
pub fn check(clients: usize, ops: usize, conflict: f64) -> Result<(), RsmError> {
    let bad = |m: String| Err(RsmError::InvalidConfig(m));
    if clients == 0 || ops == 0 {
        return bad("at least 1 client and 1 command".into());
    }
    if clients.saturating_mul(ops) > MAX_COMMANDS {
        return bad(format!(
            "{clients} clients × {ops} commands: at most {MAX_COMMANDS} commands per run"
        ));
    }
    if !(0.0..=1.0).contains(&conflict) {
        return bad(format!("a conflict rate is from 0 to 1 ({conflict} given)"));
    }
    Ok(())
}

/// `clients` threads submit `ops` puts each at conflict rate `conflict` to
/// a fresh object `kv` (see the module docs).
///
/// # Errors
/// Sizes [`check`] refuses, a thread the OS refuses, or a submit that fails
/// (which a fault-free object never does).
pub fn run(
    kv: Kv,
    clients: usize,
    ops: usize,
    conflict: f64,
    seed: u64,
) -> Result<KvRun, RsmError> {
    check(clients, ops, conflict)?;
    let mix = mix(clients, ops, conflict, seed)?;
    // Client `t`'s `k`-th command: its row of the mix, again from the start
    // for fillers.
    let command = |t: usize, k: usize| mix[t][k % ops];
    let of = |timed: Timed, served, region_ops, epaxos| {
        let Timed { elapsed, commands, latency } = timed;
        KvRun { kv, conflict, elapsed, commands, latency, served, region_ops, epaxos }
    };
    match kv {
        Kv::Epaxos => {
            let config = workload::epaxos_config(REPLICAS, clients, ops, FaultPlan::none());
            let mut object = Epaxos::new(KvSpec, config)?;
            let timed = race_clients(&mut object, None, ops, 0, command)?;
            let t = object.totals();
            Ok(of(timed, t.commands, t.pre_accepts + t.accepts, Some(t)))
        }
        Kv::MultiPaxos => {
            let commands = (FILLERS + 1) * clients * ops + 1;
            let config = Config {
                acceptors: REPLICAS,
                clients,
                capacity: capacity(commands, clients),
                timeout: Timeout::After(STABLE_TIMEOUT),
                faults: FaultPlan::none(),
                reads: Reads::Log,
            };
            let mut object = MultiPaxos::<KvSpec, PackedMulti>::new(KvSpec, config)?;
            // Before the clock: client 0 claims term 1 (phase 1) with one get.
            let warm_up = Some(KvOp::Get(HOT_KEY));
            let timed = race_clients(&mut object, warm_up, ops, FILLERS * clients * ops, command)?;
            let t = object.totals();
            Ok(of(timed, t.commands, t.accepts, None))
        }
    }
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;

    #[test]
    fn the_mix_is_puts_at_the_rate_and_reproducible() {
        let m = mix(4, 2_000, 0.25, 3).unwrap();
        assert_eq!(m, mix(4, 2_000, 0.25, 3).unwrap());
        assert!(m.iter().flatten().all(|o| matches!(o, KvOp::Put(..))));
        let hot = m.iter().flatten().filter(|o| o.key() == HOT_KEY).count() as f64 / 8_000.0;
        assert!((0.22..0.28).contains(&hot), "{hot}");
        assert!(mix(3, 100, 0.0, 1).unwrap().iter().flatten().all(|o| o.key() != HOT_KEY));
        assert!(mix(3, 100, 1.0, 1).unwrap().iter().flatten().all(|o| o.key() == HOT_KEY));
    }

    #[test]
    fn epaxos_is_all_fast_without_conflicts_and_multi_paxos_serves_every_command() {
        let free = run(Kv::Epaxos, 2, 300, 0.0, 1).unwrap();
        assert_eq!((free.commands, free.served), (600, 600));
        assert_eq!(free.fast_share(), Some(1.0));
        // Fast quorum 3 of 5: 3 pre-accepts per command.
        assert_eq!(free.region_ops_per_command(), Some(3.0));
        assert_eq!(free.latency.len(), 600);
        let hot = run(Kv::Epaxos, 2, 300, 1.0, 1).unwrap();
        // Committed by their leaders, or by a recovery that fenced a slow one.
        let recoveries = hot.epaxos.map_or(0, |t| t.recoveries);
        assert!(hot.served <= 600 && hot.served + recoveries >= 600, "{:?}", hot.epaxos);
        assert!(hot.region_ops_per_command().unwrap() >= 3.0);
        for clients in [1, 2] {
            let mp = run(Kv::MultiPaxos, clients, 300, 0.25, 1).unwrap();
            assert!(mp.commands >= 300 * clients, "{}", mp.commands);
            assert_eq!(mp.latency.len(), mp.commands as u64);
            assert_eq!(mp.fast_share(), None);
            // A majority of 5 accepts each command.
            assert_eq!(mp.region_ops_per_command(), Some(3.0), "{mp:?}");
        }
    }

    #[test]
    fn bad_sizes_and_rates_are_refused() {
        for kv in Kv::ALL {
            assert!(run(kv, 0, 10, 0.0, 1).is_err());
            assert!(run(kv, 1, 0, 0.0, 1).is_err());
            let e = run(kv, 1, 10, 1.5, 1).unwrap_err().to_string();
            assert!(e.contains("from 0 to 1"), "{e}");
        }
        assert!(check(2, MAX_COMMANDS, 0.0).is_err());
        assert_eq!(Kv::ALL.map(Kv::name), ["epaxos", "multi-paxos"]);
    }
}
