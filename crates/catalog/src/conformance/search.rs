//! search: each criterion, combinations, inclusive date bounds, limit,
//! ordering, and values matched exactly as data.

use super::{insert_ok, record_id, row};
use crate::{Catalog, Query, RecordRow};

const DATES: [&str; 9] = [
    "2019-12-31",
    "2020-01-01",
    "2020-01-01",
    "2020-02-29",
    "2020-03-01",
    "2021-06-15",
    "2021-06-15",
    "2023-12-31",
    "2024-01-01",
];
const TYPES: [&str; 3] = ["decision", "letter", "attestation"];

fn subject(i: u64) -> String {
    format!("{:064x}", 0x5ab0 + i)
}

/// 30 records of 1 to 3 versions (60 rows), many sharing a creation date;
/// inserted newest record first so that insertion order is not the answer.
fn dataset(c: &dyn Catalog) -> Vec<RecordRow> {
    let mut all = Vec::new();
    for n in 0..30u64 {
        for v in 1..=(1 + n % 3) as u32 {
            all.push(RecordRow {
                created: DATES[(n as usize * 7 + v as usize) % DATES.len()].to_owned(),
                subject_index: subject(n % 4),
                original_id: format!("PAPER-{}", n % 6),
                doc_type: TYPES[(n as usize + v as usize) % 3].to_owned(),
                ..row(n, v)
            });
        }
    }
    for v in 1..=3 {
        let batch: Vec<_> = all
            .iter()
            .rev()
            .filter(|r| r.version == v)
            .cloned()
            .collect();
        insert_ok(c, &batch, "search dataset");
    }
    all
}

fn matches(r: &RecordRow, q: &Query) -> bool {
    let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
    eq(&q.subject_index, &r.subject_index)
        && eq(&q.original_id, &r.original_id)
        && eq(&q.doc_type, &r.doc_type)
        && q.created_from
            .as_deref()
            .is_none_or(|f| r.created.as_str() >= f)
        && q.created_to
            .as_deref()
            .is_none_or(|t| r.created.as_str() <= t)
}

/// The contract's answer, computed in memory.
fn expected(all: &[RecordRow], q: &Query) -> Vec<RecordRow> {
    let mut v: Vec<_> = all.iter().filter(|r| matches(r, q)).cloned().collect();
    v.sort_by(|a, b| {
        (&a.created, &a.record_id, a.version).cmp(&(&b.created, &b.record_id, b.version))
    });
    v.truncate(q.limit.map_or(usize::MAX, |l| l as usize));
    v
}

