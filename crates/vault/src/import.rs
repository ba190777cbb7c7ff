//! Import (AR-19, AR-20.12): an export bag brought into another home keeps
//! its records' ids, versions, metadata and digests, and the importing
//! journal records where each came from, so that the chain of evidence runs
//! from the source log's entry, through its signed checkpoint, to the
//! import entry here (provenance).
//!
//! Nothing is taken on trust: the bag must verify in full first
//! (`probant_verify::bag::verify_bag`, optionally under a verifier key the
//! importer obtained independently); every version is then checked as an
//! ingest would check it (metadata, classification and retention class
//! known here, format validated again) and authorised as an ingest. Any
//! problem refuses the whole import before anything is recorded. Contents
//! are then stored as an ingest stores them (hashed and encrypted in one
//! pass, the digest compared with the bag's), journaled as `record.import`
//! and catalogued, journal first.
use std::collections::{BTreeMap, HashSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};

use probant_journal::{Outcome, Resource};
use probant_verify::bag::{self, DirBag, VerifiedRecord};
use probant_verify::checkpoint::Checkpoint;
use probant_verify::hash::{sha256, to_hex};
use probant_verify::note::{VerifierKey, MAX_NOTE_LEN};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::export::check_record_id;
use crate::ingest::{on_threads, Checked, NewVersion, Placement, Staged, ORIGINAL_ID, SOURCE_NAME};
use crate::{Ctx, Error, Grant, IngestRequest, Operation, Target, Vault};

/// One record version imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Imported {
    /// Record id (as in the source).
    pub record_id: String,
    /// Version (as in the source).
    pub version: u32,
    /// SHA-256 of the content, lowercase hex (as journaled by the source).
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// This home's `record.import` entry.
    pub journal_index: u64,
    /// The source log's entry that stored the content.
    pub source_entry_index: u64,
}

/// What [`Vault::import`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// The source journal's origin.
    pub source_origin: String,
    /// Size of the source checkpoint the bag's proofs lead to.
    pub source_checkpoint_size: u64,
    /// SHA-256 of that signed checkpoint note, lowercase hex.
    pub source_checkpoint_sha256: String,
    /// The bag was verified under its own `data/journal/vkey` (no key was
    /// given): consistent, but its origin is proven only once that key is
    /// compared with one obtained independently.
    pub vkey_from_bag: bool,
    /// Every version imported, in record, version order.
    pub versions: Vec<Imported>,
}

/// `metadata.json` of a record version, as an export writes it (a
/// [`RecordView`](crate::RecordView)): the members an import keeps. The
/// others are not read: the subject's pseudonym and the journal index are
/// re-derived here, the format is identified again, and
/// [`bag::COMMITMENT_SALT`] is no record metadata: it only makes the digest
/// of the file, journaled by the source at export and checked by
/// `verify_bag`, unguessable.
#[derive(Deserialize)]
struct BagMetadata {
    record_id: String,
    version: u32,
    previous_version: Option<u32>,
    subject: String,
    doc_type: String,
    title: Option<String>,
    original_id: String,
    original_destroyed: Option<String>,
    created: String,
    recorded: String,
    recorded_late: bool,
    controller: String,
    executor: String,
    place: String,
    classification: String,
    retention_class: String,
    retention_due: String,
    legal_hold: bool,
    size: u64,
    sha256: String,
    #[serde(default)]
    provenance: Value,
    #[serde(default)]
    meta: BTreeMap<String, String>,
}

/// Where the bag's records come from.
struct SourceLog {
    origin: String,
    size: u64,
    checkpoint_sha256: String,
}

/// A record version checked and ready to be stored.
struct Planned {
    record: VerifiedRecord,
    version: u32,
    meta: BagMetadata,
    req: IngestRequest,
    checked: Checked,
    subject: String,
}

/// `metadata.json` holds a JSON object of a few KiB.
const MAX_METADATA: u64 = 4 << 20;
/// Versions recorded per journal append and catalog transaction.
const RECORD_CHUNK: usize = 4096;

