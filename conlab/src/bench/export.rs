//! The exports of `conlab bench` besides JSON (the report serialized): CSV
//! with a header row and the metadata on every row, and Markdown.

use super::report::{
    describe_calibration, describe_epaxos, describe_log, describe_paxos, describe_universal,
    epaxos_cells, is_epaxos, is_universal, log_cells, log_of, shown_name, threads_cell, Output,
};
use std::io::Write;

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
    "p50_ns",
    "p99_ns",
    "rmws_per_command",
    "conflict",
    "fast_share",
];

/// One CSV field, quoted when it must be (RFC 4180).
pub(super) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub(super) fn write_csv(o: &Output<'_>, out: &mut dyn Write) -> std::io::Result<()> {
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
            r.p50_ns.map_or(String::new(), |x| format!("{x:.0}")),
            r.p99_ns.map_or(String::new(), |x| format!("{x:.0}")),
            r.rmws_per_command.map_or(String::new(), |x| format!("{x:.4}")),
            r.conflict.map_or(String::new(), |x| format!("{x}")),
            r.fast_share.map_or(String::new(), |x| format!("{x:.4}")),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

/// A Markdown table cell: `|` escaped.
pub(super) fn md(s: &str) -> String {
    s.replace('|', "\\|")
}

pub(super) fn write_markdown(o: &Output<'_>, out: &mut dyn Write) -> std::io::Result<()> {
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
        writeln!(out, "- {}", crate::describe_seed(seed, crate::BACKOFF_DRAWS))?;
    }
    if let Some(c) = &o.calibration {
        writeln!(out, "- {}", md(&describe_calibration(c)))?;
    }
    if !o.oversubscribed_threads.is_empty() {
        writeln!(out, "- OVERSUBSCRIBED thread counts (\\*): {:?}", o.oversubscribed_threads)?;
    }
    if is_universal(o) {
        writeln!(out, "- {}\n", md(&describe_universal(o)))?;
        writeln!(out, "| object | threads | ns/op (median) | min | max | ops per second | ÷ mutex-vecdeque | ÷ segqueue |")?;
        writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|")?;
        for r in o.rows {
            writeln!(
                out,
                "| {} | {} | {:.1} | {:.1} | {:.1} | {:.0} | {} | {} |",
                md(&r.name),
                threads_cell(r).replace('*', "\\*"),
                r.median_ns,
                r.min_ns,
                r.max_ns,
                r.per_second,
                r.ratio.map_or("".into(), |x| format!("{x:.2}×")),
                r.raw_ratio.map_or("".into(), |x| format!("{x:.2}×")),
            )?;
        }
        return Ok(());
    }
    if is_epaxos(o) {
        writeln!(out, "- {}\n", md(&describe_epaxos(o)))?;
        writeln!(out, "| protocol | conflict | threads | ns/cmd (median) | [min–max] | cmds per second | p50 ns | p99 ns | ops/cmd | fast |")?;
        writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
        for r in o.rows {
            let [conflict, median, spread, per_second, p50, p99, ops, fast] = epaxos_cells(r);
            writeln!(
                out,
                "| {} | {conflict} | {} | {median} | {spread} | {per_second} | {p50} | {p99} | {ops} | {fast} |",
                md(&r.name),
                threads_cell(r).replace('*', "\\*"),
            )?;
        }
        return Ok(());
    }
    if let Some(l) = log_of(o) {
        writeln!(out, "- {}\n", md(&describe_log(o, l)))?;
        writeln!(out, "| figure | threads | ns/cmd (median) | [min–max] | cmds per second | p50 ns | p99 ns | RMW/cmd |")?;
        writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|")?;
        for r in o.rows {
            let [median, spread, per_second, p50, p99, rmws] = log_cells(r);
            writeln!(
                out,
                "| {} | {} | {median} | {spread} | {per_second} | {p50} | {p99} | {rmws} |",
                md(&r.name),
                threads_cell(r).replace('*', "\\*"),
            )?;
        }
        return Ok(());
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
