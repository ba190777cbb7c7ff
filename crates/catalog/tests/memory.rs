//! The conformance suite run against a minimal in-memory reference catalog:
//! checks the suite itself (that it asks nothing a plain reading of the
//! contract does not promise, nothing only SQLite would do).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound::{Excluded, Unbounded};
use std::sync::Mutex;

use probant_catalog::{conformance, Catalog, Error, Query, RecordRow};

type Key = (String, u32);

#[derive(Default)]
struct Memory {
    rows: Mutex<BTreeMap<Key, RecordRow>>,
}

fn key(r: &RecordRow) -> Key {
    (r.record_id.clone(), r.version)
}

impl Catalog for Memory {
    fn insert(&self, rows: &[RecordRow]) -> Result<(), Error> {
        rows.iter().try_for_each(RecordRow::validate)?;
        let mut map = self.rows.lock().unwrap();
        let mut batch = BTreeSet::new();
        for r in rows {
            if map.contains_key(&key(r)) || !batch.insert(key(r)) {
                return Err(Error::Exists {
                    record_id: r.record_id.clone(),
                    version: r.version,
                });
            }
            if let Some(p) = r.previous_version {
                let k = (r.record_id.clone(), p);
                if !map.contains_key(&k) && !batch.contains(&k) {
                    return Err(Error::Invalid {
                        detail: "previous version absent".into(),
                    });
                }
            }
        }
        map.extend(rows.iter().map(|r| (key(r), r.clone())));
        Ok(())
    }

    fn get(&self, record_id: &str, version: Option<u32>) -> Result<Option<RecordRow>, Error> {
        Ok(self
            .versions(record_id)?
            .into_iter()
            .rfind(|r| version.is_none_or(|v| v == r.version)))
    }

    fn versions(&self, record_id: &str) -> Result<Vec<RecordRow>, Error> {
        let map = self.rows.lock().unwrap();
        Ok(map
            .values()
            .filter(|r| r.record_id == record_id)
            .cloned()
            .collect())
    }

    fn search(&self, q: &Query) -> Result<Vec<RecordRow>, Error> {
        q.validate()?;
        let eq = |w: &Option<String>, h: &str| w.as_deref().is_none_or(|w| w == h);
        let mut v: Vec<_> = self.rows.lock().unwrap().values().cloned().collect();
        v.retain(|r| {
            eq(&q.subject_index, &r.subject_index)
                && eq(&q.original_id, &r.original_id)
                && eq(&q.doc_type, &r.doc_type)
                && q.created_from
                    .as_deref()
                    .is_none_or(|f| r.created.as_str() >= f)
                && q.created_to
                    .as_deref()
                    .is_none_or(|t| r.created.as_str() <= t)
        });
        v.sort_by(|a, b| {
            (&a.created, &a.record_id, a.version).cmp(&(&b.created, &b.record_id, b.version))
        });
        v.truncate(q.limit.map_or(usize::MAX, |l| l as usize));
        Ok(v)
    }

    fn for_each(&self, f: &mut dyn FnMut(RecordRow) -> Result<(), Error>) -> Result<(), Error> {
        let mut last: Option<Key> = None;
        loop {
            let page: Vec<RecordRow> = {
                let map = self.rows.lock().unwrap();
                let from = last.clone().map_or(Unbounded, Excluded);
                map.range((from, Unbounded))
                    .take(100)
                    .map(|(_, r)| r.clone())
                    .collect()
            };
            let Some(end) = page.last() else {
                return Ok(());
            };
            last = Some(key(end));
            page.into_iter().try_for_each(&mut *f)?;
        }
    }

    fn rewrap(
        &self,
        record_id: &str,
        version: u32,
        kek_version: u32,
        wrapped_key: &[u8],
    ) -> Result<(), Error> {
        let mut map = self.rows.lock().unwrap();
        let r = map
            .get_mut(&(record_id.to_owned(), version))
            .ok_or_else(|| Error::NotFound {
                record_id: record_id.to_owned(),
                version: Some(version),
            })?;
        r.kek_version = kek_version;
        r.wrapped_key = wrapped_key.to_vec();
        Ok(())
    }

    fn count(&self) -> Result<u64, Error> {
        Ok(self.rows.lock().unwrap().len() as u64)
    }

    fn describe(&self) -> String {
        "memory (test reference)".to_owned()
    }
}

#[test]
fn conformance_suite_passes_on_the_reference() {
    conformance::run_all(&|| Box::new(Memory::default()));
}

#[test]
fn row_serde_round_trip() {
    let r = conformance::row(7, 3);
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(serde_json::from_str::<RecordRow>(&json).unwrap(), r);
}

#[test]
fn errors_carry_no_values() {
    let secret = "85073003361";
    let bad = RecordRow {
        subject_index: secret.to_uppercase() + "X",
        ..conformance::row(1, 1)
    };
    let e = bad.validate().unwrap_err().to_string();
    assert!(!e.contains(secret), "{e}");
    let q = Query {
        created_from: Some(secret.to_owned()),
        ..Query::default()
    };
    let e = q.validate().unwrap_err().to_string();
    assert!(!e.contains(secret), "{e}");
}