impl Vault {
    /// Imports the bag at `dir`. With `vkey`, the bag must verify under it
    /// (the key obtained independently from the source institution);
    /// without, under the bag's own key, and the report says so.
    pub fn import(
        &self,
        ctx: &Ctx,
        dir: &Path,
        vkey: Option<&VerifierKey>,
    ) -> Result<ImportReport, Error> {
        let report = bag::verify_bag(&DirBag::new(dir), vkey);
        if !report.is_valid() {
            let mut problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
            if problems.is_empty() {
                problems.push(format!("{}: does not verify", bag::CHECKPOINT_PATH));
            }
            return Err(Error::BagInvalid { problems });
        }
        let source = source_log(dir, vkey)?;
        let checkpoint = report.checkpoint.as_ref();
        if checkpoint.map(|c| (&c.origin, c.size)) != Some((&source.origin, source.size)) {
            return Err(Error::BagInvalid {
                problems: vec![format!(
                    "{}: changed during the import",
                    bag::CHECKPOINT_PATH
                )],
            });
        }
        let mut records = report.records.clone();
        records.sort_by(|a, b| (&a.record_id, a.version).cmp(&(&b.record_id, b.version)));
        let planned = self.plan(dir, &records)?;
        let grants = self.authorize_imports(ctx, &planned)?;
        let staged = self.stage_imports(ctx, &planned, &grants, &source)?;
        let versions = self.record_imports(staged, &planned)?;
        Ok(ImportReport {
            source_origin: source.origin,
            source_checkpoint_size: source.size,
            source_checkpoint_sha256: source.checkpoint_sha256,
            vkey_from_bag: report.vkey_from_bag,
            versions,
        })
    }

    /// Checks every version before anything is stored.
    fn plan(&self, dir: &Path, records: &[VerifiedRecord]) -> Result<Vec<Planned>, Error> {
        let in_bag: HashSet<(String, u64)> = records
            .iter()
            .map(|r| (r.record_id.clone(), r.version))
            .collect();
        records
            .iter()
            .map(|r| self.plan_one(dir, r, &in_bag))
            .collect()
    }

    fn plan_one(
        &self,
        dir: &Path,
        record: &VerifiedRecord,
        in_bag: &HashSet<(String, u64)>,
    ) -> Result<Planned, Error> {
        let id = &record.record_id;
        let rel = format!("{}{id}/{}", bag::RECORDS_DIR, record.version);
        let bad = |detail: String| Error::invalid("bag", format!("{rel}: {detail}"));
        check_record_id(id).map_err(|_| bad("the record id is not a canonical UUID".into()))?;
        let version = u32::try_from(record.version)
            .ok()
            .filter(|v| *v >= 1)
            .ok_or_else(|| bad("the version is out of range".into()))?;
        let vdir = rel.split('/').fold(dir.to_owned(), |d, c| d.join(c));
        // The bytes parsed are the bytes whose digest the verified export
        // entry committed to: nothing can change between check and use.
        let bytes = read_capped(&vdir.join("metadata.json"), MAX_METADATA)?;
        let digest: [u8; 32] = {
            use sha2::Digest;
            sha2::Sha256::digest(&bytes).into()
        };
        if to_hex(&digest) != record.metadata_sha256 {
            return Err(bad(
                "metadata.json changed after the bag was verified".into()
            ));
        }
        let meta = parse_metadata(&bytes, &rel)?;
        if meta.record_id != *id || meta.version != version || meta.sha256 != to_hex(&record.sha256)
        {
            return Err(bad("metadata.json changed during the import".into()));
        }
        if self.catalog.get(id, Some(version))?.is_some() {
            return Err(Error::Exists {
                record: id.clone(),
                version,
            });
        }
        if let Some(p) = meta.previous_version {
            let known = in_bag.contains(&(id.clone(), p.into()))
                || self.catalog.get(id, Some(p))?.is_some();
            if p >= version || !known {
                return Err(bad(format!(
                    "its previous version {p} is neither in the bag nor in this home"
                )));
            }
        }
        let req = import_request(content_path(&vdir)?, &meta);
        let checked = self
            .check_request(&req)
            .map_err(|e| bad(format!("metadata.json: {e}")))?;
        check_kept(&meta).map_err(|e| bad(format!("metadata.json: {e}")))?;
        let subject = self.subject_pseudonym(&checked.person);
        Ok(Planned {
            record: record.clone(),
            version,
            meta,
            req,
            checked,
            subject,
        })
    }

    /// Every version is an ingest into this home; one refusal refuses all.
    fn authorize_imports(&self, ctx: &Ctx, planned: &[Planned]) -> Result<Vec<Grant>, Error> {
        planned
            .iter()
            .map(|p| {
                let m = &p.meta;
                let target = Target {
                    record: Some(&p.record.record_id),
                    doc_type: Some(&m.doc_type),
                    classification: Some(&m.classification),
                    subject: Some(&p.subject),
                    retention: Some(&m.retention_class),
                    ..Target::default()
                };
                self.authorize(ctx, Operation::Ingest, &target, import_resource(p))
            })
            .collect()
    }

