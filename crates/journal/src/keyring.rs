//! The journal's crypto traits over the key ring of `probant-crypto`
//! (feature `keyring`): the journal encryption key seals bundles and the
//! WAL, the journal signing key signs checkpoints.
use std::sync::Arc;

use probant_crypto::{Ed25519Signer, KeyRing};

use crate::{JournalKeys, Sealer, Signer};

impl Sealer for probant_crypto::Sealer {
    fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        probant_crypto::Sealer::seal(self, aad, plaintext)
    }
    fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        probant_crypto::Sealer::open(self, aad, sealed).ok()
    }
}

impl Signer for Ed25519Signer {
    fn public_key(&self) -> [u8; 32] {
        Ed25519Signer::public_key(self)
    }
    fn sign(&self, msg: &[u8]) -> [u8; 64] {
        Ed25519Signer::sign(self, msg)
    }
}

/// The journal's signer and sealer, from an opened key ring.
pub fn journal_keys(ring: &KeyRing) -> Result<JournalKeys, probant_crypto::Error> {
    Ok((
        Arc::new(ring.journal_signer()?),
        Arc::new(ring.journal_sealer()?),
    ))
}
