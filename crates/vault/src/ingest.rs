//! Ingest: validate the metadata and the format, store the content
//! encrypted, then record the batch — one journal append, one catalog
//! transaction. A record exists only once its journal entry is durable
//! (N-5.9.5) and its catalog row committed; a bad request fails alone and
//! leaves nothing behind.
use std::collections::BTreeMap;
use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};

use probant_blobs::BlobKey;
use probant_catalog::RecordRow;
use probant_crypto::{DataKey, EncryptingWriter, StreamSummary};
use probant_formats::{FormatError, Identification};
use probant_identifiers::PersonNumber;
use probant_journal::{civil, Event, Outcome, Resource};
use serde_json::json;
use time::Date;

use crate::row::{key_aad, metadata_digest};
use crate::{Ctx, Error, Grant, Operation, Target, Vault};

/// One record (or new version) to ingest.
#[derive(Clone, Debug, Default)]
pub struct IngestRequest {
    /// The file.
    pub source: PathBuf,
    /// The data subject's INSZ/NISS or BIS number.
    pub subject: String,
    /// Document type (nature of the data).
    pub doc_type: String,
    /// Unique identifier of the paper original (AR-17).
    pub original_id: String,
    /// Classification level (N-5.5.1).
    pub classification: String,
    /// Retention class.
    pub retention: String,
    /// Creation date of the document, YYYY-MM-DD (default: today).
    pub created: Option<String>,
    /// Title (stored encrypted: it may name a person).
    pub title: Option<String>,
    /// Further metadata (stored encrypted).
    pub meta: BTreeMap<String, String>,
    /// Make this a new version of that record.
    pub new_version_of: Option<String>,
}

/// What an acknowledged ingest returns.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Ingested {
    /// The file ingested.
    pub source: PathBuf,
    /// Record id (UUIDv7).
    pub record_id: String,
    /// Version.
    pub version: u32,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// PRONOM id (`unknown` if accepted unvalidated under the policy).
    pub pronom: String,
    /// Media type.
    pub media_type: String,
    /// Whether the format was validated (AR-16).
    pub validated: bool,
    /// The journal entry that recorded it.
    pub journal_index: u64,
    /// Recorded after the day of creation (AR-17).
    pub recorded_late: bool,
}

/// A request whose content is stored, ready to be recorded.
pub(crate) struct Staged {
    pub(crate) row: RecordRow,
    pub(crate) event: Event,
    pub(crate) blob: BlobKey,
    pub(crate) result: Ingested,
}

/// Where a version is stored and how it came to be: its id, number and
/// predecessor, its provenance, and the file name kept (sealed) with it.
pub(crate) struct Placement {
    pub(crate) record_id: String,
    pub(crate) version: u32,
    pub(crate) previous: Option<u32>,
    pub(crate) provenance: serde_json::Value,
    pub(crate) source_name: Option<String>,
}

/// One version to store: its metadata (already checked), where it goes,
/// and its content: the file `req.source`, or `bytes` when given.
pub(crate) struct NewVersion<'a> {
    pub(crate) req: &'a IngestRequest,
    pub(crate) checked: &'a Checked,
    pub(crate) at: Placement,
    pub(crate) bytes: Option<&'a [u8]>,
}

