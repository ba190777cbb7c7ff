//! Format migration (AR-16, AR-20.12): a record kept in a format that is
//! losing support is converted into another long-term format as a **new
//! version**, never replacing the original, whose content, digest and
//! journal entry stay as they were.
//!
//! The conversion is `probant_formats::migrate`, which decodes its own
//! output again and compares it sample by sample with the source: a
//! migration is recorded as lossless only when that comparison holds.
//! What the target cannot hold is named; such a migration is refused
//! unless a lossy one is explicitly allowed, and is then recorded as lossy
//! with its losses. The new version's provenance says where it comes from,
//! with which tool and parameters, as a PREMIS-style migration event; its
//! journal entry (`record.migrate`) carries the new content's SHA-256 and
//! the source version's.
use std::path::{Path, PathBuf};

use probant_catalog::RecordRow;
use probant_formats::{Format, Migration};
use probant_journal::Outcome;
use probant_verify::hash::{sha256, to_hex};
use serde::Serialize;
use serde_json::{json, Value};

use crate::export::Selection;
use crate::ingest::{NewVersion, Placement, Staged, SOURCE_NAME};
use crate::read::{resource_of, target_of, SegmentBuffer};
use crate::{Ctx, Error, Grant, IngestRequest, Operation, RecordView, Vault};

/// A new version made by a migration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Migrated {
    /// Record id.
    pub record_id: String,
    /// The version migrated (left untouched).
    pub source_version: u32,
    /// The new version.
    pub version: u32,
    /// SHA-256 of the new content, lowercase hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its PRONOM id.
    pub pronom: String,
    /// Its media type.
    pub media_type: String,
    /// Proven lossless (decoded again and compared sample by sample).
    pub lossless: bool,
    /// What was lost (empty when lossless).
    pub losses: Vec<String>,
    /// The `record.migrate` journal entry.
    pub journal_index: u64,
}

impl Vault {
    /// Migrates the latest version of each selected record that is in
    /// format `from` to format `to`; one result per record. A record named
    /// explicitly that is not in `from` is an error; one found by a query
    /// is skipped. Each migration is authorised as an ingest on the record.
    pub fn migrate(
        &self,
        ctx: &Ctx,
        from: Format,
        to: Format,
        selection: &Selection,
        allow_lossy: bool,
    ) -> Result<Vec<Result<Migrated, Error>>, Error> {
        let explicit = matches!(selection, Selection::Records(_));
        let mut results = Vec::new();
        for id in self.selected_ids(ctx, selection)? {
            let Some(row) = self.catalog.get(&id, None)? else {
                results.push(Err(self.not_found(ctx, Operation::Ingest, &id, None)));
                continue;
            };
            if is_in_format(&row, from) {
                results.push(self.migrate_one(ctx, &row, to, allow_lossy));
            } else if explicit {
                results.push(Err(Error::invalid(
                    "--from",
                    format!(
                        "record {} version {} is not recorded as {from}",
                        row.record_id, row.version
                    ),
                )));
            }
        }
        Ok(results)
    }

    fn migrate_one(
        &self,
        ctx: &Ctx,
        source: &RecordRow,
        to: Format,
        allow_lossy: bool,
    ) -> Result<Migrated, Error> {
        let grant = self.authorize(
            ctx,
            Operation::Ingest,
            &target_of(source),
            resource_of(source),
        )?;
        let (staged, migration) = self
            .stage_migration(ctx, source, to, allow_lossy, &grant)
            .inspect_err(|e| {
                // The permit was given: its entry says nothing was stored.
                let mut f = self.granted_event(ctx, Operation::Ingest, &grant, resource_of(source));
                f.action = "record.migrate".into();
                f.outcome = Outcome::Failure;
                f.malfunction = Some(format!("nothing stored: {}", e.kind_text()));
                let _ = self.journal.append(&f);
            })?;
        let stored = self.commit(vec![Ok(staged)]).remove(0)?;
        Ok(Migrated {
            record_id: stored.record_id,
            source_version: source.version,
            version: stored.version,
            sha256: stored.sha256,
            size: stored.size,
            pronom: migration.pronom.to_owned(),
            media_type: migration.media_type.to_owned(),
            lossless: migration.lossless,
            losses: migration.losses,
            journal_index: stored.journal_index,
        })
    }

