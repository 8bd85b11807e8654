//! `conlab exercise list | hint NAME | check NAME`: the course exercises.
//!
//! The exercises are a crate of their own (`exercises/`, which students
//! edit), so checking one means building the student's code: this command
//! runs that crate's `exercises` binary through cargo, in the two builds the
//! harness ([`check::verify`](consensus_lab::check::verify)) needs:
//!
//! 1. the loom build (`RUSTFLAGS="--cfg loom"`, release, `target/loom`, shared
//!    with the loom suite): every interleaving at the thread counts the
//!    exercise claims;
//! 2. the ordinary release build: real threads racing on thousands of fresh
//!    instances.
//!
//! Each stage builds the binary with cargo (its progress and messages on
//! stderr, and the source tree it builds named first), then runs it, so a build failure
//! (the student's code does not compile) and a crash of the check are told
//! apart. `check` stops after the loom stage if it fails (its trace says more
//! than any stress run). `list` and `hint` read the exercises' catalog, which
//! this binary includes, and need no build. Exit codes: 0 passed, 1 failed,
//! did not compile or crashed, 2 bad input (an unknown exercise, no source
//! tree, no cargo).

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

/// The exercises' catalog (names, files, hints), the crate the exercises crate
/// uses too: `list` and `hint` need no build of the exercises, so they work
/// while a student's file does not compile.
use conlab_exercise_catalog as catalog;

/// One build of the exercises binary, then one run of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Invocation {
    /// Whether it is the loom build.
    pub loom: bool,
    /// Cargo's arguments for the build.
    pub build: Vec<String>,
    /// The binary, relative to the source tree.
    pub binary: PathBuf,
    /// The binary's arguments.
    pub args: Vec<String>,
}

/// The builds and runs `check` needs, in order.
pub(crate) fn invocations(name: &str, solution: bool, stage: Stages) -> Vec<Invocation> {
    let make = |loom: bool| {
        let mut build: Vec<String> = ["build", "--release", "-p", "conlab-exercises"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let dir = if loom {
            build.extend(["--target-dir".into(), "target/loom".into()]);
            Path::new("target/loom/release")
        } else {
            Path::new("target/release")
        };
        let mut args = vec!["check".to_string(), name.to_string()];
        if solution {
            args.push("--solution".into());
        }
        Invocation { loom, build, binary: dir.join("exercises"), args }
    };
    let mut v = Vec::new();
    if matches!(stage, Stages::Both | Stages::Loom) {
        v.push(make(true));
    }
    if matches!(stage, Stages::Both | Stages::Stress) {
        v.push(make(false));
    }
    v
}

/// The source tree this `conlab` was built from.
fn source_tree() -> Result<PathBuf, String> {
    // This crate is `conlab/` in the workspace; the workspace root is its parent.
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("/")).to_path_buf();
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

fn named(name: &str) -> Result<&'static catalog::Info, String> {
    catalog::info(name).ok_or_else(|| {
        let names: Vec<_> = catalog::CATALOG.iter().map(|e| e.name).collect();
        format!("unknown exercise '{name}' (exercises: {})", names.join(", "))
    })
}

