//! Export (DESIGN contract 4): record versions leave the vault as a BagIt
//! bag (RFC 8493) that a court, an auditor or another institution checks
//! offline with the `verify` crate alone, without trusting the sender
//! (AR-19, AR-20.12, N-5.11.13). `docs/export.md` describes the bag.
//!
//! The order is that of a read (DESIGN data flow): every selected version is
//! authorised first, and one refusal refuses the whole export (fail closed:
//! a bag is never silently missing what was asked for); then one
//! `record.export` entry per version is journaled, durably, before a byte of
//! content is written. That entry commits to the exact bytes of the
//! version's `metadata.json` (their SHA-256, over the metadata and a random
//! salt), and the bag carries its inclusion proof: every metadata field is
//! bound to this journal, not only to the bag's manifests (AR-19). The bag
//! is built in a hidden sibling directory and renamed into place only when
//! complete, so an interrupted or failed export leaves no half bag; the
//! journal then says that nothing was delivered.
//!
//! The bag holds the records **in clear**, with their metadata (the
//! subject's national number included): it is meant for an authorised
//! recipient, and is protected in transit by the channel it travels on.
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use probant_catalog::RecordRow;
use probant_journal::{civil, Event, Outcome, Published, Resource};
use probant_verify::bag::{self, PayloadFile, METADATA_SHA256};
use probant_verify::hash::{sha256, to_hex, Hash};
use probant_verify::InclusionProof;
use serde::Serialize;
use serde_json::json;

use crate::ingest::{on_threads, SOURCE_NAME};
use crate::partial::{move_into_place, partial_path, remove_stale_partials};
use crate::read::{resource_of, target_of, SegmentBuffer};
use crate::{Ctx, Error, Grant, Operation, RecordView, SearchRequest, Vault, Verdict};

/// Which records an export or a migration is about.
#[derive(Clone, Debug)]
pub enum Selection {
    /// These record ids (each once, in the order given).
    Records(Vec<String>),
    /// The records a search finds (the search is authorised and journaled
    /// as one).
    Query(SearchRequest),
}

/// One record version in a bag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportedVersion {
    /// Record id.
    pub record_id: String,
    /// Version.
    pub version: u32,
    /// SHA-256 of the content, lowercase hex (re-checked while written).
    pub sha256: String,
    /// Size of the content in bytes.
    pub size: u64,
    /// The content file's path in the bag.
    pub content: String,
    /// Index of the journal entry that stored the content (its proof's).
    pub stored_by: u64,
    /// Index of this export's `record.export` entry for the version.
    pub export_entry: u64,
}

/// What [`Vault::export`] wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportReport {
    /// The bag's directory.
    pub dir: PathBuf,
    /// Identifies this export in the journal and in `bag-info.txt`.
    pub export_id: String,
    /// The journal's origin (checkpoint and key name).
    pub origin: String,
    /// Size of the signed checkpoint every proof in the bag leads to.
    pub checkpoint_size: u64,
    /// Every record version, in record, version order.
    pub versions: Vec<ExportedVersion>,
    /// Payload octets (`Payload-Oxum`).
    pub payload_bytes: u64,
    /// Payload files.
    pub payload_files: u64,
    /// Exports killed earlier whose leftovers beside this one (a partial
    /// bag with records in clear, or only its lock file) were removed
    /// before this export began; each is journaled as undelivered.
    pub stale_partials_removed: usize,
}

/// A record version on its way into the bag.
struct Outgoing<'r> {
    row: &'r RecordRow,
    described: Described,
    /// The index of its `record.export` entry.
    export_entry: u64,
}

/// What a version's metadata gives its directory in the bag.
struct Described {
    /// The exact bytes of `metadata.json`, whose SHA-256 the export entry
    /// carries.
    metadata: Vec<u8>,
    /// `content` or `content.<ext>`.
    content_name: String,
}

