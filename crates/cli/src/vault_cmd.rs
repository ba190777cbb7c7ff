//! `probant ingest | get | search | show | verify`: the vault's main job.
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use probant_journal::Outcome;
use probant_vault::{Ctx, IngestRequest, Operation, SearchRequest, VerifyScope};
use serde_json::json;

use crate::home::Home;
use crate::output::{progress, Out};

/// The legal basis used when none is given (DESIGN contract 6).
pub const DEFAULT_LEGAL_BASIS: &str = "own-records";

/// Why and under which legal basis (recorded in the journal).
#[derive(clap::Args, Debug, Clone)]
pub struct Why {
    /// The purpose of this processing.
    #[arg(long)]
    purpose: Option<String>,
    /// The legal basis relied on (default: own-records, the institution's own records management).
    #[arg(long, default_value = DEFAULT_LEGAL_BASIS)]
    legal_basis: String,
}

/// `probant ingest` arguments.
#[derive(clap::Args, Debug)]
pub struct IngestArgs {
    /// Files or directories (a directory is ingested recursively, each file's original id
    /// being ID/<path relative to the directory>).
    #[arg(required_unless_present = "manifest")]
    paths: Vec<PathBuf>,
    /// A manifest, one record a line, paths relative to the manifest: JSON lines
    /// ({"file", "subject", "type", "original_id", "classification", "retention"?, "created"?,
    /// "title"?, "meta"?}) or, for a name ending in .csv, CSV with a header row naming the
    /// same columns (no meta).
    #[arg(long, conflicts_with = "paths")]
    manifest: Option<PathBuf>,
    /// The data subject's INSZ/NISS or BIS number.
    #[arg(long, required_unless_present = "manifest")]
    subject: Option<String>,
    /// Document type (a-z 0-9 . _ -).
    #[arg(long = "type", required_unless_present = "manifest")]
    doc_type: Option<String>,
    /// Unique identifier of the paper original (AR-17).
    #[arg(long, required_unless_present = "manifest")]
    original_id: Option<String>,
    /// Classification level.
    #[arg(long, required_unless_present = "manifest")]
    classification: Option<String>,
    /// Retention class.
    #[arg(long, default_value = "default")]
    retention: String,
    /// Creation date of the document (YYYY-MM-DD; default today).
    #[arg(long)]
    created: Option<String>,
    /// Title.
    #[arg(long)]
    title: Option<String>,
    /// Further metadata, KEY=VALUE (repeatable).
    #[arg(long = "meta", value_parser = parse_kv)]
    meta: Vec<(String, String)>,
    /// Store as a new version of this record.
    #[arg(long)]
    new_version_of: Option<String>,
    #[command(flatten)]
    why: Why,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| "expected KEY=VALUE".into())
}

fn ctx(home: &Home, why: &Why, default_purpose: &str) -> Ctx {
    home.ctx(
        Some(why.purpose.as_deref().unwrap_or(default_purpose)),
        Some(&why.legal_basis),
    )
}