    /// Converts in memory and stores the result as the next version.
    fn stage_migration(
        &self,
        ctx: &Ctx,
        source: &RecordRow,
        to: Format,
        allow_lossy: bool,
        grant: &Grant,
    ) -> Result<(Staged, Migration), Error> {
        let plaintext = self.plaintext_in_memory(source)?;
        let migration = probant_formats::migrate(&plaintext, to, allow_lossy).map_err(|e| {
            Error::Migration {
                record: source.record_id.clone(),
                version: source.version,
                source: e,
            }
        })?;
        drop(plaintext);
        let view = self.view(source)?;
        let req = same_metadata(&view);
        let checked = self.check_request(&req)?;
        let version = source.version + 1;
        let at = Placement {
            record_id: source.record_id.clone(),
            version,
            previous: Some(source.version),
            provenance: provenance(source, version, &migration),
            source_name: view
                .meta
                .get(SOURCE_NAME)
                .map(|n| renamed(n, migration.format)),
        };
        let details = json!({
            "source_version": source.version,
            "source_sha256": source.sha256,
            "tool": migration.tool,
            "lossless": migration.lossless,
            "losses": migration.losses,
        });
        let new = NewVersion {
            req: &req,
            checked: &checked,
            at,
            bytes: Some(&migration.bytes),
        };
        let staged = self.stage_version(ctx, grant, new, &mut |row| {
            // Retention and the paper original's fate are the record's, not
            // the version's.
            row.retention_due = view.retention_due.clone();
            row.legal_hold = view.legal_hold;
            row.original_destroyed = view.original_destroyed.clone();
            Ok(Some(("record.migrate", details.clone())))
        })?;
        Ok((staged, migration))
    }

    /// A version's content in memory, its digest checked; refused above
    /// the policy's in-memory limit (a migration decodes whole images).
    fn plaintext_in_memory(&self, row: &RecordRow) -> Result<Vec<u8>, Error> {
        if row.size > self.policy.max_validated_in_memory {
            return Err(Error::invalid(
                "migrate",
                format!(
                    "record {} version {} has {} bytes, above the in-memory limit of {} bytes",
                    row.record_id, row.version, row.size, self.policy.max_validated_in_memory
                ),
            ));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(row.size).unwrap_or(0));
        let mut buffer = SegmentBuffer::default();
        self.copy_content(row, &mut bytes, Path::new("memory"), &mut buffer)?;
        Ok(bytes)
    }
}

/// Whether the catalog records `row` as a validated file of format `from`.
fn is_in_format(row: &RecordRow, from: Format) -> bool {
    let format: Value = serde_json::from_str(&row.format).unwrap_or(Value::Null);
    format["validated"] == true && format["media_type"] == from.media_type()
}

/// The request that stores a new version with the same metadata.
fn same_metadata(view: &RecordView) -> IngestRequest {
    let mut meta = view.meta.clone();
    meta.remove(SOURCE_NAME);
    IngestRequest {
        source: PathBuf::from(format!(
            "record {} version {} (migrated)",
            view.record_id, view.version
        )),
        subject: view.subject.clone(),
        doc_type: view.doc_type.clone(),
        original_id: view.original_id.clone(),
        classification: view.classification.clone(),
        retention: view.retention_class.clone(),
        created: Some(view.created.clone()),
        title: view.title.clone(),
        meta,
        new_version_of: None,
    }
}

/// The file name with the target format's extension.
fn renamed(name: &str, to: Format) -> String {
    let ext = match to {
        Format::Png => "png",
        Format::Tiff => "tiff",
        Format::Pdf => "pdf",
        Format::Jpeg => "jpg",
        Format::Jpeg2000 => "jp2",
        Format::Xml => "xml",
        Format::Json => "json",
        _ => "txt",
    };
    Path::new(name)
        .with_extension(ext)
        .to_string_lossy()
        .into_owned()
}

/// The new version's provenance: the source version, the tool and its
/// parameters, and a PREMIS-style event (PREMIS 3 semantic units
/// `eventType`, `eventDateTime`, `eventDetail`, `eventOutcome`,
/// `linkingAgent`, `linkingObjects`).
fn provenance(source: &RecordRow, version: u32, m: &Migration) -> Value {
    let target_sha256 = to_hex(&sha256(&m.bytes));
    let from = serde_json::from_str::<Value>(&source.format).unwrap_or(Value::Null);
    let outcome = if m.lossless {
        "success: lossless (output decoded again and compared sample by sample)".to_owned()
    } else {
        format!(
            "success, lossy (explicitly allowed): {}",
            m.losses.join("; ")
        )
    };
    json!({
        "event": "migration",
        "previous_version": source.version,
        "source_version": source.version,
        "source_sha256": source.sha256,
        "tool": m.tool,
        "parameters": m.parameters,
        "lossless": m.lossless,
        "losses": m.losses,
        "premis": {
            "eventIdentifier": uuid::Uuid::now_v7().to_string(),
            "eventType": "migration",
            "eventDateTime": probant_journal::entry::format_time(crate::ingest::now_micros()),
            "eventDetail": format!("format migration from {} ({}) to {} ({})",
                from["media_type"].as_str().unwrap_or("?"), from["pronom"].as_str().unwrap_or("?"),
                m.media_type, m.pronom),
            "eventOutcome": outcome,
            "linkingAgent": { "type": "software", "name": m.tool, "role": "executing program" },
            "linkingObjects": [
                { "role": "source", "record_id": source.record_id, "version": source.version, "sha256": source.sha256 },
                { "role": "outcome", "record_id": source.record_id, "version": version, "sha256": target_sha256 },
            ],
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_migrated_file_name_takes_the_target_extension() {
        assert_eq!(renamed("scan-001.tiff", Format::Png), "scan-001.png");
        assert_eq!(renamed("scan", Format::Png), "scan.png");
    }
}
