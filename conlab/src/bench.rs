//! `conlab bench`: the contention table. Its arguments and the run that ties
//! the parts together are here; the parts have a file each:
//! `check` (everything that can be refused before any work: thread counts,
//! flags, every path), `measure` (the figures and the progress bar),
//! `report` (who, when, where, and the text table) and `export` (CSV and
//! Markdown; JSON is the report serialized).

mod check;
#[cfg(test)]
mod epaxos_tests;
mod export;
#[cfg(test)]
mod log_tests;
mod measure;
mod report;
#[cfg(test)]
mod tests;

use check::{check, Destinations};
use export::{md, write_csv, write_markdown};
use measure::{measure, paxos_ops};
use report::{rfc3339, write_text, Meta, Output};

use super::Machine;
use consensus_lab::bench::calibrate::calibrate;
use consensus_lab::bench::log::Log;
use consensus_lab::threads;
use std::io::Write;
use std::path::PathBuf;

/// Output formats of `conlab bench`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchFormat {
    /// A table for people.
    Text,
    /// JSON for programs (every repeat's sample, the run's metadata).
    Json,
    /// CSV for spreadsheets: a header row, then one row per figure.
    Csv,
    /// A Markdown report: the run's metadata and the table.
    Markdown,
}

/// Whether benchmark threads are pinned to cores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Pin {
    /// Pinned at every thread count the available cores can hold (thread t on
    /// the t-th core), not above.
    Auto,
    /// Always pinned (above the core count, several threads share a core).
    On,
    /// Never: the OS schedules the threads.
    Off,
}

/// The cores `t` benchmark threads are pinned to under `pin` (`None`: not
/// pinned).
fn pin_for(pin: Pin, t: usize) -> Option<Vec<usize>> {
    let cores = threads::core_ids();
    match pin {
        Pin::Off => None,
        Pin::Auto if t > cores.len() => None,
        Pin::Auto | Pin::On => (!cores.is_empty()).then_some(cores),
    }
}

/// What the exports say about `pin`.
fn describe_pin(pin: Pin) -> String {
    let n = threads::core_ids().len();
    match pin {
        Pin::Off => "off: threads are not pinned (the OS schedules them)".into(),
        Pin::On => format!("on: thread t pinned to the t-th of the {n} available cores, at every thread count"),
        Pin::Auto => format!(
            "auto: thread t pinned to the t-th of the {n} available cores at thread counts up to {n}, not above"
        ),
    }
}

/// What to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Suite {
    /// Every correct protocol, and the baselines it is compared with.
    Protocols,
    /// The atomic primitives, shared line and padded lines.
    Primitives,
    /// Both.
    All,
    /// The core-to-core latency matrix: every pair of available cores, CAS
    /// ping-pong between two pinned threads (what contended figures are read
    /// against).
    Cores,
    /// Herlihy's universal construction (queue and counter; helping and not;
    /// CAS and test&set slots) beside `Mutex<VecDeque>`, crossbeam's
    /// `SegQueue` and `ArrayQueue` and a bare `fetch_add`: operations per
    /// second and ns per operation, each row's ratio to `Mutex<VecDeque>` and
    /// to `SegQueue`.
    Universal,
    /// The Multi-Paxos log over 3 packed acceptors: stable-leader commands
    /// per second, per-command latency p50 / p99 (HdrHistogram) and
    /// acceptor read-modify-writes per command at each --threads count of
    /// clients, and the failover time (leader crash → next command
    /// committed) at --detect-timeout-ms.
    MultiPaxos,
    /// The Zab log over 3 follower regions: the same figures as
    /// multi-paxos (follower region writes per command in place of the
    /// acceptors' read-modify-writes), through the same workload.
    Zab,
    /// EPaxos over 5 replicas beside Multi-Paxos over 5 packed acceptors,
    /// on one key-value workload of puts at conflict rates 0, 2, 25 and
    /// 100 % (each put on the shared key with that probability, else on its
    /// client's own): commands per second, latency p50 / p99, region
    /// operations per command and EPaxos's fast-path share, at each
    /// --threads count of clients (--ops puts per client, 5,000 unless
    /// given).
    Epaxos,
}

impl Suite {
    /// The replicated log a log suite measures (`bench multi-paxos`,
    /// `bench zab`); `None` for the others.
    pub(crate) fn log(self) -> Option<Log> {
        match self {
            Suite::MultiPaxos => Some(Log::MultiPaxos),
            Suite::Zab => Some(Log::Zab),
            _ => None,
        }
    }
}

