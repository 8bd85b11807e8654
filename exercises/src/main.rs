//! `exercises`: lists the exercises, prints their hints, and checks one in this
//! build's stage (the loom build model-checks, any other build stress-runs).
//! `conlab exercise` runs it in both builds; see `docs/src/exercises.md`.
//!
//! ```text
//! exercises list
//! exercises hint NAME
//! exercises check NAME [--solution]
//! ```
//!
//! Exit codes: 0 passed, 1 failed, 2 bad input.

use conlab_exercises::{find, Target, EXERCISES};
use std::process::ExitCode;

fn usage() -> String {
    "usage: exercises list | hint NAME | check NAME [--solution]".into()
}

fn named(name: Option<&String>) -> Result<&'static conlab_exercises::Exercise, String> {
    let name = name.ok_or_else(usage)?;
    find(name).ok_or_else(|| {
        let names: Vec<_> = EXERCISES.iter().map(|e| e.info.name).collect();
        format!("unknown exercise '{name}' (exercises: {})", names.join(", "))
    })
}

fn run(args: &[String]) -> Result<bool, String> {
    match args.first().map(String::as_str) {
        Some("list") => {
            for (i, e) in EXERCISES.iter().enumerate() {
                println!("{:>2}. {:<28} {:<26} {}", i + 1, e.info.name, e.info.file, e.info.title);
            }
            Ok(true)
        }
        Some("hint") => {
            let e = named(args.get(1))?;
            println!("{} ({}): {}", e.info.name, e.info.file, e.info.title);
            for (i, h) in e.info.hints.iter().enumerate() {
                println!("  hint {}: {h}", i + 1);
            }
            Ok(true)
        }
        Some("check") => {
            let e = named(args.get(1))?;
            let target = match args.get(2).map(String::as_str) {
                None => Target::Stub,
                Some("--solution") => Target::Solution,
                Some(other) => return Err(format!("unexpected argument '{other}'; {}", usage())),
            };
            // The verdict reports a stub's `todo!()`; don't print it again.
            conlab_exercises::quiet_todo_panics();
            let checked = (e.check)(target);
            print!("{checked}");
            Ok(checked.passed())
        }
        _ => Err(usage()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("exercises: {e}");
            ExitCode::from(2)
        }
    }
}
