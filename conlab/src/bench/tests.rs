//! `conlab bench` as a user runs it: every export of one run parsed, the
//! core matrix in every format, the calibration's marks, bad thread lists.

use crate::tests::run_cli;
use consensus_lab::bench::baselines::BASELINES;
use consensus_lab::registry::PROTOCOLS;

#[test]
fn every_export_in_one_run_parses_and_covers_every_protocol() {
    let dir = std::env::temp_dir().join(format!("conlab-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (json, csv, markdown, svg, text) =
        (path("b.json"), path("b.csv"), path("b.md"), path("b.svg"), path("b.txt"));
    let args = [
        "bench",
        "all",
        "--threads",
        "1,2",
        "--instances",
        "300",
        "--ops",
        "1000",
        "--repeat",
        "2",
        "--export-json",
        &json,
        "--export-csv",
        &csv,
        "--export-markdown",
        &markdown,
        "--plot",
        &svg,
        "--out",
        &text,
    ];
    let (code, out, err) = run_cli(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "every output went to a file: {out}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    // Who, when, where, how.
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["git_revision"].is_string() || v["git_revision"].is_null());
    assert!(v["command_line"].as_str().unwrap().contains("--export-csv"), "{v}");
    assert!(v["timestamp"].as_str().unwrap().ends_with('Z'), "{v}");
    assert!(v["pinning"].as_str().unwrap().starts_with("auto: thread t pinned"), "{v}");
    let seed = v["seed"].as_u64().expect("the seed in force is exported");
    assert!(v["machine"]["cores"].as_u64().unwrap() >= 1);
    let rows = v["rows"].as_array().unwrap();
    for e in PROTOCOLS.iter().filter(|e| e.info().broken.is_none()) {
        for group in ["protocol", "handles"] {
            assert!(
                rows.iter().any(|r| r["name"] == e.info().name && r["group"] == group),
                "{} missing from {group}",
                e.info().name
            );
        }
    }
    for b in BASELINES {
        assert!(rows.iter().any(|r| r["name"] == b.name), "baseline {} missing", b.name);
    }
    for r in rows {
        assert_eq!(r["samples_ns"].as_array().unwrap().len(), 2, "every repeat: {r}");
        let paxos = r["name"].as_str().unwrap().contains("paxos");
        assert_eq!(r["acceptors"] == 3, paxos, "acceptors of {r}");
    }
    assert!(rows.iter().any(|r| r["name"] == "raw-cas" && r["ratio"] == 1.0));
    for (name, raw) in
        [("cas", "raw-cas"), ("test-and-set", "raw-tas"), ("lock-parking-lot", "mutex-parking-lot")]
    {
        assert!(
            rows.iter().any(|r| r["name"] == name && r["raw"] == raw && r["raw_ratio"].is_f64()),
            "{name} has no ratio to {raw}"
        );
    }
    // The calibration ran (2 threads are contended) and marks exactly the
    // contended rows when it found the machine does not contend.
    let cal = &v["calibration"];
    assert!(cal["round_trip_ns"].as_f64().unwrap() > 0.0, "{cal}");
    assert!(cal["shared_faa_ns"].as_f64().unwrap() > 0.0, "{cal}");
    let reliable = cal["reliable"].as_bool().unwrap();
    assert_eq!(reliable, cal["reasons"].as_array().unwrap().is_empty(), "{cal}");
    let cores = consensus_lab::threads::core_ids().len();
    for r in rows {
        assert_eq!(r["pinned"], r["threads"].as_u64().unwrap() as usize <= cores, "{r}");
        let contended = r["threads"].as_u64().unwrap() >= 2;
        assert_eq!(r["unreliable"], !reliable && contended, "{r}");
    }
    let paxos = v["paxos_ops"].as_array().unwrap();
    // Paxos, Fast Paxos with 3 and 4 acceptors, coordinated: per thread count.
    assert_eq!(paxos.len(), 8);
    assert_eq!(paxos[0]["threads"], 1);
    assert_eq!(paxos[0]["protocol"], "paxos");
    assert_eq!(paxos[0]["acceptor_rmws"], 2.0);
    assert_eq!((&paxos[1]["protocol"], &paxos[1]["acceptors"]), (&"fast-paxos".into(), &3.into()));
    assert_eq!(paxos[1]["acceptor_rmws"], 3.0, "one fast quorum of 3, no phase 1");
    assert_eq!(paxos[3]["protocol"], "fast-paxos-coordinated");

    // CSV: a standard reader, the header row first, no comment lines.
    let mut reader = csv::Reader::from_path(&csv).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, super::export::CSV_HEADER);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), rows.len());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for r in &records {
        assert!(r[col("median_ns")].parse::<f64>().unwrap() > 0.0, "{r:?}");
        assert!(r[col("calibration")].starts_with("calibration: round trip"), "{r:?}");
        let contended = r[col("threads")].parse::<u32>().unwrap() >= 2;
        assert_eq!(&r[col("unreliable")], if !reliable && contended { "true" } else { "false" });
        assert!(r[col("command_line")].contains("--threads 1,2"), "{r:?}");
        assert_eq!(&r[col("conlab_version")], env!("CARGO_PKG_VERSION"));
        assert_eq!(r[col("seed")].parse::<u64>().unwrap(), seed);
    }
    for b in BASELINES {
        assert!(records.iter().any(|r| &r[0] == "baseline" && &r[1] == b.name), "{}", b.name);
    }
    assert!(records.iter().any(|r| &r[1] == "paxos" && &r[col("acceptors")] == "3"));

    let md = std::fs::read_to_string(&markdown).unwrap();
    assert!(md.contains("| group | name | threads | median_ns"), "{md}");
    assert!(md.contains("--export-markdown") && md.contains("paxos (3 acceptors)"), "{md}");
    assert!(md.contains("- calibration: round trip"), "{md}");
    assert!(md.contains(&format!("- seed: {seed} ")), "{md}");
    let text = std::fs::read_to_string(&text).unwrap();
    // The name may wrap in its cell when a loaded machine makes the figures wide.
    assert!(text.contains("machine:") && text.contains("paxos (3"), "{text}");

    // The plot, read as XML: labelled axes, a log y axis with round ticks,
    // every protocol through decide and through handles, every baseline.
    let plot = std::fs::read_to_string(&svg).unwrap();
    let t = crate::plot::read::texts(&plot);
    assert!(t.ylabel[0].contains("ns per instance") && t.ylabel[0].contains("log scale"));
    assert!(t.xlabel[0].starts_with("threads"));
    assert_eq!(
        t.xticks.iter().map(|t| t.trim_end_matches(['*', '!'])).collect::<Vec<_>>(),
        ["1", "2"]
    );
    let ticks: Vec<f64> = t.yticks.iter().map(|t| t.replace(',', "").parse().unwrap()).collect();
    assert!(ticks.len() >= 2, "{ticks:?}");
    for t in &ticks {
        let m = t / 10f64.powf(t.log10().floor());
        assert!([1.0, 2.0, 5.0].iter().any(|r| (m - r).abs() < 1e-9), "tick {t} is not round");
    }
    let legend = &t.legend;
    for e in PROTOCOLS.iter().filter(|e| e.info().broken.is_none()) {
        let name = e.info().name;
        assert!(legend.iter().any(|l| l == name), "{name} (decide) not in the legend");
        assert!(
            legend.contains(&format!("{name} (handles)")),
            "{name} (handles) not in the legend"
        );
    }
    for b in BASELINES {
        assert!(legend.contains(&format!("{} (baseline)", b.name)), "{}", b.name);
    }
    // One legend entry per series drawn: per (group, name) of the rows.
    let mut series: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| !r["group"].as_str().unwrap().starts_with("primitive"))
        .map(|r| (r["group"].as_str().unwrap(), r["name"].as_str().unwrap()))
        .collect();
    series.sort_unstable();
    series.dedup();
    assert_eq!(series.len(), legend.len(), "{legend:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_export_can_go_to_standard_output() {
    let (code, out, err) = run_cli(&[
        "bench",
        "primitives",
        "--threads",
        "1",
        "--ops",
        "100",
        "--repeat",
        "1",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), super::export::CSV_HEADER);
    let col = super::export::CSV_HEADER.iter().position(|h| *h == "calibration").unwrap();
    for r in reader.records() {
        // One thread: nothing contended, no calibration.
        assert_eq!(&r.unwrap()[col], "not run (no contended figure)");
    }
    assert!(!std::path::Path::new("-").exists(), "`-` is standard output, not a file");
}

