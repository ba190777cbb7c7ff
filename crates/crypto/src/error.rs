//! The crate's one error type.

use std::io;
use std::path::PathBuf;

use crate::keyring::KeyPurpose;

/// Everything that can go wrong in `probant-crypto`, grouped by cause.
///
/// Decryption failures are deliberately coarse: [`Error::Unseal`] and [`Error::WrongMasterKey`] never say
/// *why* authentication failed (wrong key, altered byte, wrong context, truncation), so that an attacker
/// who can submit ciphertexts learns nothing from the answer. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ----- Master key: key files and passphrases -----
    /// [`create_key_file`](crate::create_key_file) found a file at the path; an existing key is never
    /// overwritten, because that would destroy every home it protects.
    #[error("a key file already exists at {path}: refusing to overwrite it")]
    KeyFileExists {
        /// The existing file.
        path: PathBuf,
    },
    /// The master key file named by [`MasterKeySource::KeyFile`](crate::MasterKeySource::KeyFile) does not
    /// exist.
    #[error("the key file {path} does not exist: point to the right file, or restore it from its escrow copy")]
    KeyFileMissing {
        /// The path that was tried.
        path: PathBuf,
    },
    /// The key file exists but is not one line `probant-master-key-v1 <base64 of 32 bytes>`.
    #[error("{path} is not a Probant master key file (expected one line \"probant-master-key-v1 <base64 of 32 bytes>\")")]
    MalformedKeyFile {
        /// The file that was read.
        path: PathBuf,
    },
    /// The key file lies inside the directory whose data it protects (N-5.8.3: keys are never stored on
    /// the carrier they protect).
    #[error("the key file {key_file} is inside the home it protects ({home}): keep it on another carrier (N-5.8.3)")]
    KeyFileInsideHome {
        /// The key file.
        key_file: PathBuf,
        /// The home (or key ring directory) that contains it.
        home: PathBuf,
    },
    // ----- Operator credentials -----
    /// A credential file exists at the path; it is never overwritten.
    #[error("a credential already exists at {path}: refusing to overwrite it")]
    CredentialExists {
        /// The existing file.
        path: PathBuf,
    },
    /// No credential file at the path.
    #[error("no credential at {path}: give the right one with --credential or $PROBANT_CREDENTIAL (an administrator issues credentials with `probant users add`)")]
    CredentialMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The file is not a Probant credential.
    #[error("{path} is not a Probant credential file")]
    MalformedCredential {
        /// The file.
        path: PathBuf,
    },
    /// The user id cannot name a credential.
    #[error("user id {0:?} is not valid: use 1 to 64 letters, digits, '.', '_', '-' or '@', not starting with '.'")]
    InvalidUserId(String),
    /// Neither `$XDG_CONFIG_HOME` nor `$HOME` is set, so there is no default key file location.
    #[error("no default key file location: neither XDG_CONFIG_HOME nor HOME is set; name a key file explicitly")]
    NoConfigDir,
    /// The home id cannot be used as a file name.
    #[error("home id {0:?} cannot name a key file: use 1 to 128 letters, digits, '.', '_' or '-', not starting with '.'")]
    InvalidHomeId(String),
    /// No passphrase could be obtained: `$PROBANT_PASSPHRASE` is unset or empty and there is no terminal to
    /// ask on (or the passphrase typed was empty).
    #[error(
        "no passphrase: set PROBANT_PASSPHRASE, run from a terminal, or use a key file instead"
    )]
    NoPassphrase,
    /// The passphrase and its confirmation differ.
    #[error("the two passphrases do not match")]
    PassphraseMismatch,
    /// Argon2 parameters out of the accepted range (see [`Argon2Params`](crate::Argon2Params)).
    #[error("Argon2id parameters rejected: {0}")]
    InvalidArgon2Params(String),

    // ----- Key ring -----
    /// [`KeyRing::create`](crate::KeyRing::create) found a file at the path.
    #[error("a key ring already exists at {path}: refusing to overwrite it")]
    KeyRingExists {
        /// The existing file.
        path: PathBuf,
    },
    /// There is no key ring file at the path (the home is not initialised, or the path is wrong).
    #[error("no key ring at {path}: is this an initialised Probant home?")]
    KeyRingMissing {
        /// The path that was tried.
        path: PathBuf,
    },
    /// The master key does not open the key ring. Nothing was changed on disk.
    #[error("the master key does not open this home's key ring: wrong key file or passphrase")]
    WrongMasterKey,
    /// The key ring is protected by another kind of master key than the one offered.
    #[error("this home's key ring is protected by a {ring}, but a {offered} was given")]
    MasterKeyKindMismatch {
        /// What the key ring expects: `"key file"` or `"passphrase"`.
        ring: &'static str,
        /// What was offered.
        offered: &'static str,
    },
    /// The key ring was made for another home (for example, copied from one).
    #[error("this key ring belongs to home {found:?}, not {expected:?}")]
    HomeMismatch {
        /// The home id the caller asked for.
        expected: String,
        /// The home id recorded in the key ring.
        found: String,
    },
    /// The key ring file is damaged or was altered: not valid JSON of the expected shape, or its integrity
    /// check fails although the master key is right.
    #[error("the key ring is damaged or was altered: {0}")]
    MalformedKeyRing(String),
    /// The key ring was written by a newer version of Probant.
    #[error("key ring format {found} is newer than this version of Probant supports ({supported}): upgrade Probant")]
    UnsupportedFormat {
        /// The format number in the file.
        found: u32,
        /// The newest format this build reads.
        supported: u32,
    },
    /// The key ring holds no key for this purpose (and version, when one was asked for). A version that
    /// was retired ([`KeyRing::retire`](crate::KeyRing::retire)) is gone for good: whatever only it
    /// wrapped cannot be recovered from this key ring.
    #[error("the key ring has no {purpose} key{}", version.map(|v| format!(" of version {v}: it was retired (destroyed) or never existed in this key ring")).unwrap_or_default())]
    KeyMissing {
        /// The purpose asked for.
        purpose: KeyPurpose,
        /// The version asked for; `None` means the current one.
        version: Option<u32>,
    },

    /// [`KeyRing::rotate`](crate::KeyRing::rotate) or [`KeyRing::retire`](crate::KeyRing::retire) was
    /// asked for a purpose whose keys cannot change version yet: what they protect does not record
    /// which version protects it, so older data would stop opening (see `docs/keys.md`). Nothing was
    /// changed.
    #[error("{purpose} keys cannot be rotated or retired yet: only record-kek keys can")]
    RotationUnsupported {
        /// The purpose asked for.
        purpose: KeyPurpose,
    },
    /// [`KeyRing::retire`](crate::KeyRing::retire) was asked to destroy the current version of a key,
    /// which new data is wrapped with. Nothing was changed.
    #[error("version {version} is the current {purpose} key and cannot be retired: rotate first, re-wrap what it protects, then retire it")]
    RetiringCurrentKey {
        /// The purpose of the key.
        purpose: KeyPurpose,
        /// Its current version.
        version: u32,
    },
    /// The key ring file no longer holds the keys this [`KeyRing`](crate::KeyRing) was opened with:
    /// another process rotated or retired a key since, or the path names another key ring. Nothing was
    /// changed.
    #[error("the key ring at {path} changed since it was opened (another rotation or retirement?), or is another key ring: open it again and retry")]
    KeyRingChanged {
        /// The key ring file.
        path: PathBuf,
    },

    /// A key was asked for a use its purpose does not allow (one key, one use).
    #[error("{purpose} keys cannot be used for {usage}")]
    WrongPurpose {
        /// The purpose of the key asked for.
        purpose: KeyPurpose,
        /// The use that was attempted.
        usage: &'static str,
    },

    // ----- Sealed data and encrypted streams -----
    /// Authenticated decryption failed: wrong key, or the data was altered, truncated, reordered or moved
    /// to another place. Deliberately says no more (no oracle).
    #[error("decryption failed: wrong key, or the data was altered, truncated or moved")]
    Unseal,
    /// The bytes do not start with a valid stream header (see `docs/spec/stream.md`).
    #[error("not a Probant encrypted stream: {0}")]
    MalformedStream(&'static str),
    /// A stream segment size outside the limits of `docs/spec/stream.md`.
    #[error("segment size {0} is outside the allowed range 4096..=16777216")]
    InvalidSegmentSize(u32),
    /// The stream would need more than 2^32 segments.
    #[error("stream too long: more than 2^32 segments")]
    StreamTooLong,
    /// The stream writer failed earlier (an I/O error) and cannot be used any more.
    #[error("the stream writer failed earlier and cannot continue")]
    StreamPoisoned,

    // ----- Input / output -----
    /// A file-system operation failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done, e.g. `"read key file"`.
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Reading or writing an encrypted stream's underlying reader or writer failed.
    #[error("stream I/O failed: {0}")]
    StreamIo(#[source] io::Error),
}

impl Error {
    /// Wraps an I/O error with what was being done and where.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// The crate error carried inside an [`io::Error`] returned by a
    /// [`DecryptingReader`](crate::DecryptingReader), if any.
    pub fn from_io(err: &io::Error) -> Option<&Error> {
        err.get_ref()
            .and_then(|inner| inner.downcast_ref::<Error>())
    }
}
