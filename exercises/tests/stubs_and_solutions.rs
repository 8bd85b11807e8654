//! Every reference solution passes and every untouched stub fails, in this
//! build's stage: the ordinary `cargo test` runs the real-core stress checks,
//! the loom build (`cargo xtask test`) the loom models. So the exercise set
//! cannot rot: a change to the lab that breaks a solution, or a stub that
//! passes by accident, fails CI.

use conlab_exercises::{quiet_todo_panics, Checked, Target, EXERCISES};

#[test]
fn every_solution_passes() {
    quiet_todo_panics();
    for e in EXERCISES {
        let checked = (e.check)(Target::Solution);
        println!("{checked}");
        assert!(checked.passed(), "the solution of {} fails:\n{checked}", e.info.name);
    }
}

#[test]
fn every_untouched_stub_fails_clearly() {
    quiet_todo_panics();
    for e in EXERCISES {
        let checked = (e.check)(Target::Stub);
        let text = checked.to_string();
        println!("{text}");
        assert!(!checked.passed(), "the stub of {} passes:\n{text}", e.info.name);
        // It fails for a reason a student can act on: the missing
        // implementation, the unanswered question, or the violated property.
        let clear = text.contains("not implemented yet")
            || text.contains("set BROKEN")
            || text.contains("violated");
        assert!(clear, "the stub of {} fails unclearly:\n{text}", e.info.name);
        let Checked { precheck, verdicts, question } = &checked;
        assert!(
            precheck.is_some() || question.is_some() || verdicts.iter().any(|v| !v.passed()),
            "{text}"
        );
    }
}

#[test]
fn names_are_unique_and_files_exist() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (i, e) in EXERCISES.iter().enumerate() {
        assert!(
            EXERCISES[..i].iter().all(|o| o.info.name != e.info.name),
            "duplicate {}",
            e.info.name
        );
        assert!(dir.join(e.info.file).is_file(), "{} is missing", e.info.file);
        let solution = dir.join("solutions").join(e.info.file.trim_start_matches("src/"));
        assert!(solution.is_file(), "{} has no solution", e.info.name);
        assert!(!e.info.hints.is_empty(), "{} has no hints", e.info.name);
    }
    assert!(EXERCISES.len() >= 8);
    let names: Vec<_> = EXERCISES.iter().map(|e| e.info.name).collect();
    let listed: Vec<_> = conlab_exercises::catalog::CATALOG.iter().map(|i| i.name).collect();
    assert_eq!(names, listed, "EXERCISES follows the catalog's order");
}
