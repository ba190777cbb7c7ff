//! Opening a catalog file: refuse what is not ours (without writing to it),
//! set the durability pragmas, create schema version 1 if the file is new.

use std::path::Path;
use std::time::Duration;

use probant_catalog::Error;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::backend;

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Schema version 1. Types are STRICT and the contract's rules are repeated
/// as CHECKs, so that a row written around this crate is still refused. The
/// foreign key makes `previous_version` name a stored version of the same
/// record.
const SCHEMA: &str = "
CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT;
INSERT INTO schema_version (version) VALUES (1);
CREATE TABLE records (
    record_id          TEXT    NOT NULL CHECK (length(record_id) BETWEEN 1 AND 64),
    version            INTEGER NOT NULL CHECK (version BETWEEN 1 AND 4294967295),
    previous_version   INTEGER CHECK (previous_version >= 1 AND previous_version < version),
    subject_index      TEXT    NOT NULL CHECK (subject_index <> '' AND subject_index NOT GLOB '*[^0-9a-f]*'),
    subject_sealed     BLOB    NOT NULL,
    doc_type           TEXT    NOT NULL,
    title_sealed       BLOB,
    original_id        TEXT    NOT NULL,
    original_destroyed TEXT,
    created            TEXT    NOT NULL CHECK (created GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    recorded           TEXT    NOT NULL,
    recorded_late      INTEGER NOT NULL CHECK (recorded_late IN (0, 1)),
    controller         TEXT    NOT NULL,
    executor           TEXT    NOT NULL,
    place              TEXT    NOT NULL,
    classification     TEXT    NOT NULL,
    retention_class    TEXT    NOT NULL,
    retention_due      TEXT    NOT NULL CHECK (retention_due GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    legal_hold         INTEGER NOT NULL CHECK (legal_hold IN (0, 1)),
    format             TEXT    NOT NULL,
    size               INTEGER NOT NULL CHECK (size >= 0),
    sha256             TEXT    NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    blob_key           TEXT    NOT NULL,
    kek_version        INTEGER NOT NULL CHECK (kek_version BETWEEN 0 AND 4294967295),
    wrapped_key        BLOB    NOT NULL,
    meta_sealed        BLOB,
    provenance         TEXT    NOT NULL,
    journal_index      INTEGER NOT NULL CHECK (journal_index >= 0),
    PRIMARY KEY (record_id, version),
    FOREIGN KEY (record_id, previous_version) REFERENCES records (record_id, version)
) STRICT;
CREATE INDEX records_subject_index ON records (subject_index);
CREATE INDEX records_original_id ON records (original_id);
CREATE INDEX records_doc_type ON records (doc_type);
CREATE INDEX records_created ON records (created, record_id, version);
";

/// Opens (creating if absent) the catalog at `path`, ready for use.
pub(crate) fn open(path: &Path) -> Result<Connection, Error> {
    // No SQLITE_OPEN_URI: a path is a path, never "file:…?mode=…".
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(backend)?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(backend)?;
    // Read before writing anything: a newer or foreign database must be
    // refused unchanged (setting WAL mode alone rewrites the file header).
    check_version(&conn)?;
    set_pragmas(&conn)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    // Again under the write lock: another process may have created it.
    if !check_version(&tx)? {
        tx.execute_batch(SCHEMA).map_err(backend)?;
    }
    tx.commit().map_err(backend)?;
    conn.set_prepared_statement_cache_capacity(64);
    // The bundled SQLite is built with STAT4, which marks a statement whose
    // parameter meets an index as expired whenever that parameter is bound
    // again: every cached query was parsed and planned anew on each call
    // (three quarters of a record lookup). The planner stability guarantee
    // keeps each statement's plan (the catalog runs no ANALYZE, so the plan
    // would not change anyway).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(backend)?;
    Ok(conn)
}

/// `Ok(true)` for a catalog of [`SCHEMA_VERSION`], `Ok(false)` for an empty
/// database; an error for anything else.
fn check_version(conn: &Connection) -> Result<bool, Error> {
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(backend)?;
    if tables == 0 {
        return Ok(false);
    }
    let has_version: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if !has_version {
        return Err(Error::Backend {
            detail: "the file is a SQLite database but not a Probant catalog (no schema_version table); refusing to change it".to_owned(),
        });
    }
    let found: Option<i64> = conn
        .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
        .map_err(backend)?;
    let found = found.map_or(0, |v| u32::try_from(v.max(0)).unwrap_or(u32::MAX));
    if found != SCHEMA_VERSION {
        return Err(Error::UnsupportedSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(true)
}

/// WAL with synchronous=FULL: a commit returns after the WAL is fsync'd, so
/// an acknowledged insert survives power loss (DESIGN, reliability rules).
fn set_pragmas(conn: &Connection) -> Result<(), Error> {
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(backend)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Backend {
            detail: format!("the filesystem refused WAL mode (journal_mode is {mode})"),
        });
    }
    // Deleted or overwritten cells (an old wrapped key after a rewrap) are
    // zeroed, not left in free pages (crypto-shredding, AR-20.7).
    for (name, value) in [
        ("synchronous", "FULL"),
        ("foreign_keys", "ON"),
        ("secure_delete", "ON"),
        ("trusted_schema", "OFF"),
    ] {
        conn.pragma_update(None, name, value).map_err(backend)?;
    }
    let sync: i64 = conn
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .map_err(backend)?;
    let fk: i64 = conn
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .map_err(backend)?;
    if sync != 2 || fk != 1 {
        return Err(Error::Backend {
            detail: format!("pragmas not in force: synchronous={sync}, foreign_keys={fk}"),
        });
    }
    Ok(())
}
