//! The SVG chart of `conlab bench --plot`: ns per instance (median, on a log
//! axis with round ticks) against threads, with min–max whiskers. One colour
//! per protocol family (the object a protocol is built on: mutex,
//! compare&swap, test&set, ...; Okabe–Ito colours, which stay apart for
//! colour-blind readers), one marker shape per protocol within its family,
//! `decide` solid and handles dashed; baselines grey and dotted. Thread counts
//! above the core count are marked `*`, unreliable ones (the calibration)
//! `!`. Written by hand: lines, circles and text need no plotting crate and no
//! system fonts.

use super::rows::Row;
use consensus_lab::bench::{Group, Path};
use consensus_lab::registry;
use std::fmt::Write as _;

const W: f64 = 960.0;
const H: f64 = 600.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 250.0;
const TOP: f64 = 64.0;
const BOTTOM: f64 = 60.0;

/// Okabe–Ito, then two more that stay distinct from them.
const PALETTE: &[&str] = &[
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C564B",
    "#7F3C8D",
];
const BASELINE_COLOUR: &str = "#888888";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The family of a row: its protocol's object, or `baseline`.
fn family(r: &Row) -> &'static str {
    match r.group {
        Group::Baseline => "baseline",
        _ => registry::find(&r.name).map_or("other", |e| e.info().object.name),
    }
}

/// Round ticks (1, 2, 5 × 10^k) covering `lo..=hi`.
pub(crate) fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut ticks = Vec::new();
    let mut decade = 10f64.powf(lo.max(1e-3).log10().floor());
    while decade <= hi * 10.0 {
        for m in [1.0, 2.0, 5.0] {
            let t = m * decade;
            if t >= lo / 1.0001 && t <= hi * 1.0001 {
                ticks.push(t);
            }
        }
        decade *= 10.0;
    }
    ticks
}

/// A tick's label: `5`, `20`, `1,000`, `0.5`.
fn tick_label(t: f64) -> String {
    if t >= 1.0 {
        super::thousands(t, 0)
    } else {
        format!("{t}")
    }
}

