use std::fmt;

/// Every way a check in this crate can fail. Grouped by cause; the message
/// names what was wrong so that an auditor knows which artefact to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A text or binary artefact is not in its specified format.
    Malformed {
        /// Which artefact ("checkpoint", "verifier key", "signed note", …).
        what: &'static str,
        /// What exactly is wrong.
        detail: String,
    },
    /// The note carries no signature by the expected key (name and key id).
    NoSignatureByKey {
        /// The key name that was looked for.
        key_name: String,
    },
    /// A signature by the expected key is present but does not verify.
    BadSignature {
        /// The key name whose signature failed.
        key_name: String,
    },
    /// A Merkle proof does not lead to the expected root, or has the wrong shape.
    ProofInvalid {
        /// Which step failed.
        detail: String,
    },
    /// Two values that must agree do not (origin, size, leaf hash, root).
    Mismatch {
        /// What disagreed and how.
        detail: String,
    },
    /// An index or size lies outside the tree.
    OutOfRange {
        /// What was out of range.
        detail: String,
    },
    /// A JSON value cannot be canonicalised under RFC 8785 as Probant uses it
    /// (non-integral numbers are not used in Probant documents).
    NotCanonicalisable {
        /// Why.
        detail: String,
    },
}

impl Error {
    pub(crate) fn malformed(what: &'static str, detail: impl Into<String>) -> Self {
        Error::Malformed {
            what,
            detail: detail.into(),
        }
    }
    pub(crate) fn proof(detail: impl Into<String>) -> Self {
        Error::ProofInvalid {
            detail: detail.into(),
        }
    }
    pub(crate) fn mismatch(detail: impl Into<String>) -> Self {
        Error::Mismatch {
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed { what, detail } => write!(f, "malformed {what}: {detail}"),
            Error::NoSignatureByKey { key_name } => {
                write!(f, "no signature by the expected key {key_name:?}")
            }
            Error::BadSignature { key_name } => {
                write!(f, "the signature by key {key_name:?} does not verify")
            }
            Error::ProofInvalid { detail } => write!(f, "invalid proof: {detail}"),
            Error::Mismatch { detail } => write!(f, "mismatch: {detail}"),
            Error::OutOfRange { detail } => write!(f, "out of range: {detail}"),
            Error::NotCanonicalisable { detail } => {
                write!(f, "cannot canonicalise JSON: {detail}")
            }
        }
    }
}

impl std::error::Error for Error {}
