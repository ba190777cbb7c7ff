//! Inclusion and consistency proofs (RFC 9162 §2.1.3.1 PATH and §2.1.4.1
//! SUBPROOF) computed from stored tiles.
use std::collections::HashMap;

use probant_verify::{
    hash::Hash,
    tile::{tile_width_at, TILE_HEIGHT, TILE_WIDTH},
    tree::{perfect_root, range_hash, split_point, SubtreeSource},
};

use crate::store::TileStore;
use crate::Error;

/// Subtree hashes of the tree of `size`, read from tiles (cached for as
/// long as the value lives: one proof, or a batch of proofs).
pub struct TileHashes<'a> {
    store: &'a TileStore,
    size: u64,
    cache: HashMap<(u8, u64), Vec<Hash>>,
    /// Subtrees of a height between tile levels, hashed from a tile's
    /// span: proofs of nearby entries share most of them.
    roots: HashMap<(u32, u64), Hash>,
}

impl<'a> TileHashes<'a> {
    /// Reads the tree of `size` from `store`.
    pub fn new(store: &'a TileStore, size: u64) -> Self {
        Self {
            store,
            size,
            cache: HashMap::new(),
            roots: HashMap::new(),
        }
    }

    fn tile(&mut self, level: u8, index: u64) -> Result<&Vec<Hash>, Error> {
        let width = tile_width_at(self.size, level, index).ok_or_else(|| Error::OutOfRange {
            detail: format!("tile {level}/{index} is beyond size {}", self.size),
        })?;
        if !self.cache.contains_key(&(level, index)) {
            let hashes = self.store.read_tile(level, index, width)?;
            self.cache.insert((level, index), hashes);
        }
        Ok(&self.cache[&(level, index)])
    }
}

impl SubtreeSource for TileHashes<'_> {
    type Error = Error;

    fn subtree(&mut self, height: u32, index: u64) -> Result<Hash, Error> {
        if let Some(root) = self.roots.get(&(height, index)) {
            return Ok(*root);
        }
        let level = (height / TILE_HEIGHT) as u8;
        let r = height % TILE_HEIGHT;
        let first = index << r;
        let (tile_index, offset) = (first / TILE_WIDTH, (first % TILE_WIDTH) as usize);
        let hashes = self.tile(level, tile_index)?;
        let span = hashes
            .get(offset..offset + (1usize << r))
            .ok_or_else(|| Error::Corrupt {
                what: format!("tile {level}/{tile_index} too short"),
            })?;
        if r == 0 {
            return Ok(span[0]);
        }
        let root = perfect_root(span);
        self.roots.insert((height, index), root);
        Ok(root)
    }
}

/// The inclusion path of leaf `index` in the tree of `size`.
pub fn inclusion(src: &mut TileHashes<'_>, index: u64, size: u64) -> Result<Vec<Hash>, Error> {
    if index >= size {
        return Err(Error::OutOfRange {
            detail: format!("index {index} is not below tree size {size}"),
        });
    }
    let mut out = Vec::new();
    path(src, index, 0, size, &mut out)?;
    Ok(out)
}

fn path(
    src: &mut TileHashes<'_>,
    m: u64,
    lo: u64,
    hi: u64,
    out: &mut Vec<Hash>,
) -> Result<(), Error> {
    let n = hi - lo;
    if n <= 1 {
        return Ok(());
    }
    let k = split_point(n);
    if m < k {
        path(src, m, lo, lo + k, out)?;
        out.push(range_hash(src, lo + k, hi)?);
    } else {
        path(src, m - k, lo + k, hi, out)?;
        out.push(range_hash(src, lo, lo + k)?);
    }
    Ok(())
}

/// The consistency path from size `old` to size `new` (empty when `old` is 0
/// or equal to `new`).
pub fn consistency(src: &mut TileHashes<'_>, old: u64, new: u64) -> Result<Vec<Hash>, Error> {
    if old > new {
        return Err(Error::OutOfRange {
            detail: format!("old size {old} exceeds new size {new}"),
        });
    }
    let mut out = Vec::new();
    if old > 0 && old < new {
        subproof(src, old, 0, new, true, &mut out)?;
    }
    Ok(out)
}

fn subproof(
    src: &mut TileHashes<'_>,
    m: u64,
    lo: u64,
    hi: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) -> Result<(), Error> {
    let n = hi - lo;
    if m == n {
        if !whole {
            out.push(range_hash(src, lo, hi)?);
        }
        return Ok(());
    }
    let k = split_point(n);
    if m <= k {
        subproof(src, m, lo, lo + k, whole, out)?;
        out.push(range_hash(src, lo + k, hi)?);
    } else {
        subproof(src, m - k, lo + k, hi, false, out)?;
        out.push(range_hash(src, lo, lo + k)?);
    }
    Ok(())
}
