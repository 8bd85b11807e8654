//! `conlab rsm --impl zab`: Multi-Paxos's flags (`--acceptors` counts the
//! followers; `--acceptor` has no meaning and is refused), its run (the
//! object's spec monomorphized) and its figures: epochs, failover times,
//! follower region writes per command.

use super::multi_paxos::{write_failovers, write_stall, MultiPaxosArgs};
use consensus_lab::check::replicated::stress::{StressFailure, StressReport};
use consensus_lab::check::replicated::workload::{
    self, ObjectWorkload, RsmObject, VisitObject, WorkloadError,
};
use consensus_lab::check::replicated::zab_properties;
use consensus_lab::rsm::multi_paxos::{Config, Reads, Timeout};
use consensus_lab::rsm::zab::{Zab, ZabTotals};
use std::io::Write;
use std::time::Duration;

/// Zab's figures for the report.
#[derive(Clone, Debug, serde::Serialize)]
pub(super) struct Figures {
    followers: usize,
    majority: usize,
    crashed_followers: Vec<String>,
    leader_fault: Option<String>,
    leader_stall: Option<String>,
    detect_timeout_ms: u64,
    totals: ZabTotals,
    /// Leader crash → next command committed, each.
    failover_ms: Vec<f64>,
    writes_per_command: Option<f64>,
}

/// Refuses the flags Zab does not take.
pub(super) fn check(args: &MultiPaxosArgs) -> Result<(), String> {
    if args.reads.is_some_and(|r| r != super::multi_paxos::ReadsArg::Log) {
        return Err("--reads leader is for --impl multi-paxos: zab orders every operation in \
                    its log"
            .into());
    }
    if args.acceptor.is_some() {
        return Err("--acceptor is for --impl multi-paxos: zab's followers are regions behind \
                    one lock each"
            .into());
    }
    Ok(())
}

/// `3 followers`.
pub(super) fn describe(args: &MultiPaxosArgs) -> String {
    format!("{} followers", args.acceptor_count())
}

struct WithObject {
    config: Config,
    ops: usize,
    seed: u64,
}

impl VisitObject for WithObject {
    /// The judged run, Zab's totals, and its failover times.
    type Output =
        Result<(Result<StressReport, StressFailure>, ZabTotals, Vec<Duration>), WorkloadError>;
    fn visit<S: ObjectWorkload>(self) -> Self::Output
    where
        S::Op: Sync,
    {
        let WithObject { mut config, ops, seed } = self;
        let clients = config.clients;
        config.capacity = workload::log_room(ops, clients, &config.faults);
        let build = |_| Zab::<S>::audited(S::fresh(), config);
        let mix = (seed, workload::Mix::Object);
        let run =
            workload::stress_replicated(clients, ops, mix, build, zab_properties::audit::<S>)?;
        Ok((run.outcome, run.object.totals(), run.object.failover_times()))
    }
}

/// The judged run and its figures.
pub(super) fn run(
    args: &MultiPaxosArgs,
    object: RsmObject,
    threads: usize,
    ops: usize,
    seed: u64,
) -> Result<(Result<StressReport, StressFailure>, Figures), WorkloadError> {
    let n = args.acceptor_count();
    let config = Config {
        acceptors: n,
        clients: threads,
        capacity: ops,
        timeout: Timeout::After(Duration::from_millis(args.timeout_ms())),
        faults: args.plan(),
        reads: Reads::Log,
    };
    let (outcome, t, failovers) = object.visit(WithObject { config, ops, seed })?;
    let figures = Figures {
        followers: n,
        majority: n / 2 + 1,
        crashed_followers: args.crash_acceptor.iter().map(ToString::to_string).collect(),
        leader_fault: args
            .crash_leader_after
            .map(|k| format!("slot {k}, {}", args.leader_step.unwrap_or_default().name())),
        leader_stall: args.stall_label(),
        detect_timeout_ms: args.timeout_ms(),
        totals: t,
        failover_ms: failovers.iter().map(|d| d.as_secs_f64() * 1e3).collect(),
        writes_per_command: (t.commands > 0).then(|| t.writes as f64 / t.commands as f64),
    };
    Ok((outcome, figures))
}

impl Figures {
    /// The report's Zab lines.
    pub(super) fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let t = &self.totals;
        writeln!(
            out,
            "followers: {} (majority {}){}",
            self.followers,
            self.majority,
            if self.crashed_followers.is_empty() {
                String::new()
            } else {
                format!(", crashed: {}", self.crashed_followers.join(" "))
            }
        )?;
        writeln!(
            out,
            "epochs: {} begun (the first included; a waiting client claims the next after {} ms \
             without a heartbeat)",
            t.epochs, self.detect_timeout_ms
        )?;
        write_failovers(out, self.leader_fault.as_deref(), &self.failover_ms)?;
        write_stall(out, self.leader_stall.as_deref())?;
        writeln!(
            out,
            "commands: {} broadcast; {} follower region writes; writes per command {}",
            t.commands,
            t.writes,
            self.writes_per_command.map_or("—".into(), |a| format!("{a:.2}"))
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::run_cli;

    const ZAB: [&str; 4] = ["rsm", "--impl", "zab", "--object"];

    #[test]
    fn a_leader_crash_is_survived_and_its_failover_reported() {
        let args = ["counter", "--clients", "4", "--ops", "2000", "--acceptors", "5"];
        let crash = ["--crash-leader-after", "100", "--format", "json"];
        let (code, out, err) = run_cli(&[&ZAB[..], &args, &crash].concat());
        assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE, "{out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["linearizable"], "yes", "{out}");
        assert_eq!(v["zab"]["failover_ms"].as_array().unwrap().len(), 1, "{out}");
        let props = v["properties"].as_array().unwrap();
        assert_eq!(props.len(), 6, "Zab's six properties: {out}");
        assert!(props.iter().all(|p| p[1] == "yes"), "{out}");
        assert_eq!(props[5][0], "primary integrity", "{out}");
    }

    #[test]
    fn more_than_f_followers_crashed_is_no_quorum_not_a_hang() {
        let crash = ["--acceptors", "5", "--crash-acceptor", "0", "--crash-acceptor", "1"];
        let more = ["--crash-acceptor", "2@3"];
        let (code, out, err) =
            run_cli(&[&ZAB[..], &["kv", "--clients", "2", "--ops", "200"], &crash, &more].concat());
        assert_eq!(code, crate::EXIT_NO_QUORUM, "{out}{err}");
        assert!(out.contains("NO QUORUM"), "{out}");
    }

    #[test]
    fn the_acceptor_kind_is_refused() {
        let (code, _, err) = run_cli(&[&ZAB[..], &["counter", "--acceptor", "mutex"]].concat());
        assert_eq!(code, crate::EXIT_USAGE, "{err}");
        assert!(err.contains("--acceptor is for --impl multi-paxos"), "{err}");
    }
}