/// What a stage's `finish` may return: another content-storing action
/// (`record.import`, `record.migrate`) and details to add to its entry.
pub(crate) type Relabel = Option<(&'static str, serde_json::Value)>;

/// Runs `f` on each item on up to 16 threads; results in item order. Each
/// content is synced to disk before it counts, and concurrent syncs overlap
/// (small records are bound by sync latency, not CPU).
pub(crate) fn on_threads<T: Sync, R: Send>(items: &[T], f: &(dyn Fn(&T) -> R + Sync)) -> Vec<R> {
    let threads = items.len().clamp(1, 16);
    let per = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|chunk| s.spawn(move || chunk.iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part),
                // A panic is re-raised rather than turned into fewer results.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

/// Workers storing contents in [`Vault::ingest_batches`].
const STAGE_THREADS: usize = 16;
/// How far (in records) storing may run ahead of recording: bounds the
/// memory of small contents held for their batch and what a stop deletes.
const LOOKAHEAD: usize = 128;

/// Which records the workers of [`Vault::ingest_batches`] may take: the
/// next one, unless it is more than [`LOOKAHEAD`] past the last recorded
/// one, or the ingest stopped.
struct Window {
    state: std::sync::Mutex<WindowState>,
    moved: std::sync::Condvar,
}

struct WindowState {
    next: usize,
    total: usize,
    recorded: usize,
    stopped: bool,
}

impl Window {
    fn new(total: usize) -> Self {
        Window {
            state: std::sync::Mutex::new(WindowState {
                next: 0,
                total,
                recorded: 0,
                stopped: false,
            }),
            moved: std::sync::Condvar::new(),
        }
    }

    /// The next record to store, waiting while it is too far ahead; `None`
    /// when all are taken or the ingest stopped.
    fn claim(&self) -> Option<usize> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if st.stopped || st.next >= st.total {
                return None;
            }
            if st.next < st.recorded + LOOKAHEAD {
                st.next += 1;
                return Some(st.next - 1);
            }
            st = self.moved.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn stop(&self) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.stopped = true;
        self.moved.notify_all();
    }

    /// Records before `end` are recorded; `go_on` false stops the ingest.
    fn recorded(&self, end: usize, go_on: bool) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.recorded = end;
        st.stopped |= !go_on;
        self.moved.notify_all();
    }

    fn stopped(&self) -> bool {
        self.state.lock().map(|st| st.stopped).unwrap_or(true)
    }
}

/// Stops the ingest if the thread holding it unwinds: a worker's panic then
/// ends the others (and reaches the caller through the scope) instead of
/// leaving the recording thread waiting for a content that never comes,
/// and a panic while recording releases the workers waiting for room.
struct StopOnPanic<'w>(&'w Window);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

impl Vault {
    /// Ingests one record.
    pub fn ingest(&self, ctx: &Ctx, req: &IngestRequest) -> Result<Ingested, Error> {
        self.ingest_batch(ctx, std::slice::from_ref(req)).remove(0)
    }

    /// Ingests several records; results in request order. Contents are
    /// stored first; then all good ones are recorded together (one journal
    /// append, one catalog transaction), so a batch costs one sync of each.
    pub fn ingest_batch(&self, ctx: &Ctx, reqs: &[IngestRequest]) -> Vec<Result<Ingested, Error>> {
        let staged = self.stage_all(ctx, reqs);
        self.commit(staged)
    }

