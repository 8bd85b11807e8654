//! Draws the chart [`super`] chose with `plotters`' SVG backend: a line chart
//! against threads (several thread counts) or a bar chart (one), the legend in
//! a margin of its own on the right, so that it never covers a point.

use super::{log_ticks, series, tick_label, Chart, Dash, Row, Series};
use plotters::coord::Shift;
use plotters::element::{ComposedElement, DashedPathElement};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const W: u32 = 960;
const H: u32 = 600;
/// Above the plot: the title and the machine.
const TOP: u32 = 64;
/// The legend's margin.
const RIGHT: u32 = 250;
const FONT: &str = "sans-serif";
const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
/// The background of an UNRELIABLE thread count (as plotters writes it).
#[cfg(test)]
pub(super) const UNRELIABLE_SHADE: &str = "#FBE3E3";
const SHADE: RGBColor = RGBColor(0xFB, 0xE3, 0xE3);

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Failed = Box<dyn std::error::Error>;
type Poly = Polygon<(i32, i32)>;
type Path = PathElement<(i32, i32)>;

/// The chart of `chart`'s rows; `machine` goes under the title. Several thread
/// counts: lines against threads; one: a bar chart.
///
/// # Errors
/// A drawing failure of plotters (none is expected when writing to a string).
pub(crate) fn svg(rows: &[Row], machine: &str, chart: Chart) -> Result<String, Failed> {
    let series = series(rows, chart);
    let all: Vec<&Row> = series.iter().flat_map(|s| s.pts.iter().copied()).collect();
    let mut threads: Vec<usize> = all.iter().map(|r| r.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let lo = all.iter().map(|r| r.min_ns).fold(f64::INFINITY, f64::min).max(1e-3);
    let hi = all.iter().map(|r| r.max_ns).fold(1.0, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo, hi.max(lo * 2.0)) } else { (1.0, 10.0) };
    let ticks = log_ticks(lo / 1.5, hi * 1.5);
    // Room below the least value, so that its bar (log length) has a length.
    let first = ticks.first().copied().unwrap_or(lo);
    let range = first.min(lo / 1.3)..ticks.last().copied().unwrap_or(hi).max(hi * 1.1);
    let bars = threads.len() == 1;
    let h = if bars { (TOP + 80 + 18 * series.len() as u32).max(H) } else { H };
    let marks = |t: usize| {
        let over = all.iter().any(|r| r.threads == t && r.oversubscribed);
        let unreliable = all.iter().any(|r| r.threads == t && r.unreliable);
        format!("{t}{}{}", if over { "*" } else { "" }, if unreliable { "!" } else { "" })
    };
    let title = match threads.first() {
        Some(t) if bars => format!("conlab bench: {} at {t} threads (log scale)", chart.unit()),
        _ => format!("conlab bench: {} against threads (log scale)", chart.unit()),
    };
    let value_label = format!("{}, median (log scale); whiskers: min–max", chart.unit());
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (W, h)).into_drawing_area();
        root.fill(&WHITE)?;
        heading(&root, &title, machine)?;
        let (plot, legend) = root.split_horizontally(W - RIGHT);
        // A bar chart's note on its threads goes under its axis.
        let plot = plot.margin(TOP, if bars { 40 } else { 10 }, 10, 10);
        if bars {
            let note = format!(
                "threads: {} (* oversubscribed, ! UNRELIABLE: see the calibration)",
                marks(threads[0])
            );
            bar_chart(&plot, &legend, &series, ticks, range, &value_label, &note)?;
        } else {
            let x_labels: Vec<String> = threads.iter().map(|&t| marks(t)).collect();
            let shaded: Vec<usize> = (0..threads.len())
                .filter(|&i| all.iter().any(|r| r.threads == threads[i] && r.unreliable))
                .collect();
            let axes = Axes { threads: &threads, x_labels: &x_labels, shaded: &shaded, ticks };
            line_chart(&plot, &series, axes, range, &value_label)?;
            line_legend(&legend, &series)?;
        }
        root.present()?;
    }
    Ok(out)
}

/// The title and, under it, the machine, each cut to the canvas' width.
fn heading(root: &Area<'_>, title: &str, machine: &str) -> Result<(), Failed> {
    let at = Pos::new(HPos::Left, VPos::Top);
    root.draw(&Text::new(
        fit(title, 20.0, W),
        (10, 10),
        (FONT, 20).into_font().into_text_style(root).pos(at),
    ))?;
    root.draw(&Text::new(
        fit(machine, 13.0, W),
        (10, 38),
        (FONT, 13).into_font().into_text_style(root).pos(at),
    ))?;
    Ok(())
}

