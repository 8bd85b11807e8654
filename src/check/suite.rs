//! One model of a library model table, as the loom suite and the shuttle
//! suite run it (`loom-tests/tests/loom/table.rs`, the shuttle suite's
//! `table_trial`): the replicated objects' tables ([`replicated`](super::replicated))
//! and the Byzantine replicas' ([`byzantine`](super::byzantine)) alike.

/// One model of a table.
pub struct SuiteModel {
    /// The test's name.
    pub name: String,
    /// Runs it: what it explored, or why it failed.
    pub run: Box<dyn Fn() -> Result<String, String> + Send + Sync>,
    /// Too long for CI: an ignored test (`-- --ignored` runs it).
    pub long: bool,
}

impl std::fmt::Debug for SuiteModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuiteModel").field("name", &self.name).finish_non_exhaustive()
    }
}
