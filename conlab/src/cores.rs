//! `conlab bench cores`: the core-to-core latency matrix
//! ([`consensus_lab::bench::cores`]) as a table, JSON, CSV, Markdown and an
//! SVG heatmap. `bench` measures it and chooses where each output goes.

use consensus_lab::bench::cores::Pair;
use std::fmt::Write as _;

/// A measured matrix and how it was measured.
#[derive(Debug, serde::Serialize)]
pub(crate) struct CoresReport {
    /// Who, when, where, how (`bench`'s metadata, flattened into the JSON).
    #[serde(flatten)]
    pub meta: serde_json::Value,
    /// The cores measured (the process's affinity mask).
    pub cores: Vec<usize>,
    /// Round trips per sample.
    pub iterations: usize,
    /// Samples per pair.
    pub samples: usize,
    /// Every pair a < b.
    pub pairs: Vec<Pair>,
}

impl CoresReport {
    fn at(&self, a: usize, b: usize) -> Option<&Pair> {
        self.pairs.iter().find(|p| (p.a, p.b) == (a, b) || (p.a, p.b) == (b, a))
    }

    fn what(&self) -> String {
        format!(
            "core-to-core latency: CAS ping-pong between two threads pinned to the two cores, \
             one way (round trip / 2), ns, mean ± σ over {} samples of {} round trips",
            self.samples, self.iterations
        )
    }
}

/// The text matrix (rows and columns: cores; the lower triangle filled).
pub(crate) fn text(r: &CoresReport, machine: &str) -> String {
    let mut s = format!("machine: {machine}\n{}\n", r.what());
    let cell =
        |p: Option<&Pair>| p.map_or(String::new(), |p| format!("{:.0}±{:.0}", p.mean_ns, p.sd_ns));
    let width = r.pairs.iter().map(|p| cell(Some(p)).chars().count()).max().unwrap_or(1).max(4);
    let _ = write!(s, "{:>4}", "");
    for &b in &r.cores {
        let _ = write!(s, " {b:>width$}");
    }
    s.push('\n');
    for &a in &r.cores {
        let _ = write!(s, "{a:>4}");
        for &b in r.cores.iter().take_while(|&&b| b < a) {
            let _ = write!(s, " {:>width$}", cell(r.at(a, b)));
        }
        s.push('\n');
    }
    if r.cores.len() < 2 {
        s.push_str("one core available: no pair to measure\n");
    }
    for p in r.pairs.iter().filter(|p| p.sd_ns > p.mean_ns) {
        let _ = writeln!(
            s,
            "note: cores {} and {}: σ above the mean (median {:.0} ns): some samples were preempted",
            p.a, p.b, p.median_ns
        );
    }
    s
}

/// The CSV: one row per pair, a header row, the run's metadata columns.
pub(crate) fn csv(r: &CoresReport, meta: &[(&str, String)]) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut s = String::from("core_a,core_b,mean_ns,sd_ns,median_ns,samples,iterations");
    for (k, _) in meta {
        let _ = write!(s, ",{k}");
    }
    s.push('\n');
    for p in &r.pairs {
        let _ = write!(
            s,
            "{},{},{:.2},{:.2},{:.2},{},{}",
            p.a,
            p.b,
            p.mean_ns,
            p.sd_ns,
            p.median_ns,
            p.samples_ns.len(),
            r.iterations
        );
        for (_, v) in meta {
            let _ = write!(s, ",{}", field(v));
        }
        s.push('\n');
    }
    s
}

/// The Markdown report: the metadata lines, then the matrix as a table.
pub(crate) fn markdown(r: &CoresReport, meta_lines: &str) -> String {
    let mut s = format!("# conlab bench cores\n\n{meta_lines}- {}\n\n|  |", r.what());
    for &b in &r.cores {
        let _ = write!(s, " {b} |");
    }
    s.push_str("\n|---|");
    s.push_str(&"---:|".repeat(r.cores.len()));
    s.push('\n');
    for &a in &r.cores {
        let _ = write!(s, "| **{a}** |");
        for &b in &r.cores {
            match r.at(a, b).filter(|_| b < a) {
                Some(p) => {
                    let _ = write!(s, " {:.0} ± {:.0} |", p.mean_ns, p.sd_ns);
                }
                None => s.push_str("  |"),
            }
        }
        s.push('\n');
    }
    s
}

/// The heatmap: one square per pair (lower triangle), darker for slower,
/// its value written inside; cores on both axes.
pub(crate) fn svg(r: &CoresReport, machine: &str) -> String {
    let n = r.cores.len().max(1);
    let cell = (480.0 / n as f64).clamp(24.0, 80.0);
    let (left, top) = (60.0, 70.0);
    let (w, h) = (left + cell * n as f64 + 40.0, top + cell * n as f64 + 60.0);
    let max = r.pairs.iter().map(|p| p.mean_ns).fold(1.0, f64::max);
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" font-size="14">core-to-core latency, ns one way (CAS round trip / 2)</text>
<text x="10" y="38">{}</text>
"#,
        escape(machine)
    );
    for (i, &c) in r.cores.iter().enumerate() {
        let mid = cell * i as f64 + cell / 2.0;
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{c}</text><text x="{}" y="{}" text-anchor="end">{c}</text>"#,
            left + mid,
            top - 6.0,
            left - 6.0,
            top + mid + 4.0
        );
    }
    for p in &r.pairs {
        let (Some(i), Some(j)) = (
            r.cores.iter().position(|&c| c == p.a.max(p.b)),
            r.cores.iter().position(|&c| c == p.a.min(p.b)),
        ) else {
            continue;
        };
        // Light for fast, dark red for slow: lightness from 95% down to 35%.
        let light = 95.0 - 60.0 * (p.mean_ns / max).clamp(0.0, 1.0);
        let (x, y) = (left + cell * j as f64, top + cell * i as f64);
        let ink = if light < 60.0 { "white" } else { "black" };
        let _ = writeln!(
            s,
            r#"<rect class="pair" x="{x}" y="{y}" width="{cell}" height="{cell}" fill="hsl(0, 70%, {light:.0}%)" stroke="white"/><text x="{}" y="{}" text-anchor="middle" fill="{ink}">{:.0}</text>"#,
            x + cell / 2.0,
            y + cell / 2.0 + 4.0,
            p.mean_ns
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="{}">rows and columns: cores; {} samples of {} round trips per pair</text>"#,
        h - 20.0,
        r.samples,
        r.iterations
    );
    s.push_str("</svg>\n");
    s
}
