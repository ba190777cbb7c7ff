//! Rows and queries that break the contract are refused with `Invalid`, and
//! change nothing; rows just inside the limits are accepted.

use super::{assert_invalid, insert_ok, row};
use crate::{Catalog, Query, RecordRow, MAX_INTEGER};

/// Each way a row can break [`RecordRow::validate`], named.
fn invalid_rows() -> Vec<(&'static str, RecordRow)> {
    let r = || row(1, 2);
    let mut cases = vec![
        (
            "empty record_id",
            RecordRow {
                record_id: String::new(),
                ..r()
            },
        ),
        (
            "65-char record_id",
            RecordRow {
                record_id: "a".repeat(65),
                ..r()
            },
        ),
        (
            "version 0",
            RecordRow {
                version: 0,
                previous_version: None,
                ..r()
            },
        ),
        (
            "previous_version 0",
            RecordRow {
                previous_version: Some(0),
                ..r()
            },
        ),
        (
            "previous_version = version",
            RecordRow {
                previous_version: Some(2),
                ..r()
            },
        ),
        (
            "previous_version > version",
            RecordRow {
                previous_version: Some(3),
                ..r()
            },
        ),
        (
            "sha256 uppercase",
            RecordRow {
                sha256: "A".repeat(64),
                ..r()
            },
        ),
        (
            "sha256 63 digits",
            RecordRow {
                sha256: "a".repeat(63),
                ..r()
            },
        ),
        (
            "sha256 65 digits",
            RecordRow {
                sha256: "a".repeat(65),
                ..r()
            },
        ),
        (
            "sha256 not hex",
            RecordRow {
                sha256: "g".repeat(64),
                ..r()
            },
        ),
        (
            "sha256 empty",
            RecordRow {
                sha256: String::new(),
                ..r()
            },
        ),
        (
            "subject_index uppercase",
            RecordRow {
                subject_index: "ABCDEF".to_owned(),
                ..r()
            },
        ),
        (
            "subject_index empty",
            RecordRow {
                subject_index: String::new(),
                ..r()
            },
        ),
        (
            "subject_index not hex",
            RecordRow {
                subject_index: "85.07.30-033.61".to_owned(),
                ..r()
            },
        ),
        (
            "size > i64::MAX",
            RecordRow {
                size: MAX_INTEGER + 1,
                ..r()
            },
        ),
        (
            "journal_index > i64::MAX",
            RecordRow {
                journal_index: u64::MAX,
                ..r()
            },
        ),
        (
            "NUL in original_id",
            RecordRow {
                original_id: "a\0b".to_owned(),
                ..r()
            },
        ),
        (
            "NUL in provenance",
            RecordRow {
                provenance: "{\"a\":\"\0\"}".to_owned(),
                ..r()
            },
        ),
        (
            "NUL in original_destroyed",
            RecordRow {
                original_destroyed: Some("\0".to_owned()),
                ..r()
            },
        ),
    ];
    let bad_dates = [
        "",
        "2024-13-01",
        "2024-00-01",
        "2024-02-30",
        "2023-02-29",
        "2024-1-01",
        "24-01-01",
        "2024/01/01",
        "2024-01-01T00:00:00Z",
        " 2024-01-01",
        "0000-01-01",
        "２０２４-01-01",
    ];
    for d in bad_dates {
        cases.push((
            "bad created",
            RecordRow {
                created: d.to_owned(),
                ..r()
            },
        ));
        cases.push((
            "bad retention_due",
            RecordRow {
                retention_due: d.to_owned(),
                ..r()
            },
        ));
    }
    cases
}

pub(super) fn rows_refused(c: &dyn Catalog) {
    insert_ok(c, &[row(1, 1)], "the previous version");
    for (what, bad) in invalid_rows() {
        assert_invalid(c.insert(std::slice::from_ref(&bad)), what);
        assert_eq!(c.count().unwrap(), 1, "{what}: nothing inserted");
    }
    assert_eq!(c.get(&row(1, 1).record_id, None).unwrap(), Some(row(1, 1)));
}

pub(super) fn row_in_batch_inserts_nothing(c: &dyn Catalog) {
    insert_ok(c, &[row(9, 1)], "existing");
    let bad = RecordRow {
        sha256: "XYZ".to_owned(),
        ..row(3, 1)
    };
    assert_invalid(
        c.insert(&[row(1, 1), row(2, 1), bad.clone()]),
        "invalid last",
    );
    assert_invalid(c.insert(&[bad.clone(), row(1, 1)]), "invalid first");
    // Validation comes before the duplicate check: the caller's bug is named.
    assert_invalid(c.insert(&[row(9, 1), bad]), "duplicate and invalid");
    assert_eq!(c.count().unwrap(), 1);
    assert_eq!(c.get(&row(1, 1).record_id, None).unwrap(), None);
}

pub(super) fn boundary_rows_accepted(c: &dyn Catalog) {
    let ok = [
        RecordRow {
            record_id: "a".repeat(64),
            ..row(1, 1)
        },
        // 64 characters, 128 bytes: the limit counts characters.
        RecordRow {
            record_id: "é".repeat(64),
            ..row(2, 1)
        },
        RecordRow {
            created: "2024-02-29".to_owned(),
            retention_due: "9999-12-31".to_owned(),
            ..row(3, 1)
        },
        RecordRow {
            created: "0001-01-01".to_owned(),
            retention_due: "2000-02-29".to_owned(),
            ..row(4, 1)
        },
        RecordRow {
            subject_index: "0".to_owned(),
            sha256: "0123456789abcdef".repeat(4),
            ..row(5, 1)
        },
        RecordRow {
            size: MAX_INTEGER,
            journal_index: MAX_INTEGER,
            ..row(6, 1)
        },
    ];
    for r in &ok {
        insert_ok(c, std::slice::from_ref(r), "boundary row");
        assert_eq!(c.get(&r.record_id, None).unwrap().as_ref(), Some(r));
    }
}

pub(super) fn queries_refused(c: &dyn Catalog) {
    insert_ok(c, &[row(1, 1)], "a row");
    let s = |v: &str| Some(v.to_owned());
    let bad = [
        Query {
            subject_index: s("ABC"),
            ..Query::default()
        },
        Query {
            subject_index: s(""),
            ..Query::default()
        },
        Query {
            subject_index: s("' OR '1'='1"),
            ..Query::default()
        },
        Query {
            created_from: s("2024-1-1"),
            ..Query::default()
        },
        Query {
            created_to: s("yesterday"),
            ..Query::default()
        },
        Query {
            created_to: s("2024-02-30"),
            ..Query::default()
        },
        Query {
            original_id: s("a\0b"),
            ..Query::default()
        },
        Query {
            doc_type: s("\0"),
            ..Query::default()
        },
    ];
    for q in bad {
        assert_invalid(c.search(&q), &format!("{q:?}"));
    }
    assert_eq!(c.count().unwrap(), 1);
}
