//! `conlab paxos`: Paxos on real cores with a fault plan.

use super::{Format, Machine, EXIT_INCONCLUSIVE, EXIT_NO_QUORUM, EXIT_VIOLATION};
use consensus_lab::paxos::run::{run, PaxosRun};
use consensus_lab::paxos::{
    Crash, FaultPlan, MutexAcceptor, PackedAcceptor, PaxosConfig, RandomCrashes, Stall,
};
use std::io::Write;

/// Arguments of `conlab paxos`.
#[derive(Debug, clap::Args)]
pub struct PaxosArgs {
    /// Acceptors (odd, 1 to 63).
    #[arg(long, short, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=63))]
    pub acceptors: u32,
    /// Proposers: threads racing on every instance.
    #[arg(long, short, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub proposers: u32,
    /// Crash acceptor i from the start, or after its k-th operation (i@k). Repeatable.
    #[arg(long = "crash-acceptor", value_name = "i[@k]")]
    pub crash_acceptor: Vec<Crash>,
    /// Crash proposer j after its k-th step (j@k; a step is a prepare or an accept). Repeatable.
    #[arg(long = "crash-proposer", value_name = "j@k")]
    pub crash_proposer: Vec<Crash>,
    /// Crash K acceptors drawn at random from the seed (not those
    /// --crash-acceptor names), each after a random number of its
    /// operations; printed, and replayed by --seed.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=63))]
    pub random_acceptor_crashes: Option<u32>,
    /// Crash K proposers drawn at random from the seed (not those
    /// --crash-proposer or --stall-proposer names), each after a random
    /// number of its steps; printed, and replayed by --seed.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub random_proposer_crashes: Option<u32>,
    /// Pause proposer j for MS milliseconds after its k-th step, on every
    /// instance (j@k:MS; with k = a majority, between phase 1 and phase 2). Repeatable.
    #[arg(long = "stall-proposer", value_name = "j@k:MS")]
    pub stall_proposer: Vec<Stall>,
    /// Fresh instances to decide, each by all proposers.
    #[arg(long, short, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub instances: u64,
    /// Acceptors behind a mutex instead of a packed word with CAS.
    #[arg(long)]
    pub mutex: bool,
    /// Do not let proposer 0's first ballot skip phase 1.
    #[arg(long)]
    pub no_fast_path: bool,
    /// Seed of the proposers' randomized backoff and of the random crash plan
    /// (default: a random one, printed and exported): the same seed replays
    /// the same draws and the same plan.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The table as wide as its content: prepares and accepts too (else at
    /// most 80 columns).
    #[arg(long)]
    pub wide: bool,
}

#[derive(serde::Serialize)]
struct Output<'a> {
    machine: Machine,
    acceptors: usize,
    acceptor_kind: &'static str,
    proposers: usize,
    oversubscribed: bool,
    fast_path: bool,
    /// The seed of the proposers' randomized backoff and of the random
    /// crash plan (`--seed`).
    seed: u64,
    /// The crash points drawn at random from the seed (`--random-*-crashes`;
    /// also in the crashed lists), if any were asked for.
    random_crashes: Option<Drawn>,
    crashed_acceptors: Vec<String>,
    crashed_proposers: Vec<String>,
    stalled_proposers: Vec<String>,
    /// `None` when nothing was decided.
    rmws_per_decision: Option<f64>,
    /// `None` when nothing was decided.
    steps_per_decision: Option<f64>,
    /// Every proposer crashed before it could decide: nothing was tested.
    no_proposer_alive: bool,
    run: &'a PaxosRun,
}

/// The crash points drawn from the seed.
#[derive(serde::Serialize)]
struct Drawn {
    acceptors: Vec<String>,
    proposers: Vec<String>,
}

/// The most a run's stalls may sleep in all (they repeat on every instance).
const MAX_STALLED_RUN: std::time::Duration = std::time::Duration::from_secs(600);

