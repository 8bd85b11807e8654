//! Records the git revision `conlab` is built from (`CONLAB_GIT_REVISION`),
//! for the exports of `conlab bench`; nothing when git or the repository is
//! not there (a crate built from a tarball): the exports then say "unknown".

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let Some(rev) = git(&["rev-parse", "--short=12", "HEAD"]) else {
        return;
    };
    // Rebuild when HEAD moves: the HEAD file (a checkout) and the branch it
    // names (a commit), wherever this worktree keeps them.
    for path in ["HEAD", "packed-refs"] {
        if let Some(p) = git(&["rev-parse", "--path-format=absolute", "--git-path", path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(p) = git(&["rev-parse", "--path-format=absolute", "--git-path", &branch]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    println!("cargo:rustc-env=CONLAB_GIT_REVISION={rev}");
}
