//! `conlab bench multi-paxos`, `conlab bench zab` and `conlab bench epaxos`
//! as a user runs them, one table of suites ([`SUITES`]) and one test over
//! it: the JSON rows (the logs' stable leader at each client count and
//! failover; EPaxos's in `epaxos_tests`), the CSV and Markdown exports, the
//! text table, and the flags each refuses.

use crate::tests::run_cli;
use serde_json::Value;

/// What one replicated-object suite exports and refuses.
struct Suite {
    /// Its name (`conlab bench NAME`).
    name: &'static str,
    /// What its description (Markdown export and text table) names.
    described: &'static str,
    /// `--ops` of the exported run (at `--threads 1,2`).
    ops: u64,
    /// Checks the JSON report's suite-specific fields and rows (the
    /// suite's name given).
    json: fn(&str, &Value),
    /// The CSV's rows.
    records: usize,
    /// CSV cells: (row, column, the text it must hold; `{suite}` is the
    /// suite's name).
    cells: &'static [(usize, &'static str, &'static str)],
    /// CSV cells that must be a positive number: (row, column).
    positive: &'static [(usize, &'static str)],
    /// What the Markdown export contains.
    markdown: &'static [&'static str],
    /// Extra flags of the text-table run (`-t 1 --ops 100 -r 1` first).
    text_flags: &'static [&'static str],
    /// What the text table contains.
    text: &'static [&'static str],
    /// Flags of other suites: refused as not applying to this one.
    not_here: &'static [&'static [&'static str]],
    /// Other refused flags: (flags, what the error says).
    refused: &'static [(&'static [&'static str], &'static str)],
}

/// A log suite: what is common to both but its name and its description.
const fn log(name: &'static str, described: &'static str) -> Suite {
    Suite {
        name,
        described,
        ops: 300,
        json: log_rows,
        records: 3,
        cells: &[(0, "group", "{suite}"), (0, "rmws_per_command", "2.0000"), (2, "p50_ns", "")],
        positive: &[(1, "p99_ns")],
        markdown: &[
            "| figure | threads | ns/cmd (median)",
            "| failover | 2",
            "detection timeout 1 ms",
        ],
        text_flags: &["--wide"],
        text: &["RMW/cmd", "stable-leader", "Mu replicates in ~1.3 µs"],
        not_here: &[&["--instances", "10"], &["--plot", "x.svg"]],
        refused: &[
            (&["--detect-timeout-ms", "0"], "0 is not in 1..=10000"),
            (&["-t", "1024", "--ops", "100000000"], "slots"),
        ],
    }
}

/// Every replicated-object suite.
const SUITES: [Suite; 3] = [
    log("multi-paxos", "Multi-Paxos over 3 packed acceptors"),
    log("zab", "Zab over 3 follower regions"),
    EPAXOS,
];

/// `conlab bench epaxos`.
const EPAXOS: Suite = Suite {
    name: "epaxos",
    described: "EPaxos over 5 replica regions (fast quorum 3)",
    ops: 200,
    json: super::epaxos_tests::rows,
    // 2 client counts × 4 rates × 2 protocols.
    records: 16,
    cells: &[(2, "conflict", "0.02"), (0, "fast_share", "1.0000"), (1, "fast_share", "")],
    positive: &[],
    markdown: &["| protocol | conflict | threads | ns/cmd (median)", "| multi-paxos | 25 % | 2"],
    text_flags: &[],
    text: &["fast", "100 %"],
    not_here: &[&["--instances", "10"], &["--batch", "10"], &["--plot", "x.svg"]],
    refused: &[
        (&["--detect-timeout-ms", "5"], "bench multi-paxos"),
        (&["-t", "1024", "--ops", "100000000"], "commands per run"),
    ],
};

