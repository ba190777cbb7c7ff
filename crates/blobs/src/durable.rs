//! fsync helpers: what this crate adds to object_store's own syncing.
use std::fs::File;
use std::path::Path;

use crate::Error;

/// Flushes a file's data and metadata to stable storage.
pub(crate) fn sync_file(path: &Path) -> Result<(), Error> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(Error::io("fsync file", path))
}

/// Makes the entries of `dir` (names created, renamed or removed in it)
/// durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(Error::io("fsync directory", dir))
    }
    #[cfg(not(unix))]
    {
        // Directories cannot be opened and synced portably off Unix.
        let _ = dir;
        Ok(())
    }
}

/// Fsyncs `dir` and each ancestor up to and including `root` (`dir` must be
/// under `root`): every directory whose entries may have changed when a file
/// was published below it, including directories just created, possibly by
/// another writer.
pub(crate) fn sync_dirs_up_to(root: &Path, dir: &Path) -> Result<(), Error> {
    for d in dir.ancestors() {
        sync_dir(d)?;
        if d == root || !d.starts_with(root) {
            break;
        }
    }
    Ok(())
}
