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

/// Creates a new private file holding `bytes` in private directories, durably (file and directory
/// entry synced); a partly written file is removed. `exists` is the error when anything is at `path`.
pub(crate) fn create_secret_file(
    path: &Path,
    bytes: &[u8],
    action: &'static str,
    exists: impl FnOnce() -> Error,
) -> Result<(), Error> {
    create_private_dirs(&parent_dir(path))?;
    match write_new_file(path, bytes) {
        Ok(()) => sync_dir(&parent_dir(path)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(exists()),
        Err(e) => {
            let _ = fs::remove_file(path);
            Err(Error::io(action, path)(e))
        }
    }
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

/// Replaces the file at `path` with `bytes` atomically: writes a new private temporary file beside it
/// (`O_CREAT | O_EXCL`, mode 0600), fsyncs it, renames it over `path` and fsyncs the directory. A crash
/// leaves either the old file or the new one at `path` (and perhaps a temporary file, which
/// [`remove_temp_files`] deletes). The new file has mode 0600 whatever the old one had.
///
/// Only when this returns `Ok` is the new file durable; after an error the file at `path` is the old
/// one or, if only the final directory fsync failed, the new one.
pub(crate) fn replace_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_path(path);
    if let Err(e) = write_new_file(&tmp, bytes).and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    File::open(parent_dir(path))?.sync_all()
}

/// Deletes the temporary files that an interrupted [`write_new_atomically`] or [`replace_atomically`]
/// of `path` may have left beside it (`.<name>.tmp-<hex>`), then fsyncs the directory if it deleted
/// any. Returns how many it deleted.
pub(crate) fn remove_temp_files(path: &Path) -> io::Result<usize> {
    let dir = parent_dir(path);
    let prefix = temp_prefix(path);
    let mut removed = 0;
    for entry in fs::read_dir(&dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let is_temp = name.to_str().is_some_and(|n| {
            n.strip_prefix(&prefix)
                .is_some_and(|tag| !tag.is_empty() && tag.bytes().all(|b| b.is_ascii_hexdigit()))
        });
        if is_temp && entry.file_type()?.is_file() {
            match fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    if removed > 0 {
        File::open(&dir)?.sync_all()?;
    }
    Ok(removed)
}

/// An exclusive advisory lock (`flock(2)`) on the file currently at `path`, held until the returned
/// [`File`] is dropped, with the file's contents (at most `limit` bytes, in a buffer wiped on drop).
///
/// Files that are replaced by renaming need care: a process may lock the old inode just as another
/// renames a new file over it. So this locks the file it opened, then checks that `path` still names
/// that same file, and starts again if not. Everyone who changes the file through this lock therefore
/// reads the latest version and is alone until it has replaced it. Readers that do not lock still see
/// the old file or the new one, never a mix (renames are atomic).
pub(crate) fn lock_and_read(path: &Path, limit: usize) -> io::Result<(File, Zeroizing<Vec<u8>>)> {
    use std::os::unix::fs::MetadataExt;
    loop {
        let file = File::open(path)?;
        file.lock()?;
        let locked = file.metadata()?;
        let current = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if (locked.dev(), locked.ino()) == (current.dev(), current.ino()) {
            let bytes = read_secret(&file, limit)?;
            return Ok((file, bytes));
        }
    }
}

/// A fresh hidden temporary name in the directory of `path`.
fn temp_path(path: &Path) -> PathBuf {
    let tag: String = primitives::random::<8>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    parent_dir(path).join(format!("{}{tag}", temp_prefix(path)))
}

/// `.<file name>.tmp-`: the start of every temporary name of `path`.
fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    format!(".{name}.tmp-")
}

/// Reads a whole file of at most `limit` bytes into a buffer that is wiped when dropped (and never
/// reallocated, so no unwiped copy is left behind). Larger files fail with [`io::ErrorKind::InvalidData`].
pub(crate) fn read_secret_file(path: &Path, limit: usize) -> io::Result<Zeroizing<Vec<u8>>> {
    read_secret(&File::open(path)?, limit)
}

/// [`read_secret_file`] of an open file, from its current position.
fn read_secret(file: &File, limit: usize) -> io::Result<Zeroizing<Vec<u8>>> {
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
    fn atomic_replace_replaces_privately_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        replace_atomically(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            FILE_MODE
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn only_our_temporary_names_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring.json");
        fs::write(&path, b"ring").unwrap();
        let ours = [temp_path(&path), dir.path().join(".ring.json.tmp-00ff")];
        for p in &ours {
            fs::write(p, b"stray").unwrap();
        }
        let theirs = [
            ".ring.json.tmp-",
            ".ring.json.tmp-xyz",
            ".other.json.tmp-00ff",
            "ring.json.tmp-00ff",
        ];
        for name in theirs {
            fs::write(dir.path().join(name), b"keep").unwrap();
        }
        fs::create_dir(dir.path().join(".ring.json.tmp-abcd")).unwrap();
        assert_eq!(remove_temp_files(&path).unwrap(), 2);
        assert!(ours.iter().all(|p| !p.exists()));
        assert!(theirs.iter().all(|n| dir.path().join(n).exists()));
        assert!(dir.path().join(".ring.json.tmp-abcd").is_dir());
        assert_eq!(remove_temp_files(&path).unwrap(), 0);
    }

    #[test]
    fn lock_and_read_reads_the_file_it_locked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, b"one").unwrap();
        let (lock, bytes) = lock_and_read(&path, 100).unwrap();
        assert_eq!(bytes.as_slice(), b"one");
        // While held, another open file description cannot take it.
        let other = File::open(&path).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(fs::TryLockError::WouldBlock)
        ));
        drop(lock);
        other.try_lock().unwrap();
        assert_eq!(
            lock_and_read(&dir.path().join("none"), 100)
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
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
