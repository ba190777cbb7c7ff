//! The pure core of the log: integrating a batch of entries returns the new
//! root and the tiles and bundles to write. No I/O, no crypto beyond hashing;
//! the storage driver seals bundles and writes files.
use probant_verify::{
    bundle,
    hash::{leaf_hash, Hash},
    tile::{self, TILE_WIDTH},
    tree::{perfect_root, Frontier},
};

use crate::Error;

/// A file the integration produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Artefact {
    /// A hash tile, stored in clear.
    Tile {
        /// Level.
        level: u8,
        /// Index within the level.
        index: u64,
        /// Concatenated hashes (width × 32 bytes).
        hashes: Vec<u8>,
    },
    /// An entry bundle, in plaintext (the driver seals it).
    Bundle {
        /// Index.
        index: u64,
        /// Number of entries in it.
        width: u64,
        /// The C2SP bundle encoding.
        bytes: Vec<u8>,
    },
}

impl Artefact {
    /// Its path under the journal directory.
    pub fn path(&self) -> String {
        match self {
            Artefact::Tile {
                level,
                index,
                hashes,
            } => tile::tile_path(*level, *index, (hashes.len() / 32) as u64),
            Artefact::Bundle { index, width, .. } => tile::bundle_path(*index, *width),
        }
    }
    /// Whether it is a full tile or bundle (its partials can then go).
    pub fn is_full(&self) -> bool {
        match self {
            Artefact::Tile { hashes, .. } => hashes.len() as u64 == TILE_WIDTH * 32,
            Artefact::Bundle { width, .. } => *width == TILE_WIDTH,
        }
    }
}

/// The right edge of the tree: the rightmost (partial) tile at every level,
/// and the entries of the rightmost bundle. Everything left of it is full
/// and immutable on disk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeEdge {
    size: u64,
    /// `levels[l]`: hashes of the partial tile at level `l` (< 256).
    levels: Vec<Vec<Hash>>,
    /// Entries of the partial bundle (< 256).
    bundle: Vec<Vec<u8>>,
}

impl TreeEdge {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the edge of a tree of `size` from its partial tiles
    /// (`levels[l]` must hold `partial_width(size, l)` hashes) and the
    /// entries of its partial bundle.
    pub fn from_parts(
        size: u64,
        levels: Vec<Vec<Hash>>,
        bundle: Vec<Vec<u8>>,
    ) -> Result<Self, Error> {
        for (l, hashes) in levels.iter().enumerate() {
            if hashes.len() as u64 != tile::partial_width(size, l as u8) {
                return Err(Error::Corrupt {
                    what: format!("partial tile at level {l} has the wrong width for size {size}"),
                });
            }
        }
        if bundle.len() as u64 != tile::partial_width(size, 0) {
            return Err(Error::Corrupt {
                what: format!("partial bundle has the wrong width for size {size}"),
            });
        }
        let mut edge = Self {
            size,
            levels,
            bundle,
        };
        edge.trim();
        Ok(edge)
    }

    fn trim(&mut self) {
        while self.levels.last().is_some_and(Vec::is_empty) {
            self.levels.pop();
        }
    }

    /// Number of entries.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Hashes of the partial tile at `level`.
    pub fn partial_tile(&self, level: u8) -> &[Hash] {
        self.levels.get(level as usize).map_or(&[], Vec::as_slice)
    }

    /// Entries of the partial bundle.
    pub fn partial_bundle(&self) -> &[Vec<u8>] {
        &self.bundle
    }

    /// Highest level that currently holds hashes, plus one.
    pub fn level_count(&self) -> usize {
        self.levels.len()
    }

    /// RFC 9162 root of the tree.
    pub fn root(&self) -> Hash {
        let mut f = Frontier::new();
        for level in (0..self.levels.len()).rev() {
            for h in &self.levels[level] {
                // Cannot fail: each level's hashes are aligned full subtrees
                // in left-to-right order, highest level first.
                let _ = f.push_subtree(8 * level as u32, *h);
            }
        }
        f.root()
    }

    /// Appends `entries` and returns the tiles and bundles that changed,
    /// full ones before partial ones.
    pub fn integrate(&mut self, entries: &[Vec<u8>]) -> Result<Vec<Artefact>, Error> {
        let mut out = Vec::new();
        let mut dirty = vec![false; self.levels.len().max(1)];
        for e in entries {
            if e.len() > bundle::MAX_ENTRY_LEN {
                return Err(Error::EntryTooLarge { len: e.len() });
            }
            let bundle_index = self.size / TILE_WIDTH;
            self.bundle.push(e.clone());
            if self.bundle.len() as u64 == TILE_WIDTH {
                out.push(Artefact::Bundle {
                    index: bundle_index,
                    width: TILE_WIDTH,
                    bytes: encode_bundle(&std::mem::take(&mut self.bundle))?,
                });
            }
            self.push_hash(0, leaf_hash(e), &mut dirty, &mut out);
            self.size += 1;
        }
        if !self.bundle.is_empty() && dirty[0] {
            out.push(Artefact::Bundle {
                index: self.size / TILE_WIDTH,
                width: self.bundle.len() as u64,
                bytes: encode_bundle(&self.bundle)?,
            });
        }
        self.emit_partials(&dirty, &mut out);
        Ok(out)
    }

