//! [`KeyRing`]: a home's purpose keys, wrapped by a KEK derived from the master key (N-5.7.1, CC-7.c).
//!
//! ```text
//! master key (key file outside the home | passphrase)
//!   └─ KEK (HKDF-SHA256 | Argon2id), bound to the home id
//!        └─ purpose keys, one or more versions each, AES-256-GCM-wrapped in the key ring file
//! ```

mod file;

use std::fmt;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::kek::{self, Argon2Params};
use crate::master::{self, MasterKeySource};
use crate::primitives::{self, SecretKey, KEY_LEN};
use crate::seal::{Sealer, SEAL_INFO};
use crate::sign::Ed25519Signer;
use crate::{fsutil, Error};
use file::{Argon2Spec, KekSpec, RingFile};

/// The largest key ring file `open` reads; a real one is a few KiB.
const MAX_RING_FILE: usize = 1 << 20;

/// What a key is for. Each purpose has its own keys: a key serves exactly one purpose.
///
/// Serialized in the key ring file as kebab-case strings (`"journal-signing"`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum KeyPurpose {
    /// The Ed25519 seed that signs the journal's checkpoints.
    JournalSigning,
    /// Seals journal entry bundles at rest.
    JournalEncryption,
    /// Wraps the per-record data keys (crypto-shredding, AR-20.7, CC-7.f).
    RecordKek,
    /// HMAC key of the catalog's blind indexes (exact-match search on encrypted identifiers, CC-7.a).
    BlindIndex,
    /// Seals personal identifiers in the catalog.
    CatalogEncryption,
}

impl KeyPurpose {
    /// Every purpose, in the order a new key ring lists them.
    pub const ALL: [KeyPurpose; 5] = [
        KeyPurpose::JournalSigning,
        KeyPurpose::JournalEncryption,
        KeyPurpose::RecordKek,
        KeyPurpose::BlindIndex,
        KeyPurpose::CatalogEncryption,
    ];

    /// The kebab-case name used in the key ring file.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyPurpose::JournalSigning => "journal-signing",
            KeyPurpose::JournalEncryption => "journal-encryption",
            KeyPurpose::RecordKek => "record-kek",
            KeyPurpose::BlindIndex => "blind-index",
            KeyPurpose::CatalogEncryption => "catalog-encryption",
        }
    }

    /// Whether keys of this purpose may be used by a [`Sealer`]. The signing seed and the blind-index HMAC
    /// key may not: one key, one use.
    fn seals(self) -> bool {
        matches!(
            self,
            KeyPurpose::JournalEncryption | KeyPurpose::RecordKek | KeyPurpose::CatalogEncryption
        )
    }
}

impl fmt::Display for KeyPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One unwrapped key: wiped when dropped.
pub(crate) struct PurposeKey {
    pub(crate) purpose: KeyPurpose,
    pub(crate) version: u32,
    pub(crate) secret: SecretKey,
}

/// A home's opened key ring: its purpose keys, unwrapped, in memory.
///
/// Every key is wiped from memory when the key ring is dropped; `Debug` shows only purposes and
/// versions. Opening never writes to disk.
pub struct KeyRing {
    home_id: String,
    keys: Vec<PurposeKey>,
}

impl KeyRing {
    /// Creates a new key ring file at `path` for the home `home_id`, protected by `source`, and returns
    /// it opened. One random key per [`KeyPurpose`], version 1 (the journal signing key is an Ed25519
    /// seed). A passphrase is stretched with [`Argon2Params::DEFAULT`].
    ///
    /// The file is written atomically with mode 0600 (temporary file, fsync, link, fsync of the
    /// directory); missing parent directories are created with mode 0700. A key file must already exist
    /// (see [`create_key_file`](crate::create_key_file)) and must not be inside the key ring's directory
    /// (N-5.8.3).
    ///
    /// # Errors
    /// [`Error::KeyRingExists`] if anything exists at `path` (it is never replaced);
    /// [`Error::KeyFileMissing`], [`Error::MalformedKeyFile`], [`Error::KeyFileInsideHome`];
    /// [`Error::Io`].
    pub fn create(path: &Path, home_id: &str, source: &MasterKeySource) -> Result<KeyRing, Error> {
        Self::create_with_params(path, home_id, source, Argon2Params::DEFAULT)
    }

