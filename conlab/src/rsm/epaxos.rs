//! `conlab rsm --impl epaxos`: its flags (`--replicas`, `--conflict`; the
//! replica crashes of `--crash-acceptor`, the command leader faults of
//! `--crash-leader-after` and `--stall-leader`), its run (the object's spec
//! monomorphized) and its figures: fast-path share, region operations per
//! command, waits, recoveries, second tries, and what became of the
//! instances a crashed leader left.
//!
//! EPaxos has replicas, not acceptors, and no leader: `--acceptors` is
//! refused (use `--replicas`), and so is the detector's timeout (a replica
//! recovers a dependency it waited 1 ms for). The leader faults keep
//! Multi-Paxos's flags and meaning, with a command leader's instances for
//! the log's slots: `--crash-leader-after K` crashes the first command
//! leader to reach its instance K (from 0: its (K + 1)-th, counting second
//! tries), at `--leader-step` (before its first pre-accept; after a
//! minority pre-accepted, F replicas from its home; after its quorum
//! recorded the attributes, before the commit). The command builds the
//! library's `FaultPlan` and lets `Epaxos::new` refuse what it cannot do (a
//! replica that does not exist, proposer faults, an instance beyond the
//! capacity): that refusal is the command's error, exit code 2.

use super::multi_paxos::MultiPaxosArgs;
use consensus_lab::check::replicated::stress::{StressFailure, StressReport};
use consensus_lab::check::replicated::workload::{
    self, Mix, ObjectWorkload, RsmObject, VisitObject, WorkloadError,
};
use consensus_lab::objects::Spec;
use consensus_lab::rsm::epaxos::replica::Command;
use consensus_lab::rsm::epaxos::{Config, Epaxos, EpaxosTotals, Quorums};
use consensus_lab::rsm::{OpId, Replicated};
use std::collections::HashSet;
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
    /// `--crash-leader-after`: `instance 5, before-publish`.
    leader_fault: Option<String>,
    /// `--stall-leader`: `instance 5, before-publish, 20 ms`.
    leader_stall: Option<String>,
    /// Every counter, `waits`, `recoveries` and `retries` among them.
    totals: EpaxosTotals,
    fast_share: Option<f64>,
    region_ops_per_command: Option<f64>,
    /// Instances some replica recorded that were never committed (a
    /// crashed leader's, when nothing needed them).
    pending: Vec<Pending>,
    /// What became of the crashed leader's instance (`--crash-leader-after`).
    crashed_leader: Option<CrashedLeader>,
}

/// An instance some replica recorded and nobody committed.
#[derive(Clone, Debug, serde::Serialize)]
struct Pending {
    /// `t1#6`: client 1's 6th instance.
    instance: String,
    /// Replicas that recorded it.
    recorded_at: usize,
    /// Whether a committed instance depends on it (then it must have been
    /// committed: its dependents' executions waited for it).
    depended_on: bool,
}

/// What became of a crashed command leader's instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
enum Fate {
    /// A recovery committed its command.
    Recovered,
    /// A recovery committed a no-op (no replica it asked had seen it).
    RecoveredNoop,
    /// Not committed, and nothing committed depends on it: no replica
    /// waited for it, so none recovered it.
    NotNeeded,
    /// Not committed although a committed instance depends on it.
    Lost,
}

/// The crashed leader's instance at the end of the run.
#[derive(Clone, Debug, serde::Serialize)]
struct CrashedLeader {
    /// `t1#6`; `None` if no leader reached the fault's instance.
    instance: Option<String>,
    fate: Option<Fate>,
    /// Replicas that recorded it.
    recorded_at: usize,
    /// Committed instances of other rows whose dependencies reach it.
    depended_on: bool,
}

/// The instances at the end of a run, read from the object.
#[derive(Debug, Default)]
struct Instances {
    pending: Vec<Pending>,
    crashed: Option<CrashedLeader>,
}

