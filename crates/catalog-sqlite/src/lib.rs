//! # probant-catalog-sqlite — the embedded catalog
//!
//! [`SqliteCatalog`] implements [`probant_catalog::Catalog`] on one SQLite
//! file (bundled SQLite, so every build runs the same engine), for Probant's
//! embedded, one-process mode. It passes the backend-neutral
//! [`probant_catalog::conformance`] suite; PostgreSQL follows in its own
//! crate, under the same suite.
//!
//! ## Guarantees
//! - **Durable when acknowledged.** WAL journal mode with
//!   `synchronous=FULL`: an `insert` or `rewrap` returns `Ok` only after its
//!   commit is fsync'd to the write-ahead log. A batch is one transaction:
//!   all of it or none of it, after a crash too.
//! - **The contract, twice.** Rows are checked by
//!   [`RecordRow::validate`](probant_catalog::RecordRow::validate) before any
//!   write, and again by the STRICT table's types and CHECK constraints; a
//!   foreign key makes `previous_version` name a stored version of the same
//!   record (`foreign_keys=ON`).
//! - **Values are only ever bound parameters.** SQL text is assembled from
//!   constant fragments; a search value such as `x' OR '1'='1` is data that
//!   matches nothing but itself.
//! - **Versioned schema.** A `schema_version` table holds 1. A catalog of
//!   another version, or a SQLite file that is not a catalog, is refused
//!   before anything is written to it.
//! - `secure_delete=ON`: an overwritten wrapped key is zeroed, not left in a
//!   free block of a page (crypto-shredding, AR-20.7). Until the next WAL
//!   checkpoint (at the latest when the last connection closes) the old page
//!   image is still in the `-wal` file.
//!
//! ## What is stored in clear, and why (CC-7.a)
//! Personal identifiers reach the catalog already protected by the vault:
//! the national number is `subject_sealed` (encrypted) with `subject_index`,
//! a keyed HMAC blind index for exact-match search; the title and further
//! metadata are sealed. A database administrator reading this file, or a
//! backup of it, reads no national number, name or title. In clear are:
//! - dates (`created`, `recorded`, `retention_due`, `original_destroyed`),
//!   `doc_type`, `classification`, `retention_class`, `legal_hold`: the
//!   catalog must answer date-range and category queries, and retention and
//!   destruction runs must select rows, without a key;
//! - `original_id`, the identifier of the paper original: the original and
//!   its digital copy must be findable from each other (AR-17, AR-19);
//! - recording and integrity metadata (`controller`, `executor`, `place`,
//!   `format`, `provenance`, `size`, `sha256`, `blob_key`, `kek_version`,
//!   `journal_index`) for AR-3.5 and `probant verify`;
//! - `wrapped_key`, which opens nothing without the key-encryption key.
//!
//! ## What it does not do
//! One connection behind a mutex: calls are serialised within a process;
//! other processes wait up to 10 s for SQLite's lock. No in-memory mode.
#![forbid(unsafe_code)]

mod schema;
mod sql;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use probant_catalog::{Catalog, Error, Query, RecordRow};
use rusqlite::{ffi, params, Connection, TransactionBehavior};

pub use schema::SCHEMA_VERSION;

/// Rows per page of [`Catalog::for_each`]: what it holds in memory at once.
const PAGE: u32 = 512;

