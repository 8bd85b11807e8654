//! `conlab hierarchy`: Herlihy's hierarchy, object by object, with the
//! protocols that reach each object's consensus number and the broken ones that
//! try to go beyond it.

use super::Format;
use consensus_lab::objects::{hierarchy, ObjectInfo, MUTEX};
use consensus_lab::registry::{Entry, PROTOCOLS};
use std::io::Write;

#[derive(serde::Serialize)]
struct Row {
    object: &'static str,
    consensus_number: &'static str,
    protocol: &'static str,
    threads: String,
    loom_threads: Vec<usize>,
    progress: String,
    verdict: &'static str,
}

fn rows() -> Vec<Row> {
    let mut objects: Vec<ObjectInfo> = hierarchy().to_vec();
    objects.push(MUTEX);
    let mut rows = Vec::new();
    for o in &objects {
        for &e in PROTOCOLS.iter().filter(|e| e.info().object == o) {
            rows.push(row(o, e));
        }
    }
    rows
}

fn row(o: &ObjectInfo, e: Entry) -> Row {
    let info = e.info();
    let mut loom_threads: Vec<usize> = info.loom.iter().map(|m| m.threads()).collect();
    loom_threads.dedup();
    // Step bounds depend on the thread count: show them at the largest model.
    let t = loom_threads.iter().copied().max().unwrap_or(2);
    Row {
        object: o.name,
        consensus_number: o.consensus_number,
        protocol: info.name,
        threads: info.threads.short(),
        loom_threads,
        progress: e.progress(t).map_or_else(|e| e.to_string(), |p| p.to_string()),
        verdict: if info.broken.is_some() { "counterexample" } else { "verified" },
    }
}

pub(super) fn hierarchy_cmd(
    format: Format,
    wide: bool,
    out: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    super::check_wide(wide, format == Format::Text)?;
    let rows = rows();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
        Format::Text => {
            let mut t = super::table(wide);
            // Narrow: object, consensus number, protocol, loom's verdict in
            // 80 columns; --wide: thread limits and progress too.
            let mut header = vec!["object", "cons. no.", "protocol"];
            if wide {
                header.push("threads");
            }
            header.push("loom");
            if wide {
                header.push("progress");
            }
            t.set_header(header);
            if let Some(c) = t.column_mut(2) {
                c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
            }
            for r in &rows {
                let threads: Vec<String> = r.loom_threads.iter().map(usize::to_string).collect();
                let mut cells = vec![
                    r.object.to_string(),
                    r.consensus_number.to_string(),
                    r.protocol.to_string(),
                ];
                if wide {
                    cells.push(r.threads.clone());
                }
                cells.push(format!("{} at {}", r.verdict, threads.join(", ")));
                if wide {
                    cells.push(r.progress.clone());
                }
                t.add_row(cells);
            }
            writeln!(out, "{t}")?;
            let note = "verified: loom checked agreement and validity at those thread counts; \
                 counterexample: loom found a violation there (the protocol goes beyond \
                 its object's consensus number, or breaks a rule). `conlab list` has each \
                 protocol's progress, `conlab list --wide` the loom bounds.";
            writeln!(out, "{}", super::wrap(note, 0, wide))?;
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::run_cli;

    #[test]
    fn every_protocol_sits_under_exactly_one_object_and_every_object_has_one() {
        let rows = rows();
        for e in PROTOCOLS {
            let n = rows.iter().filter(|r| r.protocol == e.info().name).count();
            assert_eq!(n, 1, "{} appears {n} times (object {:?})", e.info().name, e.info().object);
        }
        for o in hierarchy() {
            assert!(rows.iter().any(|r| r.object == o.name), "no protocol uses {}", o.name);
        }
    }

    #[test]
    fn the_table_prints() {
        let (code, out, _) = run_cli(&["hierarchy", "--wide"]);
        assert_eq!(code, 0);
        assert!(out.contains("m-register assignment") && out.contains("2m − 2"), "{out}");
        assert!(out.contains("wait-free (1 step)"), "--wide has the progress: {out}");
        assert!(out.contains("test-and-set-3") && out.contains("counterexample at 3"), "{out}");
    }
}
