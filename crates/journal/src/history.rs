//! Every checkpoint the journal signs, kept compactly in one append-only
//! file so a proof can be made to any size ever published (DESIGN contract 2).
//!
//! File `checkpoints`: the magic `PRBCKP01`, then 104-byte records
//! `size u64 BE || root (32) || Ed25519 signature (64)`. The signed note is
//! rebuilt from the origin, the record and the verifier key; its signature is
//! checked whenever it is read back.
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use probant_verify::{checkpoint::Checkpoint, hash::Hash, note, VerifierKey};

use crate::Error;

const MAGIC: &[u8; 8] = b"PRBCKP01";
const RECORD: u64 = 8 + 32 + 64;

/// One published checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
    /// The log's signature over the checkpoint text.
    pub signature: [u8; 64],
}

impl Published {
    /// The signed checkpoint note.
    pub fn note(&self, key: &VerifierKey) -> String {
        let text = Checkpoint {
            origin: key.name().to_owned(),
            size: self.size,
            root: self.root,
            extensions: vec![],
        }
        .to_text();
        note::assemble(&text, key.name(), key.id(), &self.signature)
    }

    fn encode(&self) -> [u8; RECORD as usize] {
        let mut r = [0u8; RECORD as usize];
        r[..8].copy_from_slice(&self.size.to_be_bytes());
        r[8..40].copy_from_slice(&self.root);
        r[40..].copy_from_slice(&self.signature);
        r
    }

    fn decode(r: &[u8]) -> Self {
        let mut size = [0u8; 8];
        size.copy_from_slice(&r[..8]);
        let mut root = [0u8; 32];
        root.copy_from_slice(&r[8..40]);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&r[40..104]);
        Self {
            size: u64::from_be_bytes(size),
            root,
            signature,
        }
    }

    /// Checks the signature under `key`.
    pub fn verify(&self, key: &VerifierKey) -> Result<(), Error> {
        Checkpoint::verify(self.note(key).as_bytes(), key)?;
        Ok(())
    }
}

/// The append-only checkpoint history.
pub struct History {
    file: File,
    path: PathBuf,
    count: u64,
}

impl History {
    /// Creates an empty history.
    pub fn create(path: &Path) -> Result<Self, Error> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(Error::io("create", path))?;
        file.write_all(MAGIC).map_err(Error::io("write", path))?;
        file.sync_all().map_err(Error::io("fsync", path))?;
        Ok(Self {
            file,
            path: path.to_owned(),
            count: 0,
        })
    }

    /// Opens the history; a torn last record (a crash while appending, before
    /// the checkpoint file was replaced) is cut off.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(Error::io("open", path))?;
        let mut magic = [0u8; 8];
        file.read_exact(&mut magic)
            .map_err(Error::io("read", path))?;
        if &magic != MAGIC {
            return Err(Error::Corrupt {
                what: "checkpoints: bad header".into(),
            });
        }
        let len = file.metadata().map_err(Error::io("stat", path))?.len();
        let count = (len - 8) / RECORD;
        if (len - 8) % RECORD != 0 {
            file.set_len(8 + count * RECORD)
                .map_err(Error::io("truncate", path))?;
            file.sync_all().map_err(Error::io("fsync", path))?;
        }
        Ok(Self {
            file,
            path: path.to_owned(),
            count,
        })
    }

    /// Opens the history for reading alongside the writer: only whole records
    /// are seen.
    pub fn open_read(path: &Path) -> Result<Self, Error> {
        let file = File::open(path).map_err(Error::io("open", path))?;
        let len = file.metadata().map_err(Error::io("stat", path))?.len();
        Ok(Self {
            file,
            path: path.to_owned(),
            count: len.saturating_sub(8) / RECORD,
        })
    }

    /// Appends a checkpoint durably. Sizes must grow.
    pub fn append(&mut self, p: &Published) -> Result<(), Error> {
        if let Some(last) = self.last()? {
            if p.size <= last.size {
                return Err(Error::Corrupt {
                    what: format!(
                        "checkpoint size {} does not grow past {}",
                        p.size, last.size
                    ),
                });
            }
        }
        self.file
            .seek(SeekFrom::Start(8 + self.count * RECORD))
            .map_err(Error::io("seek", &self.path))?;
        self.file
            .write_all(&p.encode())
            .map_err(Error::io("write", &self.path))?;
        self.file
            .sync_data()
            .map_err(Error::io("fdatasync", &self.path))?;
        self.count += 1;
        Ok(())
    }

    /// The `i`-th checkpoint.
    pub fn get(&mut self, i: u64) -> Result<Published, Error> {
        let mut r = [0u8; RECORD as usize];
        self.file
            .seek(SeekFrom::Start(8 + i * RECORD))
            .map_err(Error::io("seek", &self.path))?;
        self.file
            .read_exact(&mut r)
            .map_err(Error::io("read", &self.path))?;
        Ok(Published::decode(&r))
    }

    /// The latest checkpoint.
    pub fn last(&mut self) -> Result<Option<Published>, Error> {
        if self.count == 0 {
            return Ok(None);
        }
        self.get(self.count - 1).map(Some)
    }

    /// The checkpoint of exactly `size`, by binary search.
    pub fn find(&mut self, size: u64) -> Result<Option<Published>, Error> {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let p = self.get(mid)?;
            match p.size.cmp(&size) {
                std::cmp::Ordering::Equal => return Ok(Some(p)),
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        Ok(None)
    }

    /// All checkpoints in order (for `journal verify`).
    pub fn all(&mut self) -> Result<Vec<Published>, Error> {
        let mut buf = vec![0u8; (self.count * RECORD) as usize];
        self.file
            .seek(SeekFrom::Start(8))
            .map_err(Error::io("seek", &self.path))?;
        self.file
            .read_exact(&mut buf)
            .map_err(Error::io("read", &self.path))?;
        Ok(buf
            .chunks_exact(RECORD as usize)
            .map(Published::decode)
            .collect())
    }
}