/// A log suite's rows: stable leader at 1 and 2 clients, then failover.
fn log_rows(suite: &str, v: &Value) {
    assert_eq!(v["detect_timeout_ms"].as_u64(), Some(1), "{suite}");
    assert_eq!(v["paxos_ops"].as_array().map(Vec::len), Some(0), "{suite}");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (r, t) in rows.iter().zip([1, 2]) {
        assert_eq!((r["group"].as_str(), r["name"].as_str()), (Some(suite), Some("stable-leader")));
        assert_eq!((r["threads"].as_u64(), r["acceptors"].as_u64()), (Some(t), Some(3)));
        let (p50, p99) = (r["p50_ns"].as_f64().unwrap(), r["p99_ns"].as_f64().unwrap());
        assert!(0.0 < p50 && p50 <= p99, "{r}");
        assert_eq!(r["rmws_per_command"], 2.0, "a majority of 3: {r}");
        assert!(r["per_second"].as_f64().unwrap() > 0.0, "{r}");
    }
    let f = &rows[2];
    assert_eq!((f["name"].as_str(), f["threads"].as_u64()), (Some("failover"), Some(2)));
    assert!(f["median_ns"].as_f64().unwrap() >= 1e6, "at least the 1 ms timeout: {f}");
    assert!(f["p50_ns"].is_null() && f["rmws_per_command"].is_null(), "{f}");
}

#[test]
fn every_replicated_suite_reports_and_exports_its_rows() {
    for s in &SUITES {
        exports(s);
    }
}

fn exports(s: &Suite) {
    let suite = s.name;
    let dir = std::env::temp_dir().join(format!("conlab-{suite}-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (csv, md) = (dir.join("bench.csv"), dir.join("bench.md"));
    let ops = s.ops.to_string();
    let (code, out, err) = run_cli(&[
        "bench",
        suite,
        "--threads",
        "1,2",
        "--ops",
        &ops,
        "--repeat",
        "1",
        "--format",
        "json",
        "--export-csv",
        csv.to_str().unwrap(),
        "--export-markdown",
        md.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{suite}: {err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ops"].as_u64(), Some(s.ops), "{suite}");
    (s.json)(suite, &v);
    // The CSV: the header, then one row per figure.
    let mut reader = csv::Reader::from_path(&csv).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, super::export::CSV_HEADER, "{suite}");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), s.records, "{suite}");
    for &(row, column, text) in s.cells {
        let want = text.replace("{suite}", suite);
        assert_eq!(&records[row][col(column)], want, "{suite}: row {row}, {column}");
    }
    for &(row, column) in s.positive {
        assert!(records[row][col(column)].parse::<f64>().unwrap() > 0.0, "{suite}: {column}");
    }
    let md = std::fs::read_to_string(&md).unwrap();
    for text in s.markdown.iter().chain([&s.described]) {
        assert!(md.contains(text), "{suite}: {text}: {md}");
    }
    std::fs::remove_dir_all(&dir).ok();
    // The text table.
    let mut args = vec!["bench", suite, "-t", "1", "--ops", "100", "-r", "1"];
    args.extend(s.text_flags);
    let (code, out, err) = run_cli(&args);
    assert_eq!(code, 0, "{suite}: {err}");
    for text in s.text.iter().chain([&s.described]) {
        assert!(out.contains(text), "{suite}: {text}: {out}");
    }
}

#[test]
fn flags_of_other_suites_and_impossible_sizes_are_refused() {
    let refused = |args: &[&str], says: &str| {
        let (code, _, err) = run_cli(args);
        assert_eq!(code, crate::EXIT_USAGE, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    for s in &SUITES {
        let with = |flags: &[&'static str]| [&["bench", s.name][..], flags].concat();
        let not_here = format!("does not apply to `bench {}`", s.name);
        for flags in s.not_here {
            refused(&with(flags), &not_here);
        }
        for (flags, says) in s.refused {
            refused(&with(flags), says);
        }
    }
    refused(
        &["bench", "protocols", "--detect-timeout-ms", "5"],
        "it is for `bench multi-paxos` and `bench zab`",
    );
}
