//! `conlab`: the lab's command line (clap derive), a crate of its own so that
//! clap, comfy-table, serde_json and the rest of the CLI's dependencies are
//! not dependencies of the library.
//!
//! clap renders its own errors and help (usage, possible values, tips; exit
//! 2); the lab's own errors are one line on stderr. Every exit code is in
//! [`EXIT_CODES`], printed at the end of `conlab --help` and in the README.

mod bench;
mod byzantine;
mod check_history;
mod cores;
mod demo;
mod exercise;
mod hierarchy;
mod list;
mod paxos;
mod plot;
mod progress;
mod rows;
mod rsm;
mod run;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

/// consensus-lab: consensus and the wait-free hierarchy on real atomics.
#[derive(Debug, Parser)]
#[command(
    name = "conlab",
    version,
    about,
    long_about = None,
    arg_required_else_help = true,
    after_help = exit_codes_help()
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the registry: every protocol, its primitive, consensus number,
    /// progress guarantee and loom models.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Every column (the loom models and their bounds), however wide.
        #[arg(long)]
        wide: bool,
    },
    /// Print Herlihy's hierarchy: each object, its consensus number, the
    /// protocols built on it, where loom verified them or found their
    /// counterexample, and their progress.
    Hierarchy {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Every column, however wide (else at most 80 columns).
        #[arg(long)]
        wide: bool,
    },
    /// Stress-check protocols on real cores: N threads race on each of K fresh
    /// instances and every decision is verified. Exits 1 on any violation.
    Run(run::RunArgs),
    /// Replicated objects: Herlihy's universal construction over consensus
    /// slots of the registry, on real threads; the whole history checked for
    /// linearizability, the log for agreement, the wait-free step bound; with
    /// throughput and helped operations. Exits 1 on any violation.
    ///
    /// With --impl epaxos the report also counts waits (a replica found a
    /// dependency not committed yet), recoveries (explicit prepares: a
    /// replica that waited 1 ms for an instance takes it over) and retries
    /// (operations proposed again after a recovery put a no-op in their
    /// instance), and says what became of a crashed leader's instance.
    Rsm(rsm::RsmArgs),
    /// Measure: every protocol on fresh instances (1 thread and N racing) with
    /// the baselines a user would pick instead, and the atomic primitives on a
    /// shared line and on padded lines. Labels oversubscribed thread counts.
    Bench(bench::BenchArgs),
    /// Byzantine replicas on real cores: PBFT (n ≥ 3f+1) or agreement over
    /// single-writer logs (n ≥ 2f+1) with Byzantine strategies; each run
    /// judged for agreement and validity among the honest. Exits 1 on any
    /// violation.
    Byzantine(byzantine::ByzantineArgs),
    /// Run Paxos on real cores with crash faults: decisions, ballots and nacks per
    /// proposer, acceptor operations per decision, time. Exits non-zero without
    /// a quorum or on any disagreement.
    Paxos(paxos::PaxosArgs),
    /// The course exercises: list them, print a hint, check one (loom models of
    /// every interleaving, then real cores). Runs the exercises crate through
    /// cargo, so it needs the source tree.
    #[command(arg_required_else_help = true)]
    Exercise(exercise::ExerciseArgs),
    /// Demonstrations on real cores. `demo stall`: one thread paused inside its
    /// protocol; how long the others take to decide shows blocking, wait-free
    /// and obstruction-free progress.
    #[command(arg_required_else_help = true)]
    Demo(demo::DemoArgs),
    /// Check a recorded history (JSON lines or Jepsen EDN) for linearizability
    /// against a model. Exits 1 if not linearizable, 4 if undecided in time.
    CheckHistory(check_history::CheckHistoryArgs),
    /// Print a shell completion script: `conlab completions bash >
    /// ~/.local/share/bash-completion/completions/conlab`, `conlab completions
    /// zsh > ~/.zfunc/_conlab`, `conlab completions fish >
    /// ~/.config/fish/completions/conlab.fish`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write the man pages (conlab.1 and one per subcommand) into DIR: what
    /// `cargo xtask man` runs. Hidden: a build step, not a user command.
    #[command(hide = true)]
    Man {
        /// An existing directory.
        dir: std::path::PathBuf,
    },
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Text,
    /// JSON for programs.
    Json,
}

