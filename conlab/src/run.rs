//! `conlab run <protocol|all>`: the real-core stress runner; `conlab run
//! --object <name>`: the linearizability check of an object's histories.

use super::{Format, Machine, EXIT_VIOLATION};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use consensus_lab::check::stress::{self, StressConfig, StressReport};
use consensus_lab::consensus::protocol::Params;
use consensus_lab::registry::{self, Entry, PROTOCOLS};
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(serde::Serialize)]
struct Output {
    machine: Machine,
    threads: usize,
    oversubscribed: bool,
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
    if let Some(object) = &args.object {
        return objects(object, args, out);
    }
    let protocol = args.protocol.as_deref().unwrap_or("all");
    let cfg = StressConfig {
        threads: args.threads as usize,
        instances: usize::try_from(args.instances)?,
        batch: args.batch as usize,
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
    let mut reports = Vec::new();
    for e in entries {
        if args.format == Format::Text {
            let _ = writeln!(err, "running {} ...", e.info().name);
        }
        reports.push(stress::run_entry(e, &params, &cfg)?);
    }
    let violations: usize = reports.iter().map(|r| r.violations).sum();
    let output = Output { machine, threads: cfg.threads, oversubscribed, reports, skipped };
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&output)?)?,
        Format::Text => write_text(&output, &cfg, out)?,
    }
    Ok(if violations == 0 { 0 } else { EXIT_VIOLATION })
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
    let threads = args.threads as usize;
    let r = (entry.check)(threads, usize::try_from(args.ops)?, usize::try_from(args.histories)?)?;
    let machine = Machine::here();
    match args.format {
        Format::Json => {
            let v = serde_json::json!({ "machine": machine, "report": r, "ops_per_second": r.ops_per_second() });
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        Format::Text => {
            writeln!(out, "machine: {machine}")?;
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
        }
    }
    Ok(if r.violations == 0 { 0 } else { EXIT_VIOLATION })
}

fn write_text(o: &Output, cfg: &StressConfig, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "machine: {}", o.machine)?;
    if o.oversubscribed {
        writeln!(
            out,
            "{} threads on {} cores: OVERSUBSCRIBED (threads take turns; races happen at preemptions)",
            o.threads, o.machine.cores
        )?;
    } else {
        writeln!(out, "{} threads on {} cores", o.threads, o.machine.cores)?;
    }
    writeln!(out, "{} fresh instances per protocol, barrier every {}", cfg.instances, cfg.batch)?;
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header([
        "protocol",
        "instances",
        "violations",
        "wins per thread",
        "contended batches",
        "time",
        "ns / instance",
    ]);
    for r in &o.reports {
        t.add_row([
            r.protocol.clone(),
            r.instances.to_string(),
            r.violations.to_string(),
            format!("{:?}", r.wins),
            format!("{} of {}", r.contended_batches, r.batches),
            format!("{:.1} ms", r.elapsed.as_secs_f64() * 1e3),
            format!("{:.0}", r.ns_per_instance()),
        ]);
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
    let total: usize = o.reports.iter().map(|r| r.violations).sum();
    writeln!(
        out,
        "{}: {} protocol{}, {} violations",
        if total == 0 { "OK" } else { "FAILED" },
        o.reports.len(),
        if o.reports.len() == 1 { "" } else { "s" },
        total
    )
}

#[cfg(test)]
mod tests {
    use crate::tests::run_cli;

    #[test]
    fn run_all_reports_zero_violations() {
        let (code, out, _) = run_cli(&["run", "all", "--instances", "500"]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("OK:") && out.contains("0 violations"), "{out}");
        assert!(out.contains("skipped read-write"), "{out}");
    }

    #[test]
    fn oversubscription_is_labelled() {
        let (code, out, _) = run_cli(&["run", "cas", "--threads", "64", "--instances", "50"]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("OVERSUBSCRIBED"), "{out}");
    }

    #[test]
    fn json_output_parses() {
        let (code, out, _) = run_cli(&["run", "cas", "--instances", "100", "--format", "json"]);
        assert_eq!(code, 0);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["reports"][0]["violations"], 0);
        assert_eq!(v["reports"][0]["protocol"], "cas");
        assert!(v["machine"]["cores"].as_u64().unwrap() >= 1);
    }
}