    /// Stores every content (on several threads); if one fails, every
    /// stored one is deleted and nothing is recorded.
    fn stage_imports(
        &self,
        ctx: &Ctx,
        planned: &[Planned],
        grants: &[Grant],
        source: &SourceLog,
    ) -> Result<Vec<Staged>, Error> {
        let work: Vec<(&Planned, &Grant)> = planned.iter().zip(grants).collect();
        let outcomes = on_threads(&work, &|(p, g)| self.stage_import(ctx, p, g, source));
        if outcomes.iter().all(Result::is_ok) {
            return Ok(outcomes.into_iter().flatten().collect());
        }
        let mut first = None;
        for ((p, g), outcome) in work.iter().zip(outcomes) {
            let why = match outcome {
                Ok(s) => {
                    let _ = self.blobs.delete(&s.blob);
                    "another version of the bag could not be imported".to_owned()
                }
                Err(e) => {
                    let why = e.kind_text();
                    first.get_or_insert(e);
                    why
                }
            };
            // The permit was given: its entry says nothing was stored.
            let mut f = self.granted_event(ctx, Operation::Ingest, g, import_resource(p));
            f.action = "record.import".into();
            f.outcome = Outcome::Failure;
            f.malfunction = Some(format!("nothing stored: {why}"));
            let _ = self.journal.append(&f);
        }
        Err(first.unwrap_or_else(|| Error::invalid("import", "not processed")))
    }

    fn stage_import(
        &self,
        ctx: &Ctx,
        p: &Planned,
        grant: &Grant,
        source: &SourceLog,
    ) -> Result<Staged, Error> {
        let m = &p.meta;
        let at = Placement {
            record_id: p.record.record_id.clone(),
            version: p.version,
            previous: m.previous_version,
            provenance: json!({
                "event": "import",
                "previous_version": m.previous_version,
                "imported": probant_journal::entry::format_time(crate::ingest::now_micros()),
                "source": {
                    "origin": source.origin,
                    "checkpoint_size": source.size,
                    "checkpoint_sha256": source.checkpoint_sha256,
                    "entry_index": p.record.index,
                    "recorded": m.recorded,
                    "provenance": m.provenance,
                },
            }),
            source_name: m.meta.get(SOURCE_NAME).cloned(),
        };
        let details = json!({
            "source_origin": source.origin,
            "source_checkpoint_size": source.size,
            "source_checkpoint_sha256": source.checkpoint_sha256,
            "source_entry_index": p.record.index,
        });
        let want = to_hex(&p.record.sha256);
        let new = NewVersion {
            req: &p.req,
            checked: &p.checked,
            at,
            bytes: None,
        };
        self.stage_version(ctx, grant, new, &mut |row| {
            if row.sha256 != want || row.size != m.size {
                return Err(Error::Integrity {
                    detail: format!(
                        "record {} version {}: the content read from the bag is not the one it proves",
                        row.record_id, row.version
                    ),
                });
            }
            // The record's own metadata travels unchanged; this home's
            // recording of the import is its journal entry and provenance.
            row.recorded = m.recorded.clone();
            row.recorded_late = m.recorded_late;
            row.controller = m.controller.clone();
            row.executor = m.executor.clone();
            row.place = m.place.clone();
            row.retention_due = m.retention_due.clone();
            row.legal_hold = m.legal_hold;
            row.original_destroyed = m.original_destroyed.clone();
            Ok(Some(("record.import", details.clone())))
        })
    }

    /// Journals then catalogs, a chunk at a time, in record/version order.
    fn record_imports(
        &self,
        staged: Vec<Staged>,
        planned: &[Planned],
    ) -> Result<Vec<Imported>, Error> {
        let mut pending: Vec<(usize, Staged)> = staged.into_iter().enumerate().collect();
        let mut done = Vec::with_capacity(pending.len());
        while !pending.is_empty() {
            let rest = pending.split_off(pending.len().min(RECORD_CHUNK));
            if let Err(e) = self.record(&mut pending) {
                for (_, s) in pending.iter().chain(&rest) {
                    let _ = self.blobs.delete(&s.blob);
                }
                return Err(Error::Integrity {
                    detail: format!(
                        "import stopped after {} of {} version(s) were recorded: {e}",
                        done.len(),
                        planned.len()
                    ),
                });
            }
            for (i, s) in pending {
                done.push(Imported {
                    record_id: s.row.record_id,
                    version: s.row.version,
                    sha256: s.row.sha256,
                    size: s.row.size,
                    journal_index: s.row.journal_index,
                    source_entry_index: planned[i].record.index,
                });
            }
            pending = rest;
        }
        Ok(done)
    }
}

