//! `conlab bench multi-paxos` and `conlab bench zab` as a user runs them:
//! the JSON rows (stable leader at each client count, failover), the CSV and
//! Markdown exports and the text table, and the flags they refuse.

use crate::tests::run_cli;

/// Both log suites: (suite, what the description names).
const LOGS: [(&str, &str); 2] = [
    ("multi-paxos", "Multi-Paxos over 3 packed acceptors"),
    ("zab", "Zab over 3 follower regions"),
];

#[test]
fn bench_multi_paxos_reports_commands_latency_rmws_and_failover() {
    reports_commands_latency_rmws_and_failover(LOGS[0]);
}

#[test]
fn bench_zab_reports_commands_latency_writes_and_failover() {
    reports_commands_latency_rmws_and_failover(LOGS[1]);
}

fn reports_commands_latency_rmws_and_failover((suite, names): (&str, &str)) {
    let dir = std::env::temp_dir().join(format!("conlab-{suite}-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (csv, md) = (dir.join("log.csv"), dir.join("log.md"));
    let (code, out, err) = run_cli(&[
        "bench",
        suite,
        "--threads",
        "1,2",
        "--ops",
        "300",
        "--repeat",
        "1",
        "--format",
        "json",
        "--export-csv",
        csv.to_str().unwrap(),
        "--export-markdown",
        md.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["ops"].as_u64(), v["detect_timeout_ms"].as_u64()), (Some(300), Some(1)));
    assert_eq!(v["paxos_ops"].as_array().map(Vec::len), Some(0));
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
    // The CSV: the header, then one row per figure with the new columns.
    let mut reader = csv::Reader::from_path(&csv).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, super::export::CSV_HEADER);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 3);
    assert_eq!(&records[0][col("group")], suite);
    assert_eq!(&records[0][col("rmws_per_command")], "2.0000");
    assert!(records[1][col("p99_ns")].parse::<f64>().unwrap() > 0.0);
    assert_eq!(&records[2][col("p50_ns")], "");
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("| figure | threads | ns/cmd (median)"), "{md}");
    assert!(md.contains("| failover | 2"), "{md}");
    assert!(md.contains("detection timeout 1 ms") && md.contains(names), "{md}");
    std::fs::remove_dir_all(&dir).ok();
    // The text table names the anchors.
    let (code, out, err) =
        run_cli(&["bench", suite, "-t", "1", "--ops", "100", "-r", "1", "--wide"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("RMW/cmd") && out.contains("stable-leader"), "{out}");
    assert!(out.contains(names), "{out}");
    assert!(out.contains("Mu replicates in ~1.3 µs"), "{out}");
}

#[test]
fn flags_of_other_suites_and_impossible_sizes_are_refused() {
    let refused = |args: &[&str], says: &str| {
        let (code, _, err) = run_cli(args);
        assert_eq!(code, crate::EXIT_USAGE, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    for (suite, _) in LOGS {
        let not_here = format!("does not apply to `bench {suite}`");
        refused(&["bench", suite, "--instances", "10"], &not_here);
        refused(&["bench", suite, "--plot", "x.svg"], &not_here);
        refused(&["bench", suite, "--detect-timeout-ms", "0"], "0 is not in 1..=10000");
        refused(&["bench", suite, "-t", "1024", "--ops", "100000000"], "slots");
    }
    refused(
        &["bench", "protocols", "--detect-timeout-ms", "5"],
        "it is for `bench multi-paxos` and `bench zab`",
    );
}
