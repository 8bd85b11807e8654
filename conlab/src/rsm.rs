//! `conlab rsm`: a replicated object (Herlihy's universal construction over
//! consensus slots from the registry) driven on real threads, then judged:
//! linearizability of the whole client history, log agreement, the wait-free
//! step bound; with its throughput, helped operations and cells per operation.
//!
//! Slots come from the registry: [`registry::find`], then [`Entry::visit`]
//! hands over the protocol's type `P`, every cell of the log is a fresh
//! [`protocol::make`]`::<P>`, and the object's spec type comes from
//! [`RsmObject::visit`]: the measured loop is monomorphized code over the
//! spec, the slot protocol and the rule, no call through a vtable.
//!
//! `--impl multi-paxos` replicates the object over Multi-Paxos instead
//! (`consensus_lab::rsm::multi_paxos`, its flags and figures in
//! [`multi_paxos`]): no slot protocol, `--acceptors` acceptor registers,
//! leader and acceptor crashes; with more than f acceptors crashed the run
//! ends with [`EXIT_NO_QUORUM`](super::EXIT_NO_QUORUM). `--impl zab` does
//! the same over Zab ([`zab`]; `--acceptors` counts its followers).
//! `--impl epaxos` replicates it over EPaxos ([`epaxos`]): no leader,
//! `--replicas` replicas, replica crashes and command leader faults (the
//! leader flags, a command leader's instances for slots), the conflict-rate
//! workload (`--conflict p`, the key-value map); its replicas agree on the
//! order of every conflicting pair, judged by the partial-order judge.
//!
//! Exit codes: [`EXIT_VIOLATION`] if the run violated a property, else
//! [`EXIT_INCONCLUSIVE`] if it tested nothing concurrent (no two operations
//! overlapped: 1 thread, or threads that took turns) or the checker could not
//! decide the history within its budget, else 0. Every refusal (names,
//! counts, sizes, a slot protocol that serves fewer threads, a broken one) is
//! one line before any work.

mod epaxos;
mod multi_paxos;
mod zab;

use super::{Format, Machine, EXIT_INCONCLUSIVE, EXIT_NO_QUORUM, EXIT_OK, EXIT_VIOLATION};
use consensus_lab::check::replicated::stress::{StressFailure, StressReport};
use consensus_lab::check::replicated::workload::{
    self, ObjectWorkload, RsmObject, VisitObject, WorkloadError, MAX_OPS,
};
use consensus_lab::check::replicated::RsmViolation;
use consensus_lab::consensus::protocol::{self, Params, Protocol};
use consensus_lab::registry::{self, Entry, Visit};
use consensus_lab::rsm::universal::{Helping, NoHelping, Rules};
use consensus_lab::rsm::{RsmError, RsmProgress};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// The construction's proposal rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Impl {
    /// Herlihy's helping rule: wait-free with wait-free slots (n + 1 cells
    /// per operation).
    Universal,
    /// No helping, every client proposes its own operation: lock-free.
    UniversalLockFree,
    /// Multi-Paxos: a leader, acceptor registers, recovery (blocking).
    MultiPaxos,
    /// Zab: a leader, follower regions, epochs, recovery (blocking).
    Zab,
    /// EPaxos: leaderless, replica regions, dependency-tracked commands
    /// (blocking).
    Epaxos,
}

impl Impl {
    fn name(self) -> &'static str {
        match self {
            Impl::Universal => Helping::NAME,
            Impl::UniversalLockFree => NoHelping::NAME,
            Impl::MultiPaxos => "multi-paxos",
            Impl::Zab => "zab",
            Impl::Epaxos => "epaxos",
        }
    }
}

