//! # probant-catalog — where Probant finds its records
//!
//! The catalog holds one [`RecordRow`] per record **version**: the metadata
//! of AR-17/AR-19/AR-3.5 and what is needed to find and open the encrypted
//! content (blob key, wrapped data key). This crate is the backend-neutral
//! contract: the row types, the [`Catalog`] trait, the validation rules every
//! backend enforces ([`RecordRow::validate`], [`Query::validate`]), and a
//! [`conformance`] suite that every backend runs (SQLite now in
//! `probant-catalog-sqlite`, PostgreSQL later), rather than a shared storage
//! layer shaped like one of them.
//!
//! ## What the catalog sees (CC-7.a)
//! The vault, not the catalog, encrypts personal fields and computes blind
//! indexes. The national number arrives sealed (`subject_sealed`) beside its
//! keyed HMAC blind index (`subject_index`, lowercase hex) for exact-match
//! search; the title and further metadata arrive sealed. A database
//! administrator or cloud operator reading the catalog therefore reads no
//! personal identifier. What is in clear, and why:
//! - dates (`created`, `recorded`, `retention_due`, `original_destroyed`),
//!   `doc_type`, `classification`, `retention_class`, `legal_hold`: range
//!   and category queries, retention and destruction runs, clearance checks;
//! - `original_id`: the paper original and its digital copy must be findable
//!   from each other (AR-17, AR-19); an identifier of a paper file, not of a
//!   person (the vault must not build it from a national number);
//! - `controller`, `executor`, `place`, `format`, `provenance`, `size`,
//!   `sha256`, `blob_key`, `kek_version`, `journal_index`: recording
//!   metadata (AR-3.5) and integrity checks (`probant verify`);
//! - `wrapped_key`: useless without the key-encryption key, held elsewhere.
//!
//! ## What it does not do
//! No crypto, no I/O of its own, no knowledge of any database: backends live
//! in leaf crates. It does not check that `record_id` is a UUID, nor look
//! inside `format` or `provenance`.
#![forbid(unsafe_code)]

pub mod conformance;
mod error;
mod row;
mod validate;

pub use error::Error;
pub use row::{Query, RecordRow};
pub use validate::{MAX_INTEGER, MAX_RECORD_ID_CHARS};

/// A store of record versions. Implementations are shared between threads.
///
/// Every write validates its input first ([`RecordRow::validate`]) and is
/// all-or-nothing. Reads of something absent return `Ok(None)` or an empty
/// list; writes to something absent return [`Error::NotFound`].
pub trait Catalog: Send + Sync {
    /// Inserts all rows in one transaction, durable when `Ok` (fsync'd: for
    /// SQLite, `synchronous=FULL` in WAL mode). [`Error::Exists`] if any
    /// `(record_id, version)` is present already or twice in `rows`;
    /// [`Error::Invalid`] if a row breaks [`RecordRow::validate`] or names a
    /// `previous_version` that is neither stored nor earlier in `rows`. On
    /// any error nothing is inserted. An empty slice is a no-op.
    fn insert(&self, rows: &[RecordRow]) -> Result<(), Error>;

    /// One version of a record; `version` `None` = the latest (highest)
    /// version. `Ok(None)` if absent.
    fn get(&self, record_id: &str, version: Option<u32>) -> Result<Option<RecordRow>, Error>;

    /// All versions of a record, ascending; empty if absent.
    fn versions(&self, record_id: &str) -> Result<Vec<RecordRow>, Error>;

    /// Rows matching the AND of the given criteria (exact matches; the
    /// creation-date bounds inclusive), every version, ordered by `created`,
    /// `record_id`, `version`, at most `limit`. Criteria all `None` = all
    /// rows. Text compares by its UTF-8 bytes, for equality and order alike
    /// (SQLite's `BINARY`, PostgreSQL's `COLLATE "C"`): no case folding, no
    /// normalisation, no wildcards. [`Error::Invalid`] if [`Query::validate`]
    /// fails.
    fn search(&self, q: &Query) -> Result<Vec<RecordRow>, Error>;

    /// Calls `f` on every row (for `probant verify`) in `record_id`,
    /// `version` order, streamed: memory stays bounded whatever the size, and
    /// `f` runs with no lock held, so it may call the catalog. Rows inserted
    /// or rewrapped meanwhile may or may not be seen; none is seen twice. The
    /// first error of `f` stops the walk and is returned.
    fn for_each(&self, f: &mut dyn FnMut(RecordRow) -> Result<(), Error>) -> Result<(), Error>;

    /// Key rotation: replaces the wrapped data key of one version and the
    /// version of the key-encryption key that wrapped it; the content is not
    /// rewritten. Durable when `Ok`. [`Error::NotFound`] if absent.
    fn rewrap(
        &self,
        record_id: &str,
        version: u32,
        kek_version: u32,
        wrapped_key: &[u8],
    ) -> Result<(), Error>;

    /// Number of rows (record versions).
    fn count(&self) -> Result<u64, Error>;

    /// Where the catalog lives, for reports (AR-18): backend and location,
    /// never credentials.
    fn describe(&self) -> String;
}
