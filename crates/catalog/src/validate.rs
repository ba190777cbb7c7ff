//! The catalog contract's rules for rows and queries, checked by every
//! backend before it touches its store (so all backends refuse the same
//! input) and usable by the vault to fail early.

use crate::{Error, Query, RecordRow};

/// Longest accepted `record_id`, in characters (a UUID has 36).
pub const MAX_RECORD_ID_CHARS: usize = 64;

/// Largest accepted `size` and `journal_index`: both SQLite and PostgreSQL
/// store integers as signed 64-bit.
pub const MAX_INTEGER: u64 = i64::MAX as u64;

impl RecordRow {
    /// Checks the rules every backend enforces on insert:
    /// - `record_id` has 1 to [`MAX_RECORD_ID_CHARS`] characters;
    /// - `version` ≥ 1; `previous_version`, when given, is ≥ 1 and below
    ///   `version` (backends also require it to exist: already stored, or
    ///   earlier in the same batch);
    /// - `created` and `retention_due` are calendar dates `YYYY-MM-DD`;
    /// - `sha256` is 64 lowercase hex digits; `subject_index` is non-empty
    ///   lowercase hex;
    /// - `size` and `journal_index` are at most [`MAX_INTEGER`];
    /// - no text field contains U+0000 (PostgreSQL text cannot hold it).
    ///
    /// The error names the record, version and field, never the value.
    pub fn validate(&self) -> Result<(), Error> {
        let n = self.record_id.chars().count();
        if n == 0 || n > MAX_RECORD_ID_CHARS {
            return Err(Error::Invalid {
                detail: format!(
                    "record_id must have 1 to {MAX_RECORD_ID_CHARS} characters, it has {n}"
                ),
            });
        }
        let fail = |what: &str| {
            Err(Error::Invalid {
                detail: format!("record {} version {}: {what}", self.record_id, self.version),
            })
        };
        if self.version == 0 {
            return fail("version must be at least 1");
        }
        if let Some(p) = self.previous_version {
            if p == 0 || p >= self.version {
                return fail("previous_version must be at least 1 and below version");
            }
        }
        if !is_date(&self.created) {
            return fail("created is not a YYYY-MM-DD date");
        }
        if !is_date(&self.retention_due) {
            return fail("retention_due is not a YYYY-MM-DD date");
        }
        if self.sha256.len() != 64 || !is_lower_hex(&self.sha256) {
            return fail("sha256 is not 64 lowercase hex digits");
        }
        if !is_lower_hex(&self.subject_index) {
            return fail("subject_index is not non-empty lowercase hex");
        }
        if self.size > MAX_INTEGER {
            return fail("size exceeds i64::MAX");
        }
        if self.journal_index > MAX_INTEGER {
            return fail("journal_index exceeds i64::MAX");
        }
        if let Some(field) = self.text_fields().find(|(_, s)| s.contains('\0')) {
            return fail(&format!("{} contains U+0000", field.0));
        }
        Ok(())
    }

    fn text_fields(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("subject_index", self.subject_index.as_str()),
            ("doc_type", &self.doc_type),
            ("original_id", &self.original_id),
            (
                "original_destroyed",
                self.original_destroyed.as_deref().unwrap_or(""),
            ),
            ("recorded", &self.recorded),
            ("controller", &self.controller),
            ("executor", &self.executor),
            ("place", &self.place),
            ("classification", &self.classification),
            ("retention_class", &self.retention_class),
            ("format", &self.format),
            ("blob_key", &self.blob_key),
            ("provenance", &self.provenance),
        ]
        .into_iter()
    }
}

impl Query {
    /// Checks a query: `subject_index` non-empty lowercase hex, the dates
    /// `YYYY-MM-DD`, no U+0000 in any string. Other values are matched
    /// exactly, whatever characters they hold (quotes, `%`, `_`, `*`).
    pub fn validate(&self) -> Result<(), Error> {
        let fail = |what: &str| {
            Err(Error::Invalid {
                detail: format!("query: {what}"),
            })
        };
        if self
            .subject_index
            .as_deref()
            .is_some_and(|s| !is_lower_hex(s))
        {
            return fail("subject_index is not non-empty lowercase hex");
        }
        if self.created_from.as_deref().is_some_and(|s| !is_date(s)) {
            return fail("created_from is not a YYYY-MM-DD date");
        }
        if self.created_to.as_deref().is_some_and(|s| !is_date(s)) {
            return fail("created_to is not a YYYY-MM-DD date");
        }
        let strings = [&self.original_id, &self.doc_type];
        if strings
            .iter()
            .any(|s| s.as_deref().is_some_and(|s| s.contains('\0')))
        {
            return fail("a criterion contains U+0000");
        }
        Ok(())
    }
}

/// Non-empty and only `0-9a-f`.
fn is_lower_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A proleptic Gregorian calendar date written `YYYY-MM-DD` (year 0001–9999),
/// so that dates compare correctly as text.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1 && (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        for ok in [
            "2024-02-29",
            "2000-02-29",
            "0001-01-01",
            "9999-12-31",
            "2023-04-30",
        ] {
            assert!(is_date(ok), "{ok}");
        }
        for bad in [
            "",
            "2023-02-29",
            "1900-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-04-31",
            "0000-01-01",
            "2024-1-01",
            "2024/01/01",
            "24-01-01",
            "2024-01-01T00:00:00Z",
            "2024-01-0a",
            "+024-01-01",
            "2024-01-01 ",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }

    #[test]
    fn hex() {
        assert!(is_lower_hex("0123456789abcdef"));
        for bad in ["", "ABCDEF", "0x12", "12 34", "g0", "é"] {
            assert!(!is_lower_hex(bad), "{bad}");
        }
    }
}