/// A marker of shape `k` at (x, y).
fn marker(k: usize, x: f64, y: f64, colour: &str, filled: bool) -> String {
    let fill = if filled { colour } else { "white" };
    let style = format!(r#"stroke="{colour}" stroke-width="1.5" fill="{fill}""#);
    match k % 4 {
        0 => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="4" {style}/>"#),
        1 => {
            format!(r#"<rect x="{:.1}" y="{:.1}" width="7" height="7" {style}/>"#, x - 3.5, y - 3.5)
        }
        2 => format!(
            r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" {style}/>"#,
            x,
            y - 5.0,
            x - 4.5,
            y + 3.5,
            x + 4.5,
            y + 3.5
        ),
        _ => format!(
            r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" {style}/>"#,
            x,
            y - 5.0,
            x + 5.0,
            y,
            x,
            y + 5.0,
            x - 5.0,
            y
        ),
    }
}

/// The chart of the protocol (both paths) and baseline rows (primitives are
/// left out); `machine` goes under the title.
pub(crate) fn svg(rows: &[Row], machine: &str) -> String {
    let rows: Vec<&Row> =
        rows.iter().filter(|r| matches!(r.group, Group::Protocol(_) | Group::Baseline)).collect();
    let mut threads: Vec<usize> = rows.iter().map(|r| r.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    // Series: (group, name), in the rows' order; families in order of appearance.
    let mut series: Vec<(Group, &str)> = Vec::new();
    let mut families: Vec<&str> = Vec::new();
    for r in &rows {
        if !series.iter().any(|(g, n)| *g == r.group && *n == r.name) {
            series.push((r.group, &r.name));
        }
        let f = family(r);
        if f != "baseline" && !families.contains(&f) {
            families.push(f);
        }
    }
    let lo = rows.iter().map(|r| r.min_ns).fold(f64::INFINITY, f64::min).max(1e-3);
    let hi = rows.iter().map(|r| r.max_ns).fold(1.0, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo, hi.max(lo * 2.0)) } else { (1.0, 10.0) };
    let ticks = log_ticks(lo / 1.5, hi * 1.5);
    let (ymin, ymax) = (
        ticks.first().copied().unwrap_or(lo).min(lo).log10(),
        ticks.last().copied().unwrap_or(hi).max(hi).log10(),
    );
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let x = |t: usize| {
        let i = threads.iter().position(|&u| u == t).unwrap_or(0);
        LEFT + pw * (i as f64 + 0.5) / threads.len().max(1) as f64
    };
    let y = |v: f64| TOP + ph * (1.0 - (v.max(1e-3).log10() - ymin) / (ymax - ymin).max(1e-9));

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="24" font-size="16">conlab bench: ns per instance against threads (log scale)</text>"#
    );
    let mut m: String = machine.chars().take(130).collect();
    if machine.chars().count() > 130 {
        m.push('…');
    }
    let _ = writeln!(s, r#"<text x="{LEFT}" y="44" font-size="11">{}</text>"#, escape(&m));
    // Axes, grid, ticks.
    let _ = writeln!(
        s,
        r#"<line x1="{LEFT}" y1="{0}" x2="{1}" y2="{0}" stroke="black"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{0}" stroke="black"/>"#,
        TOP + ph,
        LEFT + pw
    );
    for &t in &ticks {
        let _ = writeln!(
            s,
            r##"<line class="ytick" x1="{LEFT}" y1="{0:.1}" x2="{1}" y2="{0:.1}" stroke="#e4e4e4"/><text x="{2}" y="{3:.1}" text-anchor="end">{4}</text>"##,
            y(t),
            LEFT + pw,
            LEFT - 6.0,
            y(t) + 4.0,
            tick_label(t)
        );
    }
    for &t in &threads {
        let over = rows.iter().any(|r| r.threads == t && r.oversubscribed);
        let unreliable = rows.iter().any(|r| r.threads == t && r.unreliable);
        let _ = writeln!(
            s,
            r#"<text class="xtick" x="{:.1}" y="{}" text-anchor="middle">{t}{}{}</text>"#,
            x(t),
            TOP + ph + 18.0,
            if over { "*" } else { "" },
            if unreliable { "!" } else { "" }
        );
    }
    let _ = writeln!(
        s,
        r#"<text class="xlabel" x="{}" y="{}" text-anchor="middle">threads (* oversubscribed, ! UNRELIABLE: see the calibration)</text>"#,
        LEFT + pw / 2.0,
        H - 18.0
    );
    let _ = writeln!(
        s,
        r#"<text class="ylabel" transform="translate(20 {}) rotate(-90)" text-anchor="middle">ns per instance, median (log scale); whiskers: min–max</text>"#,
        TOP + ph / 2.0
    );
    // Series: whiskers, line, markers; then the legend.
    let mut legend = Vec::new();
    let mut shape_in_family: Vec<(&str, &str, usize)> = Vec::new();
    for (group, name) in &series {
        let mut pts: Vec<&Row> =
            rows.iter().copied().filter(|r| r.group == *group && r.name == *name).collect();
        pts.sort_by_key(|r| r.threads);
        let f = family(pts[0]);
        let (colour, dash) = match group {
            Group::Baseline => (BASELINE_COLOUR, r#" stroke-dasharray="2 3""#),
            Group::Protocol(Path::Handles) => (
                PALETTE[families.iter().position(|g| *g == f).unwrap_or(0) % PALETTE.len()],
                r#" stroke-dasharray="6 4""#,
            ),
            _ => (PALETTE[families.iter().position(|g| *g == f).unwrap_or(0) % PALETTE.len()], ""),
        };
        let shape = match shape_in_family.iter().find(|(g, n, _)| *g == f && *n == *name) {
            Some((_, _, k)) => *k,
            None => {
                let k = shape_in_family.iter().filter(|(g, _, _)| *g == f).count();
                shape_in_family.push((f, name, k));
                k
            }
        };
        let points: Vec<String> =
            pts.iter().map(|r| format!("{:.1},{:.1}", x(r.threads), y(r.median_ns))).collect();
        let _ = writeln!(
            s,
            r#"<polyline class="series" fill="none" stroke="{colour}" stroke-width="1.8"{dash} points="{}"/>"#,
            points.join(" ")
        );
        for r in &pts {
            let _ = writeln!(
                s,
                r#"<line class="whisker" x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" stroke="{colour}" stroke-width="1"/>"#,
                x(r.threads),
                y(r.min_ns),
                y(r.max_ns)
            );
            s.push_str(&marker(
                shape,
                x(r.threads),
                y(r.median_ns),
                colour,
                !matches!(group, Group::Protocol(Path::Handles)),
            ));
            s.push('\n');
        }
        let label = match group {
            Group::Protocol(Path::Handles) => format!("{name} (handles)"),
            Group::Baseline => format!("{name} (baseline)"),
            _ => name.to_string(),
        };
        legend.push((label, colour, dash, shape, !matches!(group, Group::Protocol(Path::Handles))));
    }
    let step = ((H - TOP - 20.0) / legend.len().max(1) as f64).min(14.0);
    for (i, (label, colour, dash, shape, filled)) in legend.iter().enumerate() {
        let ly = TOP + step * i as f64;
        let lx = W - RIGHT + 14.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{ly:.1}" x2="{}" y2="{ly:.1}" stroke="{colour}" stroke-width="1.8"{dash}/>{}<text class="legend" x="{}" y="{:.1}" font-size="{}">{}</text>"#,
            lx + 24.0,
            marker(*shape, lx + 12.0, ly, colour, *filled),
            lx + 30.0,
            ly + 4.0,
            if step < 12.0 { 9 } else { 11 },
            escape(label)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_are_round() {
        assert_eq!(log_ticks(3.0, 300.0), [5.0, 10.0, 20.0, 50.0, 100.0, 200.0]);
        assert_eq!(log_ticks(1.0, 1.0), [1.0]);
        assert_eq!(tick_label(1000.0), "1,000");
    }
}