/// Exit code for a run that found nothing wrong.
pub const EXIT_OK: i32 = 0;
/// Exit code for a run that found a violation.
pub const EXIT_VIOLATION: i32 = 1;
/// Exit code for bad input.
pub const EXIT_USAGE: i32 = 2;
/// Exit code for a Paxos run in which no proposer could reach a majority.
pub const EXIT_NO_QUORUM: i32 = 3;
/// Exit code for an inconclusive run: no violation, but nothing was really
/// tested (the threads never raced, 1 thread, no overlapping operations, a
/// broken protocol whose violation the run did not find, every Paxos proposer
/// crashed, or a history undecided within its budget).
pub const EXIT_INCONCLUSIVE: i32 = 4;
/// Exit code for an I/O error while running (writing the output or a file).
pub const EXIT_IO: i32 = 5;

/// Every exit code and what it means: the table at the end of `--help` and in
/// the README (a test holds both to it).
pub const EXIT_CODES: &[(i32, &str)] = &[
    (EXIT_OK, "ok: the run found nothing wrong"),
    (
        EXIT_VIOLATION,
        "violation: a run found one (or an exercise failed, did not build or crashed)",
    ),
    (
        EXIT_USAGE,
        "bad input, refused before any work: unknown names, bad counts or plans, \
         inapplicable flags, unwritable paths; also a machine too busy for the stall demo",
    ),
    (EXIT_NO_QUORUM, "no quorum: Paxos found no live majority of acceptors"),
    (
        EXIT_INCONCLUSIVE,
        "inconclusive: nothing was really tested (threads that never raced, 1 thread, \
         every Paxos proposer crashed, a history undecided in time)",
    ),
    (EXIT_IO, "I/O error while running: writing the output or a file failed"),
];

/// The exit-code table as `--help` prints it.
fn exit_codes_help() -> String {
    let mut s = String::from("Exit codes:\n");
    for (code, what) in EXIT_CODES {
        s.push_str(&format!("  {code}  {what}\n"));
    }
    s
}

/// An I/O failure while running (not bad input): exit code [`EXIT_IO`].
#[derive(Debug)]
pub(crate) struct IoFailure {
    /// What was being written.
    pub what: String,
    /// Why it failed.
    pub source: std::io::Error,
}

impl std::fmt::Display for IoFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write {}: {}", self.what, self.source)
    }
}

impl std::error::Error for IoFailure {}

/// Whether `path` means standard output (`-`).
pub(crate) fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Checks, before any work, that `flag`'s `path` can be written (`-` is
/// standard output): not a directory, in a directory that exists, writable.
/// Leaves nothing behind: a file it had to create to find out is removed.
///
/// # Errors
/// One line naming the flag, the path and what is wrong.
pub(crate) fn check_writable(flag: &str, path: &Path) -> Result<(), String> {
    if is_stdout(path) {
        return Ok(());
    }
    let bad = |why: String| Err(format!("{flag} {}: {why}", path.display()));
    if path.as_os_str().is_empty() {
        return Err(format!("{flag}: the path is empty"));
    }
    if path.is_dir() {
        return bad("is a directory".into());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return bad(format!("there is no directory {}", dir.display()));
    }
    if path.exists() {
        // Opened for writing without truncating: the file stays as it is.
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map(drop)
            .or_else(|e| bad(format!("cannot be written ({e})")));
    }
    match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(f) => {
            drop(f);
            std::fs::remove_file(path).or_else(|e| bad(format!("cannot be removed again ({e})")))
        }
        Err(e) => bad(format!("cannot be created ({e})")),
    }
}

/// Writes `bytes` to `path` (`-`: to `out`).
///
/// # Errors
/// An [`IoFailure`].
pub(crate) fn write_to(path: &Path, bytes: &[u8], out: &mut dyn Write) -> Result<(), IoFailure> {
    let r = if is_stdout(path) { out.write_all(bytes) } else { std::fs::write(path, bytes) };
    r.map_err(|source| IoFailure {
        what: if is_stdout(path) { "standard output".into() } else { path.display().to_string() },
        source,
    })
}

/// The flags of the innermost subcommand that were given on the command line
/// (not defaulted), by id (the field name): what `given` fields hold, so that
/// a subcommand can refuse a flag that does not apply.
fn given_flags(m: &clap::ArgMatches) -> Vec<String> {
    let mut m = m;
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    m.ids()
        .filter(|id| m.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine))
        .map(|id| id.as_str().to_string())
        .collect()
}

