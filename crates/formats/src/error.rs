//! The crate's one error type.

use std::fmt;

use crate::Format;

/// Why a file was not accepted as a valid instance of a supported format.
///
/// Grouped by cause; each variant says how a caller should react. Messages name
/// the structure at fault (chunk, marker, tag, object) and, where there is one,
/// the byte offset, so a case handler can tell the sender what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatError {
    /// The input has no bytes. React: refuse; an empty record is never a document.
    Empty,
    /// No supported signature matched (the bytes are neither one of the binary
    /// formats nor text). React: refuse, or accept under an explicit policy for
    /// unidentified formats, which must mark the record as such (AR-16).
    Unknown,
    /// The signature is recognised but the variant is one this crate does not
    /// validate (BigTIFF, UTF-16 text, XML 1.1, a non-UTF-8 XML encoding, JPX,
    /// hierarchical JPEG). React: refuse and ask for a supported variant (for
    /// example, convert to UTF-8), or accept under a policy that marks it.
    Unsupported {
        /// The format family the signature belongs to.
        format: Format,
        /// What the variant is and why it is not validated.
        detail: String,
    },
    /// The data ends before the structure is complete (an incomplete upload
    /// or copy), or a length or pointer runs past the end of the input.
    /// React: refuse and obtain a complete copy from the sender.
    Truncated {
        /// The format the file was identified as.
        format: Format,
        /// What was expected and where the data ran out.
        detail: String,
    },
    /// The structure violates the format's specification.
    /// React: refuse and obtain an undamaged copy; do not "repair" it.
    Corrupt {
        /// The format the file was identified as.
        format: Format,
        /// Byte offset of the faulty structure, when one can be named.
        offset: Option<u64>,
        /// Which structure is wrong and how.
        detail: String,
    },
    /// A checksum stored in the file (PNG chunk CRC-32, zlib Adler-32) does not
    /// match the data it covers: the bytes were damaged after they were written.
    /// React: refuse and obtain an undamaged copy.
    Checksum {
        /// The format the file was identified as.
        format: Format,
        /// Byte offset of the checksummed structure (e.g. the PNG chunk).
        offset: u64,
        /// Which checksum, stored and computed values.
        detail: String,
    },
    /// The file is well-formed but uses a feature refused for safety
    /// (XML external entities: they would make the document depend on, or
    /// leak, resources outside the file). React: refuse; the sender must
    /// inline the content.
    Forbidden {
        /// The format the file was identified as.
        format: Format,
        /// The refused feature and where it is.
        detail: String,
    },
    /// The file exceeds one of the documented limits in [`crate::limits`]
    /// (nesting depth, number of TIFF directories, XML nodes, ...).
    /// React: refuse; if the file is legitimate, raise the limit in code review.
    LimitExceeded {
        /// The format the file was identified as.
        format: Format,
        /// Which limit and the value found.
        detail: String,
    },
    /// A migration ([`crate::migrate`]) would lose information and was not
    /// allowed to. React: keep the source; either accept it as it is, or
    /// migrate again with `allow_lossy` under a policy that records `losses`.
    LossyMigration {
        /// The source format.
        from: Format,
        /// The requested target format.
        to: Format,
        /// What would be lost, one human-readable item each.
        losses: Vec<String>,
    },
    /// The requested migration is not implemented: the format pair (see
    /// [`crate::supported_migrations`]) or this variant of the source (palette
    /// colour, floating-point samples, ...), for which no conversion exists
    /// even with `allow_lossy`. React: keep the source as it is.
    MigrationUnsupported {
        /// The source format.
        from: Format,
        /// The requested target format.
        to: Format,
        /// What is not supported and, for a pair, what is.
        detail: String,
    },
    /// The migration produced an output that could not be written, or that
    /// did not prove to hold what was converted (independent decode, or the
    /// crate's own validation of the output, disagreed). A defect in the
    /// converter, never in the input. React: keep the source, report it.
    MigrationFailed {
        /// The source format.
        from: Format,
        /// The requested target format.
        to: Format,
        /// Which check failed and how.
        detail: String,
    },
}

