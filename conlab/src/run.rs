//! `conlab run <protocol|all>`: the real-core stress runner; `conlab run
//! --object <name>`: the linearizability check of an object's histories.
//!
//! Exit codes: [`EXIT_VIOLATION`] if some protocol (or history) violated a
//! property, else [`EXIT_INCONCLUSIVE`] if some run tested nothing (see
//! `check::stress`'s "no vacuous verdicts"), else 0.

use super::{Format, Machine, EXIT_INCONCLUSIVE, EXIT_VIOLATION};
use consensus_lab::check::stress::{self, StressConfig, StressReport, Verdict, MIN_CONTENDED};
use consensus_lab::consensus::protocol::{Knob, Params};
use consensus_lab::paxos::DEFAULT_ACCEPTORS;
use consensus_lab::registry::{self, Entry, PROTOCOLS};
use consensus_lab::threads;
use std::io::Write;

/// Arguments of `conlab run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// A protocol name from `conlab list`, or `all` for every correct protocol.
    #[arg(required_unless_present = "object", conflicts_with = "object")]
    pub protocol: Option<String>,
    /// Instead of a protocol: record histories of this object on real threads
    /// and check each for linearizability (register, test-and-set, swap,
    /// fetch-and-add, queue, assignment, compare-and-swap).
    #[arg(long)]
    pub object: Option<String>,
    /// With --object: operations per history.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub ops: u64,
    /// With --object: histories to record and check.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub histories: u64,
    /// Threads racing on every instance.
    #[arg(long, short, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: u32,
    /// Fresh instances to decide.
    #[arg(long, short, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub instances: u64,
    /// Paxos only: the number of acceptors (odd).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub acceptors: Option<u32>,
    /// Instances between two barriers (smaller: tighter races, more barrier time).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch: u32,
    /// Seconds a protocol's run keeps starting new rounds of --instances
    /// fresh instances until a quarter of its batches were contended (else it
    /// is INCONCLUSIVE); 0: one round.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=3_600))]
    pub budget: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The table as wide as its content (else at most 80 columns).
    #[arg(long)]
    pub wide: bool,
    /// Seed of the randomized choices (default: a random one, printed and
    /// exported): the retrying protocols' backoff draws, or with --object the
    /// operation mix of every history. The same seed replays the same
    /// choices; the interleaving is the real cores'.
    #[arg(long)]
    pub seed: Option<u64>,
    /// With --object: write the first non-linearizable history as a
    /// self-contained HTML picture to this file (`-`: standard output), where
    /// there is one (docs/src/linearizability.md, "Reading the picture").
    #[arg(long, value_name = "FILE.html")]
    pub visualize: Option<std::path::PathBuf>,
    /// The flags given on the command line (filled by `main_with`).
    #[arg(skip)]
    pub given: Vec<String>,
}

/// The flags of a protocol run and of an object run.
const PROTOCOL_FLAGS: &[&str] = &["instances", "acceptors", "batch"];
const OBJECT_FLAGS: &[&str] = &["ops", "histories", "visualize"];

/// Refuses the flags that do not apply to what `args` runs.
fn check_flags(args: &RunArgs) -> Result<(), String> {
    if args.object.is_some() {
        super::refuse_flags(
            &args.given,
            PROTOCOL_FLAGS,
            "to --object (it is for a protocol run)",
            "--threads, --ops, --histories, --visualize, --seed, --format",
        )
    } else {
        super::refuse_flags(
            &args.given,
            OBJECT_FLAGS,
            "to a protocol run (it is for --object)",
            "--threads, --instances, --acceptors (paxos), --batch, --budget, --seed, --format",
        )
    }
}

#[derive(serde::Serialize)]
struct Output {
    machine: Machine,
    threads: usize,
    oversubscribed: bool,
    /// The acceptors of every Paxos instance, if the run has a Paxos variant.
    paxos_acceptors: Option<usize>,
    /// The seed of the retrying protocols' randomized backoff (`--seed`).
    seed: u64,
    reports: Vec<StressReport>,
    skipped: Vec<Skipped>,
}

#[derive(serde::Serialize)]
struct Skipped {
    protocol: &'static str,
    reason: String,
}