    /// Ingests batches in a pipeline: [`STAGE_THREADS`] workers store
    /// contents one record after another, across batch boundaries (at most
    /// [`LOOKAHEAD`] records ahead of what is recorded), while this thread
    /// records each batch as soon as all of its contents are stored (one
    /// journal and one catalog sync per batch). So hashing and encryption
    /// (CPU) of some records overlap the syncs of others, instead of every
    /// worker computing, then every worker waiting, in lockstep. `on_batch`
    /// gets each batch's results, in order, once they are durable;
    /// returning `false` stops after that batch: contents already stored
    /// for later batches are deleted and their entries say nothing was
    /// stored (nothing half-done remains).
    pub fn ingest_batches<'r>(
        &self,
        ctx: &Ctx,
        batches: &[&'r [IngestRequest]],
        on_batch: &mut dyn FnMut(&'r [IngestRequest], Vec<Result<Ingested, Error>>) -> bool,
    ) {
        let reqs: Vec<&IngestRequest> = batches.iter().flat_map(|b| b.iter()).collect();
        let window = Window::new(reqs.len());
        let mut slots: Vec<Option<Result<Staged, Error>>> = (0..reqs.len()).map(|_| None).collect();
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::channel::<(usize, Result<Staged, Error>)>();
            for _ in 0..STAGE_THREADS.min(reqs.len()) {
                let (tx, window, reqs) = (tx.clone(), &window, &reqs);
                s.spawn(move || {
                    let _stop_if_panicking = StopOnPanic(window);
                    while let Some(i) = window.claim() {
                        if tx.send((i, self.stage(ctx, reqs[i]))).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            // A panic here must not leave workers waiting for room forever.
            let _stop_if_panicking = StopOnPanic(&window);
            let (mut batch, mut start) = (0, 0);
            // Records every batch whose contents are all stored, in order.
            let mut advance = |slots: &mut [Option<Result<Staged, Error>>]| {
                while batch < batches.len() && !window.stopped() {
                    let end = start + batches[batch].len();
                    if slots[start..end].iter().any(Option::is_none) {
                        break;
                    }
                    let staged = slots[start..end]
                        .iter_mut()
                        .filter_map(Option::take)
                        .collect();
                    let go_on = on_batch(batches[batch], self.commit(staged));
                    (batch, start) = (batch + 1, end);
                    window.recorded(end, go_on);
                }
            };
            for (i, staged) in rx {
                slots[i] = Some(staged);
                advance(&mut slots);
            }
            advance(&mut slots); // empty batches at the end
        });
        // Stopped: what was stored for later batches is not recorded.
        self.discard(slots.into_iter().flatten().collect());
    }

    /// Deletes the stored contents of records that will not be recorded;
    /// each one's entry (its permit included) says nothing was stored.
    fn discard(&self, staged: Vec<Result<Staged, Error>>) {
        let failures: Vec<Event> = staged
            .into_iter()
            .flatten()
            .map(|s| {
                let _ = self.blobs.delete(&s.blob);
                let mut f = s.event;
                f.outcome = Outcome::Failure;
                f.malfunction =
                    Some("nothing stored: the ingest stopped before it was recorded".into());
                f
            })
            .collect();
        if !failures.is_empty() {
            let _ = self.journal.append_all(&failures);
        }
    }

    /// Records a staged batch; results in request order.
    pub(crate) fn commit(
        &self,
        outcomes: Vec<Result<Staged, Error>>,
    ) -> Vec<Result<Ingested, Error>> {
        let mut results: Vec<Option<Result<Ingested, Error>>> =
            (0..outcomes.len()).map(|_| None).collect();
        let mut staged = Vec::new();
        for (i, outcome) in outcomes.into_iter().enumerate() {
            match outcome {
                Ok(s) => staged.push((i, s)),
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        match self.record(&mut staged) {
            Ok(()) => {
                for (i, s) in staged {
                    results[i] = Some(Ok(s.result));
                }
            }
            Err(e) => {
                let reason = e.to_string();
                for (i, s) in staged {
                    let _ = self.blobs.delete(&s.blob);
                    results[i] = Some(Err(Error::Integrity {
                        detail: format!("not stored: {reason}"),
                    }));
                }
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::invalid("ingest", "not processed"))))
            .collect()
    }

    /// Journals then catalogs the staged records. If the catalog refuses
    /// after the journal accepted, the journal gets a failure entry per
    /// record, so it never claims a record that does not exist.
    pub(crate) fn record(&self, staged: &mut [(usize, Staged)]) -> Result<(), Error> {
        if staged.is_empty() {
            return Ok(());
        }
        let events: Vec<Event> = staged.iter().map(|(_, s)| s.event.clone()).collect();
        // Removed when this returns, recorded or refused; found at the next
        // opening only if the process was killed in between.
        let _intent = self.intend(staged)?;
        let receipts = self.journal.append_all(&events)?;
        for ((_, s), r) in staged.iter_mut().zip(&receipts) {
            s.row.journal_index = r.index;
            s.result.journal_index = r.index;
        }
        let rows: Vec<RecordRow> = staged.iter().map(|(_, s)| s.row.clone()).collect();
        if let Err(e) = self.catalog.insert(&rows) {
            let failures: Vec<Event> = staged
                .iter()
                .map(|(_, s)| {
                    let mut f = s.event.clone();
                    f.outcome = Outcome::Failure;
                    f.malfunction = Some(format!(
                        "catalog refused the record after journal entry {}: {e}",
                        s.row.journal_index
                    ));
                    f
                })
                .collect();
            let _ = self.journal.append_all(&failures);
            return Err(e.into());
        }
        Ok(())
    }

    pub(crate) fn stage(&self, ctx: &Ctx, req: &IngestRequest) -> Result<Staged, Error> {
        let checked = self.check_request(req)?;
        let subject = self.subject_pseudonym(&checked.person);
        let target = Target {
            record: req.new_version_of.as_deref(),
            doc_type: Some(&req.doc_type),
            classification: Some(&req.classification),
            subject: Some(&subject),
            retention: Some(&req.retention),
            requester: None,
        };
        let resource = Resource {
            record: req.new_version_of.clone(),
            subject: Some(subject.clone()),
            nature: Some(req.doc_type.clone()),
            classification: Some(req.classification.clone()),
            ..Resource::default()
        };
        let grant = self.authorize(ctx, Operation::Ingest, &target, resource.clone())?;
        self.stage_permitted(ctx, req, checked, &grant)
            .inspect_err(|e| {
                // The permit was given: its entry says the ingest then failed
                // (AR-3.5 malfunction), so the decision is never unrecorded.
                let mut f = self.granted_event(ctx, Operation::Ingest, &grant, resource);
                f.outcome = Outcome::Failure;
                f.malfunction = Some(format!("nothing stored: {}", e.kind_text()));
                let _ = self.journal.append(&f);
            })
    }

    fn stage_permitted(
        &self,
        ctx: &Ctx,
        req: &IngestRequest,
        checked: Checked,
        grant: &Grant,
    ) -> Result<Staged, Error> {
        let (record_id, version, previous) = self.next_version(req)?;
        let version_of = Placement {
            record_id,
            version,
            previous,
            provenance: json!({ "event": if previous.is_some() { "new-version" } else { "capture" }, "previous_version": previous }),
            source_name: req
                .source
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
        };
        let new = NewVersion {
            req,
            checked: &checked,
            at: version_of,
            bytes: None,
        };
        self.stage_version(ctx, grant, new, &mut |_| Ok(None))
    }

    /// Stores one version's content (the file `req.source`, or `bytes` when
    /// given) hashed and encrypted in one pass under a new data key, then
    /// builds its catalog row and journal event. `finish` may adjust the row
    /// (metadata kept from elsewhere, a digest to compare) and name another
    /// content-storing action with its details; the metadata digest in the
    /// event is computed after it. On any error the content is deleted.
    pub(crate) fn stage_version(
        &self,
        ctx: &Ctx,
        grant: &Grant,
        new: NewVersion<'_>,
        finish: &mut dyn FnMut(&mut RecordRow) -> Result<Relabel, Error>,
    ) -> Result<Staged, Error> {
        let NewVersion {
            req,
            checked,
            at,
            bytes,
        } = new;
        let blob = BlobKey::new(&blob_key(&at.record_id, at.version))?;
        let key = DataKey::generate();
        let (summary, ident) = match bytes {
            None => self.store_content(&req.source, &blob, &key)?,
            Some(bytes) => self.store_bytes(&req.source, bytes, &blob, &key)?,
        };
        let stored = (|| {
            let wrapped = self
                .ring()
                .wrap_data_key(&key, &key_aad(&at.record_id, at.version))?;
            let content = Content {
                at: &at,
                summary: &summary,
                format: &ident,
                blob: &blob,
                wrapped,
            };
            let mut row = self.build_row(req, checked, content)?;
            let action = finish(&mut row)?;
            let mut event = self.ingest_event(ctx, grant, &row, &ident)?;
            if let Some((action, details)) = action {
                event.action = action.into();
                Self::add_details(&mut event, details);
            }
            Ok::<_, Error>((row, event))
        })();
        let (row, event) = match stored {
            Ok(v) => v,
            Err(e) => {
                let _ = self.blobs.delete(&blob);
                return Err(e);
            }
        };
        let result = Ingested {
            source: req.source.clone(),
            record_id: at.record_id,
            version: at.version,
            sha256: row.sha256.clone(),
            size: row.size,
            pronom: ident.pronom.clone(),
            media_type: ident.media_type.clone(),
            validated: ident.validated,
            journal_index: 0,
            recorded_late: row.recorded_late,
        };
        Ok(Staged {
            row,
            event,
            blob,
            result,
        })
    }

    /// Stores the contents of a batch on up to 16 threads: each content is
    /// synced to disk before it counts, and concurrent syncs overlap (small
    /// records are bound by sync latency, not CPU).
    fn stage_all(&self, ctx: &Ctx, reqs: &[IngestRequest]) -> Vec<Result<Staged, Error>> {
        on_threads(reqs, &|r| self.stage(ctx, r))
    }

    fn next_version(&self, req: &IngestRequest) -> Result<(String, u32, Option<u32>), Error> {
        match &req.new_version_of {
            None => Ok((uuid::Uuid::now_v7().to_string(), 1, None)),
            Some(id) => {
                let latest = self.catalog.get(id, None)?.ok_or_else(|| Error::NotFound {
                    record: id.clone(),
                    version: None,
                })?;
                Ok((latest.record_id, latest.version + 1, Some(latest.version)))
            }
        }
    }

    /// Reads the source once: validates the format and hashes and encrypts
    /// the content into the blob store in the same pass.
    fn store_content(
        &self,
        source: &Path,
        blob: &BlobKey,
        key: &DataKey,
    ) -> Result<(StreamSummary, Format), Error> {
        let mut file = std::fs::File::open(source).map_err(Error::io(source))?;
        let size = file.metadata().map_err(Error::io(source))?.len();
        let writer = self.blobs.create(blob)?;
        let mut enc = EncryptingWriter::new(key, writer)?;
        let outcome = if size <= self.policy.max_validated_in_memory {
            let mut bytes = Vec::with_capacity(size as usize);
            file.read_to_end(&mut bytes).map_err(Error::io(source))?;
            let ident = self.validate(source, &bytes)?;
            enc.write_all(&bytes).map_err(Error::io(source))?;
            Ok(ident)
        } else {
            self.stream_text(source, &mut file, &mut enc)
        };
        // On error the unfinished writer is dropped: nothing is stored.
        let ident = outcome?;
        let (writer, summary) = enc.finish()?;
        writer.finish()?;
        Ok((summary, ident))
    }

    /// Content already in memory (a migration's output): validated, then
    /// hashed and encrypted into the blob store. `name` only labels errors.
    fn store_bytes(
        &self,
        name: &Path,
        bytes: &[u8],
        blob: &BlobKey,
        key: &DataKey,
    ) -> Result<(StreamSummary, Format), Error> {
        let ident = self.validate(name, bytes)?;
        let writer = self.blobs.create(blob)?;
        let mut enc = EncryptingWriter::new(key, writer)?;
        enc.write_all(bytes).map_err(Error::io(name))?;
        let (writer, summary) = enc.finish()?;
        writer.finish()?;
        Ok((summary, ident))
    }

    fn validate(&self, source: &Path, bytes: &[u8]) -> Result<Format, Error> {
        match probant_formats::identify_and_validate(bytes) {
            Ok(i) => Ok(Format::validated(&i)),
            Err(FormatError::Unknown | FormatError::Empty)
                if self.policy.accept_unvalidated_formats =>
            {
                Ok(Format::unvalidated())
            }
            Err(source_err) => Err(Error::Format {
                path: source.to_owned(),
                source: source_err,
            }),
        }
    }

    /// Files larger than the in-memory limit: only UTF-8 text can be
    /// validated while streaming (AR-16: what cannot be validated is refused).
    fn stream_text(
        &self,
        source: &Path,
        file: &mut std::fs::File,
        out: &mut impl Write,
    ) -> Result<Format, Error> {
        let mut check = probant_formats::TextStream::default();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).map_err(Error::io(source))?;
            if n == 0 {
                break;
            }
            check.update(&buf[..n]).map_err(|e| Error::Format {
                path: source.to_owned(),
                source: e,
            })?;
            out.write_all(&buf[..n]).map_err(Error::io(source))?;
        }
        let ident = check.finish().map_err(|e| Error::Format {
            path: source.to_owned(),
            source: e,
        })?;
        Ok(Format::validated(&ident))
    }

    fn ingest_event(
        &self,
        ctx: &Ctx,
        grant: &Grant,
        row: &RecordRow,
        format: &Format,
    ) -> Result<Event, Error> {
        let resource = Resource {
            record: Some(row.record_id.clone()),
            version: Some(row.version.into()),
            subject: Some(row.subject_index.clone()),
            nature: Some(row.doc_type.clone()),
            classification: Some(row.classification.clone()),
            sha256: Some(row.sha256.clone()),
        };
        let mut e = self.granted_event(ctx, Operation::Ingest, grant, resource);
        Self::add_details(
            &mut e,
            json!({
                "original_id": row.original_id,
                "created": row.created,
                "recorded_late": row.recorded_late,
                "retention_class": row.retention_class,
                "retention_due": row.retention_due,
                "format": { "pronom": format.pronom, "media_type": format.media_type, "validated": format.validated },
                "size": row.size,
                "previous_version": row.previous_version,
                "metadata_sha256": metadata_digest(row)?,
            }),
        );
        Ok(e)
    }
}

/// The format as recorded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Format {
    pub pronom: String,
    pub media_type: String,
    pub name: String,
    pub version: Option<String>,
    pub pdfa: Option<String>,
    pub validated: bool,
}

impl Format {
    fn validated(i: &Identification) -> Self {
        Format {
            pronom: i.pronom.to_string(),
            media_type: i.media_type.to_string(),
            name: i.name.to_string(),
            version: i.version.clone(),
            pdfa: i.pdfa.clone(),
            validated: true,
        }
    }
    fn unvalidated() -> Self {
        Format {
            pronom: "unknown".into(),
            media_type: "application/octet-stream".into(),
            name: "unidentified (accepted unvalidated by policy)".into(),
            version: None,
            pdfa: None,
            validated: false,
        }
    }
}

/// Sealed-metadata key of the ingested file's name.
pub(crate) const SOURCE_NAME: &str = "source_name";
/// Sealed-metadata key of the paper original's identifier.
pub(crate) const ORIGINAL_ID: &str = "original_id";

/// What storing the content produced.
struct Content<'a> {
    at: &'a Placement,
    summary: &'a StreamSummary,
    format: &'a Format,
    blob: &'a BlobKey,
    wrapped: probant_crypto::WrappedKey,
}

