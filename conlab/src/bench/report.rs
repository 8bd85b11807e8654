//! The report of `conlab bench`: who made it, when, where and how (every
//! output carries it), and the text table.

use crate::rows::Row;
use crate::Machine;
use consensus_lab::bench::calibrate::Calibration;
use consensus_lab::bench::log::Log;
use consensus_lab::bench::ops::{self, PaxosOps};
use consensus_lab::bench::universal::{workload_cell_bytes, Object, Rule, Slots, Workload};
use consensus_lab::bench::Group;
use std::io::Write;

/// Who made a report, when, where and how: every output of `conlab bench`
/// carries it.
#[derive(serde::Serialize)]
pub(super) struct Meta {
    /// `conlab`'s version.
    pub(super) version: &'static str,
    /// The git commit it was built from (`None`: not built from a git
    /// checkout; uncommitted changes are not recorded).
    pub(super) git_revision: Option<&'static str>,
    /// The command line, quoted for a POSIX shell.
    pub(super) command_line: String,
    /// When the run started, UTC (RFC 3339).
    pub(super) timestamp: String,
    pub(super) machine: Machine,
    /// Whether the benchmark threads are pinned to cores (`--pin`).
    pub(super) pinning: String,
    /// The seed of the randomized backoff (`--seed`; `None` for bench cores,
    /// which draws nothing).
    pub(super) seed: Option<u64>,
}

#[derive(serde::Serialize)]
pub(super) struct Output<'a> {
    #[serde(flatten)]
    pub(super) meta: Meta,
    /// Does this machine contend? (`None`: no contended figure was measured.)
    pub(super) calibration: Option<Calibration>,
    pub(super) oversubscribed_threads: Vec<usize>,
    pub(super) instances: u64,
    pub(super) ops: u64,
    pub(super) repeat: u32,
    /// Operations (universal) or instances between two barriers.
    pub(super) batch: u32,
    pub(super) rows: &'a [Row],
    /// Paxos: atomic operations per decision, per thread count.
    pub(super) paxos_ops: Vec<PaxosOps>,
    /// `bench multi-paxos` and `bench zab`: the failover run's detection
    /// timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) detect_timeout_ms: Option<u64>,
}