/// `s` cut with an ellipsis to fit `width` pixels at font `size`, by
/// plotters' own estimate of a text's width without a font: 0.7 em a byte
/// (em = size / 1.24²).
pub(crate) fn fit(s: &str, size: f64, width: u32) -> String {
    let max = ((f64::from(width) - 20.0) / (0.7 * size / 1.24 / 1.24)) as usize;
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = s.to_string();
    while cut.len() + 3 > max {
        cut.pop();
    }
    cut + "…"
}

/// The horizontal axis of a line chart.
struct Axes<'a> {
    threads: &'a [usize],
    /// Each thread count with its marks (`*`, `!`).
    x_labels: &'a [String],
    /// The positions of the UNRELIABLE thread counts.
    shaded: &'a [usize],
    ticks: Vec<f64>,
}

/// Lines against threads (one slot per thread count), log y, whiskers.
fn line_chart(
    plot: &Area<'_>,
    series: &[Series<'_>],
    axes: Axes<'_>,
    range: std::ops::Range<f64>,
    value_label: &str,
) -> Result<(), Failed> {
    // Thread count i sits at 2i + 1: an integer axis in half slots, since
    // plotters has no label formatter for an f64 axis with key points.
    let n = axes.threads.len() as i32;
    let slots: Vec<i32> = (0..n).map(|i| 2 * i + 1).collect();
    let x_of = |t: usize| 2 * axes.threads.iter().position(|&u| u == t).unwrap_or(0) as i32 + 1;
    let y_ticks = axes.ticks.len();
    let mut c =
        ChartBuilder::on(plot).x_label_area_size(44).y_label_area_size(64).build_cartesian_2d(
            (0..2 * n).with_key_points(slots),
            range.log_scale().with_key_points(axes.ticks),
        )?;
    // Behind everything: the UNRELIABLE thread counts.
    let (lo, hi) = (c.y_range().start, c.y_range().end);
    c.draw_series(axes.shaded.iter().map(|&i| {
        let i = i as i32;
        Rectangle::new([(2 * i, lo), (2 * i + 2, hi)], SHADE.filled())
    }))?;
    let x_label = |v: &i32| {
        usize::try_from(v / 2).ok().and_then(|i| axes.x_labels.get(i)).cloned().unwrap_or_default()
    };
    c.configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .x_labels(axes.threads.len())
        .y_labels(y_ticks)
        .x_label_formatter(&x_label)
        .y_label_formatter(&|v| tick_label(*v))
        .x_desc("threads (* oversubscribed, ! UNRELIABLE, shaded: see the calibration)")
        .y_desc(value_label)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 13))
        .draw()?;
    for s in series {
        let pts: Vec<(i32, f64)> = s.pts.iter().map(|r| (x_of(r.threads), r.median_ns)).collect();
        let line = s.colour.stroke_width(2);
        match s.dash {
            Dash::Solid => drop(c.draw_series(LineSeries::new(pts.clone(), line))?),
            Dash::Dashed => drop(c.draw_series(DashedLineSeries::new(pts.clone(), 6, 4, line))?),
            Dash::Dotted => drop(c.draw_series(DashedLineSeries::new(pts.clone(), 2, 3, line))?),
        }
        c.draw_series(s.pts.iter().map(|r| {
            let x = x_of(r.threads);
            PathElement::new(vec![(x, r.min_ns), (x, r.max_ns)], s.colour.stroke_width(1))
        }))?;
        let m = marker(s.shape, s.colour, s.filled);
        c.draw_series(pts.iter().map(|&p| m.at(p)))?;
    }
    Ok(())
}