fn import_resource(p: &Planned) -> Resource {
    Resource {
        record: Some(p.record.record_id.clone()),
        version: Some(p.version.into()),
        subject: Some(p.subject.clone()),
        nature: Some(p.meta.doc_type.clone()),
        classification: Some(p.meta.classification.clone()),
        sha256: None,
    }
}

/// The ingest request a version's metadata amounts to.
fn import_request(content: PathBuf, m: &BagMetadata) -> IngestRequest {
    let mut meta = m.meta.clone();
    meta.remove(SOURCE_NAME);
    IngestRequest {
        source: content,
        subject: m.subject.clone(),
        doc_type: m.doc_type.clone(),
        original_id: m.original_id.clone(),
        classification: m.classification.clone(),
        retention: m.retention_class.clone(),
        created: Some(m.created.clone()),
        title: m.title.clone(),
        meta,
        new_version_of: None,
    }
}

/// The metadata an import keeps beyond what an ingest request checks.
fn check_kept(m: &BagMetadata) -> Result<(), String> {
    if probant_journal::entry::parse_time(&m.recorded).is_none() {
        return Err("recorded is not an RFC 3339 time".into());
    }
    let dates = [Some(&m.retention_due), m.original_destroyed.as_ref()];
    if dates
        .iter()
        .flatten()
        .any(|d| crate::ingest::parse_date(d).is_none())
    {
        return Err("retention_due or original_destroyed is not a date YYYY-MM-DD".into());
    }
    for (field, v) in [
        ("controller", &m.controller),
        ("executor", &m.executor),
        ("place", &m.place),
    ] {
        if v.trim().is_empty() || v.len() > 256 || v.chars().any(char::is_control) {
            return Err(format!(
                "{field}: 1 to 256 characters, no control characters"
            ));
        }
    }
    if m.meta.contains_key(ORIGINAL_ID) {
        return Err(format!("meta: {ORIGINAL_ID} is reserved"));
    }
    Ok(())
}

/// Parses `metadata.json`. A parser's message can quote the
/// offending value (a national number): only its position is kept.
fn parse_metadata(bytes: &[u8], rel: &str) -> Result<BagMetadata, Error> {
    serde_json::from_slice(bytes).map_err(|e| {
        Error::invalid(
            "bag",
            format!(
                "{rel}/metadata.json: not the metadata an export writes (a member missing or of the wrong type, line {} column {})",
                e.line(),
                e.column()
            ),
        )
    })
}

/// The version directory's one `content` or `content.<ext>` file.
fn content_path(vdir: &Path) -> Result<PathBuf, Error> {
    let mut found = None;
    for entry in std::fs::read_dir(vdir).map_err(Error::io(vdir))? {
        let entry = entry.map_err(Error::io(vdir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == "content" || name.starts_with("content.") {
            if found.is_some() {
                return Err(Error::invalid(
                    "bag",
                    format!("{}: several content files", vdir.display()),
                ));
            }
            found = Some(entry.path());
        }
    }
    found.ok_or_else(|| Error::invalid("bag", format!("{}: no content file", vdir.display())))
}

/// The source log, from the bag's checkpoint verified again under the key
/// used (the given one, else the bag's): its hash is what the import
/// entries reference.
fn source_log(dir: &Path, vkey: Option<&VerifierKey>) -> Result<SourceLog, Error> {
    let note = read_capped(&dir.join(bag::CHECKPOINT_PATH), MAX_NOTE_LEN as u64)?;
    let key = match vkey {
        Some(k) => k.clone(),
        None => {
            let text = read_capped(&dir.join(bag::VKEY_PATH), 1 << 20)?;
            let text = String::from_utf8_lossy(&text);
            VerifierKey::parse(&text).map_err(|e| Error::BagInvalid {
                problems: vec![format!("{}: {e}", bag::VKEY_PATH)],
            })?
        }
    };
    let cp = Checkpoint::verify(&note, &key).map_err(|e| Error::BagInvalid {
        problems: vec![format!("{}: does not verify ({e})", bag::CHECKPOINT_PATH)],
    })?;
    Ok(SourceLog {
        origin: cp.origin,
        size: cp.size,
        checkpoint_sha256: to_hex(&sha256(&note)),
    })
}

fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, Error> {
    let file = std::fs::File::open(path).map_err(Error::io(path))?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(Error::io(path))?;
    if bytes.len() as u64 > cap {
        return Err(Error::invalid(
            "bag",
            format!("{}: larger than {cap} bytes", path.display()),
        ));
    }
    Ok(bytes)
}
