//! Instances with a stall built in: which wrapper each stall point needs.

use super::{Point, Selected, StallConfig};
use crate::consensus::lock::{DecisionLock, LockConsensus, ParkingLotConsensus, StdMutexConsensus};
use crate::consensus::stall::{StallAt, StallGate, Stalled};
use crate::consensus::{ConsensusError, IdConsensus, Progress};
use crate::paxos::{
    Acceptor, FaultPlan, MutexAcceptor, MutexPaxos, PackedAcceptor, Paxos, PaxosConfig,
    PaxosConsensus, Stall,
};
use crate::registry::{Params, Protocol};
use crate::sync::{AtomicUsize, Ordering, ParkingMutex, StdMutex};

/// An instance with a stall built in, and a way to watch it.
pub(super) trait Target: IdConsensus + Send {
    /// The stalled thread's gate.
    fn gate(&self) -> Option<&StallGate>;
    /// The ballots `me` used, where the protocol has them.
    fn attempts(&self, me: usize) -> Option<usize> {
        let _ = me;
        None
    }
}

impl<C: IdConsensus + Send> Target for Stalled<C> {
    fn gate(&self) -> Option<&StallGate> {
        Some(self.stall().gate())
    }
}

impl<L: DecisionLock> Target for LockConsensus<L, StallAt> {
    fn gate(&self) -> Option<&StallGate> {
        Some(self.hook().gate())
    }
}

/// Paxos with a stall in its fault plan, counting each proposer's ballots.
struct CountedPaxos<A> {
    paxos: PaxosConsensus<A>,
    stalled: usize,
    attempts: Box<[AtomicUsize]>,
}

impl<A: Acceptor> IdConsensus for CountedPaxos<A> {
    fn threads(&self) -> usize {
        self.paxos.threads()
    }
    fn decide_id(&self, me: usize) -> Result<usize, ConsensusError> {
        let (result, stats) = self.paxos.propose(me);
        if let Some(a) = self.attempts.get(me) {
            // Relaxed: read after the threads are joined, which orders it.
            a.store(stats.attempts, Ordering::Relaxed);
        }
        result
    }
    fn progress(&self) -> Progress {
        self.paxos.progress()
    }
}

impl<A: Acceptor> Target for CountedPaxos<A> {
    fn gate(&self) -> Option<&StallGate> {
        self.paxos.stall_gate(self.stalled)
    }
    fn attempts(&self, me: usize) -> Option<usize> {
        // Relaxed: see the store.
        self.attempts.get(me).map(|a| a.load(Ordering::Relaxed))
    }
}

/// Paxos's stall point for proposer `who`: its steps before the pause, in words.
fn paxos_point(who: usize, cfg: &PaxosConfig) -> (usize, String) {
    let (majority, n) = (cfg.acceptors / 2 + 1, cfg.acceptors);
    if who == 0 && cfg.fast_path {
        (1, format!("after 1 of {n} accepts (fast path: no phase 1)"))
    } else {
        (majority, format!("between phases ({majority} of {n} promised)"))
    }
}

fn paxos<A: Acceptor + 'static>(cfg: &StallConfig) -> Result<Box<dyn Target>, ConsensusError> {
    let mut pc = PaxosConfig::new(cfg.threads);
    let (after, _) = paxos_point(cfg.stalled, &pc);
    let stall = Stall { who: cfg.stalled, after, pause: cfg.pause };
    pc.faults = FaultPlan { stalls: vec![stall], ..FaultPlan::none() };
    Ok(Box::new(CountedPaxos {
        paxos: PaxosConsensus::<A>::new(&pc)?,
        stalled: cfg.stalled,
        attempts: (0..cfg.threads).map(|_| AtomicUsize::new(0)).collect(),
    }))
}

fn lock<L: DecisionLock + 'static>(cfg: &StallConfig) -> Box<dyn Target> {
    Box::new(LockConsensus::<L, _>::with_hook(cfg.threads, StallAt::new(cfg.stalled, cfg.pause)))
}

pub(super) fn build(sel: &Selected, cfg: &StallConfig) -> Result<Box<dyn Target>, ConsensusError> {
    let name = sel.entry.info().name;
    match sel.point {
        Point::Announce => {
            let ids = sel.entry.build(&Params::threads(cfg.threads))?;
            Ok(Box::new(Stalled::new(ids, cfg.stalled, cfg.pause)))
        }
        Point::Lock if name == StdMutexConsensus::INFO.name => {
            Ok(lock::<StdMutex<Option<usize>>>(cfg))
        }
        Point::Lock if name == ParkingLotConsensus::INFO.name => {
            Ok(lock::<ParkingMutex<Option<usize>>>(cfg))
        }
        Point::PaxosPhase if name == Paxos::INFO.name => paxos::<PackedAcceptor>(cfg),
        Point::PaxosPhase if name == MutexPaxos::INFO.name => paxos::<MutexAcceptor>(cfg),
        p => Err(ConsensusError::InvalidConfig(format!(
            "the {} point does not exist in {name}",
            p.name()
        ))),
    }
}

/// The stall point in words.
pub(super) fn stalled_at(sel: &Selected, cfg: &StallConfig) -> String {
    match sel.point {
        Point::Announce => "announced, before its first step".into(),
        Point::Lock => "holding the lock".into(),
        Point::PaxosPhase => paxos_point(cfg.stalled, &PaxosConfig::new(cfg.threads)).1,
    }
}