impl Vault {
    fn build_row(
        &self,
        req: &IngestRequest,
        checked: &Checked,
        c: Content<'_>,
    ) -> Result<RecordRow, Error> {
        let (id, v) = (c.at.record_id.as_str(), c.at.version);
        let mut meta = req.meta.clone();
        if let Some(name) = &c.at.source_name {
            // File names often name the person: kept, but only encrypted.
            meta.insert(SOURCE_NAME.into(), name.clone());
        }
        // So may original ids built from paths (DESIGN contract 8): sealed
        // too, and searched through their blind index.
        meta.insert(ORIGINAL_ID.into(), req.original_id.clone());
        let meta_json =
            serde_json::to_vec(&meta).map_err(|e| Error::invalid("--meta", e.to_string()))?;
        Ok(RecordRow {
            record_id: id.to_owned(),
            version: v,
            previous_version: c.at.previous,
            subject_index: self.subject_pseudonym(&checked.person),
            subject_sealed: self.seal_field(id, v, "subject", checked.person.expose().as_bytes()),
            doc_type: req.doc_type.clone(),
            title_sealed: req
                .title
                .as_ref()
                .map(|t| self.seal_field(id, v, "title", t.as_bytes())),
            original_id: self.original_id_index(&req.original_id),
            original_destroyed: None,
            created: civil::format_date(checked.created),
            recorded: probant_journal::entry::format_time(now_micros()),
            recorded_late: checked.today > checked.created,
            controller: self.policy.institution.controller.clone(),
            executor: self.policy.institution.executor.clone(),
            place: self.policy.institution.place.clone(),
            classification: req.classification.clone(),
            retention_class: req.retention.clone(),
            retention_due: civil::format_date(checked.due),
            legal_hold: false,
            format: serde_json::to_string(c.format)
                .map_err(|e| Error::invalid("format", e.to_string()))?,
            size: c.summary.plaintext_len,
            sha256: probant_verify::hash::to_hex(&c.summary.sha256),
            blob_key: c.blob.as_str().to_owned(),
            kek_version: c.wrapped.kek_version,
            wrapped_key: c.wrapped.bytes.clone(),
            meta_sealed: Some(self.seal_field(id, v, "meta", &meta_json)),
            provenance: c.at.provenance.to_string(),
            journal_index: 0,
        })
    }
}

