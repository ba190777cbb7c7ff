//! `probant verify-proof FILE [--vkey F]`: checks a contract-5 proof
//! document offline with the `verify` crate only (N-5.11.13).
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use probant_verify::{ConsistencyProof, InclusionProof, VerifierKey};
use serde_json::{json, Value};

use crate::output::Out;

/// Verifies the proof in `file`; returns the exit code.
pub fn run(file: &Path, vkey: Option<&PathBuf>, home: &Path, out: &Out) -> Result<i32> {
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
    let result = if doc.get("inclusion").is_some() {
        let p: InclusionProof = serde_json::from_value(doc)?;
        p.verify(&key).map(|cp| {
            format!(
                "entry {} is in log \"{}\" at tree size {} (checkpoint signature valid)",
                p.index, cp.origin, cp.size
            )
        })
    } else if doc.get("consistency").is_some() {
        let p: ConsistencyProof = serde_json::from_value(doc)?;
        p.verify(&key).map(|(a, b)| {
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
            .json_line(&json!({ "valid": false, "detail": e.to_string() }))
            .map(|_| 1),
        Err(e) => {
            eprintln!("INVALID: {e}");
            Ok(1)
        }
    }
}