#[test]
fn the_core_matrix_in_every_format() {
    let dir = std::env::temp_dir().join(format!("conlab-cores-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (json, csv, md, svg) = (path("c.json"), path("c.csv"), path("c.md"), path("c.svg"));
    let (code, out, err) = run_cli(&[
        "bench",
        "cores",
        "--samples",
        "3",
        "--iterations",
        "50",
        "--export-json",
        &json,
        "--export-csv",
        &csv,
        "--export-markdown",
        &md,
        "--plot",
        &svg,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("core-to-core latency") && out.contains("±"), "{out}");
    let n = consensus_lab::threads::core_ids().len();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let pairs = v["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), n * (n - 1) / 2);
    assert_eq!(v["cores"].as_array().unwrap().len(), n);
    assert!(v["command_line"].as_str().unwrap().contains("bench cores"));
    for p in pairs {
        assert!(p["mean_ns"].as_f64().unwrap() > 0.0, "{p}");
        assert!(!p["samples_ns"].as_array().unwrap().is_empty(), "{p}");
    }
    let mut reader = csv::Reader::from_path(&csv).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[..4], ["core_a", "core_b", "mean_ns", "sd_ns"]);
    assert_eq!(reader.records().count(), pairs.len());
    assert!(std::fs::read_to_string(&md).unwrap().contains("| **1** |") || n < 2);
    // The heatmap, read as XML: a square (outlined in white) and its mean
    // written inside for every pair.
    let plot = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(crate::plot::read::count(&plot, "rect", "stroke", "#FFFFFF"), pairs.len());
    let t = crate::plot::read::texts(&plot);
    assert!(t.other.iter().any(|s| s.starts_with("core-to-core latency, ns one way")));
    for p in pairs {
        let mean = format!("{:.0}", p["mean_ns"].as_f64().unwrap());
        assert!(t.other.contains(&mean), "{mean} not written: {t:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn contended_rows_of_an_unreliable_run_are_marked() {
    use super::report::{describe_calibration, threads_cell};
    use consensus_lab::bench::calibrate::judge;
    use consensus_lab::bench::{Group, Stats};
    let s = Stats {
        median: std::time::Duration::from_micros(1),
        min: std::time::Duration::from_micros(1),
        max: std::time::Duration::from_micros(1),
        samples: vec![std::time::Duration::from_micros(1)],
    };
    let mut r = crate::rows::row(Group::Baseline, "raw-cas", 4, 2, 10, 40.0, s);
    r.unreliable = true;
    assert_eq!(threads_cell(&r), "4*!");
    let line = describe_calibration(&judge(1_779.0, 90, 12.6, 12.6, false));
    assert!(line.contains("UNRELIABLE") && line.contains("1,779 ns"), "{line}");
    assert!(line.contains("12.6 ns against 12.6 ns"), "{line}");
}

#[test]
fn bad_thread_lists_are_errors() {
    for t in ["0", "1,x", ""] {
        let (code, _, err) = run_cli(&["bench", "--threads", t]);
        assert_eq!(code, 2, "{t}: {err}");
    }
}

#[test]
fn bench_universal_measures_every_object_with_both_ratios() {
    use consensus_lab::bench::universal::{Workload, MUTEX_VECDEQUE, SEGQUEUE};
    let (code, out, err) = run_cli(&[
        "bench",
        "universal",
        "--threads",
        "1,2",
        "--ops",
        "60",
        "--repeat",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ops"], 60);
    let rows = v["rows"].as_array().unwrap();
    for t in [1, 2] {
        for w in Workload::all() {
            let r = rows
                .iter()
                .find(|r| r["name"] == w.name().as_str() && r["threads"] == t)
                .unwrap_or_else(|| panic!("{} at {t} threads missing", w.name()));
            assert_eq!(r["group"], "universal");
            assert!(r["ratio"].is_f64() && r["raw_ratio"].is_f64(), "{r}");
            assert_eq!(r["raw"], SEGQUEUE);
            assert!(r["per_second"].as_f64().unwrap() > 0.0, "{r}");
        }
        let at = |name: &str| {
            rows.iter().find(|r| r["name"] == name && r["threads"] == t).unwrap().clone()
        };
        assert_eq!(at(MUTEX_VECDEQUE)["ratio"], 1.0);
        assert_eq!(at(SEGQUEUE)["raw_ratio"], 1.0);
        // The calibration's mark: on exactly the contended rows, if any.
        if t == 1 {
            assert!(rows.iter().filter(|r| r["threads"] == 1).all(|r| r["unreliable"] == false));
        }
    }
    assert_eq!(v["paxos_ops"].as_array().map(Vec::len), Some(0));
    // The text table and the Markdown export name the ratios.
    let (code, out, err) =
        run_cli(&["bench", "universal", "--threads", "1", "--ops", "20", "-r", "1", "--wide"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("÷ mutex") && out.contains("÷ segqueue"), "{out}");
    assert!(out.contains("queue/universal/cas"), "{out}");
    let (code, out, err) = run_cli(&[
        "bench",
        "universal",
        "--threads",
        "1",
        "--ops",
        "20",
        "-r",
        "1",
        "--format",
        "markdown",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("| counter/fetch-add | 1 |"), "{out}");
    let (code, out, err) = run_cli(&[
        "bench",
        "universal",
        "--threads",
        "1",
        "--ops",
        "20",
        "-r",
        "1",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1 + Workload::all().len(), "{out}");
    // Flags of other suites are refused.
    for flag in [&["--instances", "5"][..], &["--plot", "x.svg"]] {
        let mut args = vec!["bench", "universal", "--threads", "1"];
        args.extend_from_slice(flag);
        let (code, _, err) = run_cli(&args);
        assert_eq!(code, crate::EXIT_USAGE, "{flag:?}: {err}");
        assert!(err.contains("does not apply to `bench universal`"), "{err}");
    }
}
