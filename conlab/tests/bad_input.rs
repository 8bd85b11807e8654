//! Every bad input of issue 11 and many more, run through the `conlab` binary:
//! each is refused with the documented exit code, stderr says what is wrong,
//! and nothing is written (each runs in an empty directory of its own, which
//! must still be empty afterwards). All are refused before any work, so the
//! whole table takes seconds.

#![cfg(not(loom))] // real threads and real atomics; the loom suite is loom-tests/

use std::path::{Path, PathBuf};
use std::process::Command;

const USAGE: i32 = 2;
const INCONCLUSIVE: i32 = 4;
const IO: i32 = 5;

/// A fresh empty directory for one case.
fn scratch(i: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("conlab-bad-{}-{i}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `conlab args` in `dir`; `{dir}` in an argument is replaced by `dir`.
fn conlab_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> =
        args.iter().map(|a| a.replace("{dir}", dir.to_str().unwrap())).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .args(&args)
        .current_dir(dir)
        .output()
        .expect("conlab runs");
    (
        out.status.code().expect("conlab exited normally, not by a signal"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// (arguments, exit code, what stderr must say).
const CASES: &[(&[&str], i32, &str)] = &[
    // ---- The issue's own list. ----
    // clap's rendering: possible values, the missing argument, a similar
    // subcommand, the `--` tip.
    (&["bench", "--format", "xml"], USAGE, "[possible values: text, json, csv, markdown]"),
    (&["run"], USAGE, "<PROTOCOL>"),
    (&["rnu"], USAGE, "unrecognized subcommand 'rnu'"),
    (&["runn"], USAGE, "a similar subcommand exists: 'run'"),
    (&["run", "cas", "--threads", "-1"], USAGE, "to pass '-1' as a value, use '-- -1'"),
    // Bare groups print their help.
    (&[], USAGE, "Commands:"),
    (&["exercise"], USAGE, "Usage: conlab exercise <COMMAND>"),
    (&["demo"], USAGE, "Usage: conlab demo <COMMAND>"),
    // --plot's degenerate cases (one thread count is a bar chart and
    // `bench primitives` has its own chart: neither is refused).
    (&["bench", "--plot", "f.svg", "--out", "f.svg"], USAGE, "--out and --plot both write f.svg"),
    (&["bench", "--plot", "p.png"], USAGE, "give a path ending in .svg"),
    // A bad path is found before the measurement, not after it.
    (&["bench", "--out", "/nonexistent/b.txt"], USAGE, "there is no directory /nonexistent"),
    (&["bench", "--plot", "/nonexistent/b.svg"], USAGE, "--plot /nonexistent/b.svg"),
    // Silently accepted before: flags that do not apply, duplicate counts.
    (&["run", "cas", "--ops", "5"], USAGE, "--ops does not apply to a protocol run"),
    (&["run", "cas", "--histories", "5"], USAGE, "--histories does not apply"),
    (
        &["run", "--object", "queue", "--acceptors", "3"],
        USAGE,
        "--acceptors does not apply to --object",
    ),
    (&["run", "--object", "queue", "--instances", "9"], USAGE, "--instances does not apply"),
    (&["run", "--object", "queue", "--batch", "9"], USAGE, "--batch does not apply"),
    (&["bench", "--threads", "2,2"], USAGE, "--threads: 2 is given twice"),
    (&["bench", "--threads", "1,2,1"], USAGE, "1 is given twice"),
    // Every proposer crashed: nothing was tested.
    (
        &["paxos", "--crash-proposer", "0", "--crash-proposer", "1"],
        INCONCLUSIVE,
        "no proposer alive: nothing decided",
    ),
    // ---- Unknown names. ----
    (&["run", "paxos-of-doom"], USAGE, "unknown protocol 'paxos-of-doom'"),
    (&["run", "--object", "stack"], USAGE, "unknown object 'stack'"),
    (&["bench", "everything"], USAGE, "invalid value 'everything'"),
    (&["list", "--format", "yaml"], USAGE, "possible values: text, json"),
    (&["demo", "stall", "--protocols", "nope"], USAGE, "unknown protocol 'nope'"),
    (&["demo", "stall", "--point", "nowhere"], USAGE, "possible values"),
    (&["demo", "juggle"], USAGE, "unrecognized subcommand 'juggle'"),
    (&["exercise", "hint", "nope"], USAGE, "unknown exercise 'nope'"),
    (&["exercise", "check", "nope"], USAGE, "unknown exercise 'nope'"),
    (&["completions", "tcsh"], USAGE, "possible values"),
    (&["bench", "--pin", "sometimes"], USAGE, "[possible values: auto, on, off]"),
    (&["paxos", "--seed", "x"], USAGE, "invalid value 'x' for '--seed"),
    (&["paxos", "--seed", "18446744073709551616"], USAGE, "--seed"),
    (&["demo", "stall", "--seed", "-1"], USAGE, "'-1'"),
    (&["bench", "cores", "--seed", "3"], USAGE, "--seed does not apply to `bench cores`"),
    (&["bench", "cores", "--threads", "2"], USAGE, "--threads does not apply to `bench cores`"),
    (&["bench", "cores", "--pin", "off"], USAGE, "--pin does not apply to `bench cores`"),
    (&["bench", "protocols", "--samples", "3"], USAGE, "--samples does not apply to this suite"),
    (&["bench", "cores", "--samples", "0"], USAGE, "--samples"),
    (&["bench", "cores", "--plot", "c.png"], USAGE, "give a path ending in .svg"),
    (&["paxos", "--frobnicate"], USAGE, "unexpected argument '--frobnicate'"),
    // ---- 0, negative, huge, non-numeric counts. ----
    (&["run", "cas", "--threads", "0"], USAGE, "0 is not in 1..=1024"),
    (&["run", "cas", "--threads", "99999999999999999999"], USAGE, "--threads"),
    (&["run", "cas", "--threads", "two"], USAGE, "invalid value 'two' for '--threads"),
    (&["run", "cas", "--threads", "2,2"], USAGE, "invalid value '2,2'"),
    (&["run", "cas", "--instances", "0"], USAGE, "--instances"),
    (&["run", "cas", "--instances", "100000001"], USAGE, "--instances"),
    (&["run", "cas", "--batch", "0"], USAGE, "--batch"),
    (&["run", "swap", "--threads", "3"], USAGE, "swap serves at most 2 threads, not 3"),
    (&["run", "--object", "queue", "--ops", "0"], USAGE, "--ops"),
    (&["run", "--object", "queue", "--histories", "-1"], USAGE, "'-1'"),
    (&["bench", "--threads", "0"], USAGE, "--threads"),
    (&["bench", "--threads", "1,x"], USAGE, "invalid value 'x'"),
    (&["bench", "--threads", "1025"], USAGE, "--threads"),
    (&["bench", "--repeat", "0"], USAGE, "--repeat"),
    (&["bench", "--instances", "10000001"], USAGE, "--instances"),
    (&["paxos", "--acceptors", "0"], USAGE, "--acceptors"),
    (&["paxos", "--acceptors", "4"], USAGE, "odd number of acceptors from 1 to 63, not 4"),
    (&["paxos", "--acceptors", "65"], USAGE, "--acceptors"),
    (&["paxos", "--proposers", "0"], USAGE, "--proposers"),
    (&["paxos", "--instances", "0"], USAGE, "--instances"),
    (&["demo", "stall", "--threads", "1"], USAGE, "--threads"),
    (&["demo", "stall", "--threads", "65"], USAGE, "--threads"),
    (&["demo", "stall", "--stall-ms", "0"], USAGE, "--stall-ms"),
    (&["demo", "stall", "--stall-ms", "lots"], USAGE, "--stall-ms"),
    (&["demo", "stall", "--stalled", "7"], USAGE, "there is no thread 7 to stall"),
    // ---- Crash plans naming nothing, or nonsense. ----
    (&["paxos", "--crash-acceptor", "7"], USAGE, "there is no acceptor 7 (there are 3)"),
    (&["paxos", "--crash-proposer", "5@1"], USAGE, "there is no proposer 5 (there are 2)"),
    (&["paxos", "--crash-acceptor", "1@"], USAGE, "is not a crash point"),
    (&["paxos", "--crash-acceptor", "x@1"], USAGE, "'x@1' is not a crash point"),
    (
        &["paxos", "--crash-acceptor", "1", "--crash-acceptor", "1@3"],
        USAGE,
        "acceptor 1 is given two crash points",
    ),
    (&["paxos", "--stall-proposer", "1@2"], USAGE, "is not a stall point"),
    (&["paxos", "--stall-proposer", "2@2:5"], USAGE, "there is no proposer 2 (there are 2)"),
    (&["paxos", "--stall-proposer", "1@2:60000", "--instances", "11"], USAGE, "more than 600 s"),
    // Random crash plans asking for more than there is.
    (
        &["paxos", "--random-acceptor-crashes", "4"],
        USAGE,
        "4 random acceptor crashes asked for, but there are 3 acceptors",
    ),
    (
        &["paxos", "--random-proposer-crashes", "3", "--seed", "1"],
        USAGE,
        "3 random proposer crashes asked for, but there are 2 proposers",
    ),
    (
        &["paxos", "--crash-acceptor", "0", "--random-acceptor-crashes", "3"],
        USAGE,
        "there are 3 acceptors and 1 already crash or stall in the plan",
    ),
    (
        &["paxos", "--stall-proposer", "1@2:5", "--random-proposer-crashes", "2"],
        USAGE,
        "there are 2 proposers and 1 already crash or stall in the plan",
    ),
    (
        &["paxos", "--acceptors", "1", "--random-acceptor-crashes", "2"],
        USAGE,
        "there is 1 acceptor",
    ),
    (&["paxos", "--random-acceptor-crashes", "0"], USAGE, "0 is not in 1..=63"),
    (&["paxos", "--random-proposer-crashes", "x"], USAGE, "invalid value 'x'"),
    (&["paxos", "--random-acceptor-crashes", "-2"], USAGE, "'-2'"),
    // ---- Conflicting flags. ----
    (&["run", "cas", "--object", "queue"], USAGE, "cannot be used with"),
    (
        &["bench", "primitives", "--instances", "5"],
        USAGE,
        "--instances does not apply to `bench primitives`",
    ),
    (&["bench", "primitives", "--batch", "5"], USAGE, "--batch does not apply"),
    (&["bench", "protocols", "--ops", "5"], USAGE, "--ops does not apply to `bench protocols`"),
    (&["list", "--wide", "--format", "json"], USAGE, "--wide does not apply to --format json"),
    (&["bench", "--wide", "--format", "csv"], USAGE, "--wide does not apply"),
    (&["bench", "--export-json", "-"], USAGE, "both write to standard output"),
    (
        &["bench", "--export-json", "-", "--export-csv", "-", "--out", "t.txt"],
        USAGE,
        "both write to standard output",
    ),
    (
        &["bench", "--export-json", "a.json", "--export-csv", "a.json"],
        USAGE,
        "--export-json and --export-csv both write a.json",
    ),
    (&["bench", "--export-markdown", "{dir}/m.md", "--out", "m.md"], USAGE, "both write"),
    (&["bench", "--plot", "x.svg", "--export-json", "x.svg"], USAGE, "both write x.svg"),
    // ---- Unwritable paths. ----
    (
        &["bench", "--export-csv", "/proc/b.csv"],
        USAGE,
        "--export-csv /proc/b.csv: cannot be created",
    ),
    (&["bench", "--export-json", "{dir}"], USAGE, "is a directory"),
    (
        &["bench", "--export-markdown", "no/such/dir/b.md"],
        USAGE,
        "there is no directory no/such/dir",
    ),
    (&["bench", "--out", ""], USAGE, "a value is required for '--out <FILE>'"),
    (&["bench", "--plot", "-"], USAGE, "give a path ending in .svg"),
    (&["man", "/no/such/dir"], USAGE, "not a directory"),
    // ---- conlab rsm: every refusal, before any work. ----
    (
        &["rsm", "--slots", "test-and-set"],
        USAGE,
        "--slots test-and-set serves at most 2 threads, not 4",
    ),
    (
        &["rsm", "--slots", "assignment-3", "--threads", "5"],
        USAGE,
        "serves at most 3 threads, not 5",
    ),
    (&["rsm", "--slots", "swap", "--threads", "3"], USAGE, "consensus number 2"),
    (&["rsm", "--slots", "read-write"], USAGE, "--slots read-write is broken on purpose"),
    (&["rsm", "--slots", "relaxed-cas", "--threads", "2"], USAGE, "broken on purpose"),
    (&["rsm", "--slots", "nope"], USAGE, "unknown slot protocol 'nope' (correct ones: lock-std"),
    (&["rsm", "--slots", ""], USAGE, "unknown slot protocol ''"),
    (&["rsm", "--object", "x"], USAGE, "unknown object 'x' (counter, register, queue, stack, kv)"),
    (&["rsm", "--object", "compare-and-swap"], USAGE, "unknown object 'compare-and-swap'"),
    (
        &["rsm", "--impl", "paxos"],
        USAGE,
        "[possible values: universal, universal-lock-free, multi-paxos, zab, epaxos]",
    ),
    (&["rsm", "--impl", "multi-paxos", "--acceptors", "0"], USAGE, "0 is not in 1..=64"),
    (&["rsm", "--impl", "multi-paxos", "--crash-acceptor", "x"], USAGE, "not a crash point"),
    (&["rsm", "--impl", "multi-paxos", "--crash-acceptor", "3"], USAGE, "no acceptor 3"),
    (&["rsm", "--impl", "multi-paxos", "--slots", "cas"], USAGE, "multi-paxos has no slot"),
    (&["rsm", "--acceptors", "5"], USAGE, "are for --impl multi-paxos (and zab), not universal"),
    (&["rsm", "--impl", "multi-paxos", "--detect-timeout-ms", "99999"], USAGE, "from 1 to 10000"),
    (&["rsm", "--impl", "multi-paxos", "--detect-timeout-ms", "0"], USAGE, "from 1 to 10000"),
    (
        &["rsm", "--impl", "multi-paxos", "--leader-step", "after-minority"],
        USAGE,
        "--crash-leader-after",
    ),
    (
        &["rsm", "--impl", "zab", "--reads", "leader"],
        USAGE,
        "--reads leader is for --impl multi-paxos",
    ),
    (&["rsm", "--reads", "leader"], USAGE, "are for --impl multi-paxos (and zab), not universal"),
    (&["rsm", "--impl", "multi-paxos", "--reads", "lease"], USAGE, "possible values: log, leader"),
    (
        &["rsm", "--impl", "multi-paxos", "--ops", "100", "--stall-leader", "100"],
        USAGE,
        "--stall-leader 100: the log has 100 commands",
    ),
    (
        &["rsm", "--impl", "zab", "--stall-leader", "5", "--crash-leader-after", "5"],
        USAGE,
        "one leader fault per slot",
    ),
    (&["rsm", "--impl", "multi-paxos", "--stall-ms", "5"], USAGE, "--stall-leader <K>"),
    // EPaxos's leader faults: an instance no command leader reaches (the
    // command's), a replica that does not exist (Epaxos::new's, before any
    // client thread starts).
    (
        &[
            "rsm",
            "--impl",
            "epaxos",
            "--clients",
            "2",
            "--ops",
            "100",
            "--crash-leader-after",
            "50",
        ],
        USAGE,
        "each command leader leads 50 instances",
    ),
    (
        &[
            "rsm",
            "--impl",
            "epaxos",
            "--ops",
            "100",
            "--stall-leader",
            "1",
            "--crash-acceptor",
            "5",
        ],
        USAGE,
        "--impl epaxos refuses this run: there is no acceptor 5 (there are 3)",
    ),
    (
        &["rsm", "--impl", "multi-paxos", "--stall-leader", "1", "--stall-ms", "0"],
        USAGE,
        "0 is not in 1..=10000",
    ),
    (&["rsm", "--threads", "0"], USAGE, "0 is not in 1..=1024"),
    (&["rsm", "--ops", "0"], USAGE, "0 is not in 1..=10000000"),
    (&["rsm", "--ops", "10000001"], USAGE, "10000001 is not in 1..=10000000"),
    (&["rsm", "--ops", "-5"], USAGE, "'-5'"),
    (&["rsm", "--threads", "8", "--ops", "5"], USAGE, "cannot give each of the 8 clients one"),
    (
        &["rsm", "--threads", "1024", "--ops", "10000000"],
        USAGE,
        "above the 64000000 one object may allocate",
    ),
    (&["rsm", "--instances", "5"], USAGE, "unexpected argument '--instances'"),
    (&["rsm", "--histories", "5"], USAGE, "unexpected argument '--histories'"),
    (&["rsm", "--format", "csv"], USAGE, "possible values: text, json"),
    (&["rsm", "--out", "/nonexistent/r.json"], USAGE, "--out /nonexistent/r.json"),
    (&["rsm", "--out", "{dir}"], USAGE, "is a directory"),
    (&["rsm", "--seed", "x"], USAGE, "invalid value 'x' for '--seed"),
    // ---- Unicode and empty strings. ----
    (&["run", ""], USAGE, "unknown protocol ''"),
    (&["run", "протокол-ǹ"], USAGE, "unknown protocol 'протокол-ǹ'"),
    (&["run", "--object", ""], USAGE, "unknown object ''"),
    (&["demo", "stall", "--protocols", ""], USAGE, "unknown protocol ''"),
    (&["demo", "stall", "--protocols", "cas,✗"], USAGE, "unknown protocol '✗'"),
    (&["exercise", "hint", "ü"], USAGE, "unknown exercise 'ü'"),
    (&["paxos", "--crash-acceptor", "①"], USAGE, "'①' is not a crash point"),
    (&["bench", "--threads", "２"], USAGE, "invalid value '２'"),
    (&["run", "cas", "--threads", "٣"], USAGE, "invalid value '٣'"),
    (&["run", "cas", "--format", "ｊｓｏｎ"], USAGE, "possible values"),
];

#[test]
fn every_bad_input_is_refused_with_its_code_and_reason_and_writes_nothing() {
    assert!(CASES.len() >= 60, "the issue's inputs and at least 30 more");
    let mut failures = Vec::new();
    for (i, (args, code, says)) in CASES.iter().enumerate() {
        let dir = scratch(i);
        let (got, out, err) = conlab_in(&dir, args);
        let says = says.replace("{dir}", dir.to_str().unwrap());
        let mut wrong = Vec::new();
        if got != *code {
            wrong.push(format!("exit {got}, not {code}"));
        }
        if !err.contains(&says) {
            wrong.push(format!("stderr does not say {says:?}"));
        }
        if err.contains("panicked") {
            wrong.push("panicked".into());
        }
        // clap's errors and help are its own rendering; the lab's are one line.
        if err.starts_with("conlab: ") && err.lines().count() != 1 {
            wrong.push("the lab's error is more than one line".into());
        }
        if !err.starts_with("conlab: ") && !err.starts_with("error: ") && !err.contains("Usage:") {
            wrong.push("neither the lab's error nor clap's".into());
        }
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        if !left.is_empty() {
            wrong.push(format!("wrote {left:?}"));
        }
        if !wrong.is_empty() {
            failures.push(format!("{args:?}: {}\nstdout: {out}\nstderr: {err}", wrong.join("; ")));
        }
        std::fs::remove_dir_all(&dir).ok();
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn io_errors_have_their_own_exit_code() {
    let dir = scratch(10_000);
    // Standard output that cannot be written.
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    if let Ok(full) = full {
        let out = Command::new(env!("CARGO_BIN_EXE_conlab"))
            .arg("list")
            .stdout(full)
            .output()
            .expect("conlab runs");
        assert_eq!(out.status.code(), Some(IO));
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the output"));
        // A file that takes nothing: found while writing, after the run.
        let (code, _, err) = conlab_in(
            &dir,
            &["bench", "primitives", "-t", "1", "--ops", "10", "-r", "1", "--out", "/dev/full"],
        );
        assert_eq!(code, IO, "{err}");
        assert!(err.contains("cannot write /dev/full"), "{err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_dash_is_standard_output_not_a_file_named_dash() {
    let dir = scratch(10_001);
    let (code, out, err) = conlab_in(
        &dir,
        &[
            "bench",
            "primitives",
            "-t",
            "1",
            "--ops",
            "10",
            "-r",
            "1",
            "--format",
            "csv",
            "--out",
            "-",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("group,name,"), "{out}");
    assert!(!dir.join("-").exists());
    std::fs::remove_dir_all(&dir).ok();
}