/// `flag` as a user types it: `--` and the id with `-` for `_`.
pub(crate) fn flag_name(id: &str) -> String {
    format!("--{}", id.replace('_', "-"))
}

/// Refuses every flag of `given` that is in `inapplicable`, saying `why` and
/// which flags apply (`applies`).
///
/// # Errors
/// One line: the first inapplicable flag, why, and what applies instead.
pub(crate) fn refuse_flags(
    given: &[String],
    inapplicable: &[&str],
    why: &str,
    applies: &str,
) -> Result<(), String> {
    match given.iter().find(|g| inapplicable.contains(&g.as_str())) {
        Some(g) => Err(format!("{} does not apply {why}; these do: {applies}", flag_name(g))),
        None => Ok(()),
    }
}

/// The seed in force: `seed`, or a fresh random one (printed and exported,
/// so any run can be replayed with `--seed`).
pub(crate) fn seed_or_random(seed: Option<u64>) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    seed.unwrap_or_else(|| std::collections::hash_map::RandomState::new().build_hasher().finish())
}

/// What the seed line of a text report says: the seed and `what` it draws.
pub(crate) fn describe_seed(seed: u64, what: &str) -> String {
    format!("seed: {seed} ({what}; --seed {seed} replays them, not the interleaving)")
}

/// What the seed of the retrying protocols draws.
pub(crate) const BACKOFF_DRAWS: &str = "the randomized backoff's draws";

/// The width of the text tables unless `--wide`: a classic terminal.
pub(crate) const NARROW: u16 = 80;

/// A text table: at most [`NARROW`] columns wide (long cells wrap), or as wide
/// as its content with `wide`.
pub(crate) fn table(wide: bool) -> comfy_table::Table {
    use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement};
    let mut t = comfy_table::Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    if wide {
        t.set_content_arrangement(ContentArrangement::Disabled);
    } else {
        t.set_content_arrangement(ContentArrangement::Dynamic).set_width(NARROW);
    }
    t
}

/// `text` wrapped at word boundaries to [`NARROW`] columns (unless `wide`),
/// the lines after the first indented by `indent` spaces.
pub(crate) fn wrap(text: &str, indent: usize, wide: bool) -> String {
    if wide {
        return text.to_string();
    }
    let mut out = String::new();
    let mut col = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let n = word.chars().count();
        if col > 0 && col + 1 + n > usize::from(NARROW) {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
        } else if col > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += n;
    }
    out
}

/// A text report fitted to [`NARROW`] columns (unless `wide`): every line of
/// prose wraps; table lines, indented lines and the `machine:` line (one
/// line, for grep) stay as they are.
pub(crate) fn fit(text: &[u8], wide: bool) -> String {
    let text = String::from_utf8_lossy(text);
    if wide {
        return text.into_owned();
    }
    let mut out = String::new();
    for line in text.lines() {
        let keep = line.starts_with(['┌', '│', '╞', '├', '└', ' ']) || line.starts_with("machine:");
        out.push_str(&if keep { line.to_string() } else { wrap(line, 2, false) });
        out.push('\n');
    }
    out
}

/// Refuses `--wide` with an output that is not the text table.
///
/// # Errors
/// One line saying what `--wide` is for.
pub(crate) fn check_wide(wide: bool, text: bool) -> Result<(), String> {
    if wide && !text {
        return Err("--wide does not apply to --format json: it widens the text table".into());
    }
    Ok(())
}

/// `x` with `decimals` decimals and a `,` between thousands: `1,546.0`.
pub(crate) fn thousands(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    let (sign, s) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
    let (int, frac) = s.split_once('.').map_or((s, ""), |(i, f)| (i, f));
    if !int.bytes().all(|b| b.is_ascii_digit()) {
        return format!("{sign}{s}"); // inf, NaN
    }
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    format!("{sign}{out}")
}

