//! `conlab demo stall`: one thread paused inside its protocol; how long the
//! others take to decide (see [`consensus_lab::demo::stall`] and docs/src/demo.md).
//!
//! Protocols given by name must support the stall point and the thread count
//! (else exit 2); with `all`, those that do not are skipped with a note.
//! `--objects` adds the universal queue ([`consensus_lab::demo::stall::universal`]):
//! one client stalled mid-operation while the others submit `--ops` each.

use super::{Format, Machine, EXIT_VIOLATION};
use consensus_lab::consensus::Progress;
use consensus_lab::demo::stall::universal::{self, ObjectRow, ObjectStallConfig, ObjectVerdict};
use consensus_lab::demo::stall::{self, Point, Row, Skipped, StallConfig, Verdict};
use std::io::Write;
use std::time::Duration;

/// Arguments of `conlab demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Which demonstration.
    #[command(subcommand)]
    pub demo: Demo,
}

/// The demonstrations.
#[derive(Debug, clap::Subcommand)]
pub enum Demo {
    /// Pause one thread inside its protocol (holding the lock, after announcing,
    /// between Paxos phases) and time how long the others take to decide:
    /// blocking protocols wait out the stall, wait-free ones do not notice it.
    /// Then the universal queue (--objects): one client stalled mid-operation,
    /// the others' operations during the stall counted.
    Stall(StallArgs),
}

/// Where to stall, on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PointArg {
    /// The lock for the lock protocols, between phases for Paxos, after
    /// announcing for the others.
    Auto,
    /// After announcing, before the first protocol step (every protocol).
    Announce,
    /// Holding the lock (lock-std, lock-parking-lot).
    Lock,
    /// Between Paxos phases (paxos, paxos-mutex).
    PaxosPhase,
}

/// Arguments of `conlab demo stall`.
#[derive(Debug, clap::Args)]
pub struct StallArgs {
    /// Protocols, comma-separated, `all` (every correct protocol the point
    /// and thread count apply to) or `none`.
    #[arg(long, default_value = "all")]
    pub protocols: String,
    /// Universal objects whose client `--stalled` is paused mid-operation
    /// while the others submit: comma-separated (queue/universal/cas,
    /// queue/universal-lock-free/cas, queue/universal/lock-parking-lot),
    /// `all` or `none`.
    #[arg(long, default_value = "all")]
    pub objects: String,
    /// Operations each other client submits to a universal object per stall.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub ops: u64,
    /// Threads per instance: the stalled one and the ones that are timed.
    #[arg(long, short, default_value_t = 2, value_parser = clap::value_parser!(u32).range(2..=64))]
    pub threads: u32,
    /// The id of the stalled thread.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=63))]
    pub stalled: u32,
    /// How long the stalled thread pauses, in milliseconds.
    #[arg(long = "stall-ms", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub stall_ms: u64,
    /// Where it pauses.
    #[arg(long, value_enum, default_value_t = PointArg::Auto)]
    pub point: PointArg,
    /// Instances per protocol (each with one stall).
    #[arg(long, short, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub instances: u32,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Seed of the retrying protocols' randomized backoff (default: a random
    /// one, printed and exported): the same seed replays the same draws.
    #[arg(long)]
    pub seed: Option<u64>,
    /// The table as wide as its content: where the thread stalled, the
    /// uncontended time and the slowest decide too (else at most 80 columns).
    #[arg(long)]
    pub wide: bool,
}

#[derive(serde::Serialize)]
struct Output {
    machine: Machine,
    threads: usize,
    stalled: usize,
    stall_ms: u64,
    instances: usize,
    /// Operations each other client submits to a universal object.
    ops: u64,
    oversubscribed: bool,
    rows: Vec<Row>,
    skipped: Vec<Skipped>,
    /// The universal objects (`--objects`).
    objects: Vec<ObjectRow>,
    /// The seed of the retrying protocols' randomized backoff (`--seed`).
    seed: u64,
}

pub(super) fn demo(
    args: &DemoArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    match &args.demo {
        Demo::Stall(a) => stall_cmd(a, out, err),
    }
}

