//! A picture of a history and its verdict: one self-contained HTML file (an
//! inline SVG and a few lines of CSS; no script, no network).
//!
//! One lane per process, top to bottom; each operation a bar from its call to
//! its return. Time is drawn by *rank* (the n-th distinct timestamp is the
//! n-th column), so short operations stay visible next to long ones. A bar
//! that never returned (crashed) runs to the right edge, dashed.
//!
//! - green, numbered: the longest linearizable prefix (for a linearizable
//!   history: the whole witness), the number its position in the order;
//! - red, thick: the operations that could not come next after that prefix;
//! - grey: the rest (after the prefix, or crashed operations left out).
//!
//! Hovering a bar shows the operation, what it returned and its times.

use super::{History, Operation, Verdict};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Renders `history` and its `verdict` as an HTML page; `describe` says what
/// an operation did (the hover text and the bar's label).
pub fn render<Op, Ret>(
    history: &History<Op, Ret>,
    verdict: &Verdict<Op, Ret>,
    title: &str,
    describe: &dyn Fn(&Operation<Op, Ret>) -> String,
) -> String {
    let (order, stuck): (&[usize], &[usize]) = match verdict {
        Verdict::Linearizable(w) => (&w.order, &[]),
        Verdict::NotLinearizable(e) => (&e.prefix_ids, &e.stuck_ids),
        Verdict::Unknown(_) => (&[], &[]),
    };
    let position: HashMap<usize, usize> = order.iter().enumerate().map(|(k, &i)| (i, k)).collect();
    let stuck: BTreeSet<usize> = stuck.iter().copied().collect();
    let mut times = BTreeSet::new();
    for o in &history.ops {
        times.insert(o.call);
        if let Some((t, _)) = &o.ret {
            times.insert((*t).max(o.call));
        }
    }
    let rank: BTreeMap<u64, usize> = times.iter().enumerate().map(|(k, &t)| (t, k)).collect();
    let lanes: BTreeSet<usize> = history.ops.iter().map(|o| o.thread).collect();
    let lane: HashMap<usize, usize> = lanes.iter().enumerate().map(|(k, &p)| (p, k)).collect();
    let unit = (1400.0 / times.len().max(1) as f64).clamp(6.0, 60.0);
    let (left, lane_h) = (70.0, 30.0);
    let width = left + unit * (times.len() + 1) as f64 + 20.0;
    let height = lane_h * lanes.len() as f64 + 20.0;

    let mut svg = String::new();
    for (k, &p) in lanes.iter().enumerate() {
        let y = 10.0 + lane_h * k as f64;
        let _ = write!(
            svg,
            r#"<g class="lane"><text x="4" y="{ty}">process {p}</text><line x1="{left}" y1="{ly}" x2="{width}" y2="{ly}"/></g>"#,
            ty = y + 18.0,
            ly = y + lane_h - 2.0,
        );
    }
    for (i, o) in history.ops.iter().enumerate() {
        let x0 = left + unit * rank.get(&o.call).copied().unwrap_or(0) as f64;
        let (x1, crashed) = match &o.ret {
            Some((t, _)) => {
                let r = rank.get(&(*t).max(o.call)).copied().unwrap_or(0);
                (left + unit * (r as f64 + 1.0), false)
            }
            None => (width - 10.0, true),
        };
        let y = 10.0 + lane_h * lane.get(&o.thread).copied().unwrap_or(0) as f64 + 4.0;
        let (class, label) = match position.get(&i) {
            Some(k) => ("op prefix", format!("{}", k + 1)),
            None if stuck.contains(&i) => ("op stuck", String::new()),
            None => ("op", String::new()),
        };
        let class = if crashed { format!("{class} crashed") } else { class.to_string() };
        let what = describe(o);
        let hover = match (&o.ret, position.get(&i)) {
            (Some((t, _)), Some(k)) => {
                format!("{what}  [called {}, returned {t}; #{} in the order]", o.call, k + 1)
            }
            (Some((t, _)), None) => format!("{what}  [called {}, returned {t}]", o.call),
            (None, Some(k)) => {
                format!("{what}  [called {}, never returned; took effect, #{}]", o.call, k + 1)
            }
            (None, None) => format!("{what}  [called {}, never returned]", o.call),
        };
        let hover =
            if stuck.contains(&i) { format!("{hover}; could not come next") } else { hover };
        let _ = write!(
            svg,
            r#"<g class="{class}"><title>{hover}</title><rect x="{x0:.1}" y="{y:.1}" width="{w:.1}" height="20" rx="3"/><text x="{tx:.1}" y="{ty:.1}">{label}</text></g>"#,
            hover = escape(&hover),
            w = (x1 - x0 - 2.0).max(2.0),
            tx = x0 + 3.0,
            ty = y + 14.0,
        );
    }
    let summary = match verdict {
        Verdict::Linearizable(_) => "linearizable: the green bars are a witness order".to_string(),
        Verdict::NotLinearizable(e) => format!(
            "NOT linearizable{}: {} operations linearize (green, numbered); none of the {} red ones can come next",
            e.partition.as_ref().map(|p| format!(" (partition {p})")).unwrap_or_default(),
            e.prefix_ids.len(),
            e.stuck_ids.len()
        ),
        Verdict::Unknown(u) => format!("unknown: {}", u.reason),
    };
    format!(
        r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 14px sans-serif; margin: 1em; }}