pub(super) fn paxos(
    args: &PaxosArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    super::check_wide(args.wide, args.format == Format::Text)?;
    let mut faults = FaultPlan {
        acceptors: args.crash_acceptor.clone(),
        proposers: args.crash_proposer.clone(),
        stalls: args.stall_proposer.clone(),
        ..FaultPlan::default()
    };
    let seed = super::seed_or_random(args.seed);
    let want = RandomCrashes {
        acceptors: args.random_acceptor_crashes.unwrap_or(0) as usize,
        proposers: args.random_proposer_crashes.unwrap_or(0) as usize,
    };
    let random = want != RandomCrashes::default();
    let drawn = if random {
        let (a, p) = (args.acceptors as usize, args.proposers as usize);
        let drawn = faults.random_crashes(a, p, want, seed)?;
        faults.acceptors.extend(drawn.acceptors.iter().copied());
        faults.proposers.extend(drawn.proposers.iter().copied());
        Some(Drawn {
            acceptors: drawn.acceptors.iter().map(Crash::to_string).collect(),
            proposers: drawn.proposers.iter().map(Crash::to_string).collect(),
        })
    } else {
        None
    };
    let cfg = PaxosConfig {
        proposers: args.proposers as usize,
        acceptors: args.acceptors as usize,
        faults: faults.clone(),
        rounds: None,
        fast_path: !args.no_fast_path,
    };
    let instances = usize::try_from(args.instances)?;
    // Stalls repeat on every instance: refuse a run that would sleep for ages.
    let per_instance: std::time::Duration = faults.stalls.iter().map(|s| s.pause).sum();
    let slept = u32::try_from(args.instances)
        .ok()
        .and_then(|n| per_instance.checked_mul(n))
        .unwrap_or(std::time::Duration::MAX);
    if !per_instance.is_zero() && slept > MAX_STALLED_RUN {
        return Err(format!(
            "the stalls would pause proposers for more than {} s in all ({} ms on each of {} \
             instances): use fewer --instances or shorter stalls",
            MAX_STALLED_RUN.as_secs(),
            per_instance.as_millis(),
            instances,
        )
        .into());
    }
    let r = consensus_lab::threads::seeded(Some(seed), || {
        if args.mutex {
            run::<MutexAcceptor>(&cfg, instances, 64, |_| faults.clone())
        } else {
            run::<PackedAcceptor>(&cfg, instances, 64, |_| faults.clone())
        }
    })?;
    // All proposers' work, divided by the decisions it bought.
    let decided = r.decided() as f64;
    let per_decision = |work: usize| (r.decided() > 0).then(|| work as f64 / decided);
    // Every proposer crashed on every instance without deciding.
    let no_proposer_alive =
        r.decided() == 0 && r.proposers.iter().all(|p| p.crashed == r.instances);
    let machine = Machine::here();
    let o = Output {
        oversubscribed: cfg.proposers > machine.cores,
        machine,
        acceptors: cfg.acceptors,
        acceptor_kind: if args.mutex { "mutex" } else { "packed word, CAS" },
        proposers: cfg.proposers,
        fast_path: cfg.fast_path,
        seed,
        random_crashes: drawn,
        crashed_acceptors: faults.acceptors.iter().map(Crash::to_string).collect(),
        crashed_proposers: faults.proposers.iter().map(Crash::to_string).collect(),
        stalled_proposers: faults.stalls.iter().map(Stall::to_string).collect(),
        rmws_per_decision: per_decision(r.proposers.iter().map(|p| p.rmws).sum()),
        steps_per_decision: per_decision(r.proposers.iter().map(|p| p.prepares + p.accepts).sum()),
        no_proposer_alive,
        run: &r,
    };
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&o)?)?,
        Format::Text => {
            let mut text = Vec::new();
            write_text(&o, args.wide, &mut text)?;
            out.write_all(super::fit(&text, args.wide).as_bytes())?;
        }
    }
    let majority = cfg.majority();
    if r.disagreements > 0 || !r.errors.is_empty() {
        return Ok(EXIT_VIOLATION);
    }
    if r.decided() == 0 && r.no_quorum() > 0 {
        writeln!(
            err,
            "conlab: no quorum: fewer than {majority} of {} acceptors answered (a decision needs a live majority of {majority}); crash plan {}",
            cfg.acceptors,
            o.crashed_acceptors.join(", ")
        )?;
        return Ok(EXIT_NO_QUORUM);
    }
    if no_proposer_alive {
        writeln!(
            err,
            "conlab: no proposer alive: nothing decided (every proposer crashed first; crash plan {}), so agreement was not tested",
            o.crashed_proposers.join(", ")
        )?;
        return Ok(EXIT_INCONCLUSIVE);
    }
    Ok(0)
}

