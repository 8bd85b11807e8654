//! `conlab list`: the registry as a table.

use super::Format;
use consensus_lab::registry::{Entry, PROTOCOLS};
use std::io::Write;

#[derive(serde::Serialize)]
struct Row {
    name: &'static str,
    summary: &'static str,
    primitive: &'static str,
    consensus_number: String,
    progress: String,
    max_threads: Option<usize>,
    threads: String,
    loom: String,
    broken: Option<&'static str>,
}

fn row(e: Entry) -> Row {
    let info = e.info();
    // Step bounds depend on the thread count: show them at the largest model.
    let t = info.loom.iter().map(|m| m.threads()).max().unwrap_or(2);
    let loom = info
        .loom
        .iter()
        .map(|m| match m.preemption_bound {
            None => m.label(),
            Some(b) => format!("{} (≤{b} preemptions)", m.label()),
        })
        .collect::<Vec<_>>()
        .join(", ");
    Row {
        name: info.name,
        summary: info.summary,
        primitive: info.primitive,
        consensus_number: info.consensus_number.to_string(),
        progress: e.progress(t).map_or_else(|e| e.to_string(), |p| p.to_string()),
        max_threads: info.max_threads(),
        threads: info.threads.short(),
        loom: if info.broken.is_some() { format!("{loom} (counterexample)") } else { loom },
        broken: info.broken.map(|b| b.flaw),
    }
}

pub(super) fn list(
    format: Format,
    wide: bool,
    out: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    super::check_wide(wide, format == Format::Text)?;
    let rows: Vec<Row> = PROTOCOLS.iter().map(|e| row(*e)).collect();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
        Format::Text => {
            let mut t = super::table(wide);
            // Narrow: what a protocol is, in 80 columns; --wide: its
            // primitive and loom models too.
            let mut header = vec!["protocol"];
            if wide {
                header.push("primitive");
            }
            header.extend(["cons. no.", "progress", "threads"]);
            if wide {
                header.push("loom-checked at");
            }
            header.push("");
            t.set_header(header);
            // Names whole; the longer descriptions wrap.
            for i in [0, if wide { 3 } else { 2 }] {
                if let Some(c) = t.column_mut(i) {
                    c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
                }
            }
            for r in &rows {
                let mut cells = vec![r.name.to_string()];
                if wide {
                    cells.push(r.primitive.to_string());
                }
                cells.extend([r.consensus_number.clone(), r.progress.clone(), r.threads.clone()]);
                if wide {
                    cells.push(r.loom.clone());
                }
                cells.push(if r.broken.is_some() { "BROKEN".into() } else { String::new() });
                t.add_row(cells);
            }
            writeln!(out, "{t}")?;
            if !wide {
                writeln!(out, "primitives, loom models and their bounds: conlab list --wide")?;
            }
            for r in rows.iter().filter(|r| r.broken.is_some()) {
                let note = format!("BROKEN {}: {}", r.name, r.broken.unwrap_or_default());
                writeln!(out, "{}", super::wrap(&note, 2, wide))?;
            }
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use crate::tests::run_cli;
    use consensus_lab::registry::names;

    #[test]
    fn list_shows_every_protocol_in_text_and_json() {
        let (code, out, _) = run_cli(&["list"]);
        assert_eq!(code, 0);
        for n in names() {
            assert!(out.contains(n), "{n} missing from:\n{out}");
        }
        assert!(out.contains("wait-free (1 step)") && out.contains("blocking"), "{out}");
        let (code, out, _) = run_cli(&["list", "--format", "json"]);
        assert_eq!(code, 0);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v.as_array().unwrap().len(), names().len());
    }
}
