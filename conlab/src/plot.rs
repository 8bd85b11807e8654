//! The SVG chart of `conlab bench --plot`: ns per instance (median, on a log
//! axis with round ticks) against threads, with min–max whiskers. One colour
//! per protocol family (the object a protocol is built on: mutex,
//! compare&swap, test&set, ...; Okabe–Ito colours, which stay apart for
//! colour-blind readers), one marker shape per protocol within its family,
//! `decide` solid and handles dashed; baselines grey and dotted. Thread counts
//! above the core count are marked `*`, unreliable ones (the calibration)
//! `!`. With one thread count the same figures are a bar chart (one bar per
//! series, log length). `bench primitives --plot` draws the primitives the same
//! way: one colour per primitive, one cache line solid, padded lines dashed.
//! Written by hand: lines, circles and text need no plotting crate and no
//! system fonts.

use super::rows::Row;
use consensus_lab::bench::{Group, Layout, Path};
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
fn family(r: &Row) -> String {
    match r.group {
        Group::Baseline => "baseline".into(),
        Group::Primitive(_) => r.name.clone(),
        _ => registry::find(&r.name).map_or("other", |e| e.info().object.name).into(),
    }
}

/// Which chart: what it shows and how its series are told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Chart {
    /// Protocols (decide solid, handles dashed) and baselines (grey, dotted).
    Protocols,
    /// Primitives: one line solid, padded lines dashed.
    Primitives,
}

impl Chart {
    fn keeps(self, g: Group) -> bool {
        match self {
            Chart::Protocols => matches!(g, Group::Protocol(_) | Group::Baseline),
            Chart::Primitives => matches!(g, Group::Primitive(_)),
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Chart::Protocols => "ns per instance",
            Chart::Primitives => "ns per operation per thread",
        }
    }
}

/// How a series is drawn: colour, dash, whether its markers are filled, and
/// its legend label.
fn style(g: Group, name: &str, colour_of_family: &str) -> (String, &'static str, bool, String) {
    match g {
        Group::Baseline => (
            BASELINE_COLOUR.into(),
            r#" stroke-dasharray="2 3""#,
            true,
            format!("{name} (baseline)"),
        ),
        Group::Protocol(Path::Handles) => (
            colour_of_family.into(),
            r#" stroke-dasharray="6 4""#,
            false,
            format!("{name} (handles)"),
        ),
        Group::Primitive(Layout::Padded) => (
            colour_of_family.into(),
            r#" stroke-dasharray="6 4""#,
            false,
            format!("{name} (padded)"),
        ),
        Group::Primitive(Layout::Shared) => {
            (colour_of_family.into(), "", true, format!("{name} (one line)"))
        }
        Group::Protocol(Path::Decide) => (colour_of_family.into(), "", true, name.to_string()),
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

/// A series: its rows (by thread count), style and legend entry.
struct Series<'a> {
    pts: Vec<&'a Row>,
    colour: String,
    dash: &'static str,
    filled: bool,
    shape: usize,
    label: String,
}

/// The series of `chart` in `rows`, in the rows' order.
fn series(rows: &[Row], chart: Chart) -> Vec<Series<'_>> {
    let rows: Vec<&Row> = rows.iter().filter(|r| chart.keeps(r.group)).collect();
    let mut keys: Vec<(Group, &str)> = Vec::new();
    let mut families: Vec<String> = Vec::new();
    for r in &rows {
        if !keys.iter().any(|(g, n)| *g == r.group && *n == r.name) {
            keys.push((r.group, &r.name));
        }
        let f = family(r);
        if f != "baseline" && !families.contains(&f) {
            families.push(f);
        }
    }
    let mut shapes: Vec<(String, String)> = Vec::new();
    keys.iter()
        .map(|(group, name)| {
            let mut pts: Vec<&Row> =
                rows.iter().copied().filter(|r| r.group == *group && r.name == *name).collect();
            pts.sort_by_key(|r| r.threads);
            let f = family(pts[0]);
            let i = families.iter().position(|g| *g == f).unwrap_or(0);
            let (colour, dash, filled, label) = style(*group, name, PALETTE[i % PALETTE.len()]);
            // Marker shapes tell the protocols of one family apart.
            if !shapes.iter().any(|(g, n)| *g == f && n == name) {
                shapes.push((f.clone(), name.to_string()));
            }
            let shape =
                shapes.iter().filter(|(g, _)| *g == f).position(|(_, n)| n == name).unwrap_or(0);
            Series { pts, colour, dash, filled, shape, label }
        })
        .collect()
}