    /// [`KeyRing::create`] with chosen Argon2id parameters, used only with a passphrase. Meant for tests
    /// and benchmarks (with [`Argon2Params::INSECURE_FOR_TESTS`]); production uses [`KeyRing::create`].
    ///
    /// # Errors
    /// As [`KeyRing::create`], and [`Error::InvalidArgon2Params`].
    pub fn create_with_params(
        path: &Path,
        home_id: &str,
        source: &MasterKeySource,
        params: Argon2Params,
    ) -> Result<KeyRing, Error> {
        if path.symlink_metadata().is_ok() {
            return Err(Error::KeyRingExists { path: path.into() });
        }
        let dir = fsutil::parent_dir(path);
        fsutil::create_private_dirs(&dir)?;
        let spec = match source {
            MasterKeySource::KeyFile(_) => KekSpec::KeyFile,
            MasterKeySource::Passphrase(_) => KekSpec::Passphrase {
                argon2id: Argon2Spec::generate(params),
            },
        };
        let kek = derive_kek(source, home_id, &spec, &dir)?;
        let keys: Vec<PurposeKey> = KeyPurpose::ALL
            .iter()
            .map(|&purpose| PurposeKey {
                purpose,
                version: 1,
                secret: primitives::random_key(),
            })
            .collect();
        let file = RingFile::seal(home_id, spec, &kek, &keys, &now_rfc3339());
        fsutil::write_new_atomically(path, &file.to_bytes()).map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => Error::KeyRingExists { path: path.into() },
            _ => Error::io("write key ring", path)(e),
        })?;
        Ok(KeyRing {
            home_id: home_id.into(),
            keys,
        })
    }

    /// Opens the key ring at `path` for the home `home_id` with the master key from `source`. Changes
    /// nothing on disk, whatever the outcome.
    ///
    /// # Errors
    /// - [`Error::KeyRingMissing`]: no file at `path`.
    /// - [`Error::UnsupportedFormat`]: written by a newer Probant.
    /// - [`Error::MalformedKeyRing`]: not a key ring, or damaged or altered (detected even when only a
    ///   date changed: every field is authenticated).
    /// - [`Error::HomeMismatch`]: the key ring belongs to another home.
    /// - [`Error::MasterKeyKindMismatch`]: a passphrase offered for a key-file ring, or the reverse.
    /// - [`Error::KeyFileMissing`], [`Error::MalformedKeyFile`], [`Error::KeyFileInsideHome`].
    /// - [`Error::WrongMasterKey`]: wrong key file or passphrase.
    pub fn open(path: &Path, home_id: &str, source: &MasterKeySource) -> Result<KeyRing, Error> {
        let bytes = fsutil::read_secret_file(path, MAX_RING_FILE).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::KeyRingMissing { path: path.into() },
            io::ErrorKind::InvalidData => Error::MalformedKeyRing("file too large".into()),
            _ => Error::io("read key ring", path)(e),
        })?;
        let file = RingFile::parse(&bytes)?;
        if file.home_id != home_id {
            return Err(Error::HomeMismatch {
                expected: home_id.into(),
                found: file.home_id,
            });
        }
        let kek = derive_kek(source, home_id, &file.kek, &fsutil::parent_dir(path))?;
        let keys = file.unwrap_keys(&kek)?;
        Ok(KeyRing {
            home_id: home_id.into(),
            keys,
        })
    }

    /// The id of the home this key ring belongs to.
    pub fn home_id(&self) -> &str {
        &self.home_id
    }

    /// The Ed25519 signer of the journal's checkpoints (current [`KeyPurpose::JournalSigning`] key).
    ///
    /// # Errors
    /// [`Error::KeyMissing`] if the key ring has no such key.
    pub fn journal_signer(&self) -> Result<Ed25519Signer, Error> {
        Ed25519Signer::from_seed(&self.current(KeyPurpose::JournalSigning)?.secret)
    }

    /// The sealer of journal data at rest (current [`KeyPurpose::JournalEncryption`] key).
    ///
    /// # Errors
    /// [`Error::KeyMissing`] if the key ring has no such key.
    pub fn journal_sealer(&self) -> Result<Sealer, Error> {
        self.sealer(KeyPurpose::JournalEncryption)
    }

    /// A sealer with the current key of `purpose`: [`KeyPurpose::JournalEncryption`],
    /// [`KeyPurpose::RecordKek`] or [`KeyPurpose::CatalogEncryption`].
    ///
    /// # Errors
    /// [`Error::WrongPurpose`] for a purpose whose keys do not seal; [`Error::KeyMissing`].
    pub fn sealer(&self, purpose: KeyPurpose) -> Result<Sealer, Error> {
        if !purpose.seals() {
            return Err(Error::WrongPurpose {
                purpose,
                usage: "sealing",
            });
        }
        Ok(Sealer::new(
            self.current(purpose)?.secret.clone(),
            SEAL_INFO,
        ))
    }

    /// The 32-byte HMAC key of the catalog's blind indexes (current [`KeyPurpose::BlindIndex`] key).
    ///
    /// # Errors
    /// [`Error::KeyMissing`] if the key ring has no such key.
    pub fn blind_index_key(&self) -> Result<Zeroizing<[u8; KEY_LEN]>, Error> {
        Ok(self.current(KeyPurpose::BlindIndex)?.secret.clone())
    }

    /// The current (highest) version of `purpose`'s key.
    pub(crate) fn current(&self, purpose: KeyPurpose) -> Result<&PurposeKey, Error> {
        self.keys
            .iter()
            .filter(|k| k.purpose == purpose)
            .max_by_key(|k| k.version)
            .ok_or(Error::KeyMissing {
                purpose,
                version: None,
            })
    }

    /// Version `version` of `purpose`'s key.
    pub(crate) fn version(&self, purpose: KeyPurpose, version: u32) -> Result<&PurposeKey, Error> {
        self.keys
            .iter()
            .find(|k| k.purpose == purpose && k.version == version)
            .ok_or(Error::KeyMissing {
                purpose,
                version: Some(version),
            })
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| format!("{} v{}", k.purpose, k.version))
            .collect();
        f.debug_struct("KeyRing")
            .field("home_id", &self.home_id)
            .field("keys", &keys)
            .finish()
    }
}

