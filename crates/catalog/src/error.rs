/// Everything a catalog can refuse or fail with, grouped by cause.
///
/// Messages name record ids (UUIDv7, not personal), versions and field
/// names, never a field's value: no national number, blind index, title or
/// original identifier ends up in a log line through an error (CC-7.a).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An inserted `(record_id, version)` is already in the catalog (or twice
    /// in the same batch). Nothing of the batch was inserted. A caller making
    /// a new version should read the latest version again and retry on top of
    /// it; a caller replaying an ingest should treat the record as present.
    #[error("record {record_id} version {version} is already in the catalog; nothing of the batch was inserted")]
    Exists {
        /// The record.
        record_id: String,
        /// The version already present.
        version: u32,
    },
    /// The row to change is absent. `version` is `None` when the whole record
    /// was looked for. Reads return `Ok(None)` or an empty list instead.
    #[error("record {record_id}{} is not in the catalog", match .version { Some(v) => format!(" version {v}"), None => String::new() })]
    NotFound {
        /// The record.
        record_id: String,
        /// The version, if one was named.
        version: Option<u32>,
    },
    /// A row or query breaks the catalog contract (see
    /// [`RecordRow::validate`](crate::RecordRow::validate)). This is a bug in
    /// the caller, which built the row: nothing was changed; do not retry.
    #[error("invalid catalog input: {detail}")]
    Invalid {
        /// Which record, version and field, and what is wrong (never the value).
        detail: String,
    },
    /// The catalog was written by a newer Probant (or is damaged). Nothing was
    /// changed; upgrade Probant, or restore the catalog from a backup.
    #[error("catalog schema version {found} is not supported by this build (it supports {supported}); upgrade probant")]
    UnsupportedSchema {
        /// The version found in the catalog.
        found: u32,
        /// The version this build reads and writes.
        supported: u32,
    },
    /// The database failed (I/O, a full disk, a lock held too long, a value
    /// that does not decode). The operation did not take effect unless the
    /// backend says otherwise; fail closed and report to the operator.
    #[error("catalog backend error: {detail}")]
    Backend {
        /// What failed, as the backend reported it (no bound values).
        detail: String,
    },
}
