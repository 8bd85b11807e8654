//! `conlab rsm --impl multi-paxos`: its flags, its run (the object's spec
//! and the acceptor kind monomorphized, as for the universal construction)
//! and its figures: takeovers, failover times, no-ops, acceptor operations
//! per command.

use consensus_lab::check::replicated::stress::{StressFailure, StressReport};
use consensus_lab::check::replicated::workload::{
    self, ObjectWorkload, RsmObject, VisitObject, WorkloadError,
};
use consensus_lab::paxos::faults::{LeaderFault, LeaderStep};
use consensus_lab::paxos::{Crash, FaultPlan};
use consensus_lab::rsm::multi_paxos::{
    Config, MultiAcceptor, MultiPaxos, MultiPaxosTotals, MutexMulti, PackedMulti, Reads, Timeout,
};
use std::io::Write;
use std::time::Duration;

/// The acceptor registers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AcceptorKind {
    /// Lock-free: a promise word and a word per slot, kept one step by a
    /// Dekker pair of SeqCst fences.
    #[default]
    Packed,
    /// One lock per acceptor.
    Mutex,
}

impl AcceptorKind {
    fn name(self) -> &'static str {
        match self {
            AcceptorKind::Packed => "packed",
            AcceptorKind::Mutex => "mutex",
        }
    }
}

/// Where the crashing leader stops (`--leader-step`; for epaxos, in its
/// handling of one instance: before its first pre-accept, after a minority
/// (F replicas, its home first) pre-accepted, after its quorum recorded the
/// attributes and before the commit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Before its first accept for the slot (epaxos: before its first
    /// pre-accept of the instance).
    BeforeBroadcast,
    /// After its accept reached a minority (epaxos: after F replicas, its
    /// home first, pre-accepted).
    AfterMinority,
    /// After a majority accepted, before publishing (epaxos: after its
    /// quorum recorded the attributes, before the commit).
    #[default]
    BeforePublish,
}

impl Step {
    pub(super) fn name(self) -> &'static str {
        match self {
            Step::BeforeBroadcast => "before-broadcast",
            Step::AfterMinority => "after-minority",
            Step::BeforePublish => "before-publish",
        }
    }

    fn step(self) -> LeaderStep {
        match self {
            Step::BeforeBroadcast => LeaderStep::BeforeBroadcast,
            Step::AfterMinority => LeaderStep::AfterMinority,
            Step::BeforePublish => LeaderStep::BeforePublish,
        }
    }
}

/// How read-only operations are answered (`--reads`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadsArg {
    /// Every operation takes a log slot.
    #[default]
    Log,
    /// The leader answers reads from its replica after confirming its
    /// ballot at a majority of acceptors (a lease in shared memory).
    Leader,
}

impl ReadsArg {
    fn reads(self) -> Reads {
        match self {
            ReadsArg::Log => Reads::Log,
            ReadsArg::Leader => Reads::Leader,
        }
    }
}

/// The longest detector timeout the command accepts.
const MAX_TIMEOUT_MS: u64 = 10_000;