/// The command line as typed, quoted for a POSIX shell where needed.
fn command_line(args: &[OsString]) -> String {
    args.iter()
        .map(|a| {
            let a = a.to_string_lossy();
            let plain = !a.is_empty()
                && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./,:@=+".contains(c));
            if plain {
                a.into_owned()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs the CLI on `args` (including the program name); returns the exit code.
pub fn main_with<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let parsed = Cli::command()
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, given_flags(&m))));
    let (mut cli, given) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            // clap's own rendering: usage, possible values, tips. Help and
            // --version go to stdout (exit 0); help shown because something
            // is missing, and every error, to stderr (exit 2).
            let _ = if e.use_stderr() { write!(err, "{e}") } else { write!(out, "{e}") };
            return e.exit_code();
        }
    };
    let line = command_line(&args);
    match &mut cli.command {
        Command::Run(a) => a.given = given,
        Command::Bench(a) => {
            a.given = given;
            a.command_line = line;
        }
        _ => {}
    }
    let result = match &cli.command {
        Command::List { format, wide } => list::list(*format, *wide, out),
        Command::Hierarchy { format, wide } => hierarchy::hierarchy_cmd(*format, *wide, out),
        Command::Run(args) => run::run(args, out, err),
        Command::Paxos(args) => paxos::paxos(args, out, err),
        Command::Byzantine(args) => byzantine::byzantine(args, out, err),
        Command::Rsm(args) => rsm::rsm(args, out, err),
        Command::Bench(args) => bench::bench(args, out, err),
        Command::Exercise(args) => exercise::exercise(args, out, err),
        Command::Demo(args) => demo::demo(args, out, err),
        Command::CheckHistory(args) => check_history::check_history(args, out),
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut completed(), "conlab", out);
            Ok(EXIT_OK)
        }
        Command::Man { dir } => man(dir, err),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let io = e.downcast_ref::<IoFailure>().map(|f| &f.source);
            match io.or_else(|| e.downcast_ref::<std::io::Error>()) {
                // The reader went away (`conlab list | head`): nothing to say to it.
                Some(io) if io.kind() == std::io::ErrorKind::BrokenPipe => EXIT_IO,
                Some(_) if e.is::<IoFailure>() => {
                    let _ = writeln!(err, "conlab: {e}");
                    EXIT_IO
                }
                Some(io) => {
                    let _ = writeln!(err, "conlab: cannot write the output: {io}");
                    EXIT_IO
                }
                None => {
                    let _ = writeln!(err, "conlab: {}", e.to_string().replace('\n', "; "));
                    EXIT_USAGE
                }
            }
        }
    }
}

/// The command line that completions complete: [`Cli`] without its hidden
/// subcommands (clap_complete lists hidden subcommands too).
fn completed() -> clap::Command {
    let full = Cli::command();
    let visible: Vec<clap::Command> =
        full.get_subcommands().filter(|s| !s.is_hide_set()).cloned().collect();
    let mut cmd = clap::Command::new("conlab")
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned());
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    cmd.subcommands(visible)
}

/// Writes `conlab.1` and `conlab-<subcommand>.1` (nested ones too: `conlab-demo-stall.1`)
/// into `dir`.
///
/// # Errors
/// `dir` is not a directory (bad input), or a page cannot be written.
fn man(dir: &Path, err: &mut dyn Write) -> Result<i32, Box<dyn std::error::Error>> {
    if !dir.is_dir() {
        return Err(format!("{}: not a directory", dir.display()).into());
    }
    // After `build`, a subcommand's display name is `conlab-run`,
    // `conlab-demo-stall`: the page's title and file name.
    fn pages(cmd: &clap::Command, dir: &Path, err: &mut dyn Write) -> Result<(), IoFailure> {
        let name = cmd.get_display_name().unwrap_or(cmd.get_name());
        let path = dir.join(format!("{name}.1"));
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone())
            .render(&mut page)
            .and_then(|()| std::fs::write(&path, &page))
            .map_err(|source| IoFailure { what: path.display().to_string(), source })?;
        let _ = writeln!(err, "wrote {}", path.display());
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
            pages(sub, dir, err)?;
        }
        Ok(())
    }
    let mut cmd = Cli::command();
    cmd.build();
    pages(&cmd, dir, err)?;
    Ok(EXIT_OK)
}

/// The binary's entry point. (`conlab` is never built with `--cfg loom`: the
/// loom suite is `loom-tests/`.)
fn main() {
    let code = main_with(std::env::args_os(), &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code)
}

/// The machine a figure was measured on: every output names it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Machine {
    /// CPU model name (from /proc/cpuinfo where there is one).
    pub cpu: String,
    /// Cores available to this process.
    pub cores: usize,
    /// The 1-minute load average when the run started (Linux): above about
    /// 0.5, another process was using a core, and contended figures suffer.
    pub load: Option<f64>,
}

