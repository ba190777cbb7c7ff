//! Per-record data keys and their wrapping by the key ring's record KEK (envelope encryption,
//! crypto-shredding: AR-20.7, CC-7.f).

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::keyring::{KeyPurpose, KeyRing};
use crate::primitives::{self, SecretKey, KEY_LEN};
use crate::seal::Sealer;
use crate::Error;

/// HKDF `info` of data-key wrapping: keeps wrapped data keys apart from anything else sealed with the
/// record KEK.
const DATA_KEY_INFO: &[u8] = b"probant data-key v1";

/// The key of one encrypted stream (one version of one record's content): 32 random bytes, wiped when
/// dropped, never shown by `Debug`. Stored only wrapped ([`KeyRing::wrap_data_key`]).
pub struct DataKey {
    secret: SecretKey,
}

impl DataKey {
    /// A fresh random data key. Use each one for exactly one stream.
    pub fn generate() -> DataKey {
        DataKey {
            secret: primitives::random_key(),
        }
    }

    /// A data key from known bytes (unwrapping, test vectors).
    pub(crate) fn from_secret(secret: SecretKey) -> DataKey {
        DataKey { secret }
    }

    /// The key bytes.
    pub(crate) fn secret(&self) -> &[u8; KEY_LEN] {
        &self.secret
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// A data key wrapped by version `kek_version` of the key ring's [`KeyPurpose::RecordKek`] key.
///
/// `bytes` is a [`Sealer`] message (80 bytes: salt 32 || wrapped key 32 || tag 16) under a per-message
/// key `HKDF-SHA256(record KEK, salt, "probant data-key v1")`. Serialized with `bytes` in standard base64.
/// Deleting every copy of it, or destroying its KEK version ([`KeyRing::retire`]) in every copy of the key
/// ring, makes the content unreadable everywhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    /// Version of the record KEK that wraps this key.
    pub kek_version: u32,
    /// The sealed key.
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

impl KeyRing {
    /// Wraps `key` under the current record KEK, bound to `aad` (e.g. the record id and version, so that
    /// a wrapped key moved to another record does not open).
    ///
    /// # Errors
    /// [`Error::KeyMissing`] if the key ring has no record KEK.
    pub fn wrap_data_key(&self, key: &DataKey, aad: &[u8]) -> Result<WrappedKey, Error> {
        let kek = self.current(KeyPurpose::RecordKek)?;
        let bytes = Sealer::new(kek.secret.clone(), DATA_KEY_INFO).seal(aad, key.secret());
        Ok(WrappedKey {
            kek_version: kek.version,
            bytes,
        })
    }

    /// Unwraps a data key made by [`KeyRing::wrap_data_key`] with the same `aad`.
    ///
    /// # Errors
    /// [`Error::KeyMissing`] if the key ring no longer has that record KEK version (it was destroyed:
    /// the content is crypto-shredded); [`Error::Unseal`] on a wrong `aad` or altered bytes.
    pub fn unwrap_data_key(&self, wrapped: &WrappedKey, aad: &[u8]) -> Result<DataKey, Error> {
        let kek = self.version(KeyPurpose::RecordKek, wrapped.kek_version)?;
        let bytes = Zeroizing::new(
            Sealer::new(kek.secret.clone(), DATA_KEY_INFO).open(aad, &wrapped.bytes)?,
        );
        if bytes.len() != KEY_LEN {
            return Err(Error::Unseal);
        }
        let mut secret = Zeroizing::new([0u8; KEY_LEN]);
        secret.copy_from_slice(&bytes);
        Ok(DataKey::from_secret(secret))
    }
}

impl KeyRing {
    /// Re-wraps a data key under the current record KEK (key rotation, N-5.7.1): unwraps `wrapped`
    /// with the version it names and wraps the same key again under the current version, with the
    /// same `aad`. The content the data key encrypts is not touched; the result replaces `wrapped`
    /// wherever it is stored, and only once every stored copy has been replaced (durably) may the old
    /// version be retired ([`KeyRing::retire`]).
    ///
    /// A key already under the current version is wrapped again too (a new, equally valid wrapping);
    /// callers that want to skip it compare `wrapped.kek_version` with
    /// [`current_version`](KeyRing::current_version). Wrapping one data key several times under one
    /// version is safe: each wrapping draws a fresh 256-bit salt and so uses its own derived AES key
    /// (see [`WrappedKey`]); the wrappings share nothing an observer could link or combine.
    ///
    /// # Errors
    /// As [`KeyRing::unwrap_data_key`]: [`Error::KeyMissing`] if the version it names was retired,
    /// [`Error::Unseal`] on a wrong `aad` or altered bytes.
    pub fn rewrap_data_key(&self, wrapped: &WrappedKey, aad: &[u8]) -> Result<WrappedKey, Error> {
        let key = self.unwrap_data_key(wrapped, aad)?;
        self.wrap_data_key(&key, aad)
    }
}

/// Serde helper: `Vec<u8>` as a standard padded base64 string.
mod base64_bytes {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}
