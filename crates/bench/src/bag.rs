//! `probant-bench bag`: export and offline bag verification (issue 6) on the
//! embedded default with the real Cedar gate, each compared in the same run
//! with `openssl dgst -sha256` over as many bytes as the bag's payload.
//!
//! Setup (not timed): `--records` documents of `--kib` KiB of text are
//! ingested in pipelined batches of 64. Then timed: `Vault::export` of all
//! of them (authorise each, journal each durably, decrypt, re-hash, write
//! content, metadata and an inclusion proof per version, tag files), and
//! `verify_bag` of the result with the journal's key (every file hashed,
//! every proof and the checkpoint verified), as `probant verify-bag` does.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{ensure, Result};
use probant_vault::{IngestRequest, Selection, Vault};
use probant_verify::bag::{verify_bag, DirBag};

use crate::vault::{ctx, open_vault, request, settle_file_creation};
use crate::{openssl_sha256_rate, run as sh};

/// Runs the bag benchmarks in `base` and prints a Markdown table.
pub fn run(base: &Path, records: usize, kib: u64) -> Result<()> {
    let tmp = tempfile::tempdir_in(base)?;
    let dir = tmp.path();
    let vault = open_vault(dir)?;
    println!("## Export and verify-bag (`probant-bench bag --records {records} --kib {kib}`)\n");
    let ids = setup(&vault, dir, records, kib << 10)?;
    // A bag is 3 files per record: measured, like the small documents,
    // once the file system creates files at its normal cost.
    let create_micros = settle_file_creation(dir)?;
    let bag = dir.join("bag");
    let t = Instant::now();
    let report = vault.export(&ctx(), &Selection::Records(ids), &bag, &mut |_, _| true)?;
    let export_secs = t.elapsed().as_secs_f64();
    let bytes = report.payload_bytes;
    let t = Instant::now();
    let checked = verify_bag(&DirBag::new(&bag), Some(vault.journal().verifier_key()));
    let verify_secs = t.elapsed().as_secs_f64();
    ensure!(
        checked.is_valid() && checked.records.len() == records,
        "the benchmark bag does not verify: {:?}",
        checked.problems.first()
    );
    let openssl = openssl_sha256_rate(dir, bytes)?;
    // The file system's own cost of writing such a tree (files created one
    // by one; on ext4 without a journal, creation slows down for minutes
    // after many deletions), for reading the export figure.
    let copy = dir.join("bag-copy");
    let t = Instant::now();
    sh(Command::new("cp").arg("-r").arg(&bag).arg(&copy))?;
    let cp_rate = bytes as f64 / t.elapsed().as_secs_f64();
    println!("| measure | Probant | baseline (same run) | ratio | target |\n|---|---|---|---|---|");
    let row = |what: &str, secs: f64| {
        let rate = bytes as f64 / secs;
        println!(
            "| {what} of {records} records of {kib} KiB ({:.0} MB payload: contents, metadata, proofs) | {:.0} MB/s ({secs:.2} s, {:.0} records/s) | `openssl dgst -sha256`, same bytes: {:.0} MB/s | **{:.2}** | ≥ 0.5 |",
            bytes as f64 / 1e6,
            rate / 1e6,
            records as f64 / secs,
            openssl / 1e6,
            rate / openssl
        );
    };
    row(
        "`export` (authorise, journal durably, decrypt, re-hash, write bag)",
        export_secs,
    );
    println!(
        "| (for reference) `cp -r` of the bag on the same file system (creating an empty file: {create_micros:.0} µs before the export) | {:.0} MB/s | | export / cp: {:.2} | |",
        cp_rate / 1e6,
        bytes as f64 / export_secs / cp_rate
    );
    row(
        "`verify-bag` (fixity of every file, every proof, checkpoint)",
        verify_secs,
    );
    Ok(())
}

/// Writes and ingests the records; returns their ids.
fn setup(vault: &Vault, dir: &Path, records: usize, bytes: u64) -> Result<Vec<String>> {
    let src = dir.join("src");
    std::fs::create_dir_all(&src)?;
    let t = Instant::now();
    let files: Vec<PathBuf> = (0..records)
        .map(|i| {
            let p = src.join(format!("{i:06}.txt"));
            write_text(&p, bytes, i as u64).map(|_| p)
        })
        .collect::<Result<_>>()?;
    let reqs: Vec<IngestRequest> = files
        .iter()
        .enumerate()
        .map(|(i, f)| request(f.clone(), i + 1))
        .collect();
    let batches: Vec<&[IngestRequest]> = reqs.chunks(64).collect();
    let mut ids = Vec::with_capacity(records);
    let mut failed = 0;
    vault.ingest_batches(&ctx(), &batches, &mut |_, results| {
        for r in results {
            match r {
                Ok(i) => ids.push(i.record_id),
                Err(_) => failed += 1,
            }
        }
        true
    });
    ensure!(failed == 0, "{failed} ingests failed");
    eprintln!(
        "  setup: {records} records ingested in {:.1} s (not timed)",
        t.elapsed().as_secs_f64()
    );
    Ok(ids)
}

/// Pseudo-random lowercase text with a line break every 64 KiB (a valid
/// UTF-8 text record; each file differs), not synced: setup only.
fn write_text(path: &Path, bytes: u64, seed: u64) -> Result<()> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ seed.wrapping_mul(0xA24B_AED4_963E_E407);
    let mut out = Vec::with_capacity(bytes as usize);
    while (out.len() as u64) < bytes {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(if out.len() % 65_536 == 65_535 {
            b'\n'
        } else {
            b'a' + (x % 26) as u8
        });
    }
    std::fs::File::create(path)?.write_all(&out)?;
    Ok(())
}
