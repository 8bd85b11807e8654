//! EPaxos's loom models, from the library's table
//! (`consensus_lab::check::replicated::epaxos`, where each model's bound
//! and cost are written).

use libtest_mimic::{Failed, Trial};

pub(crate) fn trials() -> Vec<Trial> {
    consensus_lab::check::replicated::epaxos::models()
        .into_iter()
        .map(|m| {
            let run = m.run;
            Trial::test(m.name, move || {
                run().map(|report| println!("{report}")).map_err(Failed::from)
            })
        })
        .collect()
}