fn stall_cmd(
    args: &StallArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    super::check_wide(args.wide, args.format == Format::Text)?;
    let cfg = StallConfig {
        threads: args.threads as usize,
        stalled: args.stalled as usize,
        pause: Duration::from_millis(args.stall_ms),
        instances: args.instances as usize,
    };
    cfg.validate()?;
    let point = match args.point {
        PointArg::Auto => None,
        PointArg::Announce => Some(Point::Announce),
        PointArg::Lock => Some(Point::Lock),
        PointArg::PaxosPhase => Some(Point::PaxosPhase),
    };
    let objects = universal::select_objects(&args.objects)?;
    let (selected, skipped) = if args.protocols.trim() == "none" {
        if objects.is_empty() {
            return Err("nothing to stall: --protocols none and --objects none".into());
        }
        (Vec::new(), Vec::new())
    } else {
        stall::select(&args.protocols, point, cfg.threads)?
    };
    let machine = Machine::here();
    let mut rows = Vec::new();
    // Progress, whatever the format (a JSON run is no longer silent): a bar
    // with an ETA on a terminal, else one line per protocol.
    let seed = super::seed_or_random(args.seed);
    let bar = super::progress::bar((selected.len() + objects.len()) as u64);
    for (i, sel) in selected.iter().enumerate() {
        let name = sel.entry.info().name;
        if bar.is_hidden() {
            let _ = writeln!(err, "stalling {name} ({} of {}) ...", i + 1, selected.len());
        }
        bar.set_message(format!("stalling {name}"));
        rows.push(consensus_lab::threads::seeded(Some(seed), || stall::run_one(sel, &cfg))?);
        bar.inc(1);
    }
    let ocfg = ObjectStallConfig {
        threads: cfg.threads,
        stalled: cfg.stalled,
        pause: cfg.pause,
        ops: usize::try_from(args.ops)?,
        instances: cfg.instances,
    };
    let mut object_rows = Vec::new();
    for (i, &k) in objects.iter().enumerate() {
        if bar.is_hidden() {
            let _ = writeln!(err, "stalling {} ({} of {}) ...", k.name(), i + 1, objects.len());
        }
        bar.set_message(format!("stalling {}", k.name()));
        object_rows
            .push(consensus_lab::threads::seeded(Some(seed), || universal::run_object(k, &ocfg))?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let failed = rows.iter().any(|r| r.verdict == Verdict::Failed)
        || object_rows.iter().any(|r| r.verdict == ObjectVerdict::Failed);
    let o = Output {
        oversubscribed: cfg.threads - 1 > machine.cores,
        machine,
        threads: cfg.threads,
        stalled: cfg.stalled,
        stall_ms: args.stall_ms,
        instances: cfg.instances,
        ops: args.ops,
        rows,
        skipped,
        objects: object_rows,
        seed,
    };
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&o)?)?,
        Format::Text => {
            let mut text = Vec::new();
            write_text(&o, args.wide, &mut text)?;
            out.write_all(super::fit(&text, args.wide).as_bytes())?;
        }
    }
    Ok(if failed { EXIT_VIOLATION } else { 0 })
}

/// A duration in the unit that reads best.
fn time(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{:.1} ms", ns / 1e6)
    }
}

/// A ratio to the uncontended time.
fn ratio(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.1}×")
    } else {
        format!("{x:.0}×")
    }
}

fn write_text(o: &Output, wide: bool, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "machine: {}", o.machine)?;
    writeln!(out, "{}", super::describe_seed(o.seed, super::BACKOFF_DRAWS))?;
    if !o.rows.is_empty() {
        write_protocols(o, wide, out)?;
    }
    if !o.objects.is_empty() {
        write_objects(o, wide, out)?;
    }
    for s in &o.skipped {
        writeln!(out, "skipped {}: {}", s.protocol, s.reason)?;
    }
    Ok(())
}

