//! Insert, get, versions, rewrap, count, describe and for_each.

use super::{assert_exists, insert_ok, record_id, row};
use crate::{Catalog, Error, RecordRow, MAX_INTEGER};

pub(super) fn round_trip_every_field(c: &dyn Catalog) {
    let all_bytes: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let r = RecordRow {
        previous_version: None,
        subject_sealed: vec![0x00, 0xff, 0x00, 0xff],
        doc_type: "décision – beslissing – Entscheidung".to_owned(),
        title_sealed: Some(vec![0xff; 17]),
        original_id: "Liège/Dossier №7/🗂️/'\"\\".to_owned(),
        original_destroyed: Some("2024-03-01".to_owned()),
        controller: "Rijksdienst voor Sociale Zekerheid — 社会保障".to_owned(),
        executor: "Åsa Ørsted".to_owned(),
        place: "Eupen\tSankt Vith\nMalmedy".to_owned(),
        meta_sealed: Some(all_bytes),
        wrapped_key: (0..=255u8).rev().collect(),
        recorded_late: true,
        legal_hold: true,
        ..row(1, 1)
    };
    insert_ok(c, std::slice::from_ref(&r), "round trip");
    assert_eq!(
        c.get(&r.record_id, Some(1)).unwrap().as_ref(),
        Some(&r),
        "get(Some(1))"
    );
    assert_eq!(
        c.get(&r.record_id, None).unwrap().as_ref(),
        Some(&r),
        "get(None)"
    );
    assert_eq!(c.versions(&r.record_id).unwrap(), vec![r]);
}

pub(super) fn round_trip_empty_and_none(c: &dyn Catalog) {
    let none = RecordRow {
        previous_version: None,
        subject_sealed: Vec::new(),
        doc_type: String::new(),
        title_sealed: None,
        original_id: String::new(),
        original_destroyed: None,
        recorded_late: false,
        legal_hold: false,
        size: 0,
        kek_version: 0,
        wrapped_key: Vec::new(),
        meta_sealed: None,
        journal_index: 0,
        ..row(1, 1)
    };
    // Some(empty) is not None.
    let empty = RecordRow {
        title_sealed: Some(Vec::new()),
        original_destroyed: Some(String::new()),
        meta_sealed: Some(Vec::new()),
        ..row(2, 1)
    };
    insert_ok(c, &[none.clone(), empty.clone()], "empty and none");
    assert_eq!(c.get(&none.record_id, None).unwrap(), Some(none));
    assert_eq!(c.get(&empty.record_id, None).unwrap(), Some(empty));
}

pub(super) fn round_trip_extreme_numbers(c: &dyn Catalog) {
    let below = RecordRow {
        previous_version: None,
        ..row(1, u32::MAX - 1)
    };
    let top = RecordRow {
        previous_version: Some(u32::MAX - 1),
        kek_version: u32::MAX,
        size: MAX_INTEGER,
        journal_index: MAX_INTEGER,
        ..row(1, u32::MAX)
    };
    insert_ok(c, &[below.clone(), top.clone()], "extremes");
    assert_eq!(
        c.get(&top.record_id, None).unwrap(),
        Some(top.clone()),
        "latest is u32::MAX"
    );
    assert_eq!(c.versions(&top.record_id).unwrap(), vec![below, top]);
}

pub(super) fn get_latest_version(c: &dyn Catalog) {
    insert_ok(c, &[row(1, 1), row(2, 1)], "v1");
    insert_ok(c, &[row(1, 2)], "v2");
    insert_ok(c, &[row(1, 3)], "v3");
    let id = record_id(1);
    assert_eq!(c.get(&id, None).unwrap(), Some(row(1, 3)));
    assert_eq!(c.get(&id, Some(2)).unwrap(), Some(row(1, 2)));
    assert_eq!(c.get(&id, Some(1)).unwrap(), Some(row(1, 1)));
    assert_eq!(c.get(&record_id(2), None).unwrap(), Some(row(2, 1)));
    assert_eq!(c.get(&id, Some(4)).unwrap(), None, "absent version");
    assert_eq!(c.get(&id, Some(0)).unwrap(), None, "version 0");
    assert_eq!(c.get(&record_id(3), None).unwrap(), None, "absent record");
    assert_eq!(c.get("", None).unwrap(), None, "empty id");
}

