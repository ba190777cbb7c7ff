//! `verify`: every content decrypted and re-hashed against its recorded
//! digest; every catalog row checked against the journal entry that
//! recorded it (digest, subject pseudonym, type, classification and a digest
//! of all its metadata: an edited row is caught, AR-3.4); orphans either way
//! (blobs without rows, ingest entries without rows) reported; and the
//! journal verified (AR-13.3, AR-19, N-5.9.7).
use std::collections::BTreeSet;
use std::path::Path;

use probant_catalog::RecordRow;
use probant_verify::bag::CONTENT_ACTIONS;
use serde_json::Value;

use crate::read::SegmentBuffer;
use crate::row::metadata_digest;
use crate::{Error, Vault};

/// What to verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyScope {
    /// Everything: records, orphans, the journal.
    All,
    /// The versions of one record.
    Record(String),
}

/// The outcome: each problem named.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct VaultReport {
    /// Record versions whose content was re-hashed.
    pub versions_checked: u64,
    /// Plaintext bytes decrypted and hashed.
    pub bytes_verified: u64,
    /// Journal entries checked (0 when only one record was verified).
    pub journal_entries: u64,
    /// Every problem found.
    pub problems: Vec<String>,
}

impl Vault {
    /// Verifies `scope`; `progress(bytes done, bytes total)`.
    pub fn verify(
        &self,
        scope: &VerifyScope,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<VaultReport, Error> {
        // Entries acknowledged but not yet in a checkpoint cannot be read back.
        self.journal.sync()?;
        let rows = match scope {
            VerifyScope::All => {
                let mut all = Vec::new();
                self.catalog.for_each(&mut |r| {
                    all.push(r);
                    Ok(())
                })?;
                all
            }
            VerifyScope::Record(id) => {
                let v = self.catalog.versions(id)?;
                if v.is_empty() {
                    return Err(Error::NotFound {
                        record: id.clone(),
                        version: None,
                    });
                }
                v
            }
        };
        let total: u64 = rows.iter().map(|r| r.size).sum();
        let mut report = self.check_rows(&rows, total, progress);
        if *scope == VerifyScope::All {
            self.check_orphan_blobs(&rows, &mut report)?;
            self.check_journal(&rows, &mut report)?;
        }
        Ok(report)
    }

    /// Checks every row's content and journal entry on two threads (the work
    /// is decryption and hashing: CPU-bound), reporting problems in row order.
    fn check_rows(
        &self,
        rows: &[RecordRow],
        total: u64,
        progress: &mut dyn FnMut(u64, u64),
    ) -> VaultReport {
        let done = std::sync::atomic::AtomicU64::new(0);
        let threads = 2;
        let parts: Vec<VaultReport> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let done = &done;
                    s.spawn(move || {
                        let mut part = VaultReport::default();
                        let mut buffer = SegmentBuffer::default();
                        for row in rows.iter().skip(t).step_by(threads) {
                            let before = part.bytes_verified;
                            self.check_content(row, &mut part, &mut buffer);
                            self.check_against_journal(row, &mut part);
                            done.fetch_add(
                                part.bytes_verified - before,
                                std::sync::atomic::Ordering::Relaxed,
                            );
                        }
                        part
                    })
                })
                .collect();
            while handles.iter().any(|h| !h.is_finished()) {
                progress(done.load(std::sync::atomic::Ordering::Relaxed), total);
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        progress(total, total);
        let mut report = VaultReport::default();
        for p in parts {
            report.versions_checked += p.versions_checked;
            report.bytes_verified += p.bytes_verified;
            report.problems.extend(p.problems);
        }
        report.problems.sort();
        report
    }

    fn check_content(&self, row: &RecordRow, report: &mut VaultReport, buffer: &mut SegmentBuffer) {
        let name = format!("record {} version {}", row.record_id, row.version);
        let result = self
            .copy_content(
                row,
                &mut std::io::sink(),
                Path::new("the digest check"),
                buffer,
            )
            .map(|(size, _)| size);
        match result {
            Ok(size) => report.bytes_verified += size,
            Err(Error::Blob(e)) => report
                .problems
                .push(format!("{name}: its blob {}: {e}", row.blob_key)),
            Err(e) => report.problems.push(format!("{name}: {e}")),
        }
        if let Err(e) = self.view(row) {
            report.problems.push(format!("{name}: catalog row: {e}"));
        }
        report.versions_checked += 1;
    }

