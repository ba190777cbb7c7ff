//! Thin, infallible-where-possible wrappers over aws-lc-rs, so the rest of the crate reads as a specification.
//!
//! Key material handed to aws-lc lives in aws-lc's own heap allocations, which aws-lc frees with
//! `OPENSSL_free` (it zeroes memory before freeing). Copies made on the Rust side are [`Zeroizing`].

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::hkdf::{Salt, HKDF_SHA256};
use zeroize::Zeroizing;

use crate::Error;

/// Length of every symmetric key and Ed25519 seed in this crate.
pub const KEY_LEN: usize = 32;

/// Length of an AES-256-GCM authentication tag.
pub(crate) const TAG_LEN: usize = 16;

/// A 32-byte secret, wiped when dropped.
pub(crate) type SecretKey = Zeroizing<[u8; KEY_LEN]>;

/// `N` bytes from the operating system's CSPRNG (through aws-lc).
///
/// # Panics
/// If the system random generator fails. aws-lc itself aborts the process in that case, so this is
/// unreachable in practice; continuing without randomness would be worse than stopping.
pub(crate) fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    aws_lc_rs::rand::fill(&mut out).expect("system random generator failed");
    out
}

/// A fresh random 32-byte secret.
pub(crate) fn random_key() -> SecretKey {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    aws_lc_rs::rand::fill(key.as_mut()).expect("system random generator failed");
    key
}

/// HKDF-SHA256 (RFC 5869) of `ikm` with `salt` and `info`, 32 bytes of output.
pub(crate) fn hkdf_sha256(ikm: &[u8], salt: &[u8], info: &[u8]) -> SecretKey {
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    let info = [info];
    Salt::new(HKDF_SHA256, salt)
        .extract(ikm)
        .expand(&info, HKDF_SHA256)
        .and_then(|okm| okm.fill(out.as_mut()))
        .expect("HKDF-SHA256 with a 32-byte output cannot fail");
    out
}

/// An AES-256-GCM key. Its schedule lives inside aws-lc.
pub(crate) fn aes_gcm_key(key: &[u8; KEY_LEN]) -> LessSafeKey {
    let unbound = UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte key is a valid AES-256 key");
    LessSafeKey::new(unbound)
}

/// AES-256-GCM: encrypts `buf[start..]` in place and appends the 16-byte tag to `buf`.
///
/// Callers reserve `TAG_LEN` spare capacity so that appending the tag never reallocates (a reallocation
/// would free a copy of the plaintext without wiping it).
pub(crate) fn seal_in_place(
    key: &LessSafeKey,
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut Vec<u8>,
    start: usize,
) {
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf[start..],
        )
        .expect("AES-256-GCM sealing of an in-memory buffer cannot fail");
    buf.extend_from_slice(tag.as_ref());
}

/// AES-256-GCM: authenticates and decrypts `buf` (ciphertext || tag) in place; returns the plaintext length.
///
/// On failure the buffer is wiped, so unauthenticated plaintext can never be read from it.
pub(crate) fn open_in_place(
    key: &LessSafeKey,
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<usize, Error> {
    match key.open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buf) {
        Ok(plaintext) => Ok(plaintext.len()),
        Err(_) => {
            zeroize::Zeroize::zeroize(buf);
            Err(Error::Unseal)
        }
    }
}

/// Wraps a 32-byte secret under `kek`: `nonce (12) || AES-256-GCM(secret) || tag (16)`, with a random nonce.
///
/// Random 96-bit nonces are fine here: a key ring holds a handful of wrapped keys, far below the
/// 2^32-messages-per-key bound of NIST SP 800-38D.
pub(crate) fn wrap_key(kek: &LessSafeKey, aad: &[u8], secret: &[u8]) -> Vec<u8> {
    let nonce = random::<NONCE_LEN>();
    let mut out = Vec::with_capacity(NONCE_LEN + secret.len() + TAG_LEN);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(secret);
    seal_in_place(kek, nonce, aad, &mut out, NONCE_LEN);
    out
}

/// Reverses [`wrap_key`]; the result must be exactly 32 bytes. [`Error::Unseal`] on any failure.
pub(crate) fn unwrap_key(
    kek: &LessSafeKey,
    aad: &[u8],
    wrapped: &[u8],
) -> Result<SecretKey, Error> {
    if wrapped.len() != NONCE_LEN + KEY_LEN + TAG_LEN {
        return Err(Error::Unseal);
    }
    let (nonce, body) = wrapped.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::Unseal)?;
    let mut buf = Zeroizing::new([0u8; KEY_LEN + TAG_LEN]);
    buf.copy_from_slice(body);
    open_in_place(kek, nonce, aad, buf.as_mut())?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&buf[..KEY_LEN]);
    Ok(key)
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Whether two secrets are equal, in time independent of where they differ.
pub(crate) fn equal_secrets(a: &[u8; KEY_LEN], b: &[u8; KEY_LEN]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}
