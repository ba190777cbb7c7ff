//! What only the SQLite backend can be asked: its file, schema, pragmas,
//! transactions and statements.

use std::path::Path;
use std::sync::Arc;

use probant_catalog::conformance::{record_id, row};
use probant_catalog::{Catalog, Error, Query, RecordRow};
use probant_catalog_sqlite::{SqliteCatalog, SCHEMA_VERSION};
use rusqlite::Connection;

fn open(path: &Path) -> SqliteCatalog {
    SqliteCatalog::open(path).unwrap()
}

/// A plain connection beside the catalog, as an administrator would have.
fn raw(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

#[test]
fn reopen_after_drop_keeps_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let rows = [row(1, 1), row(1, 2), row(2, 1)];
    {
        let c = open(&path);
        c.insert(&rows).unwrap();
        c.rewrap(&record_id(2), 1, 9, b"rewrapped").unwrap();
    }
    let c = open(&path);
    assert_eq!(c.count().unwrap(), 3);
    assert_eq!(c.versions(&record_id(1)).unwrap(), rows[..2]);
    let r2 = c.get(&record_id(2), None).unwrap().unwrap();
    assert_eq!(
        (r2.kek_version, r2.wrapped_key.as_slice()),
        (9, &b"rewrapped"[..])
    );
    c.insert(&[row(1, 3)]).unwrap();
    drop(c);
    assert_eq!(open(&path).count().unwrap(), 4);
}

#[test]
fn new_file_has_schema_version_1_wal_and_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let _c = open(&path);
    let db = raw(&path);
    let v: u32 = db
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!((v, SCHEMA_VERSION), (1, 1));
    let mode: String = db
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // Each criterion alone is answered from its index, not a table scan.
    for (column, index) in [
        ("subject_index", "records_subject_index"),
        ("original_id", "records_original_id"),
        ("doc_type", "records_doc_type"),
        ("created", "records_created"),
    ] {
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT * FROM records WHERE 1 = 1 AND {column} = ?1 \
             ORDER BY created, record_id, version LIMIT -1"
        );
        let mut stmt = db.prepare(&sql).unwrap();
        let plan: Vec<String> = stmt
            .query_map(["x"], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(plan.iter().any(|p| p.contains(index)), "{column}: {plan:?}");
    }
}

/// Writes `version` into a fresh catalog's schema_version table and leaves
/// the file in rollback-journal mode, whole in one file.
fn catalog_of_version(path: &Path, version: u32) -> Vec<u8> {
    drop(open(path));
    let db = raw(path);
    db.execute("UPDATE schema_version SET version = ?1", [version])
        .unwrap();
    let _: String = db
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .unwrap();
    drop(db);
    std::fs::read(path).unwrap()
}

fn assert_untouched(path: &Path, before: &[u8]) {
    assert_eq!(std::fs::read(path).unwrap(), before, "file unchanged");
    let wal = path.with_extension("db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "no WAL written"
    );
}

#[test]
fn newer_schema_refused_and_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let before = catalog_of_version(&path, 2);
    match SqliteCatalog::open(&path) {
        Err(Error::UnsupportedSchema {
            found: 2,
            supported: 1,
        }) => {}
        other => panic!("expected UnsupportedSchema, got {other:?}"),
    }
    assert_untouched(&path, &before);
    // The message tells the operator what to do.
    let e = SqliteCatalog::open(&path).unwrap_err().to_string();
    assert!(e.contains("upgrade probant"), "{e}");
}

#[test]
fn older_or_empty_schema_version_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let before = catalog_of_version(&path, 0);
    assert!(matches!(
        SqliteCatalog::open(&path),
        Err(Error::UnsupportedSchema { found: 0, .. })
    ));
    assert_untouched(&path, &before);
    raw(&path)
        .execute("DELETE FROM schema_version", [])
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    assert!(matches!(
        SqliteCatalog::open(&path),
        Err(Error::UnsupportedSchema { found: 0, .. })
    ));
    assert_untouched(&path, &before);
}

#[test]
fn foreign_files_refused_and_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let other_db = dir.path().join("other.db");
    raw(&other_db)
        .execute("CREATE TABLE accounts (name TEXT)", [])
        .unwrap();
    let not_db = dir.path().join("notes.db");
    std::fs::write(
        &not_db,
        "these are not the rows you are looking for\n".repeat(100),
    )
    .unwrap();
    for path in [other_db, not_db] {
        let before = std::fs::read(&path).unwrap();
        match SqliteCatalog::open(&path) {
            Err(Error::Backend { .. }) => {}
            other => panic!("{}: expected Backend, got {other:?}", path.display()),
        }
        assert_untouched(&path, &before);
    }
}

#[test]
fn batch_of_2000_rows_is_one_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let c = open(&dir.path().join("catalog.db"));
    let batch: Vec<_> = (0..2000).map(|n| row(n, 1)).collect();
    c.insert(&batch).unwrap();
    assert_eq!(c.count().unwrap(), 2000);
    // A second batch of 2000 whose last row collides rolls back all 1999.
    let mut next: Vec<_> = (2000..3999).map(|n| row(n, 1)).collect();
    next.push(row(0, 1));
    assert!(matches!(
        c.insert(&next),
        Err(Error::Exists { version: 1, .. })
    ));
    assert_eq!(c.count().unwrap(), 2000);
    assert_eq!(c.get(&record_id(2000), None).unwrap(), None);
}