/// `metadata.json`: the version's metadata as `probant show` gives it, and
/// the salt of the commitment to it ([`bag::COMMITMENT_SALT`]).
#[derive(Serialize)]
struct MetadataDocument<'a> {
    #[serde(flatten)]
    view: &'a RecordView,
    commitment_salt: String,
}

/// `proof.json`: the contract-5 inclusion proof of the entry that stored
/// the content, with the proof of the export entry that committed to the
/// metadata as its [`bag::EXPORT_PROOF_MEMBER`] (contract 5 allows extra
/// members).
#[derive(Serialize)]
struct ProofDocument<'a> {
    #[serde(flatten)]
    stored: &'a InclusionProof,
    export: &'a InclusionProof,
}

/// Random bytes in each `metadata.json`'s salt: as many as a key of
/// AES-128, beyond any guessing.
const SALT_LEN: usize = 16;
/// Content is decrypted, hashed and written on this many threads: the work
/// is AES-GCM and SHA-256 (CPU) and file creation, and each blob is opened
/// through the blob store's runtime, a wait that a third worker fills.
const EXPORT_THREADS: usize = 3;
/// Versions proven in one batch (one checkpoint check, bundles decrypted
/// once) and written by one worker.
const EXPORT_CHUNK: usize = 64;
/// Threads asking the gate (a Cedar decision costs tens of microseconds;
/// the catalog is read on a third).
const DECIDERS: usize = 2;
/// `record.export` entries are appended this many at a time.
const EVENTS_PER_APPEND: usize = 4096;

impl Vault {
    /// Exports every version of the selected records to a new bag at `dir`
    /// (which must not exist; its parent must). `progress(bytes written,
    /// bytes in total)` is called as contents are written; returning `false`
    /// stops the export ([`Error::Interrupted`]): nothing is left at `dir`.
    ///
    /// Refused as a whole, with nothing written, when any selected version
    /// is refused by the gate (each refusal journaled as `authz.deny`) or a
    /// selected record does not exist (journaled as a failure).
    pub fn export(
        &self,
        ctx: &Ctx,
        selection: &Selection,
        dir: &Path,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<ExportReport, Error> {
        let partial = partial_path(dir)?;
        let stale = remove_stale_partials(&partial);
        self.journal_killed_exports(ctx, &stale);
        let (rows, grants) = self.select_authorized(ctx, selection, Operation::Export)?;
        let export_id = uuid::Uuid::now_v7().to_string();
        let (outgoing, events) = self.journal_exports(ctx, &rows, &grants, &export_id)?;
        // Every proof leads to one checkpoint, published after the export
        // entries: the bag proves its own export was journaled before it.
        let published = self.journal.sync()?;
        let written = self.begin_partial(&partial, &export_id).and_then(|bag| {
            let payload = self.write_bag(&partial, &outgoing, &published, &export_id, progress)?;
            move_into_place(&partial, dir)?;
            bag.delivered();
            Ok(payload)
        });
        let (versions, payload) = match written {
            Ok(v) => v,
            Err(e) => {
                self.journal_undelivered(&events, &e);
                return Err(e);
            }
        };
        Ok(ExportReport {
            dir: dir.to_owned(),
            export_id,
            origin: self.journal.verifier_key().name().to_owned(),
            checkpoint_size: published.size,
            versions,
            payload_bytes: payload.iter().map(|f| f.size).sum(),
            payload_files: payload.len() as u64,
            stale_partials_removed: stale.len(),
        })
    }

    /// The record ids of a selection, each once, in order. A query is
    /// authorised and journaled as a search.
    pub(crate) fn selected_ids(
        &self,
        ctx: &Ctx,
        selection: &Selection,
    ) -> Result<Vec<String>, Error> {
        let ids: Vec<String> = match selection {
            Selection::Records(ids) => ids.clone(),
            Selection::Query(q) => self
                .search(ctx, q)?
                .into_iter()
                .map(|v| v.record_id)
                .collect(),
        };
        let mut seen = HashSet::new();
        let ids: Vec<String> = ids
            .into_iter()
            .filter(|id| seen.insert(id.clone()))
            .collect();
        if ids.is_empty() {
            return Err(Error::invalid("selection", "no record is selected"));
        }
        Ok(ids)
    }

    /// Every version of every selected record, each authorised for `op`.
    /// The catalog is read on this thread while the gate decides on two others
    /// (both cost per version). A record that does not exist refuses the
    /// whole request (journaled as a failure of `op`, as a read of an
    /// absent record is); so does the first refusal in selection order
    /// (journaled as `authz.deny`): fail closed, nothing is half-exported.
    fn select_authorized(
        &self,
        ctx: &Ctx,
        selection: &Selection,
        op: Operation,
    ) -> Result<(Vec<RecordRow>, Vec<Grant>), Error> {
        let ids = self.selected_ids(ctx, selection)?;
        let (tx, rx) = mpsc::sync_channel::<(usize, Vec<RecordRow>)>(256);
        let rx = std::sync::Mutex::new(rx);
        let (read, decided) = std::thread::scope(|s| {
            let deciders: Vec<_> = (0..DECIDERS)
                .map(|_| s.spawn(|| self.decide_versions(ctx, op, &rx)))
                .collect();
            let read = self.read_versions(&ids, &tx);
            drop(tx);
            let mut decided: Vec<(usize, RecordRow, Verdict)> = Vec::with_capacity(ids.len());
            for d in deciders {
                decided.extend(d.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            }
            decided.sort_by_key(|(i, _, _)| *i);
            (read, decided)
        });
        if let Some(absent) = read? {
            return Err(self.not_found(ctx, op, absent, None));
        }
        decided
            .into_iter()
            .map(|(_, row, verdict)| {
                let grant = self
                    .settle(ctx, op, verdict, resource_of(&row))
                    .map_err(|e| in_record(e, &row))?;
                Ok((row, grant))
            })
            .collect::<Result<Vec<_>, Error>>()
            .map(|pairs| pairs.into_iter().unzip())
    }

    /// Sends the versions of each record, numbered in selection order, to
    /// `to`; stops at the first record that does not exist and returns its
    /// id.
    fn read_versions<'i>(
        &self,
        ids: &'i [String],
        to: &mpsc::SyncSender<(usize, Vec<RecordRow>)>,
    ) -> Result<Option<&'i str>, Error> {
        for (i, id) in ids.iter().enumerate() {
            let versions = self.catalog.versions(id)?;
            if versions.is_empty() {
                return Ok(Some(id));
            }
            if to.send((i, versions)).is_err() {
                break;
            }
        }
        Ok(None)
    }