.lane text {{ font-size: 12px; fill: #333; }}
.lane line {{ stroke: #ddd; }}
.op rect {{ fill: #bdbdbd; stroke: #757575; }}
.op.prefix rect {{ fill: #81c784; stroke: #2e7d32; }}
.op.stuck rect {{ fill: #ef9a9a; stroke: #c62828; stroke-width: 3; }}
.op.crashed rect {{ stroke-dasharray: 4 3; fill-opacity: 0.5; }}
.op text {{ font-size: 11px; pointer-events: none; }}
.op:hover rect {{ stroke: #000; stroke-width: 3; }}
.legend span {{ padding: 0 .6em; margin-right: .5em; border: 1px solid #555; }}
</style></head><body>
<h1>{title}</h1>
<p id="verdict">{summary}</p>
<p class="legend"><span style="background:#81c784">linearized prefix (#: position)</span><span style="background:#ef9a9a">could not come next</span><span style="background:#bdbdbd">other</span><span style="border-style:dashed">dashed: never returned</span> Hover over a bar for its values. Time runs left to right by rank of timestamp.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}">{svg}</svg>
</body></html>
"#,
        title = escape(title),
        summary = escape(&summary),
    )
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::models::{Kind, Value};
    use super::super::{edn, events};
    use super::*;

    pub(crate) fn failing() -> (History<super::super::models::Call, Value>, String) {
        let text = "{:type :invoke :f :write :value 1 :process 0}\n\
                    {:type :ok :f :write :value 1 :process 0}\n\
                    {:type :invoke :f :read :process 1}\n\
                    {:type :invoke :f :write :value 2 :process 2}\n\
                    {:type :ok :f :read :value 3 :process 1}\n";
        let h = events::history(&edn::parse(text).unwrap(), Kind::Register, false).unwrap();
        let v = Kind::Register.check(&h, false, &Default::default());
        let page = render(&h, &v, "a <failing> history", &|o| format!("{}", o.op));
        (h, page)
    }

    #[test]
    fn the_page_has_a_lane_per_process_and_marks_the_stuck_operation() {
        let (_, page) = failing();
        // Lanes top to bottom in process order.
        let at = |p: &str| page.find(p).unwrap();
        assert!(at("process 0<") < at("process 1<") && at("process 1<") < at("process 2<"));
        assert_eq!(page.matches(r#"<g class="lane">"#).count(), 3);
        assert_eq!(page.matches(r#"class="op prefix""#).count(), 1);
        assert_eq!(page.matches(r#"class="op stuck""#).count(), 1);
        assert!(page.contains("could not come next"));
        assert!(page.contains("a &lt;failing&gt; history"));
        assert!(
            !page.contains("http://") || page.matches("http://").count() == 1,
            "only the SVG namespace"
        );
        assert!(!page.contains("<script"));
    }

    /// A real browser renders it (only where Debian's chromium is installed).
    #[test]
    fn chromium_renders_the_lanes() {
        let chromium = std::path::Path::new("/usr/bin/chromium");
        if !chromium.exists() {
            eprintln!("skipped: /usr/bin/chromium is not installed (apt-get install chromium)");
            return;
        }
        let (_, page) = failing();
        let dir = std::env::temp_dir().join(format!("conlab-html-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("history.html");
        std::fs::write(&file, page).unwrap();
        let url = format!("file://{}", file.display());
        let run = |extra: &[&str]| {
            std::process::Command::new(chromium)
                .args(["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,400"])
                .args(extra)
                .arg(&url)
                .output()
                .unwrap()
        };
        let dom = String::from_utf8_lossy(&run(&["--dump-dom"]).stdout).into_owned();
        assert_eq!(dom.matches(r#"class="lane""#).count(), 3, "{dom}");
        let shot = dir.join("history.png");
        run(&[&format!("--screenshot={}", shot.display())]);
        let png = std::fs::read(&shot).unwrap();
        assert!(png.len() > 1000 && png.starts_with(b"\x89PNG"), "a screenshot");
    }
}
