//! The `conlab` binary as a user runs it: exit codes, errors, labels.

#![cfg(not(loom))] // real threads and real atomics; the loom suite is loom-tests/

mod common;

use common::conlab;

#[test]
fn run_all_reports_zero_violations_and_the_machine() {
    let (code, out, _) = conlab(&["run", "all", "--threads", "2", "--instances", "2000"]);
    // 4: some protocol's threads did not race enough within its budget on a
    // busy machine, and the output says which.
    assert!(code == 0 || code == 4, "{out}");
    assert!(out.contains("machine:") && out.contains("cores available"), "{out}");
    let correct: Vec<_> = consensus_lab::registry::PROTOCOLS
        .iter()
        .filter(|e| e.info().broken.is_none())
        .map(|e| e.info().name)
        .collect();
    for name in &correct {
        assert!(out.contains(name), "{name} missing:\n{out}");
    }
    let verdict = if code == 0 { "OK" } else { "INCONCLUSIVE" };
    assert!(
        out.contains(&format!("{verdict}: {} protocols, 0 violations", correct.len())),
        "{out}"
    );
}

#[test]
fn oversubscribed_runs_work_and_say_so() {
    let (code, out, _) = conlab(&["run", "cas", "--threads", "8", "--instances", "2000"]);
    assert!(code == 0 || code == 4, "{out}");
    let cores = std::thread::available_parallelism().unwrap().get();
    if cores < 8 {
        assert!(out.contains("OVERSUBSCRIBED"), "{out}");
    }
}

#[test]
fn bad_input_never_panics() {
    for args in [
        &["run", "paxos-of-doom"][..],
        &["run", "cas", "--threads", "0"],
        &["run", "cas", "--threads", "two"],
        &["run", "cas", "--instances", "0"],
        &["run", "cas", "--threads", "99999999999999999999"],
        &["list", "--format", "yaml"],
    ] {
        let (code, out, err) = conlab(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.starts_with("conlab: ") || err.starts_with("error: "), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_broken_protocol_run_by_name_reports_through_the_exit_code() {
    // Real cores rarely hit the bad interleaving; whatever happens, the exit code
    // must match the report: 4 (inconclusive, never a plain 0) with "0
    // violations", 1 otherwise.
    let (code, out, _) =
        conlab(&["run", "read-write", "--threads", "2", "--instances", "20000", "--budget", "2"]);
    if out.contains(" 0 violations") {
        assert_eq!(code, 4, "{out}");
        assert!(out.contains("INCONCLUSIVE"), "{out}");
    } else {
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("agreement violated"), "{out}");
    }
}

#[test]
fn the_stall_demo_shows_locks_blocked_and_wait_free_protocols_deciding() {
    let (code, out, err) = conlab(&[
        "demo",
        "stall",
        "--protocols",
        "lock-std,cas,paxos",
        "--stall-ms",
        "60",
        "--instances",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let row = |name: &str| rows.iter().find(|r| r["protocol"] == name).unwrap();
    assert_eq!(row("lock-std")["point"], "lock");
    assert_eq!(row("lock-std")["verdict"], "waited-out-the-stall");
    assert_eq!(row("lock-std")["during_stall"], 0);
    assert_eq!(row("cas")["point"], "announce");
    assert_eq!(row("paxos")["point"], "paxos-phase");
    assert!(v["seed"].is_u64(), "the seed in force: {v}");
    assert!(v["machine"]["cores"].as_u64().unwrap() >= 1);
}

#[test]
fn the_stall_demo_refuses_bad_input_in_one_line() {
    for args in [
        &["demo", "stall", "--protocols", "paxos-of-doom"][..],
        &["demo", "stall", "--threads", "0"],
        &["demo", "stall", "--stalled", "7"],
        &["demo", "stall", "--protocols", "cas", "--point", "paxos-phase"],
        &["demo", "stall", "--stall-ms", "lots"],
    ] {
        let (code, out, err) = conlab(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.starts_with("conlab: ") || err.starts_with("error: "), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn rsm_runs_a_wait_free_queue_on_cas_slots_and_reports_json() {
    let (code, out, err) = conlab(&[
        "rsm",
        "--impl",
        "universal",
        "--slots",
        "cas",
        "--object",
        "queue",
        "--threads",
        "4",
        "--ops",
        "20000",
        "--seed",
        "11",
        "--format",
        "json",
    ]);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    // 4 only if no two operations overlapped (a busy machine), and then it says so.
    assert!(code == 0 || code == 4, "{out}{err}");
    assert_eq!(v["verdict"], if code == 0 { "ok" } else { "inconclusive" });
    assert_eq!(code == 4, v["inconclusive"].is_string(), "{v}");
    assert_eq!(v["impl"], "universal");
    assert_eq!(v["slots"], "cas");
    assert_eq!(v["object"], "queue");
    assert_eq!(v["threads"], 4);
    assert_eq!(v["seed"], 11);
    assert_eq!(
        (v["ops_requested"].as_u64(), v["ops_per_client"].as_u64()),
        (Some(20_000), Some(5_000))
    );
    assert_eq!(v["capacity_cells"], 20_000);
    assert_eq!(v["linearizable"], "yes");
    assert_eq!(v["log_agreement"], "yes");
    assert_eq!(v["step_bound"], "yes");
    assert_eq!(v["progress"]["kind"], "wait-free");
    assert_eq!(v["bound_cells_per_op"], 5);
    assert_eq!(v["clock_fetch_adds_per_op"], 2);
    assert!(v["violation"].is_null());
    assert!(v["machine"]["cores"].as_u64().unwrap() >= 1);
    let cores = v["machine"]["cores"].as_u64().unwrap();
    assert_eq!(v["oversubscribed"], cores < 4);
    let r = &v["report"];
    assert_eq!(r["ops"], 20_000);
    assert_eq!(r["log_len"], 20_000);
    assert_eq!(r["clients"], 4);
    assert!(r["elapsed_ms"].is_f64() && r["check_ms"].is_f64(), "{r}");
    assert!(r["helped"].is_u64());
    let cells = r["max_cells"].as_array().unwrap();
    assert_eq!(cells.len(), 4);
    assert!(cells.iter().all(|c| (1..=5).contains(&c.as_u64().unwrap())), "{r}");
    assert!(v["ops_per_second"].as_f64().unwrap() > 0.0);
    assert!(v["ns_per_op"].as_f64().unwrap() > 0.0);
}