/// Arguments of `conlab rsm`.
#[derive(Debug, clap::Args)]
pub struct RsmArgs {
    /// The construction: `universal` (helping: wait-free),
    /// `universal-lock-free` (no helping), `multi-paxos` (a leader over
    /// acceptor registers: blocking), `zab` (a leader over follower
    /// regions: blocking) or `epaxos` (leaderless over replica regions:
    /// blocking).
    #[arg(long = "impl", value_name = "IMPL", value_enum, default_value_t = Impl::Universal)]
    pub implementation: Impl,
    /// The consensus protocol of every log cell: any correct protocol of
    /// `conlab list` that serves --threads threads (cas: any number;
    /// assignment-3: 3; test-and-set, swap, fetch-and-add, queue: 2).
    /// Default cas; not for multi-paxos.
    #[arg(long)]
    pub slots: Option<String>,
    /// The replicated object: counter, register, queue, stack, kv.
    #[arg(long, default_value = "queue")]
    pub object: String,
    /// Clients, one thread each (`--clients` is the same).
    #[arg(long, short, visible_alias = "clients", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: u32,
    /// Operations in all, split evenly over the threads (a remainder is
    /// dropped); the log's capacity. At most 10,000,000. Up to 20,000 the
    /// linearizability checker also searches the history; beyond, the log's
    /// certificate decides (its order respects real time and its replay
    /// gives every return value), and the report says so.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=MAX_OPS as u64))]
    pub ops: u64,
    /// Seed of the operation mix (default: a random one, printed and
    /// exported). The same seed replays the same operations; the interleaving
    /// is the real cores'.
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub multi_paxos: multi_paxos::MultiPaxosArgs,
    #[command(flatten)]
    pub epaxos: epaxos::EpaxosArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output (`-`: standard
    /// output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// What one property's check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
enum Found {
    Yes,
    /// Linearizable by the log's certificate alone (its order respects real
    /// time and its replay gives every return value): the history was too
    /// long for the checker's search.
    Certified,
    No,
    Undecided,
    NotChecked,
}

// The text of `Found::Certified` names the search limit.
const _: () = assert!(consensus_lab::check::replicated::SEARCH_LIMIT == 20_000);

impl Found {
    /// As [`text`](Self::text); `partial`: the object orders only
    /// conflicting operations (EPaxos), its certificate is the partial-order
    /// judge's.
    fn text_for(self, partial: bool) -> &'static str {
        match self {
            Found::Certified if partial => {
                "yes, certified by the partial-order certificate (an order keeping every \
                 conflicting pair's, respecting real time, whose replay gives every return \
                 value; the search runs up to 20,000 operations)"
            }
            _ => self.text(),
        }
    }

    fn text(self) -> &'static str {
        match self {
            Found::Yes => "yes",
            Found::Certified => {
                "yes, certified by the log (its order respects real time, its replay gives \
                 every return value; the search runs up to 20,000 operations)"
            }
            Found::No => "NO",
            Found::Undecided => "UNDECIDED",
            Found::NotChecked => "not checked",
        }
    }
}

/// The verdict of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
enum Verdict {
    Ok,
    Violation,
    Inconclusive,
    /// More than f acceptors crashed: nothing could be chosen.
    NoQuorum,
}

