//! `probant export | verify-bag | prove | import | migrate`: records out of
//! a home and into another with their evidence (DESIGN contracts 4 and 5;
//! AR-16, AR-19, AR-20.12, N-5.11.13). `docs/export.md` describes them.
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use probant_formats::Format;
use probant_vault::{Ctx, Selection};
use probant_verify::bag::{verify_bag, BagReport, DirBag};
use probant_verify::VerifierKey;
use serde_json::json;

use crate::home::Home;
use crate::output::{progress, Out};
use crate::vault_cmd::{Criteria, DEFAULT_LEGAL_BASIS};

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

impl Why {
    fn ctx(&self, home: &Home, default_purpose: &str) -> Ctx {
        home.ctx(
            Some(self.purpose.as_deref().unwrap_or(default_purpose)),
            Some(&self.legal_basis),
        )
    }
}

/// Which records: ids, or search criteria (as `probant search`), or all.
#[derive(clap::Args, Debug, Clone)]
pub struct Select {
    #[command(flatten)]
    criteria: Criteria,
    /// Select every record of the home.
    #[arg(long)]
    all: bool,
}

impl Select {
    /// The selection: `ids`, or the criteria (not both); at least one.
    fn selection(&self, ids: &[String]) -> Result<Selection> {
        match (ids.is_empty(), self.criteria.any() || self.all) {
            (false, false) => Ok(Selection::Records(ids.to_vec())),
            (true, true) => Ok(Selection::Query(self.criteria.request(None))),
            (false, true) => bail!("give record ids or selection criteria (--subject, --original-id, --type, --from, --to, --all), not both"),
            (true, false) => bail!("nothing selected: give record ids, or --subject, --original-id, --type, --from, --to, or --all"),
        }
    }
}

/// `probant export` arguments.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Record ids (every version of each is exported).
    ids: Vec<String>,
    #[command(flatten)]
    select: Select,
    /// The bag's directory (must not exist).
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    #[command(flatten)]
    why: Why,
}

/// Runs `export`; exit code 130 if interrupted (no bag is left).
pub fn export(home: &Home, a: &ExportArgs, out: &Out) -> Result<i32> {
    let selection = a.select.selection(&a.ids)?;
    if std::fs::symlink_metadata(&a.output).is_ok() {
        bail!(
            "{} exists: an export writes a new directory",
            a.output.display()
        );
    }
    let ctx = a.why.ctx(home, "records management: export");
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // Ctrl-C: the export stops, its partial directory is removed, and the
    // journal records that nothing was delivered.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let bar = progress(0, "exporting (bytes)", out);
    let result = home
        .vault
        .export(&ctx, &selection, &a.output, &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
            !stop.load(Ordering::SeqCst)
        });
    bar.finish_and_clear();
    let r = match result {
        Err(probant_vault::Error::Interrupted) => {
            eprintln!(
                "interrupted: no bag was written (the journal records that nothing was delivered)"
            );
            return Ok(130);
        }
        other => other?,
    };
    if r.stale_partials_removed > 0 && !out.json {
        out.line(format!(
            "removed {} partial bag(s) that killed exports had left beside {} (records in clear)",
            r.stale_partials_removed,
            a.output.display()
        ));
    }
    if out.json {
        out.json_line(&r)?;
    } else {
        out.line(format!(
            "exported {} record version(s), {} payload bytes, to {}\n  every proof leads to checkpoint {} of \"{}\" (export {})\n  check it with: probant verify-bag {} --vkey <the journal's verifier key, obtained independently>",
            r.versions.len(),
            r.payload_bytes,
            r.dir.display(),
            r.checkpoint_size,
            r.origin,
            r.export_id,
            r.dir.display()
        ));
    }
    Ok(0)
}

/// Reads a verifier key file.
fn read_vkey(path: &Path) -> Result<VerifierKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the verifier key {}", path.display()))?;
    VerifierKey::parse(&text).with_context(|| format!("{}", path.display()))
}