/// The flags of `--impl multi-paxos`.
#[derive(Debug, Default, clap::Args)]
pub struct MultiPaxosArgs {
    /// Multi-Paxos: acceptors (2f + 1 tolerate f crashes). Default 3.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub acceptors: Option<u32>,
    /// Multi-Paxos: the acceptor registers, packed (lock-free) or mutex.
    /// Default packed.
    #[arg(long, value_enum)]
    pub acceptor: Option<AcceptorKind>,
    /// Multi-Paxos and Zab: whoever leads at log slot K crashes (at
    /// --leader-step); epaxos: the first command leader to reach its K-th
    /// instance (from 0; K < --ops / --clients), and a replica that waits
    /// for that instance recovers it.
    #[arg(long, value_name = "K")]
    pub crash_leader_after: Option<u64>,
    /// Multi-Paxos, Zab and EPaxos: where the crashing leader stops.
    /// Default before-publish (a majority accepted, nobody told; epaxos: its
    /// quorum recorded the attributes, before the commit).
    #[arg(long, value_enum, requires = "crash_leader_after")]
    pub leader_step: Option<Step>,
    /// Multi-Paxos and Zab: whoever leads at log slot K pauses for
    /// --stall-ms (at --leader-step), is replaced, wakes up and carries on
    /// as if it still led: its writes must be fenced out. Epaxos: the first
    /// command leader to reach its K-th instance pauses; replicas waiting
    /// for it recover the instance, and it adopts whatever committed.
    #[arg(long, value_name = "K")]
    pub stall_leader: Option<u64>,
    /// Multi-Paxos, Zab and EPaxos: how long the stalled leader pauses, in
    /// milliseconds. Default 20.
    #[arg(long, value_name = "T", requires = "stall_leader",
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub stall_ms: Option<u64>,
    /// Multi-Paxos: how read-only operations are answered: log (each takes
    /// a slot) or leader (the leader's replica, its ballot confirmed at a
    /// majority). Default log.
    #[arg(long, value_enum)]
    pub reads: Option<ReadsArg>,
    /// Multi-Paxos: acceptor i crashes after its k-th operation (`i`: from
    /// the start); zab: follower i; epaxos: replica i. Repeatable.
    #[arg(long, value_name = "i[@k]")]
    pub crash_acceptor: Vec<Crash>,
    /// Multi-Paxos: the failure detector's timeout in milliseconds (a
    /// waiting client suspects the leader after this long without a
    /// heartbeat). Default 1.
    #[arg(long, value_name = "T")]
    pub detect_timeout_ms: Option<u64>,
}

/// Multi-Paxos's figures for the report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Figures {
    acceptors: usize,
    acceptor: AcceptorKind,
    majority: usize,
    crashed_acceptors: Vec<String>,
    leader_fault: Option<String>,
    leader_stall: Option<String>,
    reads: ReadsArg,
    detect_timeout_ms: u64,
    totals: MultiPaxosTotals,
    /// Leader crash → next command committed, each.
    failover_ms: Vec<f64>,
    noops: usize,
    accepts_per_command: Option<f64>,
}

impl MultiPaxosArgs {
    fn any(&self) -> bool {
        self.acceptors.is_some()
            || self.acceptor.is_some()
            || self.crash_leader_after.is_some()
            || self.stall_leader.is_some()
            || self.reads.is_some()
            || !self.crash_acceptor.is_empty()
            || self.detect_timeout_ms.is_some()
    }

    /// Refuses Multi-Paxos flags given to another implementation.
    pub fn refuse_for(&self, implementation: &str) -> Result<(), String> {
        if self.any() {
            return Err(format!(
                "--acceptors, --acceptor, --crash-leader-after, --stall-leader, --reads, \
                 --crash-acceptor and --detect-timeout-ms are for --impl multi-paxos (and zab), \
                 not {implementation}"
            ));
        }
        Ok(())
    }

    pub(super) fn acceptor_count(&self) -> usize {
        self.acceptors.unwrap_or(3) as usize
    }

    pub(super) fn plan(&self) -> FaultPlan {
        let step = self.leader_step.unwrap_or_default().step();
        let crash =
            self.crash_leader_after.map(|k| LeaderFault { slot: k as usize, step, stall: None });
        let stall = self.stall_leader.map(|k| LeaderFault {
            slot: k as usize,
            step,
            stall: Some(self.stall()),
        });
        FaultPlan {
            acceptors: self.crash_acceptor.clone(),
            leader: crash.into_iter().chain(stall).collect(),
            ..FaultPlan::default()
        }
    }

    fn stall(&self) -> Duration {
        Duration::from_millis(self.stall_ms.unwrap_or(20))
    }

    /// The stall's line: `slot 500, before-publish, 20 ms`.
    pub(super) fn stall_label(&self) -> Option<String> {
        self.stall_leader.map(|k| {
            format!(
                "slot {k}, {}, {} ms",
                self.leader_step.unwrap_or_default().name(),
                self.stall().as_millis()
            )
        })
    }

