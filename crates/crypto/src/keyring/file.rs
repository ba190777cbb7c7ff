//! The key ring file: JSON, format 1. See `docs/keys.md` for the field-by-field description.
//!
//! ```text
//! {"format":1,"home_id":"…",
//!  "kek":{"kind":"key-file"} | {"kind":"passphrase","argon2id":{"m_kib":65536,"t":3,"p":1,"salt":"<b64>"}},
//!  "check":"<b64>",
//!  "keys":[{"purpose":"journal-signing","version":1,"created":"<RFC 3339>","wrapped":"<b64>"}, …]}
//! ```
//!
//! - `wrapped` = nonce (12) || AES-256-GCM(KEK, key) || tag (16), aad = `probant/keyring/v1/<home_id>/<purpose>/<version>`.
//! - `check` = the same wrapping of the 32-byte constant [`CHECK_VALUE`], with aad
//!   `probant/keyring/v1/<home_id>/check/` || SHA-256(JSON of every other field, as this module writes it).
//!   It tells a wrong master key apart from a damaged file, and authenticates the metadata (dates, KEK
//!   parameters, the list of keys) that the wrapped keys alone do not. Rotation and retirement append or
//!   remove a key and recompute `check`; the other records keep their bytes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::{KeyPurpose, PurposeKey};
use crate::kek::{Argon2Params, ARGON2_SALT_LEN};
use crate::primitives::{self, KEY_LEN};
use crate::Error;

/// The newest key ring format this build reads and the one it writes.
pub(crate) const FORMAT: u32 = 1;

/// The plaintext of `check`.
const CHECK_VALUE: [u8; KEY_LEN] = *b"probant key ring check value, v1";

/// How the KEK is obtained from the master key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) enum KekSpec {
    /// HKDF-SHA256 of a key file's 32 bytes.
    KeyFile,
    /// Argon2id of a passphrase.
    Passphrase {
        /// Cost parameters and salt.
        argon2id: Argon2Spec,
    },
}

/// Argon2id parameters as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Argon2Spec {
    m_kib: u32,
    t: u32,
    p: u32,
    salt: String,
}

impl Argon2Spec {
    /// New parameters with a fresh random salt.
    pub(crate) fn generate(params: Argon2Params) -> Self {
        let salt = primitives::random::<ARGON2_SALT_LEN>();
        Argon2Spec {
            m_kib: params.m_kib,
            t: params.t,
            p: params.p,
            salt: STANDARD.encode(salt),
        }
    }

    /// The cost parameters.
    pub(crate) fn params(&self) -> Argon2Params {
        Argon2Params {
            m_kib: self.m_kib,
            t: self.t,
            p: self.p,
        }
    }

    /// The decoded salt (8 to 64 bytes).
    pub(crate) fn salt(&self) -> Result<Vec<u8>, Error> {
        let salt = decode(&self.salt, "argon2id salt")?;
        if !(8..=64).contains(&salt.len()) {
            return Err(Error::MalformedKeyRing(
                "argon2id salt must be 8 to 64 bytes".into(),
            ));
        }
        Ok(salt)
    }
}

/// One wrapped key as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyRecord {
    purpose: KeyPurpose,
    version: u32,
    /// RFC 3339 UTC; informational (key life cycle, N-5.7.1), authenticated by `check`.
    created: String,
    wrapped: String,
}

/// The whole file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RingFile {
    format: u32,
    pub(crate) home_id: String,
    pub(crate) kek: KekSpec,
    check: String,
    keys: Vec<KeyRecord>,
}

/// Everything `check` authenticates: every field but `check` itself, in file order.
#[derive(Serialize)]
struct Authenticated<'a> {
    format: u32,
    home_id: &'a str,
    kek: &'a KekSpec,
    keys: &'a [KeyRecord],
}

/// Just enough to read the format number of any version of the file.
#[derive(Deserialize)]
struct FormatProbe {
    format: u32,
}

impl RingFile {
    /// Wraps `keys` (all created at `created`) under `kek` and computes the check.
    pub(crate) fn seal(
        home_id: &str,
        kek_spec: KekSpec,
        kek: &[u8; KEY_LEN],
        keys: &[PurposeKey],
        created: &str,
    ) -> Self {
        let mut file = RingFile {
            format: FORMAT,
            home_id: home_id.to_owned(),
            kek: kek_spec,
            check: String::new(),
            keys: Vec::with_capacity(keys.len()),
        };
        for key in keys {
            file.add_key(kek, key, created);
        }
        file.reseal(kek);
        file
    }

    /// Appends `key`, wrapped under `kek`, created at `created`. The check no longer matches until
    /// [`RingFile::reseal`].
    pub(crate) fn add_key(&mut self, kek: &[u8; KEY_LEN], key: &PurposeKey, created: &str) {
        let kek = primitives::aes_gcm_key(kek);
        self.keys.push(KeyRecord {
            purpose: key.purpose,
            version: key.version,
            created: created.to_owned(),
            wrapped: STANDARD.encode(primitives::wrap_key(
                &kek,
                &key_aad(&self.home_id, key.purpose, key.version),
                key.secret.as_ref(),
            )),
        });
    }

