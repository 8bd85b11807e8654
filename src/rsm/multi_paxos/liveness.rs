//! A failure detector in shared memory: a leader word, a heartbeat counter
//! and a timeout. It knows nothing of Paxos (Zab's election can use it as
//! is): it says who leads in which term, lets a suspicious process claim the
//! next term, and tells a waiting process when to suspect.
//!
//! **Algorithm.** The leader word holds `term << 32 | leader` (term 0:
//! nobody yet). [`Detector::claim`] is one compare&swap from the word the
//! claimant saw to the next term with itself as leader, so each term has
//! at most one leader: the term is a unique ballot. The leader
//! [`beat`](Detector::beat)s the heartbeat counter whenever it makes
//! progress. A waiting process polls ([`Watch::suspects`]): it suspects
//! once neither the leader word nor the heartbeat changed for the timeout,
//! [`Timeout::After`] a duration (real cores) or [`Timeout::Polls`] a
//! number of its own polls (loom and shuttle have no clock; one poll makes
//! every wait a possible false suspicion, which is what the models want).
//!
//! **Progress and safety.** The detector is only a hint: it may suspect a
//! leader that is alive (a slow one, or one between two commands), and two
//! processes may lead for a while (an old term's leader that has not yet
//! noticed). The protocol using it must stay safe whatever the detector
//! says (Multi-Paxos: ballots; Zab: epochs); the detector gives liveness
//! once one leader stays up and beats within the timeout.
//!
//! **Orderings.** All Relaxed: the words carry only themselves (a term, a
//! count), nothing is published through them, and the claim's uniqueness is
//! the compare&swap's atomicity, which holds at any ordering.

use crate::sync::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// When a waiting process suspects the leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// After this long without a heartbeat or a new leader.
    After(Duration),
    /// After this many of the waiter's own polls without either (models:
    /// loom and shuttle have no clock).
    Polls(u32),
}

/// A term and its leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    /// The term, from 1 (a unique ballot).
    pub term: u64,
    /// Its leader.
    pub leader: usize,
}

/// The shared leader word and heartbeat.
#[derive(Debug)]
pub struct Detector {
    leader: AtomicU64,
    heartbeat: AtomicU64,
    timeout: Timeout,
}

fn decode(w: u64) -> Option<Term> {
    (w >> 32 != 0).then_some(Term { term: w >> 32, leader: (w & 0xffff_ffff) as usize })
}

fn encode(t: Term) -> u64 {
    (t.term << 32) | t.leader as u64
}

impl Detector {
    /// Nobody leads yet.
    pub fn new(timeout: Timeout) -> Self {
        Detector { leader: AtomicU64::new(0), heartbeat: AtomicU64::new(0), timeout }
    }

    /// The timeout.
    pub fn timeout(&self) -> Timeout {
        self.timeout
    }

    /// Who leads, as far as the word says (`None`: nobody yet).
    pub fn current(&self) -> Option<Term> {
        decode(self.leader.load(Ordering::Relaxed))
    }

    /// Claims the term after `seen` (what the claimant read) for `me`: the
    /// new term if the word still held `seen`, else `None` (someone claimed
    /// first; its term is the one to watch).
    pub fn claim(&self, seen: Option<Term>, me: usize) -> Option<Term> {
        let next = Term { term: seen.map_or(1, |t| t.term + 1), leader: me };
        let old = seen.map_or(0, encode);
        self.leader
            .compare_exchange(old, encode(next), Ordering::Relaxed, Ordering::Relaxed)
            .ok()
            .map(|_| next)
    }

    /// The leader made progress. A load and a store, not a
    /// read-modify-write: two leaders of a moment may lose a beat to each
    /// other, which only delays a suspicion.
    pub fn beat(&self) {
        let b = self.heartbeat.load(Ordering::Relaxed);
        self.heartbeat.store(b.wrapping_add(1), Ordering::Relaxed);
    }

    fn snapshot(&self) -> (u64, u64) {
        (self.leader.load(Ordering::Relaxed), self.heartbeat.load(Ordering::Relaxed))
    }
}

/// One waiting process's view: what it last saw, and since when.
#[derive(Debug, Default)]
pub struct Watch {
    seen: Option<(u64, u64)>,
    polls: u32,
    since: Option<Instant>,
}

