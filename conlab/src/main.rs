//! `conlab`: the lab's command line (clap derive), a crate of its own so that
//! clap, comfy-table, serde_json and the rest of the CLI's dependencies are
//! not dependencies of the library.
//!
//! Every failure is one line on stderr and a non-zero exit: 2 for bad input
//! (unknown protocol, zero or non-numeric counts, more threads than a protocol
//! supports, a fault plan naming nobody, a stall point a protocol does not
//! have, an unknown exercise; also a machine too busy for the stall demo to
//! show anything), 1 when a run found a violation (or an exercise failed), 3
//! when Paxos found no quorum.

mod bench;
mod check_history;
mod demo;
mod exercise;
mod hierarchy;
mod list;
mod paxos;
mod plot;
mod rows;
mod run;

use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::io::Write;

/// consensus-lab: consensus and the wait-free hierarchy on real atomics.
#[derive(Debug, Parser)]
#[command(name = "conlab", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the registry: every protocol, its primitive, consensus number,
    /// progress guarantee and loom models.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print Herlihy's hierarchy: each object, its consensus number, the
    /// protocols built on it, where loom verified them or found their
    /// counterexample, and their progress.
    Hierarchy {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Stress-check protocols on real cores: N threads race on each of K fresh
    /// instances and every decision is verified. Exits 1 on any violation.
    Run(run::RunArgs),
    /// Measure: every protocol on fresh instances (1 thread and N racing) with
    /// the baselines a user would pick instead, and the atomic primitives on a
    /// shared line and on padded lines. Labels oversubscribed thread counts.
    Bench(bench::BenchArgs),
    /// Run Paxos on real cores with crash faults: decisions, ballots and nacks per
    /// proposer, acceptor operations per decision, time. Exits non-zero without
    /// a quorum or on any disagreement.
    Paxos(paxos::PaxosArgs),
    /// The course exercises: list them, print a hint, check one (loom models of
    /// every interleaving, then real cores). Runs the exercises crate through
    /// cargo, so it needs the source tree.
    Exercise(exercise::ExerciseArgs),
    /// Demonstrations on real cores. `demo stall`: one thread paused inside its
    /// protocol; how long the others take to decide shows blocking, wait-free
    /// and obstruction-free progress.
    Demo(demo::DemoArgs),
    /// Check a recorded history (JSON lines or Jepsen EDN) for linearizability
    /// against a model. Exits 1 if not linearizable, 4 if undecided in time.
    CheckHistory(check_history::CheckHistoryArgs),
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Text,
    /// JSON for programs.
    Json,
}

/// Exit code for bad input.
pub const EXIT_USAGE: i32 = 2;
/// Exit code for a run that found a violation.
pub const EXIT_VIOLATION: i32 = 1;
/// Exit code for a Paxos run in which no proposer could reach a majority.
pub const EXIT_NO_QUORUM: i32 = 3;
/// Exit code for an inconclusive run: no violation, but nothing was really
/// tested (the threads never raced, 1 thread, no overlapping operations, or a
/// broken protocol whose violation the run did not find).
pub const EXIT_INCONCLUSIVE: i32 = 4;

/// Runs the CLI on `args` (including the program name); returns the exit code.
pub fn main_with<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind::{DisplayHelp, DisplayVersion};
            if matches!(e.kind(), DisplayHelp | DisplayVersion) {
                let _ = write!(out, "{e}");
                return 0;
            }
            let rendered = e.to_string();
            let first = rendered.lines().find(|l| !l.trim().is_empty()).unwrap_or("error");
            let _ = writeln!(err, "conlab: {}", first.trim_start_matches("error: "));
            return EXIT_USAGE;
        }
    };
    let result = match &cli.command {
        Command::List { format } => list::list(*format, out),
        Command::Hierarchy { format } => hierarchy::hierarchy_cmd(*format, out),
        Command::Run(args) => run::run(args, out, err),
        Command::Paxos(args) => paxos::paxos(args, out, err),
        Command::Bench(args) => bench::bench(args, out, err),
        Command::Exercise(args) => exercise::exercise(args, out, err),
        Command::Demo(args) => demo::demo(args, out, err),
        Command::CheckHistory(args) => check_history::check_history(args, out),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "conlab: {e}");
            EXIT_USAGE
        }
    }
}

/// The binary's entry point. (`conlab` is never built with `--cfg loom`: the
/// loom suite is `loom-tests/`.)
fn main() {
    let code = main_with(std::env::args_os(), &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code)
}

/// The machine a figure was measured on: every output names it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Machine {
    /// CPU model name (from /proc/cpuinfo where there is one).
    pub cpu: String,
    /// Cores available to this process.
    pub cores: usize,
    /// The 1-minute load average when the run started (Linux): above about
    /// 0.5, another process was using a core, and contended figures suffer.
    pub load: Option<f64>,
}

impl Machine {
    /// This machine.
    pub fn here() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        let load = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()));
        Machine { cpu, cores: consensus_lab::threads::cores(), load }
    }
}

impl std::fmt::Display for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, {} cores available", self.cpu, self.cores)?;
        if let Some(load) = self.load {
            write!(f, ", load average {load:.2}")?;
            if load > 0.5 {
                write!(
                    f,
                    " (BUSY: another process is using the CPU; contended figures are unreliable)"
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    pub(crate) fn run_cli(args: &[&str]) -> (i32, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code =
            main_with(std::iter::once("conlab").chain(args.iter().copied()), &mut out, &mut err);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    }

    #[test]
    fn bad_input_is_one_line_and_exit_2() {
        for args in [
            &["run", "nope"][..],
            &["run", "cas", "--threads", "0"],
            &["run", "cas", "--threads", "x"],
            &["run", "cas", "--instances", "0"],
            &["run", "cas", "--instances", "-3"],
            &["frobnicate"],
            &["run"],
        ] {
            let (code, out, err) = run_cli(args);
            assert_eq!(code, EXIT_USAGE, "{args:?}: {out}{err}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
            assert!(err.starts_with("conlab: "), "{args:?}: {err}");
        }
        let (_, _, err) = run_cli(&["run", "nope"]);
        assert!(err.contains("unknown protocol 'nope'") && err.contains("cas"), "{err}");
        let (_, _, err) = run_cli(&["run", "cas", "--threads", "x"]);
        assert!(err.contains("--threads"), "{err}");
    }

    #[test]
    fn help_is_not_an_error() {
        let (code, out, _) = run_cli(&["--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("run"));
    }
}