/// The KEK for a ring described by `spec`, from the master key in `source`. `ring_dir` is the key
/// ring's directory, where a key file must not be (N-5.8.3).
fn derive_kek(
    source: &MasterKeySource,
    home_id: &str,
    spec: &KekSpec,
    ring_dir: &Path,
) -> Result<SecretKey, Error> {
    match (source, spec) {
        (MasterKeySource::KeyFile(path), KekSpec::KeyFile) => {
            master::ensure_key_file_outside_home(path, ring_dir)?;
            let master_key = master::read_key_file(path)?;
            Ok(kek::from_master_key(&master_key, home_id))
        }
        (MasterKeySource::Passphrase(passphrase), KekSpec::Passphrase { argon2id }) => {
            kek::from_passphrase(passphrase, &argon2id.salt()?, argon2id.params())
        }
        (offered, KekSpec::KeyFile) => Err(Error::MasterKeyKindMismatch {
            ring: "key file",
            offered: offered.kind(),
        }),
        (offered, KekSpec::Passphrase { .. }) => Err(Error::MasterKeyKindMismatch {
            ring: "passphrase",
            offered: offered.kind(),
        }),
    }
}

/// The current time, RFC 3339, UTC, to the second.
fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .expect("a UTC time always formats as RFC 3339")
}
