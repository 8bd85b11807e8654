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

/// The heatmap, drawn with plotters (see [`crate::plot`]): one square per
/// pair (lower triangle), darker for slower, its value written inside; cores
/// on both axes.
///
/// # Errors
/// A drawing failure of plotters (none is expected when writing to a string).
pub(crate) fn svg(r: &CoresReport, machine: &str) -> Result<String, Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    let n = r.cores.len().max(1);
    let cell = (480 / n as u32).clamp(24, 80);
    let (left, top) = (60, 70);
    let (w, h) = ((left + cell * n as u32 + 40).max(760), top + cell * n as u32 + 60);
    let max = r.pairs.iter().map(|p| p.mean_ns).fold(1.0, f64::max);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        let style = |size: u32, h: HPos, v: VPos| {
            ("sans-serif", size).into_font().into_text_style(&root).pos(Pos::new(h, v))
        };
        let title = "core-to-core latency, ns one way (CAS round trip / 2)";
        root.draw(&Text::new(title, (10, 8), style(18, HPos::Left, VPos::Top)))?;
        root.draw(&Text::new(
            crate::plot::fit(machine, 12.0, w),
            (10, 32),
            style(12, HPos::Left, VPos::Top),
        ))?;
        let at = |i: usize| (cell * i as u32) as i32;
        let (left, top) = (left as i32, top as i32);
        for (i, &c) in r.cores.iter().enumerate() {
            let mid = at(i) + cell as i32 / 2;
            let label = c.to_string();
            root.draw(&Text::new(
                label.clone(),
                (left + mid, top - 6),
                style(12, HPos::Center, VPos::Bottom),
            ))?;
            root.draw(&Text::new(
                label,
                (left - 6, top + mid),
                style(12, HPos::Right, VPos::Center),
            ))?;
        }
        for p in &r.pairs {
            let (Some(i), Some(j)) = (
                r.cores.iter().position(|&c| c == p.a.max(p.b)),
                r.cores.iter().position(|&c| c == p.a.min(p.b)),
            ) else {
                continue;
            };
            // Light for fast, dark red for slow: lightness from 95% down to 35%.
            let light = 0.95 - 0.60 * (p.mean_ns / max).clamp(0.0, 1.0);
            let (x, y) = (left + at(j), top + at(i));
            let square = [(x, y), (x + cell as i32, y + cell as i32)];
            root.draw(&Rectangle::new(square, HSLColor(0.0, 0.7, light).filled()))?;
            root.draw(&Rectangle::new(square, WHITE.stroke_width(1)))?;
            let ink = if light < 0.60 { WHITE } else { BLACK };
            let centre = (x + cell as i32 / 2, y + cell as i32 / 2);
            let value = format!("{:.0}", p.mean_ns);
            root.draw(&Text::new(
                value,
                centre,
                style(12, HPos::Center, VPos::Center).color(&ink),
            ))?;
        }
        let note = format!(
            "rows and columns: cores; {} samples of {} round trips per pair",
            r.samples, r.iterations
        );
        root.draw(&Text::new(note, (left, h as i32 - 30), style(12, HPos::Left, VPos::Top)))?;
        root.present()?;
    }
    Ok(out)
}