/// The legend of a line chart: each series' line, marker and label.
fn line_legend(legend: &Area<'_>, series: &[Series<'_>]) -> Result<(), Failed> {
    let step = ((H - TOP - 20) / series.len().max(1) as u32).min(16) as i32;
    let size = if step < 13 { 10 } else { 12 };
    let style =
        (FONT, size).into_font().into_text_style(legend).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, s) in series.iter().enumerate() {
        let y = TOP as i32 + step * i as i32 + 8;
        let line = s.colour.stroke_width(2);
        let ends = vec![(12, y), (40, y)];
        match s.dash {
            Dash::Solid => legend.draw(&PathElement::new(ends, line))?,
            Dash::Dashed => legend.draw(&DashedPathElement::new(ends, 6, 4, line))?,
            Dash::Dotted => legend.draw(&DashedPathElement::new(ends, 2, 3, line))?,
        }
        legend.draw(&marker(s.shape, s.colour, s.filled).at((26, y)))?;
        legend.draw(&Text::new(s.label.clone(), (46, y), style.clone()))?;
    }
    Ok(())
}

/// One bar per series down the page (log length), whiskers, and each
/// series' label and median on its right.
fn bar_chart(
    plot: &Area<'_>,
    legend: &Area<'_>,
    series: &[Series<'_>],
    ticks: Vec<f64>,
    range: std::ops::Range<f64>,
    value_label: &str,
    note: &str,
) -> Result<(), Failed> {
    let n = series.len() as f64;
    let start = range.start;
    let x_ticks = ticks.len();
    let mut c = ChartBuilder::on(plot)
        .x_label_area_size(60)
        .y_label_area_size(10)
        .build_cartesian_2d(range.log_scale().with_key_points(ticks), 0.0..n)?;
    c.configure_mesh()
        .disable_y_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .x_labels(x_ticks)
        .y_labels(0)
        .x_label_formatter(&|v| tick_label(*v))
        .x_desc(value_label)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 13))
        .draw()?;
    let style =
        (FONT, 12).into_font().into_text_style(legend).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, s) in series.iter().enumerate() {
        let r = s.pts[0];
        // The first series at the top.
        let mid = n - i as f64 - 0.5;
        let (y0, y1) = (mid - 0.35, mid + 0.35);
        let fill = if s.filled { s.colour } else { WHITE };
        c.draw_series([
            Rectangle::new([(start, y0), (r.median_ns, y1)], fill.filled()),
            Rectangle::new([(start, y0), (r.median_ns, y1)], s.colour.stroke_width(1)),
        ])?;
        c.draw_series([PathElement::new(vec![(r.min_ns, mid), (r.max_ns, mid)], BLACK)])?;
        let y = c.backend_coord(&(start, mid)).1;
        let label = format!("{} {}", s.label, crate::thousands(r.median_ns, 1));
        legend.draw(&Text::new(label, (6, y - legend.get_base_pixel().1), style.clone()))?;
    }
    let at = Pos::new(HPos::Left, VPos::Top);
    let below = plot.dim_in_pixel().1 as i32 + 20;
    let note_style = (FONT, 13).into_font().into_text_style(plot).pos(at);
    plot.draw(&Text::new(note.to_string(), (70, below), note_style))?;
    Ok(())
}

/// A marker of shape `k` (circle, square, triangle, diamond; as polygons, so
/// that every marker is one element type), filled with its colour or hollow
/// (white inside): its vertices around (0, 0), its fill, and its outline.
struct Marker {
    vertices: Vec<(i32, i32)>,
    inside: ShapeStyle,
    outline: Vec<(i32, i32)>,
    edge: ShapeStyle,
}

fn marker(k: usize, colour: RGBColor, filled: bool) -> Marker {
    let vertices: Vec<(i32, i32)> = match k % 4 {
        0 => (0..16)
            .map(|i| {
                let a = f64::from(i) * std::f64::consts::PI / 8.0;
                ((4.5 * a.cos()).round() as i32, (4.5 * a.sin()).round() as i32)
            })
            .collect(),
        1 => vec![(-4, -4), (4, -4), (4, 4), (-4, 4)],
        2 => vec![(0, -5), (5, 4), (-5, 4)],
        _ => vec![(0, -5), (5, 0), (0, 5), (-5, 0)],
    };
    let mut outline = vertices.clone();
    outline.push(vertices[0]);
    let inside = if filled { colour } else { WHITE }.filled();
    Marker { vertices, inside, outline, edge: colour.stroke_width(2) }
}

impl Marker {
    /// The marker at `at`, as a plotters element.
    fn at<C, DB: DrawingBackend>(&self, at: C) -> ComposedElement<C, DB, Poly, Path> {
        EmptyElement::at(at)
            + Polygon::new(self.vertices.clone(), self.inside)
            + PathElement::new(self.outline.clone(), self.edge)
    }
}
