//! Crash faults and stalls: which acceptors and proposers stop, and when.
//!
//! * An acceptor crashed **after its k-th operation** answers its first `k`
//!   prepares/accepts and then nothing more (k = 0: crashed from the start). A
//!   proposer calling it gets no reply, which in shared memory is immediate (the
//!   timeout of a message-passing Paxos, without the wait).
//! * A proposer crashed **after its k-th step** (a step is one prepare or accept
//!   it sends) stops right there, wherever that is: between two prepares, between
//!   phase 1 and phase 2, between two accepts. Its `decide` returns
//!   [`ConsensusError::Crashed`](crate::ConsensusError::Crashed).
//!
//! * A proposer stalled **after its k-th step for d** pauses for `d` right
//!   there, before its next step (if it takes one), and then goes on as if
//!   nothing happened. With `k` = a majority, a proposer whose first ballot is
//!   not the fast path pauses between phase 1 and phase 2. A stall shows the
//!   progress guarantee: the other proposers decide meanwhile, since a stalled
//!   proposer holds nothing they wait for (see `conlab demo stall`).
//!
//! Written on the command line as `i` or `i@k` (`--crash-acceptor 0 --crash-acceptor 3@5
//! --crash-proposer 1@2`); a proposer crash needs the `@k`. A stall is `j@k:MS`
//! (`--stall-proposer 1@2:50`: proposer 1 pauses 50 ms after its 2nd step).
//!
//! A plan can also name **Byzantine replicas** ([`FaultPlan::byzantine`]):
//! which replica, and which [`Behaviour`] it follows (`--strategy equivocate`,
//! or `2:lie`). Only the Byzantine layer runs them (its
//! replicas); Paxos tolerates crashes only, and refuses a plan that names one.
//!
//! Crash points can also be drawn at random from a seed
//! ([`FaultPlan::random_crashes`], `--random-acceptor-crashes K`): the same
//! seed draws the same plan.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A crash point: who, and after how many of its operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crash {
    /// The acceptor index or proposer id.
    pub who: usize,
    /// Operations (acceptor) or steps (proposer) completed before the crash.
    pub after: usize,
}

impl FromStr for Crash {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let number = |t: &str| {
            t.trim().parse::<usize>().map_err(|_| format!("'{s}' is not a crash point (i or i@k)"))
        };
        match s.split_once('@') {
            Some((who, after)) => Ok(Crash { who: number(who)?, after: number(after)? }),
            None => Ok(Crash { who: number(s)?, after: 0 }),
        }
    }
}

impl fmt::Display for Crash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.who, self.after)
    }
}

/// Longest stall a plan may ask for.
pub const MAX_STALL: Duration = Duration::from_secs(60);

/// A stall point: which proposer, after how many of its steps, for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stall {
    /// The proposer id.
    pub who: usize,
    /// Steps (prepares and accepts) completed before the pause.
    pub after: usize,
    /// How long it pauses.
    pub pause: Duration,
}

impl FromStr for Stall {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{s}' is not a stall point (j@k:MS, e.g. 1@2:50)");
        let (point, ms) = s.split_once(':').ok_or_else(bad)?;
        let (who, after) = point.split_once('@').ok_or_else(bad)?;
        let number = |t: &str| t.trim().parse::<u64>().map_err(|_| bad());
        let pause = Duration::from_millis(number(ms)?);
        if pause > MAX_STALL {
            return Err(format!("'{s}': a stall lasts at most {} s", MAX_STALL.as_secs()));
        }
        let index = |t: &str| usize::try_from(number(t)?).map_err(|_| bad());
        Ok(Stall { who: index(who)?, after: index(after)?, pause })
    }
}

impl fmt::Display for Stall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}:{}", self.who, self.after, self.pause.as_millis())
    }
}

/// How many crash points [`FaultPlan::random_crashes`] draws.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RandomCrashes {
    /// Acceptors to crash.
    pub acceptors: usize,
    /// Proposers to crash.
    pub proposers: usize,
}

/// What a Byzantine replica does instead of the protocol (the strategies
/// themselves are in the Byzantine layer, `byzantine::strategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Writes nothing at all.
    Silent,
    /// Shows different replicas different records for the same view (two
    /// values, to alternate readers).
    Equivocate,
    /// Equivocates as widely as it can: shows every reader a different
    /// request, so that no value gathers a quorum and the view must change.
    Split,
    /// Reports values it did not accept (and, as primary, proposes a value no
    /// client asked for); claims a prepared certificate it does not have.
    Lie,
    /// Sends again signed records it received from others, as its own.
    Replay,
    /// Sends records under another replica's name (signatures reject them).
    Forge,
    /// Follows the protocol for its first `k` writes, then stops: mid-view,
    /// mid-broadcast.
    CrashAfter(usize),
}

