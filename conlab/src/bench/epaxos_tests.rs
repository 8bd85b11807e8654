//! `conlab bench epaxos` as a user runs it: EPaxos and Multi-Paxos rows at
//! each conflict rate and client count (JSON), the CSV and Markdown exports,
//! the text table, and the flags it refuses.

use crate::tests::run_cli;

#[test]
fn bench_epaxos_reports_both_protocols_at_every_conflict_rate() {
    let dir = std::env::temp_dir().join(format!("conlab-epaxos-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (csv, md) = (dir.join("e.csv"), dir.join("e.md"));
    let (code, out, err) = run_cli(&[
        "bench",
        "epaxos",
        "--threads",
        "1,2",
        "--ops",
        "200",
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
    assert_eq!(v["ops"].as_u64(), Some(200));
    let rows = v["rows"].as_array().unwrap();
    // 2 client counts × 4 rates × 2 protocols.
    assert_eq!(rows.len(), 16, "{rows:?}");
    let mut i = 0;
    for t in [1, 2] {
        for conflict in [0.0, 0.02, 0.25, 1.0] {
            for name in ["epaxos", "multi-paxos"] {
                let r = &rows[i];
                i += 1;
                assert_eq!((r["group"].as_str(), r["name"].as_str()), (Some("epaxos"), Some(name)));
                assert_eq!(
                    (r["threads"].as_u64(), r["conflict"].as_f64()),
                    (Some(t), Some(conflict))
                );
                assert_eq!(r["acceptors"].as_u64(), Some(5), "{r}");
                let (p50, p99) = (r["p50_ns"].as_f64().unwrap(), r["p99_ns"].as_f64().unwrap());
                assert!(0.0 < p50 && p50 <= p99, "{r}");
                let ops = r["rmws_per_command"].as_f64().unwrap();
                if name == "epaxos" {
                    let fast = r["fast_share"].as_f64().unwrap();
                    assert!((0.0..=1.0).contains(&fast), "{r}");
                    // Fast quorum 3 of 5: at least 3 region operations.
                    assert!(ops >= 3.0, "{r}");
                    if conflict == 0.0 || t == 1 {
                        assert_eq!(fast, 1.0, "nothing to conflict with: {r}");
                        assert_eq!(ops, 3.0, "{r}");
                    }
                } else {
                    assert!(r["fast_share"].is_null(), "{r}");
                    assert_eq!(ops, 3.0, "a majority of 5 accepts: {r}");
                }
            }
        }
    }
    let mut reader = csv::Reader::from_path(&csv).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, super::export::CSV_HEADER);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 16);
    assert_eq!(&records[2][col("conflict")], "0.02");
    assert_eq!(&records[0][col("fast_share")], "1.0000");
    assert_eq!(&records[1][col("fast_share")], "");
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("| protocol | conflict | threads | ns/cmd (median)"), "{md}");
    assert!(md.contains("| multi-paxos | 25 % | 2"), "{md}");
    std::fs::remove_dir_all(&dir).ok();
    let (code, out, err) = run_cli(&["bench", "epaxos", "-t", "1", "--ops", "100", "-r", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("EPaxos over 5 replica regions (fast quorum 3)"), "{out}");
    assert!(out.contains("fast") && out.contains("100 %"), "{out}");
}

#[test]
fn flags_of_other_suites_and_impossible_sizes_are_refused() {
    let refused = |args: &[&str], says: &str| {
        let (code, _, err) = run_cli(args);
        assert_eq!(code, crate::EXIT_USAGE, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    let not_here = "does not apply to `bench epaxos`";
    refused(&["bench", "epaxos", "--instances", "10"], not_here);
    refused(&["bench", "epaxos", "--batch", "10"], not_here);
    refused(&["bench", "epaxos", "--plot", "x.svg"], not_here);
    refused(&["bench", "epaxos", "--detect-timeout-ms", "5"], "bench multi-paxos");
    refused(&["bench", "epaxos", "-t", "1024", "--ops", "100000000"], "commands per run");
}