/// The JSON report (units in the field names).
#[derive(serde::Serialize)]
struct Output {
    machine: Machine,
    #[serde(rename = "impl")]
    implementation: &'static str,
    /// The slot protocol (the universal construction; none for multi-paxos).
    slots: Option<&'static str>,
    /// What the log runs over, for the text report.
    #[serde(skip)]
    over: String,
    object: RsmObject,
    threads: usize,
    oversubscribed: bool,
    ops_requested: usize,
    ops_per_client: usize,
    capacity_cells: usize,
    seed: u64,
    verdict: Verdict,
    linearizable: Found,
    log_agreement: Found,
    step_bound: Found,
    /// The protocol's own properties and what their checks found (Zab's six;
    /// empty for the others).
    properties: Vec<(&'static str, Found)>,
    /// The claimed guarantee (absent after a violation).
    progress: Option<RsmProgress>,
    /// The bound on cells per operation, if wait-free.
    bound_cells_per_op: Option<usize>,
    /// Why the run is inconclusive, if it is.
    inconclusive: Option<String>,
    /// The violation and its evidence, if any.
    violation: Option<String>,
    /// The run's figures (absent after a violation).
    report: Option<StressReport>,
    ops_per_second: Option<f64>,
    ns_per_op: Option<f64>,
    /// SeqCst fetch&adds on the one shared clock word in every operation's
    /// time (its call and return stamps).
    clock_fetch_adds_per_op: u32,
    /// Multi-Paxos's figures (`--impl multi-paxos`).
    multi_paxos: Option<multi_paxos::Figures>,
    /// Zab's figures (`--impl zab`).
    zab: Option<zab::Figures>,
    /// EPaxos's figures (`--impl epaxos`).
    epaxos: Option<epaxos::Figures>,
}

/// Refuses what the run cannot do, before any work; returns the slots' entry
/// and the object.
fn check(args: &RsmArgs) -> Result<(Option<Entry>, RsmObject), String> {
    let object: RsmObject =
        args.object.parse().map_err(|e: workload::UnknownObject| e.to_string())?;
    let threads = args.threads as usize;
    let ops = usize::try_from(args.ops).map_err(|e| e.to_string())?;
    let size = |e: RsmError| match e {
        RsmError::InvalidConfig(why) => format!("--ops {ops} with --threads {threads}: {why}"),
        other => other.to_string(),
    };
    if let Some(path) = &args.out {
        super::check_writable("--out", path)?;
    }
    if args.implementation == Impl::Epaxos {
        if args.slots.is_some() {
            return Err("--slots is for the universal construction: epaxos has no slot \
                        protocol (its commands are instances at --replicas replica regions)"
                .into());
        }
        args.epaxos.check(&args.multi_paxos, object, (threads, ops))?;
        workload::check_size(threads, ops).map_err(size)?;
        return Ok((None, object));
    }
    args.epaxos.refuse_for(args.implementation.name())?;
    if matches!(args.implementation, Impl::MultiPaxos | Impl::Zab) {
        if args.implementation == Impl::Zab {
            zab::check(&args.multi_paxos)?;
        }
        if args.slots.is_some() {
            return Err("--slots is for the universal construction: multi-paxos has no slot \
                        protocol (its log is Paxos over --acceptors acceptor registers)"
                .into());
        }
        args.multi_paxos.check(ops)?;
        workload::check_size(threads, ops).map_err(size)?;
        return Ok((None, object));
    }
    args.multi_paxos.refuse_for(args.implementation.name())?;
    let slots = args.slots.as_deref().unwrap_or("cas");
    let correct: Vec<&str> = registry::PROTOCOLS
        .iter()
        .filter(|e| e.info().broken.is_none())
        .map(|e| e.info().name)
        .collect();
    let entry = registry::find(slots).ok_or_else(|| {
        format!("unknown slot protocol '{slots}' (correct ones: {})", correct.join(", "))
    })?;
    let info = entry.info();
    if let Some(b) = info.broken {
        return Err(format!(
            "--slots {} is broken on purpose ({}): the log's cells need a correct consensus \
             protocol ({})",
            info.name,
            b.flaw,
            correct.join(", ")
        ));
    }
    if !info.threads.allows(threads) {
        return Err(format!(
            "--slots {} serves {}, not {threads} (its object has consensus number {}): other \
             --threads, or slots that serve more (cas serves any number)",
            info.name, info.threads, info.consensus_number
        ));
    }
    entry.check(&Params::threads(threads)).map_err(|e| format!("--slots {}: {e}", info.name))?;
    workload::check_size(threads, ops).map_err(size)?;
    Ok((Some(entry), object))
}

type Outcome = Result<Result<StressReport, StressFailure>, WorkloadError>;

/// The run, once the slot protocol's type is known.
struct WithSlots {
    implementation: Impl,
    object: RsmObject,
    threads: usize,
    ops: usize,
    seed: u64,
}

impl Visit for WithSlots {
    type Output = Outcome;
    fn visit<P: Protocol>(self) -> Outcome {
        match self.implementation {
            Impl::Universal => self.object.visit(WithObject::<P, Helping>::new(&self)),
            Impl::UniversalLockFree => self.object.visit(WithObject::<P, NoHelping>::new(&self)),
            Impl::MultiPaxos | Impl::Zab | Impl::Epaxos => {
                unreachable!(
                    "multi-paxos, zab and epaxos have no slot protocol (dispatched in rsm)"
                )
            }
        }
    }
}

/// The run, once the slot protocol's type and the rule are known.
struct WithObject<P, R> {
    threads: usize,
    ops: usize,
    seed: u64,
    _types: std::marker::PhantomData<fn() -> (P, R)>,
}

impl<P, R> WithObject<P, R> {
    fn new(w: &WithSlots) -> Self {
        WithObject {
            threads: w.threads,
            ops: w.ops,
            seed: w.seed,
            _types: std::marker::PhantomData,
        }
    }
}

impl<P: Protocol, R: Rules> VisitObject for WithObject<P, R> {
    type Output = Outcome;
    fn visit<S: ObjectWorkload>(self) -> Outcome
    where
        S::Op: Sync,
    {
        let params = Params::threads(self.threads);
        workload::stress::<S, P, R>(self.threads, self.ops, self.seed, || {
            protocol::make::<P>(&params)
        })
    }
}

/// A leader-based implementation's figures for the report.
enum Figures {
    None,
    MultiPaxos(multi_paxos::Figures),
    Zab(zab::Figures),
    Epaxos(epaxos::Figures),
}

pub(super) fn rsm(
    args: &RsmArgs,
    out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    let (entry, object) = check(args)?;
    let threads = args.threads as usize;
    let ops = usize::try_from(args.ops)?;
    let seed = super::seed_or_random(args.seed);
    let machine = Machine::here();
    let slots = entry.map(|e| e.info().name);
    let over = match (slots, args.implementation) {
        (Some(s), _) => format!("{s} slots"),
        (None, Impl::Zab) => zab::describe(&args.multi_paxos),
        (None, Impl::Epaxos) => args.epaxos.describe(),
        (None, _) => args.multi_paxos.describe(),
    };
    let bar = super::progress::bar(1);
    bar.set_message(format!(
        "{} {} over {over}: {} operations by {threads} threads, then the checks",
        args.implementation.name(),
        object,
        super::thousands(ops as f64, 0)
    ));
    bar.enable_steady_tick(Duration::from_millis(200));
    let implementation = args.implementation;
    let outcome = match entry {
        Some(entry) => entry
            .visit(WithSlots { implementation, object, threads, ops, seed })
            .map(|outcome| (outcome, Figures::None)),
        None if implementation == Impl::Epaxos => args
            .epaxos
            .run(&args.multi_paxos, object, threads, ops, seed)
            .map(|(outcome, e)| (outcome, Figures::Epaxos(e))),
        None if implementation == Impl::Zab => {
            zab::run(&args.multi_paxos, object, threads, ops, seed)
                .map(|(outcome, z)| (outcome, Figures::Zab(z)))
        }
        None => args
            .multi_paxos
            .run(object, threads, ops, seed)
            .map(|(outcome, mp)| (outcome, mp.map_or(Figures::None, Figures::MultiPaxos))),
    };
    bar.finish_and_clear();
    let (outcome, figures) = outcome.map_err(|e| refused(implementation, e))?;
    let no_quorum = outcome.as_ref().is_err_and(|f| {
        matches!(&f.violation, RsmViolation::Error { error: RsmError::NoQuorum { .. }, .. })
    });
    let mut o = output(args, (slots, over), object, machine, seed, outcome);
    match figures {
        Figures::MultiPaxos(mp) => o.multi_paxos = Some(mp),
        Figures::Zab(z) => o.zab = Some(z),
        Figures::Epaxos(e) => o.epaxos = Some(e),
        Figures::None => {}
    }
    if no_quorum {
        o.verdict = Verdict::NoQuorum;
    }
    let text = match args.format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&o)?),
        Format::Text => {
            let mut text = Vec::new();
            write_text(&o, &mut text)?;
            super::fit(&text, false)
        }
    };
    match &args.out {
        Some(path) => super::write_to(path, text.as_bytes(), out)?,
        None => out.write_all(text.as_bytes())?,
    }
    Ok(match o.verdict {
        Verdict::Ok => EXIT_OK,
        Verdict::Violation => EXIT_VIOLATION,
        Verdict::Inconclusive => EXIT_INCONCLUSIVE,
        Verdict::NoQuorum => EXIT_NO_QUORUM,
    })
}