/// `t` as RFC 3339 UTC, to the second.
pub(super) fn rfc3339(t: std::time::SystemTime) -> String {
    let secs = t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// A row's thread count with its marks: `*` oversubscribed, `!` unreliable.
pub(super) fn threads_cell(r: &Row) -> String {
    format!(
        "{}{}{}",
        r.threads,
        if r.oversubscribed { "*" } else { "" },
        if r.unreliable { "!" } else { "" }
    )
}

/// The calibration in one line: its numbers and its verdict.
pub(super) fn describe_calibration(c: &Calibration) -> String {
    let verdict = if c.reliable {
        "threads run side by side: contended figures are real contention".to_string()
    } else {
        format!(
            "UNRELIABLE: every contended figure (2 threads or more, marked !) measures the \
             scheduler, not the protocol: {}",
            c.reasons.join("; ")
        )
    };
    format!(
        "calibration: round trip between two threads on one line {} ns ({} round trips); \
         fetch&add, 2 threads, {:.1} ns on one line, {:.1} ns on padded lines{}. {verdict}",
        crate::thousands(c.round_trip_ns, 0),
        crate::thousands(c.round_trips as f64, 0),
        c.shared_faa_ns,
        c.padded_faa_ns,
        if c.debug_build { " (debug build: not judged; measure with --release)" } else { "" },
    )
}

/// A row's name as the tables show it: with the acceptors of a Paxos variant.
pub(super) fn shown_name(r: &Row) -> String {
    match r.acceptors {
        Some(a) => format!("{} ({a} acceptors)", r.name),
        None => r.name.clone(),
    }
}

pub(super) fn write_text(o: &Output<'_>, wide: bool, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "machine: {}", o.meta.machine)?;
    if !o.oversubscribed_threads.is_empty() {
        writeln!(
            out,
            "OVERSUBSCRIBED thread counts (more threads than cores): {:?}",
            o.oversubscribed_threads
        )?;
    }
    writeln!(out, "pinning: {}", o.meta.pinning)?;
    if let Some(seed) = o.meta.seed {
        writeln!(out, "{}", crate::describe_seed(seed, crate::BACKOFF_DRAWS))?;
    }
    if let Some(c) = &o.calibration {
        writeln!(out, "{}", describe_calibration(c))?;
    }
    if is_universal(o) {
        return write_universal(o, wide, out);
    }
    if let Some(l) = log_of(o) {
        return write_log(o, l, wide, out);
    }
    if is_epaxos(o) {
        return write_epaxos(o, wide, out);
    }
    writeln!(
        out,
        "{}",
        crate::wrap(
            &format!(
                "protocols and baselines: ns per fresh instance (all threads deciding it), {} \
                 instances; primitives: ns per operation, {} per thread; median of {} runs",
                crate::thousands(o.instances as f64, 0),
                crate::thousands(o.ops as f64, 0),
                o.repeat
            ),
            0,
            wide
        )
    )?;
    // Narrow: the median and its ratios; --wide: the spread, throughput and
    // the target's name too.
    let mut t = crate::table(wide);
    t.set_header(if wide {
        &[
            "group",
            "name",
            "threads",
            "ns (median)",
            "[min–max]",
            "per second",
            "ratio",
            "target ratio",
        ][..]
    } else {
        &["group", "name", "threads", "median ns", "ratio", "target"][..]
    });
    for r in o.rows {
        let ns = |x: f64| crate::thousands(x, 1);
        let group = r.group.to_string();
        let mut cells = vec![
            if wide { group } else { group.replace("primitive/", "prim./") },
            shown_name(r),
            threads_cell(r),
            ns(r.median_ns),
        ];
        if wide {
            cells.push(format!("[{}–{}]", ns(r.min_ns), ns(r.max_ns)));
            cells.push(format!("{} M", crate::thousands(r.per_second / 1e6, 2)));
        }
        cells.push(r.ratio.map_or("".into(), |x| format!("{x:.2}×")));
        cells.push(match (&r.raw, r.raw_ratio) {
            (Some(raw), Some(x)) if wide => format!("{x:.2}× {raw}"),
            (Some(_), Some(x)) => format!("{x:.2}×"),
            _ => String::new(),
        });
        t.add_row(cells);
    }
    // Everything whole but the names (a Paxos variant's acceptors wrap).
    for (i, c) in t.column_iter_mut().enumerate() {
        if i != 1 {
            c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
        }
    }
    writeln!(out, "{t}")?;
    let note = "* oversubscribed. ! UNRELIABLE (see the calibration). group handles: the protocol through proposer handles (no claim, no id check). ratio: to raw-cas (protocols, baselines) or cas-success on the same layout (primitives); target (ratio): to the protocol's own raw sequence (cas: raw-cas, test-and-set: raw-tas, swap: raw-swap, fetch-and-add: raw-faa, lock-std: mutex-std, lock-parking-lot: mutex-parking-lot); same run, same threads. prim./shared, prim./padded: the primitives on one cache line or each on its own. --wide: [min–max] and per second.";
    writeln!(out, "{}", crate::wrap(note, 2, wide))?;
    for p in &o.paxos_ops {
        writeln!(out, "{}", crate::wrap(&describe_paxos(p), 2, wide))?;
    }
    Ok(())
}

/// Whether `o` is a `bench universal` report (every row in group universal).
pub(super) fn is_universal(o: &Output<'_>) -> bool {
    !o.rows.is_empty() && o.rows.iter().all(|r| r.group == Group::Universal)
}

/// What a `bench universal` figure is, in one paragraph (text and Markdown).
pub(super) fn describe_universal(o: &Output<'_>) -> String {
    let cell = |threads| {
        workload_cell_bytes(
            Workload::Universal { object: Object::Queue, rule: Rule::Helping, slots: Slots::Cas },
            threads,
        )
        .unwrap_or(0)
    };
    format!(
        "ns per operation: the wall time of all threads over all their operations ({} per \
         thread per object; queue: alternating enq and deq; counter: fetch&add(1)); median of {} \
         runs; threads in lockstep every {} operations; objects built before the clock (a \
         universal queue's log cell over CAS slots: {} bytes at 1 thread, {} at 2, plus the \
         allocator's headers), no history clock",
        crate::thousands(o.ops as f64, 0),
        o.repeat,
        o.batch,
        cell(1),
        cell(2),
    )
}

/// The text table of `bench universal`: ns per operation, operations per
/// second, the ratios to `Mutex<VecDeque>` and to `SegQueue`.
fn write_universal(o: &Output<'_>, wide: bool, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{}", crate::wrap(&describe_universal(o), 0, wide))?;
    let mut t = crate::table(wide);
    t.set_header(if wide {
        &[
            "object",
            "threads",
            "ns/op (median)",
            "[min–max]",
            "ops per second",
            "÷ mutex",
            "÷ segqueue",
        ][..]
    } else {
        &["object", "threads", "ns/op", "ops/s", "÷ mutex", "÷ segq."][..]
    });
    for r in o.rows {
        let ns = |x: f64| crate::thousands(x, 1);
        let mut cells = vec![r.name.clone(), threads_cell(r), ns(r.median_ns)];
        if wide {
            cells.push(format!("[{}–{}]", ns(r.min_ns), ns(r.max_ns)));
        }
        cells.push(format!("{} M", crate::thousands(r.per_second / 1e6, 2)));
        cells.push(r.ratio.map_or("".into(), |x| format!("{x:.2}×")));
        cells.push(r.raw_ratio.map_or("".into(), |x| format!("{x:.2}×")));
        t.add_row(cells);
    }
    for (i, c) in t.column_iter_mut().enumerate() {
        if i != 0 {
            c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
        }
    }
    writeln!(out, "{t}")?;
    let note = "* oversubscribed. ! UNRELIABLE (see the calibration). ÷ mutex: the row's ns/op over queue/mutex-vecdeque's (parking_lot Mutex<VecDeque>), ÷ segqueue: over queue/segqueue's (crossbeam SegQueue); same run, same threads (a counter row is compared with the queues too: what the user would pick instead). universal: Herlihy's helping rule (wait-free); universal-lock-free: no helping; slots: cas (any n) or test-and-set (2 threads at most). counter/fetch-add: one bare fetch_add, the ceiling. --wide: [min–max].";
    writeln!(out, "{}", crate::wrap(note, 2, wide))?;
    Ok(())
}

pub(super) fn describe_paxos(p: &PaxosOps) -> String {
    let split = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.2}"));
    format!(
        "{}, {} acceptors, {} thread(s): {:.1}% of instances without a fast decision; per decision: \
         {:.1}% fast path (RMW {} fast, {} otherwise); \
         acceptors {:.2} RMW + {:.2} loads; announce {} RMW + {} load/store (decide) or {} RMW + {} (handles); \
         RMW in all {:.2} (decide) / {:.2} (handles); {:.0} ns per instance (this count's run, barriers included)",
        p.protocol,
        p.acceptors,
        p.threads,
        p.collision_rate * 100.0,
        p.fast_path_share * 100.0,
        split(p.rmws_fast),
        split(p.rmws_slow),
        p.acceptor_rmws,
        p.acceptor_loads,
        ops::ANNOUNCE_DECIDE.0,
        ops::ANNOUNCE_DECIDE.1,
        ops::ANNOUNCE_HANDLES.0,
        ops::ANNOUNCE_HANDLES.1,
        p.total_rmws_decide,
        p.total_rmws_handles,
        p.ns_per_instance
    )
}

