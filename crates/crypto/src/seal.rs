//! [`Sealer`]: authenticated encryption of small blobs at rest (CC-7.a.i).

use std::fmt;

use aws_lc_rs::aead::NONCE_LEN;

use crate::primitives::{self, SecretKey, TAG_LEN};
use crate::Error;

/// HKDF `info` of [`Sealer`] messages obtained from [`KeyRing::sealer`](crate::KeyRing::sealer).
pub(crate) const SEAL_INFO: &[u8] = b"probant seal v1";

/// Length of the random per-message salt that starts every sealed message.
pub(crate) const SALT_LEN: usize = 32;

/// The nonce of every message: all zero, because every message has its own key (see [`Sealer`]).
const ZERO_NONCE: [u8; NONCE_LEN] = [0; NONCE_LEN];

/// Authenticated encryption at rest of whole messages (journal bundles, catalog fields, wrapped keys).
///
/// Format of a sealed message:
///
/// ```text
/// salt (32 random bytes) || AES-256-GCM ciphertext (same length as the plaintext) || tag (16 bytes)
/// ```
///
/// The AES key of each message is `HKDF-SHA256(ikm = purpose key, salt = salt, info = "probant seal v1")`
/// and the GCM nonce is all zero. This is safe because no key is ever used twice: two messages share a
/// key only if they draw the same 256-bit salt, which is negligible even after 2^100 messages. The more
/// usual single key with random 96-bit nonces would not be: NIST SP 800-38D caps it at 2^32 messages per
/// key (birthday bound on the nonce), a budget that ten years of journal bundles and catalog fields
/// under one key could approach, and a nonce collision under GCM leaks the XOR of two plaintexts and
/// the authentication key. Overhead: 48 bytes per message.
///
/// `aad` binds the sealed bytes to their place (a file path, a record id and field name): a message
/// moved elsewhere does not open.
///
/// The purpose key is wiped when the `Sealer` is dropped; `Debug` never shows it.
#[derive(Clone)]
pub struct Sealer {
    key: SecretKey,
    info: &'static [u8],
}

impl Sealer {
    /// A sealer under `key`, with per-message keys derived with HKDF `info`.
    pub(crate) fn new(key: SecretKey, info: &'static [u8]) -> Self {
        Sealer { key, info }
    }

    /// Encrypts and authenticates `plaintext`, bound to `aad`. The result is 48 bytes longer.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let salt = primitives::random::<SALT_LEN>();
        let mut out = Vec::with_capacity(SALT_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(&salt);
        out.extend_from_slice(plaintext);
        let key = self.message_key(&salt);
        primitives::seal_in_place(&key, ZERO_NONCE, aad, &mut out, SALT_LEN);
        out
    }

    /// Authenticates and decrypts a message made by [`Sealer::seal`] with the same key and `aad`.
    ///
    /// # Errors
    /// [`Error::Unseal`] on any failure: wrong key, wrong `aad`, any altered, missing or extra byte.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, Error> {
        if sealed.len() < SALT_LEN + TAG_LEN {
            return Err(Error::Unseal);
        }
        let (salt, body) = sealed.split_at(SALT_LEN);
        let key = self.message_key(salt);
        let mut buf = body.to_vec();
        let len = primitives::open_in_place(&key, ZERO_NONCE, aad, &mut buf)?;
        buf.truncate(len);
        Ok(buf)
    }

    /// The AES-256-GCM key of the message with this salt.
    fn message_key(&self, salt: &[u8]) -> aws_lc_rs::aead::LessSafeKey {
        let key = primitives::hkdf_sha256(self.key.as_ref(), salt, self.info);
        primitives::aes_gcm_key(&key)
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        Sealer::new(zeroize::Zeroizing::new([byte; 32]), SEAL_INFO)
    }

    #[test]
    fn two_seals_of_the_same_message_differ() {
        let s = sealer(1);
        assert_ne!(s.seal(b"a", b"same"), s.seal(b"a", b"same"));
    }

    #[test]
    fn another_info_is_another_key() {
        let sealed = sealer(1).seal(b"a", b"m");
        let other = Sealer::new(zeroize::Zeroizing::new([1; 32]), b"probant other v1");
        assert!(matches!(other.open(b"a", &sealed), Err(Error::Unseal)));
    }

    #[test]
    fn debug_shows_no_key() {
        let text = format!("{:?}", sealer(0xAB));
        assert!(
            !text.contains("171") && !text.to_lowercase().contains("ab"),
            "{text}"
        );
    }
}
