//! The shuttle suite, generated from the registry. See `shuttle-tests/src/lib.rs`.
//!
//! Filter like any test binary: `... --test shuttle -- cas/16`. Each test
//! prints its iterations, time and the most steps per thread; a broken
//! protocol's test prints the iteration at which PCT found the violation, its
//! protocol trace and shuttle's replay string, saved under
//! `target/shuttle/schedules/` (one file per failure, `scheduleNNN.txt`).
//!
//! Environment:
//! * `SHUTTLE_SCALE=k` multiplies every model's iteration budget by `k`
//!   (`cargo xtask shuttle` sets 10);
//! * `SHUTTLE_REPLAY=FILE` replays the schedule in FILE on the one model the
//!   filter selects, and prints the protocol trace of that schedule
//!   (`cargo xtask shuttle --replay FILE MODEL`).

#[cfg(not(shuttle))]
fn main() {
    println!(
        "the shuttle suite runs only when built with RUSTFLAGS=\"--cfg shuttle\" (see \
         shuttle-tests/src/lib.rs)"
    );
}

#[cfg(shuttle)]
fn main() {
    suite::main()
}

#[cfg(shuttle)]
mod suite {
    use consensus_lab::check::shuttle_model::{check, replay, ShuttleConfig};
    use consensus_lab::consensus::protocol::{ShuttleModel, ShuttleScheduler};
    use consensus_lab::registry::{Entry, PROTOCOLS};
    use libtest_mimic::{Arguments, Failed, Trial};
    use std::path::PathBuf;

    /// The seed of every scheduler: a run is reproducible.
    const SEED: u64 = 0x5eed;

    pub(crate) fn main() {
        let mut args = Arguments::from_args();
        // One model at a time: shuttle installs one process-wide panic hook,
        // with the first run's configuration, that writes every failing
        // schedule to one directory; run one by one, the file a failing model
        // adds there is its own. (The whole suite takes about a second.)
        args.test_threads = Some(1);
        // Shuttle reports a failing schedule itself and the harness returns the
        // violation; the default hook would only repeat the panic as noise.
        std::panic::set_hook(Box::new(|_| {}));
        let scale: usize =
            std::env::var("SHUTTLE_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
        let mut trials = Vec::new();
        let mut models = Vec::new();
        for &entry in PROTOCOLS {
            let info = entry.info();
            for &model in info.shuttle {
                let name = format!("{}/{}", info.name, model.label());
                models.push((name.clone(), entry, model));
                let model = ShuttleModel { iterations: model.iterations * scale, ..model };
                let test = name.clone();
                trials.push(if info.broken.is_some() {
                    Trial::test(test, move || finds(&name, entry, model))
                } else {
                    Trial::test(test, move || holds(&name, entry, model))
                });
            }
        }
        // The blind spot, shown: a stale read needs weak memory, which
        // shuttle's sequentially consistent atomics never produce.
        if let Some(relaxed) = consensus_lab::registry::find("relaxed-cas") {
            let model = ShuttleModel::pct(2, 2, 1_000);
            trials.push(Trial::test("relaxed-cas/2/pct-2/blind-spot", move || {
                blind_spot(relaxed, model)
            }));
        }
        // The universal construction's models (replay is for the registry's).
        let multi_paxos = consensus_lab::check::replicated::multi_paxos::models(scale);
        let zab = consensus_lab::check::replicated::zab::models(scale);
        let epaxos = consensus_lab::check::replicated::epaxos::models(scale);
        for m in consensus_lab::check::replicated::suite::models(scale)
            .into_iter()
            .chain(multi_paxos)
            .chain(zab)
            .chain(epaxos)
        {
            trials.push(table_trial(m));
        }
        // The Byzantine replicas' models (random strategies, the lower bounds).
        for m in consensus_lab::check::byzantine::suite::models(scale) {
            trials.push(table_trial(m));
        }
        if let Some(file) = std::env::var_os("SHUTTLE_REPLAY") {
            let selected: Vec<&Trial> =
                trials.iter().filter(|t| !args.is_filtered_out(t)).collect();
            let [one] = selected[..] else {
                eprintln!(
                    "error: SHUTTLE_REPLAY is set and the filter selects {} models: select \
                     exactly one (`-- --exact <name>`)",
                    selected.len()
                );
                std::process::exit(2);
            };
            let name = one.name().to_string();
            let Some((_, entry, model)) = models.into_iter().find(|m| m.0 == name) else {
                eprintln!("error: {name} has no schedule to replay");
                std::process::exit(2);
            };
            std::process::exit(replay_file(entry, model, &PathBuf::from(file)));
        }
        // This run's failing schedules only (not while replaying one of them).
        let _ = std::fs::remove_dir_all(SCHEDULES);
        libtest_mimic::run(&args, trials).exit();
    }

    /// The trial of one model of a library table (the replicated objects',
    /// the Byzantine replicas'): its run explores it under the table's
    /// scheduler and budget, the trial prints what it explored or fails
    /// with why; a long model is an ignored test.
    fn table_trial(m: consensus_lab::check::suite::SuiteModel) -> Trial {
        let consensus_lab::check::suite::SuiteModel { name, run, long } = m;
        Trial::test(name, move || run().map(|report| println!("{report}")).map_err(Failed::from))
            .with_ignored_flag(long)
    }

    /// Where shuttle writes failing schedules: one directory for the process
    /// (see `main`).
    const SCHEDULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/shuttle/schedules");

    fn config(_name: &str, model: ShuttleModel) -> ShuttleConfig {
        let dir = PathBuf::from(SCHEDULES);
        ShuttleConfig {
            threads: model.params.threads,
            scheduler: model.scheduler,
            iterations: model.iterations,
            seed: SEED,
            rounds_bounded: model.params.rounds.is_some(),
            schedule_dir: dir,
        }
    }

    fn builder(
        entry: Entry,
        model: ShuttleModel,
    ) -> impl Fn() -> Box<dyn consensus_lab::IdConsensus + Send> + Send + Sync + 'static {
        move || entry.build(&model.params).expect("the registry validated this model")
    }

