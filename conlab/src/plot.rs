//! A small SVG line chart: throughput against threads, one line per protocol
//! (baselines dashed). Written by hand: a polyline per series and a few axis
//! labels need no plotting crate (and no system fonts).

use super::rows::Row;
use consensus_lab::bench::{Group, Path};
use std::fmt::Write as _;

const W: f64 = 900.0;
const H: f64 = 560.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 230.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;

/// A distinct colour per series.
fn colour(i: usize) -> String {
    let hue = (i * 137) % 360;
    format!("hsl({hue}, 65%, 42%)")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The chart of the protocol and baseline rows (primitives are left out).
pub(crate) fn svg(rows: &[Row], title: &str) -> String {
    let series_rows: Vec<&Row> = rows
        .iter()
        .filter(|r| matches!(r.group, Group::Protocol(Path::Decide) | Group::Baseline))
        .collect();
    let mut threads: Vec<usize> = series_rows.iter().map(|r| r.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let mut names: Vec<(Group, &str)> = Vec::new();
    for r in &series_rows {
        if !names.iter().any(|(g, n)| *g == r.group && *n == r.name) {
            names.push((r.group, &r.name));
        }
    }
    let ymax = series_rows.iter().map(|r| r.per_second / 1e6).fold(1.0, f64::max) * 1.1;
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let x = |t: usize| {
        let i = threads.iter().position(|&u| u == t).unwrap_or(0);
        LEFT + if threads.len() > 1 { pw * i as f64 / (threads.len() - 1) as f64 } else { pw / 2.0 }
    };
    let y = |v: f64| TOP + ph * (1.0 - v / ymax);

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(s, r#"<text x="{}" y="22" font-size="15">{}</text>"#, LEFT, escape(title));
    // Axes, grid and labels.
    let _ = writeln!(
        s,
        r#"<line x1="{LEFT}" y1="{}" x2="{}" y2="{}" stroke="black"/>"#,
        TOP + ph,
        LEFT + pw,
        TOP + ph
    );
    let _ = writeln!(
        s,
        r#"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{}" stroke="black"/>"#,
        TOP + ph
    );
    for k in 0..=5 {
        let v = ymax * k as f64 / 5.0;
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{0}" x2="{1}" y2="{0}" stroke="#ddd"/><text x="{2}" y="{3}" text-anchor="end">{v:.0}</text>"##,
            y(v),
            LEFT + pw,
            LEFT - 6.0,
            y(v) + 4.0
        );
    }
    for &t in &threads {
        let over = series_rows.iter().any(|r| r.threads == t && r.oversubscribed);
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{t}{}</text>"#,
            x(t),
            TOP + ph + 18.0,
            if over { "*" } else { "" }
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">threads (* oversubscribed)</text>"#,
        LEFT + pw / 2.0,
        H - 18.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(18 {}) rotate(-90)" text-anchor="middle">million decisions per second</text>"#,
        TOP + ph / 2.0
    );
    // One polyline per series, and the legend.
    for (i, (group, name)) in names.iter().enumerate() {
        let mut pts: Vec<&Row> =
            series_rows.iter().copied().filter(|r| r.group == *group && r.name == *name).collect();
        pts.sort_by_key(|r| r.threads);
        let points: Vec<String> = pts
            .iter()
            .map(|r| format!("{:.1},{:.1}", x(r.threads), y(r.per_second / 1e6)))
            .collect();
        let dash = if *group == Group::Baseline { r#" stroke-dasharray="5 4""# } else { "" };
        let c = colour(i);
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{c}" stroke-width="2"{dash} points="{}"/>"#,
            points.join(" ")
        );
        let ly = TOP + 14.0 * i as f64;
        let lx = W - RIGHT + 16.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{c}" stroke-width="2"{dash}/><text x="{}" y="{}">{}</text>"#,
            lx + 22.0,
            lx + 28.0,
            ly + 4.0,
            escape(name)
        );
    }
    s.push_str("</svg>\n");
    s
}