    /// Asks the gate about every version received until the channel
    /// closes; each with its position (record number, then version) so
    /// that the deciders' results can be put back in selection order.
    fn decide_versions(
        &self,
        ctx: &Ctx,
        op: Operation,
        from: &std::sync::Mutex<mpsc::Receiver<(usize, Vec<RecordRow>)>>,
    ) -> Vec<(usize, RecordRow, Verdict)> {
        let mut decided = Vec::new();
        loop {
            let next = from.lock().map(|rx| rx.recv());
            let Ok(Ok((i, versions))) = next else {
                return decided;
            };
            for row in versions {
                let verdict = self.gate.decide(ctx, op, &target_of(&row));
                decided.push((i, row, verdict));
            }
        }
    }

    /// Journals the failed attempt on an absent record and returns
    /// [`Error::NotFound`] (or the journal's error: fail closed).
    pub(crate) fn not_found(
        &self,
        ctx: &Ctx,
        op: Operation,
        id: &str,
        version: Option<u32>,
    ) -> Error {
        let resource = Resource {
            record: Some(id.to_owned()),
            version: version.map(Into::into),
            ..Resource::default()
        };
        match self
            .journal
            .append(&self.event(ctx, op.action(), Outcome::Failure, resource))
        {
            Ok(_) => Error::NotFound {
                record: id.to_owned(),
                version,
            },
            Err(e) => e.into(),
        }
    }

