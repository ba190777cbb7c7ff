/// What can go wrong in the access layer. Messages name the user, file or
/// consultation and never a national number.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad input (a user id, a role, a scope, a date); nothing changed.
    #[error("{field}: {detail}")]
    InvalidInput {
        /// Which argument.
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// A candidate policy, schema or legal-basis register does not validate;
    /// nothing changed.
    #[error("the policy does not validate: {0}")]
    Policy(#[from] probant_policy::Error),
    /// A stored access file does not decrypt or parse: altered, or from
    /// another home. Fail closed.
    #[error("{file} is damaged or was altered ({detail}); nothing is allowed until it is restored from a backup")]
    Damaged {
        /// The file.
        file: String,
        /// What failed.
        detail: String,
    },
    /// The user exists already / does not exist.
    #[error("{0}")]
    Users(String),
    /// The consultation does not exist or is not in the state the step needs.
    #[error("{0}")]
    Consultation(String),
    /// Refused or failed in the vault (authorisation refusals are journaled there).
    #[error(transparent)]
    Vault(#[from] probant_vault::Error),
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] probant_journal::Error),
    /// A key or credential operation failed.
    #[error(transparent)]
    Crypto(#[from] probant_crypto::Error),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn invalid(field: &'static str, detail: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            detail: detail.into(),
        }
    }
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
        move |source| Error::Io {
            path: path.to_owned(),
            source,
        }
    }
}
