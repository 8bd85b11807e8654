//! From a library model table to the suite's trials, once for every table
//! (`universal`, `multi_paxos`, `zab`, `byzantine`, `epaxos`): each model a
//! test of the table's name, its run (the model under loom at the
//! preemption bound the table gave it) printing what it explored, or
//! failing with why; a long model (the Byzantine table marks them) an
//! ignored test, which `-- --ignored` runs.

use consensus_lab::check::suite::SuiteModel;
use libtest_mimic::{Failed, Trial};

/// One trial per model of `models`, in the table's order.
pub(crate) fn trials(models: impl IntoIterator<Item = SuiteModel>) -> Vec<Trial> {
    models
        .into_iter()
        .map(|SuiteModel { name, run, long }| {
            Trial::test(name, move || {
                run().map(|report| println!("{report}")).map_err(Failed::from)
            })
            .with_ignored_flag(long)
        })
        .collect()
}
