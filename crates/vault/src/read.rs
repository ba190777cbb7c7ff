//! Reading: `get` (content), `search` and `show` (metadata). Each is
//! journaled; a read's entry is durable before a byte of content is
//! written (N-5.9.5, DESIGN data flow). Content is checked against its
//! recorded digest while it is written, and only a complete, verified file
//! is put in place.
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use probant_blobs::BlobKey;
use probant_catalog::{Query, RecordRow};
use probant_crypto::{DecryptingReader, WrappedKey};
use probant_journal::{Outcome, Resource};
use serde::Serialize;
use serde_json::json;

use crate::row::key_aad;
use crate::{Ctx, Error, Operation, Target, Vault};

/// A record version's metadata, with its personal fields decrypted for an
/// authorised reader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordView {
    /// Record id.
    pub record_id: String,
    /// Version.
    pub version: u32,
    /// Previous version, if this is a new version.
    pub previous_version: Option<u32>,
    /// The data subject's national number.
    pub subject: String,
    /// Its keyed pseudonym (as in the journal).
    pub subject_pseudonym: String,
    /// Document type.
    pub doc_type: String,
    /// Title.
    pub title: Option<String>,
    /// Paper original's identifier (AR-17).
    pub original_id: String,
    /// When the paper original was destroyed.
    pub original_destroyed: Option<String>,
    /// Creation date.
    pub created: String,
    /// Recording time.
    pub recorded: String,
    /// Recorded after the day of creation (AR-17).
    pub recorded_late: bool,
    /// Controller, executor, place (AR-3.5).
    pub controller: String,
    /// Executor.
    pub executor: String,
    /// Place.
    pub place: String,
    /// Classification level.
    pub classification: String,
    /// Retention class.
    pub retention_class: String,
    /// Retention due date.
    pub retention_due: String,
    /// Legal hold.
    pub legal_hold: bool,
    /// Format (PRONOM id, media type, validation).
    pub format: serde_json::Value,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// Provenance.
    pub provenance: serde_json::Value,
    /// Further metadata.
    pub meta: BTreeMap<String, String>,
    /// The journal entry that recorded this version.
    pub journal_index: u64,
}

/// Search criteria (AND).
#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    /// Subject's national number (matched through its blind index).
    pub subject: Option<String>,
    /// Paper original's identifier.
    pub original_id: Option<String>,
    /// Document type.
    pub doc_type: Option<String>,
    /// Created on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// Created on or before (YYYY-MM-DD).
    pub to: Option<String>,
    /// At most this many.
    pub limit: Option<u32>,
}

/// What `get` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Read {
    /// Record id.
    pub record_id: String,
    /// Version.
    pub version: u32,
    /// Where the content was written.
    pub path: PathBuf,
    /// Bytes.
    pub size: u64,
    /// Verified SHA-256.
    pub sha256: String,
    /// The journal entry of this read.
    pub journal_index: u64,
}

/// What the gate decides on for a record version.
pub(crate) fn target_of(row: &RecordRow) -> Target<'_> {
    Target {
        record: Some(&row.record_id),
        doc_type: Some(&row.doc_type),
        classification: Some(&row.classification),
        subject: Some(&row.subject_index),
        retention: Some(&row.retention_class),
        requester: None,
    }
}

pub(crate) fn resource_of(row: &RecordRow) -> Resource {
    Resource {
        record: Some(row.record_id.clone()),
        version: Some(row.version.into()),
        subject: Some(row.subject_index.clone()),
        nature: Some(row.doc_type.clone()),
        classification: Some(row.classification.clone()),
        sha256: None,
    }
}

impl Vault {
    fn row(
        &self,
        ctx: &Ctx,
        action: &str,
        id: &str,
        version: Option<u32>,
    ) -> Result<RecordRow, Error> {
        match self.catalog.get(id, version)? {
            Some(r) => Ok(r),
            None => {
                // A request for something absent is journaled too, as a failure.
                let res = Resource {
                    record: Some(id.to_owned()),
                    version: version.map(Into::into),
                    ..Resource::default()
                };
                self.journal
                    .append(&self.event(ctx, action, Outcome::Failure, res))?;
                Err(Error::NotFound {
                    record: id.to_owned(),
                    version,
                })
            }
        }
    }

