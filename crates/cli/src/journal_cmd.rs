//! `probant journal …`: read, prove, verify and prune the journal.
use anyhow::{bail, Result};
use probant_journal::{Outcome, VerifyReport};
use serde_json::json;

use probant_vault::Operation;

use crate::home::Home;
use crate::output::{progress, Out};

/// Journal subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum JournalCmd {
    /// Print the plaintext entries FROM ≤ index < TO in scope of an approved
    /// consultation, as canonical JSON lines (contract 7: this runs the
    /// consultation, once; the read is journaled first).
    Entries {
        /// The approved consultation (`probant consult request|approve`); required.
        #[arg(long)]
        consultation: Option<String>,
        /// First index (default 0).
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// End index, exclusive (default: the latest checkpoint's size).
        #[arg(long)]
        to: Option<u64>,
    },
    /// Inclusion proof of entry INDEX in a published tree (DESIGN contract 5).
    Proof {
        /// The entry's index.
        #[arg(long)]
        index: u64,
        /// A published tree size (default: the latest).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Consistency proof between two published tree sizes.
    Consistency {
        /// The older size.
        #[arg(long)]
        from: u64,
        /// The newer size (default: the latest).
        #[arg(long)]
        to: Option<u64>,
    },
    /// Recompute every tile from the entries and check every checkpoint;
    /// exit status 1 and the first inconsistency named if anything is wrong.
    Verify,
    /// Remove entry bundles whose entries are all older than DATE and past
    /// their retention (functional ≥ 10 years, technical ≥ 2). Hash tiles stay.
    Prune {
        /// A date (YYYY-MM-DD, UTC midnight) or an RFC 3339 time.
        #[arg(long)]
        before: String,
    },
    /// Print the latest signed checkpoint.
    Checkpoint,
}

/// Runs a journal subcommand; returns the process exit code. Reading
/// entries takes an approved consultation; proofs, checkpoints and
/// verification are audits (administrators, archivists, the DPO); pruning
/// applies the retention policy (administrators).
pub fn run(home: &Home, cmd: &JournalCmd, out: &Out) -> Result<i32> {
    if let JournalCmd::Entries {
        consultation,
        from,
        to,
    } = cmd
    {
        let Some(id) = consultation else {
            // N-5.9.5: no plaintext entry without an approved request; the
            // attempt itself is journaled.
            let ctx = home.ctx(Some("journal read"), None);
            let refusal = probant_vault::Refusal {
                code: "no-consultation".into(),
                message: "reading journal entries takes an approved consultation (contract 7): `probant consult request --reason …`, approval by another approver, then `probant journal entries --consultation ID`".into(),
            };
            return Err(home.vault.refuse(&ctx, "journal.read", refusal).into());
        };
        crate::access_cmd::run_consultation(home, id, (*from, *to), false, out)?;
        return Ok(0);
    }
    let op = match cmd {
        JournalCmd::Prune { .. } => Operation::ManagePolicy,
        _ => Operation::Audit,
    };
    let ctx = home.ctx(Some("journal integrity"), None);
    let grant = home.vault.authorize_system(&ctx, op)?;
    let authz = json!({ "authz": { "policies": grant.policies } });
    match cmd {
        JournalCmd::Entries { .. } => Ok(0),
        JournalCmd::Proof { index, size } => proof(home, *index, *size, authz, out).map(|_| 0),
        JournalCmd::Consistency { from, to } => {
            let p = home.journal.consistency_proof(*from, *to)?;
            record_audit(
                home,
                "journal.consistency",
                authz,
                json!({ "from": from, "to": to }),
            )?;
            print_doc(&p, out).map(|_| 0)
        }
        JournalCmd::Verify => verify(home, authz, out),
        JournalCmd::Prune { before } => prune(home, before, authz, out).map(|_| 0),
        JournalCmd::Checkpoint => {
            let note = home.journal.latest().note(home.journal.verifier_key());
            record_audit(home, "journal.checkpoint", authz, json!({}))?;
            print!("{note}");
            Ok(0)
        }
    }
}

