//! Progress bars on stderr (indicatif) with the elapsed time and an ETA, drawn
//! only when stderr is a terminal (hidden in pipes, files and tests): `bench`,
//! `run`, `run --object` and `demo stall` use them.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// A bar of `total` steps on stderr, hidden unless stderr is a terminal.
pub(crate) fn bar(total: u64) -> ProgressBar {
    bar_if(total, std::io::stderr().is_terminal())
}

/// A bar of `total` steps if `terminal`, else a hidden one.
fn bar_if(total: u64, terminal: bool) -> ProgressBar {
    if !terminal {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {pos}/{len} ETA {eta} {wide_msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_only_on_a_terminal() {
        assert!(bar_if(7, false).is_hidden());
        // (indicatif itself draws nothing where stderr is not a terminal.)
        let drawn = bar_if(7, true);
        assert_eq!(drawn.length(), Some(7));
        assert_eq!(bar_if(7, false).length(), None);
        drawn.finish_and_clear();
    }
}
