//! One instance: the board, each replica's writer and keys, the plan; and a
//! run of it on real threads.
//!
//! [`Instance::replica`] is what one replica's thread runs, honest or
//! Byzantine, in every world: the loom and shuttle harnesses
//! (`check::byzantine`) spawn their threads on it, [`Instance::run`] spawns
//! real ones. Replica `i` gets writer `i` and ring `i` and nothing else.

use super::board::{Board, Layout, Writer};
use super::replica::{Outcome, Replica, Report};
use super::sign::Keyring;
use super::{behaviour, pbft, strategy, swmr, Behaviour, Config, Protocol};
use crate::paxos::FaultPlan;

/// One instance of a Byzantine protocol.
#[derive(Debug)]
pub struct Instance {
    cfg: Config,
    board: Board,
    writers: Vec<Writer>,
    rings: Vec<Keyring>,
    plan: Vec<Option<Behaviour>>,
}

impl Instance {
    /// A fresh instance of `cfg` under `plan`.
    ///
    /// # Errors
    /// The configuration or the plan does not hold ([`Config::validate`]).
    pub fn new(cfg: Config, plan: &FaultPlan) -> Result<Self, String> {
        cfg.validate(plan)?;
        let layout = match cfg.protocol {
            Protocol::Pbft => Layout::Mailboxes,
            Protocol::Swmr => Layout::SingleWriter,
        };
        let (board, writers) = Board::new(layout, cfg.replicas, cfg.log_capacity());
        let rings = Keyring::all(cfg.secret, cfg.replicas);
        let plan: Vec<Option<Behaviour>> = (0..cfg.replicas).map(|i| behaviour(plan, i)).collect();
        // Under loom a silent replica gets no thread (`check::byzantine::execute`):
        // the board's clock counts only the others.
        #[cfg(loom)]
        board.expect_threads(plan.iter().filter(|b| **b != Some(Behaviour::Silent)).count());
        Ok(Instance { cfg, board, writers, rings, plan })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Replica `i`'s strategy, if it is Byzantine.
    pub fn behaviour(&self, i: usize) -> Option<Behaviour> {
        self.plan[i]
    }

    /// Runs replica `i` to its end: call once per replica, from its own thread
    /// (under loom: once per replica that is not silent, as
    /// `check::byzantine::execute` does).
    pub fn replica(&self, i: usize) -> Report {
        let budget = match self.plan[i] {
            Some(Behaviour::CrashAfter(k)) => Some(k),
            _ => None,
        };
        let mut r =
            Replica::new(&self.cfg, &self.board, &self.writers[i], self.rings[i].clone(), budget);
        let honest = self.plan[i].is_none();
        let outcome = match self.plan[i] {
            None | Some(Behaviour::CrashAfter(_)) => match self.cfg.protocol {
                Protocol::Pbft => pbft::run(&mut r),
                Protocol::Swmr => swmr::run(&mut r),
            },
            Some(b) => strategy::run(&mut r, b),
        };
        let outcome = match outcome {
            Ok(o) if honest => o,
            _ => Outcome::Stopped,
        };
        #[cfg(loom)]
        if self.plan[i] != Some(Behaviour::Silent) {
            self.board.leave();
        }
        r.report(honest, outcome)
    }

    /// Runs every replica on its own real thread and returns their reports,
    /// by replica.
    #[cfg(not(any(loom, shuttle)))]
    pub fn run(self) -> Vec<Report> {
        let me = &self;
        crate::sync::thread::scope(|s| {
            let handles: Vec<_> =
                (0..me.cfg.replicas).map(|i| s.spawn(move || me.replica(i))).collect();
            handles.into_iter().map(|h| h.join().expect("a replica thread panicked")).collect()
        })
    }
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;
    use crate::byzantine::Byzantine;

    fn plan(who: usize, behaviour: Behaviour) -> FaultPlan {
        FaultPlan { byzantine: vec![Byzantine { who, behaviour }], ..FaultPlan::default() }
    }

    fn decided(reports: &[Report]) -> Vec<u64> {
        reports
            .iter()
            .filter(|r| r.honest)
            .filter_map(|r| match r.outcome {
                Outcome::Decided { value, .. } => Some(value),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn honest_replicas_decide_the_primarys_request() {
        for protocol in [Protocol::Pbft, Protocol::Swmr] {
            let n = protocol.min_replicas(1);
            let cfg = Config { patience: 200_000, ..Config::new(protocol, n, 1) };
            let reports = Instance::new(cfg, &FaultPlan::default()).unwrap().run();
            assert_eq!(decided(&reports), vec![1; n], "{protocol}: {reports:?}");
        }
    }

    #[test]
    fn every_strategy_leaves_the_honest_replicas_agreeing() {
        let all = [
            Behaviour::Silent,
            Behaviour::Equivocate,
            Behaviour::Split,
            Behaviour::Lie,
            Behaviour::Replay,
            Behaviour::Forge,
            Behaviour::CrashAfter(2),
        ];
        for protocol in [Protocol::Pbft, Protocol::Swmr] {
            let n = protocol.min_replicas(1);
            for b in all {
                for who in [0, 1] {
                    // Patience well above a loaded machine's scheduling gaps:
                    // at 20,000 polls honest replicas of a loaded 2-vCPU
                    // machine ran out of views undecided, and at 200,000 with
                    // 3 views once more (load average 8: liveness rests on
                    // timeouts; safety is asserted whatever the timing). A
                    // run that decides in view 0 never spends the rest.
                    let cfg =
                        Config { patience: 200_000, max_views: 8, ..Config::new(protocol, n, 1) };
                    let reports = Instance::new(cfg, &plan(who, b)).unwrap().run();
                    let d = decided(&reports);
                    assert!(
                        d.windows(2).all(|w| w[0] == w[1]),
                        "{protocol} {b}@{who}: {reports:?}"
                    );
                    assert!(d.iter().all(|&x| cfg.is_request(x)), "{protocol} {b}@{who}: {d:?}");
                    assert!(!d.is_empty(), "{protocol} {b}@{who}: no decision: {reports:?}");
                    if matches!(b, Behaviour::Forge | Behaviour::Replay)
                        && protocol == Protocol::Pbft
                    {
                        let rejected: u64 = reports.iter().map(|r| r.ops.rejected).sum();
                        assert!(rejected > 0 || b == Behaviour::Replay, "{b}: nothing rejected");
                    }
                }
            }
        }
    }
}
