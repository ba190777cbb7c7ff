//! The backend-neutral catalog contract, run on SQLite.

use std::sync::atomic::{AtomicU32, Ordering};

use probant_catalog::conformance;
use probant_catalog_sqlite::SqliteCatalog;

#[test]
fn sqlite_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicU32::new(0);
    conformance::run_all(&|| {
        let path = dir
            .path()
            .join(format!("catalog-{}.db", n.fetch_add(1, Ordering::Relaxed)));
        Box::new(SqliteCatalog::open(&path).unwrap())
    });
    assert_eq!(n.into_inner() as usize, conformance::CASES.len());
}