    /// Writes the content of a record version to `out`, bit-identical to
    /// what was ingested. The read is journaled, durably, first.
    pub fn get(
        &self,
        ctx: &Ctx,
        id: &str,
        version: Option<u32>,
        out: &Path,
    ) -> Result<Read, Error> {
        let row = self.row(ctx, "record.read", id, version)?;
        let grant = self.authorize(ctx, Operation::Read, &target_of(&row), resource_of(&row))?;
        let receipt = self.journal.append(&self.granted_event(
            ctx,
            Operation::Read,
            &grant,
            resource_of(&row),
        ))?;
        let tmp = out.with_file_name(format!(
            ".{}.probant-partial",
            out.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        if let Err(e) = self.write_content(&row, &tmp) {
            let _ = std::fs::remove_file(&tmp);
            let e = match e {
                Error::Io { source, .. } => Error::Io {
                    path: out.to_owned(),
                    source,
                },
                other => other,
            };
            // Nothing was delivered: the journal says so after the success
            // entry that had to precede the content.
            let mut f = self.granted_event(ctx, Operation::Read, &grant, resource_of(&row));
            f.outcome = Outcome::Failure;
            f.malfunction = Some(format!("nothing delivered: {e}"));
            let _ = self.journal.append(&f);
            return Err(e);
        }
        std::fs::rename(&tmp, out).map_err(Error::io(out))?;
        Ok(Read {
            record_id: row.record_id,
            version: row.version,
            path: out.to_owned(),
            size: row.size,
            sha256: row.sha256,
            journal_index: receipt.index,
        })
    }

    /// Decrypts into `path` while hashing; refuses content whose digest or
    /// length differs from the recorded one.
    fn write_content(&self, row: &RecordRow, path: &Path) -> Result<(), Error> {
        let mut file = std::fs::File::create(path).map_err(Error::io(path))?;
        self.copy_content(row, &mut file, path, &mut SegmentBuffer::default())?;
        file.sync_all().map_err(Error::io(path))?;
        Ok(())
    }

    /// Decrypts a version's content into `out` (named `out_path` in errors)
    /// while hashing it, and refuses it unless its length and SHA-256 are
    /// the recorded ones; returns both. `buffer` is lent to the decrypting
    /// reader and given back, for a worker that copies many versions.
    pub(crate) fn copy_content(
        &self,
        row: &RecordRow,
        out: &mut impl Write,
        out_path: &Path,
        buffer: &mut SegmentBuffer,
    ) -> Result<(u64, [u8; 32]), Error> {
        let mut reader = self.open_content(row, std::mem::take(buffer))?;
        let (size, digest) = copy_hashing(&mut reader, out, out_path, row)?;
        *buffer = reader.into_buffer();
        check_digest(row, size, &digest)?;
        Ok((size, digest))
    }

    /// A reader of a version's plaintext (authenticated segment by segment).
    pub(crate) fn open_content(
        &self,
        row: &RecordRow,
        buffer: SegmentBuffer,
    ) -> Result<DecryptingReader<Box<dyn std::io::Read + Send>>, Error> {
        let wrapped = WrappedKey {
            kek_version: row.kek_version,
            bytes: row.wrapped_key.clone(),
        };
        let key = self
            .ring()
            .unwrap_data_key(&wrapped, &key_aad(&row.record_id, row.version))
            .map_err(|_| Error::Integrity {
                detail: format!(
                    "the data key of record {} version {} does not unwrap",
                    row.record_id, row.version
                ),
            })?;
        let blob = self.blobs.open(&BlobKey::new(&row.blob_key)?)?;
        DecryptingReader::with_buffer(&key, blob, buffer).map_err(|_| Error::Integrity {
            detail: format!("the content of record {} version {} does not decrypt (altered, truncated or swapped)", row.record_id, row.version),
        })
    }

    /// Records matching `q`; the search is journaled with its criteria
    /// (the subject as its pseudonym) and the number of results.
    pub fn search(&self, ctx: &Ctx, q: &SearchRequest) -> Result<Vec<RecordView>, Error> {
        let subject_index = match &q.subject {
            Some(s) => Some(
                self.subject_pseudonym(
                    &probant_identifiers::parse_person(s)
                        .map_err(|e| Error::invalid("--subject", e.to_string()))?,
                ),
            ),
            None => None,
        };
        for (field, d) in [("--from", &q.from), ("--to", &q.to)] {
            if d.as_deref()
                .is_some_and(|d| crate::ingest::parse_date(d).is_none())
            {
                return Err(Error::invalid(field, "expected a date YYYY-MM-DD"));
            }
        }
        let original_id_index = q.original_id.as_deref().map(|o| self.original_id_index(o));
        let query = Query {
            subject_index: subject_index.clone(),
            original_id: original_id_index.clone(),
            doc_type: q.doc_type.clone(),
            created_from: q.from.clone(),
            created_to: q.to.clone(),
            limit: q.limit,
        };
        let resource = Resource {
            subject: subject_index.clone(),
            nature: q.doc_type.clone(),
            ..Resource::default()
        };
        // A query-level decision first: may this principal search at all,
        // for these criteria? Then each result is decided on its own
        // classification and category; what is not permitted is withheld
        // (counted, not named). One journal entry either way.
        let query_target = Target {
            doc_type: q.doc_type.as_deref(),
            subject: subject_index.as_deref(),
            ..Target::default()
        };
        let grant = self.authorize(ctx, Operation::Search, &query_target, resource.clone())?;
        let mut rows = self.catalog.search(&query)?;
        let found = rows.len();
        rows.retain(|r| {
            matches!(
                self.gate.decide(ctx, Operation::Search, &target_of(r)),
                crate::Verdict::Permit(_)
            )
        });
        let mut e = self.granted_event(ctx, Operation::Search, &grant, resource);
        Self::add_details(
            &mut e,
            json!({
                "original_id": original_id_index, "from": q.from, "to": q.to, "limit": q.limit,
                "results": rows.len(),
                "withheld": found - rows.len(),
                "records": rows.iter().map(|r| json!([r.record_id, r.version])).collect::<Vec<_>>(),
            }),
        );
        self.journal.append(&e)?;
        rows.iter().map(|r| self.view(r)).collect()
    }

    /// Every version of a record; journaled.
    pub fn show(&self, ctx: &Ctx, id: &str) -> Result<Vec<RecordView>, Error> {
        let latest = self.row(ctx, "record.show", id, None)?;
        let grant = self.authorize(
            ctx,
            Operation::Show,
            &target_of(&latest),
            resource_of(&latest),
        )?;
        let mut rows = self.catalog.versions(id)?;
        // Earlier versions may be classified differently: each is shown only
        // if permitted on its own.
        let all = rows.len();
        rows.retain(|r| {
            r.version == latest.version
                || matches!(
                    self.gate.decide(ctx, Operation::Show, &target_of(r)),
                    crate::Verdict::Permit(_)
                )
        });
        let mut e = self.granted_event(ctx, Operation::Show, &grant, resource_of(&latest));
        Self::add_details(
            &mut e,
            json!({ "versions": rows.len(), "withheld": all - rows.len() }),
        );
        self.journal.append(&e)?;
        rows.iter().map(|r| self.view(r)).collect()
    }

    pub(crate) fn view(&self, r: &RecordRow) -> Result<RecordView, Error> {
        let text = |field: &str, sealed: &[u8]| -> Result<String, Error> {
            String::from_utf8(self.open_field(r, field, sealed)?).map_err(|_| Error::Integrity {
                detail: format!("{field} is not text"),
            })
        };
        let mut meta: BTreeMap<String, String> = match &r.meta_sealed {
            Some(m) => serde_json::from_slice(&self.open_field(r, "meta", m)?).map_err(|e| {
                Error::Integrity {
                    detail: e.to_string(),
                }
            })?,
            None => BTreeMap::new(),
        };
        Ok(RecordView {
            record_id: r.record_id.clone(),
            version: r.version,
            previous_version: r.previous_version,
            subject: text("subject", &r.subject_sealed)?,
            subject_pseudonym: r.subject_index.clone(),
            doc_type: r.doc_type.clone(),
            title: r
                .title_sealed
                .as_ref()
                .map(|t| text("title", t))
                .transpose()?,
            original_id: meta.remove(crate::ingest::ORIGINAL_ID).unwrap_or_default(),
            original_destroyed: r.original_destroyed.clone(),
            created: r.created.clone(),
            recorded: r.recorded.clone(),
            recorded_late: r.recorded_late,
            controller: r.controller.clone(),
            executor: r.executor.clone(),
            place: r.place.clone(),
            classification: r.classification.clone(),
            retention_class: r.retention_class.clone(),
            retention_due: r.retention_due.clone(),
            legal_hold: r.legal_hold,
            format: serde_json::from_str(&r.format).unwrap_or(serde_json::Value::Null),
            size: r.size,
            sha256: r.sha256.clone(),
            provenance: serde_json::from_str(&r.provenance).unwrap_or(serde_json::Value::Null),
            meta,
            journal_index: r.journal_index,
        })
    }
}

/// The plaintext buffer a decrypting reader works in, lent from reader to
/// reader by a worker (`DecryptingReader::with_buffer`); zeroized on drop.
pub(crate) type SegmentBuffer = zeroize::Zeroizing<Vec<u8>>;

/// Copies the verified plaintext of a version from `reader` to `out` (named
/// `out_path` in errors), returning its length and SHA-256. Segments are
/// hashed and written where the reader verified them: no copy, and no
/// plaintext buffer of ours left behind in freed memory.
fn copy_hashing(
    reader: &mut impl std::io::BufRead,
    out: &mut impl Write,
    out_path: &Path,
    row: &RecordRow,
) -> Result<(u64, [u8; 32]), Error> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    loop {
        let segment = reader.fill_buf().map_err(|_| Error::Integrity {
            detail: format!(
                "the content of record {} version {} does not decrypt (altered or truncated)",
                row.record_id, row.version
            ),
        })?;
        if segment.is_empty() {
            break;
        }
        hasher.update(segment);
        out.write_all(segment).map_err(Error::io(out_path))?;
        let n = segment.len();
        size += n as u64;
        reader.consume(n);
    }
    Ok((size, hasher.finalize().into()))
}

fn check_digest(row: &RecordRow, size: u64, digest: &[u8; 32]) -> Result<(), Error> {
    let hex = probant_verify::hash::to_hex(digest);
    if size != row.size || hex != row.sha256 {
        return Err(Error::Integrity {
            detail: format!(
                "the content of record {} version {} does not match its recorded SHA-256",
                row.record_id, row.version
            ),
        });
    }
    Ok(())
}