#[test]
fn sql_injection_attempts_are_plain_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let c = open(&path);
    let rows: Vec<_> = (0..5).map(|n| row(n, 1)).collect();
    c.insert(&rows).unwrap();
    let attacks = [
        "x' OR '1'='1",
        "x' OR 1=1 --",
        "'; DROP TABLE records; --",
        "\" OR \"\"=\"",
        "PAPER-0000' UNION SELECT * FROM records --",
        "%",
        "*",
    ];
    for a in attacks {
        let s = Some(a.to_owned());
        for q in [
            Query {
                original_id: s.clone(),
                ..Query::default()
            },
            Query {
                doc_type: s.clone(),
                ..Query::default()
            },
            Query {
                original_id: s.clone(),
                doc_type: s.clone(),
                limit: Some(10),
                ..Query::default()
            },
        ] {
            assert_eq!(c.search(&q).unwrap(), Vec::<RecordRow>::new(), "{q:?}");
        }
        assert_eq!(c.get(a, None).unwrap(), None);
        assert!(c.versions(a).unwrap().is_empty());
        assert!(matches!(
            c.rewrap(a, 1, 2, b"k"),
            Err(Error::NotFound { .. })
        ));
    }
    assert!(matches!(
        c.search(&Query {
            subject_index: Some("' OR '1'='1".into()),
            ..Query::default()
        }),
        Err(Error::Invalid { .. })
    ));
    assert_eq!(
        c.search(&Query::default()).unwrap(),
        rows,
        "every row intact, none rewrapped"
    );
    let tables: i64 = raw(&path)
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'records'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 1);
}

/// The table refuses rows that bypass the crate (STRICT types and CHECK
/// constraints), so the contract holds even against a hand-written INSERT.
#[test]
fn schema_checks_refuse_bad_rows_written_around_the_crate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let c = open(&path);
    c.insert(&[row(1, 1)]).unwrap();
    let db = raw(&path);
    for set in [
        "version = 1",
        "version = 2, sha256 = upper(sha256)",
        "version = 2, sha256 = substr(sha256, 2)",
        "version = 2, subject_index = 'ABC'",
        "version = 2, created = '2024/01/01'",
        "version = 2, retention_due = 'soon'",
        "version = 2, size = -1",
        "version = 2, size = 'big'",
        "version = 2, legal_hold = 2",
        "version = 2, record_id = ''",
        "version = 0, previous_version = NULL",
        "version = 2, previous_version = 7",
        "version = 4294967296",
    ] {
        let r = db.execute_batch(&format!(
            "CREATE TEMP TABLE t AS SELECT * FROM records; UPDATE t SET {set}; \
             INSERT INTO records SELECT * FROM t;"
        ));
        assert!(r.is_err(), "{set}: accepted");
        db.execute_batch("DROP TABLE IF EXISTS temp.t").unwrap();
    }
    assert_eq!(c.count().unwrap(), 1);
}

#[test]
fn shared_between_threads() {
    let dir = tempfile::tempdir().unwrap();
    let c = Arc::new(open(&dir.path().join("catalog.db")));
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let c = Arc::clone(&c);
            std::thread::spawn(move || {
                for i in 0..25 {
                    c.insert(&[row(t * 100 + i, 1)]).unwrap();
                    assert!(c.get(&record_id(t * 100 + i), None).unwrap().is_some());
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(c.count().unwrap(), 100);
}

/// Two catalogs on one file (as two processes would be): each sees the
/// other's commits, and the primary key holds across them.
#[test]
fn two_handles_on_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let (a, b) = (open(&path), open(&path));
    a.insert(&[row(1, 1)]).unwrap();
    assert_eq!(b.get(&record_id(1), None).unwrap(), Some(row(1, 1)));
    assert!(matches!(b.insert(&[row(1, 1)]), Err(Error::Exists { .. })));
    b.insert(&[row(1, 2)]).unwrap();
    assert_eq!(
        a.versions(&record_id(1)).unwrap(),
        vec![row(1, 1), row(1, 2)]
    );
}

/// After a rewrap the old wrapped key is not left anywhere in the file: a
/// 1,600-byte key replaced by a 60-byte one would otherwise mostly stay in a
/// free block of the page (secure_delete=ON; the WAL is checkpointed and
/// removed on close).
#[test]
fn rewrap_leaves_no_old_key_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let old: Vec<u8> = b"OLD-WRAPPED-KEY-"
        .iter()
        .copied()
        .cycle()
        .take(1600)
        .collect();
    {
        let c = open(&path);
        let mut rows: Vec<_> = (0..20).map(|n| row(n, 1)).collect();
        rows[10].wrapped_key = old.clone();
        c.insert(&rows).unwrap();
        c.rewrap(&record_id(10), 1, 2, &[0x5a; 60]).unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        !bytes.windows(64).any(|w| w == &old[..64]),
        "old key still in the file"
    );
    assert!(
        bytes.windows(60).any(|w| w == [0x5a; 60]),
        "new key written"
    );
    assert!(
        !path.with_extension("db-wal").exists(),
        "WAL checkpointed on close"
    );
}

#[test]
fn describe_names_the_backend_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let c = open(&path);
    let d = c.describe();
    assert!(
        d.starts_with("sqlite:") && d.contains("catalog.db") && d.contains("synchronous=FULL"),
        "{d}"
    );
    assert_eq!(c.path(), std::fs::canonicalize(&path).unwrap());
}

#[test]
fn creates_the_file_but_not_missing_directories() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        SqliteCatalog::open(&dir.path().join("absent/catalog.db")),
        Err(Error::Backend { .. })
    ));
}