/// Runs `ingest`; exit code 1 if any record failed.
pub fn ingest(home: &Home, args: &IngestArgs, out: &Out) -> Result<i32> {
    let requests = match &args.manifest {
        Some(m) => read_manifest(m)?,
        None => expand(args)?,
    };
    let ctx = ctx(home, &args.why, "records management: capture");
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // Ctrl-C: finish the batch in flight (it is durable and printed), then stop.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let bar = progress(requests.len() as u64, "ingesting", out);
    let mut failed = 0u64;
    let batches = batches(&requests);
    home.vault
        .ingest_batches(&ctx, &batches, &mut |batch, results| {
            for (req, result) in batch.iter().zip(results) {
                bar.suspend(|| report(req, &result, out));
                failed += u64::from(result.is_err());
                bar.inc(1);
            }
            !stop.load(Ordering::SeqCst)
        });
    bar.finish_and_clear();
    let done = bar.position();
    if done < requests.len() as u64 {
        eprintln!(
            "interrupted: {} of {} records not ingested (nothing of them was kept)",
            requests.len() as u64 - done,
            requests.len()
        );
        return Ok(130);
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

/// Batches of at most 64 files or 64 MiB: one journal append and one catalog
/// transaction each.
fn batches(reqs: &[IngestRequest]) -> Vec<&[IngestRequest]> {
    let (mut out, mut start, mut bytes) = (Vec::new(), 0, 0u64);
    for (i, r) in reqs.iter().enumerate() {
        bytes += std::fs::metadata(&r.source).map(|m| m.len()).unwrap_or(0);
        if i + 1 - start == 64 || bytes >= 64 << 20 || i + 1 == reqs.len() {
            out.push(&reqs[start..=i]);
            start = i + 1;
            bytes = 0;
        }
    }
    out
}

fn report(
    req: &IngestRequest,
    r: &Result<probant_vault::Ingested, probant_vault::Error>,
    out: &Out,
) {
    match (r, out.json) {
        (Ok(i), true) => {
            let _ = out.json_line(&json!({ "ok": true, "file": i.source, "id": i.record_id, "version": i.version,
                "sha256": i.sha256, "size": i.size, "format": i.pronom, "media_type": i.media_type,
                "validated": i.validated, "journal_index": i.journal_index, "recorded_late": i.recorded_late }));
        }
        (Ok(i), false) => out.line(format!(
            "{} → {} v{}  {}  {} ({})  journal #{}{}",
            i.source.display(),
            i.record_id,
            i.version,
            &i.sha256[..16],
            i.pronom,
            i.media_type,
            i.journal_index,
            if i.recorded_late {
                "  [recorded after its creation day]"
            } else {
                ""
            }
        )),
        (Err(e), true) => {
            let _ =
                out.json_line(&json!({ "ok": false, "file": req.source, "error": e.to_string() }));
        }
        (Err(e), false) => eprintln!("{}: not ingested: {e}", req.source.display()),
    }
}

fn base_request(args: &IngestArgs) -> IngestRequest {
    IngestRequest {
        source: PathBuf::new(),
        subject: args.subject.clone().unwrap_or_default(),
        doc_type: args.doc_type.clone().unwrap_or_default(),
        original_id: args.original_id.clone().unwrap_or_default(),
        classification: args.classification.clone().unwrap_or_default(),
        retention: args.retention.clone(),
        created: args.created.clone(),
        title: args.title.clone(),
        meta: args.meta.iter().cloned().collect(),
        new_version_of: args.new_version_of.clone(),
    }
}

/// Files as given; directories walked in name order (contract 8: original id
/// `ID/<relative path>`).
fn expand(args: &IngestArgs) -> Result<Vec<IngestRequest>> {
    let base = base_request(args);
    if base.original_id.trim().is_empty() {
        bail!("--original-id: 1 to 256 characters, no control characters");
    }
    let mut out = Vec::new();
    for p in &args.paths {
        if p.is_dir() {
            for file in walk(p)? {
                let rel = file
                    .strip_prefix(p)
                    .unwrap_or(&file)
                    .to_string_lossy()
                    .into_owned();
                out.push(IngestRequest {
                    source: file,
                    original_id: format!("{}/{rel}", base.original_id),
                    ..base.clone()
                });
            }
        } else {
            out.push(IngestRequest {
                source: p.clone(),
                ..base.clone()
            });
        }
    }
    if out.is_empty() {
        bail!("nothing to ingest");
    }
    Ok(out)
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("{}", dir.display()))?
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let ty = e.file_type()?;
        if ty.is_dir() {
            files.extend(walk(&e.path())?);
        } else if ty.is_file() {
            files.push(e.path());
        } // symbolic links are not followed: a link must not pull files from elsewhere
    }
    Ok(files)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestLine {
    file: PathBuf,
    subject: String,
    #[serde(rename = "type")]
    doc_type: String,
    original_id: String,
    classification: String,
    #[serde(default = "default_class")]
    retention: String,
    #[serde(default, deserialize_with = "empty_is_none")]
    created: Option<String>,
    #[serde(default, deserialize_with = "empty_is_none")]
    title: Option<String>,
    #[serde(default)]
    meta: BTreeMap<String, String>,
}

/// An empty CSV cell means "not given".
fn empty_is_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(v.filter(|s| !s.is_empty()))
}

fn default_class() -> String {
    "default".into()
}

fn read_manifest(path: &Path) -> Result<Vec<IngestRequest>> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let lines = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        csv_lines(f, path)?
    } else {
        json_lines(f, path)?
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    lines
        .into_iter()
        .map(|(n, m)| to_request(dir, path, n, m))
        .collect()
}