/// Checks `q` against the in-memory answer; returns how many rows matched.
fn check(c: &dyn Catalog, all: &[RecordRow], q: &Query) -> usize {
    let want = expected(all, q);
    let got = c.search(q).unwrap_or_else(|e| panic!("search {q:?}: {e}"));
    assert_eq!(got, want, "search {q:?}");
    got.len()
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

pub(super) fn each_criterion(c: &dyn Catalog) {
    let all = dataset(c);
    for i in 0..4 {
        let q = Query {
            subject_index: Some(subject(i)),
            ..Query::default()
        };
        assert!(check(c, &all, &q) > 0, "subject {i}");
    }
    for i in 0..6 {
        let q = Query {
            original_id: Some(format!("PAPER-{i}")),
            ..Query::default()
        };
        assert!(check(c, &all, &q) > 0, "original {i}");
    }
    for t in TYPES {
        assert!(
            check(
                c,
                &all,
                &Query {
                    doc_type: some(t),
                    ..Query::default()
                }
            ) > 0,
            "{t}"
        );
    }
    assert!(
        check(
            c,
            &all,
            &Query {
                created_from: some("2021-06-15"),
                ..Query::default()
            }
        ) > 0
    );
    assert!(
        check(
            c,
            &all,
            &Query {
                created_to: some("2020-01-01"),
                ..Query::default()
            }
        ) > 0
    );
    let absent = [
        Query {
            subject_index: Some(subject(9)),
            ..Query::default()
        },
        Query {
            original_id: some("PAPER-9"),
            ..Query::default()
        },
        Query {
            doc_type: some("minutes"),
            ..Query::default()
        },
        Query {
            created_from: some("2024-01-02"),
            ..Query::default()
        },
        Query {
            created_to: some("2019-12-30"),
            ..Query::default()
        },
    ];
    for q in &absent {
        assert_eq!(check(c, &all, q), 0, "{q:?}");
    }
}

pub(super) fn combined(c: &dyn Catalog) {
    let all = dataset(c);
    let mut nonempty = 0;
    for s in 0..4 {
        for t in TYPES {
            let q = Query {
                subject_index: Some(subject(s)),
                doc_type: some(t),
                ..Query::default()
            };
            nonempty += usize::from(check(c, &all, &q) > 0);
        }
        let q = Query {
            subject_index: Some(subject(s)),
            original_id: Some(format!("PAPER-{}", s + 2)),
            created_from: some("2020-01-01"),
            created_to: some("2021-06-15"),
            doc_type: some("letter"),
            limit: Some(100),
        };
        check(c, &all, &q);
    }
    assert!(nonempty > 4, "combinations that match something");
    // Subject 0 holds records 0, 4, 8, …; PAPER-1 holds 1, 7, 13, …: disjoint.
    let q = Query {
        subject_index: Some(subject(0)),
        original_id: some("PAPER-1"),
        ..Query::default()
    };
    assert_eq!(check(c, &all, &q), 0);
}

pub(super) fn date_range_inclusive(c: &dyn Catalog) {
    let all = dataset(c);
    let on = |d: &str| all.iter().filter(|r| r.created == d).count();
    let range = |f: &str, t: &str| Query {
        created_from: some(f),
        created_to: some(t),
        ..Query::default()
    };
    assert_eq!(
        check(c, &all, &range("2020-01-01", "2020-01-01")),
        on("2020-01-01"),
        "one day"
    );
    assert!(on("2020-01-01") > 1);
    let both_ends = on("2020-02-29") + on("2020-03-01");
    assert_eq!(
        check(c, &all, &range("2020-02-29", "2020-03-01")),
        both_ends,
        "both bounds"
    );
    assert_eq!(
        check(c, &all, &range("2020-01-02", "2020-02-28")),
        0,
        "between dates"
    );
    assert_eq!(
        check(c, &all, &range("2024-01-01", "2019-12-31")),
        0,
        "from after to"
    );
    assert_eq!(
        check(c, &all, &range("2019-12-31", "2024-01-01")),
        all.len(),
        "all dates"
    );
    let from = Query {
        created_from: some("2023-12-31"),
        ..Query::default()
    };
    assert_eq!(check(c, &all, &from), on("2023-12-31") + on("2024-01-01"));
    let to = Query {
        created_to: some("2019-12-31"),
        ..Query::default()
    };
    assert_eq!(check(c, &all, &to), on("2019-12-31"));
}

pub(super) fn limit(c: &dyn Catalog) {
    let all = dataset(c);
    assert_eq!(
        check(
            c,
            &all,
            &Query {
                limit: Some(0),
                ..Query::default()
            }
        ),
        0
    );
    assert_eq!(
        check(
            c,
            &all,
            &Query {
                limit: Some(1),
                ..Query::default()
            }
        ),
        1
    );
    assert_eq!(
        check(
            c,
            &all,
            &Query {
                limit: Some(7),
                ..Query::default()
            }
        ),
        7
    );
    let more = Query {
        limit: Some(u32::MAX),
        ..Query::default()
    };
    assert_eq!(check(c, &all, &more), all.len());
    let with = Query {
        doc_type: some("letter"),
        created_from: some("2020-01-01"),
        limit: Some(3),
        ..Query::default()
    };
    assert_eq!(check(c, &all, &with), 3);
}

pub(super) fn ordering(c: &dyn Catalog) {
    let all = dataset(c);
    let got = c.search(&Query::default()).unwrap();
    assert!(
        got.windows(2)
            .all(|w| (&w[0].created, &w[0].record_id, w[0].version)
                < (&w[1].created, &w[1].record_id, w[1].version)),
        "ordered by created, record_id, version"
    );
    let same_day: Vec<_> = got.iter().filter(|r| r.created == "2021-06-15").collect();
    assert!(same_day.len() > 2, "several rows on one day");
    // A record with 10+ versions on one day: version order is numeric.
    let many: Vec<_> = (1..=11)
        .map(|v| RecordRow {
            created: "2030-01-01".to_owned(),
            ..row(99, v)
        })
        .collect();
    insert_ok(c, &many, "many versions");
    let q = Query {
        created_from: some("2030-01-01"),
        ..Query::default()
    };
    assert_eq!(c.search(&q).unwrap(), many);
    assert_eq!(all.len() + 11, c.search(&Query::default()).unwrap().len());
}

pub(super) fn all_rows(c: &dyn Catalog) {
    assert!(
        c.search(&Query::default()).unwrap().is_empty(),
        "empty catalog"
    );
    let all = dataset(c);
    assert_eq!(check(c, &all, &Query::default()), all.len());
}

/// Criteria are values, matched exactly: quotes, SQL and LIKE/GLOB wildcards,
/// case, trailing spaces and Unicode normalisation all count.
pub(super) fn values_are_exact_data(c: &dyn Catalog) {
    let tricky = [
        "x' OR '1'='1",
        "x",
        "%",
        "_",
        "*",
        "a_c",
        "abc",
        "ABC",
        "abc ",
        "a%",
        "'; DROP TABLE records; --",
        "\"",
        "\\",
        "décision",
        "de\u{301}cision",
        "",
    ];
    let rows: Vec<_> = tricky
        .iter()
        .enumerate()
        .map(|(i, s)| RecordRow {
            original_id: (*s).to_owned(),
            doc_type: (*s).to_owned(),
            ..row(i as u64, 1)
        })
        .collect();
    insert_ok(c, &rows, "tricky values");
    for (i, s) in tricky.iter().enumerate() {
        for q in [
            Query {
                original_id: some(s),
                ..Query::default()
            },
            Query {
                doc_type: some(s),
                ..Query::default()
            },
        ] {
            let got = c.search(&q).unwrap();
            assert_eq!(got.len(), 1, "{q:?} matches only itself");
            assert_eq!(got[0].record_id, record_id(i as u64), "{q:?}");
        }
    }
    for s in ["1'='1", "' OR 1=1 --", "X", "a", "%%", "ab", "abc  "] {
        assert!(
            c.search(&Query {
                original_id: some(s),
                ..Query::default()
            })
            .unwrap()
            .is_empty(),
            "{s:?}"
        );
    }
    assert_eq!(c.count().unwrap(), tricky.len() as u64, "nothing dropped");
}