/// The universal objects' table: the others' operations during the stall.
fn write_objects(o: &Output, wide: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let others = o.threads - 1;
    writeln!(
        out,
        "{}",
        super::wrap(
            &format!(
                "universal objects: client t{s} submits one enq and pauses {ms} ms mid-operation \
                 ({} instance(s)); once it is inside its stall, the other {others} client(s) \
                 submit {ops} operations each (alternating enq and deq)",
                o.instances,
                s = o.stalled,
                ms = o.stall_ms,
                ops = o.ops,
            ),
            0,
            wide
        )
    )?;
    let mut t = super::table(wide);
    let mut header = vec!["object", "progress"];
    if wide {
        header.push("stalled at");
    }
    let in_log = format!("t{}'s op in log while asleep", o.stalled);
    header.extend(["others' ops done during stall", "op median", &in_log]);
    if wide {
        header.push("slowest op");
    }
    header.push("verdict");
    t.set_header(header);
    for r in &o.objects {
        let helped = if r.observed == 0 {
            "not read (stall ended first)".to_string()
        } else {
            match r.helped_cell {
                Some(c) if r.helped_while_asleep > 0 => {
                    format!("{}/{} runs (cell {c})", r.helped_while_asleep, r.observed)
                }
                _ => format!("0/{} runs", r.observed),
            }
        };
        let mut cells = vec![r.object.to_string(), r.progress.to_string()];
        if wide {
            cells.push(r.stalled_at.to_string());
        }
        cells.push(format!("{}/{}", r.completed_during_stall, r.ops));
        cells.push(time(r.median_ns));
        cells.push(helped);
        if wide {
            cells.push(time(r.max_ns));
        }
        cells.push(r.verdict.to_string());
        t.add_row(cells);
    }
    writeln!(out, "{t}")?;
    let note = "\"done during stall\" counts the other clients' operations that returned while \
         the stalled client was still inside its stall (read from its state, not a clock). \
         \"in log while asleep\": read once the others were done, if the stalled client still \
         slept. Helping (wait-free): a cell k with k mod n = the stalled client proposes its \
         announced operation; no helping (lock-free): the others win every cell, the stalled \
         operation waits for its owner; lock slots (blocking): every client's next cell is the \
         one whose lock the stalled client holds.";
    writeln!(out, "{}", super::wrap(note, 2, wide))?;
    for r in &o.objects {
        if r.reruns > 0 {
            writeln!(
                out,
                "note: {}: {} runs re-made because the others started only after the stall was over",
                r.object, r.reruns
            )?;
        }
        for e in r.errors.iter().take(5) {
            writeln!(out, "error: {}: {e}", r.object)?;
        }
    }
    Ok(())
}

/// The protocols' table.
fn write_protocols(o: &Output, wide: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let others = o.threads - 1;
    writeln!(
        out,
        "stall demo: t{s} of {n} threads pauses {ms} ms inside its protocol on each of {k} \
         instances per protocol; the other {w} start{v} once t{s} is inside its stall, and each \
         decide is timed from its own start{over}",
        s = o.stalled,
        n = o.threads,
        ms = o.stall_ms,
        k = o.instances,
        w = if others == 1 { "thread".to_string() } else { format!("{others} threads") },
        v = if others == 1 { "s" } else { "" },
        over =
            if o.oversubscribed { " (OVERSUBSCRIBED: more timed threads than cores)" } else { "" },
    )?;
    // Narrow: the progress class against what the others did; --wide: where
    // the thread stalled, the uncontended time and the slowest decide too.
    let mut t = super::table(wide);
    let stalled = format!("t{} stalled", o.stalled);
    t.set_header(if wide {
        vec![
            "protocol",
            "progress",
            &stalled,
            "uncontended",
            "others: median",
            "max",
            "decided during stall",
            "verdict",
        ]
    } else {
        vec!["protocol", "progress", "others: median", "decided during stall", "verdict"]
    });
    for r in &o.rows {
        let median =
            format!("{} ({})", time(r.median_ns), ratio(r.median_ns / r.uncontended_ns.max(1.0)));
        let during = format!("{}/{}", r.during_stall, r.decisions);
        t.add_row(if wide {
            vec![
                r.protocol.to_string(),
                r.progress.to_string(),
                r.stalled_at.clone(),
                time(r.uncontended_ns),
                median,
                time(r.max_ns),
                during,
                r.verdict.to_string(),
            ]
        } else {
            vec![
                r.protocol.to_string(),
                r.progress.to_string(),
                median,
                during,
                r.verdict.to_string(),
            ]
        });
    }
    if let Some(c) = t.column_mut(0) {
        c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
    }
    writeln!(out, "{t}")?;
    let verdict = "verdict: \"waited out the stall\" = the others' median decide took more than \
         half the stall; \"unaffected\" = they decided while it slept; \"retried around it\" = \
         they decided while it slept, some after a second ballot. \"decided during stall\" is \
         read from the stalled thread's state, not from a clock. others: median = their median \
         decide (its ratio to the uncontended one).";
    writeln!(out, "{}", super::wrap(verdict, 2, wide))?;
    for note in notes(&o.rows, o.stalled) {
        writeln!(out, "{}", super::wrap(&format!("note: {note}"), 2, wide))?;
    }
    for r in &o.rows {
        for e in r.errors.iter().take(5) {
            writeln!(out, "error: {}: {e}", r.protocol)?;
        }
    }
    Ok(())
}