/// Runs the subcommand; returns the exit code.
///
/// # Errors
/// An unknown exercise, no source tree, or cargo cannot be started (exit
/// code 2).
pub(super) fn exercise(
    args: &ExerciseArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    let (name, solution, stage) = match &args.action {
        Action::List => {
            for (i, e) in catalog::CATALOG.iter().enumerate() {
                writeln!(out, "{:>2}. {:<28} {:<26} {}", i + 1, e.name, e.file, e.title)?;
            }
            writeln!(
                out,
                "check one with: conlab exercise check NAME (files are under exercises/)"
            )?;
            return Ok(0);
        }
        Action::Hint { name } => {
            let e = named(name)?;
            writeln!(out, "{} (exercises/{}): {}", e.name, e.file, e.title)?;
            for (i, h) in e.hints.iter().enumerate() {
                writeln!(out, "  hint {}: {h}", i + 1)?;
            }
            return Ok(0);
        }
        Action::Check { name, solution, stage } => (named(name)?.name, *solution, *stage),
    };
    let root = source_tree()?;
    let _ = writeln!(
        err,
        "conlab: checking {name} in {} (the source tree this conlab was built from)",
        root.display()
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    for inv in invocations(name, solution, stage) {
        let what = if inv.loom { "loom models (every interleaving)" } else { "real cores" };
        let _ = writeln!(err, "conlab: building {name} and checking it: {what} ...");
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&root).args(&inv.build);
        if inv.loom {
            let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
            if !flags.is_empty() {
                flags.push(' ');
            }
            flags.push_str("--cfg loom");
            cmd.env("RUSTFLAGS", flags);
        }
        // cargo's own progress and messages go straight to stderr, so a long
        // build shows its progress and a student's compile errors show as
        // cargo prints them.
        let built = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .status()
            .map_err(|e| format!("cannot run cargo ({}): {e}", Path::new(&cargo).display()))?;
        if !built.success() {
            // Most often: the student's code does not compile.
            let _ = writeln!(
                err,
                "conlab: the exercises crate did not build (see the compiler's messages above)"
            );
            return Ok(super::EXIT_VIOLATION);
        }
        let ran = Command::new(root.join(&inv.binary))
            .current_dir(&root)
            .args(&inv.args)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", inv.binary.display()))?;
        out.write_all(&ran.stdout)?;
        match ran.status.code() {
            Some(0) => {}
            Some(1) => return Ok(super::EXIT_VIOLATION),
            Some(2) => {
                let text = String::from_utf8_lossy(&ran.stderr);
                let line = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("bad input");
                return Err(line.trim_start_matches("exercises: ").into());
            }
            other => {
                let _ = err.write_all(&ran.stderr);
                let how =
                    other.map_or("was killed by a signal".into(), |c| format!("exited with {c}"));
                let _ = writeln!(
                    err,
                    "conlab: the check of {name} crashed: the exercises binary {how}"
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
        let inv = invocations("cas-n", true, Stages::Both);
        assert_eq!(inv.len(), 2);
        assert!(inv[0].loom && !inv[1].loom);
        assert!(inv[0].build.windows(2).any(|w| w == ["--target-dir", "target/loom"]));
        assert_eq!(inv[0].binary, Path::new("target/loom/release/exercises"));
        assert!(!inv[1].build.iter().any(|a| a == "--target-dir"));
        assert_eq!(inv[1].binary, Path::new("target/release/exercises"));
        for i in &inv {
            assert_eq!(i.args, ["check", "cas-n", "--solution"]);
        }
        let only = invocations("x", false, Stages::Stress);
        assert_eq!(only.len(), 1);
        assert!(!only[0].loom && only[0].args == ["check", "x"]);
    }

    #[test]
    fn list_and_hint_need_no_build() {
        let (code, out, _) = super::super::tests::run_cli(&["exercise", "list"]);
        assert_eq!(code, 0);
        assert!(out.contains("test-and-set-2") && out.contains("paxos-acceptor"), "{out}");
        let (code, out, _) = super::super::tests::run_cli(&["exercise", "hint", "cas-n"]);
        assert_eq!(code, 0);
        assert!(out.contains("hint 1:"), "{out}");
    }

    #[test]
    fn unknown_exercises_are_refused_before_any_build() {
        for args in [&["exercise", "hint", "nope"][..], &["exercise", "check", "nope"]] {
            let (code, _, err) = super::super::tests::run_cli(args);
            assert_eq!(code, super::super::EXIT_USAGE, "{err}");
            assert!(err.contains("unknown exercise 'nope'") && err.contains("cas-n"), "{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }

    #[test]
    fn the_source_tree_is_found() {
        assert!(source_tree().unwrap().join("exercises/src/lib.rs").is_file());
    }

    #[test]
    fn missing_names_are_usage_errors() {
        let (code, _, err) = super::super::tests::run_cli(&["exercise", "check"]);
        assert_eq!(code, super::super::EXIT_USAGE, "{err}");
        assert!(err.contains("<NAME>") && err.contains("Usage:"), "{err}");
    }
}
