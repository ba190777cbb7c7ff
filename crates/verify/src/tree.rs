//! Merkle tree hashes (RFC 9162 §2.1.1) computed from stored subtree hashes.
//!
//! Tiles store the hashes of full, aligned subtrees. Every range that the
//! RFC's recursive definitions ever ask for starts at a multiple of a power
//! of two at least as large as the range, so it splits into such subtrees.
use crate::hash::{empty_root, node_hash, Hash};
use crate::Error;

/// A source of hashes of full, aligned subtrees: `subtree(h, k)` is
/// `MTH(D[k·2^h : (k+1)·2^h])`.
pub trait SubtreeSource {
    /// The error of the underlying store.
    type Error: From<Error>;
    /// Hash of the perfect subtree of height `height` at position `index`.
    fn subtree(&mut self, height: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// Largest power of two strictly smaller than `n` (n ≥ 2).
pub fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// `MTH(D[lo:hi])` for a range that starts aligned (see module docs).
pub fn range_hash<S: SubtreeSource>(src: &mut S, lo: u64, hi: u64) -> Result<Hash, S::Error> {
    let n = hi - lo;
    if n == 0 {
        return Ok(empty_root());
    }
    if n.is_power_of_two() {
        let height = n.trailing_zeros();
        if !lo.is_multiple_of(n) {
            return Err(Error::proof(format!("unaligned subtree [{lo}, {hi})")).into());
        }
        return src.subtree(height, lo >> height);
    }
    let k = split_point(n);
    let left = range_hash(src, lo, lo + k)?;
    let right = range_hash(src, lo + k, hi)?;
    Ok(node_hash(&left, &right))
}

/// Root of the perfect tree whose leaves are `hashes` (a power-of-two count).
/// Used to hash a full tile into the level above, or 2^r hashes of one tile
/// into a subtree of intermediate height.
pub fn perfect_root(hashes: &[Hash]) -> Hash {
    debug_assert!(hashes.len().is_power_of_two());
    let mut level: Vec<Hash> = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
    }
    level[0]
}

/// `MTH` of an arbitrary list of leaf hashes (RFC 9162 definition, directly).
pub fn root_of_leaves(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(&root_of_leaves(&leaves[..k]), &root_of_leaves(&leaves[k..]))
        }
    }
}

/// The right edge of a growing tree: one hash per full subtree of the binary
/// decomposition of its size, largest first. Appending a leaf is amortised
/// O(1); the root is a fold over at most 64 hashes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    // (height, hash), strictly decreasing heights
    peaks: Vec<(u32, Hash)>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }
    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (0u32, leaf);
        while let Some(&(h, left)) = self.peaks.last() {
            if h != node.0 {
                break;
            }
            self.peaks.pop();
            node = (h + 1, node_hash(&left, &node.1));
        }
        self.peaks.push(node);
        self.size += 1;
    }
    /// Appends a full subtree of `height` (the frontier must be aligned to it).
    pub fn push_subtree(&mut self, height: u32, hash: Hash) -> Result<(), Error> {
        let span = 1u64.checked_shl(height).filter(|_| height < 64);
        let Some(new_size) = span.and_then(|s| self.size.checked_add(s)) else {
            return Err(Error::proof("subtree too high for a 64-bit tree size"));
        };
        if !self.size.is_multiple_of(1u64 << height) {
            return Err(Error::proof("subtree pushed onto an unaligned frontier"));
        }
        if let Some(&(h, _)) = self.peaks.last() {
            if h < height {
                return Err(Error::proof("subtree larger than the frontier's last peak"));
            }
        }
        let mut node = (height, hash);
        while let Some(&(h, left)) = self.peaks.last() {
            if h != node.0 {
                break;
            }
            self.peaks.pop();
            node = (h + 1, node_hash(&left, &node.1));
        }
        self.peaks.push(node);
        self.size = new_size;
        Ok(())
    }
    /// `MTH` of the whole tree.
    pub fn root(&self) -> Hash {
        let mut iter = self.peaks.iter().rev();
        let Some(&(_, mut acc)) = iter.next() else {
            return empty_root();
        };
        for (_, left) in iter {
            acc = node_hash(left, &acc);
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn frontier_matches_the_definition() {
        let leaves: Vec<Hash> = (0..300u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut f = Frontier::new();
        assert_eq!(f.root(), empty_root());
        for (i, l) in leaves.iter().enumerate() {
            f.push(*l);
            assert_eq!(f.root(), root_of_leaves(&leaves[..=i]), "size {}", i + 1);
        }
    }

    #[test]
    fn split_point_is_largest_power_below() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(1 << 40), 1 << 39);
    }
}