    /// Appends leaf hashes only (entries unknown, e.g. pruned): returns the
    /// hash tiles that changed. The edge then no longer tracks its bundle, so
    /// this is for recomputing and checking a tree, not for writing one.
    pub fn integrate_leaves(&mut self, leaves: &[Hash]) -> Vec<Artefact> {
        let mut out = Vec::new();
        let mut dirty = vec![false; self.levels.len().max(1)];
        for leaf in leaves {
            self.push_hash(0, *leaf, &mut dirty, &mut out);
            self.size += 1;
        }
        self.emit_partials(&dirty, &mut out);
        out
    }

    /// The partial tiles at every level, as they must be stored at this size.
    pub fn partial_tiles(&self) -> Vec<Artefact> {
        let mut out = Vec::new();
        self.emit_partials(&vec![true; self.levels.len()], &mut out);
        out
    }

    fn emit_partials(&self, dirty: &[bool], out: &mut Vec<Artefact>) {
        for (level, hashes) in self.levels.iter().enumerate() {
            if dirty.get(level).copied().unwrap_or(false) && !hashes.is_empty() {
                out.push(Artefact::Tile {
                    level: level as u8,
                    index: tile::level_len(self.size, level as u8) / TILE_WIDTH,
                    hashes: hashes.concat(),
                });
            }
        }
    }

    /// Pushes a hash at `level`; a tile that fills is emitted and its root
    /// pushed one level up.
    fn push_hash(&mut self, level: usize, h: Hash, dirty: &mut Vec<bool>, out: &mut Vec<Artefact>) {
        if self.levels.len() <= level {
            self.levels.resize(level + 1, Vec::new());
        }
        if dirty.len() <= level {
            dirty.resize(level + 1, false);
        }
        dirty[level] = true;
        self.levels[level].push(h);
        if self.levels[level].len() as u64 == TILE_WIDTH {
            let full = std::mem::take(&mut self.levels[level]);
            // Index of the tile that just filled, counted at this level:
            // the hashes before it at this level are all in full tiles.
            let stored_before = tile::level_len(self.size + 1, level as u8) - TILE_WIDTH;
            out.push(Artefact::Tile {
                level: level as u8,
                index: stored_before / TILE_WIDTH,
                hashes: full.concat(),
            });
            self.push_hash(level + 1, perfect_root(&full), dirty, out);
        }
    }
}

/// Encodes entries as a C2SP entry bundle.
pub fn encode_bundle(entries: &[Vec<u8>]) -> Result<Vec<u8>, Error> {
    let mut b = Vec::with_capacity(entries.iter().map(|e| e.len() + 2).sum());
    for e in entries {
        bundle::push_entry(&mut b, e).map_err(|_| Error::EntryTooLarge { len: e.len() })?;
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use probant_verify::tree::root_of_leaves;
    use std::collections::BTreeMap;

    fn entries(from: u64, n: u64) -> Vec<Vec<u8>> {
        (from..from + n)
            .map(|i| format!("e{i}").into_bytes())
            .collect()
    }

    #[test]
    fn roots_match_the_definition_across_batch_shapes() {
        let all = entries(0, 70_000);
        let leaves: Vec<Hash> = all.iter().map(|e| leaf_hash(e)).collect();
        let mut edge = TreeEdge::new();
        let mut at = 0usize;
        for batch in [1usize, 2, 253, 1, 65_536 - 257, 3, 4_000] {
            edge.integrate(&all[at..at + batch]).unwrap();
            at += batch;
            assert_eq!(edge.root(), root_of_leaves(&leaves[..at]), "size {at}");
        }
    }

    #[test]
    fn written_tiles_reproduce_the_spec_layout() {
        // After integrating 70,000 entries in uneven batches, the latest file
        // written at each path must be exactly the tile the spec defines.
        let all = entries(0, 70_000);
        let mut edge = TreeEdge::new();
        let mut files = BTreeMap::new();
        for chunk in all.chunks(999) {
            for a in edge.integrate(chunk).unwrap() {
                files.insert(a.path(), a);
            }
        }
        let leaves: Vec<Hash> = all.iter().map(|e| leaf_hash(e)).collect();
        let tile0 = |n: usize| leaves[n * 256..(n + 1) * 256].concat();
        assert_eq!(
            files["tile/0/272"],
            Artefact::Tile {
                level: 0,
                index: 272,
                hashes: tile0(272)
            }
        );
        assert!(files.contains_key("tile/0/273.p/112"));
        assert!(files.contains_key("tile/1/000"));
        assert!(files.contains_key("tile/1/001.p/17"));
        assert!(files.contains_key("tile/2/000.p/1"));
        assert!(files.contains_key("tile/entries/273.p/112"));
        let Artefact::Tile { hashes, .. } = &files["tile/1/000"] else {
            panic!()
        };
        assert_eq!(&hashes[..32], &perfect_root(&leaves[..256]));
        assert_eq!(edge.partial_tile(1).len(), 17);
        // The edge rebuilt from its own partial tiles has the same root.
        let rebuilt = TreeEdge::from_parts(
            70_000,
            (0..3).map(|l| edge.partial_tile(l).to_vec()).collect(),
            edge.partial_bundle().to_vec(),
        )
        .unwrap();
        assert_eq!(rebuilt.root(), edge.root());
    }
}