    /// Removes the wrapped key of `purpose`, `version`; returns whether there was one. The check no
    /// longer matches until [`RingFile::reseal`].
    pub(crate) fn remove_key(&mut self, purpose: KeyPurpose, version: u32) -> bool {
        let before = self.keys.len();
        self.keys
            .retain(|k| !(k.purpose == purpose && k.version == version));
        self.keys.len() != before
    }

    /// Recomputes the check over the file as it now is, under `kek`.
    pub(crate) fn reseal(&mut self, kek: &[u8; KEY_LEN]) {
        let kek = primitives::aes_gcm_key(kek);
        self.check = STANDARD.encode(primitives::wrap_key(&kek, &self.check_aad(), &CHECK_VALUE));
    }

    /// The file's bytes: pretty JSON and a final newline.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a key ring always serializes");
        bytes.push(b'\n');
        bytes
    }

    /// Parses the file's bytes; checks the format number first, so a newer file says so clearly.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let probe: FormatProbe = serde_json::from_slice(bytes).map_err(malformed)?;
        if probe.format > FORMAT {
            return Err(Error::UnsupportedFormat {
                found: probe.format,
                supported: FORMAT,
            });
        }
        if probe.format < 1 {
            return Err(Error::MalformedKeyRing(format!(
                "unknown format {}",
                probe.format
            )));
        }
        let file: RingFile = serde_json::from_slice(bytes).map_err(malformed)?;
        file.validate()?;
        Ok(file)
    }

    /// Structural rules serde cannot express: versions from 1, no (purpose, version) twice.
    fn validate(&self) -> Result<(), Error> {
        let mut seen = std::collections::HashSet::new();
        for k in &self.keys {
            if k.version == 0 || !seen.insert((k.purpose, k.version)) {
                return Err(Error::MalformedKeyRing(format!(
                    "{} key version {} is invalid or listed twice",
                    k.purpose, k.version
                )));
            }
        }
        Ok(())
    }

    /// Unwraps every key with `kek`.
    ///
    /// A wrong KEK opens neither the check nor any key: [`Error::WrongMasterKey`]. A right KEK that opens
    /// some keys but not the check, or the check but not some key, means the file was damaged or altered:
    /// [`Error::MalformedKeyRing`].
    pub(crate) fn unwrap_keys(&self, kek: &[u8; KEY_LEN]) -> Result<Vec<PurposeKey>, Error> {
        let kek = primitives::aes_gcm_key(kek);
        let check = primitives::unwrap_key(&kek, &self.check_aad(), &decode(&self.check, "check")?);
        let mut keys = Vec::with_capacity(self.keys.len());
        let mut failed = None;
        for record in &self.keys {
            match self.unwrap_record(&kek, record)? {
                Some(key) => keys.push(key),
                None => failed = failed.or(Some(record)),
            }
        }
        match (check, failed) {
            (Ok(value), None) if *value == CHECK_VALUE => Ok(keys),
            (Err(_), _) if keys.is_empty() => Err(Error::WrongMasterKey),
            (Err(_), _) => Err(Error::MalformedKeyRing(
                "its integrity check fails, although the master key is right".into(),
            )),
            (Ok(_), Some(r)) => Err(Error::MalformedKeyRing(format!(
                "the wrapped {} key of version {} does not open",
                r.purpose, r.version
            ))),
            (Ok(_), None) => Err(Error::MalformedKeyRing("wrong check value".into())),
        }
    }

    /// One key, or `None` if it does not authenticate under `kek`.
    fn unwrap_record(
        &self,
        kek: &aws_lc_rs::aead::LessSafeKey,
        record: &KeyRecord,
    ) -> Result<Option<PurposeKey>, Error> {
        let wrapped = decode(&record.wrapped, "wrapped key")?;
        let aad = key_aad(&self.home_id, record.purpose, record.version);
        Ok(primitives::unwrap_key(kek, &aad, &wrapped)
            .ok()
            .map(|secret| PurposeKey {
                purpose: record.purpose,
                version: record.version,
                secret,
            }))
    }

    /// Associated data of `check`: binds the home and every other field of the file.
    fn check_aad(&self) -> Vec<u8> {
        let authenticated = Authenticated {
            format: self.format,
            home_id: &self.home_id,
            kek: &self.kek,
            keys: &self.keys,
        };
        let json = serde_json::to_vec(&authenticated).expect("a key ring always serializes");
        let mut aad = format!("probant/keyring/v1/{}/check/", self.home_id).into_bytes();
        aad.extend_from_slice(&primitives::sha256(&json));
        aad
    }
}

/// Associated data of a wrapped key: `probant/keyring/v1/<home_id>/<purpose>/<version>`.
fn key_aad(home_id: &str, purpose: KeyPurpose, version: u32) -> Vec<u8> {
    format!("probant/keyring/v1/{home_id}/{purpose}/{version}").into_bytes()
}

/// Standard padded base64, or a clear error naming the field.
fn decode(text: &str, field: &str) -> Result<Vec<u8>, Error> {
    STANDARD
        .decode(text)
        .map_err(|_| Error::MalformedKeyRing(format!("{field} is not valid base64")))
}

fn malformed(e: serde_json::Error) -> Error {
    Error::MalformedKeyRing(e.to_string())
}