impl Watch {
    /// Polls the detector: whether to suspect the leader now (nobody leads,
    /// or nothing changed for the timeout).
    pub fn suspects(&mut self, d: &Detector) -> bool {
        let now = d.snapshot();
        if now.0 == 0 {
            self.seen = Some(now);
            return true;
        }
        if self.seen != Some(now) {
            self.seen = Some(now);
            self.polls = 0;
            self.since = None;
            return false;
        }
        self.polls = self.polls.saturating_add(1);
        match d.timeout {
            Timeout::Polls(k) => self.polls >= k,
            Timeout::After(t) => {
                let since = *self.since.get_or_insert_with(Instant::now);
                since.elapsed() >= t
            }
        }
    }

    /// Claims the term after the one this watch last saw (the one it
    /// suspects) for `me`, and forgets what it saw. Claiming against what
    /// the suspicion was about, not a fresh read of the word, is what makes
    /// a claim fail when somebody else claimed since: two processes that
    /// both suspected "nobody leads" get term 1 and a refusal, not terms 1
    /// and 2 (which would cost the first its term at once).
    pub fn claim(&mut self, d: &Detector, me: usize) -> Option<Term> {
        let seen = self.seen.and_then(|(w, _)| decode(w));
        self.reset();
        d.claim(seen, me)
    }

    /// Forgets what it saw (after a claim or a lost leadership).
    pub fn reset(&mut self) {
        *self = Watch::default();
    }
}

/// Failover times: from a leader's crash to the next command committed
/// (real cores; the models have no clock). One Relaxed load per command
/// when no failover is pending.
#[cfg(not(any(loom, shuttle)))]
#[derive(Debug, Default)]
pub struct FailoverClock {
    pending: crate::sync::AtomicBool,
    since: crate::sync::StdMutex<Option<Instant>>,
    times: crate::sync::StdMutex<Vec<Duration>>,
}

#[cfg(not(any(loom, shuttle)))]
impl FailoverClock {
    /// The leader crashed now.
    pub fn crashed(&self) {
        *self.since.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(Instant::now());
        // Relaxed: a hint that a time is pending; the mutex carries the time.
        self.pending.store(true, Ordering::Relaxed);
    }

    /// A command was committed now: ends a pending failover.
    pub fn committed(&self) {
        // Relaxed: see `crashed`.
        if !self.pending.load(Ordering::Relaxed) || !self.pending.swap(false, Ordering::Relaxed) {
            return;
        }
        if let Some(t) = self.since.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
        {
            self.times.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(t.elapsed());
        }
    }

    /// Every failover measured, in order.
    pub fn times(&self) -> Vec<Duration> {
        self.times.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;

    #[test]
    fn one_leader_per_term_and_suspicion_after_the_polls() {
        let d = Detector::new(Timeout::Polls(2));
        let mut w = Watch::default();
        assert!(w.suspects(&d), "nobody leads");
        let t1 = d.claim(None, 3).unwrap();
        assert_eq!(t1, Term { term: 1, leader: 3 });
        assert_eq!(d.claim(None, 4), None, "term 1 is taken");
        assert_eq!(d.current(), Some(t1));
        assert!(!w.suspects(&d), "a new leader: watch it");
        assert!(!w.suspects(&d));
        d.beat();
        assert!(!w.suspects(&d), "a beat");
        assert!(!w.suspects(&d));
        assert!(w.suspects(&d), "2 polls without a beat");
        assert_eq!(w.claim(&d, 4), Some(Term { term: 2, leader: 4 }));
    }

    #[test]
    fn a_claim_is_against_what_the_watch_suspected() {
        let d = Detector::new(Timeout::Polls(1));
        let (mut a, mut b) = (Watch::default(), Watch::default());
        assert!(a.suspects(&d) && b.suspects(&d), "both see nobody lead");
        assert_eq!(b.claim(&d, 1), Some(Term { term: 1, leader: 1 }));
        assert_eq!(a.claim(&d, 0), None, "a suspected nobody, and somebody leads now");
        assert_eq!(d.current(), Some(Term { term: 1, leader: 1 }), "term 1 is not taken over");
        assert!(!a.suspects(&d), "a watches the new leader");
    }

    #[test]
    fn a_timed_watch_waits_for_the_duration() {
        let d = Detector::new(Timeout::After(Duration::from_millis(20)));
        d.claim(None, 0).unwrap();
        let mut w = Watch::default();
        assert!(!w.suspects(&d));
        assert!(!w.suspects(&d), "too early");
        std::thread::sleep(Duration::from_millis(25));
        assert!(w.suspects(&d));
    }
}