    pub(super) fn reads_config(&self) -> Reads {
        self.reads.unwrap_or_default().reads()
    }

    /// Refuses what the run cannot do, before any work.
    pub fn check(&self, ops: usize) -> Result<(), String> {
        let n = self.acceptor_count();
        self.plan().validate(n, 0).map_err(|e| format!("--crash-acceptor: {e}"))?;
        self.check_leader_faults(ops, &format!("the log has {ops} commands (--ops)"))?;
        if let Some(t) = self.detect_timeout_ms {
            if !(1..=MAX_TIMEOUT_MS).contains(&t) {
                return Err(format!(
                    "--detect-timeout-ms is from 1 to {MAX_TIMEOUT_MS} ({t} given; 0 would suspect \
                     every leader at once)"
                ));
            }
        }
        Ok(())
    }

    /// Refuses a leader fault at slot `slots` or beyond (`room` says why
    /// there are no more: `the log has 100 commands (--ops)`), and a crash
    /// and a stall at one slot. Multi-Paxos and Zab count log slots, EPaxos
    /// a command leader's instances.
    pub(super) fn check_leader_faults(&self, slots: usize, room: &str) -> Result<(), String> {
        if let Some(k) = self.crash_leader_after {
            if k >= slots as u64 {
                return Err(format!(
                    "--crash-leader-after {k}: {room}, the crash would never strike"
                ));
            }
        }
        if let Some(k) = self.stall_leader {
            if k >= slots as u64 {
                return Err(format!("--stall-leader {k}: {room}, the stall would never strike"));
            }
            if self.crash_leader_after == Some(k) {
                return Err(format!(
                    "--stall-leader {k} and --crash-leader-after {k}: one leader fault per slot \
                     (the crash would strike first)"
                ));
            }
        }
        Ok(())
    }

    /// `3 packed acceptors`.
    pub fn describe(&self) -> String {
        format!("{} {} acceptors", self.acceptor_count(), self.acceptor.unwrap_or_default().name())
    }

    pub(super) fn timeout_ms(&self) -> u64 {
        self.detect_timeout_ms.unwrap_or(1)
    }

    /// The judged run and its figures.
    pub fn run(
        &self,
        object: RsmObject,
        threads: usize,
        ops: usize,
        seed: u64,
    ) -> Result<(Result<StressReport, StressFailure>, Option<Figures>), WorkloadError> {
        let config = Config {
            acceptors: self.acceptor_count(),
            clients: threads,
            capacity: ops,
            timeout: Timeout::After(Duration::from_millis(self.timeout_ms())),
            faults: self.plan(),
            reads: self.reads_config(),
        };
        let with = WithObject { config, ops, seed };
        let run = match self.acceptor.unwrap_or_default() {
            AcceptorKind::Packed => object.visit(Typed::<PackedMulti>(with, Default::default())),
            AcceptorKind::Mutex => object.visit(Typed::<MutexMulti>(with, Default::default())),
        }?;
        let t = run.totals;
        let n = self.acceptor_count();
        let figures = Figures {
            acceptors: n,
            acceptor: self.acceptor.unwrap_or_default(),
            majority: n / 2 + 1,
            crashed_acceptors: self.crash_acceptor.iter().map(ToString::to_string).collect(),
            leader_fault: self
                .crash_leader_after
                .map(|k| format!("slot {k}, {}", self.leader_step.unwrap_or_default().name())),
            leader_stall: self.stall_label(),
            reads: self.reads.unwrap_or_default(),
            detect_timeout_ms: self.timeout_ms(),
            totals: t,
            failover_ms: run.failovers.iter().map(|d| d.as_secs_f64() * 1e3).collect(),
            noops: run.noops,
            accepts_per_command: (t.commands > 0).then(|| t.accepts as f64 / t.commands as f64),
        };
        Ok((run.outcome, Some(figures)))
    }
}

struct WithObject {
    config: Config,
    ops: usize,
    seed: u64,
}

