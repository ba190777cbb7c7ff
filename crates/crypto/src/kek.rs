//! The key-encryption key (KEK) of a key ring, derived from the master key.
//!
//! - key file: `KEK = HKDF-SHA256(ikm = master key, salt = "probant keyring" || home_id, info = "probant kek v1")`
//! - passphrase: `KEK = Argon2id(passphrase, salt, m, t, p)` (RFC 9106), 32 bytes, parameters and salt stored
//!   in the key ring.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::primitives::{self, SecretKey, KEY_LEN};
use crate::Error;

/// HKDF salt prefix of a key-file KEK; the home id follows.
const KEYFILE_SALT_PREFIX: &[u8] = b"probant keyring";

/// HKDF info of a key-file KEK.
const KEYFILE_INFO: &[u8] = b"probant kek v1";

/// Length of the random Argon2id salt (RFC 9106 recommends 16 bytes).
pub(crate) const ARGON2_SALT_LEN: usize = 16;

/// Argon2id cost parameters (RFC 9106).
///
/// [`Argon2Params::DEFAULT`] (64 MiB, 3 passes, 1 lane: RFC 9106's second recommended option) is what
/// [`KeyRing::create`](crate::KeyRing::create) uses. Other values exist for tests and benchmarks, where
/// a 64 MiB hash per key ring would make suites slow; a production key ring should never use less.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Number of passes.
    pub t: u32,
    /// Degree of parallelism (lanes).
    pub p: u32,
}

impl Argon2Params {
    /// The production parameters: 64 MiB, 3 passes, 1 lane.
    pub const DEFAULT: Argon2Params = Argon2Params {
        m_kib: 65536,
        t: 3,
        p: 1,
    };

    /// Cheap parameters **for tests and benchmarks only**: they protect a passphrase against nothing.
    pub const INSECURE_FOR_TESTS: Argon2Params = Argon2Params {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    /// Largest memory cost accepted, also when opening a key ring, so that a crafted file cannot make
    /// `open` allocate without bound: 1 GiB.
    pub const MAX_M_KIB: u32 = 1 << 20;

    /// Largest number of passes accepted.
    pub const MAX_T: u32 = 64;

    /// Largest parallelism accepted.
    pub const MAX_P: u32 = 16;

    /// The `argon2` crate's parameters, after checking the limits above and Argon2's own (m ≥ 8p).
    pub(crate) fn to_argon2(self) -> Result<Params, Error> {
        if self.m_kib > Self::MAX_M_KIB || self.t > Self::MAX_T || self.p > Self::MAX_P {
            return Err(Error::InvalidArgon2Params(format!(
                "m={} KiB, t={}, p={} exceed the limits m≤{}, t≤{}, p≤{}",
                self.m_kib,
                self.t,
                self.p,
                Self::MAX_M_KIB,
                Self::MAX_T,
                Self::MAX_P
            )));
        }
        Params::new(self.m_kib, self.t, self.p, Some(KEY_LEN))
            .map_err(|e| Error::InvalidArgon2Params(e.to_string()))
    }
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The KEK of a key ring opened with a key file.
pub(crate) fn from_master_key(master: &[u8; KEY_LEN], home_id: &str) -> SecretKey {
    let mut salt = KEYFILE_SALT_PREFIX.to_vec();
    salt.extend_from_slice(home_id.as_bytes());
    primitives::hkdf_sha256(master, &salt, KEYFILE_INFO)
}

/// The KEK of a key ring opened with a passphrase. Argon2's working memory is wiped afterwards.
pub(crate) fn from_passphrase(
    passphrase: &str,
    salt: &[u8],
    params: Argon2Params,
) -> Result<SecretKey, Error> {
    let params = params.to_argon2()?;
    let mut blocks = Zeroizing::new(vec![Block::default(); params.block_count()]);
    let mut kek = Zeroizing::new([0u8; KEY_LEN]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into_with_memory(
            passphrase.as_bytes(),
            salt,
            kek.as_mut(),
            blocks.as_mut_slice(),
        )
        .map_err(|e| Error::InvalidArgon2Params(e.to_string()))?;
    Ok(kek)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Pinned against an independent implementation (OpenSSL's HKDF through Python `cryptography` 48):
    /// `HKDF(SHA256(), 32, salt=b"probant keyring" + b"a", info=b"probant kek v1").derive(bytes([9] * 32))`.
    #[test]
    fn key_file_kek_matches_openssl_and_depends_on_home_id() {
        let master = [9u8; 32];
        assert_eq!(
            hex(from_master_key(&master, "a").as_ref()),
            "a6de8262bba2471c872808d760dda311a36ade7ba9c6cb41c7946955922670b2"
        );
        assert_ne!(
            *from_master_key(&master, "a"),
            *from_master_key(&master, "b")
        );
    }

    /// Pinned against an independent implementation (OpenSSL's Argon2id through Python `cryptography` 48):
    /// `Argon2id(salt=b"somesaltsomesalt", length=32, iterations=1, lanes=1, memory_cost=64).derive(b"password")`.
    /// A change here would lock every passphrase-protected home.
    #[test]
    fn passphrase_kek_matches_openssl() {
        let kek = from_passphrase(
            "password",
            b"somesaltsomesalt",
            Argon2Params::INSECURE_FOR_TESTS,
        )
        .unwrap();
        assert_eq!(
            hex(kek.as_ref()),
            "e793d64ef75d58f503d4631b2b149f7f80127c5f3993d89b1c9b781e51d0b413"
        );
        let other = from_passphrase(
            "passwore",
            b"somesaltsomesalt",
            Argon2Params::INSECURE_FOR_TESTS,
        )
        .unwrap();
        assert_ne!(*kek, *other);
    }

    #[test]
    fn limits_are_enforced() {
        let huge = Argon2Params {
            m_kib: u32::MAX,
            t: 1,
            p: 1,
        };
        assert!(matches!(
            huge.to_argon2(),
            Err(Error::InvalidArgon2Params(_))
        ));
        let below_argon2_minimum = Argon2Params {
            m_kib: 8,
            t: 1,
            p: 4,
        };
        assert!(matches!(
            below_argon2_minimum.to_argon2(),
            Err(Error::InvalidArgon2Params(_))
        ));
        Argon2Params::DEFAULT.to_argon2().unwrap();
    }
}