    /// Journals one `record.export` entry per version, durably, each with
    /// the SHA-256 of the exact `metadata.json` the bag will carry (AR-19).
    /// Metadata is therefore built first; if a version's sealed metadata
    /// does not open, nothing is journaled as exported and each version's
    /// entry says that nothing was delivered.
    fn journal_exports<'r>(
        &self,
        ctx: &Ctx,
        rows: &'r [RecordRow],
        grants: &[Grant],
        export_id: &str,
    ) -> Result<(Vec<Outgoing<'r>>, Vec<Event>), Error> {
        let documents = on_threads(rows, &|row| self.describe(row));
        let event = |(row, grant): (&RecordRow, &Grant), metadata: Option<&[u8]>| {
            self.export_event(ctx, grant, row, export_id, metadata)
        };
        let documents: Vec<Described> = match documents.into_iter().collect() {
            Ok(documents) => documents,
            Err(e) => {
                let events: Vec<Event> = rows.iter().zip(grants).map(|v| event(v, None)).collect();
                self.journal_undelivered(&events, &e);
                return Err(e);
            }
        };
        let events: Vec<Event> = rows
            .iter()
            .zip(grants)
            .zip(&documents)
            .map(|(v, described)| event(v, Some(&described.metadata)))
            .collect();
        let mut receipts = Vec::with_capacity(events.len());
        for chunk in events.chunks(EVENTS_PER_APPEND) {
            receipts.extend(self.journal.append_all(chunk)?);
        }
        let outgoing = rows
            .iter()
            .zip(documents)
            .zip(&receipts)
            .map(|((row, described), receipt)| Outgoing {
                row,
                described,
                export_entry: receipt.index,
            })
            .collect();
        Ok((outgoing, events))
    }

    /// A version's `metadata.json`: its [`RecordView`] and a fresh random
    /// salt, so that the digest journaled at export reveals nothing of the
    /// personal data it covers, even to someone who can guess every other
    /// field.
    fn describe(&self, row: &RecordRow) -> Result<Described, Error> {
        let mut salt = [0u8; SALT_LEN];
        getrandom::fill(&mut salt).map_err(|e| Error::Io {
            path: PathBuf::from("the system random generator"),
            source: std::io::Error::other(e),
        })?;
        let view = self.view(row)?;
        let metadata = json_bytes(&MetadataDocument {
            view: &view,
            commitment_salt: to_hex(&salt),
        })?;
        Ok(Described {
            metadata,
            content_name: content_name(&view.meta),
        })
    }

    /// The `record.export` entry of a version: `metadata` is the
    /// `metadata.json` it commits to (none in an entry that says nothing
    /// was delivered).
    fn export_event(
        &self,
        ctx: &Ctx,
        grant: &Grant,
        row: &RecordRow,
        export_id: &str,
        metadata: Option<&[u8]>,
    ) -> Event {
        let mut e = self.granted_event(ctx, Operation::Export, grant, resource_of(row));
        let mut details = json!({ "export_id": export_id, "stored_by": row.journal_index });
        if let Some(metadata) = metadata {
            details[METADATA_SHA256] = json!(to_hex(&sha256(metadata)));
        }
        Self::add_details(&mut e, details);
        e
    }

    /// After the export entries, a failure entry per version says that
    /// nothing was delivered (as a failed read does).
    fn journal_undelivered(&self, events: &[Event], error: &Error) {
        let failures: Vec<Event> = events
            .iter()
            .map(|e| {
                let mut f = e.clone();
                f.outcome = Outcome::Failure;
                f.malfunction = Some(format!("nothing delivered: {}", error.kind_text()));
                f
            })
            .collect();
        for chunk in failures.chunks(EVENTS_PER_APPEND) {
            let _ = self.journal.append_all(chunk);
        }
    }

    /// Writes the payload, the journal files and the tag files into `root`.
    fn write_bag(
        &self,
        root: &Path,
        outgoing: &[Outgoing],
        published: &Published,
        export_id: &str,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<(Vec<ExportedVersion>, Vec<PayloadFile>), Error> {
        let (versions, mut payload) =
            self.write_records(root, outgoing, published.size, progress)?;
        let vkey = self.journal.verifier_key();
        std::fs::create_dir_all(root.join("data/journal")).map_err(Error::io(root))?;
        let note = published.note(vkey);
        payload.push(write_file(root, bag::CHECKPOINT_PATH, note.as_bytes())?);
        payload.push(write_file(
            root,
            bag::VKEY_PATH,
            format!("{vkey}\n").as_bytes(),
        )?);
        let info = self.bag_info(vkey.name(), published.size, export_id, versions.len());
        let today = civil::format_date(civil::belgian_today());
        let tags = bag::tag_files(&payload, &info, &today)
            .map_err(|e| Error::invalid("bag-info.txt", e.to_string()))?;
        for (name, bytes) in tags {
            write_file(root, &name, &bytes)?;
        }
        Ok((versions, payload))
    }

    fn bag_info(
        &self,
        origin: &str,
        size: u64,
        export_id: &str,
        versions: usize,
    ) -> Vec<(String, String)> {
        let institution = &self.policy.institution;
        [
            ("Source-Organization", institution.controller.trim().to_owned()),
            ("Bag-Software-Agent", format!("probant-vault {}", env!("CARGO_PKG_VERSION"))),
            ("External-Description", format!(
                "Probant export of {versions} record version(s) with their metadata, the journal entries that stored them and inclusion proofs to one signed checkpoint (DESIGN contract 4)"
            )),
            ("Probant-Log-Origin", origin.to_owned()),
            ("Probant-Checkpoint-Size", size.to_string()),
            ("Probant-Export-Id", export_id.to_owned()),
        ]
        .into_iter()
        .map(|(l, v)| (l.to_owned(), v))
        .collect()
    }

    /// Writes every record version on [`EXPORT_THREADS`] threads, a chunk
    /// at a time (one batch of proofs each), reporting progress from this
    /// thread. Results in `outgoing` order.
    fn write_records(
        &self,
        root: &Path,
        outgoing: &[Outgoing],
        size: u64,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<(Vec<ExportedVersion>, Vec<PayloadFile>), Error> {
        let total: u64 = outgoing.iter().map(|o| o.row.size).sum();
        let records = root.join(bag::RECORDS_DIR);
        std::fs::create_dir_all(&records).map_err(Error::io(&records))?;
        let chunks: Vec<&[Outgoing]> = outgoing.chunks(EXPORT_CHUNK).collect();
        let next = AtomicUsize::new(0);
        let mut stopped = !progress(0, total);
        let stop = AtomicBool::new(stopped);
        let (tx, rx) = mpsc::channel::<u64>();
        let parts = std::thread::scope(|s| {
            let handles: Vec<_> = (0..EXPORT_THREADS.min(chunks.len()).max(1))
                .map(|_| {
                    let (tx, next, stop, chunks) = (tx.clone(), &next, &stop, &chunks);
                    s.spawn(move || {
                        let mut buffer = SegmentBuffer::default();
                        let mut mine = Vec::new();
                        loop {
                            let c = next.fetch_add(1, Ordering::SeqCst);
                            let Some(chunk) = chunks.get(c) else { break };
                            let first = c * EXPORT_CHUNK;
                            match self.export_chunk(
                                root,
                                (first, chunk),
                                size,
                                &mut buffer,
                                &tx,
                                stop,
                            ) {
                                Ok(done) => mine.extend(done),
                                Err(e) => {
                                    stop.store(true, Ordering::SeqCst);
                                    return Err(e);
                                }
                            }
                        }
                        Ok(mine)
                    })
                })
                .collect();
            drop(tx);
            let mut done = 0;
            for bytes in rx {
                done += bytes;
                if !stopped && !progress(done, total) {
                    stopped = true;
                    stop.store(true, Ordering::SeqCst);
                }
            }
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect::<Vec<_>>()
        });
        collect_parts(parts, stopped)
    }

    /// Proves a chunk's versions in one batch (the storing entries and the
    /// export entries, all to the bag's one checkpoint), then writes each.
    /// `first` is the chunk's position in the export, to put results in
    /// order.
    fn export_chunk(
        &self,
        root: &Path,
        (first, chunk): (usize, &[Outgoing]),
        size: u64,
        buffer: &mut SegmentBuffer,
        written: &mpsc::Sender<u64>,
        stop: &AtomicBool,
    ) -> Result<Vec<(usize, Written)>, Error> {
        let stored = chunk.iter().map(|o| o.row.journal_index);
        let exported = chunk.iter().map(|o| o.export_entry);
        let indexes: Vec<u64> = stored.chain(exported).collect();
        let proofs = self.journal.inclusion_proofs(&indexes, Some(size))?;
        let (stored, exported) = proofs.split_at(chunk.len());
        let mut out = Vec::with_capacity(chunk.len());
        for (i, (version, proofs)) in chunk.iter().zip(stored.iter().zip(exported)).enumerate() {
            if stop.load(Ordering::SeqCst) {
                return Err(Error::Interrupted);
            }
            out.push((
                first + i,
                self.export_version(root, version, proofs, buffer)?,
            ));
            let _ = written.send(version.row.size);
        }
        Ok(out)
    }

    /// `data/records/<id>/<version>/`: the content (decrypted, its digest
    /// re-checked while written), `metadata.json` (the bytes the export
    /// entry committed to) and `proof.json` (both proofs).
    fn export_version(
        &self,
        root: &Path,
        outgoing: &Outgoing,
        (stored, export): (&InclusionProof, &InclusionProof),
        buffer: &mut SegmentBuffer,
    ) -> Result<Written, Error> {
        let (row, described) = (outgoing.row, &outgoing.described);
        check_record_id(&row.record_id)?;
        let record_dir = root.join(bag::RECORDS_DIR).join(&row.record_id);
        // Another version of the record may have made it (another worker).
        match std::fs::create_dir(&record_dir) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(Error::io(&record_dir)(e))
            }
            _ => {}
        }
        let dir = format!("{}{}/{}", bag::RECORDS_DIR, row.record_id, row.version);
        let full = root.join(&dir);
        std::fs::create_dir(&full).map_err(Error::io(&full))?;
        let content = format!("{dir}/{}", described.content_name);
        let digest = self.write_plaintext(row, &root.join(&content), buffer)?;
        let proof = ProofDocument { stored, export };
        let files = vec![
            PayloadFile {
                path: content.clone(),
                sha256: digest,
                size: row.size,
            },
            write_file(root, &format!("{dir}/metadata.json"), &described.metadata)?,
            write_file(root, &format!("{dir}/proof.json"), &json_bytes(&proof)?)?,
        ];
        let version = ExportedVersion {
            record_id: row.record_id.clone(),
            version: row.version,
            sha256: row.sha256.clone(),
            size: row.size,
            content,
            stored_by: row.journal_index,
            export_entry: outgoing.export_entry,
        };
        Ok((version, files))
    }

    /// Decrypts a version into `path`, hashing as it goes; refuses content
    /// whose digest or length differs from the recorded one. Returns the
    /// digest.
    fn write_plaintext(
        &self,
        row: &RecordRow,
        path: &Path,
        buffer: &mut SegmentBuffer,
    ) -> Result<Hash, Error> {
        let mut file = std::fs::File::create(path).map_err(Error::io(path))?;
        let (_, digest) = self.copy_content(row, &mut file, path, buffer)?;
        Ok(digest)
    }
}

