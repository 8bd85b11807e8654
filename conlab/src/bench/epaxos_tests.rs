//! `conlab bench epaxos`'s JSON rows, as a user gets them: EPaxos and
//! Multi-Paxos at each conflict rate and client count. The run, its CSV and
//! Markdown exports, its text table and the flags it refuses are checked
//! with the other replicated-object suites' (`log_tests`, one table of
//! suites and one test over it).

use serde_json::Value;

/// EPaxos and Multi-Paxos at every client count and conflict rate.
pub(super) fn rows(_suite: &str, v: &Value) {
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
}
