//! `conlab exercise list | hint NAME | check NAME`: the course exercises.
//!
//! The exercises are a crate of their own (`exercises/`, which students
//! edit), so checking one means building the student's code: this command
//! runs that crate's `exercises` binary through cargo, in the two builds the
//! harness ([`check::verify`](crate::check::verify)) needs:
//!
//! 1. the loom build (`RUSTFLAGS="--cfg loom"`, release, `target/loom`, shared
//!    with the loom suite): every interleaving at the thread counts the
//!    exercise claims;
//! 2. the ordinary release build: real threads racing on thousands of fresh
//!    instances.
//!
//! `check` stops after the loom stage if it fails (its trace says more than
//! any stress run). Exit codes: 0 passed, 1 failed or did not compile, 2 bad
//! input (an unknown exercise, no source tree, no cargo).

use clap::{Args, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `conlab exercise ...`.
#[derive(Debug, Args)]
pub struct ExerciseArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
}

/// The exercise subcommands.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// The exercises, in course order, with the file each one is in.
    List,
    /// The hints of one exercise, gentlest first.
    Hint {
        /// The exercise (see `conlab exercise list`).
        name: String,
    },
    /// Check one exercise: loom (every interleaving), then real cores.
    Check {
        /// The exercise (see `conlab exercise list`).
        name: String,
        /// Check the reference solution instead of the student's file.
        #[arg(long)]
        solution: bool,
        /// Which checks to run.
        #[arg(long, value_enum, default_value_t = Stages::Both)]
        stage: Stages,
    },
}

/// Which builds `check` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Stages {
    /// Loom, then real cores.
    Both,
    /// Only the loom models.
    Loom,
    /// Only the real-core stress run.
    Stress,
}

/// One cargo invocation of the exercises binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// Whether it is the loom build.
    pub loom: bool,
    /// Cargo's arguments.
    pub args: Vec<String>,
}

/// The cargo invocations an action needs, in order.
pub fn invocations(action: &Action) -> Vec<Invocation> {
    let run = |loom: bool, rest: &[&str]| {
        let mut args: Vec<String> =
            ["run", "--quiet", "--release", "-p", "conlab-exercises", "--bin", "exercises"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        if loom {
            args.extend(["--target-dir".into(), "target/loom".into()]);
        }
        args.push("--".into());
        args.extend(rest.iter().map(|s| s.to_string()));
        Invocation { loom, args }
    };
    match action {
        Action::List => vec![run(false, &["list"])],
        Action::Hint { name } => vec![run(false, &["hint", name])],
        Action::Check { name, solution, stage } => {
            let mut rest = vec!["check", name.as_str()];
            if *solution {
                rest.push("--solution");
            }
            let mut v = Vec::new();
            if matches!(stage, Stages::Both | Stages::Loom) {
                v.push(run(true, &rest));
            }
            if matches!(stage, Stages::Both | Stages::Stress) {
                v.push(run(false, &rest));
            }
            v
        }
    }
}

/// The source tree this `conlab` was built from.
fn source_tree() -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    if root.join("exercises").join("Cargo.toml").is_file() {
        Ok(root)
    } else {
        Err(format!(
            "conlab exercise needs the consensus-lab source tree it was built from; \
             {} has no exercises/ crate",
            root.display()
        ))
    }
}

/// Runs the subcommand; returns the exit code.
///
/// # Errors
/// No source tree, or cargo cannot be started (exit code 2).
pub(super) fn exercise(
    args: &ExerciseArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    let root = source_tree()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let checking = matches!(args.action, Action::Check { .. });
    for inv in invocations(&args.action) {
        if checking {
            let what = if inv.loom { "loom models (every interleaving)" } else { "real cores" };
            let _ = writeln!(err, "conlab: building the exercise and checking it: {what} ...");
        }
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&root).args(&inv.args);
        if inv.loom {
            let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
            if !flags.is_empty() {
                flags.push(' ');
            }
            flags.push_str("--cfg loom");
            cmd.env("RUSTFLAGS", flags);
        }
        let output = cmd
            .output()
            .map_err(|e| format!("cannot run cargo ({}): {e}", Path::new(&cargo).display()))?;
        let _ = out.write_all(&output.stdout);
        match output.status.code() {
            Some(0) => {}
            Some(1) => return Ok(super::EXIT_VIOLATION),
            Some(2) => {
                // The exercises binary's own usage error: one line, passed on.
                let text = String::from_utf8_lossy(&output.stderr);
                let line = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("bad input");
                return Err(line.trim_start_matches("exercises: ").into());
            }
            _ => {
                // Cargo failed: most often the student's code does not compile.
                let _ = err.write_all(&output.stderr);
                let _ = writeln!(
                    err,
                    "conlab: the exercises crate did not build (see the compiler's messages above)"
                );
                return Ok(super::EXIT_VIOLATION);
            }
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_runs_loom_first_then_real_cores() {
        let inv = invocations(&Action::Check {
            name: "cas-n".into(),
            solution: true,
            stage: Stages::Both,
        });
        assert_eq!(inv.len(), 2);
        assert!(inv[0].loom && !inv[1].loom);
        assert!(inv[0].args.windows(2).any(|w| w == ["--target-dir", "target/loom"]));
        assert!(!inv[1].args.iter().any(|a| a == "--target-dir"));
        for i in &inv {
            assert!(i.args.ends_with(&["check".into(), "cas-n".into(), "--solution".into()]));
        }
        let only = invocations(&Action::Check {
            name: "x".into(),
            solution: false,
            stage: Stages::Stress,
        });
        assert_eq!(only.len(), 1);
        assert!(!only[0].loom && only[0].args.last().unwrap() == "x");
    }

    #[test]
    fn the_source_tree_is_found() {
        assert!(source_tree().unwrap().join("exercises/src/lib.rs").is_file());
    }

    #[test]
    fn missing_names_are_usage_errors() {
        let (code, _, err) = super::super::tests::run_cli(&["exercise", "check"]);
        assert_eq!(code, super::super::EXIT_USAGE, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