/// A run the object refused to be built for (its constructor's
/// [`RsmError::InvalidConfig`]: for epaxos, the one place a replica count
/// or a fault plan is refused), in the command's words; any other error as
/// it is.
fn refused(implementation: Impl, e: WorkloadError) -> Box<dyn std::error::Error> {
    match e {
        WorkloadError::Build(RsmError::InvalidConfig(why)) => {
            format!("--impl {} refuses this run: {why}", implementation.name()).into()
        }
        other => other.into(),
    }
}

/// At most this many lines of a violation's evidence are printed.
const EXCERPT_LINES: usize = 20;

fn excerpt(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    if lines.len() <= EXCERPT_LINES {
        return s.to_string();
    }
    format!(
        "{}\n  ... ({} more lines)",
        lines[..EXCERPT_LINES].join("\n"),
        lines.len() - EXCERPT_LINES
    )
}

fn output(
    args: &RsmArgs,
    (slots, over): (Option<&'static str>, String),
    object: RsmObject,
    machine: Machine,
    seed: u64,
    outcome: Result<StressReport, StressFailure>,
) -> Output {
    let threads = args.threads as usize;
    let ops = args.ops as usize;
    let oversubscribed = threads > machine.cores;
    let mut o = Output {
        machine,
        implementation: args.implementation.name(),
        slots,
        over,
        object,
        threads,
        oversubscribed,
        ops_requested: ops,
        ops_per_client: ops / threads,
        capacity_cells: ops,
        seed,
        verdict: Verdict::Ok,
        linearizable: Found::Yes,
        log_agreement: Found::Yes,
        step_bound: Found::Yes,
        properties: Vec::new(),
        progress: None,
        bound_cells_per_op: None,
        inconclusive: None,
        violation: None,
        report: None,
        ops_per_second: None,
        ns_per_op: None,
        clock_fetch_adds_per_op: 2,
        multi_paxos: None,
        zab: None,
        epaxos: None,
    };
    let (held, failed): (&[&'static str], Vec<&'static str>) = match &outcome {
        Ok(r) => (&r.properties, Vec::new()),
        Err(f) => match &f.violation {
            RsmViolation::Property { property, also, .. } => {
                (&f.properties, std::iter::once(*property).chain(also.iter().copied()).collect())
            }
            _ => (&f.properties, Vec::new()),
        },
    };
    if !held.is_empty() || !failed.is_empty() {
        o.properties = consensus_lab::check::replicated::zab_properties::PROPERTIES
            .iter()
            .map(|&p| {
                let found = if failed.contains(&p) {
                    Found::No
                } else if held.contains(&p) || !failed.is_empty() {
                    Found::Yes
                } else {
                    Found::NotChecked
                };
                (p, found)
            })
            .collect();
    }
    match outcome {
        Ok(r) => {
            o.progress = Some(r.progress);
            if !r.searched {
                o.linearizable = Found::Certified;
            }
            if r.inconclusive() {
                o.verdict = Verdict::Inconclusive;
                o.inconclusive = Some(if threads < 2 {
                    "1 thread: no two operations could overlap, only the sequential \
                     specification was tested"
                        .into()
                } else {
                    format!(
                        "no two operations of the {threads} threads overlapped (they took \
                         turns): only the sequential specification was tested"
                    )
                });
            }
            o.ops_per_second = Some(r.ops as f64 / r.elapsed.as_secs_f64().max(1e-9));
            o.ns_per_op = Some(r.ns_per_op());
            o.report = Some(r);
        }
        Err(f) => {
            let (lin, log, bound) = match &f.violation {
                RsmViolation::Error { .. } => {
                    (Found::NotChecked, Found::NotChecked, Found::NotChecked)
                }
                RsmViolation::NotLinearizable(_) => {
                    (Found::No, Found::NotChecked, Found::NotChecked)
                }
                RsmViolation::Undecided(_) => {
                    (Found::Undecided, Found::NotChecked, Found::NotChecked)
                }
                RsmViolation::Log(_) => (Found::Yes, Found::No, Found::NotChecked),
                RsmViolation::Property { .. } => {
                    (Found::NotChecked, Found::NotChecked, Found::NotChecked)
                }
                RsmViolation::StepBound { bound, .. } => {
                    o.bound_cells_per_op = Some(*bound);
                    (Found::Yes, Found::Yes, Found::No)
                }
                _ => (Found::NotChecked, Found::NotChecked, Found::NotChecked),
            };
            (o.linearizable, o.log_agreement, o.step_bound) = (lin, log, bound);
            if lin == Found::Undecided {
                o.verdict = Verdict::Inconclusive;
                o.inconclusive = Some(format!(
                    "the linearizability checker could not decide the history of {} operations \
                     within its budget: {}",
                    f.ops, f.violation
                ));
            } else {
                o.verdict = Verdict::Violation;
                o.violation = Some(excerpt(&f.to_string()));
            }
        }
    }
    if let Some(RsmProgress::WaitFree { cells }) = o.progress {
        o.bound_cells_per_op = Some(cells);
    }
    if o.report.is_some() && o.bound_cells_per_op.is_none() {
        // Lock-free, obstruction-free or blocking: no bound to check.
        o.step_bound = Found::NotChecked;
    }
    o
}

fn write_text(o: &Output, out: &mut dyn Write) -> std::io::Result<()> {
    let n = |x: f64| super::thousands(x, 0);
    writeln!(out, "machine: {}", o.machine)?;
    writeln!(out, "{}", super::describe_seed(o.seed, "the operation mix of every client"))?;
    if o.oversubscribed {
        writeln!(
            out,
            "{} threads on {} cores: OVERSUBSCRIBED (threads take turns; operations overlap at \
             preemptions)",
            o.threads, o.machine.cores
        )?;
    } else {
        writeln!(out, "{} threads on {} cores", o.threads, o.machine.cores)?;
    }
    let dropped = o.ops_requested - o.ops_per_client * o.threads;
    writeln!(
        out,
        "{} {} over {}: {} operations, {} per client{}; log capacity {} cells",
        o.implementation,
        o.object,
        o.over,
        n((o.ops_per_client * o.threads) as f64),
        n(o.ops_per_client as f64),
        if dropped > 0 { format!(" ({dropped} dropped to split evenly)") } else { String::new() },
        n(o.capacity_cells as f64)
    )?;
    let check_ms = o.report.as_ref().map(|r| r.check.as_secs_f64() * 1e3);
    let partial = o.implementation == Impl::Epaxos.name();
    writeln!(
        out,
        "linearizable: {}; {}: {}; step bound: {}{}",
        o.linearizable.text_for(partial),
        if partial { "conflict order agreement" } else { "log agreement" },
        o.log_agreement.text(),
        o.step_bound.text(),
        check_ms
            .map_or(String::new(), |ms| format!(" (checked in {} ms)", super::thousands(ms, 1)))
    )?;
    if !o.properties.is_empty() {
        let each: Vec<String> =
            o.properties.iter().map(|(p, found)| format!("{p}: {}", found.text())).collect();
        writeln!(out, "Zab's properties (DSN 2011, on the ghost record): {}", each.join("; "))?;
    }
    if let (Some(r), Some(ops_s), Some(ns)) = (&o.report, o.ops_per_second, o.ns_per_op) {
        writeln!(
            out,
            "throughput: {} ops/s, {} ns/op (all clients together, {} ms wall time; every \
             operation's time includes {} SeqCst fetch&adds on one shared clock word, its \
             call and return stamps)",
            n(ops_s),
            super::thousands(ns, 1),
            super::thousands(r.elapsed.as_secs_f64() * 1e3, 1),
            o.clock_fetch_adds_per_op
        )?;
        let l = &r.latency;
        writeln!(
            out,
            "latency per submit: p50 {} ns, p99 {} ns, max {} ns ({} submits, each timed \
             call to return, its clock stamps included; HdrHistogram, 3 significant digits)",
            n(l.p50_ns as f64),
            n(l.p99_ns as f64),
            n(l.max_ns as f64),
            n(l.samples as f64)
        )?;
        writeln!(
            out,
            "helped: {} operations put in the log by another client's proposal",
            n(r.helped as f64)
        )?;
        let cells: Vec<String> = r.max_cells.iter().map(|c| c.to_string()).collect();
        writeln!(out, "progress claimed: {}", r.progress)?;
        let bound = match o.bound_cells_per_op {
            Some(b) => format!("bound: {b}"),
            None => "no bound claimed".into(),
        };
        writeln!(
            out,
            "most cells one operation entered, per client: {} ({bound})",
            cells.join(" ")
        )?;
        writeln!(out, "log: {} cells decided", n(r.log_len as f64))?;
    }
    if let Some(mp) = &o.multi_paxos {
        mp.write_text(out)?;
    }
    if let Some(z) = &o.zab {
        z.write_text(out)?;
    }
    if let Some(e) = &o.epaxos {
        e.write_text(out)?;
    }
    if let Some(v) = &o.violation {
        if o.verdict == Verdict::NoQuorum {
            writeln!(out, "stopped: {v}")?;
        } else {
            writeln!(out, "VIOLATION: {v}")?;
        }
    }
    match o.verdict {
        Verdict::Ok if partial => writeln!(
            out,
            "OK: the history is linearizable and the replicas order every conflicting pair alike"
        ),
        Verdict::Ok => writeln!(out, "OK: the history is linearizable and the log agrees"),
        Verdict::Violation => writeln!(out, "FAILED: a property was violated (above)"),
        Verdict::Inconclusive => writeln!(
            out,
            "INCONCLUSIVE: {}",
            o.inconclusive.as_deref().unwrap_or("nothing concurrent was tested")
        ),
        Verdict::NoQuorum if partial => writeln!(
            out,
            "NO QUORUM: more than F of the replicas crashed, no command can commit any more"
        ),
        Verdict::NoQuorum => writeln!(
            out,
            "NO QUORUM: more than f of the acceptors crashed, nothing more could be chosen"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::run_cli;
    use clap::Parser;

    fn args(line: &[&str]) -> RsmArgs {
        let cli = crate::Cli::parse_from([&["conlab", "rsm"][..], line].concat());
        match cli.command {
            crate::Command::Rsm(a) => a,
            _ => unreachable!("parsed as rsm"),
        }
    }

    #[test]
    fn a_violation_fails_and_an_undecided_history_is_inconclusive() {
        let a = args(&["--threads", "2", "--ops", "10"]);
        let failure =
            |violation| StressFailure { violation, ops: 10, log_len: 10, properties: Vec::new() };
        let o = |v| {
            output(
                &a,
                (Some("cas"), "cas slots".into()),
                RsmObject::Queue,
                Machine::here(),
                1,
                Err(failure(v)),
            )
        };
        let lin = o(RsmViolation::NotLinearizable("t0#1 Deq returned Some(7) ...".into()));
        assert_eq!((lin.verdict, lin.linearizable), (Verdict::Violation, Found::No));
        let mut text = Vec::new();
        write_text(&lin, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("VIOLATION: not linearizable: t0#1 Deq returned Some(7)"), "{text}");
        assert!(text.contains("FAILED"), "{text}");
        let log = o(RsmViolation::Log("t1#2 returned 3".into()));
        assert_eq!((log.linearizable, log.log_agreement), (Found::Yes, Found::No));
        let bound = o(RsmViolation::StepBound { client: 1, cells: 7, bound: 3 });
        assert_eq!((bound.step_bound, bound.bound_cells_per_op), (Found::No, Some(3)));
        let undecided = o(RsmViolation::Undecided("out of memo".into()));
        assert_eq!(undecided.verdict, Verdict::Inconclusive);
        assert!(undecided.inconclusive.unwrap().contains("could not decide"));
        let long = (0..50).map(|i| format!("line {i}")).collect::<Vec<_>>().join("\n");
        assert!(excerpt(&long).ends_with("... (30 more lines)"));
    }

    #[test]
    fn a_small_run_is_judged_and_reported() {
        let (code, out, err) = run_cli(&["rsm", "--ops", "2000", "--threads", "2", "--seed", "5"]);
        assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE, "{out}{err}");
        assert!(out.contains("universal queue over cas slots: 2,000 operations"), "{out}");
        assert!(out.contains("linearizable: yes; log agreement: yes; step bound: yes"), "{out}");
        assert!(out.contains("(bound: 3)"), "{out}");
        assert!(out.contains("progress claimed: wait-free (≤ 3 cells per operation)"), "{out}");
        assert!(out.contains("seed: 5 (the operation mix"), "{out}");
        assert!(out
            .lines()
            .filter(|l| !l.starts_with("machine:"))
            .all(|l| l.chars().count() <= 80));
    }

    #[test]
    fn one_thread_is_inconclusive() {
        let (code, out, _) = run_cli(&["rsm", "--threads", "1", "--ops", "100"]);
        assert_eq!(code, crate::EXIT_INCONCLUSIVE, "{out}");
        assert!(out.contains("INCONCLUSIVE: 1 thread"), "{out}");
    }

    #[test]
    fn every_object_and_the_lock_free_rule_on_two_slot_kinds() {
        for object in ["counter", "register", "queue", "stack", "kv"] {
            for (imp, slots) in [("universal", "test-and-set"), ("universal-lock-free", "cas")] {
                let args =
                    ["rsm", "--impl", imp, "--slots", slots, "--object", object, "--threads", "2"];
                let (code, out, err) =
                    run_cli(&[&args[..], &["--ops", "600", "--format", "json"]].concat());
                assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE, "{args:?}: {out}{err}");
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                assert_eq!(v["object"], object);
                assert_eq!(v["report"]["ops"], 600);
                assert_eq!(v["linearizable"], "yes");
            }
        }
    }

    #[test]
    fn out_writes_the_report_to_a_file() {
        let dir = std::env::temp_dir().join(format!("conlab-rsm-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("r.json");
        let args = ["rsm", "--ops", "200", "--threads", "2", "--format", "json", "--out"];
        let (code, out, _) = run_cli(&[&args[..], &[file.to_str().unwrap()]].concat());
        assert!(code == 0 || code == crate::EXIT_INCONCLUSIVE);
        assert!(out.is_empty(), "{out}");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(v["threads"], 2);
        std::fs::remove_dir_all(&dir).ok();
    }
}