impl Machine {
    /// This machine.
    pub fn here() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        let load = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()));
        Machine { cpu, cores: consensus_lab::threads::cores(), load }
    }
}

impl std::fmt::Display for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, {} cores available", self.cpu, self.cores)?;
        if let Some(load) = self.load {
            write!(f, ", load average {load:.2}")?;
            if load > 0.5 {
                write!(
                    f,
                    " (BUSY: another process is using the CPU; contended figures are unreliable)"
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    pub(crate) fn run_cli(args: &[&str]) -> (i32, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code =
            main_with(std::iter::once("conlab").chain(args.iter().copied()), &mut out, &mut err);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    }

    #[test]
    fn the_lab_s_own_errors_are_one_line_and_exit_2() {
        for args in [
            &["run", "nope"][..],
            &["run", "swap", "--threads", "3"],
            &["rsm", "--slots", "swap", "--threads", "3"],
            &["paxos", "--acceptors", "4"],
            &["exercise", "hint", "nope"],
        ] {
            let (code, out, err) = run_cli(args);
            assert_eq!(code, EXIT_USAGE, "{args:?}: {out}{err}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
            assert!(err.starts_with("conlab: "), "{args:?}: {err}");
        }
        let (_, _, err) = run_cli(&["run", "nope"]);
        assert!(err.contains("unknown protocol 'nope'") && err.contains("cas"), "{err}");
    }

    #[test]
    fn clap_renders_its_own_errors_with_usage_and_tips() {
        let (code, _, err) = run_cli(&["run", "cas", "--threads", "x"]);
        assert_eq!(code, EXIT_USAGE);
        assert!(err.contains("'x' for '--threads"), "{err}");
        assert!(err.contains("For more information, try '--help'"), "{err}");
        let (_, _, err) = run_cli(&["list", "--format", "xml"]);
        assert!(err.contains("possible values: text, json"), "{err}");
        let (_, _, err) = run_cli(&["runn"]);
        assert!(err.contains("similar subcommand exists: 'run'"), "{err}");
        let (_, _, err) = run_cli(&["run", "cas", "--instances", "-3"]);
        assert!(err.contains("-- -3"), "the tip for a value starting with '-': {err}");
        let (_, _, err) = run_cli(&["run"]);
        assert!(err.contains("<PROTOCOL>"), "names the missing argument: {err}");
    }

    #[test]
    fn bare_groups_print_help() {
        for args in [&[][..], &["exercise"], &["demo"]] {
            let (code, out, err) = run_cli(args);
            assert_eq!(code, EXIT_USAGE, "{args:?}");
            assert!(out.is_empty(), "{args:?}: {out}");
            assert!(err.contains("Usage:") && err.contains("Commands:"), "{args:?}: {err}");
        }
    }

    #[test]
    fn the_exit_code_table_is_in_help_and_the_readme() {
        let (code, out, _) = run_cli(&["--help"]);
        assert_eq!(code, 0);
        let readme = include_str!("../../README.md");
        for (code, what) in EXIT_CODES {
            assert!(out.contains(&format!("  {code}  {what}")), "{code} not in --help:\n{out}");
            assert!(readme.contains(&format!("| {code} | {what} |")), "{code} not in the README");
        }
        let codes: Vec<i32> = EXIT_CODES.iter().map(|(c, _)| *c).collect();
        assert_eq!(
            codes,
            [EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_NO_QUORUM, EXIT_INCONCLUSIVE, EXIT_IO]
        );
        assert_eq!(codes, [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn paths_are_checked_without_leaving_anything() {
        let dir = std::env::temp_dir().join(format!("conlab-paths-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(check_writable("--out", Path::new("-")).is_ok());
        assert!(check_writable("--out", &dir.join("new.json")).is_ok());
        assert!(!dir.join("new.json").exists(), "the probe is removed");
        let e = check_writable("--out", &dir).unwrap_err();
        assert!(e.contains("--out") && e.contains("is a directory"), "{e}");
        let e = check_writable("--plot", &dir.join("no/such/x.svg")).unwrap_err();
        assert!(e.contains("there is no directory"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn every_text_report_fits_80_columns_unless_wide() {
        for args in [
            &["list"][..],
            &["hierarchy"],
            &["run", "all", "--threads", "3", "--instances", "200"],
            &["rsm", "--threads", "3", "--ops", "300", "--object", "kv"],
            &["paxos", "--acceptors", "5", "--proposers", "4", "--crash-acceptor", "0"],
            &["bench", "all", "--threads", "1,2", "--instances", "50", "--ops", "50", "-r", "1"],
            &["demo", "stall", "--protocols", "cas,lock-std", "--stall-ms", "5", "-i", "1"],
        ] {
            let (code, out, err) = run_cli(args);
            // A run on a loaded machine may be INCONCLUSIVE (its report fits all the same).
            let inconclusive = ["run", "rsm"].contains(&args[0]) && code == EXIT_INCONCLUSIVE;
            assert!(code == 0 || inconclusive, "{args:?}: exit {code}: {err}");
            for line in out.lines().filter(|l| !l.starts_with("machine:")) {
                assert!(line.chars().count() <= 80, "{args:?}: {} columns: {line}", line.len());
            }
        }
        let (_, out, _) = run_cli(&["list", "--wide"]);
        assert!(out.contains("loom-checked at") && out.contains("primitive"), "{out}");
        assert!(out.lines().any(|l| l.chars().count() > 80));
        let (code, _, err) = run_cli(&["list", "--wide", "--format", "json"]);
        assert_eq!(code, EXIT_USAGE);
        assert!(err.contains("--wide does not apply to --format json"), "{err}");
    }

    #[test]
    fn completions_for_bash_zsh_and_fish() {
        for (shell, mark) in
            [("bash", "complete -F"), ("zsh", "#compdef conlab"), ("fish", "complete -c conlab")]
        {
            let (code, out, err) = run_cli(&["completions", shell]);
            assert_eq!(code, 0, "{err}");
            assert!(out.contains(mark), "{shell}: {out}");
            for sub in ["run", "rsm", "bench", "paxos", "exercise"] {
                assert!(out.contains(sub), "{shell} lacks {sub}");
            }
            assert!(!out.contains("man pages"), "the hidden man subcommand is not completed");
        }
        let (code, _, err) = run_cli(&["completions", "tcsh"]);
        assert_eq!(code, EXIT_USAGE);
        assert!(err.contains("possible values"), "{err}");
    }

    #[test]
    fn man_pages_for_conlab_and_every_subcommand() {
        let dir = std::env::temp_dir().join(format!("conlab-man-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (code, _, err) = run_cli(&["man", dir.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let page = std::fs::read_to_string(dir.join("conlab.1")).unwrap();
        assert!(page.contains(".TH conlab 1") && page.contains("Exit codes"), "{page}");
        for sub in ["run", "rsm", "bench", "paxos", "demo-stall", "exercise-check", "completions"] {
            assert!(dir.join(format!("conlab-{sub}.1")).is_file(), "no page for {sub}");
        }
        assert!(!dir.join("conlab-man.1").exists());
        std::fs::remove_dir_all(&dir).ok();
        let (code, _, err) = run_cli(&["man", "/no/such/dir"]);
        assert_eq!(code, EXIT_USAGE, "{err}");
    }

    #[test]
    fn notes_wrap_at_80_columns() {
        let text = "word ".repeat(50);
        let w = wrap(&text, 2, false);
        assert!(w.lines().all(|l| l.chars().count() <= 80), "{w}");
        assert!(w.lines().skip(1).all(|l| l.starts_with("  word")), "{w}");
        assert_eq!(wrap(&text, 2, true), text);
    }

    #[test]
    fn big_numbers_have_thousands_separators() {
        assert_eq!(thousands(0.0, 0), "0");
        assert_eq!(thousands(999.0, 1), "999.0");
        assert_eq!(thousands(1546.04, 1), "1,546.0");
        assert_eq!(thousands(100_000.0, 0), "100,000");
        assert_eq!(thousands(-1_234_567.0, 0), "-1,234,567");
        assert_eq!(thousands(f64::INFINITY, 0), "inf");
    }

    #[test]
    fn command_lines_are_quoted_for_the_shell() {
        let args: Vec<OsString> =
            ["conlab", "run", "it's", "a b", "--threads", "1,2"].iter().map(|s| s.into()).collect();
        assert_eq!(command_line(&args), r"conlab run 'it'\''s' 'a b' --threads 1,2");
    }

    #[test]
    fn help_is_not_an_error() {
        let (code, out, _) = run_cli(&["--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("run"));
    }
}
