//! Probant's cryptography: master keys, the key ring, sealing at rest, journal signing, and the
//! streaming encryption of record content.
//!
//! # What this crate guarantees
//! - **Keys are protected (CC-7.c, N-5.7.1).** A home's purpose keys live in its key ring file only
//!   wrapped (AES-256-GCM) by a key-encryption key derived from a master key, which comes from a key file
//!   kept outside the home (N-5.8.3) or from a passphrase (Argon2id). In memory, every secret is wiped
//!   when dropped ([`zeroize`]); no `Debug` output shows one.
//! - **Data at rest is authenticated-encrypted (CC-7.a.i).** [`Sealer`] binds each message to its
//!   place through associated data; any altered, truncated or moved byte is refused.
//! - **Failures do not leak.** Decryption errors are coarse ([`Error::Unseal`], [`Error::WrongMasterKey`]);
//!   user-facing messages say what to do, never why a tag failed.
//! - **Record content is encrypted as a stream** ([`EncryptingWriter`], [`DecryptingReader`];
//!   format in `docs/spec/stream.md`) under its own [`DataKey`], wrapped by the key ring's record KEK
//!   ([`KeyRing::wrap_data_key`]) so that destroying a wrapped key or a KEK version destroys the content
//!   in every copy (crypto-shredding, AR-20.7, CC-7.f). Memory stays bounded; truncation, reordering
//!   and splicing are detected; no unauthenticated plaintext is released.
//! - **One key, one use.** Each [`KeyPurpose`] has its own keys; a signing seed never seals.
//!
//! # What it does not do
//! - It stores no data other than key files and key rings; callers own every other file.
//! - It does not protect against an attacker who can read this process's memory while keys are in use.
//! - Only the record KEK can be rotated and retired today ([`KeyRing::rotate`],
//!   [`KeyRing::rewrap_data_key`], [`KeyRing::retire`]); rotating the other purposes, and the master
//!   key, is designed (`docs/keys.md`) but not implemented.
//!
//! All primitives come from aws-lc-rs (AES-256-GCM, HKDF-SHA256, SHA-256, Ed25519, the CSPRNG) and
//! the `argon2` crate (Argon2id).

#![forbid(unsafe_code)]

mod blind;
mod credential;
mod datakey;
mod error;
mod fsutil;
mod kek;
mod keyring;
mod master;
mod primitives;
mod seal;
mod sign;
mod stream;

pub use blind::BlindIndexKey;
pub use credential::{is_valid_user_id, Credential};
pub use datakey::{DataKey, WrappedKey};
pub use error::Error;
pub use kek::Argon2Params;
pub use keyring::{KeyPurpose, KeyRing};
pub use master::{
    create_key_file, default_key_file_path, ensure_key_file_outside_home, read_passphrase,
    MasterKeySource, PASSPHRASE_ENV,
};
pub use primitives::KEY_LEN;
pub use seal::Sealer;
pub use sign::Ed25519Signer;
pub use stream::{
    DecryptingReader, EncryptingWriter, StreamSummary, DEFAULT_SEGMENT_SIZE, HEADER_LEN, MAGIC,
    MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE,
};
