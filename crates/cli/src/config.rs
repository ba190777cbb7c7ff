//! `config.toml`: written commented by `init`, valid as is.
use std::path::Path;

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use probant_vault::{Institution, Policy, RetentionClass};
use serde::Deserialize;

/// The home's configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Who processes (AR-3.5).
    pub institution: Institution,
    /// Journal settings.
    #[serde(default)]
    pub journal: JournalConfig,
    /// Classification levels (N-5.5.1).
    #[serde(default)]
    pub classification: ClassificationConfig,
    /// Retention classes by name (AR-20.7).
    #[serde(default = "default_retention")]
    pub retention: BTreeMap<String, RetentionClass>,
    /// Format policy (AR-16).
    #[serde(default)]
    pub formats: FormatsConfig,
}

/// Classification levels, lowest first.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassificationConfig {
    /// Level names, lowest first.
    pub levels: Vec<String>,
}

impl Default for ClassificationConfig {
    fn default() -> Self {
        Self {
            levels: Policy::default_classifications(),
        }
    }
}

/// What formats are accepted.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatsConfig {
    /// Accept content that cannot be identified as a validatable long-term format, marking it.
    pub accept_unvalidated: bool,
    /// Files up to this many MiB are validated structurally in memory; larger ones only if
    /// they are UTF-8 text (validated while streaming).
    pub max_validated_in_memory_mib: u64,
}

impl Default for FormatsConfig {
    fn default() -> Self {
        Self {
            accept_unvalidated: false,
            max_validated_in_memory_mib: 512,
        }
    }
}

fn default_retention() -> BTreeMap<String, RetentionClass> {
    BTreeMap::from([(
        "default".to_owned(),
        RetentionClass {
            years: 10,
            description: "10 years from creation".into(),
        },
    )])
}

impl Config {
    /// The vault's policy.
    pub fn policy(&self) -> Policy {
        Policy {
            institution: self.institution.clone(),
            classifications: self.classification.levels.clone(),
            retention: self.retention.clone(),
            accept_unvalidated_formats: self.formats.accept_unvalidated,
            max_validated_in_memory: self.formats.max_validated_in_memory_mib << 20,
        }
    }
}

/// Journal retention (N-5.11.7e).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalConfig {
    /// Years to keep functional entries (at least 10).
    pub functional_retention_years: u32,
    /// Years to keep technical entries (at least 2).
    pub technical_retention_years: u32,
}

impl Default for JournalConfig {
    fn default() -> Self {
        Self {
            functional_retention_years: 10,
            technical_retention_years: 2,
        }
    }
}

impl Config {
    /// Reads and validates the configuration.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let config: Config =
            toml::from_str(&text).with_context(|| format!("{} is invalid", path.display()))?;
        crate::home::journal_options(&config)
            .retention
            .validate()
            .with_context(|| format!("{}", path.display()))?;
        Ok(config)
    }
}

/// The commented default written by `init`.
pub fn default_text(name: &str) -> String {
    format!(
        r#"# Probant home configuration for the log "{name}".
# Every journal entry records the controller, the executor and the place of
# the processing (Royal Decree of 7 Dec 2016, art. 3, 5°: AR-3.5).
# Replace the placeholders with your institution's details.

[institution]
# The data controller: the institution's legal name (and enterprise number).
controller = "Institution (to be configured)"
# Who carries out the processing (department, or processor under contract).
executor = "Records management (to be configured)"
# Place of execution: site or data centre.
place = "Belgium (to be configured)"

[journal]
# How long journal entries are kept (minimum norms N-5.11.7e): functional and
# transactional entries at least 10 years, technical entries at least 2.
# `probant journal prune` never removes an entry younger than this.
functional_retention_years = 10
technical_retention_years = 2

[classification]
# Levels of the classification scheme, lowest first (minimum norms N-5.5.1).
# A principal never obtains a record above its clearance.
levels = ["public", "internal", "confidential", "sensitive"]

# Retention classes: how long records are kept after their creation date,
# then destroyed by the documented process (AR-20.7). `default` is required.
# Adapt to your institution's retention schedule; the examples are indicative.
[retention.default]
years = 10
description = "10 years from creation"

[retention.accounting]
years = 7
description = "accounting vouchers and payment proofs (Code of Economic Law, art. III.88)"

[retention.social-security-file]
years = 30
description = "insurability and entitlement files (long-running rights)"

[retention.pension-career]
years = 60
description = "career data underpinning a pension"

[formats]
# AR-16: only validatable long-term formats are accepted (PDF/PDF-A, TIFF, PNG,
# JPEG, JPEG 2000, XML, JSON, UTF-8 text; see docs/formats.md). Set to true to
# accept other content, marked as unvalidated in its metadata.
accept_unvalidated = false
# Files up to this size are validated structurally in memory; larger files
# are accepted only as UTF-8 text, validated while streaming.
max_validated_in_memory_mib = 512
"#
    )
}
