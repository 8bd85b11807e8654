//! `cargo xtask`: the lab's developer tasks (the `xtask` pattern: plain Rust,
//! no extra tools to install).
//!
//! * `cargo xtask test`: every test. The ordinary suite (`cargo test
//!   --workspace`: unit, integration, CLI and doc tests, the exercises' stress
//!   checks), then the loom suite and the exercises' loom checks, built in
//!   release mode with `--cfg loom` in their own target dir (`target/loom`), so
//!   switching between the two never rebuilds the other.
//! * `cargo xtask layers`: the layer check alone (see `layers.rs`): a module of
//!   the library may use only modules in lower layers (the table `LAYERS`), and
//!   no two sibling modules (of the library or of the CLI crate `conlab/src`)
//!   import each other. It only reads the sources: no build, so it is instant.
//! * `cargo xtask lint`: the layer check first (it fails fast), then `cargo fmt
//!   --check`, `cargo clippy --all-targets -D warnings` and the library's
//!   `cargo doc` with rustdoc warnings as errors (a broken doc link is a defect),
//!   each for the normal build and for the loom build.
//! * `cargo xtask ci`: lint, then test: what `.ci/run` runs.
//! * `cargo xtask shuttle [FILTER…]`: the shuttle suite alone (built with
//!   `--cfg shuttle` in `target/shuttle`) with 10 times its iteration budget
//!   (`SHUTTLE_SCALE=10`); `cargo xtask shuttle --replay FILE MODEL` replays a
//!   failing schedule that the suite saved (under `target/shuttle/schedules/`)
//!   on that one model and prints its protocol trace. `cargo xtask test` runs
//!   the suite too, at its own budget.
//! * `cargo xtask miri`: opt-in, not part of `ci`: the library's unit tests
//!   of the code with `unsafe` blocks (the announce slots) and of the trace
//!   under `cargo +nightly miri test`; it skips, with a message and success,
//!   where nightly or its Miri component is missing.
//! * `cargo xtask man`: the man pages of `conlab` (`conlab.1` and one per
//!   subcommand) in `target/man`, rendered by the `conlab` binary itself (its
//!   hidden `man` subcommand, clap_mangen over its own clap definition). So
//!   xtask stays plain Rust with no dependencies (the layer check needs no
//!   build), and the pages cannot drift from the binary they describe.
//!
//! An argument after `test` is a filter for the loom suite, e.g.
//! `cargo xtask test cas/4` runs only the loom models whose name contains `cas/4`
//! (the ordinary suite still runs in full). `cargo xtask test --long` adds the
//! long suite: the loom models' long explorations (exhaustive, or a higher
//! preemption bound, where CI runs a bounded pass; each protocol's
//! `LoomModel::long_*` and its measured cost), ignored tests of the loom suite
//! that `--long` includes (`-- --include-ignored`). `ci` runs the default suite.

