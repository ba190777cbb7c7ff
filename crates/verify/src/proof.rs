//! RFC 9162 §2.1.3.2 and §2.1.4.2: verifying inclusion and consistency
//! proofs, step by step as the RFC writes them.
use crate::hash::{node_hash, Hash};
use crate::Error;

/// The root that an inclusion proof of `leaf` at `index` in a tree of `size`
/// leads to; the caller compares it with a trusted root.
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    path: &[Hash],
) -> Result<Hash, Error> {
    if index >= size {
        return Err(Error::OutOfRange {
            detail: format!("leaf index {index} not below tree size {size}"),
        });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if snode == 0 {
            return Err(Error::proof("inclusion path longer than the tree is deep"));
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(Error::proof("inclusion path shorter than the tree is deep"));
    }
    Ok(r)
}

/// Checks that `leaf` is at `index` in the tree of `size` with `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    path: &[Hash],
    root: &Hash,
) -> Result<(), Error> {
    if root_from_inclusion(index, size, leaf, path)? != *root {
        return Err(Error::proof("inclusion path does not lead to the root"));
    }
    Ok(())
}

/// Checks that the tree of `old_size` with `old_root` is a prefix of the tree
/// of `new_size` with `new_root`. The empty tree is a prefix of every tree; a
/// tree is consistent with itself given an empty proof and equal roots.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    path: &[Hash],
) -> Result<(), Error> {
    if old_size > new_size {
        return Err(Error::OutOfRange {
            detail: format!("old size {old_size} exceeds new size {new_size}"),
        });
    }
    if old_size == 0 && *old_root != crate::hash::empty_root() {
        return Err(Error::proof("the empty tree's root is SHA-256 of nothing"));
    }
    if old_size == new_size || old_size == 0 {
        if !path.is_empty() {
            return Err(Error::proof("expected an empty consistency proof"));
        }
        if old_size == new_size && old_root != new_root {
            return Err(Error::proof("same size, different roots"));
        }
        return Ok(());
    }
    // Step 1.
    if path.is_empty() {
        return Err(Error::proof("empty consistency proof"));
    }
    // Step 2: prepend old_root when old_size is a power of two.
    let mut nodes: Vec<&Hash> = Vec::with_capacity(path.len() + 1);
    if old_size.is_power_of_two() {
        nodes.push(old_root);
    }
    nodes.extend(path.iter());
    // Steps 3-4.
    let (mut fnode, mut snode) = (old_size - 1, new_size - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 5.
    let (mut fr, mut sr) = (*nodes[0], *nodes[0]);
    // Step 6.
    for c in &nodes[1..] {
        if snode == 0 {
            return Err(Error::proof("consistency path too long"));
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 7.
    if snode != 0 {
        return Err(Error::proof("consistency path too short"));
    }
    if fr != *old_root {
        return Err(Error::proof(
            "consistency proof does not lead to the old root",
        ));
    }
    if sr != *new_root {
        return Err(Error::proof(
            "consistency proof does not lead to the new root",
        ));
    }
    Ok(())
}