/// Runs `verify-bag` (offline, the `verify` crate only); exit code 1 when
/// the bag is not valid.
pub fn verify_bag_cmd(dir: &Path, vkey: Option<&PathBuf>, out: &Out) -> Result<i32> {
    let key = vkey.map(|p| read_vkey(p)).transpose()?;
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let report = verify_bag(&DirBag::new(dir), key.as_ref());
    if out.json {
        out.json_line(&bag_json(&report))?;
    } else {
        print_bag_report(dir, &report);
    }
    Ok(if report.is_valid() { 0 } else { 1 })
}

fn bag_json(r: &BagReport) -> serde_json::Value {
    json!({
        "valid": r.is_valid(),
        "checkpoint": r.checkpoint.as_ref().map(|c| json!({ "origin": c.origin, "size": c.size })),
        "vkey_from_bag": r.vkey_from_bag,
        "records": r.records.iter().map(|v| json!({
            "record_id": v.record_id, "version": v.version,
            "sha256": probant_verify::hash::to_hex(&v.sha256), "entry_index": v.index,
        })).collect::<Vec<_>>(),
        "problems": r.problems.iter().map(|p| json!({
            "path": p.path, "kind": p.kind.to_string(), "detail": p.detail,
        })).collect::<Vec<_>>(),
    })
}

fn print_bag_report(dir: &Path, r: &BagReport) {
    for p in &r.problems {
        eprintln!("PROBLEM: {p}");
    }
    let key_note = if r.vkey_from_bag {
        "\n  verified with the bag's own data/journal/vkey: this proves the bag consistent, not where it comes from; compare that key with the one the institution gave you, or pass it with --vkey"
    } else {
        ""
    };
    match (&r.checkpoint, r.is_valid()) {
        (Some(cp), true) => println!(
            "valid bag: {} record version(s), each proven to be the content its journal entry recorded, with the metadata its export entry committed to, in log \"{}\" at checkpoint {} (signature valid){key_note}",
            r.records.len(),
            cp.origin,
            cp.size
        ),
        _ => eprintln!(
            "INVALID bag {}: {} problem(s){key_note}",
            dir.display(),
            r.problems.len().max(1)
        ),
    }
}

/// `probant prove` arguments.
#[derive(clap::Args, Debug)]
pub struct ProveArgs {
    /// Record id.
    id: String,
    /// Version (default: the latest).
    #[arg(long)]
    version: Option<u32>,
    /// Write the document to this file (default: standard output).
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    #[command(flatten)]
    why: Why,
}

/// Runs `prove`: the proof document on stdout (one line with --json) or in a file.
pub fn prove(home: &Home, a: &ProveArgs, out: &Out) -> Result<i32> {
    if let Some(path) = &a.output {
        if std::fs::symlink_metadata(path).is_ok() {
            bail!("{} exists: refusing to overwrite it", path.display());
        }
    }
    let ctx = a.why.ctx(home, "evidence: proof of a record");
    let doc = home.vault.prove(&ctx, &a.id, a.version)?;
    let text = if out.json {
        serde_json::to_string(&doc)?
    } else {
        serde_json::to_string_pretty(&doc)?
    };
    match &a.output {
        Some(path) => {
            write_new_file(path, format!("{text}\n").as_bytes())?;
            if !out.json {
                out.line(format!("proof of {} written to {}", a.id, path.display()));
            }
        }
        None => out.line(text),
    }
    Ok(0)
}

/// Writes a new file (refusing an existing one) and makes it and its
/// directory entry durable.
fn write_new_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// `probant import` arguments.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The bag's directory.
    dir: PathBuf,
    /// The source journal's verifier key, obtained independently (default: the bag's own,
    /// which proves consistency but not origin).
    #[arg(long)]
    vkey: Option<PathBuf>,
    #[command(flatten)]
    why: Why,
}

/// Runs `import`.
pub fn import(home: &Home, a: &ImportArgs, out: &Out) -> Result<i32> {
    let key = a.vkey.as_deref().map(read_vkey).transpose()?;
    if !a.dir.is_dir() {
        bail!("{} is not a directory", a.dir.display());
    }
    let ctx = a.why.ctx(home, "records management: import (AR-19)");
    let r = home.vault.import(&ctx, &a.dir, key.as_ref())?;
    if out.json {
        out.json_line(&r)?;
        return Ok(0);
    }
    for v in &r.versions {
        out.line(format!(
            "{} v{}  {}  ← \"{}\" entry #{}  journal #{}",
            v.record_id,
            v.version,
            &v.sha256[..16],
            r.source_origin,
            v.source_entry_index,
            v.journal_index
        ));
    }
    out.line(format!(
        "imported {} record version(s) from \"{}\" (checkpoint {}){}",
        r.versions.len(),
        r.source_origin,
        r.source_checkpoint_size,
        if r.vkey_from_bag {
            "; verified with the bag's own key: compare it with the source's, or give it with --vkey"
        } else {
            ""
        }
    ));
    Ok(0)
}

