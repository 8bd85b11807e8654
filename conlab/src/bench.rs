//! `conlab bench`: the contention table.

use super::rows::{row, Row};
use super::Machine;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use consensus_lab::bench::baselines::{raw_for, BASELINES};
use consensus_lab::bench::ops::{self, PaxosOps};
use consensus_lab::bench::primitives::{self, Layout, Primitive};
use consensus_lab::bench::{repeated, time_entry, Group, Path};
use consensus_lab::consensus::protocol::Params;
use consensus_lab::registry::PROTOCOLS;
use std::io::Write;

/// Output formats of `conlab bench`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchFormat {
    /// A table for people.
    Text,
    /// JSON for programs.
    Json,
    /// CSV for spreadsheets.
    Csv,
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = BenchFormat::Text)]
    pub format: BenchFormat,
    /// Write the output to this file instead of standard output.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// Also draw throughput against threads, one line per protocol, as SVG.
    #[arg(long)]
    pub plot: Option<std::path::PathBuf>,
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
        if args.suite != Suite::Primitives {
            let dec = (k * t) as f64;
            for b in BASELINES.iter().filter(|b| b.max_threads.is_none_or(|m| t <= m)) {
                progress.show(b.name, t);
                let s = repeated(repeat, || (b.time)(t, k, batch))?;
                rows.push(row(Group::Baseline, b.name, t, cores, k, dec, s));
            }
            for e in PROTOCOLS.iter().filter(|e| e.info().broken.is_none()) {
                let params = Params::threads(t);
                if e.check(&params).is_err() {
                    continue; // more threads than the protocol serves
                }
                progress.show(e.info().name, t);
                for path in Path::ALL {
                    let s = repeated(repeat, || time_entry(*e, &params, path, k, batch))?;
                    rows.push(row(Group::Protocol(path), e.info().name, t, cores, k, dec, s));
                }
            }
        }
        if args.suite != Suite::Protocols {
            for layout in Layout::ALL {
                for p in Primitive::ALL {
                    progress.show(p.name(), t);
                    let s = repeated(repeat, || primitives::time(p, t, ops, layout))?;
                    let units = (ops * t) as f64;
                    rows.push(row(Group::Primitive(layout), p.name(), t, cores, ops, units, s));
                }
            }
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

/// A one-line progress counter on stderr, only when stderr is a terminal.
struct Progress {
    on: bool,
    total: usize,
    count: std::cell::Cell<usize>,
}

impl Progress {
    fn new(args: &BenchArgs) -> Self {
        use std::io::IsTerminal;
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
        };
        Progress {
            on: std::io::stderr().is_terminal(),
            total: args.threads.iter().map(|&t| per_thread(t as usize)).sum(),
            count: std::cell::Cell::new(0),
        }
    }

    fn show(&self, what: &str, threads: usize) {
        self.count.set(self.count.get() + 1);
        if self.on {
            eprint!("\r\x1b[2K[{}/~{}] {what} at {threads} threads", self.count.get(), self.total);
        }
    }

    fn done(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
    }
}

#[derive(serde::Serialize)]
struct Output<'a> {
    machine: Machine,
    oversubscribed_threads: Vec<usize>,
    instances: u64,
    ops: u64,
    repeat: u32,
    rows: &'a [Row],
    /// Paxos (3 acceptors): atomic operations per decision, per thread count.
    paxos_ops: Vec<PaxosOps>,
}

pub(super) fn bench(
    args: &BenchArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    let machine = Machine::here();
    let rows = measure(args, machine.cores)?;
    let paxos_ops = paxos_ops(args)?;
    let mut over: Vec<usize> =
        args.threads.iter().map(|&t| t as usize).filter(|&t| t > machine.cores).collect();
    over.dedup();
    let o = Output {
        machine,
        oversubscribed_threads: over,
        instances: args.instances,
        ops: args.ops,
        repeat: args.repeat,
        rows: &rows,
        paxos_ops,
    };
    let mut text = Vec::new();
    match args.format {
        BenchFormat::Json => writeln!(text, "{}", serde_json::to_string_pretty(&o)?)?,
        BenchFormat::Text => write_text(&o, &mut text)?,
        BenchFormat::Csv => write_csv(&o, &mut text)?,
    }
    if let Some(path) = &args.plot {
        let title = format!("consensus-lab: decisions per second ({})", o.machine);
        std::fs::write(path, super::plot::svg(&rows, &title))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        writeln!(err, "wrote {}", path.display())?;
    }
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            writeln!(err, "wrote {}", path.display())?;
        }
        None => out.write_all(&text)?,
    }
    Ok(0)
}

