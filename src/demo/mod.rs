//! Demonstrations on real cores: what the theory predicts, measured.
//!
//! * [`stall`]: one thread paused inside its protocol; how long everyone else
//!   takes to decide shows each protocol's progress guarantee
//!   (`conlab demo stall`, docs/src/demo.md); [`stall::universal`]: one
//!   client of a universal object paused mid-operation, the others submitting.

pub mod stall;