pub(crate) fn now_micros() -> i64 {
    use probant_journal::Clock;
    probant_journal::SystemClock.now_micros()
}

/// Metadata checked before anything is stored.
pub(crate) struct Checked {
    pub person: PersonNumber,
    pub created: Date,
    pub due: Date,
    pub today: Date,
}

impl Vault {
    pub(crate) fn check_request(&self, req: &IngestRequest) -> Result<Checked, Error> {
        let person = probant_identifiers::parse_person(&req.subject)
            .map_err(|e| Error::invalid("--subject", e.to_string()))?;
        check_token("--type", &req.doc_type, 64)?;
        check_text("--original-id", &req.original_id, 256)?;
        self.policy.classification(&req.classification)?;
        // AR-17 compares Belgian days: 00:30 in Brussels is the next day.
        let today = civil::belgian_today();
        let created = match &req.created {
            None => today,
            Some(d) => parse_date(d)
                .ok_or_else(|| Error::invalid("--created", "expected a date YYYY-MM-DD"))?,
        };
        if created > today {
            return Err(Error::invalid(
                "--created",
                "the creation date is in the future",
            ));
        }
        let due = self.policy.retention_due(&req.retention, created)?;
        if let Some(t) = &req.title {
            check_text("--title", t, 1024)?;
        }
        for (k, v) in &req.meta {
            check_token("--meta key", k, 64)?;
            if k == SOURCE_NAME || k == ORIGINAL_ID {
                return Err(Error::invalid("--meta key", format!("{k} is reserved")));
            }
            check_text("--meta value", v, 4096)?;
        }
        Ok(Checked {
            person,
            created,
            due,
            today,
        })
    }
}

/// Where a version's content is stored: 256 shards by the id's last two
/// hex digits (random in a UUIDv7), so no directory grows without bound and
/// no record needs a directory of its own (one sync fewer per record).
pub fn blob_key(record_id: &str, version: u32) -> String {
    let shard = record_id
        .get(record_id.len().saturating_sub(2)..)
        .unwrap_or("00");
    format!("records/{shard}/{record_id}-v{version}")
}

/// YYYY-MM-DD.
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &f).ok()
}

fn check_token(field: &'static str, v: &str, max: usize) -> Result<(), Error> {
    let ok = !v.is_empty()
        && v.len() <= max
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("1 to {max} characters among a-z 0-9 . _ -"),
        ))
    }
}

fn check_text(field: &'static str, v: &str, max: usize) -> Result<(), Error> {
    if v.trim().is_empty() || v.len() > max || v.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            format!("1 to {max} characters, no control characters"),
        ));
    }
    Ok(())
}
