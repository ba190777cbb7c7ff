//! `config.toml`: written commented by `init`, valid as is.
use std::path::Path;

use anyhow::{Context, Result};
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
}

/// Identity recorded in every journal entry (AR-3.5).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Institution {
    /// The data controller.
    pub controller: String,
    /// The executor of the processing.
    pub executor: String,
    /// The place of execution.
    pub place: String,
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
"#
    )
}
