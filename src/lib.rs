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
//! Layers, lowest first; a module uses only those below it (checked by
//! `cargo xtask layers`, see `docs/src/architecture.md`):
//!
//! * [`sync`]: the facade that picks real or loom primitives;
//! * [`trace`]: the protocol trace ([`trace_step!`]) that loom counterexamples
//!   print; [`threads`]: real threads for every runner (barrier, race, cores);
//! * [`objects`]: Herlihy's objects, their specifications and consensus numbers;
//! * [`consensus`]: the traits [`IdConsensus`] and [`Consensus`], the announce
//!   layer [`Proposals`] (with its zero-cost proposer handles,
//!   [`Proposals::proposers`]), [`consensus::protocol`] (what a protocol says
//!   about itself), the protocols and their broken variants;
//! * [`paxos`]: Paxos over shared-memory acceptor registers, with crash faults;
//! * [`rsm`]: many slots: a sequential specification made concurrent by a
//!   log of consensus cells ([`rsm::Replicated`]), Herlihy's universal
//!   construction first;
//! * [`byzantine`]: Byzantine replicas beside [`rsm`]: PBFT's 3f+1 over
//!   per-reader mailboxes with MAC-signed records, and agreement with 2f+1
//!   over single-writer logs (non-equivocation);
//! * [`registry`]: every protocol in one list, read by the CLI, the stress
//!   runner, the benches and the loom suite; runners get a protocol's type
//!   through [`registry::Visit`];
//! * [`check`]: agreement / validity / step-bound checks, the loom harness
//!   (`cfg(loom)`), the real-core stress runner, the linearizability checker,
//!   and [`check::verify`], the one call that checks anything you write (the
//!   harness of the course exercises in `exercises/`);
//! * [`bench`](mod@bench): the workloads `conlab bench` and criterion share;
//! * [`demo`]: demonstrations on real cores (the stall demo: progress
//!   guarantees made visible).
//!
//! The command line, `conlab`, is its own crate (`conlab/`).
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

pub mod byzantine;
pub mod check;
pub mod consensus;
pub mod objects;
pub mod paxos;
pub mod registry;
pub mod rsm;
pub mod sync;
pub mod threads;
pub mod trace;

#[cfg(not(loom))]
pub mod bench;
// Real threads with names and scopes, which shuttle's threads do not offer.
#[cfg(not(any(loom, shuttle)))]
pub mod demo;

pub use consensus::{Consensus, ConsensusError, IdConsensus, Progress, Proposals};