/// A catalog in one SQLite database file.
#[derive(Debug)]
pub struct SqliteCatalog {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl SqliteCatalog {
    /// Opens the catalog at `path`, creating the file and schema version 1
    /// if absent. [`Error::UnsupportedSchema`] for a catalog of another
    /// schema version and [`Error::Backend`] for a file that is not a Probant
    /// catalog; in both cases the file is left unchanged.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let conn = schema::open(path)?;
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        Ok(Self {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, Error> {
        // A panic while the lock was held may have left a statement half
        // done: fail closed rather than guess.
        self.conn.lock().map_err(|_| Error::Backend {
            detail: "the catalog connection was poisoned by an earlier panic; reopen the catalog"
                .to_owned(),
        })
    }

    fn select(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<RecordRow>, Error> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
        let rows = stmt.query_map(params, sql::from_row).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
}

impl Catalog for SqliteCatalog {
    fn insert(&self, rows: &[RecordRow]) -> Result<(), Error> {
        rows.iter().try_for_each(RecordRow::validate)?;
        let mut conn = self.conn()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        {
            let mut stmt = tx.prepare_cached(sql::INSERT).map_err(backend)?;
            for r in rows {
                sql::insert(&mut stmt, r).map_err(|e| insert_error(e, r))?;
            }
        }
        // Dropping `tx` on an error above rolls the whole batch back.
        tx.commit().map_err(backend)
    }

    fn get(&self, record_id: &str, version: Option<u32>) -> Result<Option<RecordRow>, Error> {
        let found = match version {
            Some(v) => self.select(sql::GET_VERSION, params![record_id, v])?,
            None => self.select(sql::GET_LATEST, params![record_id])?,
        };
        Ok(found.into_iter().next())
    }

    fn versions(&self, record_id: &str) -> Result<Vec<RecordRow>, Error> {
        self.select(sql::VERSIONS, params![record_id])
    }

    fn search(&self, q: &Query) -> Result<Vec<RecordRow>, Error> {
        q.validate()?;
        let (text, named) = sql::search(q);
        self.select(&text, named.as_slice())
    }

    fn for_each(&self, f: &mut dyn FnMut(RecordRow) -> Result<(), Error>) -> Result<(), Error> {
        let mut page = self.select(sql::PAGE_FIRST, params![PAGE])?;
        loop {
            let next = match page.last() {
                Some(r) if page.len() == PAGE as usize => Some((r.record_id.clone(), r.version)),
                _ => None,
            };
            // The lock is not held here: `f` may use the catalog.
            page.into_iter().try_for_each(&mut *f)?;
            let Some((id, v)) = next else { return Ok(()) };
            page = self.select(sql::PAGE_AFTER, params![id, v, PAGE])?;
        }
    }

    fn rewrap(
        &self,
        record_id: &str,
        version: u32,
        kek_version: u32,
        wrapped_key: &[u8],
    ) -> Result<(), Error> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(sql::REWRAP).map_err(backend)?;
        let changed = stmt
            .execute(params![record_id, version, kek_version, wrapped_key])
            .map_err(backend)?;
        if changed == 0 {
            return Err(Error::NotFound {
                record_id: record_id.to_owned(),
                version: Some(version),
            });
        }
        Ok(())
    }

    fn count(&self) -> Result<u64, Error> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(sql::COUNT).map_err(backend)?;
        let n: i64 = stmt.query_row([], |r| r.get(0)).map_err(backend)?;
        u64::try_from(n).map_err(|_| Error::Backend {
            detail: format!("negative row count {n}"),
        })
    }

    fn describe(&self) -> String {
        format!(
            "sqlite:{} (schema {SCHEMA_VERSION}, WAL, synchronous=FULL)",
            self.path.display()
        )
    }
}

/// Maps a failed insert of `r`: the primary key → `Exists`, the
/// previous-version foreign key → `Invalid`, anything else → `Backend`.
fn insert_error(e: rusqlite::Error, r: &RecordRow) -> Error {
    let code = match &e {
        rusqlite::Error::SqliteFailure(f, _) => f.extended_code,
        _ => return backend(e),
    };
    let at = format!("record {} version {}", r.record_id, r.version);
    match code {
        ffi::SQLITE_CONSTRAINT_PRIMARYKEY | ffi::SQLITE_CONSTRAINT_UNIQUE => Error::Exists {
            record_id: r.record_id.clone(),
            version: r.version,
        },
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Error::Invalid {
            detail: format!("{at}: previous_version is neither stored nor earlier in the batch"),
        },
        ffi::SQLITE_CONSTRAINT_CHECK => Error::Invalid {
            detail: format!("{at}: refused by the catalog schema ({e})"),
        },
        _ => backend(e),
    }
}

/// A SQLite failure as a catalog error. rusqlite's and SQLite's messages
/// name columns and constraints, never bound values.
fn backend(e: rusqlite::Error) -> Error {
    Error::Backend {
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use probant_catalog::conformance::{record_id, row};
    use rusqlite::StatementStatus;

    /// The bundled SQLite (STAT4) would re-parse and re-plan a cached
    /// lookup every time its parameter is bound again; with the planner
    /// stability guarantee on, a cached statement is prepared once.
    #[test]
    fn cached_lookups_are_not_prepared_again_for_each_record() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = SqliteCatalog::open(&dir.path().join("catalog.db")).unwrap();
        let rows: Vec<RecordRow> = (1..=20).map(|i| row(i, 1)).collect();
        catalog.insert(&rows).unwrap();
        for i in 1..=20 {
            assert_eq!(catalog.versions(&record_id(i)).unwrap().len(), 1);
        }
        let conn = catalog.conn().unwrap();
        let stmt = conn.prepare_cached(sql::VERSIONS).unwrap();
        assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0);
        assert!(
            stmt.get_status(StatementStatus::VmStep) > 0,
            "the cached statement ran"
        );
    }
}
