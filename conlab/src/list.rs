//! `conlab list`: the registry as a table.

use super::Format;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
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

pub(super) fn list(format: Format, out: &mut dyn Write) -> Result<i32, Box<dyn std::error::Error>> {
    let rows: Vec<Row> = PROTOCOLS.iter().map(|e| row(*e)).collect();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
        Format::Text => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED).set_header([
                "protocol",
                "primitive",
                "cons. no.",
                "progress",
                "threads",
                "loom-checked at",
                "",
            ]);
            for r in &rows {
                t.add_row([
                    r.name.to_string(),
                    r.primitive.to_string(),
                    r.consensus_number.clone(),
                    r.progress.clone(),
                    r.threads.clone(),
                    r.loom.clone(),
                    if r.broken.is_some() { "BROKEN".into() } else { String::new() },
                ]);
            }
            writeln!(out, "{t}")?;
            for r in rows.iter().filter(|r| r.broken.is_some()) {
                writeln!(out, "BROKEN {}: {}", r.name, r.broken.unwrap_or_default())?;
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
