//! `conlab rsm --impl epaxos`: its flags (`--replicas`, `--conflict`; the
//! replica crashes of `--crash-acceptor`), its run (the object's spec
//! monomorphized) and its figures: fast-path share, region operations per
//! command, waits.
//!
//! EPaxos has replicas, not acceptors, and no leader: `--acceptors` is
//! refused (use `--replicas`), and so are the leader faults (the library
//! recovers a crashed command leader's instances with 3 replicas, in its
//! tests and models; this command does not drive leader crashes yet) and
//! the detector's timeout (a replica recovers a dependency after 1 ms).

use super::multi_paxos::MultiPaxosArgs;
use consensus_lab::check::replicated::stress::{StressFailure, StressReport};
use consensus_lab::check::replicated::workload::{
    self, Mix, ObjectWorkload, RsmObject, VisitObject, WorkloadError,
};
use consensus_lab::rsm::epaxos::{Config, EpaxosTotals, Quorums};
use std::io::Write;

/// The flags of `--impl epaxos`.
#[derive(Debug, Default, clap::Args)]
pub struct EpaxosArgs {
    /// EPaxos: replicas (2F + 1, odd: tolerate F crashes). Default 3.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=63))]
    pub replicas: Option<u32>,
    /// EPaxos, --object kv: each operation touches the shared key 0 with
    /// probability P (0 to 1), else a key of its own client (the EPaxos
    /// paper's workload). Default: the object's own mix (4 shared keys).
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    pub conflict: Option<f64>,
}

/// EPaxos's figures for the report.
#[derive(Clone, Debug, serde::Serialize)]
pub(super) struct Figures {
    replicas: usize,
    majority: usize,
    fast_quorum: usize,
    crashed_replicas: Vec<String>,
    /// The conflict rate (`None`: the object's own mix).
    conflict: Option<f64>,
    totals: EpaxosTotals,
    fast_share: Option<f64>,
    region_ops_per_command: Option<f64>,
}

impl EpaxosArgs {
    fn replica_count(&self) -> usize {
        self.replicas.unwrap_or(3) as usize
    }

    fn mix(&self) -> Mix {
        self.conflict.map_or(Mix::Object, Mix::Conflict)
    }

    /// Refuses EPaxos flags given to another implementation.
    pub(super) fn refuse_for(&self, implementation: &str) -> Result<(), String> {
        if self.replicas.is_some() {
            return Err(format!(
                "--replicas is for --impl epaxos, not {implementation} (multi-paxos and zab \
                 count theirs with --acceptors)"
            ));
        }
        if self.conflict.is_some() {
            return Err(format!(
                "--conflict is for --impl epaxos, not {implementation}: only EPaxos orders \
                 commands by conflict (the others order every command)"
            ));
        }
        Ok(())
    }

    /// Refuses what an EPaxos run cannot do, before any work: Multi-Paxos's
    /// flags but the replica crashes, an even replica count, a crash of a
    /// replica that does not exist, a conflict rate outside [0, 1] or for
    /// an object without keys.
    pub(super) fn check(&self, mp: &MultiPaxosArgs, object: RsmObject) -> Result<(), String> {
        if mp.acceptors.is_some() {
            return Err("--acceptors is for multi-paxos and zab: epaxos counts its replicas \
                        with --replicas"
                .into());
        }
        if mp.acceptor.is_some() {
            return Err("--acceptor is for --impl multi-paxos: epaxos's replicas are regions \
                        behind one lock each"
                .into());
        }
        if mp.crash_leader_after.is_some() || mp.stall_leader.is_some() {
            return Err("--crash-leader-after and --stall-leader are not for epaxos on the \
                        command line yet: it has no leader, and a crashed command leader's \
                        instances need recovery, which the library has for 3 replicas (its \
                        tests and loom and shuttle models crash leaders) but this command does \
                        not drive yet; only replica crashes (--crash-acceptor i[@k]) here"
                .into());
        }
        if mp.reads.is_some() {
            return Err("--reads is for --impl multi-paxos: epaxos orders a read only after \
                        the writes it conflicts with (no leader to answer it)"
                .into());
        }
        if mp.detect_timeout_ms.is_some() {
            return Err("--detect-timeout-ms is for multi-paxos and zab: epaxos has no leader \
                        to suspect"
                .into());
        }
        let n = self.replica_count();
        if n % 2 == 0 {
            return Err(format!(
                "--replicas {n}: EPaxos runs on 2F + 1 replicas (1, 3, 5, ...); {n} tolerates no \
                 more crashes than {} and needs larger quorums",
                n - 1
            ));
        }
        self.config(mp, 1, 1)
            .faults
            .validate(n, 0)
            .map_err(|e| format!("--crash-acceptor (a replica of epaxos): {e}"))?;
        self.mix().check(object).map_err(|e| e.to_string())
    }