pub(super) fn versions_ascending(c: &dyn Catalog) {
    // Numeric order (2 < 10), not insertion order nor text order.
    let unlinked = |v| RecordRow {
        previous_version: None,
        ..row(1, v)
    };
    insert_ok(c, &[unlinked(10), row(2, 1)], "a");
    insert_ok(c, &[unlinked(2), unlinked(100)], "b");
    insert_ok(c, &[unlinked(9), row(0, 1)], "c");
    let got: Vec<u32> = c
        .versions(&record_id(1))
        .unwrap()
        .iter()
        .map(|r| r.version)
        .collect();
    assert_eq!(got, [2, 9, 10, 100]);
    assert_eq!(c.versions(&record_id(1)).unwrap()[0], unlinked(2));
    assert_eq!(c.versions(&record_id(2)).unwrap(), vec![row(2, 1)]);
    assert!(
        c.versions(&record_id(3)).unwrap().is_empty(),
        "absent record"
    );
}

pub(super) fn insert_empty_batch(c: &dyn Catalog) {
    insert_ok(c, &[], "empty batch");
    assert_eq!(c.count().unwrap(), 0);
}

pub(super) fn insert_exists(c: &dyn Catalog) {
    insert_ok(c, &[row(1, 1), row(1, 2)], "first");
    let other = RecordRow {
        sha256: "f".repeat(64),
        ..row(1, 2)
    };
    assert_exists(c.insert(&[other]), &record_id(1), 2);
    assert_eq!(
        c.get(&record_id(1), Some(2)).unwrap(),
        Some(row(1, 2)),
        "not overwritten"
    );
    assert_eq!(c.count().unwrap(), 2);
}

pub(super) fn batch_with_duplicate_inserts_nothing(c: &dyn Catalog) {
    insert_ok(c, &[row(1, 1)], "first");
    let batch = [row(2, 1), row(3, 1), row(1, 1), row(4, 1)];
    assert_exists(c.insert(&batch), &record_id(1), 1);
    assert_eq!(c.count().unwrap(), 1, "nothing of the batch inserted");
    for n in [2, 3, 4] {
        assert_eq!(c.get(&record_id(n), None).unwrap(), None, "record {n}");
    }
    insert_ok(c, &batch[..2], "the batch without the duplicate");
}

pub(super) fn duplicate_within_batch(c: &dyn Catalog) {
    assert_exists(
        c.insert(&[row(5, 1), row(6, 1), row(5, 1)]),
        &record_id(5),
        1,
    );
    assert_eq!(c.count().unwrap(), 0);
}

pub(super) fn previous_version_must_exist(c: &dyn Catalog) {
    insert_ok(c, &[row(1, 1), row(1, 2)], "previous earlier in the batch");
    insert_ok(c, &[row(1, 3)], "previous stored");
    super::assert_invalid(c.insert(&[row(2, 2)]), "previous absent");
    super::assert_invalid(
        c.insert(&[row(3, 2), row(3, 1)]),
        "previous later in the batch",
    );
    let cross = RecordRow {
        previous_version: Some(1),
        ..row(4, 2)
    };
    super::assert_invalid(c.insert(&[cross]), "previous of another record");
    assert_eq!(c.count().unwrap(), 3);
}

pub(super) fn rewrap(c: &dyn Catalog) {
    insert_ok(c, &[row(1, 1), row(1, 2), row(2, 1)], "rows");
    let key = [0x00, 0xff, 0x00, 0x42, 0xff];
    c.rewrap(&record_id(1), 1, 7, &key).unwrap();
    let expect = RecordRow {
        kek_version: 7,
        wrapped_key: key.to_vec(),
        ..row(1, 1)
    };
    assert_eq!(
        c.get(&record_id(1), Some(1)).unwrap(),
        Some(expect),
        "only the key changed"
    );
    assert_eq!(
        c.get(&record_id(1), Some(2)).unwrap(),
        Some(row(1, 2)),
        "other version"
    );
    assert_eq!(
        c.get(&record_id(2), Some(1)).unwrap(),
        Some(row(2, 1)),
        "other record"
    );
    c.rewrap(&record_id(1), 1, u32::MAX, &[]).unwrap();
    let again = c.get(&record_id(1), Some(1)).unwrap().unwrap();
    assert_eq!(
        (again.kek_version, again.wrapped_key),
        (u32::MAX, Vec::new())
    );
    assert_eq!(c.count().unwrap(), 3);
}

