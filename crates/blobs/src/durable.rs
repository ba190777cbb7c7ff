//! fsync helpers: what this crate adds to object_store's own syncing.
use std::fs::File;
use std::path::Path;

use crate::Error;

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
