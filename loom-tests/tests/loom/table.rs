//! From a library model table to the suite's trials, once for every table
//! (`universal`, `multi_paxos`, `zab`, `byzantine`, `epaxos`): each model a
//! test of the table's name, its run (the model under loom at the
//! preemption bound the table gave it) printing what it explored, or
//! failing with why; a long model (the Byzantine table marks them) an
//! ignored test, which `-- --ignored` runs.

use consensus_lab::check::{byzantine, replicated};
use libtest_mimic::{Failed, Trial};

/// A model's run: what it explored, or why it failed.
type Run = Box<dyn Fn() -> Result<String, String> + Send + Sync>;

/// A row of a library model table.
pub(crate) trait TableModel {
    /// Its name, its run, and whether it is long (an ignored test).
    fn into_parts(self) -> (String, Run, bool);
}

impl TableModel for replicated::suite::SuiteModel {
    fn into_parts(self) -> (String, Run, bool) {
        (self.name, self.run, false)
    }
}

impl TableModel for byzantine::suite::SuiteModel {
    fn into_parts(self) -> (String, Run, bool) {
        (self.name, self.run, self.long)
    }
}

/// One trial per model of `models`, in the table's order.
pub(crate) fn trials<M: TableModel>(models: impl IntoIterator<Item = M>) -> Vec<Trial> {
    models
        .into_iter()
        .map(|m| {
            let (name, run, long) = m.into_parts();
            Trial::test(name, move || {
                run().map(|report| println!("{report}")).map_err(Failed::from)
            })
            .with_ignored_flag(long)
        })
        .collect()
}
