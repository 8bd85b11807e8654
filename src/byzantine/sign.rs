//! Signatures: HMAC-SHA256 with a key per pair of replicas, as authenticators.
//!
//! **Why MACs.** In shared memory the threat is a Byzantine replica writing a
//! record under another replica's name (or putting a made-up certificate in
//! its own record); it cannot write what it does not own. A MAC keyed with the
//! key of the pair (signer, reader) is something only those two can compute,
//! so a third replica cannot forge it. PBFT itself runs on MACs
//! (Castro–Liskov, OSDI '99 §4): a signer sends an *authenticator*, one MAC
//! per reader, `tags[j] = HMAC(k(signer, j), record)`, and reader `j` checks
//! its own entry. A certificate relayed to a third replica is checked by that
//! replica's entry of every record in it: the honest records of a certificate
//! check everywhere, and a Byzantine signer's records may check at some
//! readers and not others (which costs liveness, never safety: no honest
//! replica accepts a record an honest replica did not sign).
//!
//! **Keys.** The runner derives `k(i, j) = SHA-256("conlab pair key" ‖ secret
//! ‖ min(i, j) ‖ max(i, j))` and gives each replica its own [`Keyring`]:
//! the n keys it shares with each replica. A strategy gets only its own ring
//! and never the secret, so it cannot compute a MAC for a pair it is not in.
//!
//! **Cost.** Signing is n MACs, a check one; [`SigOps`] counts both, and the
//! rejections. The same code runs under loom and shuttle: a MAC is plain
//! computation, no scheduling point, so it costs a model time (microseconds
//! per record) but not executions.

use super::record::{Auth, Record, Signed, Tag};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Signature operations of one replica.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SigOps {
    /// MACs computed to sign (n per signed record).
    pub macs: u64,
    /// MACs checked.
    pub checks: u64,
    /// Records rejected: a MAC that does not check, a signer that is not the
    /// writer, a certificate that does not hold.
    pub rejected: u64,
}

impl SigOps {
    /// Both counts added.
    pub fn add(&mut self, o: SigOps) {
        self.macs += o.macs;
        self.checks += o.checks;
        self.rejected += o.rejected;
    }
}

/// The keys replica `me` shares with each replica (its own pair included).
#[derive(Clone)]
pub struct Keyring {
    me: usize,
    keys: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print keys.
        f.debug_struct("Keyring").field("me", &self.me).finish_non_exhaustive()
    }
}

/// The key of the pair `(i, j)` under `secret`.
fn pair_key(secret: u64, i: usize, j: usize) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"conlab pair key");
    h.update(secret.to_le_bytes());
    h.update((i.min(j) as u64).to_le_bytes());
    h.update((i.max(j) as u64).to_le_bytes());
    h.finalize().into()
}

impl Keyring {
    /// Every replica's ring for `n` replicas under `secret` (the runner's
    /// call: it hands ring `i` to replica `i` and to no one else).
    pub fn all(secret: u64, n: usize) -> Vec<Keyring> {
        (0..n)
            .map(|me| Keyring { me, keys: (0..n).map(|j| pair_key(secret, me, j)).collect() })
            .collect()
    }

    /// Whose ring this is.
    pub fn me(&self) -> usize {
        self.me
    }

    fn mac(&self, with: usize, signer: usize, record: &Record) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.keys[with]).expect("HMAC takes keys of any length");
        let mut bytes = Vec::with_capacity(64);
        record.encode(signer, &mut bytes);
        mac.update(&bytes);
        mac
    }

    /// `record` signed by this ring's owner: one MAC per reader.
    pub fn sign(&self, record: Record, ops: &mut SigOps) -> Signed {
        let tags = (0..self.keys.len())
            .map(|j| {
                let full = self.mac(j, self.me, &record).finalize().into_bytes();
                let mut tag: Tag = [0; 16];
                tag.copy_from_slice(&full[..16]);
                tag
            })
            .collect();
        ops.macs += self.keys.len() as u64;
        Signed { signer: self.me, record, auth: Auth(tags) }
    }

    /// A record with `signer`'s name on it and tags computed with this
    /// ring's keys: what a forger can make (it checks at no reader but, at
    /// most, the forger itself).
    pub fn forge(&self, signer: usize, record: Record, ops: &mut SigOps) -> Signed {
        let mut s = self.sign(record, ops);
        s.signer = signer;
        s
    }

    /// Whether this ring's owner (the reader) accepts `s`'s MAC: its entry of
    /// the authenticator, under the key it shares with the claimed signer.
    pub fn check(&self, s: &Signed, ops: &mut SigOps) -> bool {
        ops.checks += 1;
        let (Some(tag), true) = (s.auth.0.get(self.me), s.signer < self.keys.len()) else {
            return false;
        };
        self.mac(s.signer, s.signer, &s.record).verify_truncated_left(tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reader_checks_an_honest_record_and_no_one_a_forged_one() {
        let rings = Keyring::all(7, 4);
        let mut ops = SigOps::default();
        let r = Record::Prepare { view: 0, value: 3 };
        let s = rings[1].sign(r.clone(), &mut ops);
        assert_eq!(ops.macs, 4);
        assert!(rings.iter().all(|k| k.check(&s, &mut ops)));
        // Replica 3 writes a record under 1's name: no one else accepts it.
        let forged = rings[3].forge(1, r.clone(), &mut ops);
        assert!(rings[..3].iter().all(|k| !k.check(&forged, &mut ops)));
        // Changing a signed record breaks its MACs.
        let mut changed = s.clone();
        changed.record = Record::Prepare { view: 0, value: 4 };
        assert!(!rings[2].check(&changed, &mut ops));
        // Another run's keys do not check this run's records.
        assert!(!Keyring::all(8, 4)[2].check(&s, &mut ops));
        // A truncated authenticator is rejected, not a panic.
        let mut short = s;
        short.auth.0.truncate(1);
        assert!(!rings[2].check(&short, &mut ops));
        assert!(format!("{:?}", rings[0]).contains("me: 0"));
    }
}
