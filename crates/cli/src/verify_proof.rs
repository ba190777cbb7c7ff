//! `probant verify-proof FILE [--vkey F]`: checks a contract-5 proof
//! document offline with the `verify` crate only (N-5.11.13); for a
//! `probant prove` document, also its record against the entry.
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use probant_verify::bag::CONTENT_ACTIONS;
use probant_verify::{ConsistencyProof, InclusionProof, VerifierKey};
use serde_json::{json, Value};

use crate::output::Out;

/// Verifies the proof in `file`; returns the exit code. A `prove` document
/// (an inclusion proof with a `"record"` member) is also checked against
/// its entry, and `content`, if given, against the record's digest.
pub fn run(
    file: &Path,
    vkey: Option<&PathBuf>,
    content: Option<&Path>,
    home: &Path,
    out: &Out,
) -> Result<i32> {
    let key_path = vkey.cloned().unwrap_or_else(|| home.join("journal/vkey"));
    let key_text = std::fs::read_to_string(&key_path).with_context(|| {
        format!(
            "cannot read the verifier key {} (give one with --vkey)",
            key_path.display()
        )
    })?;
    let key = VerifierKey::parse(&key_text).with_context(|| format!("{}", key_path.display()))?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let doc: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let record = doc.get("record").cloned();
    if content.is_some() && record.is_none() {
        bail!("--content needs a document made by `probant prove` (with a \"record\" member)");
    }
    let result = if doc.get("inclusion").is_some() {
        let p: InclusionProof = serde_json::from_value(doc)?;
        p.verify(&key).map_err(|e| e.to_string()).and_then(|cp| {
            let msg = format!(
                "entry {} is in log \"{}\" at tree size {} (checkpoint signature valid)",
                p.index, cp.origin, cp.size
            );
            match &record {
                Some(r) => check_record(&p, r, content).map(|more| format!("{msg}; {more}")),
                None => Ok(msg),
            }
        })
    } else if doc.get("consistency").is_some() {
        let p: ConsistencyProof = serde_json::from_value(doc)?;
        p.verify(&key).map_err(|e| e.to_string()).map(|(a, b)| {
            format!(
                "log \"{}\" at size {} extends size {} (both checkpoints signed)",
                b.origin, b.size, a.size
            )
        })
    } else {
        bail!(
            "{} is neither an inclusion nor a consistency proof",
            file.display()
        );
    };
    match result {
        Ok(msg) if out.json => out
            .json_line(&json!({ "valid": true, "detail": msg }))
            .map(|_| 0),
        Ok(msg) => {
            out.line(format!("valid: {msg}"));
            Ok(0)
        }
        Err(e) if out.json => out
            .json_line(&json!({ "valid": false, "detail": e }))
            .map(|_| 1),
        Err(e) => {
            eprintln!("INVALID: {e}");
            Ok(1)
        }
    }
}

/// A `prove` document's `record` must describe what its (verified) entry
/// recorded: a content-storing action, and the same record, version,
/// SHA-256, type, classification and subject pseudonym (DESIGN contract 5).
fn check_record(
    p: &InclusionProof,
    record: &Value,
    content: Option<&Path>,
) -> Result<String, String> {
    let entry: Value =
        serde_json::from_str(&p.entry).map_err(|_| "the proven entry is not JSON".to_owned())?;
    let action = entry["action"].as_str().unwrap_or_default();
    if !CONTENT_ACTIONS.contains(&action) || entry["outcome"] != "success" {
        return Err(format!(
            "the proven entry ({action:?}) is not one that stored content ({})",
            CONTENT_ACTIONS.join(", ")
        ));
    }
    let res = &entry["resource"];
    let pairs = [
        ("record_id", "record"),
        ("version", "version"),
        ("sha256", "sha256"),
        ("doc_type", "nature"),
        ("classification", "classification"),
        ("subject_pseudonym", "subject"),
    ];
    let differing: Vec<&str> = pairs
        .iter()
        .filter(|(ours, theirs)| record[ours].is_null() || record[ours] != res[theirs])
        .map(|(ours, _)| *ours)
        .collect();
    if record["journal_index"] != p.index {
        return Err("record.journal_index is not the proven entry's index".into());
    }
    if !differing.is_empty() {
        return Err(format!(
            "the record's {} differ(s) from what the journal entry recorded",
            differing.join(", ")
        ));
    }
    let sha = record["sha256"].as_str().unwrap_or_default();
    let mut msg = format!(
        "record {} version {} (SHA-256 {sha}) is what that entry ({action}) recorded",
        record["record_id"].as_str().unwrap_or_default(),
        record["version"]
    );
    if let Some(path) = content {
        let digest = file_sha256(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if digest != sha {
            return Err(format!(
                "{} is not the record's content (its SHA-256 differs)",
                path.display()
            ));
        }
        msg.push_str(&format!("; {} is that content", path.display()));
    }
    Ok(msg)
}

/// Lowercase hex SHA-256 of a file, streamed.
fn file_sha256(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    let digest: [u8; 32] = hasher.finalize().into();
    Ok(probant_verify::hash::to_hex(&digest))
}
