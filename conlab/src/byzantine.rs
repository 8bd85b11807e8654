//! `conlab byzantine`: runs of a Byzantine protocol on real threads, each
//! judged for agreement and validity among the honest replicas; with
//! decisions per second and signature operations per decision, beside
//! crash-only Paxos measured in the same run (2f + 1 acceptors, as many
//! proposers, as many instances: what tolerating f crashes instead of f
//! Byzantine replicas costs).
//!
//! The Byzantine replicas are the first `--byzantine` replicas (replica 0 is
//! the primary of view 0: the hardest place for a liar). `--strategy random`
//! draws one per run from the seed. Exit codes: [`EXIT_VIOLATION`] on any
//! violation; [`EXIT_INCONCLUSIVE`] if no run had every honest replica decide;
//! bad configurations (f too large for n, an unknown strategy) are one line
//! before any work.

use super::{Format, Machine, EXIT_INCONCLUSIVE, EXIT_OK, EXIT_VIOLATION};
use consensus_lab::byzantine::{Behaviour, Byzantine, Config, Protocol};
use consensus_lab::check::byzantine::stress::{stress, StressFailure, StressReport};
use consensus_lab::paxos::{FaultPlan, PackedAcceptor, PaxosConfig};
use std::io::Write;

/// Arguments of `conlab byzantine`.
#[derive(Debug, clap::Args)]
pub struct ByzantineArgs {
    /// The protocol: pbft (mailboxes, n ≥ 3f+1) or swmr (single-writer
    /// logs, n ≥ 2f+1).
    #[arg(long, default_value = "pbft")]
    pub model: String,
    /// Replicas, one thread each.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(2..=64))]
    pub replicas: u32,
    /// Byzantine replicas (the first ones); the protocol is configured to
    /// tolerate exactly this many (f).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=64))]
    pub byzantine: u32,
    /// What the Byzantine replicas do: silent, equivocate, split, lie, replay,
    /// forge, crash@K, or random (one drawn per run from the seed).
    #[arg(long, default_value = "equivocate")]
    pub strategy: String,
    /// Instances to run.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub runs: u64,
    /// Seed of the random strategies (default: a random one, printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Polls without news before a replica leaves view 0 (doubled per view).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub patience: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(serde::Serialize)]
struct Output {
    machine: Machine,
    model: Protocol,
    replicas: usize,
    f: usize,
    strategy: String,
    seed: u64,
    verdict: &'static str,
    violation: Option<String>,
    report: Option<StressReport>,
    decisions_per_second: Option<f64>,
    sig_ops_per_decision: Option<f64>,
    /// Crash-only Paxos in the same run, for comparison.
    paxos: Option<PaxosBaseline>,
}

/// Crash-only Paxos tolerating the same f (crashes): 2f + 1 acceptors and
/// proposers, the same number of instances, no faults.
#[derive(serde::Serialize)]
struct PaxosBaseline {
    acceptors: usize,
    proposers: usize,
    instances: usize,
    decisions: usize,
    decisions_per_second: f64,
    acceptor_rmws_per_decision: f64,
}

fn paxos_baseline(f: usize, instances: usize) -> Result<PaxosBaseline, Box<dyn std::error::Error>> {
    let n = 2 * f + 1;
    let cfg = PaxosConfig { acceptors: n, ..PaxosConfig::new(n) };
    let r = consensus_lab::paxos::run::run::<PackedAcceptor>(&cfg, instances, 64, |_| {
        FaultPlan::none()
    })?;
    let decisions = r.decided();
    let rmws: usize = r.proposers.iter().map(|p| p.rmws).sum();
    Ok(PaxosBaseline {
        acceptors: n,
        proposers: n,
        instances,
        decisions,
        decisions_per_second: decisions as f64 / r.elapsed.as_secs_f64().max(1e-9),
        acceptor_rmws_per_decision: rmws as f64 / decisions.max(1) as f64,
    })
}

/// Refuses what cannot run, before any work.
fn check(a: &ByzantineArgs) -> Result<(Config, Option<FaultPlan>), String> {
    let protocol: Protocol = a.model.parse()?;
    let (n, f) = (a.replicas as usize, a.byzantine as usize);
    let cfg = Config {
        patience: usize::try_from(a.patience).map_err(|e| e.to_string())?,
        ..Config::new(protocol, n, f)
    };
    let plan = if a.strategy == "random" {
        None
    } else {
        let behaviour: Behaviour = a.strategy.parse()?;
        let byzantine = (0..f).map(|who| Byzantine { who, behaviour }).collect();
        Some(FaultPlan { byzantine, ..FaultPlan::default() })
    };
    cfg.validate(plan.as_ref().unwrap_or(&FaultPlan::default()))?;
    Ok((cfg, plan))
}

pub(super) fn byzantine(
    a: &ByzantineArgs,
    out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    let (cfg, plan) = check(a)?;
    let seed = super::seed_or_random(a.seed);
    let machine = Machine::here();
    let result = stress(cfg, plan.as_ref(), a.runs, seed);
    let (verdict, code) = match &result {
        Err(_) => ("violation", EXIT_VIOLATION),
        Ok(r) if r.all_decided == 0 => ("inconclusive", EXIT_INCONCLUSIVE),
        Ok(_) => ("ok", EXIT_OK),
    };
    let (report, violation) = match result {
        Ok(r) => (Some(r), None),
        Err(e) => match *e {
            StressFailure::Refused(e) => return Err(e.into()),
            v => (None, Some(v.to_string())),
        },
    };
    let o = Output {
        machine,
        model: cfg.protocol,
        replicas: cfg.replicas,
        f: cfg.f,
        strategy: a.strategy.clone(),
        seed,
        verdict,
        violation,
        decisions_per_second: report.as_ref().map(StressReport::decisions_per_sec),
        sig_ops_per_decision: report.as_ref().map(StressReport::sig_ops_per_decision),
        report,
        paxos: Some(paxos_baseline(cfg.f, usize::try_from(a.runs)?)?),
    };
    match a.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&o)?)?,
        Format::Text => text(&o, out)?,
    }
    Ok(code)
}

