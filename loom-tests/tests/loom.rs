//! The loom suite, generated from the registry. See `loom-tests/src/lib.rs`.
//!
//! Filter like any test binary: `... --test loom -- cas/4`. Each test prints
//! the executions it explored and the time it took. The long suite's models
//! (a model's [`long`] exploration: exhaustive, or a higher preemption bound,
//! beyond what CI can afford) are ignored tests: `-- --include-ignored` runs
//! them with the rest (`cargo xtask test --long`), `-- --ignored` alone.
//!
//! [`long`]: consensus_lab::consensus::protocol::LoomModel::long With `LOOM_CHECKPOINT_FILE`
//! set, the filter must select exactly one model: the suite refuses to start
//! otherwise (one file holds the position of one exploration).

#[cfg(not(loom))]
fn main() {
    println!("the loom suite runs only when built with RUSTFLAGS=\"--cfg loom\" (see loom-tests/src/lib.rs)");
}

#[cfg(loom)]
fn main() {
    suite::main()
}

#[cfg(loom)]
#[path = "loom/universal.rs"]
mod universal;

#[cfg(loom)]
#[path = "loom/refused.rs"]
mod refused;

#[cfg(loom)]
#[path = "loom/table.rs"]
mod table;

#[cfg(loom)]
#[path = "loom/multi_paxos.rs"]
mod multi_paxos;

#[cfg(loom)]
#[path = "loom/zab.rs"]
mod zab;

#[cfg(loom)]
#[path = "loom/byzantine.rs"]
mod byzantine;

#[cfg(loom)]
#[path = "loom/epaxos.rs"]
mod epaxos;

#[cfg(loom)]
mod suite {
    use consensus_lab::check::model::{
        check, check_invisible_winner, check_same_id, find_counterexample, ModelConfig,
    };
    use consensus_lab::consensus::protocol::{LoomModel, Shows};
    use consensus_lab::registry::{Entry, PROTOCOLS};
    use libtest_mimic::{Arguments, Failed, Trial};

    /// The preemption bound of the quick bug-finding pass that runs before every
    /// exhaustive model: on prototypes a low bound found a planted 4-thread bug
    /// in 29 executions that 5.5 million exhaustive ones had not reached yet.
    const QUICK_BOUND: usize = 2;

    pub(crate) fn main() {
        let args = Arguments::from_args();
        // Every panic inside a model is caught and reported by the harness with
        // the protocol trace (and libtest-mimic reports any other panic's
        // message), so the default hook's output would only repeat it as noise.
        std::panic::set_hook(Box::new(|_| {}));
        let mut trials = vec![
            Trial::test(
                "announce/2/race-free-under-a-relaxed-protocol",
                announce_slots_stay_race_free,
            ),
            Trial::test("harness/refuses-a-one-execution-model", refuses_a_one_execution_model),
            Trial::test("announce/3/same-id-callers", same_id_callers),
        ];
        for &entry in PROTOCOLS {
            let info = entry.info();
            for &model in info.loom {
                let n = model.threads();
                let rounds_bounded = model.params.rounds.is_some();
                let m = model.label();
                let full = ModelConfig {
                    threads: n,
                    preemption_bound: model.preemption_bound,
                    rounds_bounded,
                };
                if info.broken.is_some() {
                    trials.push(Trial::test(
                        format!("{}/{m}/counterexample", info.name),
                        move || counterexample(entry, model, full),
                    ));
                    continue;
                }
                let quick = ModelConfig {
                    preemption_bound: Some(
                        model.preemption_bound.map_or(QUICK_BOUND, |b| b.min(QUICK_BOUND)),
                    ),
                    ..full
                };
                trials
                    .push(Trial::test(format!("{}/{m}/{}", info.name, label(quick)), move || {
                        holds(entry, model, quick)
                    }));
                if full != quick {
                    trials.push(Trial::test(
                        format!("{}/{m}/{}", info.name, label(full)),
                        move || holds(entry, model, full),
                    ));
                }
                if let Some(bound) = model.long {
                    // The long suite's exploration: ignored unless asked for
                    // (`cargo xtask test --long` passes `--include-ignored`).
                    let long = ModelConfig { preemption_bound: bound, ..full };
                    trials.push(
                        Trial::test(format!("{}/{m}/{}", info.name, label(long)), move || {
                            holds(entry, model, long)
                        })
                        .with_ignored_flag(true),
                    );
                }
            }
        }
        trials.extend(super::universal::trials());
        trials.extend(super::multi_paxos::trials());
        trials.extend(super::zab::trials());
        trials.extend(super::byzantine::trials());
        trials.extend(super::epaxos::trials());
        refuse_shared_checkpoint(&args, &trials);
        libtest_mimic::run(&args, trials).exit();
    }

