use std::path::PathBuf;

/// Everything that can go wrong with a blob store. Messages name the key or
/// the file and the operation; blobs hold ciphertext, and no message ever
/// carries blob content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key breaks the [`BlobKey`](crate::BlobKey) rules. Nothing was
    /// touched: an invalid key never reaches a backend.
    #[error("invalid blob key: {reason}")]
    InvalidKey {
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// Blobs are immutable: this key already holds a blob, which was left
    /// unchanged.
    #[error("blob {key} already exists (blobs are immutable)")]
    Exists {
        /// The key.
        key: String,
    },
    /// No blob under this key.
    #[error("no blob {key}")]
    NotFound {
        /// The key.
        key: String,
    },
    /// A local operating-system call failed (opening the store, an fsync).
    #[error("blob store I/O error: {op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// On which file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The storage backend (object_store) failed; `op` says what was being
    /// done. The blob being written, if any, was not stored.
    #[error("blob store backend error: {op}: {source}")]
    Backend {
        /// What was being done.
        op: &'static str,
        /// The backend's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An earlier write on this writer failed; the upload was abandoned and
    /// nothing is stored under the key. Start again with a new writer.
    #[error("blob writer for {key} failed earlier ({reason}); nothing was stored")]
    WriterFailed {
        /// The key being written.
        key: String,
        /// The first failure.
        reason: String,
    },
    /// The store's internal runtime could not be started or stopped
    /// answering (a task panicked, or the store is shutting down).
    #[error("blob store runtime: {detail}")]
    Runtime {
        /// What happened.
        detail: String,
    },
}

impl Error {
    pub(crate) fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }

    /// Maps an object_store error, turning its "not found" and "already
    /// exists" into ours for `key`. On the filesystem, a key below a blob
    /// (`a/b` when `a` is a file) fails with "not a directory": that key
    /// does not exist either.
    pub(crate) fn backend(
        op: &'static str,
        key: &str,
    ) -> impl FnOnce(object_store::Error) -> Error {
        let key = key.to_owned();
        move |e| match e {
            object_store::Error::NotFound { .. } => Error::NotFound { key },
            object_store::Error::AlreadyExists { .. } => Error::Exists { key },
            other if is_not_a_directory(&other) => Error::NotFound { key },
            other => Error::Backend {
                op,
                source: Box::new(other),
            },
        }
    }
}

fn is_not_a_directory(e: &object_store::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::NotADirectory {
                return true;
            }
        }
        cause = c.source();
    }
    false
}
