//! `conlab`: the lab's command line. All of it lives in `consensus_lab::cli`.

#[cfg(not(loom))]
fn main() {
    consensus_lab::cli::main()
}

#[cfg(loom)]
fn main() {
    eprintln!("conlab is not built for loom: build it without --cfg loom");
    std::process::exit(2);
}