impl FormatError {
    /// The format the input was identified as, if it was identified at all
    /// (for a migration error, the source format).
    pub fn format(&self) -> Option<Format> {
        match self {
            FormatError::Empty | FormatError::Unknown => None,
            FormatError::Unsupported { format, .. }
            | FormatError::Truncated { format, .. }
            | FormatError::Corrupt { format, .. }
            | FormatError::Checksum { format, .. }
            | FormatError::Forbidden { format, .. }
            | FormatError::LimitExceeded { format, .. } => Some(*format),
            FormatError::LossyMigration { from, .. }
            | FormatError::MigrationUnsupported { from, .. }
            | FormatError::MigrationFailed { from, .. } => Some(*from),
        }
    }

    /// The byte offset the error refers to, when there is one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            FormatError::Corrupt { offset, .. } => *offset,
            FormatError::Checksum { offset, .. } => Some(*offset),
            _ => None,
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Empty => f.write_str("the file is empty (0 bytes)"),
            FormatError::Unknown => f.write_str(
                "unknown format: the content matches none of the accepted formats \
                 (PDF, TIFF, PNG, JPEG, JPEG 2000, XML, JSON, UTF-8 text)",
            ),
            FormatError::Unsupported { format, detail } => {
                write!(f, "unsupported {format} variant: {detail}")
            }
            FormatError::Truncated { format, detail } => write!(
                f,
                "{format} file is truncated: {detail} (obtain a complete copy)"
            ),
            FormatError::Corrupt {
                format,
                offset: Some(off),
                detail,
            } => write!(f, "{format} file is corrupt at byte offset {off}: {detail}"),
            FormatError::Corrupt {
                format,
                offset: None,
                detail,
            } => write!(f, "{format} file is corrupt: {detail}"),
            FormatError::Checksum {
                format,
                offset,
                detail,
            } => write!(
                f,
                "{format} checksum mismatch at byte offset {offset}: {detail} (the file was damaged after it was written)"
            ),
            FormatError::Forbidden { format, detail } => {
                write!(f, "{format} file uses a refused feature: {detail}")
            }
            FormatError::LimitExceeded { format, detail } => {
                write!(f, "{format} file exceeds a validation limit: {detail}")
            }
            FormatError::LossyMigration { from, to, losses } => write!(
                f,
                "migrating {from} to {to} would lose information: {} (refused; lossy migration was not allowed)",
                losses.join("; ")
            ),
            FormatError::MigrationUnsupported { from, to, detail } => {
                write!(f, "migration from {from} to {to} is not supported: {detail}")
            }
            FormatError::MigrationFailed { from, to, detail } => write!(
                f,
                "migration from {from} to {to} failed its own checks: {detail} (a converter defect; the source is unaffected)"
            ),
        }
    }
}

impl std::error::Error for FormatError {}

/// Constructors used by the validators; they keep call sites to one line.
pub(crate) fn corrupt(format: Format, offset: usize, detail: impl Into<String>) -> FormatError {
    FormatError::Corrupt {
        format,
        offset: Some(offset as u64),
        detail: detail.into(),
    }
}

pub(crate) fn corrupt_at(format: Format, detail: impl Into<String>) -> FormatError {
    FormatError::Corrupt {
        format,
        offset: None,
        detail: detail.into(),
    }
}

pub(crate) fn truncated(format: Format, detail: impl Into<String>) -> FormatError {
    FormatError::Truncated {
        format,
        detail: detail.into(),
    }
}

pub(crate) fn unsupported(format: Format, detail: impl Into<String>) -> FormatError {
    FormatError::Unsupported {
        format,
        detail: detail.into(),
    }
}

pub(crate) fn limit(format: Format, detail: impl Into<String>) -> FormatError {
    FormatError::LimitExceeded {
        format,
        detail: detail.into(),
    }
}
