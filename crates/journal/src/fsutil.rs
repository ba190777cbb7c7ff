//! Durable file writes: temp file, fsync, rename, fsync of every directory
//! whose entries changed. A file either is absent or holds its full content.
use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Error;

/// Opens a directory and fsyncs it, so the names created in it are durable.
pub fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("fsync directory", dir))
}

/// Creates `dir` and any missing ancestors below `root`, recording each
/// parent whose entries changed.
fn ensure_dir(root: &Path, dir: &Path, changed: &mut BTreeSet<PathBuf>) -> Result<(), Error> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        if parent != root && parent.starts_with(root) {
            ensure_dir(root, parent, changed)?;
        }
        match fs::create_dir(dir) {
            Ok(()) => {
                changed.insert(parent.to_path_buf());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io("create directory", dir)(e)),
        }
    }
    Ok(())
}

/// Writes every `(relative path, bytes)` under `root` durably. All data is
/// fsynced before any rename, and all renames before the directory syncs.
pub fn write_all_durably(root: &Path, files: &[(String, Vec<u8>)]) -> Result<(), Error> {
    let mut changed = BTreeSet::new();
    let mut staged = Vec::with_capacity(files.len());
    for (rel, bytes) in files {
        let path = root.join(rel);
        let dir = path.parent().unwrap_or(root).to_path_buf();
        ensure_dir(root, &dir, &mut changed)?;
        let tmp = temp_name(&path);
        write_synced(&tmp, bytes)?;
        staged.push((tmp, path, dir));
    }
    for (tmp, path, dir) in staged {
        fs::rename(&tmp, &path).map_err(Error::io("rename", &path))?;
        changed.insert(dir);
    }
    for dir in changed {
        sync_dir(&dir)?;
    }
    Ok(())
}

/// Writes one file durably (temp, fsync, rename, fsync directory).
pub fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = temp_name(path);
    write_synced(&tmp, bytes)?;
    fs::rename(&tmp, path).map_err(Error::io("rename", path))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(Error::io("create", path))?;
    f.write_all(bytes).map_err(Error::io("write", path))?;
    f.sync_all().map_err(Error::io("fsync", path))
}

fn temp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

/// Reads a whole file; `Ok(None)` if it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path)(e)),
    }
}
