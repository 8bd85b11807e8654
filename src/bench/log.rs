//! The replicated-log benchmark over either log, Multi-Paxos or Zab
//! ([`Log`]; `conlab bench multi-paxos`, `conlab bench zab` and
//! `benches/log.rs`): the stable-leader command path and failover.
//!
//! Both logs are driven through one small trait ([`BenchLog`]): built from
//! the same [`Config`] (3 replicas: Multi-Paxos's packed acceptors,
//! [`PackedMulti`], or Zab's follower regions), their clients handed out by
//! [`Replicated::clients`], and after the clients were dropped their
//! counters read as one [`LogTotals`] and their failover clock as one list
//! of times. The workloads below are written once, for any [`BenchLog`].
//!
//! **What is measured.**
//! * [`stable_leader`]: `clients` threads each submit `ops` counter
//!   increments ([`WordOp::Rmw`]) to one fresh log, all starting together
//!   at a barrier. The wall time from the barrier to the last client's end
//!   over all commands ([`CommandRun::per_command`]) is "ns per command"
//!   (at 1 client: the latency of one command; at N: the inverse of the
//!   throughput); each `submit` is also timed on its own, call to return,
//!   into an HdrHistogram (p50 / p99). A client that is done keeps
//!   submitting (fillers, counted and timed too) until every client is
//!   done: a leader that stopped serving would leave the others waiting for
//!   the detector's timeout. The first client to submit claims term (epoch)
//!   1 with nobody leading before it (no timeout waited), with one warm-up
//!   command before the clock (Multi-Paxos's phase 1, Zab's discovery and
//!   synchronisation are not measured); the detector's timeout is
//!   [`STABLE_TIMEOUT`], so a leader that stays up is not replaced while it
//!   serves (a takeover would show in [`CommandRun::totals`]). The
//!   replicas' writes per command are counted by the log itself
//!   ([`LogTotals::writes`]: Multi-Paxos's successful accepts, one slot
//!   compare&swap each; Zab's broadcast writes, one follower region write
//!   each) over the commands it served.
//! * [`failover`]: 2 clients, a leader crash at slot `ops / 2` after a
//!   majority accepted (acknowledged) and before it published
//!   ([`LeaderStep::BeforePublish`]); the surviving client suspects after
//!   the detection timeout, claims the next term (epoch), recovers (phase 1;
//!   discovery and synchronisation) and commits the next command. The log's
//!   own clock ([`BenchLog::failover_times`]) gives crash → next command
//!   committed.
//!
//! The log is built before the clock starts (its slots, announce registers
//! and operation table allocated; Zab's leader history and follower logs
//! grow by one slot per command, amortized); nothing else is allocated per
//! command but the histogram's fixed buckets, which are allocated before
//! the clock too.

use super::run::{race_clients, Timed};
use crate::objects::rmw::{WordOp, WordSpec};
use crate::paxos::faults::{LeaderFault, LeaderStep};
use crate::paxos::FaultPlan;
use crate::rsm::multi_paxos::{Config, MultiPaxos, PackedMulti, Reads, Timeout};
use crate::rsm::zab::Zab;
use crate::rsm::{Client, Replicated, RsmError};
use crate::sync::ParkingMutex;
use crate::threads;
use hdrhistogram::Histogram;
use std::hint::black_box;
use std::time::Duration;

/// Acceptors (Multi-Paxos) or followers (Zab) of every benchmarked log
/// (f = 1).
pub const ACCEPTORS: usize = 3;

/// The detector's timeout of the stable-leader runs: long enough that a
/// leader serving commands is never suspected (on an oversubscribed machine
/// a descheduled leader would otherwise be replaced mid-run).
pub const STABLE_TIMEOUT: Duration = Duration::from_secs(1);

/// Filler commands a stable-leader run allows, in units of `clients × ops`
/// (the log's slots are allocated for them up front). Beyond them a done
/// leader stops and a client still at work waits for the detector's
/// timeout: [`CommandRun::replaced`] says so.
pub const FILLERS: usize = 2;

/// Which replicated log a run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Log {
    /// [`MultiPaxos`] over [`ACCEPTORS`] packed acceptors ([`PackedMulti`]).
    MultiPaxos,
    /// [`Zab`] over [`ACCEPTORS`] follower regions.
    Zab,
}

