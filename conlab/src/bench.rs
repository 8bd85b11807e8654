//! `conlab bench`: the contention table.

use super::rows::{row, Row};
use super::Machine;
use consensus_lab::bench::baselines::{raw_for, BASELINES};
use consensus_lab::bench::calibrate::{calibrate, Calibration};
use consensus_lab::bench::ops::{self, PaxosOps};
use consensus_lab::bench::primitives::{self, Layout, Primitive};
use consensus_lab::bench::{repeated, time_entry, Group, Path as BenchPath};
use consensus_lab::consensus::protocol::{Knob, Params};
use consensus_lab::paxos::DEFAULT_ACCEPTORS;
use consensus_lab::registry::PROTOCOLS;
use consensus_lab::threads;
use std::io::Write;
use std::path::{Path, PathBuf};

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
    /// Operations per thread per primitive measurement.
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

/// Where each output of a run goes, checked before any work.
struct Destinations {
    /// (format, path, flag) for every output; `-` is standard output.
    outputs: Vec<(BenchFormat, PathBuf, &'static str)>,
}

/// Checks everything in `args` that can be checked before measuring: thread
/// counts, flags that do not apply to the suite, every path.
fn check(args: &BenchArgs) -> Result<Destinations, String> {
    let text = args.format == BenchFormat::Text;
    super::check_wide(args.wide, text)?;
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
        Suite::Primitives => super::refuse_flags(
            &args.given,
            &["instances", "batch"],
            "to `bench primitives` (it is for the protocols)",
            "--threads, --ops, --repeat and the outputs",
        )?,
        Suite::Protocols => super::refuse_flags(
            &args.given,
            &["ops"],
            "to `bench protocols` (it is for the primitives)",
            "--threads, --instances, --repeat, --batch and the outputs",
        )?,
        Suite::All => {}
        Suite::Cores => super::refuse_flags(
            &args.given,
            &["threads", "instances", "ops", "repeat", "batch", "pin", "seed"],
            "to `bench cores` (it pins one thread to each core of every pair)",
            "--samples, --iterations and the outputs",
        )?,
    }
    if args.suite != Suite::Cores {
        super::refuse_flags(
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
        files.iter().filter(|(p, _)| super::is_stdout(p)).map(|(_, f)| *f).collect();
    if stdout.len() > 1 {
        return Err(format!(
            "{} both write to standard output: give one of them a file (--out FILE for the \
             --format output)",
            stdout.join(" and ")
        ));
    }
    for (i, (p, flag)) in files.iter().enumerate() {
        super::check_writable(flag, p)?;
        let same = |q: &Path| {
            !super::is_stdout(q)
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

/// Measures what `args` asks for.
///
/// # Errors
/// A failure of a workload.
pub(crate) fn measure(
    args: &BenchArgs,
    cores: usize,
) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let progress = Progress::new(args);
    let (k, ops, repeat, batch) = (
        usize::try_from(args.instances)?,
        usize::try_from(args.ops)?,
        args.repeat as usize,
        args.batch as usize,
    );
    let mut rows = Vec::new();
    for &t in &args.threads {
        let t = t as usize;
        let pin = pin_for(args.pin, t);
        let measured: Result<Vec<Row>, Box<dyn std::error::Error>> =
            threads::pinned(pin.clone(), || {
                let mut at = Vec::new();
                if args.suite != Suite::Primitives {
                    let dec = (k * t) as f64;
                    for b in BASELINES.iter().filter(|b| b.max_threads.is_none_or(|m| t <= m)) {
                        progress.show(b.name, t);
                        let s = repeated(repeat, || (b.time)(t, k, batch))?;
                        at.push(row(Group::Baseline, b.name, t, cores, k, dec, s));
                    }
                    for e in PROTOCOLS.iter().filter(|e| e.info().broken.is_none()) {
                        let params = Params::threads(t);
                        if e.check(&params).is_err() {
                            continue; // more threads than the protocol serves
                        }
                        progress.show(e.info().name, t);
                        let acceptors =
                            e.info().knobs.contains(&Knob::Acceptors).then_some(DEFAULT_ACCEPTORS);
                        for path in BenchPath::ALL {
                            let s = repeated(repeat, || time_entry(*e, &params, path, k, batch))?;
                            let mut r =
                                row(Group::Protocol(path), e.info().name, t, cores, k, dec, s);
                            r.acceptors = acceptors;
                            at.push(r);
                        }
                    }
                }
                if args.suite != Suite::Protocols {
                    for layout in Layout::ALL {
                        for p in Primitive::ALL {
                            progress.show(p.name(), t);
                            let s = repeated(repeat, || primitives::time(p, t, ops, layout))?;
                            let units = (ops * t) as f64;
                            at.push(row(
                                Group::Primitive(layout),
                                p.name(),
                                t,
                                cores,
                                ops,
                                units,
                                s,
                            ));
                        }
                    }
                }
                Ok(at)
            });
        for mut r in measured? {
            r.pinned = pin.is_some();
            rows.push(r);
        }
    }
    progress.done();
    // Ratios to the reference measured in the same run.
    let reference: Vec<(Group, usize, f64)> = rows
        .iter()
        .filter(|r| reference_of(r.group) == (r.group, r.name.as_str()))
        .map(|r| (r.group, r.threads, r.median_ns))
        .collect();
    let baselines: Vec<(String, usize, f64)> = rows
        .iter()
        .filter(|r| r.group == Group::Baseline)
        .map(|r| (r.name.clone(), r.threads, r.median_ns))
        .collect();
    for r in &mut rows {
        let (want, _) = reference_of(r.group);
        r.ratio = reference
            .iter()
            .find(|(g, t, _)| *g == want && *t == r.threads)
            .map(|(_, _, ns)| r.median_ns / ns.max(1e-9));
        if let Group::Protocol(_) = r.group {
            if let Some(raw) = raw_for(&r.name) {
                r.raw = Some(raw.into());
                r.raw_ratio = baselines
                    .iter()
                    .find(|(n, t, _)| n == raw && *t == r.threads)
                    .map(|(_, _, ns)| r.median_ns / ns.max(1e-9));
            }
        }
    }
    Ok(rows)
}

/// The row a row of `group` is compared with (its `ratio`), as (group, name):
/// `raw-cas` for protocols and baselines, `cas-success` on the same layout for
/// primitives.
fn reference_of(group: Group) -> (Group, &'static str) {
    match group {
        Group::Primitive(_) => (group, Primitive::CasSuccess.name()),
        Group::Protocol(_) | Group::Baseline => (Group::Baseline, "raw-cas"),
    }
}

/// Paxos's atomic operations per decision at each thread count (3 acceptors).
///
/// # Errors
/// A failure of the run.
pub(crate) fn paxos_ops(args: &BenchArgs) -> Result<Vec<PaxosOps>, Box<dyn std::error::Error>> {
    if args.suite == Suite::Primitives {
        return Ok(Vec::new());
    }
    let k = usize::try_from(args.instances)?.min(10_000);
    let mut out = Vec::new();
    for &t in &args.threads {
        out.push(ops::paxos(t as usize, k, args.batch as usize)?);
    }
    Ok(out)
}

/// A progress bar on stderr with an ETA (indicatif), only when stderr is a
/// terminal: one step per figure group `measure` takes.
struct Progress {
    bar: indicatif::ProgressBar,
}

impl Progress {
    fn new(args: &BenchArgs) -> Self {
        // One step per `show` in `measure`, with the same filters.
        let protocols = |t: usize| {
            let baselines = BASELINES.iter().filter(|b| b.max_threads.is_none_or(|m| t <= m));
            let correct = PROTOCOLS.iter().filter(|e| e.info().broken.is_none());
            baselines.count() + correct.filter(|e| e.check(&Params::threads(t)).is_ok()).count()
        };
        let primitives = Layout::ALL.len() * Primitive::ALL.len();
        let per_thread = |t: usize| match args.suite {
            Suite::Protocols => protocols(t),
            Suite::Primitives => primitives,
            Suite::All => protocols(t) + primitives,
            Suite::Cores => 0,
        };
        let total: usize = args.threads.iter().map(|&t| per_thread(t as usize)).sum();
        Progress { bar: super::progress::bar(total as u64) }
    }

    fn show(&self, what: &str, threads: usize) {
        self.bar.set_message(format!("{what} at {threads} threads"));
        self.bar.inc(1);
    }

    fn done(&self) {
        self.bar.finish_and_clear();
    }
}

/// Who made a report, when, where and how: every output of `conlab bench`
/// carries it.
#[derive(serde::Serialize)]
struct Meta {
    /// `conlab`'s version.
    version: &'static str,
    /// The git commit it was built from (`None`: not built from a git
    /// checkout; uncommitted changes are not recorded).
    git_revision: Option<&'static str>,
    /// The command line, quoted for a POSIX shell.
    command_line: String,
    /// When the run started, UTC (RFC 3339).
    timestamp: String,
    machine: Machine,
    /// Whether the benchmark threads are pinned to cores (`--pin`).
    pinning: String,
    /// The seed of the randomized backoff (`--seed`; `None` for bench cores,
    /// which draws nothing).
    seed: Option<u64>,
}

#[derive(serde::Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    meta: Meta,
    /// Does this machine contend? (`None`: no contended figure was measured.)
    calibration: Option<Calibration>,
    oversubscribed_threads: Vec<usize>,
    instances: u64,
    ops: u64,
    repeat: u32,
    rows: &'a [Row],
    /// Paxos: atomic operations per decision, per thread count.
    paxos_ops: Vec<PaxosOps>,
}

/// `t` as RFC 3339 UTC, to the second.
fn rfc3339(t: std::time::SystemTime) -> String {
    let secs = t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
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
    let mut rows = measure(args, machine.cores)?;
    if calibration.as_ref().is_some_and(|c| !c.reliable) {
        for r in rows.iter_mut().filter(|r| r.threads >= 2) {
            r.unreliable = true;
        }
    }
    let paxos_ops = paxos_ops(args)?;
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
        ops: args.ops,
        repeat: args.repeat,
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

/// A row's thread count with its marks: `*` oversubscribed, `!` unreliable.
fn threads_cell(r: &Row) -> String {
    format!(
        "{}{}{}",
        r.threads,
        if r.oversubscribed { "*" } else { "" },
        if r.unreliable { "!" } else { "" }
    )
}

/// The calibration in one line: its numbers and its verdict.
fn describe_calibration(c: &Calibration) -> String {
    let verdict = if c.reliable {
        "threads run side by side: contended figures are real contention".to_string()
    } else {
        format!(
            "UNRELIABLE: every contended figure (2 threads or more, marked !) measures the \
             scheduler, not the protocol: {}",
            c.reasons.join("; ")
        )
    };
    format!(
        "calibration: round trip between two threads on one line {} ns ({} round trips); \
         fetch&add, 2 threads, {:.1} ns on one line, {:.1} ns on padded lines{}. {verdict}",
        super::thousands(c.round_trip_ns, 0),
        super::thousands(c.round_trips as f64, 0),
        c.shared_faa_ns,
        c.padded_faa_ns,
        if c.debug_build { " (debug build: not judged; measure with --release)" } else { "" },
    )
}

/// A row's name as the tables show it: with the acceptors of a Paxos variant.
fn shown_name(r: &Row) -> String {
    match r.acceptors {
        Some(a) => format!("{} ({a} acceptors)", r.name),
        None => r.name.clone(),
    }
}

fn write_text(o: &Output<'_>, wide: bool, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "machine: {}", o.meta.machine)?;
    if !o.oversubscribed_threads.is_empty() {
        writeln!(
            out,
            "OVERSUBSCRIBED thread counts (more threads than cores): {:?}",
            o.oversubscribed_threads
        )?;
    }
    writeln!(out, "pinning: {}", o.meta.pinning)?;
    if let Some(seed) = o.meta.seed {
        writeln!(out, "{}", super::describe_seed(seed, super::BACKOFF_DRAWS))?;
    }
    if let Some(c) = &o.calibration {
        writeln!(out, "{}", describe_calibration(c))?;
    }
    writeln!(
        out,
        "{}",
        super::wrap(
            &format!(
                "protocols and baselines: ns per fresh instance (all threads deciding it), {} \
                 instances; primitives: ns per operation, {} per thread; median of {} runs",
                super::thousands(o.instances as f64, 0),
                super::thousands(o.ops as f64, 0),
                o.repeat
            ),
            0,
            wide
        )
    )?;
    // Narrow: the median and its ratios; --wide: the spread, throughput and
    // the target's name too.
    let mut t = super::table(wide);
    t.set_header(if wide {
        &[
            "group",
            "name",
            "threads",
            "ns (median)",
            "[min–max]",
            "per second",
            "ratio",
            "target ratio",
        ][..]
    } else {
        &["group", "name", "threads", "median ns", "ratio", "target"][..]
    });
    for r in o.rows {
        let ns = |x: f64| super::thousands(x, 1);
        let group = r.group.to_string();
        let mut cells = vec![
            if wide { group } else { group.replace("primitive/", "prim./") },
            shown_name(r),
            threads_cell(r),
            ns(r.median_ns),
        ];
        if wide {
            cells.push(format!("[{}–{}]", ns(r.min_ns), ns(r.max_ns)));
            cells.push(format!("{} M", super::thousands(r.per_second / 1e6, 2)));
        }
        cells.push(r.ratio.map_or("".into(), |x| format!("{x:.2}×")));
        cells.push(match (&r.raw, r.raw_ratio) {
            (Some(raw), Some(x)) if wide => format!("{x:.2}× {raw}"),
            (Some(_), Some(x)) => format!("{x:.2}×"),
            _ => String::new(),
        });
        t.add_row(cells);
    }
    // Everything whole but the names (a Paxos variant's acceptors wrap).
    for (i, c) in t.column_iter_mut().enumerate() {
        if i != 1 {
            c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
        }
    }
    writeln!(out, "{t}")?;
    let note = "* oversubscribed. ! UNRELIABLE (see the calibration). group handles: the protocol through proposer handles (no claim, no id check). ratio: to raw-cas (protocols, baselines) or cas-success on the same layout (primitives); target (ratio): to the protocol's own raw sequence (cas: raw-cas, test-and-set: raw-tas, swap: raw-swap, fetch-and-add: raw-faa, lock-std: mutex-std, lock-parking-lot: mutex-parking-lot); same run, same threads. prim./shared, prim./padded: the primitives on one cache line or each on its own. --wide: [min–max] and per second.";
    writeln!(out, "{}", super::wrap(note, 2, wide))?;
    for p in &o.paxos_ops {
        writeln!(out, "{}", super::wrap(&describe_paxos(p), 2, wide))?;
    }
    Ok(())
}

fn describe_paxos(p: &PaxosOps) -> String {
    format!(
        "paxos, {} acceptors, {} thread(s), per decision: {:.0}% fast path; acceptors {:.2} RMW + {:.2} loads; \
         announce {} RMW + {} load/store (decide) or {} RMW + {} (handles); RMW in all {:.2} (decide) / {:.2} (handles)",
        p.acceptors,
        p.threads,
        p.fast_path_share * 100.0,
        p.acceptor_rmws,
        p.acceptor_loads,
        ops::ANNOUNCE_DECIDE.0,
        ops::ANNOUNCE_DECIDE.1,
        ops::ANNOUNCE_HANDLES.0,
        ops::ANNOUNCE_HANDLES.1,
        p.total_rmws_decide,
        p.total_rmws_handles
    )
}

/// The CSV columns: one row per figure, the run's metadata repeated on each
/// row so that every row stands alone (no comment lines: a CSV reader takes
/// the first line as the header).
pub(crate) const CSV_HEADER: &[&str] = &[
    "group",
    "name",
    "acceptors",
    "threads",
    "oversubscribed",
    "pinned",
    "unreliable",
    "median_ns",
    "min_ns",
    "max_ns",
    "per_second",
    "ratio",
    "raw",
    "raw_ratio",
    "repeat",
    "conlab_version",
    "git_revision",
    "timestamp",
    "cpu",
    "cores",
    "load_average",
    "pinning",
    "seed",
    "calibration",
    "command_line",
];

/// One CSV field, quoted when it must be (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write_csv(o: &Output<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{}", CSV_HEADER.join(","))?;
    let m = &o.meta;
    for r in o.rows {
        let fields = [
            r.group.to_string(),
            r.name.clone(),
            r.acceptors.map_or(String::new(), |a| a.to_string()),
            r.threads.to_string(),
            r.oversubscribed.to_string(),
            r.pinned.to_string(),
            r.unreliable.to_string(),
            format!("{:.3}", r.median_ns),
            format!("{:.3}", r.min_ns),
            format!("{:.3}", r.max_ns),
            format!("{:.1}", r.per_second),
            r.ratio.map_or(String::new(), |x| format!("{x:.4}")),
            r.raw.clone().unwrap_or_default(),
            r.raw_ratio.map_or(String::new(), |x| format!("{x:.4}")),
            o.repeat.to_string(),
            m.version.to_string(),
            m.git_revision.unwrap_or_default().to_string(),
            m.timestamp.clone(),
            m.machine.cpu.clone(),
            m.machine.cores.to_string(),
            m.machine.load.map_or(String::new(), |l| format!("{l:.2}")),
            m.pinning.clone(),
            m.seed.map_or(String::new(), |s| s.to_string()),
            o.calibration
                .as_ref()
                .map_or("not run (no contended figure)".into(), describe_calibration),
            m.command_line.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

/// A Markdown table cell: `|` escaped.
fn md(s: &str) -> String {
    s.replace('|', "\\|")
}

fn write_markdown(o: &Output<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let m = &o.meta;
    writeln!(out, "# conlab bench\n")?;
    writeln!(out, "- command: `{}`", m.command_line)?;
    writeln!(
        out,
        "- conlab {}, git revision {}",
        m.version,
        m.git_revision.unwrap_or("unknown (not built from a git checkout)")
    )?;
    writeln!(out, "- started: {}", m.timestamp)?;
    writeln!(out, "- machine: {}", md(&m.machine.to_string()))?;
    writeln!(out, "- pinning: {}", m.pinning)?;
    if let Some(seed) = m.seed {
        writeln!(out, "- {}", super::describe_seed(seed, super::BACKOFF_DRAWS))?;
    }
    if let Some(c) = &o.calibration {
        writeln!(out, "- {}", md(&describe_calibration(c)))?;
    }
    if !o.oversubscribed_threads.is_empty() {
        writeln!(out, "- OVERSUBSCRIBED thread counts (\\*): {:?}", o.oversubscribed_threads)?;
    }
    writeln!(
        out,
        "- protocols and baselines: ns per fresh instance ({} instances); primitives: ns per \
         operation ({} per thread); median of {} runs\n",
        o.instances, o.ops, o.repeat
    )?;
    writeln!(out, "| group | name | threads | median_ns | min_ns | max_ns | per_second | ratio | target ratio |")?;
    writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---|")?;
    for r in o.rows {
        writeln!(
            out,
            "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.0} | {} | {} |",
            r.group,
            md(&shown_name(r)),
            threads_cell(r).replace('*', "\\*"),
            r.median_ns,
            r.min_ns,
            r.max_ns,
            r.per_second,
            r.ratio.map_or("".into(), |x| format!("{x:.2}×")),
            match (&r.raw, r.raw_ratio) {
                (Some(raw), Some(x)) => format!("{x:.2}× {raw}"),
                _ => String::new(),
            },
        )?;
    }
    if !o.paxos_ops.is_empty() {
        writeln!(out)?;
        for p in &o.paxos_ops {
            writeln!(out, "- {}", describe_paxos(p))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::tests::run_cli;
    use consensus_lab::bench::baselines::BASELINES;
    use consensus_lab::registry::PROTOCOLS;

    #[test]
    fn every_export_in_one_run_parses_and_covers_every_protocol() {
        let dir = std::env::temp_dir().join(format!("conlab-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
        let (json, csv, markdown, svg, text) =
            (path("b.json"), path("b.csv"), path("b.md"), path("b.svg"), path("b.txt"));
        let args = [
            "bench",
            "all",
            "--threads",
            "1,2",
            "--instances",
            "300",
            "--ops",
            "1000",
            "--repeat",
            "2",
            "--export-json",
            &json,
            "--export-csv",
            &csv,
            "--export-markdown",
            &markdown,
            "--plot",
            &svg,
            "--out",
            &text,
        ];
        let (code, out, err) = run_cli(&args);
        assert_eq!(code, 0, "{err}");
        assert!(out.is_empty(), "every output went to a file: {out}");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        // Who, when, where, how.
        assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
        assert!(v["git_revision"].is_string() || v["git_revision"].is_null());
        assert!(v["command_line"].as_str().unwrap().contains("--export-csv"), "{v}");
        assert!(v["timestamp"].as_str().unwrap().ends_with('Z'), "{v}");
        assert!(v["pinning"].as_str().unwrap().starts_with("auto: thread t pinned"), "{v}");
        let seed = v["seed"].as_u64().expect("the seed in force is exported");
        assert!(v["machine"]["cores"].as_u64().unwrap() >= 1);
        let rows = v["rows"].as_array().unwrap();
        for e in PROTOCOLS.iter().filter(|e| e.info().broken.is_none()) {
            for group in ["protocol", "handles"] {
                assert!(
                    rows.iter().any(|r| r["name"] == e.info().name && r["group"] == group),
                    "{} missing from {group}",
                    e.info().name
                );
            }
        }
        for b in BASELINES {
            assert!(rows.iter().any(|r| r["name"] == b.name), "baseline {} missing", b.name);
        }
        for r in rows {
            assert_eq!(r["samples_ns"].as_array().unwrap().len(), 2, "every repeat: {r}");
            let paxos = r["name"].as_str().unwrap().starts_with("paxos");
            assert_eq!(r["acceptors"] == 3, paxos, "acceptors of {r}");
        }
        assert!(rows.iter().any(|r| r["name"] == "raw-cas" && r["ratio"] == 1.0));
        for (name, raw) in [
            ("cas", "raw-cas"),
            ("test-and-set", "raw-tas"),
            ("lock-parking-lot", "mutex-parking-lot"),
        ] {
            assert!(
                rows.iter()
                    .any(|r| r["name"] == name && r["raw"] == raw && r["raw_ratio"].is_f64()),
                "{name} has no ratio to {raw}"
            );
        }
        // The calibration ran (2 threads are contended) and marks exactly the
        // contended rows when it found the machine does not contend.
        let cal = &v["calibration"];
        assert!(cal["round_trip_ns"].as_f64().unwrap() > 0.0, "{cal}");
        assert!(cal["shared_faa_ns"].as_f64().unwrap() > 0.0, "{cal}");
        let reliable = cal["reliable"].as_bool().unwrap();
        assert_eq!(reliable, cal["reasons"].as_array().unwrap().is_empty(), "{cal}");
        let cores = consensus_lab::threads::core_ids().len();
        for r in rows {
            assert_eq!(r["pinned"], r["threads"].as_u64().unwrap() as usize <= cores, "{r}");
            let contended = r["threads"].as_u64().unwrap() >= 2;
            assert_eq!(r["unreliable"], !reliable && contended, "{r}");
        }
        let paxos = v["paxos_ops"].as_array().unwrap();
        assert_eq!(paxos.len(), 2);
        assert_eq!(paxos[0]["threads"], 1);
        assert_eq!(paxos[0]["acceptor_rmws"], 2.0);

        // CSV: a standard reader, the header row first, no comment lines.
        let mut reader = csv::Reader::from_path(&csv).unwrap();
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header, super::CSV_HEADER);
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), rows.len());
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        for r in &records {
            assert!(r[col("median_ns")].parse::<f64>().unwrap() > 0.0, "{r:?}");
            assert!(r[col("calibration")].starts_with("calibration: round trip"), "{r:?}");
            let contended = r[col("threads")].parse::<u32>().unwrap() >= 2;
            assert_eq!(
                &r[col("unreliable")],
                if !reliable && contended { "true" } else { "false" }
            );
            assert!(r[col("command_line")].contains("--threads 1,2"), "{r:?}");
            assert_eq!(&r[col("conlab_version")], env!("CARGO_PKG_VERSION"));
            assert_eq!(r[col("seed")].parse::<u64>().unwrap(), seed);
        }
        for b in BASELINES {
            assert!(records.iter().any(|r| &r[0] == "baseline" && &r[1] == b.name), "{}", b.name);
        }
        assert!(records.iter().any(|r| &r[1] == "paxos" && &r[col("acceptors")] == "3"));

        let md = std::fs::read_to_string(&markdown).unwrap();
        assert!(md.contains("| group | name | threads | median_ns"), "{md}");
        assert!(md.contains("--export-markdown") && md.contains("paxos (3 acceptors)"), "{md}");
        assert!(md.contains("- calibration: round trip"), "{md}");
        assert!(md.contains(&format!("- seed: {seed} ")), "{md}");
        let text = std::fs::read_to_string(&text).unwrap();
        assert!(text.contains("machine:") && text.contains("paxos (3 acceptors)"), "{text}");

        // The plot, read as XML: labelled axes, a log y axis with round ticks,
        // every protocol through decide and through handles, every baseline.
        let plot = std::fs::read_to_string(&svg).unwrap();
        let t = crate::plot::read::texts(&plot);
        assert!(t.ylabel[0].contains("ns per instance") && t.ylabel[0].contains("log scale"));
        assert!(t.xlabel[0].starts_with("threads"));
        assert_eq!(
            t.xticks.iter().map(|t| t.trim_end_matches(['*', '!'])).collect::<Vec<_>>(),
            ["1", "2"]
        );
        let ticks: Vec<f64> =
            t.yticks.iter().map(|t| t.replace(',', "").parse().unwrap()).collect();
        assert!(ticks.len() >= 2, "{ticks:?}");
        for t in &ticks {
            let m = t / 10f64.powf(t.log10().floor());
            assert!([1.0, 2.0, 5.0].iter().any(|r| (m - r).abs() < 1e-9), "tick {t} is not round");
        }
        let legend = &t.legend;
        for e in PROTOCOLS.iter().filter(|e| e.info().broken.is_none()) {
            let name = e.info().name;
            assert!(legend.iter().any(|l| l == name), "{name} (decide) not in the legend");
            assert!(
                legend.contains(&format!("{name} (handles)")),
                "{name} (handles) not in the legend"
            );
        }
        for b in BASELINES {
            assert!(legend.contains(&format!("{} (baseline)", b.name)), "{}", b.name);
        }
        // One legend entry per series drawn: per (group, name) of the rows.
        let mut series: Vec<(&str, &str)> = rows
            .iter()
            .filter(|r| !r["group"].as_str().unwrap().starts_with("primitive"))
            .map(|r| (r["group"].as_str().unwrap(), r["name"].as_str().unwrap()))
            .collect();
        series.sort_unstable();
        series.dedup();
        assert_eq!(series.len(), legend.len(), "{legend:?}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn an_export_can_go_to_standard_output() {
        let (code, out, err) = run_cli(&[
            "bench",
            "primitives",
            "--threads",
            "1",
            "--ops",
            "100",
            "--repeat",
            "1",
            "--format",
            "csv",
        ]);
        assert_eq!(code, 0, "{err}");
        let mut reader = csv::Reader::from_reader(out.as_bytes());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), super::CSV_HEADER);
        let col = super::CSV_HEADER.iter().position(|h| *h == "calibration").unwrap();
        for r in reader.records() {
            // One thread: nothing contended, no calibration.
            assert_eq!(&r.unwrap()[col], "not run (no contended figure)");
        }
        assert!(!std::path::Path::new("-").exists(), "`-` is standard output, not a file");
    }

    #[test]
    fn the_core_matrix_in_every_format() {
        let dir = std::env::temp_dir().join(format!("conlab-cores-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
        let (json, csv, md, svg) = (path("c.json"), path("c.csv"), path("c.md"), path("c.svg"));
        let (code, out, err) = run_cli(&[
            "bench",
            "cores",
            "--samples",
            "3",
            "--iterations",
            "50",
            "--export-json",
            &json,
            "--export-csv",
            &csv,
            "--export-markdown",
            &md,
            "--plot",
            &svg,
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("core-to-core latency") && out.contains("±"), "{out}");
        let n = consensus_lab::threads::core_ids().len();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let pairs = v["pairs"].as_array().unwrap();
        assert_eq!(pairs.len(), n * (n - 1) / 2);
        assert_eq!(v["cores"].as_array().unwrap().len(), n);
        assert!(v["command_line"].as_str().unwrap().contains("bench cores"));
        for p in pairs {
            assert!(p["mean_ns"].as_f64().unwrap() > 0.0, "{p}");
            assert!(!p["samples_ns"].as_array().unwrap().is_empty(), "{p}");
        }
        let mut reader = csv::Reader::from_path(&csv).unwrap();
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header[..4], ["core_a", "core_b", "mean_ns", "sd_ns"]);
        assert_eq!(reader.records().count(), pairs.len());
        assert!(std::fs::read_to_string(&md).unwrap().contains("| **1** |") || n < 2);
        // The heatmap, read as XML: a square (outlined in white) and its mean
        // written inside for every pair.
        let plot = std::fs::read_to_string(&svg).unwrap();
        assert_eq!(crate::plot::read::count(&plot, "rect", "stroke", "#FFFFFF"), pairs.len());
        let t = crate::plot::read::texts(&plot);
        assert!(t.other.iter().any(|s| s.starts_with("core-to-core latency, ns one way")));
        for p in pairs {
            let mean = format!("{:.0}", p["mean_ns"].as_f64().unwrap());
            assert!(t.other.contains(&mean), "{mean} not written: {t:?}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn contended_rows_of_an_unreliable_run_are_marked() {
        use super::{describe_calibration, threads_cell};
        use consensus_lab::bench::calibrate::judge;
        use consensus_lab::bench::{Group, Stats};
        let s = Stats {
            median: std::time::Duration::from_micros(1),
            min: std::time::Duration::from_micros(1),
            max: std::time::Duration::from_micros(1),
            samples: vec![std::time::Duration::from_micros(1)],
        };
        let mut r = crate::rows::row(Group::Baseline, "raw-cas", 4, 2, 10, 40.0, s);
        r.unreliable = true;
        assert_eq!(threads_cell(&r), "4*!");
        let line = describe_calibration(&judge(1_779.0, 90, 12.6, 12.6, false));
        assert!(line.contains("UNRELIABLE") && line.contains("1,779 ns"), "{line}");
        assert!(line.contains("12.6 ns against 12.6 ns"), "{line}");
    }

    #[test]
    fn bad_thread_lists_are_errors() {
        for t in ["0", "1,x", ""] {
            let (code, _, err) = run_cli(&["bench", "--threads", t]);
            assert_eq!(code, 2, "{t}: {err}");
        }
    }
}
