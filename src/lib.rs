//! # consensus-lab
//!
//! Consensus and Herlihy's wait-free hierarchy on real atomics: every protocol is
//! model-checked with loom and measured on real cores, from the same code.
//!
//! ## The hierarchy in one page
//!
//! A shared object's *consensus number* is the largest number of threads for
//! which it (with read/write registers) solves wait-free consensus: every thread
//! proposes a value, all decide the same one (agreement), it was proposed
//! (validity), and each thread decides in a bounded number of its own steps
//! whatever the others do (wait-freedom).
//!
//! | object | consensus number |
//! |---|---|
//! | read/write register | 1 |
//! | test&set, swap, fetch&add, queue | 2 |
//! | m-register assignment | 2m − 2 |
//! | compare&swap | ∞ |
//!
//! Locks solve consensus for any number of threads too, but they *block*: a thread
//! stopped while holding the lock stops everyone. Objects cannot be built
//! wait-free from objects of a lower consensus number.
//!
//! ## Layout
//!
//! * [`consensus`]: the traits [`IdConsensus`] and [`Consensus`], the announce
//!   layer [`Proposals`] (with its zero-cost proposer handles,
//!   [`Proposals::proposers`]), and the protocols;
//! * [`paxos`]: Paxos over shared-memory acceptor registers, with crash faults;
//! * [`broken`]: intentionally wrong protocols, each caught by loom;
//! * [`registry`]: every protocol in one list, read by the CLI, the stress
//!   runner, the benches and the loom suite;
//! * [`check`]: agreement / validity / step-bound checks, the protocol trace, the
//!   loom harness (`cfg(loom)`), the real-core stress runner, the
//!   linearizability checker, and [`check::verify`], the one call that checks
//!   anything you write (the harness of the course exercises in `exercises/`);
//! * [`demo`]: demonstrations on real cores (the stall demo: progress
//!   guarantees made visible);
//! * [`sync`]: the facade that picks real or loom primitives.
//!
//! ```
//! use consensus_lab::consensus::{protocol::Params, Consensus, Proposals};
//! use consensus_lab::registry;
//!
//! let cas = registry::find("cas").unwrap();
//! let slot = Proposals::new(cas.build(&Params::threads(2)).unwrap());
//! assert_eq!(slot.decide(1, "left").unwrap(), &"left");
//! assert_eq!(slot.decide(0, "right").unwrap(), &"left");
//! ```

#![warn(missing_docs)]

pub mod check;
pub mod consensus;
pub mod objects;
pub mod paxos;
pub mod registry;
pub mod sync;
pub mod threads;
pub mod trace;

#[cfg(not(loom))]
pub mod bench;
#[cfg(not(loom))]
pub mod demo;

pub use consensus::{Consensus, ConsensusError, IdConsensus, Progress, Proposals};