/// A written version: its report line and its three payload files.
type Written = (ExportedVersion, Vec<PayloadFile>);

/// The workers' results in `rows` order, or the first error that is not
/// the interruption it caused in the other workers.
fn collect_parts(
    parts: Vec<Result<Vec<(usize, Written)>, Error>>,
    stopped: bool,
) -> Result<(Vec<ExportedVersion>, Vec<PayloadFile>), Error> {
    let mut all = Vec::new();
    let mut interrupted = stopped;
    let mut failure = None;
    for part in parts {
        match part {
            Ok(done) => all.extend(done),
            Err(Error::Interrupted) => interrupted = true,
            Err(e) => failure = failure.or(Some(e)),
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    if interrupted {
        return Err(Error::Interrupted);
    }
    all.sort_by_key(|(i, _)| *i);
    let mut versions = Vec::with_capacity(all.len());
    let mut payload = Vec::with_capacity(all.len() * 3 + 2);
    for (_, (version, files)) in all {
        versions.push(version);
        payload.extend(files);
    }
    Ok((versions, payload))
}

/// A refusal names the record version it is about (its code and message
/// are the gate's; no personal data).
fn in_record(e: Error, row: &RecordRow) -> Error {
    match e {
        Error::Denied { code, message } => Error::Denied {
            code,
            message: format!(
                "record {} version {}: {message}",
                row.record_id, row.version
            ),
        },
        other => other,
    }
}

/// Record ids become directory names: only canonical UUIDs are written
/// (the vault makes them; an import accepts nothing else).
pub(crate) fn check_record_id(id: &str) -> Result<(), Error> {
    match uuid::Uuid::parse_str(id) {
        Ok(u) if u.hyphenated().to_string() == id => Ok(()),
        _ => Err(Error::Integrity {
            detail: format!("record id {id:?} is not a canonical UUID"),
        }),
    }
}

/// `content.<ext>` with the original file name's extension, when it is 1 to
/// 8 ASCII letters and digits with at least one letter (lowercased); else
/// `content`. Only the extension leaves: the name may identify a person.
pub(crate) fn content_name(meta: &BTreeMap<String, String>) -> String {
    let ext = meta
        .get(SOURCE_NAME)
        .and_then(|name| Path::new(name).extension())
        .and_then(|e| e.to_str())
        .filter(|e| {
            (1..=8).contains(&e.len())
                && e.bytes().all(|b| b.is_ascii_alphanumeric())
                && e.bytes().any(|b| b.is_ascii_alphabetic())
        });
    match ext {
        Some(e) => format!("content.{}", e.to_ascii_lowercase()),
        None => "content".to_owned(),
    }
}

fn json_bytes(value: &impl Serialize) -> Result<Vec<u8>, Error> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::Integrity {
        detail: format!("cannot encode JSON: {e}"),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes a small bag file at `rel` (a bag path, `/`-separated).
fn write_file(root: &Path, rel: &str, bytes: &[u8]) -> Result<PayloadFile, Error> {
    let path = root.join(rel);
    std::fs::write(&path, bytes).map_err(Error::io(&path))?;
    Ok(PayloadFile {
        path: rel.to_owned(),
        sha256: sha256(bytes),
        size: bytes.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str) -> BTreeMap<String, String> {
        BTreeMap::from([(SOURCE_NAME.to_owned(), name.to_owned())])
    }

    #[test]
    fn content_names_keep_a_plain_extension_only() {
        assert_eq!(content_name(&meta("scan-001.TIFF")), "content.tiff");
        assert_eq!(content_name(&meta("a.pdf")), "content.pdf");
        for odd in [
            "noext",
            "x.85073003328",
            "x.tar%gz",
            "x.",
            "x.abcdefghi",
            "x.ü",
        ] {
            assert_eq!(content_name(&meta(odd)), "content", "{odd}");
        }
        assert_eq!(content_name(&BTreeMap::new()), "content");
    }

    #[test]
    fn record_ids_must_be_canonical_uuids() {
        assert!(check_record_id("0190a5c2-7d1f-7a3b-9c4d-0123456789ab").is_ok());
        for bad in [
            "0190A5C2-7D1F-7A3B-9C4D-0123456789AB",
            "../etc",
            "0190a5c27d1f7a3b9c4d0123456789ab",
            "",
        ] {
            assert!(check_record_id(bad).is_err(), "{bad}");
        }
    }
}