    /// With `LOOM_CHECKPOINT_FILE` set, exits with an error unless the
    /// arguments select exactly one model: two models sharing the file would
    /// resume from each other's position (or, on parallel test threads,
    /// overwrite it). The harness refuses a second model in one process too;
    /// this says so before anything runs, and names the models.
    fn refuse_shared_checkpoint(args: &Arguments, trials: &[Trial]) {
        let Some(file) = std::env::var_os("LOOM_CHECKPOINT_FILE") else { return };
        if args.list {
            return;
        }
        let selected: Vec<&str> =
            trials.iter().filter(|t| !args.is_filtered_out(t)).map(Trial::name).collect();
        if selected.len() != 1 {
            eprintln!(
                "error: LOOM_CHECKPOINT_FILE={} is set, and the filter selects {} models{}: \
                 one checkpoint file holds the position of one exploration, so select \
                 exactly one model (`-- --exact <name>`), or unset the variable",
                file.to_string_lossy(),
                selected.len(),
                if selected.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", selected.join(", "))
                }
            );
            std::process::exit(2);
        }
    }

    /// The test-name suffix of a model's configuration (a report names what it
    /// explored itself: see `ModelReport::scope`).
    fn label(cfg: ModelConfig) -> String {
        cfg.preemption_bound.map_or("exhaustive".into(), |b| format!("bounded-{b}"))
    }

    fn builder(
        entry: Entry,
        model: LoomModel,
    ) -> impl Fn() -> Box<dyn consensus_lab::IdConsensus + Send> + Send + Sync + 'static {
        move || entry.build(&model.params).expect("the registry validated this model")
    }

    /// A correct protocol: every execution must satisfy every property; every
    /// thread must win in some execution (else the model never really raced),
    /// but for a proposer the model crashes on purpose; with bounded rounds,
    /// some execution must have every thread decide; and a wait-free
    /// protocol's claimed step bound must be tight: some thread of some
    /// execution takes exactly that many steps (announce included).
    fn holds(entry: Entry, model: LoomModel, cfg: ModelConfig) -> Result<(), Failed> {
        let name = entry.info().name;
        match check(builder(entry, model), cfg) {
            Ok(report) => {
                println!("{name}/{}: {report}", model.label());
                if report.resumed {
                    // Its counts cover only the executions since the resume.
                    println!("  (resumed: whether every thread won is not checked)");
                }
                let must_win: Vec<usize> =
                    (0..cfg.threads).filter(|&t| Some(t) != model.crashing()).collect();
                report.raced(&must_win)?;
                report.tight().map_err(Failed::from)
            }
            Err(cx) => Err(format!("{name} at {} threads: {cx}", cfg.threads).into()),
        }
    }

    /// A broken protocol: loom must find the counterexample, and the printed
    /// trace must show an interleaving (steps of two threads mixed).
    fn counterexample(entry: Entry, model: LoomModel, cfg: ModelConfig) -> Result<(), Failed> {
        let name = entry.info().name;
        match find_counterexample(builder(entry, model), cfg) {
            Ok(cx) => {
                println!(
                    "{name}/{} {}: loom found the counterexample, as it must:\n{cx}",
                    cfg.threads,
                    label(cfg)
                );
                let shows = entry.info().broken.map(|b| b.shows);
                let threads: Vec<usize> = cx.trace.events.iter().map(|e| e.thread).collect();
                let switches = threads.windows(2).filter(|w| w[0] != w[1]).count();
                let sc = cx.trace.is_sequentially_consistent();
                let as_registered = match shows {
                    Some(Shows::Interleaving) => sc && switches >= 2,
                    Some(Shows::StaleRead) => !sc,
                    Some(Shows::Sequential) | None => true,
                };
                if !as_registered {
                    return Err(format!(
                        "the registry says this counterexample shows {shows:?}, the trace does not \
                         ({switches} thread switches, sequentially consistent: {sc}):\n{cx}"
                    )
                    .into());
                }
                Ok(())
            }
            Err(why) => Err(format!("{name} is registered as broken, but {why}").into()),
        }
    }

    /// The harness's minimal rule (`MIN_EXECUTIONS`): a model of 2 threads or
    /// more that explored a single execution explored nothing, and fails even
    /// if every property held in it.
    fn refuses_a_one_execution_model() -> Result<(), Failed> {
        use consensus_lab::check::model::{ModelReport, MIN_EXECUTIONS};
        let report = |executions| ModelReport {
            executions,
            elapsed: std::time::Duration::ZERO,
            winners: vec![executions; 2],
            preemption_bound: None,
            all_decided: executions,
            max_steps: vec![3; 2],
            step_bound: Some(3),
            invisible_winner: 0,
            resumed: false,
        };
        match report(1).raced(&[0, 1]) {
            Err(why) if why.contains("harness bug") => {}
            other => return Err(format!("a 1-execution model passed: {other:?}").into()),
        }
        report(MIN_EXECUTIONS).raced(&[0, 1]).map_err(Failed::from)
    }

    /// The claim of the announce slots, raced: two callers with the same id
    /// (model threads 0 and 1, both id 0) and one with id 1, over compare&swap
    /// for 2 ids. Every execution: one id-0 caller refused with
    /// `AlreadyProposed`, the other two agreeing, no data race on a slot; and
    /// each caller's value decided in some execution (each id-0 caller wins the
    /// claim in some execution).
    fn same_id_callers() -> Result<(), Failed> {
        use consensus_lab::consensus::cas::CasConsensus;

        let cfg = ModelConfig { threads: 3, preemption_bound: None, rounds_bounded: false };
        match check_same_id(|| CasConsensus::new(2), cfg) {
            Ok(report) => {
                println!("announce/3/same-id-callers: {report}");
                if report.resumed {
                    return Ok(());
                }
                if let Some(t) = report.winners.iter().position(|&w| w == 0) {
                    return Err(format!(
                        "caller {t}'s value was never decided in {} executions: the claim \
                         was not really raced",
                        report.executions
                    )
                    .into());
                }
                Ok(())
            }
            Err(cx) => {
                Err(format!("two callers with one id broke the announce slots: {cx}").into())
            }
        }
    }

    /// The announce layer must stay sound under an id protocol that breaks its
    /// happens-before contract: `relaxed-cas` names a winner whose announce may
    /// not be visible. Every execution must end in agreement or in
    /// `InvalidWinner`, never in a data race on a slot (loom would panic), and
    /// the stale path must really be explored. Weakening the slot's own Release
    /// store makes this test fail with loom's causality violation. It runs
    /// through the harness like every model (`check_invisible_winner`), with
    /// the same bound handling and report.
    fn announce_slots_stay_race_free() -> Result<(), Failed> {
        use consensus_lab::consensus::broken::relaxed_cas::RelaxedCasConsensus;

        let cfg = ModelConfig { threads: 2, preemption_bound: None, rounds_bounded: false };
        match check_invisible_winner(|| RelaxedCasConsensus::new(2), cfg) {
            Ok(report) => {
                println!("announce/2: {report}");
                let n = report.invisible_winner;
                println!(
                    "announce/2: {n} executions reported an invisible winner as InvalidWinner, \
                     none raced"
                );
                if n == 0 && !report.resumed {
                    return Err("the model never explored the invisible-announce path".into());
                }
                Ok(())
            }
            Err(cx) => {
                Err(format!("announce slots are not sound under a relaxed protocol: {cx}").into())
            }
        }
    }
}
