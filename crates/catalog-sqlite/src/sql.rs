//! Statement texts and the mapping between [`RecordRow`] and SQL values.
//! Every value is a bound parameter; SQL text is only ever assembled from
//! the constant fragments below.

use probant_catalog::{Query, RecordRow};
use rusqlite::types::ToSql;
use rusqlite::{params, Row, Statement};

/// The columns of `records`, in [`RecordRow`] field order (a macro, so that
/// the statements below are constants).
macro_rules! columns {
    () => {
        "record_id, version, previous_version, subject_index, subject_sealed, doc_type, \
         title_sealed, original_id, original_destroyed, created, recorded, recorded_late, \
         controller, executor, place, classification, retention_class, retention_due, \
         legal_hold, format, size, sha256, blob_key, kek_version, wrapped_key, meta_sealed, \
         provenance, journal_index"
    };
}

pub(crate) const INSERT: &str = concat!(
    "INSERT INTO records (",
    columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
     ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)"
);

pub(crate) const GET_VERSION: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM records WHERE record_id = ?1 AND version = ?2"
);

pub(crate) const GET_LATEST: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM records WHERE record_id = ?1 ORDER BY version DESC LIMIT 1"
);

pub(crate) const VERSIONS: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM records WHERE record_id = ?1 ORDER BY version"
);

/// The first page of a walk in primary-key order.
pub(crate) const PAGE_FIRST: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM records ORDER BY record_id, version LIMIT ?1"
);

/// The page after `(?1, ?2)` in primary-key order (keyset pagination: each
/// page is a range scan of the primary key, whatever the catalog's size).
pub(crate) const PAGE_AFTER: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM records WHERE (record_id, version) > (?1, ?2) ORDER BY record_id, version LIMIT ?3"
);

pub(crate) const REWRAP: &str =
    "UPDATE records SET kek_version = ?3, wrapped_key = ?4 WHERE record_id = ?1 AND version = ?2";

pub(crate) const COUNT: &str = "SELECT count(*) FROM records";

/// A search statement and its named parameters: one clause per criterion
/// given (so each combination has its own cached, index-friendly plan).
pub(crate) fn search(q: &Query) -> (String, Vec<(&'static str, &dyn ToSql)>) {
    let mut sql = concat!("SELECT ", columns!(), " FROM records WHERE 1 = 1").to_owned();
    let mut params: Vec<(&'static str, &dyn ToSql)> = Vec::new();
    let criteria: [(&Option<String>, &str, &'static str); 5] = [
        (
            &q.subject_index,
            " AND subject_index = :subject_index",
            ":subject_index",
        ),
        (
            &q.original_id,
            " AND original_id = :original_id",
            ":original_id",
        ),
        (&q.doc_type, " AND doc_type = :doc_type", ":doc_type"),
        (
            &q.created_from,
            " AND created >= :created_from",
            ":created_from",
        ),
        (&q.created_to, " AND created <= :created_to", ":created_to"),
    ];
    for (value, clause, name) in criteria {
        if let Some(v) = value {
            sql.push_str(clause);
            params.push((name, v));
        }
    }
    sql.push_str(" ORDER BY created, record_id, version LIMIT :limit");
    // SQLite reads a negative LIMIT as "no limit".
    let limit: &dyn ToSql = match &q.limit {
        Some(n) => n,
        None => &-1i64,
    };
    params.push((":limit", limit));
    (sql, params)
}

/// Executes [`INSERT`] for `r`. `size` and `journal_index` were checked to
/// fit an `i64` by [`RecordRow::validate`]; were they not, -1 would fail the
/// table's CHECK rather than wrap.
pub(crate) fn insert(stmt: &mut Statement<'_>, r: &RecordRow) -> rusqlite::Result<usize> {
    let size = i64::try_from(r.size).unwrap_or(-1);
    let journal_index = i64::try_from(r.journal_index).unwrap_or(-1);
    stmt.execute(params![
        r.record_id,
        r.version,
        r.previous_version,
        r.subject_index,
        r.subject_sealed,
        r.doc_type,
        r.title_sealed,
        r.original_id,
        r.original_destroyed,
        r.created,
        r.recorded,
        r.recorded_late,
        r.controller,
        r.executor,
        r.place,
        r.classification,
        r.retention_class,
        r.retention_due,
        r.legal_hold,
        r.format,
        size,
        r.sha256,
        r.blob_key,
        r.kek_version,
        r.wrapped_key,
        r.meta_sealed,
        r.provenance,
        journal_index,
    ])
}

/// Reads a row selected with [`COLUMNS`]. A value out of its Rust type's
/// range (a damaged or hand-edited row) is an error, never wrapped.
pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<RecordRow> {
    let unsigned = |i: usize| -> rusqlite::Result<u64> {
        let v: i64 = row.get(i)?;
        u64::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(i, v))
    };
    Ok(RecordRow {
        record_id: row.get(0)?,
        version: row.get(1)?,
        previous_version: row.get(2)?,
        subject_index: row.get(3)?,
        subject_sealed: row.get(4)?,
        doc_type: row.get(5)?,
        title_sealed: row.get(6)?,
        original_id: row.get(7)?,
        original_destroyed: row.get(8)?,
        created: row.get(9)?,
        recorded: row.get(10)?,
        recorded_late: row.get(11)?,
        controller: row.get(12)?,
        executor: row.get(13)?,
        place: row.get(14)?,
        classification: row.get(15)?,
        retention_class: row.get(16)?,
        retention_due: row.get(17)?,
        legal_hold: row.get(18)?,
        format: row.get(19)?,
        size: unsigned(20)?,
        sha256: row.get(21)?,
        blob_key: row.get(22)?,
        kek_version: row.get(23)?,
        wrapped_key: row.get(24)?,
        meta_sealed: row.get(25)?,
        provenance: row.get(26)?,
        journal_index: unsigned(27)?,
    })
}