/// What a judged Multi-Paxos run did.
struct Run {
    outcome: Result<StressReport, StressFailure>,
    totals: MultiPaxosTotals,
    noops: usize,
    failovers: Vec<Duration>,
}

struct Typed<A>(WithObject, std::marker::PhantomData<fn() -> A>);

impl<A: MultiAcceptor> VisitObject for Typed<A> {
    type Output = Result<Run, WorkloadError>;
    fn visit<S: ObjectWorkload>(self) -> Self::Output
    where
        S::Op: Sync,
    {
        let WithObject { mut config, ops, seed } = self.0;
        let clients = config.clients;
        config.capacity = workload::log_room(ops, clients, &config.faults);
        let build = |_| MultiPaxos::<S, A>::new(S::fresh(), config);
        let mix = (seed, workload::Mix::Object);
        let run = workload::stress_replicated(clients, ops, mix, build, |_| Ok(Vec::new()))?;
        let object = run.object;
        Ok(Run {
            outcome: run.outcome,
            totals: object.totals(),
            noops: object.noops(),
            failovers: object.failover_times(),
        })
    }
}

impl Figures {
    /// The report's Multi-Paxos lines.
    pub fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let t = &self.totals;
        writeln!(
            out,
            "acceptors: {} {} (majority {}){}",
            self.acceptors,
            self.acceptor.name(),
            self.majority,
            if self.crashed_acceptors.is_empty() {
                String::new()
            } else {
                format!(", crashed: {}", self.crashed_acceptors.join(" "))
            }
        )?;
        writeln!(
            out,
            "leaders: {} terms claimed (the first included; a waiting client claims after \
             {} ms without a heartbeat, so an idle leader is replaced too)",
            t.takeovers, self.detect_timeout_ms
        )?;
        write_failovers(out, self.leader_fault.as_deref(), &self.failover_ms)?;
        write_stall(out, self.leader_stall.as_deref())?;
        writeln!(
            out,
            "commands: {} served, {} no-ops filled; {} accepts, {} promises; accepts per \
             command {}",
            t.commands,
            self.noops,
            t.accepts,
            t.prepares,
            self.accepts_per_command.map_or("—".into(), |a| format!("{a:.2}"))
        )?;
        if self.reads == ReadsArg::Leader {
            writeln!(
                out,
                "reads: {} answered by a confirmed leader from its replica (no slot); the \
                 others took a slot",
                t.leader_reads
            )?;
        }
        Ok(())
    }
}

/// The leader fault's line: how many failovers, and each one's time (leader
/// crash → next command committed). Zab's report prints it too.
pub(super) fn write_failovers(
    out: &mut dyn std::io::Write,
    fault: Option<&str>,
    failover_ms: &[f64],
) -> std::io::Result<()> {
    let Some(f) = fault else { return Ok(()) };
    let times: Vec<String> = failover_ms.iter().map(|ms| format!("{ms:.3} ms")).collect();
    writeln!(
        out,
        "leader crash at {f}: {} failover{} (crash → next command committed: {})",
        failover_ms.len(),
        if failover_ms.len() == 1 { "" } else { "s" },
        if times.is_empty() { "none measured".into() } else { times.join(", ") }
    )
}

/// The leader stall's line, if one was planned. Zab's report prints it too.
pub(super) fn write_stall(
    out: &mut dyn std::io::Write,
    stall: Option<&str>,
) -> std::io::Result<()> {
    let Some(s) = stall else { return Ok(()) };
    writeln!(
        out,
        "leader stall at {s}: whoever led there paused; the others replace it once the \
         detector suspects it (the takeovers above count every claim), and it wakes and \
         carries on as if it still led (the verdicts above say whether its writes were \
         fenced out)"
    )
}

#[cfg(test)]
mod tests {
    use crate::tests::run_cli;

    const MP: [&str; 4] = ["rsm", "--impl", "multi-paxos", "--object"];

