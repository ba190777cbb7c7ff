//! C2SP tlog-checkpoint: the note text `<origin>\n<size>\n<base64 root>\n`
//! followed by optional extension lines.
use base64::{engine::general_purpose::STANDARD as B64, Engine};

use crate::hash::Hash;
use crate::note::VerifierKey;
use crate::Error;

/// A tree head: origin, size and root hash (plus any extension lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity (Probant: the log's name chosen at `init`).
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// RFC 9162 root hash at `size`.
    pub root: Hash,
    /// Extension lines, without their newlines (Probant writes none).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text to sign.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for line in &self.extensions {
            s.push_str(line);
            s.push('\n');
        }
        s
    }

    /// Parses checkpoint note text (the part a signature covers).
    pub fn parse_text(text: &str) -> Result<Self, Error> {
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| Error::malformed("checkpoint", "text does not end with a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(Error::malformed("checkpoint", "empty origin line"));
        }
        let size = parse_size(lines.next().unwrap_or_default())?;
        let root = parse_root(lines.next().unwrap_or_default())?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(Error::malformed("checkpoint", "empty extension line"));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// Verifies a signed checkpoint note under `key` and parses it. The
    /// origin must equal the key's name, as Probant signs with its origin.
    pub fn verify(note: &[u8], key: &VerifierKey) -> Result<Self, Error> {
        let text = key.verify_note(note)?;
        let cp = Self::parse_text(text)?;
        if cp.origin != key.name() {
            return Err(Error::mismatch(format!(
                "checkpoint origin {:?} is not the key's log {:?}",
                cp.origin,
                key.name()
            )));
        }
        Ok(cp)
    }
}

fn parse_size(line: &str) -> Result<u64, Error> {
    let ok = !line.is_empty()
        && line.bytes().all(|b| b.is_ascii_digit())
        && (line == "0" || !line.starts_with('0'));
    if !ok {
        return Err(Error::malformed(
            "checkpoint",
            format!("bad tree size {line:?}"),
        ));
    }
    line.parse()
        .map_err(|_| Error::malformed("checkpoint", "tree size overflows"))
}

fn parse_root(line: &str) -> Result<Hash, Error> {
    let raw = B64
        .decode(line)
        .map_err(|_| Error::malformed("checkpoint", "root hash is not base64"))?;
    raw.try_into()
        .map_err(|_| Error::malformed("checkpoint", "root hash is not 32 bytes"))
}