/// Checks arguments that need no home, so bad input fails before a key is
/// asked for or anything is opened.
pub fn validate(cmd: &JournalCmd) -> Result<()> {
    if let JournalCmd::Prune { before } = cmd {
        parse_date(before)?;
    }
    Ok(())
}

fn proof(
    home: &Home,
    index: u64,
    size: Option<u64>,
    authz: serde_json::Value,
    out: &Out,
) -> Result<()> {
    let mut e = home.event("journal.proof", Outcome::Success);
    e.purpose = Some("inclusion proof".into());
    e.details = Some(authz);
    probant_vault::Vault::add_details(&mut e, json!({ "index": index, "size": size }));
    let p = home.journal.inclusion_proof(index, size)?;
    home.journal.append(&e)?;
    print_doc(&p, out)
}

/// The permitted audit's own entry (one decision entry per request).
fn record_audit(
    home: &Home,
    action: &str,
    authz: serde_json::Value,
    details: serde_json::Value,
) -> Result<()> {
    let mut e = home.event(action, Outcome::Success);
    e.details = Some(authz);
    probant_vault::Vault::add_details(&mut e, details);
    home.journal.append(&e)?;
    Ok(())
}

fn print_doc(doc: &impl serde::Serialize, out: &Out) -> Result<()> {
    if out.json {
        out.json_line(doc)
    } else {
        println!("{}", serde_json::to_string_pretty(doc)?);
        Ok(())
    }
}

fn verify(home: &Home, authz: serde_json::Value, out: &Out) -> Result<i32> {
    let total = home.journal.latest().size;
    let bar = progress(total, "verifying journal", out);
    let report = home.journal.verify(&mut |done, _| bar.set_position(done))?;
    bar.finish_and_clear();
    let outcome = if report.problem.is_none() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let mut e = home.event("journal.verify", outcome);
    e.details = Some(authz);
    probant_vault::Vault::add_details(
        &mut e,
        json!({ "size": report.size, "problem": report.problem }),
    );
    e.malfunction = report.problem.clone();
    home.journal.append(&e)?;
    print_report(&report, out)?;
    Ok(if report.problem.is_some() { 1 } else { 0 })
}

fn print_report(r: &VerifyReport, out: &Out) -> Result<()> {
    if out.json {
        return out.json_line(&json!({
            "ok": r.problem.is_none(), "size": r.size, "entries_checked": r.entries_checked,
            "entries_pruned": r.entries_pruned, "checkpoints_checked": r.checkpoints_checked,
            "bytes_hashed": r.bytes_hashed, "problem": r.problem,
        }));
    }
    match &r.problem {
        None => out.line(format!(
            "journal OK: {} entries ({} checked, {} pruned), {} checkpoints verified, tiles recomputed and equal",
            r.size, r.entries_checked, r.entries_pruned, r.checkpoints_checked
        )),
        Some(p) => eprintln!("journal INCONSISTENT: {p}"),
    }
    Ok(())
}

fn prune(home: &Home, before: &str, authz: serde_json::Value, out: &Out) -> Result<()> {
    let micros = parse_date(before)?;
    let mut e = home.event("journal.prune", Outcome::Success);
    e.details = Some(authz);
    let r = home.journal.prune(micros, &e)?;
    if out.json {
        return out.json_line(&json!({ "bundles": r.bundles, "entries": r.entries, "journal_index": r.receipt.index }));
    }
    out.line(format!(
        "pruned {} entries in {} bundle range(s); recorded as journal entry {}",
        r.entries,
        r.bundles.len(),
        r.receipt.index
    ));
    Ok(())
}

/// `YYYY-MM-DD` (UTC midnight) or an RFC 3339 time, to microseconds.
pub fn parse_date(s: &str) -> Result<i64> {
    if let Some(t) = probant_journal::entry::parse_time(s) {
        return Ok(t);
    }
    match probant_journal::entry::parse_time(&format!("{s}T00:00:00Z")) {
        Some(t) if s.len() == 10 => Ok(t),
        _ => bail!("--before {s:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"),
    }
}
