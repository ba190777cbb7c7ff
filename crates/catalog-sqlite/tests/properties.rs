//! Properties over generated rows and queries: any valid row comes back
//! exactly as stored; search agrees with a plain in-memory filter.

use std::sync::atomic::{AtomicU64, Ordering};

use probant_catalog::conformance::{record_id, row};
use probant_catalog::{Catalog, Query, RecordRow};
use probant_catalog_sqlite::SqliteCatalog;
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Any Unicode except U+0000, which the contract refuses.
    "[^\u{0}]{0,24}"
}

fn date() -> impl Strategy<Value = String> {
    (1u32..=9999, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..300)
}

prop_compose! {
    fn any_row()(
        version in 1u32..=u32::MAX, linked in any::<bool>(),
        subject_index in "[0-9a-f]{1,64}", subject_sealed in bytes(),
        texts in prop::collection::vec(text(), 11),
        title_sealed in prop::option::of(bytes()), original_destroyed in prop::option::of(text()),
        created in date(), retention_due in date(), flags in any::<(bool, bool)>(),
        size in 0..=i64::MAX as u64, sha256 in "[0-9a-f]{64}", kek_version in any::<u32>(),
        wrapped_key in bytes(), meta_sealed in prop::option::of(bytes()),
        journal_index in 0..=i64::MAX as u64,
    ) -> RecordRow {
        RecordRow {
            record_id: String::new(), version,
            previous_version: (linked && version > 1).then(|| version - 1),
            subject_index, subject_sealed, doc_type: texts[0].clone(), title_sealed,
            original_id: texts[1].clone(), original_destroyed, created, recorded: texts[2].clone(),
            recorded_late: flags.0, controller: texts[3].clone(), executor: texts[4].clone(),
            place: texts[5].clone(), classification: texts[6].clone(),
            retention_class: texts[7].clone(), retention_due, legal_hold: flags.1,
            format: texts[8].clone(), size, sha256, blob_key: texts[9].clone(), kek_version,
            wrapped_key, meta_sealed, provenance: texts[10].clone(), journal_index,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_valid_row_round_trips(r in any_row()) {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = tempfile::tempdir().unwrap();
        let c = SqliteCatalog::open(&dir.path().join("c.db")).unwrap();
        let r = RecordRow { record_id: record_id(N.fetch_add(1, Ordering::Relaxed)), ..r };
        let mut batch = Vec::new();
        if let Some(p) = r.previous_version {
            batch.push(RecordRow { record_id: r.record_id.clone(), previous_version: None, ..row(0, p) });
        }
        batch.push(r.clone());
        c.insert(&batch).unwrap();
        prop_assert_eq!(c.get(&r.record_id, Some(r.version)).unwrap(), Some(r.clone()));
        prop_assert_eq!(c.get(&r.record_id, None).unwrap(), Some(r));
    }
}

fn pick(values: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::sample::select(values).prop_map(str::to_owned))
}

const SUBJECTS: &[&str] = &["aa", "bb", "cc"];
const ORIGINALS: &[&str] = &["P-1", "P-2", "x' OR '1'='1"];
const TYPES: &[&str] = &["letter", "decision", "Letter"];
const DATES: &[&str] = &["2020-01-01", "2020-01-02", "2020-06-30", "2021-01-01"];

prop_compose! {
    fn small_row()(n in 0u64..8, v in 1u32..4, s in 0..3usize, o in 0..3usize, t in 0..3usize, d in 0..4usize)
        -> RecordRow {
        RecordRow {
            previous_version: None,
            subject_index: SUBJECTS[s].to_owned(),
            original_id: ORIGINALS[o].to_owned(),
            doc_type: TYPES[t].to_owned(),
            created: DATES[d].to_owned(),
            ..row(n, v)
        }
    }
}

prop_compose! {
    fn any_query()(
        subject_index in pick(SUBJECTS), original_id in pick(ORIGINALS), doc_type in pick(TYPES),
        created_from in pick(DATES), created_to in pick(DATES), limit in prop::option::of(0u32..12),
    ) -> Query {
        Query { subject_index, original_id, doc_type, created_from, created_to, limit }
    }
}

fn oracle(rows: &[RecordRow], q: &Query) -> Vec<RecordRow> {
    let eq = |w: &Option<String>, h: &str| w.as_deref().is_none_or(|w| w == h);
    let mut v: Vec<_> = rows
        .iter()
        .filter(|r| {
            eq(&q.subject_index, &r.subject_index)
                && eq(&q.original_id, &r.original_id)
                && eq(&q.doc_type, &r.doc_type)
                && q.created_from
                    .as_deref()
                    .is_none_or(|f| r.created.as_str() >= f)
                && q.created_to
                    .as_deref()
                    .is_none_or(|t| r.created.as_str() <= t)
        })
        .cloned()
        .collect();
    v.sort_by(|a, b| {
        (&a.created, &a.record_id, a.version).cmp(&(&b.created, &b.record_id, b.version))
    });
    v.truncate(q.limit.map_or(usize::MAX, |l| l as usize));
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn search_agrees_with_a_filter(
        rows in prop::collection::vec(small_row(), 0..30),
        queries in prop::collection::vec(any_query(), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let c = SqliteCatalog::open(&dir.path().join("c.db")).unwrap();
        let mut stored: Vec<RecordRow> = Vec::new();
        for r in rows {
            if !stored.iter().any(|s| (&s.record_id, s.version) == (&r.record_id, r.version)) {
                stored.push(r);
            }
        }
        c.insert(&stored).unwrap();
        for q in &queries {
            prop_assert_eq!(c.search(q).unwrap(), oracle(&stored, q), "{:?}", q);
        }
    }
}
