//! The Byzantine replicas' loom models, from the library's table
//! (`consensus_lab::check::byzantine::suite`, where each model's bound and
//! cost are written).

use libtest_mimic::Trial;

pub(crate) fn trials() -> Vec<Trial> {
    crate::table::trials(consensus_lab::check::byzantine::suite::models())
}