pub(super) fn run(
    args: &RunArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    check_flags(args)?;
    super::check_wide(args.wide, args.format == Format::Text)?;
    if let Some(object) = &args.object {
        return objects(object, args, out);
    }
    let protocol = args.protocol.as_deref().unwrap_or("all");
    let cfg = StressConfig {
        threads: args.threads as usize,
        instances: usize::try_from(args.instances)?,
        batch: args.batch as usize,
        ..StressConfig::new(1, 1).budget(std::time::Duration::from_secs(args.budget))
    };
    let params =
        Params { acceptors: args.acceptors.map(|a| a as usize), ..Params::threads(cfg.threads) };
    let mut skipped = Vec::new();
    let entries: Vec<Entry> = if protocol == "all" {
        PROTOCOLS
            .iter()
            .copied()
            .filter(|e| {
                let info = e.info();
                if info.broken.is_some() {
                    skipped.push(Skipped {
                        protocol: info.name,
                        reason: "broken on purpose; run it by name to look for its violation"
                            .into(),
                    });
                    return false;
                }
                if let Err(why) = e.check(&params) {
                    skipped.push(Skipped { protocol: info.name, reason: why.to_string() });
                    return false;
                }
                true
            })
            .collect()
    } else {
        let e = registry::find(protocol).ok_or_else(|| {
            format!(
                "unknown protocol '{}' (known: all, {})",
                protocol,
                registry::names().join(", ")
            )
        })?;
        e.check(&params)?;
        vec![e]
    };

    let machine = Machine::here();
    let oversubscribed = cfg.threads > machine.cores;
    let entries_acceptors = entries.iter().any(|e| e.info().knobs.contains(&Knob::Acceptors));
    let seed = super::seed_or_random(args.seed);
    let bar = super::progress::bar(entries.len() as u64);
    let mut reports = Vec::new();
    for e in entries {
        if bar.is_hidden() && args.format == Format::Text {
            let _ = writeln!(err, "running {} ...", e.info().name);
        }
        bar.set_message(e.info().name);
        reports.push(threads::seeded(Some(seed), || stress::run_entry(e, &params, &cfg))?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let violations: usize = reports.iter().map(|r| r.violations).sum();
    let paxos_acceptors = entries_acceptors.then(|| params.acceptors.unwrap_or(DEFAULT_ACCEPTORS));
    let output = Output {
        machine,
        threads: cfg.threads,
        oversubscribed,
        paxos_acceptors,
        seed,
        reports,
        skipped,
    };
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&output)?)?,
        Format::Text => {
            let mut text = Vec::new();
            write_text(&output, &cfg, args.wide, &mut text)?;
            out.write_all(super::fit(&text, args.wide).as_bytes())?;
        }
    }
    Ok(if violations > 0 {
        EXIT_VIOLATION
    } else if output.reports.iter().any(|r| r.verdict == Verdict::Inconclusive) {
        EXIT_INCONCLUSIVE
    } else {
        0
    })
}

