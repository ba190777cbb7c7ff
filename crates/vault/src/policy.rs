//! The home's records policy: classification levels (N-5.5.1), retention
//! classes (AR-20.7), the institution recorded in every entry (AR-3.5), and
//! which formats are accepted (AR-16).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::Error;

/// Who processes, recorded in every journal entry (AR-3.5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Institution {
    /// The data controller.
    pub controller: String,
    /// The executor of the processing.
    pub executor: String,
    /// The place of execution.
    pub place: String,
}

/// How long records of a class are kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionClass {
    /// Years after the document's creation date.
    pub years: u32,
    /// What the class is for and on which rule it rests.
    #[serde(default)]
    pub description: String,
}

/// The policy a vault enforces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The institution.
    pub institution: Institution,
    /// Classification levels, lowest first.
    pub classifications: Vec<String>,
    /// Retention classes by name.
    pub retention: BTreeMap<String, RetentionClass>,
    /// Accept content whose format cannot be identified or validated, marking it as such.
    pub accept_unvalidated_formats: bool,
    /// Largest file validated structurally in memory; larger files are validated while streaming
    /// where the format allows it (text), else refused.
    pub max_validated_in_memory: u64,
}

impl Policy {
    /// The policy `probant init` configures, for `institution`: the default
    /// levels, a `default` retention class of 10 years, only validated
    /// formats, files up to 512 MiB validated in memory.
    pub fn for_institution(institution: Institution) -> Self {
        Policy {
            institution,
            classifications: Self::default_classifications(),
            retention: BTreeMap::from([(
                "default".to_owned(),
                RetentionClass {
                    years: 10,
                    description: "10 years from creation".into(),
                },
            )]),
            accept_unvalidated_formats: false,
            max_validated_in_memory: 512 << 20,
        }
    }

    /// The default levels of the minimum norms' classification scheme.
    pub fn default_classifications() -> Vec<String> {
        ["public", "internal", "confidential", "sensitive"]
            .map(String::from)
            .to_vec()
    }

    /// Checks a classification level exists.
    pub fn classification(&self, level: &str) -> Result<(), Error> {
        if self.classifications.iter().any(|l| l == level) {
            Ok(())
        } else {
            Err(Error::invalid(
                "--classification",
                format!(
                    "unknown level {level:?}; configured: {}",
                    self.classifications.join(", ")
                ),
            ))
        }
    }

    /// The due date of a record of `class` created on `created`.
    pub fn retention_due(&self, class: &str, created: Date) -> Result<Date, Error> {
        let rule = self.retention.get(class).ok_or_else(|| {
            Error::invalid(
                "--retention",
                format!(
                    "unknown retention class {class:?}; configured: {}",
                    self.retention
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        add_years(created, rule.years)
            .ok_or_else(|| Error::invalid("--retention", "due date out of range"))
    }
}

/// `date` plus `years` calendar years (29 February → 28 February).
pub fn add_years(date: Date, years: u32) -> Option<Date> {
    let year = date.year().checked_add(i32::try_from(years).ok()?)?;
    Date::from_calendar_date(year, date.month(), date.day())
        .or_else(|_| Date::from_calendar_date(year, date.month(), date.day() - 1))
        .ok()
}