impl Instances {
    /// Reads `object` after its run: every instance a replica recorded or
    /// promised, which are committed, and how far each row got;
    /// The crashed leader's instance is the one the plan's crash (if it has
    /// one: `--crash-leader-after`) struck, as the object recorded it.
    fn of<S: Spec + Send + Sync + 'static>(object: &Epaxos<S>) -> Self
    where
        S::Op: Sync,
    {
        let states: Vec<_> = (0..).map_while(|i| object.replica(i)).collect();
        let mut seen: HashSet<OpId> = HashSet::new();
        for st in &states {
            seen.extend(st.instances.keys().copied());
            seen.extend(st.promised.keys().copied());
        }
        let rows = object.clients_count();
        // Per row, the highest instance another row's commit depends on.
        let mut needed = vec![0u64; rows];
        for id in seen.iter().filter(|id| id.client < rows) {
            if let Some(c) = object.committed(*id) {
                for (q, &d) in c.attrs.deps.iter().enumerate().filter(|&(q, _)| q != id.client) {
                    if let Some(n) = needed.get_mut(q) {
                        *n = (*n).max(d);
                    }
                }
            }
        }
        let recorded_at =
            |id: &OpId| states.iter().filter(|s| s.instances.contains_key(id)).count();
        let depended_on = |id: &OpId| needed.get(id.client).is_some_and(|&n| n >= id.seq);
        let mut uncommitted: Vec<&OpId> =
            seen.iter().filter(|id| object.committed(**id).is_none()).collect();
        uncommitted.sort();
        let pending = uncommitted
            .into_iter()
            .map(|id| Pending {
                instance: id.to_string(),
                recorded_at: recorded_at(id),
                depended_on: depended_on(id),
            })
            .collect();
        let crash = object.leader_faults_struck().into_iter().find(|(f, _)| f.stall.is_none());
        let crashed = crash.map(|(_, id)| {
            let fate = id.map(|id| match object.committed(id).map(|c| c.command) {
                Some(Command::Noop) => Fate::RecoveredNoop,
                Some(Command::Op { .. }) => Fate::Recovered,
                None if depended_on(&id) => Fate::Lost,
                None => Fate::NotNeeded,
            });
            CrashedLeader {
                instance: id.map(|id| id.to_string()),
                fate,
                recorded_at: id.map_or(0, |id| recorded_at(&id)),
                depended_on: id.is_some_and(|id| depended_on(&id)),
            }
        });
        Instances { pending, crashed }
    }
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