impl Log {
    /// Both logs, in the order the docs show them.
    pub const ALL: [Log; 2] = [Log::MultiPaxos, Log::Zab];

    /// Its name in every output (`multi-paxos`, `zab`: the `conlab bench`
    /// suite, the group of its rows and of its criterion benchmarks).
    pub const fn name(self) -> &'static str {
        match self {
            Log::MultiPaxos => "multi-paxos",
            Log::Zab => "zab",
        }
    }

    /// What its replicas are called (`acceptors`, `followers`).
    pub const fn replicas(self) -> &'static str {
        match self {
            Log::MultiPaxos => "acceptors",
            Log::Zab => "followers",
        }
    }
}

impl std::fmt::Display for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A log's counters in the bench's terms, whichever the log (summed over
/// the clients, after they were dropped).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LogTotals {
    /// Terms claimed (Multi-Paxos) or epochs begun (Zab), the first
    /// leader's included.
    pub leaders: u64,
    /// The replicas' writes on the command path: Multi-Paxos's successful
    /// accepts (recovery's re-proposals included; a stable leader has
    /// none), Zab's broadcast writes (synchronisation's are not counted:
    /// [`ZabTotals::sync_writes`](crate::rsm::zab::ZabTotals::sync_writes)).
    pub writes: u64,
    /// Commands served by a leader (not recovery's re-proposals).
    pub commands: u64,
}

/// What the bench needs of a log beyond [`Replicated`]: it is built from a
/// [`Config`], and after its clients were dropped it has counters and a
/// failover clock. Implemented by [`MultiPaxos`] over [`PackedMulti`] and
/// by [`Zab`], each through its own `totals` and `failover_times`.
pub trait BenchLog: Replicated<Spec = WordSpec> + Sized {
    /// Which log it is.
    const LOG: Log;

    /// A counter log (`WordSpec`, increments) for `config`.
    ///
    /// # Errors
    /// What the log's constructor refuses.
    fn open(config: Config) -> Result<Self, RsmError>;

    /// Its counters (real cores; zero in models).
    fn totals(&self) -> LogTotals;

    /// Every failover's time, leader crash → next command committed.
    fn failover_times(&self) -> Vec<Duration>;
}

const COUNTER: WordSpec = WordSpec { add: true, init: 0 };

impl BenchLog for MultiPaxos<WordSpec, PackedMulti> {
    const LOG: Log = Log::MultiPaxos;

    fn open(config: Config) -> Result<Self, RsmError> {
        MultiPaxos::new(COUNTER, config)
    }

    fn totals(&self) -> LogTotals {
        let t = MultiPaxos::totals(self);
        LogTotals { leaders: t.takeovers, writes: t.accepts, commands: t.commands }
    }

    fn failover_times(&self) -> Vec<Duration> {
        MultiPaxos::failover_times(self)
    }
}

impl BenchLog for Zab<WordSpec> {
    const LOG: Log = Log::Zab;

    fn open(config: Config) -> Result<Self, RsmError> {
        Zab::new(COUNTER, config)
    }

    fn totals(&self) -> LogTotals {
        let t = Zab::totals(self);
        LogTotals {
            leaders: t.epochs,
            writes: t.writes.saturating_sub(t.sync_writes),
            commands: t.commands,
        }
    }

    fn failover_times(&self) -> Vec<Duration> {
        Zab::failover_times(self)
    }
}

/// A stable-leader run.
#[derive(Debug)]
pub struct CommandRun {
    /// The log measured.
    pub log: Log,
    /// Wall time, barrier to the last client's end.
    pub elapsed: Duration,
    /// Commands submitted, all clients together: `clients × ops` and the
    /// fillers of the clients that finished first.
    pub commands: usize,
    /// Each submit's wall time, nanoseconds
    /// ([`Latency::histogram`](crate::check::replicated::stress::Latency::histogram)).
    pub latency: Histogram<u64>,
    /// The log's counters (leaders, replica writes, commands served).
    pub totals: LogTotals,
}

impl CommandRun {
    /// Whether the leader was replaced during the run (a term or epoch
    /// begun after the first): its wall time then includes a detection
    /// timeout.
    pub fn replaced(&self) -> bool {
        self.totals.leaders > 1
    }

