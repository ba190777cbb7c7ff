//! Retention (N-5.11.7e): removing entry bundles whose every entry is past
//! its retention. Hash tiles stay, so the tree, every checkpoint and the
//! remaining entries' proofs still verify (C2SP tlog-tiles "Pruning").
//!
//! The prune is journaled first (`journal.prune`, naming the bundles), then
//! recorded in `journal/pruned` (lines `from to entry-index`), then the
//! bundles are deleted. `journal verify` accepts a missing bundle only if a
//! ledger line covers it and the journal entry it names records that range.
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use probant_verify::tile::{self, TILE_WIDTH};
use serde_json::{json, Value};

use crate::entry::{format_time, EntryHead, Event, RetentionCategory};
use crate::fsutil::{read_optional, sync_dir};
use crate::{Error, Journal, Receipt};

/// What a prune did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PruneReport {
    /// Removed bundles, as half-open ranges of bundle indexes.
    pub bundles: Vec<(u64, u64)>,
    /// Number of entries whose content was removed.
    pub entries: u64,
    /// The `journal.prune` entry that records it.
    pub receipt: Receipt,
}

/// Reads `journal/pruned`: `(from bundle, to bundle, entry index)`.
pub(crate) fn read_ledger(dir: &Path) -> Result<Vec<(u64, u64, u64)>, Error> {
    let Some(bytes) = read_optional(&dir.join("pruned"))? else {
        return Ok(Vec::new());
    };
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let n: Vec<u64> = line
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            match n[..] {
                [from, to, entry] if from < to => Ok((from, to, entry)),
                _ => Err(Error::Corrupt {
                    what: format!("journal/pruned: bad line {line:?}"),
                }),
            }
        })
        .collect()
}

/// Whether `entry` is a `journal.prune` entry that lists bundles `from..to`.
pub(crate) fn entry_records(entry: &[u8], from: u64, to: u64) -> bool {
    let Ok(v) = serde_json::from_slice::<Value>(entry) else {
        return false;
    };
    v["action"] == "journal.prune"
        && v["details"]["bundles"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| *x == json!([from, to])))
}

/// `micros` minus `years` calendar years (29 February becomes 28 February).
fn years_before(micros: i64, years: u32) -> i64 {
    let secs = micros.div_euclid(1_000_000);
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(secs) else {
        return i64::MIN;
    };
    let year = t.year() - years as i32;
    let day = if t.month() == time::Month::February && t.day() == 29 {
        28
    } else {
        t.day()
    };
    let earlier = time::Date::from_calendar_date(year, t.month(), day)
        .map(|d| t.replace_date(d))
        .unwrap_or(t);
    earlier.unix_timestamp() * 1_000_000 + micros.rem_euclid(1_000_000)
}

fn ranges(bundles: &[u64]) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for &b in bundles {
        match out.last_mut() {
            Some((_, to)) if *to == b => *to += 1,
            _ => out.push((b, b + 1)),
        }
    }
    out
}

impl Journal {
    /// Removes the full entry bundles whose every entry is older than
    /// `before` and past its own retention (functional entries ≥ 10 years,
    /// technical ≥ 2, or longer as configured). `template` supplies the
    /// actor, controller, executor, place and channel of the `journal.prune`
    /// entry that records the prune, which is journaled even when nothing is
    /// removed.
    pub fn prune(&self, before_micros: i64, template: &Event) -> Result<PruneReport, Error> {
        let now = self.now_micros();
        if before_micros > now {
            return Err(Error::Retention {
                detail: "the prune date is in the future".into(),
            });
        }
        self.sync()?;
        let bundles = self.prunable(before_micros, now)?;
        let ranges = ranges(&bundles);
        let size = self.latest().size;
        let mut event = template.clone();
        event.action = "journal.prune".into();
        // The caller's details (e.g. the authorisation) are kept beside the prune's own.
        let mut details = match template.details.clone() {
            Some(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        let own = json!({
            "before": format_time(before_micros),
            "bundles": ranges.iter().map(|(f, t)| json!([f, t])).collect::<Vec<_>>(),
            "retention_years": {
                "functional": self.retention().functional_years,
                "technical": self.retention().technical_years,
            },
            "tree_size": size,
        });
        if let serde_json::Value::Object(m) = own {
            details.extend(m);
        }
        event.details = Some(serde_json::Value::Object(details));
        let receipt = self.append(&event)?;
        self.record_and_remove(&ranges, receipt.index)?;
        Ok(PruneReport {
            entries: bundles.len() as u64 * TILE_WIDTH,
            bundles: ranges,
            receipt,
        })
    }

    fn prunable(&self, before: i64, now: i64) -> Result<Vec<u64>, Error> {
        let functional = years_before(now, self.retention().functional_years).min(before);
        let technical = years_before(now, self.retention().technical_years).min(before);
        let ledger = read_ledger(self.dir())?;
        let full = self.latest().size / TILE_WIDTH;
        let mut out = Vec::new();
        for b in 0..full {
            if ledger.iter().any(|&(f, t, _)| (f..t).contains(&b)) {
                continue;
            }
            let entries = self
                .store()
                .read_bundle(b, TILE_WIDTH)?
                .ok_or(Error::Pruned { bundle: b })?;
            let mut all_expired = true;
            for e in &entries {
                let head = EntryHead::parse(e)?;
                let cutoff = match RetentionCategory::of(&head.action) {
                    RetentionCategory::Functional => functional,
                    RetentionCategory::Technical => technical,
                };
                all_expired &= head.time_micros < cutoff;
            }
            if !all_expired {
                // Times never decrease along the log: no later bundle is older.
                break;
            }
            out.push(b);
        }
        Ok(out)
    }

    fn record_and_remove(&self, ranges: &[(u64, u64)], entry: u64) -> Result<(), Error> {
        if ranges.is_empty() {
            return Ok(());
        }
        let path = self.dir().join("pruned");
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(Error::io("open", &path))?;
        for (from, to) in ranges {
            writeln!(f, "{from} {to} {entry}").map_err(Error::io("write", &path))?;
        }
        f.sync_all().map_err(Error::io("fsync", &path))?;
        sync_dir(self.dir())?;
        let mut dirs = std::collections::BTreeSet::new();
        for b in ranges.iter().flat_map(|&(f, t)| f..t) {
            let file = self.dir().join(tile::bundle_path(b, TILE_WIDTH));
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("remove", &file)(e)),
            }
            let _ = std::fs::remove_dir_all(file.with_extension("p"));
            if let Some(d) = file.parent() {
                dirs.insert(d.to_path_buf());
            }
        }
        for d in dirs {
            sync_dir(&d)?;
        }
        Ok(())
    }
}
