//! What `conlab bench` refuses before any work: thread counts given twice,
//! flags that do not apply to the suite, and every output path (`-` is
//! standard output; two outputs may not share a file).

use super::{BenchArgs, BenchFormat, Suite};
use std::path::{Path, PathBuf};

/// Where each output of a run goes, checked before any work.
pub(super) struct Destinations {
    /// (format, path, flag) for every output; `-` is standard output.
    pub(super) outputs: Vec<(BenchFormat, PathBuf, &'static str)>,
}

/// Checks everything in `args` that can be checked before measuring: thread
/// counts, flags that do not apply to the suite, every path.
pub(super) fn check(args: &BenchArgs) -> Result<Destinations, String> {
    let text = args.format == BenchFormat::Text;
    crate::check_wide(args.wide, text)?;
    let mut seen = Vec::new();
    for &t in &args.threads {
        if seen.contains(&t) {
            return Err(format!(
                "--threads: {t} is given twice (each thread count is measured once)"
            ));
        }
        seen.push(t);
    }
    match args.suite {
        Suite::Primitives => crate::refuse_flags(
            &args.given,
            &["instances", "batch"],
            "to `bench primitives` (it is for the protocols)",
            "--threads, --ops, --repeat and the outputs",
        )?,
        Suite::Protocols => crate::refuse_flags(
            &args.given,
            &["ops"],
            "to `bench protocols` (it is for the primitives)",
            "--threads, --instances, --repeat, --batch and the outputs",
        )?,
        Suite::All => {}
        Suite::Universal => crate::refuse_flags(
            &args.given,
            &["instances", "plot"],
            "to `bench universal` (it measures operations on one object, not fresh instances; \
             it draws no chart)",
            "--threads, --ops, --repeat, --batch, --pin, --seed and the outputs",
        )?,
        Suite::MultiPaxos | Suite::Zab => {
            let suite = format!("`bench {}`", args.suite.log().map_or("", |l| l.name()));
            crate::refuse_flags(
                &args.given,
                &["instances", "batch", "plot"],
                &format!(
                    "to {suite} (it measures commands on one log, not fresh instances; it draws \
                     no chart)"
                ),
                "--threads, --ops, --repeat, --detect-timeout-ms, --pin, --seed and the outputs",
            )?;
            let ops = super::measure::log_ops(args).map_err(|e| e.to_string())?;
            for &t in &args.threads {
                consensus_lab::bench::log::check(t as usize, ops)
                    .map_err(|e| format!("--threads {t} --ops {ops}: {e}"))?;
            }
        }
        Suite::Epaxos => {
            crate::refuse_flags(
                &args.given,
                &["instances", "batch", "plot"],
                "to `bench epaxos` (it measures commands on one object, not fresh instances; \
                 it draws no chart)",
                "--threads, --ops, --repeat, --pin, --seed and the outputs",
            )?;
            let ops = super::measure::epaxos_ops(args).map_err(|e| e.to_string())?;
            for &t in &args.threads {
                consensus_lab::bench::epaxos::check(t as usize, ops, 0.0)
                    .map_err(|e| format!("--threads {t} --ops {ops}: {e}"))?;
            }
        }
        Suite::Cores => crate::refuse_flags(
            &args.given,
            &["threads", "instances", "ops", "repeat", "batch", "pin", "seed"],
            "to `bench cores` (it pins one thread to each core of every pair)",
            "--samples, --iterations and the outputs",
        )?,
    }
    if args.suite.log().is_none() {
        crate::refuse_flags(
            &args.given,
            &["detect_timeout_ms"],
            "to this suite (it is for `bench multi-paxos` and `bench zab`)",
            "--threads, --instances, --ops, --repeat, --batch, --pin and the outputs",
        )?;
    }
    if args.suite != Suite::Cores {
        crate::refuse_flags(
            &args.given,
            &["samples", "iterations"],
            "to this suite (it is for `bench cores`)",
            "--threads, --instances, --ops, --repeat, --batch, --pin and the outputs",
        )?;
    }
    let mut outputs = vec![(
        args.format,
        args.out.clone().unwrap_or_else(|| PathBuf::from("-")),
        if args.out.is_some() { "--out" } else { "the --format output" },
    )];
    for (format, path, flag) in [
        (BenchFormat::Json, &args.export_json, "--export-json"),
        (BenchFormat::Csv, &args.export_csv, "--export-csv"),
        (BenchFormat::Markdown, &args.export_markdown, "--export-markdown"),
    ] {
        if let Some(p) = path {
            outputs.push((format, p.clone(), flag));
        }
    }
    let mut files: Vec<(&Path, &str)> =
        outputs.iter().map(|(_, p, flag)| (p.as_path(), *flag)).collect();
    if let Some(plot) = &args.plot {
        if plot.extension().is_none_or(|e| e != "svg") {
            return Err(format!(
                "--plot {}: the plot is SVG; give a path ending in .svg",
                plot.display()
            ));
        }
        files.push((plot, "--plot"));
    }
    let stdout: Vec<&str> =
        files.iter().filter(|(p, _)| crate::is_stdout(p)).map(|(_, f)| *f).collect();
    if stdout.len() > 1 {
        return Err(format!(
            "{} both write to standard output: give one of them a file (--out FILE for the \
             --format output)",
            stdout.join(" and ")
        ));
    }
    for (i, (p, flag)) in files.iter().enumerate() {
        crate::check_writable(flag, p)?;
        let same = |q: &Path| {
            !crate::is_stdout(q)
                && std::path::absolute(p)
                    .ok()
                    .zip(std::path::absolute(q).ok())
                    .is_some_and(|(a, b)| a == b)
        };
        if let Some((_, other)) = files[..i].iter().find(|(q, _)| same(q)) {
            return Err(format!(
                "{other} and {flag} both write {}: give each its own file",
                p.display()
            ));
        }
    }
    Ok(Destinations { outputs })
}