    fn scheduler(model: ShuttleModel) -> String {
        match model.scheduler {
            ShuttleScheduler::Pct { depth } => format!("PCT depth {depth}"),
            ShuttleScheduler::Random => "random".into(),
        }
    }

    /// A correct protocol: every iteration satisfies every property, every
    /// thread's proposal wins some iteration, some iteration has every thread
    /// decide, and a wait-free protocol's step bound is reached exactly.
    fn holds(name: &str, entry: Entry, model: ShuttleModel) -> Result<(), Failed> {
        match check(builder(entry, model), &config(name, model)) {
            Ok(report) => {
                println!("{name} ({}): {report}", scheduler(model));
                report.raced(model.params.rounds.is_some())?;
                report.tight().map_err(Failed::from)
            }
            Err(failure) => Err(format!("{name}: {failure}").into()),
        }
    }

    /// A broken protocol: PCT must find a violated property within the budget.
    fn finds(name: &str, entry: Entry, model: ShuttleModel) -> Result<(), Failed> {
        match check(builder(entry, model), &config(name, model)) {
            Ok(report) => Err(format!(
                "{name} is registered as broken, but {} found no violation: {report}",
                scheduler(model)
            )
            .into()),
            Err(failure) if failure.violation.is_none() => {
                Err(format!("{name}: the model stopped before any violation: {failure}").into())
            }
            Err(failure) => {
                println!(
                    "{name}: {} found the violation in iteration {} of {}, as it must:\n{failure}",
                    scheduler(model),
                    failure.iteration,
                    model.iterations
                );
                Ok(())
            }
        }
    }

    /// `relaxed-cas` passes every shuttle schedule: its counterexample needs
    /// a stale read (the suite asserts the blind spot, so that it is known).
    fn blind_spot(entry: Entry, model: ShuttleModel) -> Result<(), Failed> {
        let name = "relaxed-cas/2/pct-2/blind-spot";
        match check(builder(entry, model), &config(name, model)) {
            Ok(report) => {
                println!(
                    "{name}: {report}: no violation, as expected (a stale read is weak memory, \
                     and shuttle's atomics are sequentially consistent; loom finds it)"
                );
                Ok(())
            }
            Err(failure) => Err(format!(
                "shuttle found relaxed-cas's violation; the blind spot in docs/src/checking.md \
                 is wrong: {failure}"
            )
            .into()),
        }
    }

    /// Replays `file` on `model`; the exit code: 1 if it fails (as it should),
    /// 0 if it does not.
    fn replay_file(entry: Entry, model: ShuttleModel, file: &PathBuf) -> i32 {
        let schedule = match std::fs::read_to_string(file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", file.display());
                return 2;
            }
        };
        let rounds_bounded = model.params.rounds.is_some();
        match replay(builder(entry, model), model.params.threads, rounds_bounded, &schedule) {
            Ok(report) => {
                println!("the schedule passed: {report}");
                0
            }
            Err(failure) => {
                println!("{failure}");
                1
            }
        }
    }
}
