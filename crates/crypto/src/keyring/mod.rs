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

    /// Whether keys of this purpose can be rotated and retired today. Only [`KeyPurpose::RecordKek`]:
    /// each data key it wraps records the version that wraps it ([`WrappedKey`](crate::WrappedKey)), so
    /// old and new versions can coexist and data keys move between them without touching content.
    /// Sealed journal bundles and catalog fields, blind indexes and checkpoint signatures do not record
    /// a key version yet (see `docs/keys.md`).
    pub fn rotates(self) -> bool {
        matches!(self, KeyPurpose::RecordKek)
    }

    /// [`Error::RotationUnsupported`] unless [`KeyPurpose::rotates`].
    fn ensure_rotates(self) -> Result<(), Error> {
        if self.rotates() {
            Ok(())
        } else {
            Err(Error::RotationUnsupported { purpose: self })
        }
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
/// versions. Opening never writes to disk; only [`KeyRing::rotate`] and [`KeyRing::retire`] change the
/// file, and they need the master key again (the KEK is not kept in memory).
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
        let bytes =
            fsutil::read_secret_file(path, MAX_RING_FILE).map_err(|e| read_error(e, path))?;
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

    /// Rotates the key of `purpose`: adds a new random key as version *current + 1*, which becomes
    /// the current version at once (new data keys are wrapped under it), and returns that version.
    /// Older versions stay, so everything wrapped under them still opens until it is re-wrapped
    /// ([`KeyRing::rewrap_data_key`]) and the old version retired ([`KeyRing::retire`]). Only
    /// [`KeyPurpose::RecordKek`] rotates today ([`KeyPurpose::rotates`]).
    ///
    /// `path` must be the file this key ring was opened from (or created at), and `source` its master
    /// key: the KEK is derived again (it is not kept in memory after `open`), which also proves that
    /// whoever rotates holds the master key now. Under an exclusive lock on the file, the file is
    /// read, fully opened with that KEK and compared with this key ring; the new key is wrapped and
    /// appended, the check recomputed, the result verified to open, stray temporary files of an
    /// interrupted earlier update deleted, and the file replaced atomically with mode 0600 (temporary
    /// file, fsync, rename, fsync of the directory). Only when the new file is durable does this key
    /// ring change and the new version become current; after any error the file is the old one (or,
    /// if only the final directory fsync failed, the complete new one) and this key ring is unchanged.
    ///
    /// # Errors
    /// - [`Error::RotationUnsupported`] for any purpose but [`KeyPurpose::RecordKek`].
    /// - [`Error::KeyRingChanged`]: the file no longer holds this key ring's keys (another process
    ///   rotated or retired a key since this one was opened, or `path` names another ring).
    /// - As [`KeyRing::open`]: [`Error::WrongMasterKey`], [`Error::MasterKeyKindMismatch`],
    ///   [`Error::KeyRingMissing`], [`Error::MalformedKeyRing`], [`Error::HomeMismatch`], ….
    /// - [`Error::Io`].
    pub fn rotate(
        &mut self,
        path: &Path,
        source: &MasterKeySource,
        purpose: KeyPurpose,
    ) -> Result<u32, Error> {
        purpose.ensure_rotates()?;
        let version = self
            .current(purpose)?
            .version
            .checked_add(1)
            .ok_or_else(|| {
                Error::MalformedKeyRing(format!("no version left after {purpose} {}", u32::MAX))
            })?;
        let key = PurposeKey {
            purpose,
            version,
            secret: primitives::random_key(),
        };
        let created = now_rfc3339();
        self.update_file(path, source, |file, kek| file.add_key(kek, &key, &created))?;
        self.keys.push(key);
        Ok(version)
    }

    /// Retires (destroys) version `version` of `purpose`'s key: removes its wrapped key from the key
    /// ring file and wipes it from memory. This is the crypto-shredding primitive (AR-20.7, CC-7.f):
    /// every data key still wrapped under that version becomes unrecoverable from this file — and from
    /// every other copy of the key ring once those are gone too (`docs/keys.md`, "Crypto-shredding").
    /// It cannot be undone.
    ///
    /// The caller guarantees that nothing it still needs is wrapped under `version`: every data key
    /// has been re-wrapped ([`KeyRing::rewrap_data_key`]) and the re-wrapped keys are durably stored,
    /// and no other process can still be wrapping under it. `path` and `source` are as for
    /// [`KeyRing::rotate`], and the file is updated in the same way (lock, full check, atomic replace,
    /// stray temporary files deleted).
    ///
    /// # Errors
    /// - [`Error::RotationUnsupported`] for any purpose but [`KeyPurpose::RecordKek`].
    /// - [`Error::KeyMissing`]: there is no such version (for example, it was already retired).
    /// - [`Error::RetiringCurrentKey`]: `version` is the current version.
    /// - As [`KeyRing::rotate`]. Whatever the error, nothing was changed.
    pub fn retire(
        &mut self,
        path: &Path,
        source: &MasterKeySource,
        purpose: KeyPurpose,
        version: u32,
    ) -> Result<(), Error> {
        purpose.ensure_rotates()?;
        self.version(purpose, version)?;
        if self.current(purpose)?.version == version {
            return Err(Error::RetiringCurrentKey { purpose, version });
        }
        self.update_file(path, source, |file, _| {
            file.remove_key(purpose, version);
        })?;
        self.keys
            .retain(|k| !(k.purpose == purpose && k.version == version));
        Ok(())
    }

    /// The versions of `purpose`'s key this key ring holds, oldest first (empty if none). The last
    /// one is the current version.
    pub fn versions(&self, purpose: KeyPurpose) -> Vec<u32> {
        let mut versions: Vec<u32> = self
            .keys
            .iter()
            .filter(|k| k.purpose == purpose)
            .map(|k| k.version)
            .collect();
        versions.sort_unstable();
        versions
    }

    /// The current (highest) version of `purpose`'s key: the one new data is sealed or wrapped with.
    ///
    /// # Errors
    /// [`Error::KeyMissing`] if the key ring has no such key.
    pub fn current_version(&self, purpose: KeyPurpose) -> Result<u32, Error> {
        Ok(self.current(purpose)?.version)
    }

    /// Applies `change` to the key ring file at `path` and replaces it atomically; see
    /// [`KeyRing::rotate`]. `change` gets the parsed file and the KEK; the check is recomputed after.
    fn update_file(
        &self,
        path: &Path,
        source: &MasterKeySource,
        change: impl FnOnce(&mut RingFile, &[u8; KEY_LEN]),
    ) -> Result<(), Error> {
        // Held until the file is replaced: concurrent updates run one after the other, and each sees
        // the result of the one before (and then fails with `KeyRingChanged`).
        let (_lock, bytes) =
            fsutil::lock_and_read(path, MAX_RING_FILE).map_err(|e| read_error(e, path))?;
        let mut file = RingFile::parse(&bytes)?;
        if file.home_id != self.home_id {
            return Err(Error::HomeMismatch {
                expected: self.home_id.clone(),
                found: file.home_id,
            });
        }
        let ring_dir = fsutil::parent_dir(path);
        let kek = derive_kek(source, &self.home_id, &file.kek, &ring_dir)?;
        if !same_keys(&file.unwrap_keys(&kek)?, &self.keys) {
            return Err(Error::KeyRingChanged { path: path.into() });
        }
        change(&mut file, &kek);
        file.reseal(&kek);
        let bytes = file.to_bytes();
        // Never replace the only copy of the keys with a file that does not open.
        RingFile::parse(&bytes)?.unwrap_keys(&kek)?;
        fsutil::remove_temp_files(path)
            .map_err(Error::io("clean up beside key ring", &ring_dir))?;
        fsutil::replace_atomically(path, &bytes).map_err(Error::io("write key ring", path))
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

/// The error for a key ring file that cannot be read.
fn read_error(e: io::Error, path: &Path) -> Error {
    match e.kind() {
        io::ErrorKind::NotFound => Error::KeyRingMissing { path: path.into() },
        io::ErrorKind::InvalidData => Error::MalformedKeyRing("file too large".into()),
        _ => Error::io("read key ring", path)(e),
    }
}

/// Whether `a` and `b` hold the same keys: the same (purpose, version) pairs with the same secrets.
fn same_keys(a: &[PurposeKey], b: &[PurposeKey]) -> bool {
    a.len() == b.len()
        && a.iter().all(|x| {
            b.iter().any(|y| {
                x.purpose == y.purpose
                    && x.version == y.version
                    && primitives::equal_secrets(&x.secret, &y.secret)
            })
        })
}

/// The current time, RFC 3339, UTC, to the second.
fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .expect("a UTC time always formats as RFC 3339")
}