mod layers;

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((t, rest)) => (t.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match task {
        "test" => match rest {
            [flag, ..] if flag == "--help" || flag == "-h" => {
                println!("{TEST_USAGE}");
                Ok(())
            }
            [flag, filter @ ..] if flag == "--long" => test(filter, Suite::Long),
            filter => test(filter, Suite::Default),
        },
        "layers" => layers(),
        "lint" => lint(),
        "ci" => lint().and_then(|()| test(&[], Suite::Default)),
        "shuttle" => shuttle(rest),
        "miri" => miri(),
        "man" => man(),
        "help" | "--help" | "-h" => {
            println!(
                "usage: cargo xtask <test [--long] [LOOM-FILTER] | layers | lint | ci \
                 | shuttle [FILTER] | shuttle --replay FILE MODEL | miri | man>"
            );
            println!("  test: every suite (`cargo xtask test --help`); ci: lint, then test");
            println!("  layers: the layer check alone (lint runs it first)");
            println!(
                "  shuttle: the shuttle suite with 10 times its budget; --replay: one schedule"
            );
            println!("  miri: the unsafe code's unit tests under Miri (opt-in; skips without it)");
            println!("  man: conlab's man pages, in target/man");
            Ok(())
        }
        other => Err(format!(
            "unknown task '{other}' (tasks: test, layers, lint, ci, shuttle, miri, man)"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The RUSTFLAGS of a model build: the caller's, plus `--cfg <world>`.
fn model_rustflags(world: &str) -> String {
    let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    if !flags.is_empty() {
        flags.push(' ');
    }
    flags.push_str("--cfg ");
    flags.push_str(world);
    flags
}

fn cargo(args: &[&str], loom: bool) -> Result<(), String> {
    cargo_with(args, loom, &[])
}

/// [`cargo`] with extra environment variables for the child.
fn cargo_with(args: &[&str], loom: bool, env: &[(&str, String)]) -> Result<(), String> {
    cargo_in(args, loom.then_some("loom"), env)
}

/// [`cargo`] in a model world (`Some("loom")`, `Some("shuttle")`) or the real
/// one, with extra environment variables for the child.
fn cargo_in(args: &[&str], world: Option<&str>, env: &[(&str, String)]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(args);
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    if let Some(world) = world {
        cmd.env("RUSTFLAGS", model_rustflags(world));
    }
    let shown = format!(
        "{}{}cargo {}",
        env.iter().map(|(k, v)| format!("{k}={v} ")).collect::<String>(),
        world.map_or(String::new(), |w| format!("RUSTFLAGS=\"--cfg {w}\" ")),
        args.join(" ")
    );
    eprintln!("xtask: running {shown}");
    let start = Instant::now();
    let status = cmd.status().map_err(|e| format!("could not start cargo: {e}"))?;
    eprintln!(
        "xtask: {shown}: {} in {:.1} s",
        if status.success() { "ok" } else { "FAILED" },
        start.elapsed().as_secs_f64()
    );
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// `cargo xtask test --help`.
const TEST_USAGE: &str = "\
usage: cargo xtask test [--long] [LOOM-FILTER...]

Runs the ordinary suite (cargo test --workspace), the loom suite (release,
--cfg loom, target/loom), the exercises under loom and the shuttle suite.

  LOOM-FILTER  run only the loom models whose name contains it, e.g. cas/4 or
               assignment-3/3/exhaustive (libtest filters: --exact, --skip NAME
               also work); the other suites run in full
  --long       the long suite too: every loom model's long exploration
               (exhaustive, or a higher preemption bound, where the default
               suite runs a bounded pass: LoomModel::long_exhaustive and
               long_bounded in each protocol's file, with its measured cost).
               These are ignored tests of the loom suite; --long passes
               --include-ignored (cargo test -p loom-tests ... -- --ignored runs
               only them)";

/// Which loom models `cargo xtask test` runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Suite {
    /// The default suite (CI): every model at its CI exploration.
    Default,
    /// The default suite plus the long explorations (`--long`).
    Long,
}

fn test(loom_filter: &[String], suite: Suite) -> Result<(), String> {
    cargo(&["test", "--workspace"], false)?;
    let mut args = vec![
        "test",
        "-p",
        "loom-tests",
        "--release",
        "--target-dir",
        "target/loom",
        "--test",
        "loom",
    ];
    if !loom_filter.is_empty() || suite == Suite::Long {
        args.push("--");
        if suite == Suite::Long {
            args.push("--include-ignored");
        }
        args.extend(loom_filter.iter().map(String::as_str));
    }
    cargo(&args, true)?;
    // The exercises under loom: every solution passes, every stub fails.
    cargo(
        &[
            "test",
            "-p",
            "conlab-exercises",
            "--release",
            "--target-dir",
            "target/loom",
            "--test",
            "stubs_and_solutions",
        ],
        true,
    )?;
    // The shuttle suite at its own budget (a few seconds here).
    cargo_in(&shuttle_args(&[]), Some("shuttle"), &[])
}

/// `cargo test` of the shuttle suite, with arguments for the suite.
fn shuttle_args<'a>(suite: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "test",
        "-p",
        "shuttle-tests",
        "--release",
        "--target-dir",
        "target/shuttle",
        "--test",
        "shuttle",
    ];
    if !suite.is_empty() {
        args.push("--");
        args.extend_from_slice(suite);
    }
    args
}

/// `cargo xtask shuttle [FILTER…]` and `cargo xtask shuttle --replay FILE MODEL`.
fn shuttle(rest: &[String]) -> Result<(), String> {
    match rest {
        [flag, file, model] if flag == "--replay" => {
            let file = std::fs::canonicalize(file)
                .map_err(|e| format!("cannot read the schedule file {file}: {e}"))?;
            let file = file.to_string_lossy().into_owned();
            cargo_in(
                &shuttle_args(&["--exact", model]),
                Some("shuttle"),
                &[("SHUTTLE_REPLAY", file)],
            )
        }
        [flag, ..] if flag == "--replay" => {
            Err("usage: cargo xtask shuttle --replay FILE MODEL (a model name from the suite, \
                 e.g. read-write/8/pct-3)"
                .into())
        }
        filters => {
            let filters: Vec<&str> = filters.iter().map(String::as_str).collect();
            cargo_in(&shuttle_args(&filters), Some("shuttle"), &[("SHUTTLE_SCALE", "10".into())])
        }
    }
}

/// The library's unit tests of code with `unsafe` blocks (the announce slots)
/// and of the trace, under Miri; skipped where nightly or Miri is missing.
fn miri() -> Result<(), String> {
    let probe = Command::new("cargo").args(["+nightly", "miri", "--version"]).output();
    match probe {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            let why = String::from_utf8_lossy(&out.stderr);
            println!(
                "xtask: miri skipped: `cargo +nightly miri` is not available here ({}); install \
                 it with `rustup +nightly component add miri`",
                why.lines().next().unwrap_or("no reason given").trim()
            );
            return Ok(());
        }
        Err(e) => {
            println!("xtask: miri skipped: cannot run cargo +nightly ({e})");
            return Ok(());
        }
    }
    let cargo = "cargo";
    let args = [
        "+nightly",
        "miri",
        "test",
        "-p",
        "consensus-lab",
        "--lib",
        "--",
        "announce",
        "trace",
        "rsm::",
    ];
    eprintln!("xtask: running {cargo} {}", args.join(" "));
    let start = Instant::now();
    let status = Command::new(cargo)
        .args(args)
        .status()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    eprintln!(
        "xtask: miri: {} in {:.1} s",
        if status.success() { "ok" } else { "FAILED" },
        start.elapsed().as_secs_f64()
    );
    if status.success() {
        Ok(())
    } else {
        Err(format!("miri failed ({status})"))
    }
}

/// `conlab man target/man`: the man pages, rendered by the binary.
fn man() -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("the xtask crate has no parent directory")?;
    let dir = root.join("target").join("man");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let dir = dir.to_str().ok_or("the target directory's path is not UTF-8")?;
    cargo(&["run", "--quiet", "-p", "conlab", "--", "man", dir], false)?;
    println!("xtask: man pages in {dir} (man -l {dir}/conlab.1)");
    Ok(())
}

/// The layer check on the workspace this xtask belongs to.
fn layers() -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("the xtask crate has no parent directory")?;
    let report = layers::check_tree(root)?;
    if report.violations.is_empty() {
        println!("xtask: layers ok ({} files)", report.files);
        return Ok(());
    }
    for violation in &report.violations {
        println!("{violation}");
    }
    Err(format!(
        "layers: {} violation(s) in {} files (the rule: LAYERS in xtask/src/layers.rs)",
        report.violations.len(),
        report.files
    ))
}