/// Whether `o` is a `bench epaxos` report (every row in group epaxos).
pub(super) fn is_epaxos(o: &Output<'_>) -> bool {
    !o.rows.is_empty() && o.rows.iter().all(|r| r.group == Group::Epaxos)
}

/// What a `bench epaxos` figure is, in one paragraph (text and Markdown).
pub(super) fn describe_epaxos(o: &Output<'_>) -> String {
    format!(
        "EPaxos over 5 replica regions (fast quorum 3) beside Multi-Paxos over 5 packed \
         acceptors (majority 3), one key-value workload of puts ({} per client, the same puts \
         for both at each rate): with probability `conflict` a put writes the shared key 0, \
         else its client's own key. ns/cmd is the wall time of all clients over all their \
         commands (fresh object per run, built before the clock; Multi-Paxos: one warm-up \
         command claims term 1 before the clock, detector timeout 1 s, a client that is done \
         keeps submitting until all are), p50 / p99 each submit's own time, call to return, \
         over every command of every run (HdrHistogram, 3 significant digits). ops/cmd: \
         region operations per command (EPaxos: pre-accepts and accepts; Multi-Paxos: \
         accepts). fast: EPaxos's commands committed on the fast path. Median of {} runs",
        crate::thousands(o.ops as f64, 0),
        o.repeat,
    )
}