fn json_lines(f: std::fs::File, path: &Path) -> Result<Vec<(usize, ManifestLine)>> {
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line?;
        if !line.trim().is_empty() {
            let m = serde_json::from_str(&line)
                .map_err(|e| manifest_error(path, n + 1, &e.to_string()))?;
            out.push((n + 1, m));
        }
    }
    Ok(out)
}

fn csv_lines(f: std::fs::File, path: &Path) -> Result<Vec<(usize, ManifestLine)>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(f);
    let mut out = Vec::new();
    for (n, row) in reader.deserialize::<ManifestLine>().enumerate() {
        // The header is line 1.
        out.push((
            n + 2,
            row.map_err(|e| manifest_error(path, n + 2, &e.to_string()))?,
        ));
    }
    Ok(out)
}

/// A manifest error without the values it quotes: parsers repeat the
/// offending value, which may be a national number (CC-7.a: none in logs).
fn manifest_error(path: &Path, line: usize, parser: &str) -> anyhow::Error {
    let field = ["missing field `", "unknown field `"].iter().find_map(|p| {
        let rest = &parser[parser.find(p)? + p.len()..];
        Some(format!("{}{}`", p, &rest[..rest.find('`')?]))
    });
    match field {
        Some(f) => anyhow::anyhow!("{} line {line}: {f}", path.display()),
        None => anyhow::anyhow!(
            "{} line {line}: not a valid manifest line (fields: file, subject, type, original_id, classification, and optionally retention, created, title, meta — all strings)",
            path.display()
        ),
    }
}

fn to_request(dir: &Path, path: &Path, n: usize, m: ManifestLine) -> Result<IngestRequest> {
    let escapes = m.file.is_absolute()
        || m.file
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
    if m.file.as_os_str().is_empty() || escapes {
        bail!(
            "{} line {n}: file paths must stay inside the manifest's directory",
            path.display()
        );
    }
    Ok(IngestRequest {
        source: dir.join(&m.file),
        subject: m.subject,
        doc_type: m.doc_type,
        original_id: m.original_id,
        classification: m.classification,
        retention: m.retention,
        created: m.created,
        title: m.title,
        meta: m.meta,
        new_version_of: None,
    })
}

/// `probant get` arguments.
#[derive(clap::Args, Debug)]
pub struct GetArgs {
    /// Record id.
    id: String,
    /// Version (default: the latest).
    #[arg(long)]
    version: Option<u32>,
    /// Where to write the content.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    /// The purpose of this read (required: every read states why).
    #[arg(long)]
    purpose: String,
    /// The legal basis relied on.
    #[arg(long, default_value = DEFAULT_LEGAL_BASIS)]
    legal_basis: String,
}

/// Runs `get`.
pub fn get(home: &Home, a: &GetArgs, out: &Out) -> Result<i32> {
    if a.output.exists() {
        bail!("{} exists: refusing to overwrite it", a.output.display());
    }
    let why = Why {
        purpose: Some(a.purpose.clone()),
        legal_basis: a.legal_basis.clone(),
    };
    let r = home
        .vault
        .get(&ctx(home, &why, ""), &a.id, a.version, &a.output)?;
    if out.json {
        out.json_line(&r)?;
    } else {
        out.line(format!(
            "{} v{} → {} ({} bytes, SHA-256 verified; read journaled as #{})",
            r.record_id,
            r.version,
            r.path.display(),
            r.size,
            r.journal_index
        ));
    }
    Ok(0)
}

/// Search criteria on metadata, as `search`, `export` and `migrate` take
/// them (the AND of those given).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Criteria {
    /// Subject's INSZ/NISS or BIS number.
    #[arg(long)]
    pub subject: Option<String>,
    /// Paper original's identifier.
    #[arg(long)]
    pub original_id: Option<String>,
    /// Document type.
    #[arg(long = "type")]
    pub doc_type: Option<String>,
    /// Created on or after (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<String>,
    /// Created on or before (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<String>,
}

impl Criteria {
    /// Whether any criterion is given.
    pub fn any(&self) -> bool {
        self.subject.is_some()
            || self.original_id.is_some()
            || self.doc_type.is_some()
            || self.from.is_some()
            || self.to.is_some()
    }

    /// The vault's search request for these criteria.
    pub fn request(&self, limit: Option<u32>) -> SearchRequest {
        SearchRequest {
            subject: self.subject.clone(),
            original_id: self.original_id.clone(),
            doc_type: self.doc_type.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            limit,
        }
    }
}

