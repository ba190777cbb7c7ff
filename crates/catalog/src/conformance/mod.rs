//! The behaviour every [`Catalog`] backend must have, as one suite that each
//! backend runs against itself (as rustls runs one suite per provider):
//!
//! ```text
//! probant_catalog::conformance::run_all(&|| Box::new(MyCatalog::new_empty()));
//! ```
//!
//! Each case gets a fresh, empty catalog from the closure and panics (with
//! the case's name on stderr) on the first difference from the contract
//! documented on [`Catalog`] and [`RecordRow::validate`]. The cases use only
//! the trait, never a backend's own features, and the fixtures
//! ([`record_id`], [`row`]) are public so that backends' own tests can reuse
//! them.

mod invalid;
mod rows;
mod search;

use crate::{Catalog, Error, RecordRow};

/// One conformance case: a name and a check run on a fresh, empty catalog.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// Short name, printed before the case runs.
    pub name: &'static str,
    /// The check; panics on failure.
    pub run: fn(&dyn Catalog),
}

/// Every case, in the order [`run_all`] runs them.
pub const CASES: &[Case] = &[
    case("round_trip_every_field", rows::round_trip_every_field),
    case("round_trip_empty_and_none", rows::round_trip_empty_and_none),
    case(
        "round_trip_extreme_numbers",
        rows::round_trip_extreme_numbers,
    ),
    case("get_latest_version", rows::get_latest_version),
    case("versions_ascending", rows::versions_ascending),
    case("insert_empty_batch", rows::insert_empty_batch),
    case("insert_exists", rows::insert_exists),
    case(
        "batch_with_duplicate_inserts_nothing",
        rows::batch_with_duplicate_inserts_nothing,
    ),
    case("duplicate_within_batch", rows::duplicate_within_batch),
    case(
        "previous_version_must_exist",
        rows::previous_version_must_exist,
    ),
    case("rewrap", rows::rewrap),
    case("rewrap_not_found", rows::rewrap_not_found),
    case("count", rows::count),
    case("describe", rows::describe),
    case("for_each_10000_in_order", rows::for_each_10000_in_order),
    case("for_each_stops_on_error", rows::for_each_stops_on_error),
    case(
        "for_each_callback_may_use_catalog",
        rows::for_each_callback_may_use_catalog,
    ),
    case("search_each_criterion", search::each_criterion),
    case("search_combined", search::combined),
    case("search_date_range_inclusive", search::date_range_inclusive),
    case("search_limit", search::limit),
    case("search_ordering", search::ordering),
    case("search_all_rows", search::all_rows),
    case(
        "search_values_are_exact_data",
        search::values_are_exact_data,
    ),
    case("invalid_rows_refused", invalid::rows_refused),
    case(
        "invalid_row_in_batch_inserts_nothing",
        invalid::row_in_batch_inserts_nothing,
    ),
    case("boundary_rows_accepted", invalid::boundary_rows_accepted),
    case("invalid_queries_refused", invalid::queries_refused),
];

const fn case(name: &'static str, run: fn(&dyn Catalog)) -> Case {
    Case { name, run }
}

/// Runs every case in [`CASES`], each on a fresh catalog from `new_catalog`.
pub fn run_all(new_catalog: &dyn Fn() -> Box<dyn Catalog>) {
    for c in CASES {
        run_case(c, new_catalog);
    }
}

/// Runs one case on a fresh catalog from `new_catalog`, after checking that
/// the catalog is empty.
pub fn run_case(case: &Case, new_catalog: &dyn Fn() -> Box<dyn Catalog>) {
    eprintln!("catalog conformance: {}", case.name);
    let catalog = new_catalog();
    assert_eq!(
        catalog.count().expect("count"),
        0,
        "{}: catalog not empty",
        case.name
    );
    (case.run)(catalog.as_ref());
}

/// A canonical-looking UUIDv7 for record number `n` (ids sort as `n` does).
pub fn record_id(n: u64) -> String {
    format!("0190a3c4-5e6f-7a8b-9c0d-{n:012x}")
}

/// A valid row for record `n`, `version`: linked to `version - 1` (so
/// versions inserted in ascending order are accepted), created on a date
/// that depends on `n`, with every optional field set.
pub fn row(n: u64, version: u32) -> RecordRow {
    let (y, m, d) = (2015 + n / 336 % 10, 1 + n / 28 % 12, 1 + n % 28);
    RecordRow {
        record_id: record_id(n),
        version,
        previous_version: (version > 1).then(|| version - 1),
        subject_index: format!("{:064x}", n % 7 + 0xabc0),
        subject_sealed: vec![0x00, 0xff, n as u8, version as u8, 0x00],
        doc_type: ["decision", "letter", "attestation"][(n % 3) as usize].to_owned(),
        title_sealed: Some(vec![0xff, 0x00, 0x7f, 0x80]),
        original_id: format!("PAPER-{:04}", n % 11),
        original_destroyed: Some(format!("{y:04}-{m:02}-{:02}", d.min(27) + 1)),
        created: format!("{y:04}-{m:02}-{d:02}"),
        recorded: format!("{y:04}-{m:02}-{d:02}T10:11:12Z"),
        recorded_late: n % 2 == 1,
        controller: "RSZ-ONSS".to_owned(),
        executor: format!("operator-{}", n % 5),
        place: "Bruxelles/Brussel".to_owned(),
        classification: ["internal", "confidential"][(n % 2) as usize].to_owned(),
        retention_class: "R10".to_owned(),
        retention_due: format!("{:04}-{m:02}-{d:02}", y + 10),
        legal_hold: n.is_multiple_of(4),
        format: r#"{"pronom":"fmt/95","media_type":"application/pdf"}"#.to_owned(),
        size: 1000 + n,
        sha256: format!("{:064x}", n * 1000 + u64::from(version)),
        blob_key: format!("blobs/{}/{version}", record_id(n)),
        kek_version: 1,
        wrapped_key: vec![1, 2, 3, 0x00, 0xff, version as u8],
        meta_sealed: Some(vec![0x00; 3]),
        provenance: r#"{"event":"ingest"}"#.to_owned(),
        journal_index: n * 16 + u64::from(version),
    }
}

/// Inserts `rows` and panics with `what` on failure.
fn insert_ok(c: &dyn Catalog, rows: &[RecordRow], what: &str) {
    if let Err(e) = c.insert(rows) {
        panic!("{what}: insert failed: {e}");
    }
}

/// Panics unless `r` is `Exists` for exactly `record_id`/`version`.
fn assert_exists(r: Result<(), Error>, record_id: &str, version: u32) {
    match r {
        Err(Error::Exists {
            record_id: id,
            version: v,
        }) => {
            assert_eq!(
                (id.as_str(), v),
                (record_id, version),
                "Exists names the duplicate"
            );
        }
        other => panic!("expected Exists({record_id}, {version}), got {other:?}"),
    }
}

/// Panics unless `r` is `Invalid`.
fn assert_invalid<T: std::fmt::Debug>(r: Result<T, Error>, what: &str) {
    match r {
        Err(Error::Invalid { .. }) => {}
        other => panic!("{what}: expected Invalid, got {other:?}"),
    }
}