/// The chart of `chart`'s rows; `machine` goes under the title. Several thread
/// counts: lines against threads; one: a bar chart.
pub(crate) fn svg(rows: &[Row], machine: &str, chart: Chart) -> String {
    let series = series(rows, chart);
    let all: Vec<&Row> = series.iter().flat_map(|s| s.pts.iter().copied()).collect();
    let mut threads: Vec<usize> = all.iter().map(|r| r.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let lo = all.iter().map(|r| r.min_ns).fold(f64::INFINITY, f64::min).max(1e-3);
    let hi = all.iter().map(|r| r.max_ns).fold(1.0, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo, hi.max(lo * 2.0)) } else { (1.0, 10.0) };
    let ticks = log_ticks(lo / 1.5, hi * 1.5);
    let (vmin, vmax) = (
        ticks.first().copied().unwrap_or(lo).min(lo).log10(),
        ticks.last().copied().unwrap_or(hi).max(hi).log10(),
    );
    // 0..1 along the value axis, log scale.
    let frac = |v: f64| (v.max(1e-3).log10() - vmin) / (vmax - vmin).max(1e-9);
    let bars = threads.len() == 1;
    let h = if bars { (TOP + BOTTOM + 18.0 * series.len() as f64 + 20.0).max(H) } else { H };
    let (pw, ph) = (W - LEFT - RIGHT, h - TOP - BOTTOM);

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let title = if bars {
        format!("conlab bench: {} at {} threads (log scale)", chart.unit(), threads[0])
    } else {
        format!("conlab bench: {} against threads (log scale)", chart.unit())
    };
    let _ = writeln!(s, r#"<text x="{LEFT}" y="24" font-size="16">{}</text>"#, escape(&title));
    let mut m: String = machine.chars().take(130).collect();
    if machine.chars().count() > 130 {
        m.push('…');
    }
    let _ = writeln!(s, r#"<text x="{LEFT}" y="44" font-size="11">{}</text>"#, escape(&m));
    let _ = writeln!(
        s,
        r#"<line x1="{LEFT}" y1="{0}" x2="{1}" y2="{0}" stroke="black"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{0}" stroke="black"/>"#,
        TOP + ph,
        LEFT + pw
    );
    let over = |t: usize| all.iter().any(|r| r.threads == t && r.oversubscribed);
    let unreliable = |t: usize| all.iter().any(|r| r.threads == t && r.unreliable);
    let marks = |t: usize| {
        format!("{}{}", if over(t) { "*" } else { "" }, if unreliable(t) { "!" } else { "" })
    };
    let value_label = format!("{}, median (log scale); whiskers: min–max", chart.unit());
    if bars {
        // Values along x, one bar per series down the page.
        let x = |v: f64| LEFT + pw * frac(v);
        for &t in &ticks {
            let _ = writeln!(
                s,
                r##"<line class="ytick" x1="{0:.1}" y1="{TOP}" x2="{0:.1}" y2="{1}" stroke="#e4e4e4"/><text x="{0:.1}" y="{2}" text-anchor="middle">{3}</text>"##,
                x(t),
                TOP + ph,
                TOP + ph + 16.0,
                tick_label(t)
            );
        }
        let _ = writeln!(
            s,
            r#"<text class="ylabel" x="{}" y="{}" text-anchor="middle">{}</text>"#,
            LEFT + pw / 2.0,
            h - 30.0,
            escape(&value_label)
        );
        let _ = writeln!(
            s,
            r#"<text class="xlabel" x="{}" y="{}" text-anchor="middle">threads: {}{} (* oversubscribed, ! UNRELIABLE: see the calibration)</text>"#,
            LEFT + pw / 2.0,
            h - 12.0,
            threads[0],
            marks(threads[0])
        );
        let step = ph / series.len().max(1) as f64;
        for (i, se) in series.iter().enumerate() {
            let r = se.pts[0];
            let y = TOP + step * (i as f64 + 0.5);
            let fill = if se.filled { se.colour.as_str() } else { "white" };
            let _ = writeln!(
                s,
                r#"<rect class="series" x="{LEFT}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}" stroke="{}"/><line class="whisker" x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="black"/><text class="legend" x="{:.1}" y="{:.1}" font-size="10">{}</text>"#,
                y - step * 0.35,
                (x(r.median_ns) - LEFT).max(1.0),
                step * 0.7,
                se.colour,
                x(r.min_ns),
                x(r.max_ns),
                LEFT + pw + 6.0,
                y + 3.5,
                escape(&format!("{} {}", se.label, super::thousands(r.median_ns, 1)))
            );
        }
        s.push_str("</svg>\n");
        return s;
    }
    let x = |t: usize| {
        let i = threads.iter().position(|&u| u == t).unwrap_or(0);
        LEFT + pw * (i as f64 + 0.5) / threads.len().max(1) as f64
    };
    let y = |v: f64| TOP + ph * (1.0 - frac(v));
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
        let _ = writeln!(
            s,
            r#"<text class="xtick" x="{:.1}" y="{}" text-anchor="middle">{t}{}</text>"#,
            x(t),
            TOP + ph + 18.0,
            marks(t)
        );
    }
    let _ = writeln!(
        s,
        r#"<text class="xlabel" x="{}" y="{}" text-anchor="middle">threads (* oversubscribed, ! UNRELIABLE: see the calibration)</text>"#,
        LEFT + pw / 2.0,
        h - 18.0
    );
    let _ = writeln!(
        s,
        r#"<text class="ylabel" transform="translate(20 {}) rotate(-90)" text-anchor="middle">{}</text>"#,
        TOP + ph / 2.0,
        escape(&value_label)
    );
    for se in &series {
        let points: Vec<String> =
            se.pts.iter().map(|r| format!("{:.1},{:.1}", x(r.threads), y(r.median_ns))).collect();
        let _ = writeln!(
            s,
            r#"<polyline class="series" fill="none" stroke="{}" stroke-width="1.8"{} points="{}"/>"#,
            se.colour,
            se.dash,
            points.join(" ")
        );
        for r in &se.pts {
            let _ = writeln!(
                s,
                r#"<line class="whisker" x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" stroke="{3}" stroke-width="1"/>"#,
                x(r.threads),
                y(r.min_ns),
                y(r.max_ns),
                se.colour
            );
            s.push_str(&marker(se.shape, x(r.threads), y(r.median_ns), &se.colour, se.filled));
            s.push('\n');
        }
    }
    let step = ((h - TOP - 20.0) / series.len().max(1) as f64).min(14.0);
    for (i, se) in series.iter().enumerate() {
        let ly = TOP + step * i as f64;
        let lx = W - RIGHT + 14.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{ly:.1}" x2="{}" y2="{ly:.1}" stroke="{}" stroke-width="1.8"{}/>{}<text class="legend" x="{}" y="{:.1}" font-size="{}">{}</text>"#,
            lx + 24.0,
            se.colour,
            se.dash,
            marker(se.shape, lx + 12.0, ly, &se.colour, se.filled),
            lx + 30.0,
            ly + 4.0,
            if step < 12.0 { 9 } else { 11 },
            escape(&se.label)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    use consensus_lab::bench::Stats;
    use std::time::Duration;

    fn rows(threads: &[usize]) -> Vec<Row> {
        let s = |ns: u64| Stats {
            median: Duration::from_nanos(ns),
            min: Duration::from_nanos(ns - 1),
            max: Duration::from_nanos(ns + 5),
            samples: vec![Duration::from_nanos(ns)],
        };
        let mut v = Vec::new();
        for &t in threads {
            let ns = 10 * t as u64;
            v.push(super::super::rows::row(Group::Baseline, "raw-cas", t, 2, 1, 1.0, s(ns)));
            for path in Path::ALL {
                v.push(super::super::rows::row(
                    Group::Protocol(path),
                    "cas",
                    t,
                    2,
                    1,
                    1.0,
                    s(ns + 3),
                ));
            }
            for layout in Layout::ALL {
                v.push(super::super::rows::row(
                    Group::Primitive(layout),
                    "swap",
                    t,
                    2,
                    1,
                    1.0,
                    s(ns + 7),
                ));
            }
        }
        v
    }

    #[test]
    fn one_thread_count_is_a_bar_chart_and_primitives_have_their_own() {
        let one = svg(&rows(&[2]), "machine", Chart::Protocols);
        let doc = roxmltree::Document::parse(&one).unwrap();
        let bars: Vec<_> =
            doc.descendants().filter(|n| n.attribute("class") == Some("series")).collect();
        assert_eq!(bars.len(), 3, "raw-cas, cas, cas (handles)");
        assert!(bars.iter().all(|b| b.tag_name().name() == "rect"));
        assert!(
            one.contains("at 2 threads (log scale)") && one.contains("cas (handles) 23.0"),
            "{one}"
        );
        let prim = svg(&rows(&[1, 2, 4]), "machine", Chart::Primitives);
        let doc = roxmltree::Document::parse(&prim).unwrap();
        let legend: Vec<_> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("legend"))
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(legend, ["swap (one line)", "swap (padded)"]);
        assert!(prim.contains("ns per operation per thread"));
    }

    #[test]
    fn log_ticks_are_round() {
        assert_eq!(log_ticks(3.0, 300.0), [5.0, 10.0, 20.0, 50.0, 100.0, 200.0]);
        assert_eq!(log_ticks(1.0, 1.0), [1.0]);
        assert_eq!(tick_label(1000.0), "1,000");
    }
}
