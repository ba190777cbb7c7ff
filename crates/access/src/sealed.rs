//! The access layer's state at rest: each file sealed (AES-256-GCM under a
//! key-ring key, the file's role and the home id as associated data), so
//! the cloud operator reads no user id or national number (CC-7.a) and an
//! edited or swapped file is refused, not trusted (fail closed). Written
//! atomically: a new file, synced, renamed over the old, directory synced.
use std::io::Write;
use std::path::{Path, PathBuf};

use probant_crypto::Sealer;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Error;

/// One sealed JSON document.
pub(crate) struct SealedFile<'a> {
    pub path: PathBuf,
    pub role: &'static str,
    pub home_id: &'a str,
    pub sealer: &'a Sealer,
}

impl SealedFile<'_> {
    fn aad(&self) -> Vec<u8> {
        format!("probant-access:{}:{}", self.role, self.home_id).into_bytes()
    }

    /// The document, or `None` if the file does not exist.
    pub fn load<T: DeserializeOwned>(&self) -> Result<Option<T>, Error> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&self.path)(e)),
        };
        let damaged = |detail: String| Error::Damaged {
            file: self.path.display().to_string(),
            detail,
        };
        let plain = self
            .sealer
            .open(&self.aad(), &bytes)
            .map_err(|_| damaged("does not decrypt under this home's key".into()))?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|e| damaged(e.to_string()))
    }

    /// Replaces the document atomically and durably.
    pub fn store<T: Serialize>(&self, doc: &T) -> Result<(), Error> {
        let plain = serde_json::to_vec(doc).map_err(|e| Error::invalid("state", e.to_string()))?;
        let sealed = self.sealer.seal(&self.aad(), &plain);
        write_atomically(&self.path, &sealed)
    }

    /// Writes a new document; refuses to replace one (versioned files).
    pub fn create<T: Serialize>(&self, doc: &T) -> Result<(), Error> {
        if self.path.exists() {
            return Err(Error::Damaged {
                file: self.path.display().to_string(),
                detail: "exists already: versions are never rewritten".into(),
            });
        }
        self.store(doc)
    }
}

pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(Error::io(&tmp))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(Error::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(Error::io(path))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io(dir))
}
