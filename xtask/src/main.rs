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
//! * `cargo xtask man`: the man pages of `conlab` (`conlab.1` and one per
//!   subcommand) in `target/man`, rendered by the `conlab` binary itself (its
//!   hidden `man` subcommand, clap_mangen over its own clap definition). So
//!   xtask stays plain Rust with no dependencies (the layer check needs no
//!   build), and the pages cannot drift from the binary they describe.
//!
//! An argument after `test` is a filter for the loom suite, e.g.
//! `cargo xtask test cas/4` runs only the loom models whose name contains `cas/4`
//! (the ordinary suite still runs in full).

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
        "test" => test(rest),
        "layers" => layers(),
        "lint" => lint(),
        "ci" => lint().and_then(|()| test(&[])),
        "man" => man(),
        "help" | "--help" | "-h" => {
            println!("usage: cargo xtask <test [LOOM-FILTER] | layers | lint | ci | man>");
            println!("  layers: the layer check alone (lint runs it first)");
            println!("  man: conlab's man pages, in target/man");
            Ok(())
        }
        other => Err(format!("unknown task '{other}' (tasks: test, layers, lint, ci, man)")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The RUSTFLAGS of the loom build: the caller's, plus `--cfg loom`.
fn loom_rustflags() -> String {
    let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    if !flags.is_empty() {
        flags.push(' ');
    }
    flags.push_str("--cfg loom");
    flags
}

fn cargo(args: &[&str], loom: bool) -> Result<(), String> {
    cargo_with(args, loom, &[])
}

/// [`cargo`] with extra environment variables for the child.
fn cargo_with(args: &[&str], loom: bool, env: &[(&str, String)]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(args);
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    if loom {
        cmd.env("RUSTFLAGS", loom_rustflags());
    }
    let shown =
        format!("{}cargo {}", if loom { "RUSTFLAGS=\"--cfg loom\" " } else { "" }, args.join(" "));
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

fn test(loom_filter: &[String]) -> Result<(), String> {
    cargo(&["test", "--workspace", "--exclude", "xtask"], false)?;
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
    if !loom_filter.is_empty() {
        args.push("--");
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
    )
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
