//! The write-ahead log: the journal's point of durability.
//!
//! An append is acknowledged once its batch's record is written and
//! `fdatasync`ed here — one sync per batch, whatever the batch size (group
//! commit). Tiles and checkpoints are derived from these records afterwards
//! and the records are deleted once a durable checkpoint covers them.
//!
//! File `wal/<first index, 20 digits>.wal`: the magic `PRBWAL01`, then
//! records `len u32 BE || first u64 BE || count u32 BE || sealed`, where
//! `sealed` is the entries' C2SP bundle encoding sealed (AEAD) with
//! associated data `"probant-wal-v1" || first || count`. A record that is
//! incomplete or does not open marks the end of the valid data: it was being
//! written when the process stopped and was never acknowledged.
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use probant_verify::bundle::parse_bundle;

use crate::fsutil::sync_dir;
use crate::integrate::encode_bundle;
use crate::{Error, Sealer};

const MAGIC: &[u8; 8] = b"PRBWAL01";
const HEADER: usize = 16;

fn aad(first: u64, count: u32) -> Vec<u8> {
    let mut a = b"probant-wal-v1".to_vec();
    a.extend_from_slice(&first.to_be_bytes());
    a.extend_from_slice(&count.to_be_bytes());
    a
}

/// Encodes one record.
pub fn encode_record(
    sealer: &dyn Sealer,
    first: u64,
    entries: &[Vec<u8>],
) -> Result<Vec<u8>, Error> {
    let count = entries.len() as u32;
    let sealed = sealer.seal(&aad(first, count), &encode_bundle(entries)?);
    let mut r = Vec::with_capacity(HEADER + sealed.len());
    r.extend_from_slice(&(sealed.len() as u32).to_be_bytes());
    r.extend_from_slice(&first.to_be_bytes());
    r.extend_from_slice(&count.to_be_bytes());
    r.extend_from_slice(&sealed);
    Ok(r)
}

/// The valid records of a WAL file (a damaged tail is ignored).
pub struct Recovered {
    /// `(first index, entries)` in file order.
    pub records: Vec<(u64, Vec<Vec<u8>>)>,
}

/// Decodes a WAL file's bytes.
pub fn decode_file(sealer: &dyn Sealer, bytes: &[u8]) -> Result<Recovered, Error> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) {
            // Created but its header never reached the disk: empty.
            return Ok(Recovered { records: vec![] });
        }
        return Err(Error::Corrupt {
            what: "write-ahead log file has no PRBWAL01 header".into(),
        });
    }
    let mut records = Vec::new();
    let mut at = MAGIC.len();
    while let Some(rec) = decode_record(sealer, &bytes[at..]) {
        let (first, entries, used) = rec;
        records.push((first, entries));
        at += used;
    }
    Ok(Recovered { records })
}

fn decode_record(sealer: &dyn Sealer, b: &[u8]) -> Option<(u64, Vec<Vec<u8>>, usize)> {
    if b.len() < HEADER {
        return None;
    }
    let len = u32::from_be_bytes(b[0..4].try_into().ok()?) as usize;
    let first = u64::from_be_bytes(b[4..12].try_into().ok()?);
    let count = u32::from_be_bytes(b[12..16].try_into().ok()?);
    let sealed = b.get(HEADER..HEADER.checked_add(len)?)?;
    let plain = sealer.open(&aad(first, count), sealed)?;
    let entries: Vec<Vec<u8>> = parse_bundle(&plain)
        .ok()?
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    (entries.len() == count as usize).then_some((first, entries, HEADER + len))
}

/// The WAL file being appended to.
pub struct WalWriter {
    file: File,
    path: PathBuf,
    /// Bytes written to this file so far.
    pub len: u64,
}

impl WalWriter {
    /// Creates `wal/<first>.wal` durably (file and directory entry).
    pub fn create(dir: &Path, first: u64) -> Result<Self, Error> {
        let path = segment_path(dir, first);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(Error::io("create", &path))?;
        file.write_all(MAGIC).map_err(Error::io("write", &path))?;
        file.sync_all().map_err(Error::io("fsync", &path))?;
        sync_dir(dir)?;
        Ok(Self {
            file,
            path,
            len: MAGIC.len() as u64,
        })
    }

    /// Appends a record and makes it durable before returning.
    pub fn append(&mut self, record: &[u8]) -> Result<(), Error> {
        self.file
            .write_all(record)
            .map_err(Error::io("write", &self.path))?;
        self.file
            .sync_data()
            .map_err(Error::io("fdatasync", &self.path))?;
        self.len += record.len() as u64;
        Ok(())
    }
}

/// Path of the segment whose first entry is `first`.
pub fn segment_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:020}.wal"))
}

/// The segments in `dir`, by first index.
pub fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, Error> {
    let mut out = Vec::new();
    for item in std::fs::read_dir(dir).map_err(Error::io("list", dir))? {
        let item = item.map_err(Error::io("list", dir))?;
        let name = item.file_name().to_string_lossy().into_owned();
        if let Some(first) = name.strip_suffix(".wal").and_then(|n| n.parse().ok()) {
            out.push((first, item.path()));
        }
    }
    out.sort();
    Ok(out)
}