impl Behaviour {
    /// Every strategy's name, as [`FromStr`] reads it (`crash` is `crash@k`).
    pub const NAMES: &'static [&'static str] =
        &["silent", "equivocate", "split", "lie", "replay", "forge", "crash@k"];
}

impl FromStr for Behaviour {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown =
            || format!("unknown Byzantine strategy '{s}' (known: {})", Behaviour::NAMES.join(", "));
        Ok(match s.trim() {
            "silent" => Behaviour::Silent,
            "equivocate" => Behaviour::Equivocate,
            "split" => Behaviour::Split,
            "lie" => Behaviour::Lie,
            "replay" => Behaviour::Replay,
            "forge" => Behaviour::Forge,
            "crash" => Behaviour::CrashAfter(1),
            other => match other.strip_prefix("crash@") {
                Some(k) => Behaviour::CrashAfter(k.parse().map_err(|_| unknown())?),
                None => return Err(unknown()),
            },
        })
    }
}

impl fmt::Display for Behaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Behaviour::Silent => f.write_str("silent"),
            Behaviour::Equivocate => f.write_str("equivocate"),
            Behaviour::Split => f.write_str("split"),
            Behaviour::Lie => f.write_str("lie"),
            Behaviour::Replay => f.write_str("replay"),
            Behaviour::Forge => f.write_str("forge"),
            Behaviour::CrashAfter(k) => write!(f, "crash@{k}"),
        }
    }
}

/// A Byzantine replica of a plan: who, and what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Byzantine {
    /// The replica index.
    pub who: usize,
    /// Its strategy.
    pub behaviour: Behaviour,
}

/// The crashes and stalls of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// Acceptor crashes.
    pub acceptors: Vec<Crash>,
    /// Proposer crashes.
    pub proposers: Vec<Crash>,
    /// Proposer stalls.
    pub stalls: Vec<Stall>,
    /// Leader crashes and stalls of a replicated log (Multi-Paxos): whoever
    /// leads at a slot, at a step.
    pub leader: Vec<LeaderFault>,
    /// Byzantine replicas (the Byzantine layer's protocols only: Paxos refuses them).
    pub byzantine: Vec<Byzantine>,
}

/// Where in its handling of one slot a leader is struck.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LeaderStep {
    /// Before its first accept for the slot.
    BeforeBroadcast,
    /// After its accept reached a minority (f of 2f + 1 acceptors).
    AfterMinority,
    /// After a majority accepted (the entry is chosen), before the leader
    /// publishes it as chosen.
    BeforePublish,
}

/// A leader fault: whoever leads at log slot `slot` crashes (`stall: None`)
/// or pauses for the stall at `step`; it strikes once, the first leader to
/// get there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaderFault {
    /// The log slot (from 0).
    pub slot: usize,
    /// The step.
    pub step: LeaderStep,
    /// `None`: a crash; `Some(d)`: a pause of `d`.
    pub stall: Option<Duration>,
}

impl FaultPlan {
    /// Refuses leader faults, which only a replicated log has: what every
    /// single-decree protocol calls beside [`validate`](Self::validate).
    ///
    /// # Errors
    /// The plan's first leader fault, in words.
    pub fn single_decree(&self) -> Result<(), String> {
        match self.leader.first() {
            None => Ok(()),
            Some(f) => Err(format!(
                "a leader fault (slot {}, {:?}) is for a replicated log (conlab rsm --impl \
                 multi-paxos); single-decree Paxos takes proposer crashes and stalls",
                f.slot, f.step
            )),
        }
    }

    /// No crash.
    pub fn none() -> Self {
        FaultPlan::default()
    }

    /// The first `n` acceptors crashed from the start.
    pub fn first_acceptors_crashed(n: usize) -> Self {
        FaultPlan {
            acceptors: (0..n).map(|who| Crash { who, after: 0 }).collect(),
            ..FaultPlan::default()
        }
    }

