use std::path::PathBuf;

/// Everything that can go wrong with a journal. Each message says what a
/// caller or operator should look at; none carries entry plaintext.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system call failed. After a failed write or fsync the
    /// journal refuses further appends (fail closed) until it is reopened.
    #[error("journal I/O error: {op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// On which file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Another process has this journal open for writing.
    #[error("the journal at {path} is in use by another probant process (one writer per home); retry when it has finished")]
    Locked {
        /// The journal directory.
        path: PathBuf,
    },
    /// Stored data is damaged or inconsistent; `what` names the tile, bundle
    /// or entry.
    #[error("journal corrupt: {what}")]
    Corrupt {
        /// Which artefact and how.
        what: String,
    },
    /// A sealed file does not open under this home's journal key.
    #[error("cannot decrypt {path}: wrong key, or the file was altered")]
    Unseal {
        /// The file, relative to the journal directory.
        path: String,
    },
    /// The verifier key on disk is not the key this journal signs with.
    #[error("journal/vkey is not this journal's key (a foreign or replaced verifier key): refusing to sign under it")]
    ForeignKey,
    /// The journal was written by a newer version of Probant.
    #[error(
        "journal format {found} is newer than this build supports ({supported}); upgrade probant"
    )]
    UnsupportedFormat {
        /// Found on disk.
        found: u32,
        /// Supported by this build.
        supported: u32,
    },
    /// An event cannot be made into an entry.
    #[error("invalid journal event: {detail}")]
    InvalidEvent {
        /// Why.
        detail: String,
    },
    /// An entry is longer than a bundle can carry.
    #[error("journal entry of {len} bytes exceeds the 65,535-byte limit")]
    EntryTooLarge {
        /// Its length.
        len: usize,
    },
    /// An index or size beyond the tree, or a reversed range.
    #[error("out of range: {detail}")]
    OutOfRange {
        /// What.
        detail: String,
    },
    /// Proofs are made to published checkpoints only.
    #[error("no checkpoint was published at tree size {size}")]
    NoCheckpointAtSize {
        /// The requested size.
        size: u64,
    },
    /// Entries asked for were removed under the retention policy.
    #[error("entries of bundle {bundle} were pruned under the retention policy")]
    Pruned {
        /// The bundle index.
        bundle: u64,
    },
    /// The journal stopped accepting appends after an earlier failure.
    #[error("the journal stopped after an earlier failure ({reason}); nothing more is accepted until it is reopened")]
    Failed {
        /// The first failure.
        reason: String,
    },
    /// A retention setting or prune date breaks the minimum retention (N-5.11.7e).
    #[error("retention: {detail}")]
    Retention {
        /// Why.
        detail: String,
    },
    /// A published artefact fails verification.
    #[error(transparent)]
    Verify(#[from] probant_verify::Error),
}

impl Error {
    pub(crate) fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }
}

impl From<Error> for probant_verify::Error {
    fn from(e: Error) -> Self {
        probant_verify::Error::ProofInvalid {
            detail: e.to_string(),
        }
    }
}