fn text(o: &Output, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "conlab byzantine: {}, {} replicas tolerating f = {} (quorums of {}), Byzantine: {}",
        o.model,
        o.replicas,
        o.f,
        o.replicas - o.f,
        if o.f == 0 { "none".to_string() } else { format!("r0..r{} {}", o.f - 1, o.strategy) }
    )?;
    writeln!(out, "{}", super::describe_seed(o.seed, "the random strategies"))?;
    writeln!(
        out,
        "machine: {}, {} cores, load {}",
        o.machine.cpu,
        o.machine.cores,
        o.machine.load.map_or("?".into(), |l| format!("{l:.2}"))
    )?;
    if let Some(v) = &o.violation {
        return writeln!(out, "verdict: VIOLATION: {v}");
    }
    let Some(r) = &o.report else { return Ok(()) };
    match o.verdict {
        "inconclusive" => writeln!(
            out,
            "verdict: INCONCLUSIVE: no violation, but no run had every honest replica decide \
             (raise --patience)"
        )?,
        _ => writeln!(
            out,
            "verdict: OK: agreement and validity held among the honest replicas in every run"
        )?,
    }
    writeln!(
        out,
        "runs: {} ({} with every honest replica decided, {} deciding after a view change)",
        r.runs, r.all_decided, r.view_changes
    )?;
    writeln!(
        out,
        "honest decisions: {} in {:.3} s: {:.0} decisions/s",
        r.decisions,
        r.elapsed.as_secs_f64(),
        r.decisions_per_sec()
    )?;
    writeln!(
        out,
        "signature operations (MACs made and checked) per decision: {:.1}; records rejected: {}",
        r.sig_ops_per_decision(),
        r.rejected
    )?;
    if let Some(p) = &o.paxos {
        writeln!(
            out,
            "beside crash-only Paxos, this run (f = {} crashes: {} acceptors, {} proposers, {} instances, \
             no faults): {:.0} decisions/s, 0 signature operations, {:.2} acceptor RMWs per decision",
            o.f,
            p.acceptors,
            p.proposers,
            p.instances,
            p.decisions_per_second,
            p.acceptor_rmws_per_decision
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        a: ByzantineArgs,
    }

    fn args(s: &[&str]) -> ByzantineArgs {
        Cli::parse_from(std::iter::once("conlab").chain(s.iter().copied())).a
    }

    #[test]
    fn bad_configurations_are_refused_in_one_line() {
        let e = check(&args(&["--replicas", "3", "--byzantine", "1"])).unwrap_err();
        assert!(e.contains("f = 1 needs 4 replicas"), "{e}");
        let e = check(&args(&["--strategy", "sneaky"])).unwrap_err();
        assert!(e.contains("unknown Byzantine strategy 'sneaky'"), "{e}");
        let e = check(&args(&["--model", "raft"])).unwrap_err();
        assert!(e.contains("unknown model"), "{e}");
        assert!(check(&args(&["--model", "swmr", "--replicas", "3"])).is_ok());
    }

    #[test]
    fn a_run_reports_a_verdict_and_the_costs() {
        let a = args(&["--runs", "5", "--seed", "1", "--strategy", "random"]);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = byzantine(&a, &mut out, &mut err).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(code, EXIT_OK, "{text}");
        assert!(text.contains("verdict: OK"), "{text}");
        assert!(text.contains("per decision"), "{text}");
        assert!(text.contains("beside crash-only Paxos") && text.contains("3 acceptors"), "{text}");
    }
}