    /// Checks the plan against the sizes of an instance.
    ///
    /// # Errors
    /// A crash or stall point naming an acceptor or proposer that does not
    /// exist, or the same one twice; any Byzantine replica (Paxos tolerates
    /// crashes only).
    pub fn validate(&self, acceptors: usize, proposers: usize) -> Result<(), String> {
        if let Some(b) = self.byzantine.first() {
            return Err(format!(
                "Paxos tolerates crash faults only, and the plan makes replica {} Byzantine \
                 ({}): run Byzantine replicas with the Byzantine layer (conlab byzantine)",
                b.who, b.behaviour
            ));
        }
        for (kind, list, n) in
            [("acceptor", &self.acceptors, acceptors), ("proposer", &self.proposers, proposers)]
        {
            for (i, c) in list.iter().enumerate() {
                if c.who >= n {
                    return Err(format!("there is no {kind} {} (there are {n})", c.who));
                }
                if list[..i].iter().any(|d| d.who == c.who) {
                    return Err(format!("{kind} {} is given two crash points", c.who));
                }
            }
        }
        for (i, st) in self.stalls.iter().enumerate() {
            if st.who >= proposers {
                return Err(format!("there is no proposer {} (there are {proposers})", st.who));
            }
            if self.stalls[..i].iter().any(|o| o.who == st.who) {
                return Err(format!("proposer {} is given two stall points", st.who));
            }
            if st.pause > MAX_STALL {
                return Err(format!("a stall lasts at most {} s", MAX_STALL.as_secs()));
            }
            if let Some(k) = self.proposer(st.who).filter(|&k| k <= st.after) {
                return Err(format!(
                    "proposer {} crashes after step {k}, so it never reaches its stall after step {}",
                    st.who, st.after
                ));
            }
        }
        Ok(())
    }

    /// Crash points drawn from `seed` for an instance of `acceptors`
    /// acceptors and `proposers` proposers: `want.acceptors` distinct
    /// acceptors and `want.proposers` distinct proposers that this plan does
    /// not crash (or, for a proposer, stall) already, each crashing after a
    /// number of its operations drawn from 0 (from the start) to one
    /// operation per proposer in each phase (an acceptor: 2 × `proposers`),
    /// or of its steps from 0 to one ballot's (a proposer: 2 × `acceptors`).
    /// Only the drawn points are returned, sorted by who; the same seed, sizes
    /// and plan draw the same points.
    ///
    /// # Errors
    /// More crashes asked for than processes left to crash, in one line.
    pub fn random_crashes(
        &self,
        acceptors: usize,
        proposers: usize,
        want: RandomCrashes,
        seed: u64,
    ) -> Result<FaultPlan, String> {
        // Its own stream: not the backoff's draws from the same seed.
        let mut rng = fastrand::Rng::with_seed(seed ^ 0xC4A5_11ED_C4A5_11ED);
        let mut draw = |kind: &str, n: usize, taken: &[usize], k: usize, most: usize| {
            let mut free: Vec<usize> = (0..n).filter(|i| !taken.contains(i)).collect();
            if k > free.len() {
                let already = n - free.len();
                return Err(format!(
                    "{k} random {kind} crashes asked for, but there {} {n} {kind}{}{}",
                    if n == 1 { "is" } else { "are" },
                    if n == 1 { "" } else { "s" },
                    if already > 0 {
                        format!(" and {already} already crash or stall in the plan")
                    } else {
                        String::new()
                    }
                ));
            }
            rng.shuffle(&mut free);
            let mut drawn: Vec<Crash> =
                free[..k].iter().map(|&who| Crash { who, after: rng.usize(0..=most) }).collect();
            drawn.sort_by_key(|c| c.who);
            Ok(drawn)
        };
        let named = |list: &[Crash]| list.iter().map(|c| c.who).collect::<Vec<_>>();
        let busy: Vec<usize> =
            named(&self.proposers).into_iter().chain(self.stalls.iter().map(|s| s.who)).collect();
        Ok(FaultPlan {
            acceptors: draw(
                "acceptor",
                acceptors,
                &named(&self.acceptors),
                want.acceptors,
                2 * proposers,
            )?,
            proposers: draw("proposer", proposers, &busy, want.proposers, 2 * acceptors)?,
            ..FaultPlan::default()
        })
    }

    /// When acceptor `i` crashes, if it does.
    pub fn acceptor(&self, i: usize) -> Option<usize> {
        self.acceptors.iter().find(|c| c.who == i).map(|c| c.after)
    }

    /// When proposer `j` crashes, if it does.
    pub fn proposer(&self, j: usize) -> Option<usize> {
        self.proposers.iter().find(|c| c.who == j).map(|c| c.after)
    }