/// `probant migrate` arguments.
#[derive(clap::Args, Debug)]
pub struct MigrateArgs {
    /// The source format (tiff, png, pdf, jpeg, jp2, xml, json, text).
    #[arg(long = "from", value_parser = parse_format)]
    from_format: Format,
    /// The target format.
    #[arg(long = "to", value_parser = parse_format)]
    to_format: Format,
    /// Migrate these records (repeatable).
    #[arg(long = "record")]
    records: Vec<String>,
    /// Select the records whose subject has this INSZ/NISS or BIS number.
    #[arg(long)]
    subject: Option<String>,
    /// Select by document type.
    #[arg(long = "type")]
    doc_type: Option<String>,
    /// Select the records created on or after this date (YYYY-MM-DD).
    #[arg(long = "created-from")]
    created_from: Option<String>,
    /// Select the records created on or before this date (YYYY-MM-DD).
    #[arg(long = "created-to")]
    created_to: Option<String>,
    /// Select every record of the home (those in the source format are migrated).
    #[arg(long)]
    all: bool,
    /// Accept a migration that loses information (recorded as lossy, with the losses).
    #[arg(long)]
    allow_lossy: bool,
    #[command(flatten)]
    why: Why,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "tiff" | "tif" => Format::Tiff,
        "png" => Format::Png,
        "pdf" => Format::Pdf,
        "jpeg" | "jpg" => Format::Jpeg,
        "jp2" | "jpeg2000" => Format::Jpeg2000,
        "xml" => Format::Xml,
        "json" => Format::Json,
        "text" | "txt" => Format::Utf8Text,
        _ => return Err("one of tiff, png, pdf, jpeg, jp2, xml, json, text".into()),
    })
}

/// Runs `migrate`; exit code 1 if any migration failed.
pub fn migrate(home: &Home, a: &MigrateArgs, out: &Out) -> Result<i32> {
    let select = Select {
        criteria: Criteria {
            subject: a.subject.clone(),
            doc_type: a.doc_type.clone(),
            from: a.created_from.clone(),
            to: a.created_to.clone(),
            ..Criteria::default()
        },
        all: a.all,
    };
    let selection = select.selection(&a.records)?;
    let ctx = a
        .why
        .ctx(home, "preservation: format migration (AR-16, AR-20.12)");
    let results =
        home.vault
            .migrate(&ctx, a.from_format, a.to_format, &selection, a.allow_lossy)?;
    let mut failed = 0;
    for r in &results {
        match (r, out.json) {
            (Ok(m), true) => out.json_line(&json!({ "ok": true, "migrated": m }))?,
            (Ok(m), false) => out.line(format!(
                "{} v{} → v{}  {} ({})  {}  journal #{}{}",
                m.record_id,
                m.source_version,
                m.version,
                m.pronom,
                m.media_type,
                &m.sha256[..16],
                m.journal_index,
                if m.lossless {
                    "  lossless (verified)".to_owned()
                } else {
                    format!("  LOSSY: {}", m.losses.join("; "))
                }
            )),
            (Err(e), true) => out.json_line(&json!({ "ok": false, "error": e.to_string() }))?,
            (Err(e), false) => eprintln!("not migrated: {e}"),
        }
        failed += usize::from(r.is_err());
    }
    let summary = format!("{} migrated, {failed} failed", results.len() - failed);
    // A failure prints nothing on stdout but what succeeded.
    match (out.json, failed) {
        (true, _) => {}
        (false, 0) => out.line(summary),
        (false, _) => eprintln!("{summary}"),
    }
    Ok(if failed > 0 { 1 } else { 0 })
}
