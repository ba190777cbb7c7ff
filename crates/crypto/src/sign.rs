//! [`Ed25519Signer`]: signs the journal's checkpoints.

use std::fmt;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};

use crate::primitives::KEY_LEN;
use crate::Error;

/// An Ed25519 (RFC 8032) signing key, made from a 32-byte seed held in the key ring.
///
/// The private key lives inside aws-lc and is wiped when the signer is dropped; `Debug` shows only the
/// public key.
pub struct Ed25519Signer {
    pair: Ed25519KeyPair,
}

impl Ed25519Signer {
    /// The signer whose RFC 8032 private key is `seed`.
    pub(crate) fn from_seed(seed: &[u8; KEY_LEN]) -> Result<Self, Error> {
        // Any 32 bytes are a valid Ed25519 seed; aws-lc rejects only wrong lengths.
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|_| Error::MalformedKeyRing("journal signing seed rejected".into()))?;
        Ok(Ed25519Signer { pair })
    }

    /// The 32-byte public key (RFC 8032 encoding), as used in a signed-note verifier key.
    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.pair.public_key().as_ref());
        out
    }

    /// The 64-byte RFC 8032 signature of `msg` (deterministic: the same message gives the same signature).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(msg).as_ref());
        out
    }
}

impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519Signer")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032 section 7.1, TEST 1: a known seed gives the known public key and signature.
    #[test]
    fn rfc8032_test_1() {
        let seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let signer = Ed25519Signer::from_seed(&seed.try_into().unwrap()).unwrap();
        assert_eq!(
            signer.public_key().to_vec(),
            hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        );
        let expected = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
        assert_eq!(signer.sign(b"").to_vec(), hex(expected));
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