fn write_text(o: &Output<'_>, wide: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let r = o.run;
    writeln!(out, "machine: {}", o.machine)?;
    let what = if o.random_crashes.is_some() {
        "the randomized backoff's draws and the random crash plan"
    } else {
        super::BACKOFF_DRAWS
    };
    writeln!(out, "{}", super::describe_seed(o.seed, what))?;
    writeln!(
        out,
        "Paxos: {} acceptors ({}), {} proposers{}; fast path {}",
        o.acceptors,
        o.acceptor_kind,
        o.proposers,
        if o.oversubscribed { " (OVERSUBSCRIBED: more proposers than cores)" } else { "" },
        if o.fast_path { "on" } else { "off" }
    )?;
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    writeln!(
        out,
        "crashed acceptors (i@k: after k operations): {}; crashed proposers (j@k: after k steps): {}",
        list(&o.crashed_acceptors),
        list(&o.crashed_proposers)
    )?;
    if let Some(d) = &o.random_crashes {
        writeln!(
            out,
            "random crash plan (drawn from seed {}): acceptors {}; proposers {}",
            o.seed,
            list(&d.acceptors),
            list(&d.proposers)
        )?;
    }
    if !o.stalled_proposers.is_empty() {
        writeln!(
            out,
            "stalled proposers (j@k:MS: paused MS ms after k steps, on every instance): {}",
            o.stalled_proposers.join(", ")
        )?;
    }
    if r.instances == 1 {
        match r.decisions.iter().position(|&d| d == 1) {
            Some(v) => writeln!(out, "decision: t{v}'s value")?,
            None if r.disagreements > 0 => {
                writeln!(out, "DISAGREEMENT: proposers decided differently")?
            }
            None => writeln!(out, "no proposer decided")?,
        }
    } else {
        writeln!(
            out,
            "{} instances; decisions by whose value won: {:?}",
            r.instances, r.decisions
        )?;
    }
    // Narrow: who decided and at what cost; --wide: prepares and accepts too.
    let mut t = super::table(wide);
    let mut header =
        vec!["proposer", "decided", "crashed", "no quorum", "fast path", "ballots", "nacks"];
    if wide {
        header.extend(["prepares", "accepts"]);
    }
    header.push("acceptor RMWs");
    t.set_header(header);
    let n = |x: usize| super::thousands(x as f64, 0);
    for (j, p) in r.proposers.iter().enumerate() {
        let mut cells = vec![
            format!("t{j}"),
            n(p.decided),
            n(p.crashed),
            n(p.no_quorum),
            n(p.fast_path),
            n(p.attempts),
            n(p.nacks),
        ];
        if wide {
            cells.extend([n(p.prepares), n(p.accepts)]);
        }
        cells.push(n(p.rmws));
        t.add_row(cells);
    }
    writeln!(out, "{t}")?;
    if let (Some(steps), Some(rmws)) = (o.steps_per_decision, o.rmws_per_decision) {
        writeln!(
            out,
            "per decision: {:.2} acceptor operations (prepares + accepts), {:.2} acceptor read-modify-writes{}",
            steps,
            rmws,
            if o.acceptor_kind == "mutex" { " (a lock and an unlock each)" } else { " (CAS attempts)" }
        )?;
    } else {
        writeln!(out, "per decision: nothing was decided")?;
    }
    writeln!(
        out,
        "time: {} ms for the racing phase ({} ns per instance)",
        super::thousands(r.elapsed.as_secs_f64() * 1e3, 2),
        super::thousands(r.elapsed.as_nanos() as f64 / r.instances as f64, 0)
    )?;
    if r.disagreements > 0 {
        writeln!(out, "AGREEMENT VIOLATED on {} instances", r.disagreements)?;
    } else if r.decided() == 0 {
        writeln!(out, "agreement: not tested (nothing was decided)")?;
    } else {
        writeln!(
            out,
            "agreement: every proposer that decided, decided the same value, on every instance"
        )?;
    }
    for e in &r.errors {
        writeln!(out, "error: {e}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::tests::run_cli;

    #[test]
    fn the_issue_scenario_decides() {
        let (code, out, err) = run_cli(&[
            "paxos",
            "--acceptors",
            "5",
            "--proposers",
            "4",
            "--crash-acceptor",
            "0",
            "--crash-acceptor",
            "3",
            "--crash-proposer",
            "1@2",
        ]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("decision: t"), "{out}");
        assert!(out.contains("agreement: every proposer"), "{out}");
    }

    #[test]
    fn three_of_five_crashed_is_no_quorum_with_a_clear_message() {
        let (code, _, err) = run_cli(&[
            "paxos",
            "--acceptors",
            "5",
            "--crash-acceptor",
            "0",
            "--crash-acceptor",
            "1",
            "--crash-acceptor",
            "2",
        ]);
        assert_eq!(code, crate::EXIT_NO_QUORUM, "{err}");
        assert!(err.contains("no quorum") && err.contains("majority of 3"), "{err}");
        assert_eq!(err.lines().count(), 1);
    }

    #[test]
    fn bad_plans_are_one_line_errors() {
        for args in [
            &["paxos", "--acceptors", "4"][..],
            &["paxos", "--crash-acceptor", "7"],
            &["paxos", "--crash-proposer", "5@1"],
            &["paxos", "--crash-acceptor", "1", "--crash-acceptor", "1@3"],
            &["paxos", "--stall-proposer", "2@2:5"],
            &["paxos", "--stall-proposer", "1@2:60000", "--instances", "11"],
        ] {
            let (code, _, err) = run_cli(args);
            assert_eq!(code, 2, "{args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        }
        // A plan clap cannot parse: clap's rendering, with the parser's reason.
        let (code, _, err) = run_cli(&["paxos", "--crash-acceptor", "x@1"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("'x@1' is not a crash point"), "{err}");
        let (code, _, err) = run_cli(&["paxos", "--stall-proposer", "1@2"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("'1@2' is not a stall point"), "{err}");
    }

    #[test]
    fn a_stalled_proposer_still_decides_and_is_listed() {
        let (code, out, err) = run_cli(&["paxos", "--stall-proposer", "1@2:5"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("stalled proposers") && out.contains("1@2:5"), "{out}");
        assert!(out.contains("agreement: every proposer"), "{out}");
    }

    #[test]
    fn the_fast_path_costs_two_rmws_with_three_acceptors() {
        let (code, out, _) =
            run_cli(&["paxos", "--proposers", "1", "--instances", "100", "--format", "json"]);
        assert_eq!(code, 0);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["rmws_per_decision"], 2.0);
        let (_, out, _) = run_cli(&[
            "paxos",
            "--proposers",
            "1",
            "--instances",
            "100",
            "--no-fast-path",
            "--format",
            "json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["rmws_per_decision"], 4.0);
    }

    #[test]
    fn every_proposer_crashed_is_inconclusive() {
        let (code, out, err) =
            run_cli(&["paxos", "--crash-proposer", "0", "--crash-proposer", "1"]);
        assert_eq!(code, crate::EXIT_INCONCLUSIVE, "{out}{err}");
        assert!(err.contains("no proposer alive: nothing decided"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(out.contains("agreement: not tested") && !out.contains("every proposer that"));
        let (_, out, _) = run_cli(&[
            "paxos",
            "--crash-proposer",
            "0",
            "--crash-proposer",
            "1",
            "--format",
            "json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v["rmws_per_decision"].is_null() && v["steps_per_decision"].is_null(), "{v}");
        assert_eq!(v["no_proposer_alive"], true);
        assert_eq!(v["acceptors"], 3);
        assert!(v["seed"].is_u64(), "a random seed is still reported: {v}");
        let (_, out, _) = run_cli(&["paxos", "--seed", "42", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["seed"], 42);
        let (_, out, _) = run_cli(&["paxos", "--seed", "42"]);
        assert!(out.contains("seed: 42 ") && out.contains("--seed 42 replays"), "{out}");
    }

    #[test]
    fn a_random_crash_plan_is_printed_and_replayed_by_its_seed() {
        let args = [
            "paxos",
            "--acceptors",
            "5",
            "--proposers",
            "3",
            "--crash-acceptor",
            "4",
            "--random-acceptor-crashes",
            "2",
            "--random-proposer-crashes",
            "1",
            "--seed",
            "9",
        ];
        let plan =
            |out: &str| out.lines().find(|l| l.starts_with("random crash plan")).map(String::from);
        let (code, out, err) = run_cli(&args);
        // 3 of 5 acceptors crash (4 and two drawn): no quorum if they crash
        // early, else a decision.
        assert!([0, crate::EXIT_NO_QUORUM, crate::EXIT_INCONCLUSIVE].contains(&code), "{out}{err}");
        let first = plan(&out).expect("the drawn plan is printed");
        assert!(first.starts_with("random crash plan (drawn from seed 9): acceptors "), "{first}");
        assert!(out.contains("seed: 9 (the randomized backoff's draws and the random crash plan"));
        let (_, again, _) = run_cli(&args);
        assert_eq!(plan(&again), Some(first), "the same seed, the same plan");
        let (_, out, _) = run_cli(&[&args[..], &["--format", "json"]].concat());
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let drawn = &v["random_crashes"];
        assert_eq!(drawn["acceptors"].as_array().unwrap().len(), 2, "{v}");
        assert_eq!(drawn["proposers"].as_array().unwrap().len(), 1, "{v}");
        assert_eq!(v["crashed_acceptors"].as_array().unwrap().len(), 3, "4 and the two drawn");
        assert!(!drawn["acceptors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().starts_with("4@")));
        // Other seeds draw other plans.
        let plans: std::collections::HashSet<String> = (0..8)
            .map(|s| {
                let seed = s.to_string();
                let (_, out, _) =
                    run_cli(&[&args[..12], &[seed.as_str(), "--format", "json"]].concat());
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                v["random_crashes"].to_string()
            })
            .collect();
        assert!(plans.len() > 1, "{plans:?}");
        let (_, out, _) = run_cli(&["paxos", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v["random_crashes"].is_null(), "none asked for: {v}");
    }
}
