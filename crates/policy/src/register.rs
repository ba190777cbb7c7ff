//! The legal-basis register (N-5.6.4): which authorisations exist, for which
//! purposes, data categories, roles and institutions, and when they are valid.
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The wildcard for purposes and data categories: every one.
pub const ANY: &str = "*";

/// One entry of the register: an authorisation (a deliberation of the
/// competent committee, a law, the institution's own records management)
/// that covers some purposes, data categories and grantees for a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalBasis {
    /// The reference a request names, e.g. a deliberation number
    /// (`22/123`); unique in the register.
    pub reference: String,
    /// Purposes covered; `"*"` covers every purpose.
    pub purposes: Vec<String>,
    /// Data categories (document types) covered; `"*"` covers every one.
    pub data_categories: Vec<String>,
    /// Roles covered (no wildcard: N-5.6.6 wants each grant named).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Institutions covered (every principal of one; no wildcard).
    #[serde(default)]
    pub institutions: Vec<String>,
    /// First day of validity, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day of validity (inclusive), `YYYY-MM-DD`; `None`: open-ended.
    #[serde(default)]
    pub valid_until: Option<String>,
}

impl LegalBasis {
    /// The reference of the bootstrap legal basis (DESIGN contract 6).
    pub const OWN_RECORDS: &'static str = "own-records";

    /// The bootstrap legal basis of DESIGN contract 6: the institution's own
    /// records management — every purpose, every category, for case handlers,
    /// valid from `valid_from` without end.
    pub fn own_records(valid_from: &str) -> Self {
        Self {
            reference: Self::OWN_RECORDS.into(),
            purposes: vec![ANY.into()],
            data_categories: vec![ANY.into()],
            roles: vec!["case-handler".into()],
            institutions: Vec::new(),
            valid_from: valid_from.into(),
            valid_until: None,
        }
    }
}

/// A calendar date as `yyyymmdd`, so that dates compare as integers.
pub(crate) type Day = u32;

/// Parses a strict `YYYY-MM-DD` calendar date (leap years included).
pub(crate) fn parse_day(s: &str) -> Option<Day> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    // `y` < 10_000 always fits an i32.
    time::Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?).ok()?;
    Some(y * 10_000 + m * 100 + d)
}

/// A register entry prepared for fast checks.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) basis: LegalBasis,
    pub(crate) from: Day,
    pub(crate) until: Option<Day>,
    pub(crate) any_purpose: bool,
    pub(crate) any_category: bool,
}

impl Entry {
    pub(crate) fn valid_on(&self, day: Day) -> bool {
        self.from <= day && self.until.is_none_or(|u| day <= u)
    }

    pub(crate) fn covers_purpose(&self, purpose: &str) -> bool {
        self.any_purpose || self.basis.purposes.iter().any(|p| p == purpose)
    }

    /// `None` (no type named) is covered only by `"*"`.
    pub(crate) fn covers_category(&self, category: Option<&str>) -> bool {
        self.any_category
            || category.is_some_and(|c| self.basis.data_categories.iter().any(|d| d == c))
    }

    pub(crate) fn covers_grantee(&self, roles: &[String], institution: &str) -> bool {
        roles.iter().any(|r| self.basis.roles.contains(r))
            || self.basis.institutions.iter().any(|i| i == institution)
    }
}

/// The register indexed by reference.
#[derive(Debug, Default)]
pub(crate) struct Register {
    pub(crate) entries: Vec<Entry>,
    pub(crate) by_reference: HashMap<String, usize>,
}

impl Register {
    pub(crate) fn new(bases: Vec<LegalBasis>) -> Result<Self, Error> {
        let mut reg = Register {
            entries: Vec::with_capacity(bases.len()),
            by_reference: HashMap::with_capacity(bases.len()),
        };
        for basis in bases {
            let bad = |detail: String| Error::Register {
                reference: basis.reference.clone(),
                detail,
            };
            if basis.reference.trim().is_empty() {
                return Err(bad("the reference is empty".into()));
            }
            if basis.purposes.is_empty() || basis.purposes.iter().any(|p| p.trim().is_empty()) {
                return Err(bad(
                    "list at least one purpose (\"*\" for all), none empty".into()
                ));
            }
            if basis.data_categories.is_empty()
                || basis.data_categories.iter().any(|c| c.trim().is_empty())
            {
                return Err(bad(
                    "list at least one data category (\"*\" for all), none empty".into(),
                ));
            }
            if basis.roles.is_empty() && basis.institutions.is_empty() {
                return Err(bad("name at least one role or institution it covers".into()));
            }
            if basis
                .roles
                .iter()
                .chain(&basis.institutions)
                .any(|g| g == ANY || g.trim().is_empty())
            {
                return Err(bad(
                    "roles and institutions are named one by one (no \"*\", none empty)".into(),
                ));
            }
            let from = parse_day(&basis.valid_from).ok_or_else(|| {
                bad(format!(
                    "valid_from {:?} is not a YYYY-MM-DD date",
                    basis.valid_from
                ))
            })?;
            let until =
                match &basis.valid_until {
                    None => None,
                    Some(u) => Some(parse_day(u).ok_or_else(|| {
                        bad(format!("valid_until {u:?} is not a YYYY-MM-DD date"))
                    })?),
                };
            if until.is_some_and(|u| u < from) {
                return Err(bad("valid_until is before valid_from".into()));
            }
            if reg.by_reference.contains_key(&basis.reference) {
                return Err(bad("the reference appears twice in the register".into()));
            }
            reg.by_reference
                .insert(basis.reference.clone(), reg.entries.len());
            reg.entries.push(Entry {
                any_purpose: basis.purposes.iter().any(|p| p == ANY),
                any_category: basis.data_categories.iter().any(|c| c == ANY),
                basis,
                from,
                until,
            });
        }
        Ok(reg)
    }

    pub(crate) fn get(&self, reference: &str) -> Option<&Entry> {
        self.by_reference.get(reference).map(|&i| &self.entries[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_strictly() {
        assert_eq!(parse_day("2024-02-29"), Some(20240229));
        assert_eq!(parse_day("2023-02-29"), None);
        assert_eq!(parse_day("2024-13-01"), None);
        assert_eq!(parse_day("2024-1-01"), None);
        assert_eq!(parse_day("+024-01-01"), None);
        assert_eq!(parse_day("2024-01-01T00:00:00Z"), None);
        assert_eq!(parse_day(""), None);
    }
}
