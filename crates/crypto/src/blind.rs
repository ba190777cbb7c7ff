//! Keyed blind indexes: exact-match search over personal identifiers that
//! are stored only encrypted (CC-7.a: a database administrator or cloud
//! operator reads nothing). The index is HMAC-SHA256 under the key ring's
//! `BlindIndex` key with a domain label, so equal identifiers give equal
//! indexes within one home, and nothing is learnt without the key.
use aws_lc_rs::hmac;
use zeroize::Zeroizing;

use crate::KEY_LEN;

/// A blind-index key (zeroized on drop).
pub struct BlindIndexKey(hmac::Key);

impl BlindIndexKey {
    /// Wraps the raw key from [`crate::KeyRing::blind_index_key`].
    pub fn new(raw: &Zeroizing<[u8; KEY_LEN]>) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, raw.as_ref()))
    }

    /// `HMAC-SHA256(key, domain || 0x00 || value)` in lowercase hex. The
    /// domain (e.g. `"niss"`) keeps indexes of different kinds apart.
    pub fn index(&self, domain: &str, value: &[u8]) -> String {
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(domain.as_bytes());
        ctx.update(&[0]);
        ctx.update(value);
        let tag = ctx.sign();
        tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Debug for BlindIndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlindIndexKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_keyed_and_domain_separated() {
        let k1 = BlindIndexKey::new(&Zeroizing::new([1u8; 32]));
        let k2 = BlindIndexKey::new(&Zeroizing::new([2u8; 32]));
        let a = k1.index("niss", b"85073003328");
        assert_eq!(a, k1.index("niss", b"85073003328"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, k2.index("niss", b"85073003328"));
        assert_ne!(a, k1.index("bis", b"85073003328"));
        assert_ne!(a, k1.index("niss", b"85073003329"));
        assert!(!format!("{k1:?}").contains('1'));
    }
}