/// Arguments of `conlab bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(value_enum, default_value_t = Suite::All)]
    pub suite: Suite,
    /// Thread counts, comma-separated.
    #[arg(long, short, value_delimiter = ',', default_values_t = [1u32, 2, 4, 8], value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Vec<u32>,
    /// Fresh instances per protocol measurement.
    #[arg(long, short, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub instances: u64,
    /// Operations per thread per primitive measurement (bench universal:
    /// operations per thread per object, 20,000 unless given).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub ops: u64,
    /// Measurements per figure (the median is reported, with min and max).
    #[arg(long, short, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,
    /// Instances between two barriers of the racing threads.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch: u32,
    /// bench cores: samples per pair of cores.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub samples: u64,
    /// bench cores: round trips per sample.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub iterations: u64,
    /// Seed of the retrying protocols' randomized backoff (default: a random
    /// one, printed and exported): the same seed replays the same draws.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Pin benchmark threads to cores (the calibration's pair too).
    #[arg(long, value_enum, default_value_t = Pin::Auto)]
    pub pin: Pin,
    /// Output format (of standard output, or of --out).
    #[arg(long, value_enum, default_value_t = BenchFormat::Text)]
    pub format: BenchFormat,
    /// Write the --format output to this file instead of standard output (`-`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write the JSON report to FILE (`-`: standard output).
    #[arg(long, value_name = "FILE")]
    pub export_json: Option<PathBuf>,
    /// Also write the CSV table to FILE (`-`: standard output).
    #[arg(long, value_name = "FILE")]
    pub export_csv: Option<PathBuf>,
    /// Also write the Markdown report to FILE (`-`: standard output).
    #[arg(long, value_name = "FILE")]
    pub export_markdown: Option<PathBuf>,
    /// Also draw throughput against threads (two thread counts or more), one
    /// line per protocol, as SVG (a path ending in .svg).
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// bench multi-paxos and bench zab: the failure detector's timeout of
    /// the failover run, milliseconds (1 to 10,000).
    #[arg(long, value_name = "T", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub detect_timeout_ms: u64,
    /// The text table as wide as its content (else at most 80 columns).
    #[arg(long)]
    pub wide: bool,
    /// The flags given on the command line (filled by `main_with`).
    #[arg(skip)]
    pub given: Vec<String>,
    /// The command line, for the exports (filled by `main_with`).
    #[arg(skip)]
    pub command_line: String,
}

pub(super) fn bench(
    args: &BenchArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    let dest = check(args)?;
    let timestamp = rfc3339(std::time::SystemTime::now());
    let machine = Machine::here();
    if args.suite == Suite::Cores {
        let meta = Meta {
            version: env!("CARGO_PKG_VERSION"),
            git_revision: option_env!("CONLAB_GIT_REVISION"),
            command_line: args.command_line.clone(),
            timestamp,
            machine,
            pinning: "on: each pair's two threads pinned to its two cores".into(),
            seed: None,
        };
        return bench_cores(args, &dest, meta, out, err);
    }
    let seed = super::seed_or_random(args.seed);
    threads::seeded(Some(seed), || measure_all(args, dest, seed, timestamp, machine, out, err))
}