    /// Refuses what an EPaxos run cannot do, before any work: the flags
    /// that are Multi-Paxos's alone, a leader fault at an instance no
    /// leader reaches (or a crash and a stall at one), a conflict rate
    /// outside [0, 1] or for an object without keys. The replica count and
    /// the fault plan are `Epaxos::new`'s to refuse (at the start of the
    /// run, before any client thread).
    pub(super) fn check(
        &self,
        mp: &MultiPaxosArgs,
        object: RsmObject,
        (threads, ops): (usize, usize),
    ) -> Result<(), String> {
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
        let per = ops / threads.max(1);
        mp.check_leader_faults(
            per,
            &format!(
                "each command leader leads {per} instances (--ops {ops} over {threads} clients; \
                 from 0)"
            ),
        )?;
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

    /// The object's config: `capacity` operations per client (and room for
    /// their second tries), the replica crashes and the leader faults.
    fn config(&self, mp: &MultiPaxosArgs, clients: usize, capacity: usize) -> Config {
        workload::epaxos_config(self.replica_count(), clients, capacity, mp.plan())
    }

    /// The leader faults' lines: `instance 5, before-publish` (a stall: and
    /// its pause).
    fn fault_labels(mp: &MultiPaxosArgs) -> (Option<String>, Option<String>) {
        let step = mp.leader_step.unwrap_or_default().name();
        (
            mp.crash_leader_after.map(|k| format!("instance {k}, {step}")),
            mp.stall_label().map(|l| l.replacen("slot", "instance", 1)),
        )
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
        let (leader_fault, leader_stall) = Self::fault_labels(mp);
        let figures = Figures {
            replicas: n,
            majority: q.majority,
            fast_quorum: q.fast,
            crashed_replicas: mp.crash_acceptor.iter().map(ToString::to_string).collect(),
            conflict: self.conflict,
            leader_fault,
            leader_stall,
            totals: t,
            fast_share: t.fast_share(),
            region_ops_per_command: t.region_ops_per_command(),
            pending: run.instances.pending,
            crashed_leader: run.instances.crashed,
        };
        Ok((run.outcome, figures))
    }
}

struct WithObject {
    /// Its capacity: operations per client.
    config: Config,
    ops: usize,
    seed: u64,
    mix: Mix,
}

/// What a judged EPaxos run did.
struct Run {
    outcome: Result<StressReport, StressFailure>,
    totals: EpaxosTotals,
    instances: Instances,
}

impl VisitObject for WithObject {
    type Output = Result<Run, WorkloadError>;
    fn visit<S: ObjectWorkload>(self) -> Self::Output
    where
        S::Op: Sync,
    {
        let WithObject { config, ops, seed, mix } = self;
        let clients = config.clients;
        let build = |_| Epaxos::<S>::new(S::fresh(), config);
        let run =
            workload::stress_replicated(clients, ops, (seed, mix), build, |_| Ok(Vec::new()))?;
        Ok(Run {
            outcome: run.outcome,
            totals: run.object.totals(),
            instances: Instances::of(&run.object),
        })
    }
}

/// At most this many instances never committed are named in the text
/// report.
const PENDING_LINES: usize = 8;

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
            "commands: {} committed by their leaders (the rest by recoveries), fast path {} \
             ({}), slow path {}; {} pre-accepts, {} accepts: region operations per command {}",
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
        )?;
        writeln!(
            out,
            "recovery: {} explicit prepares (a replica that waited 1 ms for a dependency's \
             commit takes it over), {} operations proposed again (a recovery had put a no-op in \
             their instance)",
            t.recoveries, t.retries
        )?;
        if let Some(f) = &self.leader_fault {
            writeln!(out, "leader crash at {f}: {}", self.crashed_text())?;
        }
        if let Some(s) = &self.leader_stall {
            writeln!(
                out,
                "leader stall at {s}: whoever led there paused; replicas that waited for its \
                 instance recovered it (the recoveries above), and it woke and adopted whatever \
                 was committed (the verdicts above say whether the replicas still agree)"
            )?;
        }
        if !self.pending.is_empty() {
            let each: Vec<String> = self
                .pending
                .iter()
                .take(PENDING_LINES)
                .map(|p| {
                    format!(
                        "{} (recorded at {}{})",
                        p.instance,
                        p.recorded_at,
                        if p.depended_on { ", DEPENDED ON" } else { ", nothing depends on it" }
                    )
                })
                .collect();
            let more = self.pending.len().saturating_sub(PENDING_LINES);
            writeln!(
                out,
                "never committed: {}{}",
                each.join("; "),
                if more > 0 {
                    format!("; and {more} more (--format json lists them)")
                } else {
                    String::new()
                }
            )?;
        }
        Ok(())
    }

    /// What became of the crashed leader's instance, in words.
    fn crashed_text(&self) -> String {
        let Some(c) = &self.crashed_leader else { return String::new() };
        let (Some(id), Some(fate)) = (&c.instance, c.fate) else {
            return "no command leader reached that instance (each stopped before it)".into();
        };
        match fate {
            Fate::Recovered => format!(
                "its instance {id} was recovered: a replica that waited for it prepared it and \
                 committed the command ({} replica(s) had recorded it)",
                c.recorded_at
            ),
            Fate::RecoveredNoop => format!(
                "its instance {id} was recovered as a no-op (the replicas a recovery asked had \
                 not seen the command)"
            ),
            Fate::NotNeeded if c.recorded_at == 0 => format!(
                "its instance {id} was never committed: the leader crashed before its first \
                 pre-accept, no replica saw it, so nothing depends on it and nothing waited"
            ),
            Fate::NotNeeded => format!(
                "its instance {id} was never committed: {} replica(s) recorded it, but no \
                 committed command depends on it, so no replica waited for it and none \
                 recovered it (an instance is recovered when a replica needs it)",
                c.recorded_at
            ),
            Fate::Lost => format!(
                "its instance {id} was NOT committed although a committed command depends on it"
            ),
        }
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
        // 4,000 commands, each committed by its leader or, when a waiting
        // replica's recovery fenced a slow leader out, by that recovery.
        assert!(out.contains("committed by their leaders (the rest by recoveries)"), "{out}");
        let v = run_cli(&[&EP[..], &args, &["--ops", "4000", "--format", "json"]].concat()).1;
        let v: serde_json::Value = serde_json::from_str(&v).unwrap();
        let t = &v["epaxos"]["totals"];
        let (c, r) = (t["commands"].as_u64().unwrap(), t["recoveries"].as_u64().unwrap());
        assert!(c <= 4000 && c + r >= 4000, "{t}");
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
        // 20,000 operations over 4 clients: 5,000 instances each.
        refused(
            &[&EP[..], &["kv", "--crash-leader-after", "5000"]].concat(),
            "each command leader leads 5000 instances",
        );
        refused(&[&EP[..], &["kv", "--stall-leader", "5000"]].concat(), "the stall would never");
        refused(&[&EP[..], &["kv", "--reads", "leader"]].concat(), "--reads is for");
        refused(&[&EP[..], &["kv", "--detect-timeout-ms", "5"]].concat(), "no leader");
        // The library's refusals (Epaxos::new), in the command's words.
        refused(
            &[&EP[..], &["kv", "--crash-acceptor", "3"]].concat(),
            "--impl epaxos refuses this run: there is no acceptor 3",
        );
        refused(&[&EP[..], &["kv", "--slots", "cas"]].concat(), "--slots is for");
        refused(&["rsm", "--impl", "zab", "--conflict", "0.1"], "--conflict is for --impl epaxos");
        refused(&["rsm", "--impl", "multi-paxos", "--replicas", "5"], "--replicas is for");
        refused(&["rsm", "--conflict", "0.1"], "not universal");
    }
}