pub(super) fn rewrap_not_found(c: &dyn Catalog) {
    insert_ok(c, &[row(1, 1)], "row");
    for (id, v) in [(record_id(1), 2), (record_id(2), 1), (record_id(1), 0)] {
        match c.rewrap(&id, v, 2, b"key") {
            Err(Error::NotFound { record_id, version }) => {
                assert_eq!((record_id, version), (id, Some(v)));
            }
            other => panic!("rewrap of absent {id} v{v}: expected NotFound, got {other:?}"),
        }
    }
    assert_eq!(c.get(&record_id(1), None).unwrap(), Some(row(1, 1)));
}

pub(super) fn count(c: &dyn Catalog) {
    insert_ok(c, &[row(1, 1), row(1, 2), row(2, 1)], "three");
    assert_eq!(c.count().unwrap(), 3);
    assert_exists(c.insert(&[row(3, 1), row(1, 1)]), &record_id(1), 1);
    assert_eq!(c.count().unwrap(), 3, "a refused batch counts nothing");
    insert_ok(c, &[row(3, 1)], "four");
    assert_eq!(c.count().unwrap(), 4);
}

pub(super) fn describe(c: &dyn Catalog) {
    assert!(
        !c.describe().trim().is_empty(),
        "describe says where the catalog is"
    );
}

/// 10,000 rows: 2,000 records of 5 versions, inserted in a scrambled record
/// order, walked back in `record_id`, `version` order.
pub(super) fn for_each_10000_in_order(c: &dyn Catalog) {
    let records = 2_000u64;
    let scrambled = (0..records).map(|i| i * 7919 % records);
    let mut batch = Vec::new();
    for n in scrambled {
        batch.extend((1..=5).map(|v| row(n, v)));
        if batch.len() >= 1_000 {
            insert_ok(c, &batch, "for_each batch");
            batch.clear();
        }
    }
    insert_ok(c, &batch, "for_each batch");
    assert_eq!(c.count().unwrap(), 10_000);
    let mut next = (0..records).flat_map(|n| (1..=5).map(move |v| (n, v)));
    let mut seen = 0u64;
    c.for_each(&mut |r| {
        let (n, v) = next.next().expect("no more rows than inserted");
        assert_eq!(r, row(n, v), "row {seen} in record_id, version order");
        seen += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, 10_000);
}

pub(super) fn for_each_stops_on_error(c: &dyn Catalog) {
    let rows: Vec<_> = (0..20).map(|n| row(n, 1)).collect();
    insert_ok(c, &rows, "rows");
    let mut calls = 0;
    let r = c.for_each(&mut |_| {
        calls += 1;
        if calls == 5 {
            return Err(Error::Invalid {
                detail: "stop here".to_owned(),
            });
        }
        Ok(())
    });
    assert!(
        matches!(r, Err(Error::Invalid { ref detail }) if detail == "stop here"),
        "{r:?}"
    );
    assert_eq!(calls, 5, "no call after the error");
    let mut none = 0;
    c.for_each(&mut |_| {
        none += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(none, 20);
}

/// `probant verify` may read the catalog from inside the walk.
pub(super) fn for_each_callback_may_use_catalog(c: &dyn Catalog) {
    let rows: Vec<_> = (0..3000).map(|n| row(n, 1)).collect();
    insert_ok(c, &rows, "rows");
    let mut seen = 0;
    c.for_each(&mut |r| {
        assert_eq!(c.get(&r.record_id, None)?, Some(r.clone()));
        if seen == 0 {
            c.rewrap(&r.record_id, 1, 2, b"k2")?;
        }
        seen += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, 3000);
}
