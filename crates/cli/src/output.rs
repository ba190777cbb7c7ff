//! Printing results (text, or `--json` lines on stdout) and small file helpers.
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Where results go.
pub struct Out {
    /// `--json`: one JSON document per line on stdout.
    pub json: bool,
}

impl Out {
    /// One line of text.
    pub fn line(&self, s: impl AsRef<str>) {
        println!("{}", s.as_ref());
    }
    /// One JSON document on one line.
    pub fn json_line(&self, v: &impl serde::Serialize) -> Result<()> {
        let mut o = std::io::stdout().lock();
        serde_json::to_writer(&mut o, v)?;
        o.write_all(b"\n")?;
        o.flush()?;
        Ok(())
    }
}

/// Writes a small file and makes it and its directory entry durable.
pub fn write_file_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// A progress bar on stderr (hidden when stderr is not a terminal or with --json).
pub fn progress(total: u64, what: &str, out: &Out) -> indicatif::ProgressBar {
    if out.json {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}
