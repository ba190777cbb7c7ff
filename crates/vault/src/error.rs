use std::path::PathBuf;

/// What can go wrong in the vault. Messages name the field, file or record
/// and never repeat a personal identifier.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Metadata given at ingest is missing or invalid; nothing was stored.
    #[error("{field}: {detail}")]
    InvalidInput {
        /// Which field.
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The content is not in an accepted, valid long-term format (AR-16).
    /// (The message names the problem; the caller names the file.)
    #[error("{source}")]
    Format {
        /// The file.
        path: PathBuf,
        /// Why.
        source: probant_formats::FormatError,
    },
    /// Refused by authorisation (the refusal is journaled as `authz.deny`;
    /// nothing was returned or changed).
    #[error("access denied ({code}): {message}")]
    Denied {
        /// Stable reason code, e.g. `clearance-too-low`.
        code: String,
        /// What to do about it.
        message: String,
    },
    /// No such record or version.
    #[error("no record {record}{}", .version.map(|v| format!(" version {v}")).unwrap_or_default())]
    NotFound {
        /// The record id.
        record: String,
        /// The version asked for.
        version: Option<u32>,
    },
    /// Stored content or metadata does not match what was recorded.
    #[error("integrity failure: {detail}")]
    Integrity {
        /// What does not match.
        detail: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// An export bag does not verify (`probant_verify::bag::verify_bag`);
    /// nothing was imported. Each problem names its file and says what is
    /// wrong without quoting content (DESIGN contract 4).
    #[error("the bag does not verify ({} problem(s)):\n  {}", .problems.len(), .problems.join("\n  "))]
    BagInvalid {
        /// Every problem, one line each.
        problems: Vec<String>,
    },
    /// The record version is present already (an import keeps ids and
    /// versions, so it never overwrites nor renumbers).
    #[error("record {record} version {version} exists already in this home")]
    Exists {
        /// The record id.
        record: String,
        /// The version.
        version: u32,
    },
    /// A format migration was refused (lossy and not allowed, unsupported)
    /// or failed its own checks; nothing was stored and the source version
    /// is untouched (AR-16, AR-20.12).
    #[error("record {record} version {version}: {source}")]
    Migration {
        /// The record id.
        record: String,
        /// The source version.
        version: u32,
        /// Why.
        source: probant_formats::FormatError,
    },
    /// Stopped at the caller's request (e.g. Ctrl-C): nothing was delivered.
    #[error("interrupted: nothing was delivered")]
    Interrupted,
    /// The journal refused or failed (fail closed: nothing is returned).
    #[error(transparent)]
    Journal(#[from] probant_journal::Error),
    /// The catalog failed.
    #[error(transparent)]
    Catalog(#[from] probant_catalog::Error),
    /// The blob store failed.
    #[error(transparent)]
    Blob(#[from] probant_blobs::Error),
    /// A key operation failed.
    #[error(transparent)]
    Crypto(#[from] probant_crypto::Error),
}

impl Error {
    /// The message without any file path (paths can name a person), for
    /// the journal.
    pub fn kind_text(&self) -> String {
        match self {
            Error::Io { source, .. } => format!("input/output error: {source}"),
            other => other.to_string(),
        }
    }

    pub(crate) fn invalid(field: &'static str, detail: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            detail: detail.into(),
        }
    }
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}