/// A `bench epaxos` row's cells: conflict, ns (median), [min–max], per
/// second, p50, p99, region operations per command, fast share.
pub(super) fn epaxos_cells(r: &Row) -> [String; 8] {
    let ns = |x: f64| crate::thousands(x, 1);
    let opt = |x: Option<f64>| x.map_or("—".to_string(), ns);
    [
        r.conflict.map_or("—".into(), |c| format!("{} %", 100.0 * c)),
        ns(r.median_ns),
        format!("[{}–{}]", ns(r.min_ns), ns(r.max_ns)),
        crate::thousands(r.per_second, 0),
        opt(r.p50_ns),
        opt(r.p99_ns),
        r.rmws_per_command.map_or("—".into(), |x| format!("{x:.2}")),
        r.fast_share.map_or("—".into(), |x| format!("{:.1} %", 100.0 * x)),
    ]
}

/// The text table of `bench epaxos`.
fn write_epaxos(o: &Output<'_>, wide: bool, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{}", crate::wrap(&describe_epaxos(o), 0, wide))?;
    let mut t = crate::table(wide);
    let mut header =
        vec!["protocol", "conflict", "threads", "ns/cmd", "cmds/s", "p50 ns", "p99 ns"];
    if wide {
        header.insert(4, "[min–max]");
    }
    header.extend(["ops/cmd", "fast"]);
    t.set_header(header);
    for r in o.rows {
        let [conflict, median, spread, per_second, p50, p99, ops, fast] = epaxos_cells(r);
        let mut cells = vec![r.name.clone(), conflict, threads_cell(r), median];
        if wide {
            cells.push(spread);
        }
        cells.extend([per_second, p50, p99, ops, fast]);
        t.add_row(cells);
    }
    for c in t.column_iter_mut() {
        c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
    }
    writeln!(out, "{t}")?;
    let note = "* oversubscribed. ! UNRELIABLE (see the calibration). --wide: [min–max].";
    writeln!(out, "{}", crate::wrap(note, 2, wide))?;
    Ok(())
}

/// The log of a `bench multi-paxos` or `bench zab` report (every row in
/// that log's group); `None` for the other suites.
pub(super) fn log_of(o: &Output<'_>) -> Option<Log> {
    let Group::Log(l) = o.rows.first()?.group else { return None };
    o.rows.iter().all(|r| r.group == Group::Log(l)).then_some(l)
}

