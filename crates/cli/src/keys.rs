//! Wiring the key ring into the journal's crypto traits, and turning key
//! errors into advice.
use anyhow::{anyhow, Result};
use probant_crypto::KeyRing;

use probant_journal::JournalKeys;

/// The journal's signer and sealer from the key ring.
pub fn journal_keys(ring: &KeyRing) -> Result<JournalKeys> {
    probant_journal::keyring::journal_keys(ring).map_err(explain)
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
