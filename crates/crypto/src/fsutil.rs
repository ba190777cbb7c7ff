//! File-system helpers for secrets: private modes, no-clobber creation, fsync of data and directory.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::primitives;
use crate::Error;

/// Mode of every file this crate creates: owner read/write only.
pub(crate) const FILE_MODE: u32 = 0o600;

/// Mode of every directory this crate creates: owner only.
pub(crate) const DIR_MODE: u32 = 0o700;

/// The directory containing `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Creates `dir` and its missing ancestors with mode 0700, making each new entry durable (fsync of its
/// parent directory).
pub(crate) fn create_private_dirs(dir: &Path) -> Result<(), Error> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_private_dirs(parent)?;
    }
    match DirBuilder::new().mode(DIR_MODE).create(dir) {
        Ok(()) => sync_dir(&parent_dir(dir)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::io("create directory", dir)(e)),
    }
}

/// Makes the entries of `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("fsync directory", dir))
}

/// Creates a new file (`O_CREAT | O_EXCL`, mode 0600 from the start), writes `bytes` and fsyncs it.
/// Fails with [`io::ErrorKind::AlreadyExists`] if anything exists at `path`, a symbolic link included.
pub(crate) fn write_new_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Publishes `bytes` at `path` atomically and without ever replacing an existing file: writes a
/// private temporary file beside it, fsyncs it, links it to `path` (`link(2)` fails if `path` exists,
/// unlike `rename(2)`), removes the temporary name and fsyncs the directory. A crash leaves either no
/// file at `path` or the complete one.
///
/// Fails with [`io::ErrorKind::AlreadyExists`] if `path` exists.
pub(crate) fn write_new_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_path(path);
    let result = write_new_file(&tmp, bytes).and_then(|()| fs::hard_link(&tmp, path));
    let removed = fs::remove_file(&tmp);
    result?;
    removed?;
    File::open(parent_dir(path))?.sync_all()
}

/// A fresh hidden temporary name in the directory of `path`.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tag: String = primitives::random::<8>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    parent_dir(path).join(format!(".{name}.tmp-{tag}"))
}

/// Reads a whole file of at most `limit` bytes into a buffer that is wiped when dropped (and never
/// reallocated, so no unwiped copy is left behind). Larger files fail with [`io::ErrorKind::InvalidData`].
pub(crate) fn read_secret_file(path: &Path, limit: usize) -> io::Result<Zeroizing<Vec<u8>>> {
    let file = File::open(path)?;
    let mut buf = Zeroizing::new(Vec::with_capacity(limit + 1));
    let mut chunk = Zeroizing::new([0u8; 256]);
    let mut reader = file.take(limit as u64 + 1);
    loop {
        let n = match reader.read(chunk.as_mut()) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.len() + n > limit {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "file too large"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn atomic_write_never_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_new_atomically(&path, b"one").unwrap();
        let err = write_new_atomically(&path, b"two").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"one");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temporary file left behind"
        );
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            FILE_MODE
        );
    }

    #[test]
    fn private_dirs_are_0700() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        create_private_dirs(&deep).unwrap();
        for d in ["a", "a/b", "a/b/c"] {
            let mode = fs::metadata(dir.path().join(d))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, DIR_MODE, "{d}");
        }
    }

    #[test]
    fn secret_file_size_is_limited() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        fs::write(&path, vec![b'x'; 1000]).unwrap();
        assert_eq!(read_secret_file(&path, 1000).unwrap().len(), 1000);
        assert_eq!(
            read_secret_file(&path, 999).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
}