fn objects(
    name: &str,
    args: &RunArgs,
    out: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    use consensus_lab::check::workload::OBJECTS;
    let entry = OBJECTS.iter().find(|o| o.name == name).ok_or_else(|| {
        let known: Vec<_> = OBJECTS.iter().map(|o| o.name).collect();
        format!("unknown object '{name}' (known: {})", known.join(", "))
    })?;
    if let Some(path) = &args.visualize {
        super::check_writable("--visualize", path)?;
    }
    let threads = args.threads as usize;
    let seed = super::seed_or_random(args.seed);
    let (ops, histories) = (usize::try_from(args.ops)?, usize::try_from(args.histories)?);
    let bar = super::progress::bar(args.histories);
    bar.set_message(format!("{name}: histories recorded and checked"));
    let r = (entry.check)(threads, ops, histories, seed, &mut |_| bar.inc(1));
    bar.finish_and_clear();
    let r = r?;
    if let (Some(path), Some(page)) = (&args.visualize, &r.picture) {
        super::write_to(path, page.as_bytes(), out)?;
    }
    let machine = Machine::here();
    match args.format {
        Format::Json => {
            let v = serde_json::json!({
                "machine": machine,
                "seed": seed,
                "report": r,
                "ops_per_second": r.ops_per_second(),
                "inconclusive": r.inconclusive(),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        Format::Text => {
            writeln!(out, "machine: {machine}")?;
            writeln!(out, "{}", super::describe_seed(seed, "the operation mix of every history"))?;
            writeln!(
                out,
                "{}: {} histories of {} operations by {} threads{}: {} not linearizable",
                r.object,
                r.histories,
                r.ops,
                r.threads,
                if threads > machine.cores { " (OVERSUBSCRIBED)" } else { "" },
                r.violations
            )?;
            writeln!(
                out,
                "checked in {:.1} ms: {:.0} operations per second",
                r.check_time.as_secs_f64() * 1e3,
                r.ops_per_second()
            )?;
            if let Some(e) = &r.example {
                writeln!(out, "first violation:\n{e}")?;
            }
            writeln!(
                out,
                "{} of {} histories had overlapping operations",
                r.overlapping, r.histories
            )?;
            if let Some(why) = r.inconclusive() {
                writeln!(out, "INCONCLUSIVE: {why}")?;
            }
            if let Some(path) = &args.visualize {
                match &r.picture {
                    Some(_) => writeln!(out, "picture of the first violation: {}", path.display())?,
                    None => writeln!(out, "no violation: no picture written")?,
                }
            }
        }
    }
    Ok(if r.violations > 0 {
        EXIT_VIOLATION
    } else if r.inconclusive().is_some() {
        EXIT_INCONCLUSIVE
    } else {
        0
    })
}

fn write_text(
    o: &Output,
    cfg: &StressConfig,
    wide: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out, "machine: {}", o.machine)?;
    writeln!(out, "{}", super::describe_seed(o.seed, super::BACKOFF_DRAWS))?;
    if o.oversubscribed {
        writeln!(
            out,
            "{} threads on {} cores: OVERSUBSCRIBED (threads take turns; races happen at preemptions)",
            o.threads, o.machine.cores
        )?;
    } else {
        writeln!(out, "{} threads on {} cores", o.threads, o.machine.cores)?;
    }
    writeln!(
        out,
        "{} fresh instances per round, barrier every {}; a run is conclusive when {:.0} % of \
         its batches were contended (more rounds for up to {} s until then)",
        super::thousands(cfg.instances as f64, 0),
        cfg.batch,
        100.0 * MIN_CONTENDED,
        cfg.budget.as_secs()
    )?;
    if let Some(a) = o.paxos_acceptors {
        writeln!(out, "Paxos: {a} acceptors per instance")?;
    }
    // Narrow: what was found and how fast; --wide: instances and time too.
    let mut t = super::table(wide);
    let columns: &[&str] = if wide {
        &[
            "protocol",
            "instances",
            "violations",
            "wins per thread",
            "contended",
            "rounds",
            "time",
            "ns/inst.",
        ]
    } else {
        &["protocol", "violations", "wins per thread", "contended", "ns/inst."]
    };
    t.set_header(columns.iter().copied());
    for r in &o.reports {
        let n = |x: usize| super::thousands(x as f64, 0);
        let mut cells = vec![r.protocol.clone()];
        if wide {
            cells.push(n(r.instances));
        }
        cells.push(n(r.violations));
        cells.push(r.wins.iter().map(|&w| n(w as usize)).collect::<Vec<_>>().join(" "));
        cells.push(format!(
            "{} of {} ({:.0} %)",
            n(r.contended_batches),
            n(r.batches),
            100.0 * r.contended_share()
        ));
        if wide {
            cells.push(n(r.rounds));
            cells.push(format!("{} ms", super::thousands(r.elapsed.as_secs_f64() * 1e3, 1)));
        }
        cells.push(super::thousands(r.ns_per_instance(), 0));
        t.add_row(cells);
    }
    // Every column whole but the wins, which wrap.
    let wins = columns.iter().position(|c| *c == "wins per thread");
    for (i, c) in t.column_iter_mut().enumerate() {
        if Some(i) != wins {
            c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
        }
    }
    writeln!(out, "{t}")?;
    for r in o.reports.iter().filter(|r| r.violations > 0) {
        writeln!(out, "{}: {} VIOLATIONS, for example:", r.protocol, r.violations)?;
        for ex in &r.examples {
            writeln!(out, "  {ex}")?;
        }
    }
    for s in &o.skipped {
        writeln!(out, "skipped {}: {}", s.protocol, s.reason)?;
    }
    let inconclusive: Vec<&StressReport> =
        o.reports.iter().filter(|r| r.verdict == Verdict::Inconclusive).collect();
    for r in &inconclusive {
        let why = r.inconclusive.as_deref().unwrap_or("nothing was really tested");
        writeln!(out, "{}: INCONCLUSIVE: {why}", r.protocol)?;
    }
    let total: usize = o.reports.iter().map(|r| r.violations).sum();
    writeln!(
        out,
        "{}: {} protocol{}, {} violations{}",
        if total > 0 {
            "FAILED"
        } else if !inconclusive.is_empty() {
            "INCONCLUSIVE"
        } else {
            "OK"
        },
        o.reports.len(),
        if o.reports.len() == 1 { "" } else { "s" },
        total,
        if inconclusive.is_empty() {
            String::new()
        } else {
            format!(", {} inconclusive (nothing was really tested)", inconclusive.len())
        }
    )
}

#[cfg(test)]
mod tests {
    use crate::tests::run_cli;

    #[test]
    fn run_all_reports_zero_violations() {
        let (code, out, _) = run_cli(&["run", "all", "--instances", "500"]);
        // 4 if some protocol's threads never raced enough within its budget
        // on a busy machine: then the output says which.
        assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE, "{out}");
        assert_eq!(code == 0, !out.contains("INCONCLUSIVE"), "{out}");
        assert!(out.contains("0 violations"), "{out}");
        assert!(out.contains("skipped read-write"), "{out}");
    }

    #[test]
    fn visualize_is_for_objects_and_writes_only_a_violation() {
        let dir = std::env::temp_dir().join(format!("conlab-visualize-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let page = dir.join("h.html");
        let page_arg = page.to_str().unwrap();
        // Not for a protocol run: refused before any work.
        let (code, _, err) = run_cli(&["run", "cas", "--visualize", page_arg]);
        assert_eq!(code, crate::EXIT_USAGE, "{err}");
        assert!(err.contains("--visualize"), "{err}");
        // An unwritable path: refused before any work.
        let missing = dir.join("no-such-dir").join("h.html");
        let (code, _, err) =
            run_cli(&["run", "--object", "register", "--visualize", missing.to_str().unwrap()]);
        assert_eq!(code, crate::EXIT_USAGE, "{err}");
        assert!(err.contains("no directory"), "{err}");
        // A correct object: no violation, so no picture, and the output says so.
        let (code, out, _) = run_cli(&[
            "run",
            "--object",
            "register",
            "--ops",
            "200",
            "--histories",
            "3",
            "--visualize",
            page_arg,
        ]);
        assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE, "{out}");
        assert!(out.contains("no violation: no picture written"), "{out}");
        assert!(!page.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn one_thread_is_inconclusive() {
        let (code, out, _) = run_cli(&["run", "cas", "--threads", "1", "--instances", "100"]);
        assert_eq!(code, crate::EXIT_INCONCLUSIVE, "{out}");
        assert!(out.contains("INCONCLUSIVE: 1 thread: nothing could race"), "{out}");
        let (code, out, _) = run_cli(&["run", "--object", "register", "--threads", "1"]);
        assert_eq!(code, crate::EXIT_INCONCLUSIVE, "{out}");
        assert!(out.contains("INCONCLUSIVE: 1 thread"), "{out}");
    }

    #[test]
    fn a_broken_protocol_never_passes() {
        // Either its violation was found (1), or the run says it tested nothing
        // (4): never a plain OK.
        let (code, out, _) =
            run_cli(&["run", "read-write", "--instances", "1000", "--budget", "2"]);
        assert!([crate::EXIT_VIOLATION, crate::EXIT_INCONCLUSIVE].contains(&code), "{code}: {out}");
        assert!(!out.contains("OK:"), "{out}");
    }

    #[test]
    fn oversubscription_is_labelled() {
        let (code, out, _) = run_cli(&["run", "cas", "--threads", "64", "--instances", "50"]);
        assert_ne!(code, crate::EXIT_VIOLATION, "{out}");
        assert!(out.contains("OVERSUBSCRIBED"), "{out}");
    }

    #[test]
    fn json_output_parses() {
        let (code, out, _) = run_cli(&["run", "cas", "--instances", "100", "--format", "json"]);
        // 4: the threads did not race enough within the budget on a busy machine.
        assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE, "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["reports"][0]["violations"], 0);
        assert_eq!(v["reports"][0]["protocol"], "cas");
        assert!(v["reports"][0]["verdict"].is_string());
        assert_eq!(v["reports"][0]["min_contended"], 0.25);
        assert!(v["machine"]["cores"].as_u64().unwrap() >= 1);
        assert!(v["reports"][0]["elapsed_ms"].is_f64(), "{v}");
        assert!(v["paxos_acceptors"].is_null());
    }

    #[test]
    fn paxos_runs_show_their_acceptors() {
        let (code, out, _) = run_cli(&["run", "paxos", "--acceptors", "5", "--instances", "50"]);
        // 50 instances may not race enough to be conclusive: no violation either way.
        assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE, "{out}");
        assert!(out.contains("Paxos: 5 acceptors per instance"), "{out}");
        let (_, out, _) = run_cli(&["run", "paxos", "--instances", "50", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["paxos_acceptors"], 3);
    }

    #[test]
    fn the_seed_in_force_is_printed_and_exported() {
        let (_, out, _) = run_cli(&["run", "cas", "--instances", "50", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v["seed"].is_u64(), "a random seed is still reported: {v}");
        let (_, out, _) =
            run_cli(&["run", "cas", "--instances", "50", "--seed", "42", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["seed"], 42);
        let (_, out, err) = run_cli(&["run", "cas", "--instances", "50", "--seed", "42"]);
        assert!(
            out.contains("seed: 42 (the randomized backoff's draws; --seed 42 replays"),
            "{out}"
        );
        // Not a terminal: no bar, a line per protocol instead.
        assert!(err.contains("running cas ..."), "{err}");
        let object = ["run", "--object", "queue", "--ops", "100", "--histories", "2"];
        let (_, out, _) = run_cli(&[&object[..], &["--seed", "7", "--format", "json"]].concat());
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["seed"], 7);
        assert_eq!(v["report"]["histories"], 2);
        let (_, out, _) = run_cli(&[&object[..], &["--seed", "7"]].concat());
        assert!(out.contains("seed: 7 (the operation mix of every history; --seed 7"), "{out}");
    }
}
