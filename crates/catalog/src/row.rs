//! The catalog's row (one per record version) and its search criteria.

use serde::{Deserialize, Serialize};

/// One version of one record, as the catalog stores it.
///
/// The vault fills it: personal identifiers arrive already sealed (encrypted)
/// or as keyed blind indexes (CC-7.a); the catalog never sees them in clear
/// and never interprets the sealed bytes, `format` or `provenance`. The rules
/// every backend enforces are in [`RecordRow::validate`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRow {
    /// The record's id: UUIDv7, canonical lowercase hyphenated (not checked
    /// beyond 1 to 64 characters).
    pub record_id: String,
    /// The version, from 1.
    pub version: u32,
    /// The version this one replaces, if any (AR-17 provenance of changes).
    pub previous_version: Option<u32>,
    /// Keyed blind index (HMAC) of the subject's national number, lowercase
    /// hex; searched by exact match.
    pub subject_index: String,
    /// The subject's national number, sealed by the vault.
    pub subject_sealed: Vec<u8>,
    /// Document type (clear: a category, not personal).
    pub doc_type: String,
    /// The title, sealed by the vault (titles often name people).
    pub title_sealed: Option<Vec<u8>>,
    /// Unique identifier of the paper original (AR-17), in clear so that the
    /// original and its digital copy can be found from each other (AR-19).
    pub original_id: String,
    /// Date the paper original was destroyed, if it was.
    pub original_destroyed: Option<String>,
    /// Creation date of the document, `YYYY-MM-DD` (range queries).
    pub created: String,
    /// When the version was recorded, RFC 3339 UTC.
    pub recorded: String,
    /// Recorded after the day of creation (AR-17).
    pub recorded_late: bool,
    /// The controller (the institution responsible).
    pub controller: String,
    /// Who executed the recording.
    pub executor: String,
    /// Where the recording was executed.
    pub place: String,
    /// Classification (clearance needed to read it).
    pub classification: String,
    /// Retention class.
    pub retention_class: String,
    /// End of the retention period, `YYYY-MM-DD`.
    pub retention_due: String,
    /// Under legal hold: not to be destroyed whatever the due date.
    pub legal_hold: bool,
    /// Format description, JSON text (PRONOM id, media type, …); opaque here.
    pub format: String,
    /// Size of the plaintext content in bytes, at most `i64::MAX`.
    pub size: u64,
    /// SHA-256 of the plaintext content, 64 lowercase hex digits.
    pub sha256: String,
    /// Where the encrypted content is in the blob store.
    pub blob_key: String,
    /// Version of the key-encryption key that wrapped `wrapped_key`.
    pub kek_version: u32,
    /// The content's data key, wrapped by the key-encryption key.
    pub wrapped_key: Vec<u8>,
    /// Further metadata, sealed by the vault.
    pub meta_sealed: Option<Vec<u8>>,
    /// Provenance (migrated from, converted from, with the event), JSON text;
    /// opaque here.
    pub provenance: String,
    /// Index of the journal entry that recorded this version, at most
    /// `i64::MAX`.
    pub journal_index: u64,
}

/// Search criteria for [`Catalog::search`](crate::Catalog::search): the AND
/// of those given. All `None` selects every row, up to `limit`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// Exact blind index of the subject (lowercase hex).
    pub subject_index: Option<String>,
    /// Exact identifier of the paper original.
    pub original_id: Option<String>,
    /// Exact document type.
    pub doc_type: Option<String>,
    /// Earliest creation date, inclusive, `YYYY-MM-DD`.
    pub created_from: Option<String>,
    /// Latest creation date, inclusive, `YYYY-MM-DD`.
    pub created_to: Option<String>,
    /// At most this many rows (`Some(0)`: none); `None`: no limit.
    pub limit: Option<u32>,
}
