//! Reading and writing the C2SP layout under `<home>/journal/`: hash tiles in
//! clear, entry bundles sealed with the journal key (associated data: the
//! bundle's path, so a bundle moved to another path does not open).
use std::path::{Path, PathBuf};
use std::sync::Arc;

use probant_verify::{
    bundle::parse_bundle,
    hash::Hash,
    tile::{self, TILE_WIDTH},
};

use crate::fsutil::{read_optional, write_all_durably};
use crate::integrate::Artefact;
use crate::{Error, Sealer};

/// The tile tree of one journal.
#[derive(Clone)]
pub struct TileStore {
    root: PathBuf,
    sealer: Arc<dyn Sealer>,
}

impl TileStore {
    /// The store under the journal directory `root`.
    pub fn new(root: &Path, sealer: Arc<dyn Sealer>) -> Self {
        Self {
            root: root.to_owned(),
            sealer,
        }
    }

    /// The journal directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes artefacts durably; bundles are sealed first.
    pub fn write(&self, artefacts: &[Artefact]) -> Result<(), Error> {
        let files: Vec<(String, Vec<u8>)> = artefacts
            .iter()
            .map(|a| {
                let path = a.path();
                let bytes = match a {
                    Artefact::Tile { hashes, .. } => hashes.clone(),
                    Artefact::Bundle { bytes, .. } => self.sealer.seal(path.as_bytes(), bytes),
                };
                (path, bytes)
            })
            .collect();
        write_all_durably(&self.root, &files)
    }

    /// Reads the first `width` hashes of tile `index` at `level`: the full
    /// tile if it exists, else the partial tile of exactly that width.
    pub fn read_tile(&self, level: u8, index: u64, width: u64) -> Result<Vec<Hash>, Error> {
        let full = tile::tile_path(level, index, TILE_WIDTH);
        let (path, bytes) = match read_optional(&self.root.join(&full))? {
            Some(b) => (full, b),
            None if width < TILE_WIDTH => {
                let p = tile::tile_path(level, index, width);
                let b = read_optional(&self.root.join(&p))?.ok_or_else(|| Error::Corrupt {
                    what: format!("{p} is missing"),
                })?;
                (p, b)
            }
            None => {
                return Err(Error::Corrupt {
                    what: format!("{full} is missing"),
                })
            }
        };
        let expect = if path.contains(".p/") {
            width
        } else {
            TILE_WIDTH
        };
        if bytes.len() as u64 != expect * 32 {
            return Err(Error::Corrupt {
                what: format!(
                    "{path} holds {} bytes, expected {}",
                    bytes.len(),
                    expect * 32
                ),
            });
        }
        Ok(bytes[..width as usize * 32]
            .chunks_exact(32)
            .map(|c| c.try_into().unwrap_or([0; 32]))
            .collect())
    }

    /// Whether bundle `index` is present in some form.
    pub fn bundle_exists(&self, index: u64) -> bool {
        let full = self.root.join(tile::bundle_path(index, TILE_WIDTH));
        full.exists() || {
            let dir = self
                .root
                .join(format!("tile/entries/{}.p", tile::encode_index(index)));
            dir.is_dir()
        }
    }

    /// Reads and opens the first `width` entries of bundle `index`.
    /// `Ok(None)` if no file holds them.
    pub fn read_bundle(&self, index: u64, width: u64) -> Result<Option<Vec<Vec<u8>>>, Error> {
        let full = tile::bundle_path(index, TILE_WIDTH);
        let partial = tile::bundle_path(index, width);
        let (path, sealed) = match read_optional(&self.root.join(&full))? {
            Some(b) => (full, b),
            None if width < TILE_WIDTH => match read_optional(&self.root.join(&partial))? {
                Some(b) => (partial, b),
                None => return Ok(None),
            },
            None => return Ok(None),
        };
        let plain = self
            .sealer
            .open(path.as_bytes(), &sealed)
            .ok_or_else(|| Error::Unseal { path: path.clone() })?;
        let entries = parse_bundle(&plain).map_err(|e| Error::Corrupt {
            what: format!("{path}: {e}"),
        })?;
        if (entries.len() as u64) < width {
            return Err(Error::Corrupt {
                what: format!("{path} holds {} entries, expected {width}", entries.len()),
            });
        }
        Ok(Some(
            entries[..width as usize]
                .iter()
                .map(|e| e.to_vec())
                .collect(),
        ))
    }

    /// Removes the partial versions of tiles and bundles that are now full.
    pub fn remove_partials_of(&self, artefacts: &[Artefact]) {
        for a in artefacts.iter().filter(|a| a.is_full()) {
            // Best effort: partials of a full tile are redundant (the spec
            // lets logs delete them), and a leftover one is harmless.
            let _ = std::fs::remove_dir_all(self.root.join(format!("{}.p", a.path())));
        }
    }
}
