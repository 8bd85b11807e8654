//! m-register assignment: consensus number 2m − 2.
//!
//! An array of registers with two operations: `assign` writes up to `m` of them
//! **in one atomic step**, `read` reads one. Herlihy showed that this object
//! solves consensus for 2m − 2 threads and no more.
//!
//! **Implementation**: up to [`MAX_REGISTERS`] registers of 4 bits each (values
//! 0 to 14, and ⊥) packed into one `AtomicU64`. `assign` is a compare&swap loop
//! that rewrites the chosen fields and keeps the others; `read` is one load of
//! the word. Both are linearizable at their one successful atomic instruction,
//! and, unlike a locked `assign` beside unlocked loads of separate atomics, a
//! `read` can never see one register of an assignment without the others. The
//! CAS loop is inside the object: the protocols use only `assign` and `read`.
//! The loop is lock-free (a retry means another assignment landed, so it backs
//! off with [`Backoff::spin`](crate::sync::Backoff)).
//!
//! **Steps.** To a protocol built on this object, an `assign` is one step (one
//! operation on a shared object, as Herlihy counts them, and one traced
//! `Assign` step) and so is a `read`, whatever the implementation costs in
//! instructions: an `assign` is a load and up to k CAS attempts when k
//! assignments race (each failure means another one landed), so at most n for
//! n threads that each assign once, as in the assignment consensus protocols.
//! Their step bounds (`Progress::WaitFree` in the consensus layer) count
//! operations, not instructions.
//!
//! Orderings: `assign`'s CAS is `AcqRel` on success (publish the assigner's
//! announce; acquire what earlier assigners published, which later reads of
//! this word then carry along) and `Relaxed` on failure (the loop retries on the
//! value found); `read` is `Acquire`.

use super::{ConsensusNumber, ObjectError};
use super::{Object, ObjectInfo, Spec};
use crate::sync::{AtomicU64, Backoff, Ordering};
use crate::trace_step;

/// Registers one object holds.
pub const MAX_REGISTERS: usize = 16;
/// Values a register holds: `0..MAX_VALUE` (and ⊥).
pub const MAX_VALUE: usize = 15;
const BOT: u64 = 0xF;
const ALL_BOT: u64 = u64::MAX;

/// The operations.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AssignOp {
    /// Writes each `(register, value)` atomically; returns `None`.
    Assign(Vec<(usize, usize)>),
    /// Returns register `i` (`None`: ⊥).
    Read(usize),
}

/// The sequential specification: `registers` registers, all ⊥ at first.
#[derive(Clone, Copy, Debug)]
pub struct AssignSpec {
    /// Registers.
    pub registers: usize,
}

impl Spec for AssignSpec {
    type State = Vec<Option<usize>>;
    type Op = AssignOp;
    type Ret = Option<usize>;
    fn init(&self) -> Vec<Option<usize>> {
        vec![None; self.registers]
    }
    fn apply(&self, s: &Vec<Option<usize>>, op: &AssignOp) -> (Vec<Option<usize>>, Option<usize>) {
        match op {
            AssignOp::Assign(writes) => {
                let mut s = s.clone();
                for &(r, v) in writes {
                    s[r] = Some(v);
                }
                (s, None)
            }
            AssignOp::Read(r) => (s.clone(), s[*r]),
        }
    }

    fn read_only(&self, op: &AssignOp) -> bool {
        matches!(op, AssignOp::Read(_))
    }
}

/// An m-register assignment object.
#[derive(Debug)]
pub struct Assignment {
    word: AtomicU64,
    registers: usize,
    m: usize,
    name: &'static str,
}

fn field(word: u64, r: usize) -> Option<usize> {
    let v = (word >> (4 * r)) & 0xF;
    (v != BOT).then_some(v as usize)
}

impl Assignment {
    /// `registers` registers, all ⊥, assignable `m` at a time.
    ///
    /// # Errors
    /// More than [`MAX_REGISTERS`] registers, or `m` of 0.
    pub fn new(registers: usize, m: usize) -> Result<Self, ObjectError> {
        Self::named("r", registers, m)
    }

    /// The same, with `name` for its registers in traces (`name[i]`), for
    /// protocols that use several objects.
    ///
    /// # Errors
    /// As [`Assignment::new`].
    pub fn named(name: &'static str, registers: usize, m: usize) -> Result<Self, ObjectError> {
        if registers > MAX_REGISTERS || m == 0 {
            return Err(ObjectError::AssignmentShape { registers, m, max: MAX_REGISTERS });
        }
        Ok(Assignment { word: AtomicU64::new(ALL_BOT), registers, m, name })
    }

