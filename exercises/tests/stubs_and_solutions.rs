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
        assert!(checked.passed(), "the solution of {} fails:\n{checked}", e.name);
    }
}

#[test]
fn every_untouched_stub_fails_clearly() {
    quiet_todo_panics();
    for e in EXERCISES {
        let checked = (e.check)(Target::Stub);
        let text = checked.to_string();
        println!("{text}");
        assert!(!checked.passed(), "the stub of {} passes:\n{text}", e.name);
        // It fails for a reason a student can act on: the missing
        // implementation, the unanswered question, or the violated property.
        let clear = text.contains("not implemented yet")
            || text.contains("set BROKEN")
            || text.contains("violated");
        assert!(clear, "the stub of {} fails unclearly:\n{text}", e.name);
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
        assert!(EXERCISES[..i].iter().all(|o| o.name != e.name), "duplicate {}", e.name);
        assert!(dir.join(e.file).is_file(), "{} is missing", e.file);
        let solution = dir.join("solutions").join(e.file.trim_start_matches("src/"));
        assert!(solution.is_file(), "{} has no solution", e.name);
        assert!(!e.hints.is_empty(), "{} has no hints", e.name);
    }
    assert!(EXERCISES.len() >= 8);
}
