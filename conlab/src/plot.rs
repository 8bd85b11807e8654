//! The SVG chart of `conlab bench --plot`: ns per instance (median, on a log
//! axis with round ticks) against threads, with min–max whiskers. One colour
//! per protocol family (the object a protocol is built on: mutex,
//! compare&swap, test&set, ...; Okabe–Ito colours, which stay apart for
//! colour-blind readers), one marker shape per protocol within its family,
//! `decide` solid with filled markers and handles dashed with hollow ones;
//! baselines grey and dotted. Thread counts above the core count are marked
//! `*`, unreliable ones (the calibration) `!` and shaded. With one thread
//! count the same figures are a bar chart (one bar per series, log length).
//! `bench primitives --plot` draws the primitives the same way: one colour
//! per primitive, one cache line solid, padded lines dashed.
//!
//! This module chooses what is drawn (series, styles, ticks); [`draw`] draws
//! it with `plotters`' SVG backend, which writes text as `<text>` elements, so
//! no font file is needed (its layout estimates text widths from the font
//! size, and the titles and legends here are kept short enough for that).

mod draw;

pub(crate) use draw::{fit, svg};

use super::rows::Row;
use consensus_lab::bench::{Group, Layout, Path};
use consensus_lab::registry;
use plotters::style::RGBColor;

/// Okabe–Ito, then two more that stay distinct from them.
const PALETTE: &[RGBColor] = &[
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0x8C, 0x56, 0x4B),
    RGBColor(0x7F, 0x3C, 0x8D),
];
const BASELINE_COLOUR: RGBColor = RGBColor(0x88, 0x88, 0x88);

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

/// How a series' line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dash {
    Solid,
    Dashed,
    Dotted,
}

/// How a series is drawn: colour, line, whether its markers are filled, and
/// its legend label.
fn style(g: Group, name: &str, colour_of_family: RGBColor) -> (RGBColor, Dash, bool, String) {
    match g {
        Group::Baseline => (BASELINE_COLOUR, Dash::Dotted, true, format!("{name} (baseline)")),
        Group::Protocol(Path::Handles) => {
            (colour_of_family, Dash::Dashed, false, format!("{name} (handles)"))
        }
        Group::Primitive(Layout::Padded) => {
            (colour_of_family, Dash::Dashed, false, format!("{name} (padded)"))
        }
        Group::Primitive(Layout::Shared) => {
            (colour_of_family, Dash::Solid, true, format!("{name} (one line)"))
        }
        // Never drawn (no chart keeps them: `bench universal`, `bench
        // multi-paxos` and `bench zab` refuse --plot).
        Group::Protocol(Path::Decide) | Group::Universal | Group::Log(_) | Group::Epaxos => {
            (colour_of_family, Dash::Solid, true, name.to_string())
        }
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
        // Round ticks below 1 (0.5, 0.02): no float noise such as 0.30000000000000004.
        let s = format!("{t:.3}");
        s.trim_end_matches('0').to_string()
    }
}

/// A series: its rows (by thread count), style and legend entry.
struct Series<'a> {
    pts: Vec<&'a Row>,
    colour: RGBColor,
    dash: Dash,
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

/// What the tests read back from a chart: plotters writes no classes, so its
/// texts are told apart by how plotters places them (anchor and baseline).
#[cfg(test)]
pub(crate) mod read {
    /// A chart's texts, by role.
    #[derive(Debug, Default)]
    pub(crate) struct Texts {
        /// Horizontal axis' description (centred, above its baseline).
        pub xlabel: Vec<String>,
        /// Vertical axis' description (rotated).
        pub ylabel: Vec<String>,
        /// Horizontal axis' tick labels (centred, hanging).
        pub xticks: Vec<String>,
        /// Vertical axis' tick labels (right-aligned).
        pub yticks: Vec<String>,
        /// Legend entries (left-aligned, centred on their sample).
        pub legend: Vec<String>,
        /// Everything else: title, machine, notes.
        pub other: Vec<String>,
    }

