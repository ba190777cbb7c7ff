//! Wiring the key ring into the journal's crypto traits, and turning key
//! errors into advice.
use std::sync::Arc;

use anyhow::{anyhow, Result};
use probant_crypto::KeyRing;

use crate::home::JournalKeys;

struct RingSealer(probant_crypto::Sealer);

impl probant_journal::Sealer for RingSealer {
    fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        self.0.seal(aad, plaintext)
    }
    fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        self.0.open(aad, sealed).ok()
    }
}

struct RingSigner(probant_crypto::Ed25519Signer);

impl probant_journal::Signer for RingSigner {
    fn public_key(&self) -> [u8; 32] {
        self.0.public_key()
    }
    fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg)
    }
}

/// The journal's signer and sealer from the key ring.
pub fn journal_keys(ring: &KeyRing) -> Result<JournalKeys> {
    let signer = ring.journal_signer().map_err(explain)?;
    let sealer = ring.journal_sealer().map_err(explain)?;
    Ok((Arc::new(RingSigner(signer)), Arc::new(RingSealer(sealer))))
}

/// A key error with what to do about it.
pub fn explain(e: probant_crypto::Error) -> anyhow::Error {
    use probant_crypto::Error as E;
    let advice = match &e {
        E::WrongMasterKey => "check --key-file / $PROBANT_KEY_FILE or the passphrase; nothing was changed",
        E::KeyFileMissing { .. } => "restore the key file from its backup, or pass --key-file PATH",
        E::NoPassphrase => "set $PROBANT_PASSPHRASE, or run from a terminal",
        E::KeyFileInsideHome { .. } => "keys are never kept on the carrier they protect (N-5.8.3): choose a path outside the home",
        E::KeyFileExists { .. } => "an existing key is never overwritten: choose another --key-file path",
        _ => "",
    };
    if advice.is_empty() {
        anyhow!("{e}")
    } else {
        anyhow!("{e}\n  hint: {advice}")
    }
}