fn lint() -> Result<(), String> {
    layers()?;
    cargo(&["fmt", "--all", "--", "--check"], false)?;
    cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"], false)?;
    cargo(
        &[
            "clippy",
            "-p",
            "consensus-lab",
            "-p",
            "loom-tests",
            "-p",
            "conlab-exercises",
            "--all-targets",
            "--release",
            "--target-dir",
            "target/loom",
            "--",
            "-D",
            "warnings",
        ],
        true,
    )?;
    cargo_in(
        &[
            "clippy",
            "-p",
            "consensus-lab",
            "-p",
            "shuttle-tests",
            "--lib",
            "--tests",
            "--release",
            "--target-dir",
            "target/shuttle",
            "--",
            "-D",
            "warnings",
        ],
        Some("shuttle"),
        &[],
    )?;
    // The library's docs teach: a broken intra-doc link is a defect, in both builds.
    doc(false)?;
    doc(true)
}

/// `cargo doc` of the library with every rustdoc warning an error.
fn doc(loom: bool) -> Result<(), String> {
    let mut args = vec!["doc", "--no-deps", "-p", "consensus-lab"];
    if loom {
        args.extend(["--release", "--target-dir", "target/loom"]);
    }
    let mut flags = std::env::var("RUSTDOCFLAGS").unwrap_or_default();
    if !flags.is_empty() {
        flags.push(' ');
    }
    flags.push_str("-D warnings");
    cargo_with(&args, loom, &[("RUSTDOCFLAGS", flags)])
}