fn write_text(o: &Output<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "machine: {}", o.machine)?;
    if !o.oversubscribed_threads.is_empty() {
        writeln!(
            out,
            "OVERSUBSCRIBED thread counts (more threads than cores): {:?}",
            o.oversubscribed_threads
        )?;
    }
    writeln!(
        out,
        "protocols and baselines: ns per fresh instance (all threads deciding it), {} instances; \
         primitives: ns per operation, {} per thread; median of {} runs [min–max]",
        o.instances, o.ops, o.repeat
    )?;
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header([
        "group",
        "name",
        "threads",
        "ns (median)",
        "[min–max]",
        "per second",
        "ratio",
        "target ratio",
    ]);
    for r in o.rows {
        t.add_row([
            r.group.to_string(),
            r.name.clone(),
            format!("{}{}", r.threads, if r.oversubscribed { "*" } else { "" }),
            format!("{:.1}", r.median_ns),
            format!("[{:.1}–{:.1}]", r.min_ns, r.max_ns),
            format!("{:.2} M", r.per_second / 1e6),
            r.ratio.map_or("".into(), |x| format!("{x:.2}×")),
            match (&r.raw, r.raw_ratio) {
                (Some(raw), Some(x)) => format!("{x:.2}× {raw}"),
                _ => String::new(),
            },
        ]);
    }
    writeln!(out, "{t}")?;
    writeln!(out, "* oversubscribed. group handles: the protocol through proposer handles (no claim, no id check). ratio: to raw-cas (protocols, baselines) or cas-success on the same layout (primitives); target ratio: to the protocol's own raw sequence; same run, same threads.")?;
    for p in &o.paxos_ops {
        writeln!(out, "{}", describe_paxos(p))?;
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

fn write_csv(o: &Output<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "# machine: {}; oversubscribed thread counts: {:?}",
        o.machine, o.oversubscribed_threads
    )?;
    for p in &o.paxos_ops {
        writeln!(out, "# {}", describe_paxos(p))?;
    }
    writeln!(
        out,
        "group,name,threads,oversubscribed,median_ns,min_ns,max_ns,per_second,ratio,raw,raw_ratio"
    )?;
    for r in o.rows {
        writeln!(
            out,
            "{},{},{},{},{:.3},{:.3},{:.3},{:.1},{},{},{}",
            r.group,
            r.name,
            r.threads,
            r.oversubscribed,
            r.median_ns,
            r.min_ns,
            r.max_ns,
            r.per_second,
            r.ratio.map_or(String::new(), |x| format!("{x:.4}")),
            r.raw.as_deref().unwrap_or(""),
            r.raw_ratio.map_or(String::new(), |x| format!("{x:.4}"))
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::tests::run_cli;
    use consensus_lab::bench::baselines::BASELINES;
    use consensus_lab::registry::PROTOCOLS;

    #[test]
    fn json_and_csv_parse_and_cover_every_protocol() {
        let dir = std::env::temp_dir().join(format!("conlab-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let json = dir.join("b.json");
        let svg = dir.join("b.svg");
        let args = [
            "bench",
            "all",
            "--threads",
            "1,2",
            "--instances",
            "500",
            "--ops",
            "2000",
            "--repeat",
            "1",
        ];
        let mut with = args.to_vec();
        with.extend([
            "--format",
            "json",
            "--out",
            json.to_str().unwrap(),
            "--plot",
            svg.to_str().unwrap(),
        ]);
        let (code, _, err) = run_cli(&with);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
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
        let paxos = v["paxos_ops"].as_array().unwrap();
        assert_eq!(paxos.len(), 2);
        assert_eq!(paxos[0]["threads"], 1);
        assert_eq!(paxos[0]["acceptor_rmws"], 2.0);
        assert!(v["machine"]["cores"].as_u64().unwrap() >= 1);
        let plot = std::fs::read_to_string(&svg).unwrap();
        assert!(plot.starts_with("<svg") && plot.trim_end().ends_with("</svg>"));
        for e in PROTOCOLS.iter().filter(|e| e.info().broken.is_none()) {
            assert!(
                plot.contains(&format!(">{}</text>", e.info().name)),
                "{} not in the plot",
                e.info().name
            );
        }
        assert_eq!(
            plot.matches("<polyline").count(),
            plot.matches("stroke-width=\"2\"").count() / 2
        );

        let mut with = args.to_vec();
        with.extend(["--format", "csv"]);
        let (code, out, _) = run_cli(&with);
        assert_eq!(code, 0);
        let lines: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            lines[0],
            "group,name,threads,oversubscribed,median_ns,min_ns,max_ns,per_second,ratio,raw,raw_ratio"
        );
        assert!(lines[1..].iter().all(|l| l.split(',').count() == 11), "{out}");
        for b in BASELINES {
            assert!(lines.iter().any(|l| l.starts_with(&format!("baseline,{},", b.name))), "{out}");
        }
        assert_eq!(lines.len() - 1, rows.len());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_thread_lists_are_errors() {
        for t in ["0", "1,x", ""] {
            let (code, _, err) = run_cli(&["bench", "--threads", t]);
            assert_eq!(code, 2, "{t}: {err}");
        }
    }
}
