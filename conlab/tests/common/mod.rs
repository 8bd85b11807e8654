//! What the integration tests share: running the `conlab` binary.

use std::process::Command;

/// Runs `conlab args`: its exit code, standard output and standard error.
pub(crate) fn conlab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_conlab")).args(args).output().expect("conlab runs");
    (
        out.status.code().expect("conlab exited normally, not by a signal"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}