    /// When and how long proposer `j` stalls, if it does.
    pub fn stall(&self, j: usize) -> Option<Stall> {
        self.stalls.iter().find(|s| s.who == j).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_points_parse_and_bad_ones_are_errors() {
        assert_eq!("3".parse(), Ok(Crash { who: 3, after: 0 }));
        assert_eq!("1@2".parse(), Ok(Crash { who: 1, after: 2 }));
        assert!("x".parse::<Crash>().is_err());
        assert!("1@".parse::<Crash>().is_err());
        assert!("@2".parse::<Crash>().is_err());
    }

    #[test]
    fn plans_are_validated() {
        let plan = FaultPlan { acceptors: vec![Crash { who: 5, after: 0 }], ..FaultPlan::none() };
        assert!(plan.validate(5, 2).is_err());
        assert!(plan.validate(7, 2).is_ok());
        let twice = FaultPlan::first_acceptors_crashed(1);
        let twice =
            FaultPlan { acceptors: [twice.acceptors.clone(), twice.acceptors].concat(), ..twice };
        assert!(twice.validate(3, 1).is_err());
        let stall = |who| Stall { who, after: 2, pause: Duration::from_millis(5) };
        let plan = FaultPlan { stalls: vec![stall(1)], ..FaultPlan::none() };
        assert!(plan.validate(3, 2).is_ok());
        assert!(plan.validate(3, 1).is_err());
        let plan = FaultPlan { stalls: vec![stall(1), stall(1)], ..FaultPlan::none() };
        assert!(plan.validate(3, 2).is_err());
        let long = Stall { pause: MAX_STALL + Duration::from_secs(1), ..stall(0) };
        assert!(FaultPlan { stalls: vec![long], ..FaultPlan::none() }.validate(3, 2).is_err());
        let crash = |after| vec![Crash { who: 1, after }];
        let unreachable =
            FaultPlan { proposers: crash(2), stalls: vec![stall(1)], ..FaultPlan::none() };
        assert!(unreachable.validate(3, 2).unwrap_err().contains("never reaches its stall"));
        let reachable =
            FaultPlan { proposers: crash(3), stalls: vec![stall(1)], ..FaultPlan::none() };
        assert!(reachable.validate(3, 2).is_ok());
    }

    #[test]
    fn random_crashes_replay_by_seed_and_spare_the_named() {
        let want = RandomCrashes { acceptors: 2, proposers: 1 };
        let stall = Stall { who: 0, after: 1, pause: Duration::from_millis(1) };
        let plan = FaultPlan {
            acceptors: vec![Crash { who: 4, after: 0 }],
            stalls: vec![stall],
            ..FaultPlan::none()
        };
        let drawn = |seed| plan.random_crashes(5, 3, want, seed).unwrap();
        assert_eq!(drawn(7), drawn(7), "the same seed, the same plan");
        assert!((0..20).any(|s| drawn(s) != drawn(7)), "other seeds, other plans");
        for seed in 0..50 {
            let d = drawn(seed);
            assert_eq!((d.acceptors.len(), d.proposers.len()), (2, 1));
            assert!(d.acceptors.iter().all(|c| c.who < 4 && c.after <= 6), "{d:?}");
            assert!(d.acceptors[0].who < d.acceptors[1].who, "distinct, by who: {d:?}");
            assert!(d.proposers.iter().all(|c| c.who != 0 && c.who < 3 && c.after <= 10));
            let all = FaultPlan {
                acceptors: [plan.acceptors.clone(), d.acceptors].concat(),
                proposers: d.proposers,
                ..plan.clone()
            };
            assert!(all.validate(5, 3).is_ok(), "{all:?}");
        }
        let e = plan.random_crashes(5, 3, RandomCrashes { acceptors: 5, proposers: 0 }, 1);
        assert_eq!(e.unwrap_err(), "5 random acceptor crashes asked for, but there are 5 acceptors and 1 already crash or stall in the plan");
        let e =
            FaultPlan::none().random_crashes(3, 1, RandomCrashes { acceptors: 0, proposers: 2 }, 1);
        assert_eq!(e.unwrap_err(), "2 random proposer crashes asked for, but there is 1 proposer");
    }

    #[test]
    fn byzantine_strategies_parse_and_paxos_refuses_them() {
        assert_eq!("equivocate".parse(), Ok(Behaviour::Equivocate));
        assert_eq!("crash@3".parse(), Ok(Behaviour::CrashAfter(3)));
        for b in ["silent", "equivocate", "split", "lie", "replay", "forge", "crash@2"] {
            assert_eq!(b.parse::<Behaviour>().unwrap().to_string(), b);
        }
        let e = "sneaky".parse::<Behaviour>().unwrap_err();
        assert!(e.contains("unknown Byzantine strategy 'sneaky'"), "{e}");
        let byz = Byzantine { who: 1, behaviour: Behaviour::Lie };
        let plan = FaultPlan { byzantine: vec![byz], ..FaultPlan::default() };
        let e = plan.validate(3, 2).unwrap_err();
        assert!(e.contains("Paxos tolerates crash faults only"), "{e}");
    }

    #[test]
    fn stall_points_parse_and_bad_ones_are_errors() {
        let s: Stall = "1@2:50".parse().unwrap();
        assert_eq!(s, Stall { who: 1, after: 2, pause: Duration::from_millis(50) });
        assert_eq!(s.to_string(), "1@2:50");
        for bad in ["1@2", "1:50", "x@2:50", "1@2:", "1@2:-5", "1@2:99999999"] {
            assert!(bad.parse::<Stall>().is_err(), "{bad}");
        }
    }
}