/// What the rows mean where the progress class alone would mislead, one note
/// per kind of surprise.
fn notes(rows: &[Row], stalled: usize) -> Vec<String> {
    let names = |keep: &dyn Fn(&Row) -> bool| {
        rows.iter().filter(|r| keep(r)).map(|r| r.protocol).collect::<Vec<_>>().join(", ")
    };
    let waited = |r: &Row| r.verdict == Verdict::WaitedOutTheStall;
    let mut notes = Vec::new();
    let of = names(&|r| r.progress == Progress::ObstructionFree && !waited(r));
    if !of.is_empty() {
        notes.push(format!(
            "obstruction-free ({of}): a stalled thread takes no steps, so it cannot obstruct; \
             the others ran alone and decided. What obstruction-freedom does not promise, \
             progress for threads that keep running and overrule each other, a stall does not show."
        ));
    }
    let free = names(&|r| r.progress == Progress::Blocking && !waited(r));
    if !free.is_empty() {
        notes.push(format!(
            "blocking, yet the others did not wait ({free}): where t{stalled} was stalled it \
             held no lock (these protocols block only inside a locked operation)"
        ));
    }
    let slow = names(&|r| matches!(r.progress, Progress::WaitFree { .. }) && waited(r));
    if !slow.is_empty() {
        notes.push(format!("wait-free, yet the others waited ({slow}): was the machine busy?"));
    }
    for r in rows.iter().filter(|r| r.reruns > 0) {
        notes.push(format!(
            "{}: {} instances re-run because the others started only after the stall was over",
            r.protocol, r.reruns
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use crate::tests::run_cli;

    #[test]
    fn locks_wait_and_cas_does_not() {
        let (code, out, err) = run_cli(&[
            "demo",
            "stall",
            "--protocols",
            "lock-parking-lot,cas",
            "--stall-ms",
            "60",
            "--instances",
            "2",
            "--wide",
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let line = |name: &str| out.lines().find(|l| l.contains(name)).unwrap_or("").to_string();
        assert!(line("lock-parking-lot").contains("waited out the stall"), "{out}");
        assert!(line("lock-parking-lot").contains("0/2"), "{out}");
        assert!(out.contains("machine:") && out.contains("cores available"), "{out}");
    }

    #[test]
    fn a_stalled_universal_client_blocks_lock_slots_only() {
        let (code, out, err) = run_cli(&[
            "demo",
            "stall",
            "--protocols",
            "none",
            "--objects",
            "queue/universal/cas,queue/universal/lock-parking-lot",
            "--stall-ms",
            "200",
            "--ops",
            "100",
            "--instances",
            "1",
            "--wide",
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let line = |name: &str| out.lines().find(|l| l.contains(name)).unwrap_or("").to_string();
        // No timing: every other client needs the locked cell first.
        assert!(line("lock-parking-lot").contains("0/100"), "{out}");
        assert!(line("lock-parking-lot").contains("blocked until it woke"), "{out}");
        // Tolerant of a loaded machine: the others started within the stall
        // (else the run is re-made), so some of their operations returned in it.
        assert!(line("queue/universal/cas").contains("kept completing"), "{out}");
        assert!(!out.contains("stall demo: t0"), "no protocol table: {out}");
        let (code, _, err) = run_cli(&["demo", "stall", "--objects", "stack"]);
        assert_eq!(code, crate::EXIT_USAGE, "{err}");
        assert!(err.contains("unknown object 'stack'"), "{err}");
        let (code, _, err) =
            run_cli(&["demo", "stall", "--protocols", "none", "--objects", "none"]);
        assert_eq!(code, crate::EXIT_USAGE, "{err}");
        assert!(err.contains("nothing to stall"), "{err}");
    }

    #[test]
    fn bad_input_is_exit_2_and_the_lab_s_own_errors_one_line() {
        // The lab's own checks: one line.
        for args in [
            &["demo", "stall", "--protocols", "nope"][..],
            &["demo", "stall", "--stalled", "2"],
            &["demo", "stall", "--protocols", "cas", "--point", "lock"],
            &["demo", "stall", "--protocols", "swap", "--threads", "3"],
            &["demo", "stall", "--protocols", "read-write"],
        ] {
            let (code, out, err) = run_cli(args);
            assert_eq!(code, crate::EXIT_USAGE, "{args:?}: {out}{err}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
            assert!(err.starts_with("conlab: "), "{args:?}: {err}");
        }
        // clap's: its own rendering, naming the flag.
        for (args, flag) in [
            (&["demo", "stall", "--threads", "0"][..], "--threads"),
            (&["demo", "stall", "--threads", "1"], "--threads"),
            (&["demo", "stall", "--stall-ms", "0"], "--stall-ms"),
            (&["demo", "stall", "--point", "elsewhere"], "possible values"),
            (&["demo", "stall", "--instances", "0"], "--instances"),
            (&["demo"], "Usage:"),
        ] {
            let (code, out, err) = run_cli(args);
            assert_eq!(code, crate::EXIT_USAGE, "{args:?}: {out}{err}");
            assert!(err.contains(flag), "{args:?}: {err}");
        }
    }
}
