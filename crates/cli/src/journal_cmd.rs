//! `probant journal …`: read, prove, verify and prune the journal.
use std::io::Write;

use anyhow::{bail, Result};
use probant_journal::{Outcome, VerifyReport};
use serde_json::json;

use crate::home::Home;
use crate::output::{progress, Out};

/// Journal subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum JournalCmd {
    /// Print the plaintext entries FROM ≤ index < TO as canonical JSON lines
    /// (this read is itself journaled first).
    Entries {
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

/// Runs a journal subcommand; returns the process exit code.
pub fn run(home: &Home, cmd: &JournalCmd, out: &Out) -> Result<i32> {
    match cmd {
        JournalCmd::Entries { from, to } => entries(home, *from, *to).map(|_| 0),
        JournalCmd::Proof { index, size } => proof(home, *index, *size, out).map(|_| 0),
        JournalCmd::Consistency { from, to } => {
            let p = home.journal.consistency_proof(*from, *to)?;
            print_doc(&p, out).map(|_| 0)
        }
        JournalCmd::Verify => verify(home, out),
        JournalCmd::Prune { before } => prune(home, before, out).map(|_| 0),
        JournalCmd::Checkpoint => {
            print!(
                "{}",
                home.journal.latest().note(home.journal.verifier_key())
            );
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

fn entries(home: &Home, from: u64, to: Option<u64>) -> Result<()> {
    let size = home.journal.latest().size;
    let to = to.unwrap_or(size);
    if from > to || to > size {
        // A refused read is journaled too, as what it was.
        let mut e = home.event("journal.read", Outcome::Failure);
        e.details = Some(json!({ "from": from, "to": to }));
        home.journal.append(&e)?;
        bail!("out of range: entries {from}..{to} are not within 0..{size}");
    }
    let mut e = home.event("journal.read", Outcome::Success);
    e.details = Some(json!({ "from": from, "to": to }));
    // The read is durable in the journal before any entry is shown (N-5.9.5).
    home.journal.append(&e)?;
    let mut o = std::io::BufWriter::new(std::io::stdout().lock());
    home.journal.read_entries(from, Some(to), |_, entry| {
        o.write_all(entry)
            .and_then(|_| o.write_all(b"\n"))
            .map_err(|e| probant_journal::Error::Io {
                op: "write",
                path: "stdout".into(),
                source: e,
            })
    })?;
    o.flush()?;
    Ok(())
}

fn proof(home: &Home, index: u64, size: Option<u64>, out: &Out) -> Result<()> {
    let mut e = home.event("journal.read", Outcome::Success);
    e.purpose = Some("inclusion proof".into());
    e.details = Some(json!({ "index": index, "size": size }));
    let p = home.journal.inclusion_proof(index, size)?;
    home.journal.append(&e)?;
    print_doc(&p, out)
}

fn print_doc(doc: &impl serde::Serialize, out: &Out) -> Result<()> {
    if out.json {
        out.json_line(doc)
    } else {
        println!("{}", serde_json::to_string_pretty(doc)?);
        Ok(())
    }
}

fn verify(home: &Home, out: &Out) -> Result<i32> {
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
    e.details = Some(json!({ "size": report.size, "problem": report.problem }));
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

fn prune(home: &Home, before: &str, out: &Out) -> Result<()> {
    let micros = parse_date(before)?;
    let r = home
        .journal
        .prune(micros, &home.event("journal.prune", Outcome::Success))?;
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
