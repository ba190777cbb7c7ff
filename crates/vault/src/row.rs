//! Catalog rows: sealing personal fields, and the metadata digest that ties
//! a row to its journal entry (so an edited row is detected, AR-3.4).
use probant_catalog::RecordRow;
use probant_verify::{hash::sha256, hash::to_hex, jcs};

use crate::{Error, Vault};

/// Associated data binding a sealed field to its record version and role.
pub(crate) fn field_aad(record: &str, version: u32, field: &str) -> Vec<u8> {
    format!("probant/catalog/v1/{record}/{version}/{field}").into_bytes()
}

/// Associated data of a record version's wrapped data key.
pub(crate) fn key_aad(record: &str, version: u32) -> Vec<u8> {
    format!("probant/record-key/v1/{record}/{version}").into_bytes()
}

/// SHA-256 of the canonical JSON of every metadata field the row holds,
/// except those that legitimately change after ingest (the wrapped key and
/// its KEK version, on rotation) and the journal index (known only after
/// the entry is written).
pub(crate) fn metadata_digest(row: &RecordRow) -> Result<String, Error> {
    let mut v = serde_json::to_value(row).map_err(|e| Error::Integrity {
        detail: e.to_string(),
    })?;
    if let Some(m) = v.as_object_mut() {
        for k in ["journal_index", "kek_version", "wrapped_key"] {
            m.remove(k);
        }
    }
    let text = jcs::canonicalize(&v).map_err(|e| Error::Integrity {
        detail: e.to_string(),
    })?;
    Ok(to_hex(&sha256(text.as_bytes())))
}

impl Vault {
    pub(crate) fn seal_field(
        &self,
        record: &str,
        version: u32,
        field: &str,
        value: &[u8],
    ) -> Vec<u8> {
        self.catalog_sealer
            .seal(&field_aad(record, version, field), value)
    }

    pub(crate) fn open_field(
        &self,
        row: &RecordRow,
        field: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.catalog_sealer
            .open(&field_aad(&row.record_id, row.version, field), sealed)
            .map_err(|_| Error::Integrity {
                detail: format!(
                    "the {field} of record {} version {} does not decrypt",
                    row.record_id, row.version
                ),
            })
    }
}