    /// `5 replicas (fast quorum 3), conflict 0.02`.
    pub(super) fn describe(&self) -> String {
        let n = self.replica_count();
        let q = Quorums::of(n);
        let mix = match self.conflict {
            Some(p) => format!(", conflict {p}"),
            None => String::new(),
        };
        format!("{n} replicas (fast quorum {}){mix}", q.fast)
    }

    /// The object's config (its capacity set by the run).
    fn config(&self, mp: &MultiPaxosArgs, clients: usize, capacity: usize) -> Config {
        workload::epaxos_config(self.replica_count(), clients, capacity, mp.plan())
    }

    /// The judged run and its figures.
    pub(super) fn run(
        &self,
        mp: &MultiPaxosArgs,
        object: RsmObject,
        threads: usize,
        ops: usize,
        seed: u64,
    ) -> Result<(Result<StressReport, StressFailure>, Figures), WorkloadError> {
        let config = self.config(mp, threads, ops / threads.max(1));
        let run = object.visit(WithObject { config, ops, seed, mix: self.mix() })?;
        let n = self.replica_count();
        let q = Quorums::of(n);
        let t = run.totals;
        let figures = Figures {
            replicas: n,
            majority: q.majority,
            fast_quorum: q.fast,
            crashed_replicas: mp.crash_acceptor.iter().map(ToString::to_string).collect(),
            conflict: self.conflict,
            totals: t,
            fast_share: t.fast_share(),
            region_ops_per_command: t.region_ops_per_command(),
        };
        Ok((run.outcome, figures))
    }
}

struct WithObject {
    config: Config,
    ops: usize,
    seed: u64,
    mix: Mix,
}

impl VisitObject for WithObject {
    type Output = Result<workload::EpaxosRun, WorkloadError>;
    fn visit<S: ObjectWorkload>(self) -> Self::Output
    where
        S::Op: Sync,
    {
        workload::stress_epaxos::<S>(self.config, self.ops, self.seed, self.mix)
    }
}

impl Figures {
    /// The report's EPaxos lines.
    pub(super) fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let t = &self.totals;
        let pct = |x: Option<f64>| x.map_or("—".into(), |x| format!("{:.1} %", 100.0 * x));
        writeln!(
            out,
            "replicas: {} (majority {}, fast quorum {}){}",
            self.replicas,
            self.majority,
            self.fast_quorum,
            if self.crashed_replicas.is_empty() {
                String::new()
            } else {
                format!(", crashed: {}", self.crashed_replicas.join(" "))
            }
        )?;
        writeln!(
            out,
            "workload: {}",
            match self.conflict {
                Some(p) => format!(
                    "conflict rate {p}: each operation on the shared key 0 with probability \
                     {p}, else on its client's own key"
                ),
                None => "the object's own mix".into(),
            }
        )?;
        writeln!(
            out,
            "commands: {} committed, fast path {} ({}), slow path {}; {} pre-accepts, {} \
             accepts: region operations per command {}",
            t.commands,
            t.fast,
            pct(self.fast_share),
            t.slow,
            t.pre_accepts,
            t.accepts,
            self.region_ops_per_command.map_or("—".into(), |a| format!("{a:.2}"))
        )?;
        writeln!(
            out,
            "execution: {} instances executed at the clients' replicas (dependencies \
             included); {} waits for a dependency's commit",
            t.executed, t.waits
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::run_cli;

    const EP: [&str; 4] = ["rsm", "--impl", "epaxos", "--object"];

    #[test]
    fn a_conflict_rate_run_is_judged_with_its_figures() {
        let args = ["kv", "--replicas", "5", "--clients", "4", "--conflict", "0.02"];
        let (code, out, err) = run_cli(&[&EP[..], &args, &["--ops", "4000"]].concat());
        assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE, "{out}{err}");
        assert!(out.contains("epaxos kv over 5 replicas (fast quorum 3), conflict 0.02"), "{out}");
        assert!(
            out.contains("linearizable: yes; conflict order agreement: yes"),
            "the judge for partially ordered logs: {out}"
        );
        assert!(out.contains("progress claimed: blocking"), "{out}");
        assert!(out.contains("replicas: 5 (majority 3, fast quorum 3)"), "{out}");
        assert!(out.contains("commands: 4000 committed, fast path"), "{out}");
        assert!(out.contains("latency per submit: p50"), "{out}");
    }