    /// Wall time per command (`elapsed / commands`).
    pub fn per_command(&self) -> Duration {
        self.elapsed.div_f64(self.commands.max(1) as f64)
    }

    /// Replica writes (accepts, broadcast writes) per command served
    /// (`None`: none served).
    pub fn rmws_per_command(&self) -> Option<f64> {
        (self.totals.commands > 0).then(|| self.totals.writes as f64 / self.totals.commands as f64)
    }
}

fn config(clients: usize, capacity: usize, timeout: Duration, faults: FaultPlan) -> Config {
    Config {
        acceptors: ACCEPTORS,
        clients,
        capacity,
        timeout: Timeout::After(timeout),
        faults,
        reads: Reads::Log,
    }
}

/// Slots for `commands` commands with room for no-ops (a takeover may fill
/// a few gaps; the EPaxos bench's Multi-Paxos log too).
pub(crate) fn capacity(commands: usize, clients: usize) -> usize {
    commands.saturating_add(clients).saturating_add((commands / 16).max(64))
}

/// Refuses sizes the logs cannot hold (before any allocation; both logs
/// number their slots alike).
///
/// # Errors
/// [`RsmError::InvalidConfig`]: no client or command, or more commands than
/// a log entry can number.
pub fn check(clients: usize, ops: usize) -> Result<(), RsmError> {
    let commands = clients.checked_mul(ops).ok_or_else(|| {
        RsmError::InvalidConfig(format!("{clients} clients × {ops} commands overflow"))
    })?;
    if clients == 0 || ops == 0 {
        return Err(RsmError::InvalidConfig("at least 1 client and 1 command".into()));
    }
    let max = crate::rsm::multi_paxos::entry::MAX_SEQ as usize;
    if capacity(commands, clients) > max {
        return Err(RsmError::InvalidConfig(format!(
            "{clients} clients × {ops} commands need more than the {max} slots a log entry numbers"
        )));
    }
    Ok(())
}

/// `clients` threads submit `ops` increments each to a fresh stable-leader
/// log of kind `log` (see the module docs).
///
/// # Errors
/// Sizes [`check`] refuses, a thread the OS refuses, or a submit that fails
/// (which a fault-free log never does).
pub fn stable_leader(log: Log, clients: usize, ops: usize) -> Result<CommandRun, RsmError> {
    match log {
        Log::MultiPaxos => stable_leader_of::<MultiPaxos<WordSpec, PackedMulti>>(clients, ops),
        Log::Zab => stable_leader_of::<Zab<WordSpec>>(clients, ops),
    }
}

/// [`stable_leader`] of the log `L`.
///
/// # Errors
/// As [`stable_leader`].
pub fn stable_leader_of<L: BenchLog>(clients: usize, ops: usize) -> Result<CommandRun, RsmError> {
    check(clients, ops)?;
    // Room for every client's `ops` and as many filler commands.
    let room = capacity((FILLERS + 1) * clients * ops + 1, clients);
    let mut object = L::open(config(clients, room, STABLE_TIMEOUT, FaultPlan::none()))?;
    // Before the clock: client 0 claims term 1 and recovers (Multi-Paxos's
    // phase 1; Zab's discovery and synchronisation) with one command of its
    // own, so that the measured commands all meet a stable leader (clients
    // that start together race for the first term).
    let warm_up = Some(WordOp::Rmw(0));
    let Timed { elapsed, commands, latency } =
        race_clients(&mut object, warm_up, ops, FILLERS * clients * ops, |_, _| WordOp::Rmw(1))?;
    Ok(CommandRun { log: L::LOG, elapsed, commands, latency, totals: object.totals() })
}

/// One leader crash and its failover on a log of kind `log` (see the
/// module docs): crash → next command committed, as the log's clock
/// measured it.
///
/// # Errors
/// Sizes [`check`] refuses (2 clients × `ops`), fewer than 2 commands, a
/// submit that fails other than by the leader's crash, or a run in which
/// the crash never struck.
pub fn failover(log: Log, ops: usize, timeout: Duration) -> Result<Duration, RsmError> {
    match log {
        Log::MultiPaxos => failover_of::<MultiPaxos<WordSpec, PackedMulti>>(ops, timeout),
        Log::Zab => failover_of::<Zab<WordSpec>>(ops, timeout),
    }
}