    /// Writes every `(register, value)` in one atomic step.
    ///
    /// # Errors
    /// More than `m` writes, a register out of range, or a value ≥ [`MAX_VALUE`].
    pub fn assign(&self, me: usize, writes: &[(usize, usize)]) -> Result<(), ObjectError> {
        if writes.len() > self.m
            || writes.iter().any(|&(r, v)| r >= self.registers || v >= MAX_VALUE)
        {
            return Err(ObjectError::BadAssignment {
                m: self.m,
                registers: self.registers,
                max_value: MAX_VALUE,
            });
        }
        let (mut mask, mut bits) = (0u64, 0u64);
        for &(r, v) in writes {
            mask |= 0xF << (4 * r);
            bits |= (v as u64) << (4 * r);
        }
        let mut cur = self.word.load(Ordering::Relaxed);
        // A failed CAS means another assignment landed: back off exponentially
        // (crossbeam's `spin`, never a yield: the loop is lock-free). Under loom,
        // one loom yield per retry, as the plain `spin_loop` it replaces.
        let backoff = Backoff::new();
        loop {
            // AcqRel on success, Relaxed on failure: see the module docs.
            match self.word.compare_exchange(
                cur,
                (cur & !mask) | bits,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(found) => {
                    cur = found;
                    backoff.spin();
                }
            }
        }
        let mut regs = [(0u8, 0u8); 6];
        for (slot, &(r, v)) in regs.iter_mut().zip(writes) {
            *slot = (r as u8, v as u8);
        }
        trace_step!(me, Assign { name: self.name, count: writes.len().min(6) as u8, regs });
        Ok(())
    }

    /// Reads register `r` (`None`: ⊥, or no such register).
    pub fn read(&self, me: usize, r: usize) -> Option<usize> {
        if r >= self.registers {
            return None;
        }
        // Acquire: pairs with the AcqRel of the assignments it reads.
        let v = field(self.word.load(Ordering::Acquire), r);
        trace_step!(me, Load { loc: Loc::at(self.name, r), value: Val::from_option(v) });
        v
    }
}

impl Object for Assignment {
    type Spec = AssignSpec;
    const INFO: ObjectInfo = ObjectInfo {
        name: "m-register assignment",
        consensus_number: "2m − 2",
        implementation: "≤ 16 four-bit registers in one word; assign is a CAS loop, read a load",
    };
    fn spec(&self) -> AssignSpec {
        AssignSpec { registers: self.registers }
    }
    fn apply(&self, me: usize, op: &AssignOp) -> Option<usize> {
        match op {
            // An invalid assignment is refused: it changes nothing, returns None.
            AssignOp::Assign(w) => self.assign(me, w).ok().and(None),
            AssignOp::Read(r) => self.read(me, *r),
        }
    }
}

impl Assignment {
    /// This object's consensus number: 2m − 2 (1 for m = 1).
    pub fn consensus_number(&self) -> ConsensusNumber {
        ConsensusNumber::Finite((2 * self.m).saturating_sub(2).max(1))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn assignments_are_all_or_nothing_and_reads_see_them() {
        let a = Assignment::new(6, 3).unwrap();
        assert_eq!(a.read(0, 2), None);
        a.assign(0, &[(0, 0), (3, 0), (4, 0)]).unwrap();
        a.assign(1, &[(1, 1), (3, 1)]).unwrap();
        assert_eq!(
            (a.read(0, 0), a.read(0, 1), a.read(0, 3), a.read(0, 4)),
            (Some(0), Some(1), Some(1), Some(0))
        );
        assert_eq!(a.consensus_number(), ConsensusNumber::Finite(4));
    }

    #[test]
    fn bad_assignments_are_errors() {
        let a = Assignment::new(4, 2).unwrap();
        assert!(a.assign(0, &[(0, 1), (1, 1), (2, 1)]).is_err()); // more than m
        assert!(a.assign(0, &[(4, 1)]).is_err()); // no such register
        assert!(a.assign(0, &[(0, 15)]).is_err()); // value does not fit
        assert!(Assignment::new(17, 2).is_err());
        assert_eq!(a.read(0, 0), None); // nothing was written
    }

    #[test]
    fn concurrent_assignments_never_tear() {
        // Two threads assign the same three registers; a reader must always see
        // all three equal (or ⊥).
        let a = Assignment::new(3, 3).unwrap();
        std::thread::scope(|s| {
            for t in 0..2 {
                let a = &a;
                s.spawn(move || {
                    for _ in 0..20_000 {
                        a.assign(t, &[(0, t), (1, t), (2, t)]).unwrap();
                    }
                });
            }
            s.spawn(|| {
                for _ in 0..20_000 {
                    let w = a.word.load(Ordering::Acquire);
                    let f: Vec<_> = (0..3).map(|r| field(w, r)).collect();
                    assert!(f.iter().all(|x| *x == f[0]), "torn assignment {f:?}");
                }
            });
        });
    }
}