    #[test]
    fn a_run_is_judged_with_its_figures() {
        let (code, out, err) =
            run_cli(&[&MP[..], &["counter", "--clients", "3", "--ops", "900"]].concat());
        assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE, "{out}{err}");
        assert!(out.contains("multi-paxos counter over 3 packed acceptors"), "{out}");
        assert!(out.contains("linearizable: yes; log agreement: yes"), "{out}");
        assert!(out.contains("progress claimed: blocking"), "{out}");
        assert!(out.contains("command 2.00"), "{out}");
    }

    #[test]
    fn confirmed_leader_reads_skip_the_log_and_are_judged() {
        let args = ["register", "--clients", "3", "--ops", "900", "--reads", "leader"];
        let (code, out, err) = run_cli(&[&MP[..], &args, &["--format", "json"]].concat());
        assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE, "{out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["linearizable"], "yes", "{out}");
        assert_eq!(v["multi_paxos"]["reads"], "leader", "{out}");
        let reads = v["multi_paxos"]["totals"]["leader_reads"].as_u64().unwrap();
        let served = v["multi_paxos"]["totals"]["commands"].as_u64().unwrap();
        assert!(reads > 0 && reads + served >= 900, "{out}");
    }

    #[test]
    fn a_stalled_leader_that_wakes_up_does_not_corrupt_the_log() {
        let args = ["counter", "--clients", "3", "--ops", "900", "--stall-leader", "100"];
        let (code, out, err) = run_cli(&[&MP[..], &args, &["--stall-ms", "5"]].concat());
        assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE, "{out}{err}");
        assert!(out.contains("leader stall at slot 100, before-publish, 5 ms"), "{out}");
        assert!(out.contains("linearizable: yes; log agreement: yes"), "{out}");
    }

    #[test]
    fn a_leader_crash_is_survived_and_its_failover_reported() {
        let args = ["queue", "--clients", "3", "--ops", "900", "--acceptor", "mutex"];
        let crash = ["--crash-leader-after", "100", "--format", "json"];
        let (code, out, err) = run_cli(&[&MP[..], &args, &crash].concat());
        assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE, "{out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["linearizable"], "yes", "{out}");
        assert_eq!(v["multi_paxos"]["leader_fault"], "slot 100, before-publish");
        assert_eq!(v["multi_paxos"]["failover_ms"].as_array().unwrap().len(), 1, "{out}");
    }

    #[test]
    fn more_than_f_acceptors_crashed_is_no_quorum_not_a_hang() {
        let crash = ["--crash-acceptor", "0", "--crash-acceptor", "2@7"];
        let (code, out, err) =
            run_cli(&[&MP[..], &["kv", "--clients", "2", "--ops", "200"], &crash].concat());
        assert_eq!(code, crate::EXIT_NO_QUORUM, "{out}{err}");
        assert!(out.contains("no quorum: 1 of 3 acceptors answered"), "{out}");
        assert!(out.contains("NO QUORUM"), "{out}");
    }

    #[test]
    fn flags_of_the_other_implementation_are_refused() {
        let (code, _, err) = run_cli(&[&MP[..], &["counter", "--slots", "cas"]].concat());
        assert_eq!(code, crate::EXIT_USAGE, "{err}");
        assert!(err.contains("--slots is for the universal construction"), "{err}");
        let (code, _, err) = run_cli(&["rsm", "--acceptors", "5"]);
        assert_eq!(code, crate::EXIT_USAGE, "{err}");
        assert!(err.contains("are for --impl multi-paxos (and zab), not universal"), "{err}");
        let (code, _, err) = run_cli(&[&MP[..], &["counter", "--crash-acceptor", "3"]].concat());
        assert_eq!(code, crate::EXIT_USAGE, "{err}");
        assert!(err.contains("there is no acceptor 3"), "{err}");
        let (code, _, err) = run_cli(
            &[&MP[..], &["counter", "--ops", "100", "--crash-leader-after", "100"]].concat(),
        );
        assert_eq!(code, crate::EXIT_USAGE, "{err}");
        assert!(err.contains("would never strike"), "{err}");
    }
}