/// What a `bench multi-paxos` or `bench zab` figure is, in one paragraph
/// (text and Markdown).
pub(super) fn describe_log(o: &Output<'_>, l: Log) -> String {
    let (what, warm_up, writes, quorum) = match l {
        Log::MultiPaxos => (
            "Multi-Paxos over 3 packed acceptors",
            "one warm-up command claims term 1 and runs phase 1 before the clock",
            "the acceptors' successful accepts (slot compare&swaps) per command served, besides \
             the leader's publishing compare&swap",
            "accepted",
        ),
        Log::Zab => (
            "Zab over 3 follower regions",
            "one warm-up command begins epoch 1 (discovery, synchronisation) before the clock",
            "the follower region writes of broadcast (each a lock, the proposal's append and the \
             ack index's store) per command served, besides the leader's publishing \
             compare&swap and the commit index's fetch_max; synchronisation's writes are not \
             counted",
            "acknowledged",
        ),
    };
    format!(
        "{what}, counter increments. stable-leader (threads = clients): ns/cmd is the wall time \
         of all clients over all their commands ({} per client, fresh log per run, built before \
         the clock; {warm_up}; detector timeout 1 s so the leader stays), p50 / p99 each \
         submit's own time, call to return, over every command of every run (HdrHistogram, 3 \
         significant digits); RMW/cmd: {writes}. failover (2 clients): the leader crashes at \
         slot {} after a majority {quorum}, before publishing; time from the crash to the next \
         command committed, detection timeout {} ms. Median of {} runs",
        crate::thousands(o.ops as f64, 0),
        crate::thousands((o.ops / 2) as f64, 0),
        o.detect_timeout_ms.unwrap_or(0),
        o.repeat,
    )
}

/// A `bench multi-paxos` or `bench zab` row's cells: ns (median),
/// [min–max], per second, p50, p99, RMW per command (`—` where a figure
/// does not apply).
pub(super) fn log_cells(r: &Row) -> [String; 6] {
    let ns = |x: f64| crate::thousands(x, 1);
    let opt = |x: Option<f64>| x.map_or("—".to_string(), ns);
    let failover = r.name == super::measure::FAILOVER;
    [
        if failover {
            format!("{} µs", crate::thousands(r.median_ns / 1e3, 1))
        } else {
            ns(r.median_ns)
        },
        if failover {
            format!(
                "[{}–{}] µs",
                crate::thousands(r.min_ns / 1e3, 1),
                crate::thousands(r.max_ns / 1e3, 1)
            )
        } else {
            format!("[{}–{}]", ns(r.min_ns), ns(r.max_ns))
        },
        if failover {
            "—".into()
        } else {
            format!("{} M", crate::thousands(r.per_second / 1e6, 3))
        },
        opt(r.p50_ns),
        opt(r.p99_ns),
        r.rmws_per_command.map_or("—".into(), |x| format!("{x:.2}")),
    ]
}

/// The text table of `bench multi-paxos` or `bench zab`.
fn write_log(o: &Output<'_>, l: Log, wide: bool, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{}", crate::wrap(&describe_log(o, l), 0, wide))?;
    let mut t = crate::table(wide);
    t.set_header(if wide {
        &[
            "figure",
            "threads",
            "ns/cmd (median)",
            "[min–max]",
            "cmds per second",
            "p50 ns",
            "p99 ns",
            "RMW/cmd",
        ][..]
    } else {
        &["figure", "threads", "ns/cmd", "cmds/s", "p50 ns", "p99 ns", "RMW/cmd"][..]
    });
    for r in o.rows {
        let [median, spread, per_second, p50, p99, rmws] = log_cells(r);
        let mut cells = vec![r.name.clone(), threads_cell(r), median];
        if wide {
            cells.push(spread);
        }
        cells.extend([per_second, p50, p99, rmws]);
        t.add_row(cells);
    }
    for (i, c) in t.column_iter_mut().enumerate() {
        if i != 0 {
            c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
        }
    }
    writeln!(out, "{t}")?;
    let note = "* oversubscribed. ! UNRELIABLE (see the calibration). failover: its ns/cmd column is the failover time (µs). Anchors (issue 15): Mu replicates in ~1.3 µs over RDMA and fails over in < 1 ms; the in-process target is ≤ 100 ns per uncontended command to a majority of 3 and a failover ≤ 100 µs plus the detection timeout. --wide: [min–max].";
    writeln!(out, "{}", crate::wrap(note, 2, wide))?;
    Ok(())
}