/// `bench` but `bench cores`, with every race seeded.
fn measure_all(
    args: &BenchArgs,
    dest: Destinations,
    seed: u64,
    timestamp: String,
    machine: Machine,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    // Before any contended measurement: does this machine contend at all?
    let calibration = if args.threads.iter().any(|&t| t >= 2) {
        let c = threads::pinned(pin_for(args.pin, 2), calibrate)?;
        if !c.reliable {
            writeln!(err, "conlab: UNRELIABLE contended figures: {}", c.reasons.join("; "))?;
        }
        Some(c)
    } else {
        None
    };
    let mut rows = measure(args, machine.cores, seed)?;
    if calibration.as_ref().is_some_and(|c| !c.reliable) {
        for r in rows.iter_mut().filter(|r| r.threads >= 2) {
            r.unreliable = true;
        }
    }
    let paxos_ops =
        if matches!(args.suite, Suite::Universal | Suite::Epaxos) || args.suite.log().is_some() {
            Vec::new()
        } else {
            paxos_ops(args)?
        };
    let mut over: Vec<usize> =
        args.threads.iter().map(|&t| t as usize).filter(|&t| t > machine.cores).collect();
    over.dedup();
    let o = Output {
        meta: Meta {
            version: env!("CARGO_PKG_VERSION"),
            git_revision: option_env!("CONLAB_GIT_REVISION"),
            command_line: args.command_line.clone(),
            timestamp,
            machine,
            pinning: describe_pin(args.pin),
            seed: Some(seed),
        },
        calibration,
        oversubscribed_threads: over,
        instances: args.instances,
        ops: match args.suite {
            Suite::Universal => measure::universal_ops(args)? as u64,
            _ if args.suite.log().is_some() => measure::log_ops(args)? as u64,
            Suite::Epaxos => measure::epaxos_ops(args)? as u64,
            _ => args.ops,
        },
        detect_timeout_ms: args.suite.log().map(|_| args.detect_timeout_ms),
        repeat: args.repeat,
        batch: args.batch,
        rows: &rows,
        paxos_ops,
    };
    if let Some(path) = &args.plot {
        let machine = o.meta.machine.to_string();
        let chart = if args.suite == Suite::Primitives {
            super::plot::Chart::Primitives
        } else {
            super::plot::Chart::Protocols
        };
        super::write_to(path, super::plot::svg(&rows, &machine, chart)?.as_bytes(), out)?;
        writeln!(err, "wrote {}", path.display())?;
    }
    for (format, path, _) in &dest.outputs {
        let mut text = Vec::new();
        match format {
            BenchFormat::Json => writeln!(text, "{}", serde_json::to_string_pretty(&o)?)?,
            BenchFormat::Text => {
                let mut table = Vec::new();
                write_text(&o, args.wide, &mut table)?;
                text.extend_from_slice(super::fit(&table, args.wide).as_bytes());
            }
            BenchFormat::Csv => write_csv(&o, &mut text)?,
            BenchFormat::Markdown => write_markdown(&o, &mut text)?,
        }
        super::write_to(path, &text, out)?;
        if !super::is_stdout(path) {
            writeln!(err, "wrote {}", path.display())?;
        }
    }
    Ok(0)
}

/// `bench cores`: the matrix, written to every destination.
fn bench_cores(
    args: &BenchArgs,
    dest: &Destinations,
    meta: Meta,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    use super::cores;
    let ids = threads::core_ids();
    let (iterations, samples) = (usize::try_from(args.iterations)?, usize::try_from(args.samples)?);
    let pairs = consensus_lab::bench::cores::matrix(&ids, iterations, samples)?;
    let machine = meta.machine.to_string();
    let csv_meta = vec![
        ("conlab_version", meta.version.to_string()),
        ("git_revision", meta.git_revision.unwrap_or_default().to_string()),
        ("timestamp", meta.timestamp.clone()),
        ("cpu", meta.machine.cpu.clone()),
        ("cores", meta.machine.cores.to_string()),
        ("load_average", meta.machine.load.map_or(String::new(), |l| format!("{l:.2}"))),
        ("pinning", meta.pinning.clone()),
        ("command_line", meta.command_line.clone()),
    ];
    let md_meta = format!(
        "- command: `{}`\n- conlab {}, git revision {}\n- started: {}\n- machine: {}\n- pinning: {}\n",
        meta.command_line,
        meta.version,
        meta.git_revision.unwrap_or("unknown (not built from a git checkout)"),
        meta.timestamp,
        md(&machine),
        meta.pinning
    );
    let report = cores::CoresReport {
        meta: serde_json::to_value(&meta)?,
        cores: ids,
        iterations,
        samples,
        pairs,
    };
    if let Some(path) = &args.plot {
        super::write_to(path, cores::svg(&report, &machine)?.as_bytes(), out)?;
        writeln!(err, "wrote {}", path.display())?;
    }
    for (format, path, _) in &dest.outputs {
        let text = match format {
            BenchFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
            BenchFormat::Text => super::fit(cores::text(&report, &machine).as_bytes(), args.wide),
            BenchFormat::Csv => cores::csv(&report, &csv_meta),
            BenchFormat::Markdown => cores::markdown(&report, &md_meta),
        };
        super::write_to(path, text.as_bytes(), out)?;
        if !super::is_stdout(path) {
            writeln!(err, "wrote {}", path.display())?;
        }
    }
    Ok(0)
}
