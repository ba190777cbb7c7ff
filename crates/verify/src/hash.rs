//! RFC 9162 §2.1.1 Merkle tree hashing with SHA-256.
use sha2::{Digest, Sha256};

/// Length of a SHA-256 hash.
pub const HASH_LEN: usize = 32;
/// A node or leaf hash.
pub type Hash = [u8; HASH_LEN];

/// `SHA-256(0x00 || entry)`: the hash of a leaf.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 1 + 2 * HASH_LEN];
    buf[0] = 1;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    Sha256::digest(buf).into()
}

/// The root of the empty tree: `SHA-256()` of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Plain SHA-256, for record digests and key ids.
pub fn sha256(data: &[u8]) -> Hash {
    Sha256::digest(data).into()
}

/// Lowercase hexadecimal, the form digests take in entries (`resource.sha256`).
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            to_hex(&empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn leaf_and_node_are_domain_separated() {
        // A leaf whose content looks like two child hashes must not collide
        // with the node over those children (RFC 9162 §2.1.1 second preimage).
        let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
        let mut fake = Vec::from(a);
        fake.extend_from_slice(&b);
        assert_ne!(leaf_hash(&fake), node_hash(&a, &b));
    }
}