    #[test]
    fn json_carries_the_fast_share_and_beyond_the_search_the_certificate_decides() {
        let args = ["kv", "--clients", "2", "--conflict", "0", "--ops", "20002"];
        let (code, out, err) = run_cli(&[&EP[..], &args, &["--format", "json"]].concat());
        assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE, "{out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["impl"], "epaxos");
        assert_eq!(v["linearizable"], "certified", "{out}");
        assert_eq!(v["epaxos"]["replicas"], 3);
        assert_eq!(v["epaxos"]["fast_share"], 1.0, "no conflict: every command fast: {out}");
        assert_eq!(v["epaxos"]["region_ops_per_command"], 2.0, "{out}");
        assert_eq!(v["epaxos"]["totals"]["commands"], 20002);
        let (_, text, _) = run_cli(&[&EP[..], &args].concat());
        assert!(text.contains("certified by the partial-order certificate"), "{text}");
    }

    #[test]
    fn every_object_runs_over_epaxos_with_a_replica_crash() {
        for object in ["counter", "register", "queue", "stack", "kv"] {
            let args = [object, "--clients", "3", "--ops", "600", "--crash-acceptor", "1@50"];
            let (code, out, err) = run_cli(&[&EP[..], &args, &["--format", "json"]].concat());
            assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE, "{object}: {out}{err}");
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(v["linearizable"], "yes", "{object}: {out}");
            assert_eq!(v["log_agreement"], "yes", "{object}: {out}");
            assert_eq!(v["epaxos"]["crashed_replicas"][0], "1@50", "{out}");
        }
    }

    #[test]
    fn more_than_f_replicas_crashed_is_no_quorum_not_a_hang() {
        let crash = ["--replicas", "5", "--crash-acceptor", "0", "--crash-acceptor", "1"];
        let more = ["--crash-acceptor", "2@3"];
        let (code, out, err) =
            run_cli(&[&EP[..], &["kv", "--clients", "2", "--ops", "200"], &crash, &more].concat());
        assert_eq!(code, crate::EXIT_NO_QUORUM, "{out}{err}");
        assert!(out.contains("NO QUORUM: more than F of the replicas crashed"), "{out}");
    }

    #[test]
    fn bad_input_is_refused_with_a_clear_error() {
        let refused = |line: &[&str], why: &str| {
            let (code, out, err) = run_cli(line);
            assert_eq!(code, crate::EXIT_USAGE, "{line:?}: {out}{err}");
            assert!(err.contains(why), "{line:?}: {err}");
        };
        refused(&[&EP[..], &["kv", "--replicas", "4"]].concat(), "2F + 1 replicas");
        refused(&[&EP[..], &["kv", "--conflict", "1.5"]].concat(), "from 0 to 1 (1.5 given)");
        refused(&[&EP[..], &["kv", "--conflict", "-0.1"]].concat(), "from 0 to 1");
        refused(&[&EP[..], &["counter", "--conflict", "0.5"]].concat(), "a counter has no keys");
        refused(&[&EP[..], &["kv", "--acceptors", "5"]].concat(), "with --replicas");
        refused(&[&EP[..], &["kv", "--crash-leader-after", "5"]].concat(), "need recovery");
        refused(&[&EP[..], &["kv", "--stall-leader", "5"]].concat(), "need recovery");
        refused(&[&EP[..], &["kv", "--reads", "leader"]].concat(), "--reads is for");
        refused(&[&EP[..], &["kv", "--detect-timeout-ms", "5"]].concat(), "no leader");
        refused(&[&EP[..], &["kv", "--crash-acceptor", "3"]].concat(), "no acceptor 3");
        refused(&[&EP[..], &["kv", "--slots", "cas"]].concat(), "--slots is for");
        refused(&["rsm", "--impl", "zab", "--conflict", "0.1"], "--conflict is for --impl epaxos");
        refused(&["rsm", "--impl", "multi-paxos", "--replicas", "5"], "--replicas is for");
        refused(&["rsm", "--conflict", "0.1"], "not universal");
    }
}