    fn check_against_journal(&self, row: &RecordRow, report: &mut VaultReport) {
        let name = format!("record {} version {}", row.record_id, row.version);
        let entry = match self.journal.entry(row.journal_index) {
            Ok(e) => e,
            Err(e) => {
                return report.problems.push(format!(
                    "{name}: its journal entry {}: {e}",
                    row.journal_index
                ))
            }
        };
        let Ok(v) = serde_json::from_slice::<Value>(&entry) else {
            return report.problems.push(format!(
                "{name}: journal entry {} is not JSON",
                row.journal_index
            ));
        };
        let res = &v["resource"];
        let digest = metadata_digest(row).unwrap_or_default();
        let checks: [(&str, bool); 7] = [
            (
                "action",
                v["action"]
                    .as_str()
                    .is_some_and(|a| CONTENT_ACTIONS.contains(&a))
                    && v["outcome"] == "success",
            ),
            ("record", res["record"] == row.record_id.as_str()),
            ("version", res["version"] == row.version),
            ("sha256", res["sha256"] == row.sha256.as_str()),
            ("subject", res["subject"] == row.subject_index.as_str()),
            (
                "type",
                res["nature"] == row.doc_type.as_str()
                    && res["classification"] == row.classification.as_str(),
            ),
            (
                "metadata",
                v["details"]["metadata_sha256"] == digest.as_str(),
            ),
        ];
        let differing: Vec<&str> = checks
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(f, _)| *f)
            .collect();
        if !differing.is_empty() {
            report.problems.push(format!(
                "{name}: the catalog row differs from the journal entry {} that stored it, in: {}",
                row.journal_index,
                differing.join(", ")
            ));
        }
    }

    fn check_orphan_blobs(
        &self,
        rows: &[RecordRow],
        report: &mut VaultReport,
    ) -> Result<(), Error> {
        let known: BTreeSet<&str> = rows.iter().map(|r| r.blob_key.as_str()).collect();
        for key in self.blobs.list()? {
            if !known.contains(key.as_str()) {
                report.problems.push(format!(
                    "blob {} belongs to no record in the catalog (orphan)",
                    key.as_str()
                ));
            }
        }
        Ok(())
    }

    /// Every successful ingest entry must have its row (unless a later
    /// failure entry says the catalog refused it), and the journal must verify.
    fn check_journal(&self, rows: &[RecordRow], report: &mut VaultReport) -> Result<(), Error> {
        let known: BTreeSet<(String, u64)> = rows
            .iter()
            .map(|r| (r.record_id.clone(), r.version.into()))
            .collect();
        let mut ingested = Vec::new();
        let mut withdrawn = BTreeSet::new();
        let mut count = 0u64;
        self.journal.read_entries(0, None, |index, e| {
            count += 1;
            // Cheap filter before parsing: a content action is quoted in it.
            if !e.windows(8).any(|w| w == b"\"record.") {
                return Ok(());
            }
            let Ok(v) = serde_json::from_slice::<Value>(e) else {
                return Ok(());
            };
            if !v["action"]
                .as_str()
                .is_some_and(|a| CONTENT_ACTIONS.contains(&a))
            {
                return Ok(());
            }
            let key = (
                v["resource"]["record"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                v["resource"]["version"].as_u64().unwrap_or(0),
            );
            match v["outcome"].as_str() {
                Some("success") => ingested.push((index, key)),
                _ => {
                    withdrawn.insert(key);
                }
            }
            Ok(())
        })?;
        report.journal_entries = count;
        for (index, key) in ingested {
            if !known.contains(&key) && !withdrawn.contains(&key) {
                report.problems.push(format!(
                    "journal entry {index} records the storing of record {} version {}, but the catalog has no such row",
                    key.0, key.1
                ));
            }
        }
        let j = self.journal.verify(&mut |_, _| {})?;
        if let Some(p) = j.problem {
            report.problems.push(format!("journal: {p}"));
        }
        Ok(())
    }
}
