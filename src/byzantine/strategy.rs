//! Byzantine strategies, as a library: what a faulty replica writes instead
//! of following the protocol. Each is a short script over the replica's own
//! logs (it can write nothing else) and its own keys (it can sign as nothing
//! else); the same scripts run against both protocols, and under the
//! single-writer layout every "send to r" lands in the one log everyone
//! reads, which is why equivocation there achieves nothing.
//!
//! | strategy | what it writes | what stops it |
//! |---|---|---|
//! | silent | nothing | the view change (a silent primary times out) |
//! | equivocate | as primary, pre-prepares of two values to alternate readers; prepares and commits of whatever each reader was shown | quorum intersection (PBFT), non-equivocation (single-writer) |
//! | split | as equivocate, but every reader is shown a different request (n values for n readers): with n = 3f+1 no value gathers 2f+1 prepares | the view change (PBFT), non-equivocation (single-writer) |
//! | lie | as primary, a value no client requested; as backup, prepares and commits of a value it was not shown, and a view change claiming a prepared certificate of one record | request checks, certificates of q records |
//! | replay | every record it received from others, again, as its own | the signer is not the writer |
//! | forge | prepares and commits under every other replica's name; its own decision and view change carrying certificates of them | log ownership (top-level records), MACs (records in certificates) |
//! | crash@k | the protocol, for its first k writes | as a silent replica, from then on |
//!
//! `crash@k` runs the honest code with a write budget (see
//! [`Replica`]); the runner does that, not this module.

use super::record::{Cert, Record};
use super::replica::{Outcome, Replica, Stop};
use super::Behaviour;

/// Runs Byzantine replica `r` with `behaviour` (not `CrashAfter`, which is
/// the honest code with a write budget).
///
/// # Errors
/// [`Stop`]: a log of its is full (the strategy stops there).
pub fn run(r: &mut Replica<'_>, behaviour: Behaviour) -> Result<Outcome, Stop> {
    let (cfg, me) = (*r.cfg, r.me());
    let n = cfg.replicas;
    let primary = me == cfg.primary(0);
    match behaviour {
        Behaviour::Silent | Behaviour::CrashAfter(_) => {}
        Behaviour::Equivocate | Behaviour::Split => {
            // Equivocate: alternate readers see a and b (with n = 3 and the
            // primary at 0, replica 1 is shown b and replica 2 a). Split:
            // reader `to` sees request `to + 1`, every reader another one.
            let (a, b) = (cfg.input(me), cfg.input((me + 1) % n));
            let split = behaviour == Behaviour::Split;
            let shown = |to: usize| match () {
                _ if split => cfg.input(to),
                _ if (to + n - me) % 2 == 1 => a,
                _ => b,
            };
            let kinds: [fn(u64) -> Record; 3] = [
                |value| Record::PrePrepare { view: 0, value },
                |value| Record::Prepare { view: 0, value },
                |value| Record::Commit { view: 0, value },
            ];
            for (k, make) in kinds.iter().enumerate() {
                if k == 0 && !primary {
                    continue;
                }
                let records = (0..n).map(|to| r.inbox.sign(make(shown(to)))).collect();
                r.send_each(records)?;
            }
        }
        Behaviour::Lie => {
            if primary {
                let pp = r.inbox.sign(Record::PrePrepare { view: 0, value: n as u64 + 1 });
                r.broadcast(&pp)?;
            }
            // A request, but not the primary's.
            let lie = cfg.input(if primary { (me + 1) % n } else { me });
            let prepare = r.inbox.sign(Record::Prepare { view: 0, value: lie });
            r.broadcast(&prepare)?;
            let commit = r.inbox.sign(Record::Commit { view: 0, value: lie });
            r.broadcast(&commit)?;
            let cert = Cert { view: 0, value: lie, records: vec![prepare] };
            let vc = r.inbox.sign(Record::ViewChange { view: 1, prepared: Some(cert) });
            r.broadcast(&vc)?;
        }
        Behaviour::Replay => {
            let mut got = Vec::new();
            for _ in 0..cfg.patience {
                r.inbox.poll(r.board, &mut got);
                r.pause();
            }
            for (from, s) in got {
                if from != me {
                    r.broadcast(&s)?;
                }
            }
        }
        Behaviour::Forge => {
            let x = cfg.input(me);
            let (mut prepares, mut commits) = (Vec::new(), Vec::new());
            for victim in (0..n).filter(|&v| v != me) {
                let prepare = r.inbox.forge(victim, Record::Prepare { view: 0, value: x });
                r.broadcast(&prepare)?;
                prepares.push(prepare);
                let commit = r.inbox.forge(victim, Record::Commit { view: 0, value: x });
                r.broadcast(&commit)?;
                commits.push(commit);
            }
            // Its own records, carrying forged certificates: only the MACs
            // inside tell (mailboxes); single-writer replicas use neither.
            let cert = Cert { view: 0, value: x, records: commits };
            let decided = r.inbox.sign(Record::Decided { cert });
            r.broadcast(&decided)?;
            let cert = Cert { view: 0, value: x, records: prepares };
            let vc = r.inbox.sign(Record::ViewChange { view: 1, prepared: Some(cert) });
            r.broadcast(&vc)?;
        }
    }
    Ok(Outcome::Stopped)
}