    /// The texts of `svg`, which must be well-formed XML with an `<svg>` root.
    pub(crate) fn texts(svg: &str) -> Texts {
        let doc = roxmltree::Document::parse(svg).expect("the plot is well-formed XML");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let mut t = Texts::default();
        for n in doc.descendants().filter(|n| n.tag_name().name() == "text") {
            let s = n.text().unwrap_or_default().trim().to_string();
            let rotated = n.attribute("transform").is_some_and(|t| t.starts_with("rotate(270"));
            let role = match (n.attribute("text-anchor"), n.attribute("dy")) {
                _ if rotated => &mut t.ylabel,
                (Some("middle"), Some("-0.5ex")) => &mut t.xlabel,
                (Some("middle"), Some("0.76em")) => &mut t.xticks,
                (Some("end"), Some("0.5ex")) => &mut t.yticks,
                (Some("start"), Some("0.5ex")) => &mut t.legend,
                _ => &mut t.other,
            };
            role.push(s);
        }
        t
    }

    /// The elements of `svg` named `tag` with attribute `key` = `value`.
    pub(crate) fn count(svg: &str, tag: &str, key: &str, value: &str) -> usize {
        let doc = roxmltree::Document::parse(svg).expect("the plot is well-formed XML");
        doc.descendants()
            .filter(|n| n.tag_name().name() == tag && n.attribute(key) == Some(value))
            .count()
    }
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
        let row = super::super::rows::row;
        let mut v = Vec::new();
        for &t in threads {
            let ns = 10 * t as u64;
            v.push(row(Group::Baseline, "raw-cas", t, 2, 1, 1.0, s(ns)));
            for path in Path::ALL {
                v.push(row(Group::Protocol(path), "cas", t, 2, 1, 1.0, s(ns + 3)));
            }
            for layout in Layout::ALL {
                v.push(row(Group::Primitive(layout), "swap", t, 2, 1, 1.0, s(ns + 7)));
            }
        }
        v
    }

    #[test]
    fn one_thread_count_is_a_bar_chart_and_primitives_have_their_own() {
        let one = svg(&rows(&[2]), "machine", Chart::Protocols).unwrap();
        let t = read::texts(&one);
        // One outlined bar per series.
        assert_eq!(read::count(&one, "rect", "fill", "none"), 3, "raw-cas, cas, cas (handles)");
        assert_eq!(t.legend, ["raw-cas (baseline) 20.0", "cas 23.0", "cas (handles) 23.0"]);
        assert!(t.other.iter().any(|s| s.ends_with("at 2 threads (log scale)")), "{t:?}");
        assert!(t.xlabel[0].contains("log scale"), "{t:?}");
        let prim = svg(&rows(&[1, 2, 4]), "machine", Chart::Primitives).unwrap();
        let t = read::texts(&prim);
        assert_eq!(t.legend, ["swap (one line)", "swap (padded)"]);
        assert!(t.ylabel[0].contains("ns per operation per thread"), "{t:?}");
        assert_eq!(t.xticks, ["1", "2", "4*"], "4 threads on 2 cores: oversubscribed");
    }

    #[test]
    fn unreliable_thread_counts_are_marked_and_shaded() {
        let mut rows = rows(&[1, 2]);
        for r in rows.iter_mut().filter(|r| r.threads == 2) {
            r.unreliable = true;
        }
        let plot = svg(&rows, "machine", Chart::Protocols).unwrap();
        let t = read::texts(&plot);
        assert_eq!(t.xticks, ["1", "2!"]);
        assert!(t.xlabel[0].contains("! UNRELIABLE"), "{t:?}");
        assert_eq!(read::count(&plot, "rect", "fill", draw::UNRELIABLE_SHADE), 1, "{plot}");
    }

    #[test]
    fn no_rows_is_still_a_chart_not_a_panic() {
        let empty = svg(&[], "machine", Chart::Primitives).unwrap();
        assert!(read::texts(&empty).legend.is_empty());
    }

    #[test]
    fn log_ticks_are_round() {
        assert_eq!(log_ticks(3.0, 300.0), [5.0, 10.0, 20.0, 50.0, 100.0, 200.0]);
        assert_eq!(log_ticks(1.0, 1.0), [1.0]);
        assert_eq!(tick_label(1000.0), "1,000");
        assert_eq!(tick_label(0.2), "0.2");
        assert_eq!(tick_label(0.05), "0.05");
    }

    #[test]
    fn families_get_colours_far_apart() {
        // Every two colours (the baseline's grey too) differ by at least 80
        // over their three channels.
        let all: Vec<RGBColor> = PALETTE.iter().copied().chain([BASELINE_COLOUR]).collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                let d: u32 = [(a.0, b.0), (a.1, b.1), (a.2, b.2)]
                    .iter()
                    .map(|(x, y)| u32::from(x.abs_diff(*y)))
                    .sum();
                assert!(d >= 80, "{a:?} and {b:?} are too close");
            }
        }
    }
}