/// `probant search` arguments.
#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    #[command(flatten)]
    criteria: Criteria,
    /// At most this many results.
    #[arg(long)]
    limit: Option<u32>,
    #[command(flatten)]
    why: Why,
}

/// Runs `search`.
pub fn search(home: &Home, a: &SearchArgs, out: &Out) -> Result<i32> {
    let q = a.criteria.request(a.limit);
    let found = home
        .vault
        .search(&ctx(home, &a.why, "records management: search"), &q)?;
    for r in &found {
        if out.json {
            out.json_line(r)?;
        } else {
            out.line(format!(
                "{} v{}  {}  {}  created {}  {} bytes  {}",
                r.record_id,
                r.version,
                r.doc_type,
                r.original_id,
                r.created,
                r.size,
                r.classification
            ));
        }
    }
    if !out.json {
        out.line(format!("{} record version(s)", found.len()));
    }
    Ok(0)
}

/// Runs `show`.
pub fn show(home: &Home, id: &str, why: &Why, out: &Out) -> Result<i32> {
    let versions = home
        .vault
        .show(&ctx(home, why, "records management: consult metadata"), id)?;
    if out.json {
        out.json_line(&json!({ "record_id": id, "versions": versions }))?;
    } else {
        println!("{}", serde_json::to_string_pretty(&versions)?);
    }
    Ok(0)
}

/// Runs `verify`; exit code 1 on any problem.
pub fn verify(home: &Home, record: Option<&str>, out: &Out) -> Result<i32> {
    let vctx = home.ctx(Some("integrity verification (AR-13.3)"), None);
    let grant = home.vault.authorize_system(&vctx, Operation::Verify)?;
    let scope = record.map_or(VerifyScope::All, |r| VerifyScope::Record(r.to_owned()));
    // Leftovers of writes a crash interrupted (ciphertext, never blobs):
    // safe to remove at any age, as this process holds the home's lock.
    let purged = if record.is_none() {
        home.blobs.purge_staging(std::time::Duration::ZERO)?
    } else {
        0
    };
    let bar = progress(0, "verifying records", out);
    let mut report = home.vault.verify(&scope, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    if record.is_none() {
        // The access state (users, policy) must be what the journal says it is.
        let access = home.access.borrow().check_against_journal(&home.vault)?;
        report.problems.extend(access);
    }
    let outcome = if report.problems.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let mut e = home
        .vault
        .granted_event(&vctx, Operation::Verify, &grant, Default::default());
    e.outcome = outcome;
    probant_vault::Vault::add_details(
        &mut e,
        json!({ "record": record, "versions_checked": report.versions_checked, "problems": report.problems.len(), "staging_leftovers_removed": purged }),
    );
    e.malfunction = report.problems.first().cloned();
    home.journal.append(&e)?;
    if out.json {
        out.json_line(&json!({ "ok": report.problems.is_empty(), "report": report }))?;
    } else if report.problems.is_empty() {
        out.line(format!("vault OK: {} record version(s), {} bytes re-hashed, catalog ↔ blobs ↔ journal consistent{}",
            report.versions_checked, report.bytes_verified,
            if record.is_none() { format!(", journal verified ({} entries)", report.journal_entries) } else { String::new() }));
    } else {
        for p in &report.problems {
            eprintln!("PROBLEM: {p}");
        }
        eprintln!("vault INCONSISTENT: {} problem(s)", report.problems.len());
    }
    Ok(if report.problems.is_empty() { 0 } else { 1 })
}

/// Runs `keys rotate`.
pub fn rotate(home: &Home, retire_old: bool, out: &Out) -> Result<i32> {
    let why = Why {
        purpose: Some("key life cycle: rotation (N-5.7.1)".into()),
        legal_basis: DEFAULT_LEGAL_BASIS.into(),
    };
    let r = home.vault.rotate_record_kek(
        &ctx(home, &why, ""),
        &home.dir.join("keyring.json"),
        &home.key_source,
        retire_old,
    )?;
    if out.json {
        out.json_line(&r)?;
    } else {
        out.line(format!(
            "record KEK rotated: version {} → {}; {} data key(s) re-wrapped, no content rewritten{}",
            r.from_version,
            r.to_version,
            r.rewrapped,
            if r.retired.is_empty() { String::new() } else { format!("; retired (destroyed) version(s) {:?}", r.retired) }
        ));
    }
    Ok(0)
}