/// [`failover`] of the log `L`.
///
/// # Errors
/// As [`failover`].
pub fn failover_of<L: BenchLog>(ops: usize, timeout: Duration) -> Result<Duration, RsmError> {
    let clients = 2;
    check(clients, ops)?;
    if ops < 2 {
        return Err(RsmError::InvalidConfig("a failover needs at least 2 commands".into()));
    }
    let crash = LeaderFault { slot: ops / 2, step: LeaderStep::BeforePublish, stall: None };
    let faults = FaultPlan { leader: vec![crash], ..FaultPlan::none() };
    let mut object = L::open(config(clients, capacity(2 * ops, 2), timeout, faults))?;
    let handles = object.clients()?;
    // One cell per thread, so that `race`'s shared body can move each handle out.
    let cells: Vec<ParkingMutex<Option<_>>> =
        handles.into_iter().map(|c| ParkingMutex::new(Some(c))).collect();
    let results = threads::race(clients, |t| {
        let mut client = cells[t].lock().take();
        let Some(c) = client.as_mut() else { return Ok(()) };
        for _ in 0..ops {
            match c.submit(WordOp::Rmw(1)) {
                Ok(v) => {
                    black_box(v);
                }
                Err(e) if e.is_crash() => return Ok(()), // the crashed leader stops
                Err(e) => return Err(e),
            }
        }
        Ok(())
    })
    .map_err(|e| RsmError::InvalidConfig(format!("benchmark threads: {e}")))?;
    results.into_iter().collect::<Result<(), RsmError>>()?;
    object.failover_times().first().copied().ok_or_else(|| {
        RsmError::InvalidConfig("the leader crash never struck: no failover measured".into())
    })
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;

    #[test]
    fn a_stable_leader_costs_a_majority_of_writes_per_command() {
        for log in Log::ALL {
            for clients in [1, 2] {
                let run = stable_leader(log, clients, 200).unwrap();
                assert_eq!(run.log, log);
                let most = (FILLERS + 1) * 200 * clients;
                assert!((200 * clients..=most).contains(&run.commands), "{log}: {}", run.commands);
                assert_eq!(run.latency.len(), run.commands as u64);
                // No client waited for a timeout (1 s) unless the leader was replaced.
                assert!(run.replaced() || run.elapsed < STABLE_TIMEOUT, "{log}: {:?}", run.elapsed);
                assert!(run.latency.value_at_quantile(0.5) <= run.latency.value_at_quantile(0.99));
                assert!(run.totals.leaders >= 1, "{log}: {:?}", run.totals);
                // A majority of 3: 2 accepts (Multi-Paxos) or 2 follower
                // region writes (Zab) per command.
                assert_eq!(run.rmws_per_command(), Some(2.0), "{log}: {:?}", run.totals);
            }
        }
    }

    #[test]
    fn zab_counts_synchronisation_apart_from_broadcast() {
        // One epoch (no replacement at 1 client): its synchronisation wrote
        // the empty history at a majority, 2 writes the bench leaves out.
        let run = stable_leader(Log::Zab, 1, 100).unwrap();
        assert_eq!(run.totals, LogTotals { leaders: 1, writes: 2 * 101, commands: 101 });
    }

    #[test]
    fn a_leader_crash_is_measured_above_the_detection_timeout() {
        let timeout = Duration::from_millis(1);
        for log in Log::ALL {
            let d = failover(log, 200, timeout).unwrap();
            assert!(d >= timeout, "{log}: {d:?}");
        }
    }

    #[test]
    fn sizes_the_log_cannot_hold_are_refused() {
        for log in Log::ALL {
            assert!(stable_leader(log, 0, 10).is_err(), "{log}");
            assert!(stable_leader(log, 1, 0).is_err(), "{log}");
            assert!(failover(log, 1, Duration::from_millis(1)).is_err(), "{log}");
        }
        let e = check(2, usize::MAX / 2).unwrap_err().to_string();
        assert!(e.contains("slots"), "{e}");
    }

    #[test]
    fn the_logs_keep_their_names() {
        assert_eq!(Log::ALL.map(Log::name), ["multi-paxos", "zab"]);
        assert_eq!(Log::ALL.map(Log::replicas), ["acceptors", "followers"]);
    }
}
