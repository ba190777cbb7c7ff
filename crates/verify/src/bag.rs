//! BagIt export packages (RFC 8493, DESIGN contract 4): the exact bytes of a
//! bag's tag files, and an offline verifier of a whole bag.
//!
//! A Probant bag:
//!
//! ```text
//! bagit.txt                 BagIt-Version: 1.0, Tag-File-Character-Encoding: UTF-8
//! bag-info.txt              Bagging-Date, Payload-Oxum, Bag-Software-Agent, the caller's labels
//! manifest-sha256.txt       SHA-256 of every payload file, sorted by path
//! tagmanifest-sha256.txt    SHA-256 of the three tag files above
//! data/records/<record-id>/<version>/content[.<ext>]   the record's content
//! data/records/<record-id>/<version>/metadata.json     its metadata
//! data/records/<record-id>/<version>/proof.json        inclusion proof of the entry that stored it,
//!                                                      and in "export" that of the export entry
//! data/journal/checkpoint   the signed checkpoint every proof leads to
//! data/journal/vkey         the journal's verifier key
//! ```
//!
//! [`tag_files`] is pure: given the payload files' paths, digests and sizes
//! it returns the tag files to write. [`verify_bag`] reads a bag through
//! [`BagFiles`], which the caller supplies; [`DirBag`] implements it over a
//! directory and is the crate's only file access, so that an auditor can
//! check a bag with this crate alone. `docs/spec/bag.md` lists the checks in
//! the order they run.
//!
//! Each version's `metadata.json` is bound to the sender's journal by the
//! `record.export` entry that committed to its exact bytes (a SHA-256 over
//! the metadata and a random salt) before the bag was written; `proof.json`
//! carries that entry's inclusion proof beside the storing entry's.
//!
//! Requirement ids: AR-19 (export data and metadata preserving integrity, the
//! link between them reconstructible), AR-20.12 (a move to a new carrier
//! preserves integrity), N-5.11.13 (an auditor checks an export offline),
//! CC-7.b (a check executable independently of the provider: nothing from
//! the operator is needed but the bag and the journal's verifier key).
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::checkpoint::Checkpoint;
use crate::hash::{sha256, to_hex, Hash};
use crate::jcs;
use crate::note::{VerifierKey, MAX_NOTE_LEN};
use crate::proof_json::InclusionProof;
use crate::Error;

// ---------------------------------------------------------------------------
// Names and limits
// ---------------------------------------------------------------------------

/// The bag declaration (RFC 8493 §2.1.1).
pub const BAGIT_TXT: &str = "bagit.txt";
/// The bag metadata (RFC 8493 §2.2.2).
pub const BAG_INFO_TXT: &str = "bag-info.txt";
/// The payload manifest (RFC 8493 §2.1.3); SHA-256 is Probant's only algorithm.
pub const MANIFEST_TXT: &str = "manifest-sha256.txt";
/// The tag manifest (RFC 8493 §2.2.1).
pub const TAGMANIFEST_TXT: &str = "tagmanifest-sha256.txt";
/// The signed checkpoint that every proof in the bag leads to.
pub const CHECKPOINT_PATH: &str = "data/journal/checkpoint";
/// The journal's verifier key, in signed-note verifier-key form.
pub const VKEY_PATH: &str = "data/journal/vkey";
/// The directory of record versions: `data/records/<record-id>/<version>/`.
pub const RECORDS_DIR: &str = "data/records/";
/// The exact `bagit.txt` that [`tag_files`] writes.
pub const BAG_DECLARATION: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
/// The journal actions whose entries store content (DESIGN contract 3); the
/// entry in a bag's `proof.json` is one of them.
pub const CONTENT_ACTIONS: [&str; 3] = ["record.ingest", "record.import", "record.migrate"];
/// The journal action of the entry that commits to a record version's
/// `metadata.json` when it is exported (DESIGN contract 3).
pub const EXPORT_ACTION: &str = "record.export";
/// The member of `proof.json` that holds the contract-5 inclusion proof of
/// the version's [`EXPORT_ACTION`] entry (AR-19).
pub const EXPORT_PROOF_MEMBER: &str = "export";
/// The member of an export entry's `details`: the lowercase hex SHA-256 of
/// the exact bytes of the version's `metadata.json`.
pub const METADATA_SHA256: &str = "metadata_sha256";
/// The member of `metadata.json` holding 16 random bytes in lowercase hex,
/// so that [`METADATA_SHA256`] reveals nothing of the personal data it
/// covers, even to someone who can guess every other field. It is not
/// record metadata.
pub const COMMITMENT_SALT: &str = "commitment_salt";
/// `Bag-Software-Agent` when the caller gives none.
pub const SOFTWARE_AGENT: &str = concat!("probant-verify ", env!("CARGO_PKG_VERSION"));

const PAYLOAD_DIR: &str = "data/";
const METADATA_JSON: &str = "metadata.json";
const PROOF_JSON: &str = "proof.json";
/// The tag files of a Probant bag that its tag manifest must cover.
const COVERED_TAG_FILES: [&str; 3] = [BAGIT_TXT, BAG_INFO_TXT, MANIFEST_TXT];
/// Labels that [`tag_files`] computes itself and the caller may not give.
const COMPUTED_LABELS: [&str; 2] = ["Bagging-Date", "Payload-Oxum"];

/// Payload files are hashed as a stream through a buffer of this size.
const HASH_BUFFER_LEN: usize = 64 * 1024;
/// Files are hashed on this many threads.
pub const HASH_THREADS: usize = 2;
/// `bagit.txt`, `bag-info.txt` and the vkey are a few lines each.
const MAX_TAG_FILE: u64 = 1 << 20;
/// A manifest line is about 150 bytes: room for over a million files.
const MAX_MANIFEST: u64 = 256 << 20;
/// `proof.json` holds an entry (≤ 64 KiB) and a checkpoint note (≤ 1 MiB).
const MAX_JSON_FILE: u64 = 4 << 20;

// ---------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------

/// One payload file of a bag to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadFile {
    /// Its path in the bag: under `data/`, with `/` as the separator.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: Hash,
    /// Its length in octets.
    pub size: u64,
}

/// The tag files of a bag whose payload is `payload`: `bagit.txt`,
/// `bag-info.txt`, `manifest-sha256.txt` and `tagmanifest-sha256.txt`, in the
/// order to write them (the tag manifest last: it covers the others), each
/// with its exact bytes.
///
/// `bag-info.txt` holds `Bagging-Date` (`bagging_date`, `YYYY-MM-DD`),
/// `Payload-Oxum`, `Bag-Software-Agent` ([`SOFTWARE_AGENT`] unless `info`
/// gives one), then `info` in its order. Refused: a payload path that is not
/// a plain relative path under `data/`, or that is given twice; a label that
/// RFC 8493 §2.2.2 forbids or that this function computes; a value that is
/// empty, has a line break or control character, or would lose leading or
/// trailing whitespace to a reader.
pub fn tag_files(
    payload: &[PayloadFile],
    info: &[(String, String)],
    bagging_date: &str,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    check_bagging_date(bagging_date)?;
    let manifest = payload_manifest(payload)?;
    let bag_info = bag_info(payload, info, bagging_date)?;
    let mut files = vec![
        (BAGIT_TXT.to_owned(), BAG_DECLARATION.as_bytes().to_vec()),
        (BAG_INFO_TXT.to_owned(), bag_info.into_bytes()),
        (MANIFEST_TXT.to_owned(), manifest.into_bytes()),
    ];
    let mut covered: Vec<(&str, Hash)> = files
        .iter()
        .map(|(path, bytes)| (path.as_str(), sha256(bytes)))
        .collect();
    covered.sort();
    let tagmanifest = manifest_text(covered);
    files.push((TAGMANIFEST_TXT.to_owned(), tagmanifest.into_bytes()));
    Ok(files)
}

fn payload_manifest(payload: &[PayloadFile]) -> Result<String, Error> {
    let mut sorted: Vec<&PayloadFile> = payload.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for (i, file) in sorted.iter().enumerate() {
        let fault = payload_path_fault(&file.path)
            .or_else(|| (i > 0 && sorted[i - 1].path == file.path).then_some("given twice"));
        if let Some(fault) = fault {
            let detail = format!("{}: {fault}", display_path(&file.path));
            return Err(Error::malformed("bag payload path", detail));
        }
    }
    Ok(manifest_text(
        sorted.iter().map(|f| (f.path.as_str(), f.sha256)),
    ))
}

/// One line `<lowercase hex>  <percent-encoded path>` per file, in order.
fn manifest_text<'a>(files: impl IntoIterator<Item = (&'a str, Hash)>) -> String {
    let mut text = String::new();
    for (path, digest) in files {
        text.push_str(&to_hex(&digest));
        text.push_str("  ");
        text.push_str(&encode_manifest_path(path));
        text.push('\n');
    }
    text
}

fn bag_info(
    payload: &[PayloadFile],
    info: &[(String, String)],
    bagging_date: &str,
) -> Result<String, Error> {
    let octets = payload
        .iter()
        .try_fold(0u64, |sum, f| sum.checked_add(f.size))
        .ok_or_else(|| Error::malformed("bag payload", "total size overflows 64 bits"))?;
    let mut elements = vec![
        ("Bagging-Date".to_owned(), bagging_date.to_owned()),
        (
            "Payload-Oxum".to_owned(),
            format!("{octets}.{}", payload.len()),
        ),
    ];
    if !info
        .iter()
        .any(|(label, _)| label.eq_ignore_ascii_case("Bag-Software-Agent"))
    {
        elements.push(("Bag-Software-Agent".to_owned(), SOFTWARE_AGENT.to_owned()));
    }
    for (label, value) in info {
        check_element(label, value)?;
        elements.push((label.clone(), value.clone()));
    }
    Ok(elements
        .iter()
        .map(|(label, value)| format!("{label}: {value}\n"))
        .collect())
}

/// RFC 8493 §2.2.2: "label: value" on one line. Values are not folded, and
/// whitespace a reader would strip is refused rather than silently lost.
fn check_element(label: &str, value: &str) -> Result<(), Error> {
    let is_blank = |c: char| c == ' ' || c == '\t';
    let fault = if label.is_empty() {
        "empty label"
    } else if label.contains(':') || label.chars().any(char::is_control) {
        "the label contains a colon, a line break or a control character"
    } else if label.starts_with(is_blank) || label.ends_with(is_blank) {
        "the label starts or ends with whitespace"
    } else if COMPUTED_LABELS
        .iter()
        .any(|c| c.eq_ignore_ascii_case(label))
    {
        "tag_files computes this element itself"
    } else if value.contains(['\r', '\n']) {
        "the value contains a line break"
    } else if value.chars().any(|c| c.is_control() && c != '\t') {
        "the value contains a control character"
    } else if value.is_empty() || value.starts_with(is_blank) || value.ends_with(is_blank) {
        "the value is empty, or starts or ends with whitespace that readers strip"
    } else {
        return Ok(());
    };
    Err(Error::malformed(
        "bag-info element",
        format!("{label:?}: {fault}"),
    ))
}

/// RFC 8493 §2.2.2: `Bagging-Date` is `YYYY-MM-DD`.
fn check_bagging_date(date: &str) -> Result<(), Error> {
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10);
    let in_range =
        shaped && ("01"..="12").contains(&&date[5..7]) && ("01"..="31").contains(&&date[8..10]);
    if !in_range {
        return Err(Error::malformed(
            "bag-info element",
            "Bagging-Date is not YYYY-MM-DD",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------

/// Why `path` cannot name a file in a Probant bag, if it cannot. It must be
/// relative, use `/`, and have no `.`, `..` or empty component: RFC 8493
/// forbids referring outside the bag, and one spelling per file lets a
/// manifest entry and a file on disk be matched byte for byte.
fn path_fault(path: &str) -> Option<&'static str> {
    if path.starts_with('/') {
        Some("an absolute path")
    } else if path.contains('\\') {
        Some("a backslash in the path (the separator is '/')")
    } else if path.contains('\0') {
        Some("a NUL character in the path")
    } else if path.split('/').any(|c| c.is_empty()) {
        Some("an empty path component")
    } else if path.split('/').any(|c| c == "." || c == "..") {
        Some("a '.' or '..' path component")
    } else {
        None
    }
}

fn payload_path_fault(path: &str) -> Option<&'static str> {
    path_fault(path).or_else(|| (!is_payload(path)).then_some("not under data/"))
}

fn is_payload(path: &str) -> bool {
    path.starts_with(PAYLOAD_DIR)
}

/// RFC 8493 §2.1.3: in a manifest, CR, LF and `%` (and only those) are
/// percent-encoded.
fn encode_manifest_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// The inverse of [`encode_manifest_path`]. Any other `%` sequence is an
/// error: a literal `%` must itself be encoded, so it cannot be meant.
fn decode_manifest_path(encoded: &str) -> Result<String, &'static str> {
    const BAD: &str = "a '%' that is not %25, %0A or %0D (RFC 8493 §2.1.3)";
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3).ok_or(BAD)?;
        out.push(match code.to_ascii_uppercase().as_str() {
            "25" => '%',
            "0A" => '\n',
            "0D" => '\r',
            _ => return Err(BAD),
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A path as problems print it: percent-encoded as in a manifest, and other
/// control characters too, so that one problem is one line.
fn display_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            c if c.is_control() => {
                let mut utf8 = [0u8; 4];
                for b in c.encode_utf8(&mut utf8).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Tag file syntax
// ---------------------------------------------------------------------------

/// Splits text into lines ended by LF, CR or CRLF (RFC 8493 §2). The second
/// value tells whether the last line has its line ending, as all must.
fn split_lines(text: &str) -> (Vec<&str>, bool) {
    let bytes = text.as_bytes();
    let (mut lines, mut start, mut i) = (Vec::new(), 0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    let terminated = start == bytes.len();
    if !terminated {
        lines.push(&text[start..]);
    }
    (lines, terminated)
}

/// RFC 8493 §2.2.2: a label, a colon, one space or tab, the value.
fn split_element(line: &str) -> Option<(&str, &str)> {
    let (label, rest) = line.split_once(':')?;
    let value = rest.strip_prefix([' ', '\t'])?;
    let trimmed = label.trim_matches([' ', '\t']);
    (!label.is_empty() && trimmed == label).then_some((label, value))
}

/// RFC 8493 §2.1.1: exactly `BagIt-Version: 1.0` and
/// `Tag-File-Character-Encoding: UTF-8`, without a byte-order mark.
fn check_declaration(bytes: &[u8]) -> Result<(), String> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Err("starts with a byte-order mark (RFC 8493 §2.1.1)".into());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_owned())?;
    let (lines, terminated) = split_lines(text);
    let elements: Vec<Option<(&str, &str)>> = lines.iter().map(|l| split_element(l)).collect();
    match elements.as_slice() {
        [Some(("BagIt-Version", "1.0")), Some(("Tag-File-Character-Encoding", encoding))]
            if terminated && encoding.eq_ignore_ascii_case("UTF-8") =>
        {
            Ok(())
        }
        _ => Err("is not the two lines \"BagIt-Version: 1.0\" and \
                  \"Tag-File-Character-Encoding: UTF-8\", each ended by a line break"
            .into()),
    }
}

/// RFC 8493 §2.2.2: elements in order; a line starting with a space or tab
/// continues the previous value.
fn parse_bag_info(text: &str) -> Result<Vec<(String, String)>, String> {
    let (lines, terminated) = split_lines(text);
    if !terminated {
        return Err("the last line has no line ending".into());
    }
    let mut elements: Vec<(String, String)> = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        if line.starts_with([' ', '\t']) {
            let (_, value) = elements
                .last_mut()
                .ok_or_else(|| format!("line {}: continues no element", n + 1))?;
            value.push('\n');
            value.push_str(line.trim_start_matches([' ', '\t']));
        } else {
            let (label, value) = split_element(line)
                .ok_or_else(|| format!("line {}: not \"label: value\"", n + 1))?;
            elements.push((label.to_owned(), value.to_owned()));
        }
    }
    Ok(elements)
}

/// The values of the elements labelled `label` (labels are case-insensitive).
fn values_of<'a>(info: &'a [(String, String)], label: &str) -> Vec<&'a str> {
    info.iter()
        .filter(|(l, _)| l.eq_ignore_ascii_case(label))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// `Payload-Oxum`: `<octet count>.<file count>`.
fn parse_oxum(value: &str) -> Option<(u64, u64)> {
    let (octets, files) = value.split_once('.')?;
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    Some((number(octets)?, number(files)?))
}

/// Which files a manifest may list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lists {
    /// The payload manifest: files under `data/`.
    Payload,
    /// The tag manifest: tag files, but not itself.
    Tags,
}

/// RFC 8493 §2.1.3: `checksum`, one or more spaces or tabs, `filepath`.
/// Returns the entries and, separately, what is wrong with the other lines.
fn parse_manifest(text: &str, lists: Lists) -> (BTreeMap<String, Hash>, Vec<String>) {
    let (lines, terminated) = split_lines(text);
    let mut entries = BTreeMap::new();
    let mut faults = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        match parse_manifest_line(line, lists) {
            Ok((path, digest)) => {
                if entries.insert(path.clone(), digest).is_some() {
                    faults.push(format!(
                        "line {}: lists {} again",
                        n + 1,
                        display_path(&path)
                    ));
                }
            }
            Err(fault) => faults.push(format!("line {}: {fault}", n + 1)),
        }
    }
    if !terminated {
        faults.push("the last line has no line ending".into());
    }
    (entries, faults)
}

fn parse_manifest_line(line: &str, lists: Lists) -> Result<(String, Hash), String> {
    let digest = line
        .get(..64)
        .and_then(parse_hex_hash)
        .ok_or("does not start with a SHA-256 of 64 hexadecimal digits")?;
    let rest = &line[64..];
    let encoded = rest.trim_start_matches([' ', '\t']);
    if encoded.len() == rest.len() {
        return Err("no space or tab between checksum and path".into());
    }
    if encoded.is_empty() {
        return Err("no file path".into());
    }
    let path = decode_manifest_path(encoded)?;
    let fault = match lists {
        Lists::Payload => payload_path_fault(&path),
        Lists::Tags if is_payload(&path) => Some("a payload file in the tag manifest"),
        Lists::Tags if path == TAGMANIFEST_TXT => Some("the tag manifest lists itself"),
        Lists::Tags => path_fault(&path),
    };
    match fault {
        Some(fault) => Err(format!("{}: {fault}", display_path(&path))),
        None => Ok((path, digest)),
    }
}

/// 64 hexadecimal digits, either case (RFC 8493 §2.1.3).
fn parse_hex_hash(hex: &str) -> Option<Hash> {
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        if !pair.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    (hex.len() == 64).then_some(out)
}

fn is_other_manifest(path: &str) -> bool {
    let manifest = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.ends_with(".txt") && !rest.contains('/'))
    };
    (manifest("manifest-") || manifest("tagmanifest-"))
        && path != MANIFEST_TXT
        && path != TAGMANIFEST_TXT
}

// ---------------------------------------------------------------------------
// Reading a bag
// ---------------------------------------------------------------------------

/// One thing found in a bag's directory tree (directories themselves are not
/// listed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BagEntry {
    /// A regular file, by its path relative to the bag's base directory,
    /// with `/` as the separator.
    File(String),
    /// Anything that is not a regular file or a directory (a symbolic link,
    /// a device, a name that is not UTF-8): never followed nor read, and
    /// reported as a problem.
    Refused {
        /// Its path, as close to the real one as can be printed.
        path: String,
        /// What it is.
        why: String,
    },
}

/// Read access to a bag, supplied by the caller, so that the verifier itself
/// does no file I/O (a bag may be a directory, an archive, or in memory).
/// `Sync`: the verifier hashes files on [`HASH_THREADS`] threads.
pub trait BagFiles: Sync {
    /// Everything in the bag's tree except directories, in any order.
    fn list(&self) -> io::Result<Vec<BagEntry>>;
    /// Opens a file that [`list`](Self::list) returned as [`BagEntry::File`].
    fn open(&self, path: &str) -> io::Result<Box<dyn Read + '_>>;
}

/// A bag in a directory: the crate's only file access. Symbolic links are
/// never followed (a bag that points outside itself proves nothing about
/// what it points to); they, and anything else that is not a regular file
/// or a directory, are listed as [`BagEntry::Refused`].
#[derive(Clone, Debug)]
pub struct DirBag {
    root: PathBuf,
}

impl DirBag {
    /// The bag whose base directory is `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The bag's base directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl BagFiles for DirBag {
    fn list(&self) -> io::Result<Vec<BagEntry>> {
        if !fs::metadata(&self.root)?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a directory",
            ));
        }
        let mut entries = Vec::new();
        // Depth-first with an explicit stack: a deep tree cannot overflow ours.
        let mut pending = vec![(self.root.clone(), String::new())];
        while let Some((dir, prefix)) = pending.pop() {
            for item in fs::read_dir(&dir)? {
                let item = item?;
                let name = item.file_name();
                let Some(name) = name.to_str() else {
                    let path = format!("{prefix}{}", name.to_string_lossy());
                    let why = "a file name that is not UTF-8".to_owned();
                    entries.push(BagEntry::Refused { path, why });
                    continue;
                };
                let path = format!("{prefix}{name}");
                // `DirEntry::file_type` does not follow symbolic links.
                let kind = item.file_type()?;
                if kind.is_dir() {
                    pending.push((item.path(), format!("{path}/")));
                } else if kind.is_file() {
                    entries.push(BagEntry::File(path));
                } else {
                    let why = if kind.is_symlink() {
                        "a symbolic link (never followed)"
                    } else {
                        "neither a regular file nor a directory"
                    };
                    entries.push(BagEntry::Refused {
                        path,
                        why: why.to_owned(),
                    });
                }
            }
        }
        Ok(entries)
    }

    fn open(&self, path: &str) -> io::Result<Box<dyn Read + '_>> {
        if let Some(fault) = path_fault(path) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, fault));
        }
        let full = path
            .split('/')
            .fold(self.root.clone(), |dir, c| dir.join(c));
        // Checked again at open: a file swapped for a link after listing is
        // still not followed out of the bag.
        if !fs::symlink_metadata(&full)?.file_type().is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        Ok(Box::new(fs::File::open(full)?))
    }
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

/// What is wrong with a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// Listed in a manifest, or required by the layout, but absent.
    Missing,
    /// Present but not listed in the manifest that must list it.
    Added,
    /// Its SHA-256 differs from its manifest's.
    Altered,
    /// Present, and perhaps listed, but not part of a Probant bag's layout.
    Unexpected,
    /// Not in the format that RFC 8493 or DESIGN contracts 3–5 prescribe.
    Malformed,
    /// A signature or Merkle proof does not verify.
    Unverified,
    /// Two things that must agree do not (e.g. metadata and journal entry).
    Mismatch,
    /// Could not be read.
    Unreadable,
    /// Not a regular file or directory (a symbolic link, a device, …).
    Refused,
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProblemKind::Missing => "missing",
            ProblemKind::Added => "added",
            ProblemKind::Altered => "altered",
            ProblemKind::Unexpected => "unexpected",
            ProblemKind::Malformed => "malformed",
            ProblemKind::Unverified => "does not verify",
            ProblemKind::Mismatch => "mismatch",
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::Refused => "refused",
        })
    }
}

/// One thing wrong with a bag: which file, what, and why. Texts name files
/// and fields, never their contents, so a report carries no personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file's path relative to the bag's base directory (`.` for the
    /// bag as a whole).
    pub path: String,
    /// What is wrong.
    pub kind: ProblemKind,
    /// Why, in words.
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({})",
            display_path(&self.path),
            self.kind,
            self.detail
        )
    }
}

/// A record version whose content, metadata and proof all verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedRecord {
    /// The record id (its directory name).
    pub record_id: String,
    /// The version number (its directory name).
    pub version: u64,
    /// SHA-256 of the content, as journaled.
    pub sha256: Hash,
    /// The index (sequence number) of the journal entry that stored it.
    pub index: u64,
    /// SHA-256 of `metadata.json`, as committed to by the export entry
    /// (lowercase hex): what an importer must find when it reads the file
    /// again, so that nothing changed between verification and use.
    pub metadata_sha256: String,
}

/// The outcome of [`verify_bag`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BagReport {
    /// The record versions proven, by record id and version.
    pub records: Vec<VerifiedRecord>,
    /// `data/journal/checkpoint`, when it verified.
    pub checkpoint: Option<Checkpoint>,
    /// True when no key was given and the bag's own `data/journal/vkey` was
    /// used: the bag is then consistent, but proven to come from that key's
    /// journal only once the key is compared with one obtained independently.
    pub vkey_from_bag: bool,
    /// Every problem found, in the order of the checks.
    pub problems: Vec<Problem>,
}

impl BagReport {
    /// True when the checkpoint verified and nothing is wrong.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty() && self.checkpoint.is_some()
    }
}

// ---------------------------------------------------------------------------
// Verifier
// ---------------------------------------------------------------------------

/// Checks a whole bag, offline, and reports every problem rather than the
/// first. With `vkey`, the journal's checkpoint and every proof must verify
/// under it (and `data/journal/vkey`, if present, must be that key);
/// without, under `data/journal/vkey`. The checks, in order
/// (`docs/spec/bag.md`): the listing; `bagit.txt`; both manifests, every
/// file's SHA-256 against them, and completeness; `Payload-Oxum`; the key and
/// checkpoint; the payload layout; each record version's proofs, journal
/// entries, content and metadata.
///
/// Files are hashed as streams; only tag files, keys, checkpoints and JSON
/// documents are read whole, each under a size limit.
pub fn verify_bag<B: BagFiles + ?Sized>(bag: &B, vkey: Option<&VerifierKey>) -> BagReport {
    let mut v = Verifier::new(bag);
    if v.list() {
        v.check_declaration();
        v.check_fixity();
        let info = v.read_bag_info();
        if let Some(info) = &info {
            v.check_oxum(info);
        }
        let key = v.journal_key(vkey);
        let checkpoint = v.check_checkpoint(key.as_ref());
        if let (Some(info), Some(cp)) = (&info, v.report.checkpoint.clone()) {
            v.check_journal_labels(info, &cp);
        }
        v.check_payload_layout();
        v.check_records(Anchor {
            key: key.as_ref(),
            checkpoint: checkpoint.as_deref(),
        });
    }
    v.report
}

/// The content file of a record version and what was computed of it.
struct Content {
    path: String,
    sha256: Hash,
    size: u64,
}

/// What a record version's `proof.json` established.
struct Journaled {
    index: u64,
    /// The storing entry's `resource`, when it is about this version.
    resource: Option<Map<String, Value>>,
    /// The export entry's `details.metadata_sha256`, when that entry is
    /// about this version.
    committed: Option<String>,
}

/// Where every proof of the bag must lead: the key used, and the bytes of
/// `data/journal/checkpoint` (verified or not, to compare with each proof's).
#[derive(Clone, Copy)]
struct Anchor<'a> {
    key: Option<&'a VerifierKey>,
    checkpoint: Option<&'a [u8]>,
}

/// Which of the two proofs in `proof.json` a problem is about: problems
/// name the file, and their words say which proof.
#[derive(Clone, Copy)]
enum Which {
    /// The top-level proof, of the entry that stored the content.
    Storing,
    /// The [`EXPORT_PROOF_MEMBER`], of the entry that committed to the
    /// metadata.
    Export,
}

impl Which {
    /// How a problem's detail names the proof's entry.
    fn entry(self) -> &'static str {
        match self {
            Which::Storing => "its entry",
            Which::Export => "its export entry",
        }
    }

    /// What a problem's detail starts with when it is about the proof.
    fn prefix(self) -> &'static str {
        match self {
            Which::Storing => "",
            Which::Export => "its export proof: ",
        }
    }

    /// How a problem's detail names the proof's checkpoint.
    fn checkpoint(self) -> &'static str {
        match self {
            Which::Storing => "its checkpoint",
            Which::Export => "its export proof's checkpoint",
        }
    }
}

/// `proof.json`'s [`EXPORT_PROOF_MEMBER`] (the other members are the storing
/// entry's proof, read on their own).
#[derive(Deserialize)]
struct ExportMember {
    export: Option<InclusionProof>,
}

struct Verifier<'b, B: ?Sized> {
    bag: &'b B,
    /// The regular files of the bag.
    files: BTreeSet<String>,
    /// SHA-256 and length of every file that could be read.
    digests: BTreeMap<String, (Hash, u64)>,
    /// Paths with a problem, to tell whether a record version is clean.
    problem_paths: BTreeSet<String>,
    /// `Missing` and `Unreadable` are reported once per file, though
    /// several checks notice them.
    reported_once: HashSet<(String, ProblemKind)>,
    report: BagReport,
}

impl<'b, B: BagFiles + ?Sized> Verifier<'b, B> {
    fn new(bag: &'b B) -> Self {
        Self {
            bag,
            files: BTreeSet::new(),
            digests: BTreeMap::new(),
            problem_paths: BTreeSet::new(),
            reported_once: HashSet::new(),
            report: BagReport::default(),
        }
    }

    fn problem(&mut self, path: &str, kind: ProblemKind, detail: impl Into<String>) {
        if matches!(kind, ProblemKind::Missing | ProblemKind::Unreadable)
            && !self.reported_once.insert((path.to_owned(), kind))
        {
            return;
        }
        self.problem_paths.insert(path.to_owned());
        self.report.problems.push(Problem {
            path: path.to_owned(),
            kind,
            detail: detail.into(),
        });
    }

    fn has_problem_under(&self, prefix: &str) -> bool {
        self.problem_paths
            .range(prefix.to_owned()..)
            .next()
            .is_some_and(|p| p.starts_with(prefix))
    }

    fn payload_files(&self) -> Vec<String> {
        self.files
            .iter()
            .filter(|p| is_payload(p))
            .cloned()
            .collect()
    }

    /// Step 1: what is in the bag. False when it cannot be listed at all.
    fn list(&mut self) -> bool {
        let entries = match self.bag.list() {
            Ok(entries) => entries,
            Err(e) => {
                self.problem(
                    ".",
                    ProblemKind::Unreadable,
                    format!("cannot list the bag: {e}"),
                );
                return false;
            }
        };
        for entry in entries {
            match entry {
                // A name no manifest could match exactly (e.g. with a
                // backslash) is refused rather than opened.
                BagEntry::File(path) => match path_fault(&path) {
                    Some(fault) => self.problem(&path, ProblemKind::Refused, fault),
                    None => {
                        self.files.insert(path);
                    }
                },
                BagEntry::Refused { path, why } => self.problem(&path, ProblemKind::Refused, why),
            }
        }
        true
    }

    /// Reads a small file whole, refusing one larger than `cap`. `None`
    /// (without a problem) when the file is absent: callers say why it
    /// should be there.
    fn read_small(&mut self, path: &str, cap: u64) -> Option<Vec<u8>> {
        if !self.files.contains(path) {
            return None;
        }
        let read = self.bag.open(path).and_then(|file| {
            let mut bytes = Vec::new();
            file.take(cap + 1).read_to_end(&mut bytes).map(|_| bytes)
        });
        match read {
            Ok(bytes) if bytes.len() as u64 > cap => {
                let detail = format!("larger than {cap} bytes, the most read of such a file");
                self.problem(path, ProblemKind::Malformed, detail);
                None
            }
            Ok(bytes) => Some(bytes),
            Err(e) => {
                self.problem(path, ProblemKind::Unreadable, e.to_string());
                None
            }
        }
    }

    fn read_required(&mut self, path: &str, cap: u64, why: &str) -> Option<Vec<u8>> {
        if !self.files.contains(path) {
            self.problem(path, ProblemKind::Missing, why);
            return None;
        }
        self.read_small(path, cap)
    }

    fn read_utf8(&mut self, path: &str, bytes: Vec<u8>) -> Option<String> {
        match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                let detail = "not UTF-8, the encoding bagit.txt declares";
                self.problem(path, ProblemKind::Malformed, detail);
                None
            }
        }
    }

    /// Step 2: `bagit.txt`.
    fn check_declaration(&mut self) {
        let why = "every bag has a bag declaration (RFC 8493 §2.1.1)";
        let Some(bytes) = self.read_required(BAGIT_TXT, MAX_TAG_FILE, why) else {
            return;
        };
        if let Err(fault) = check_declaration(&bytes) {
            self.problem(BAGIT_TXT, ProblemKind::Malformed, fault);
        }
    }
}

/// Step 3: fixity and completeness (RFC 8493 §3).
impl<B: BagFiles + ?Sized> Verifier<'_, B> {
    fn check_fixity(&mut self) {
        let manifest = self.read_manifest(MANIFEST_TXT, Lists::Payload);
        let tagmanifest = self.read_manifest(TAGMANIFEST_TXT, Lists::Tags);
        self.check_other_manifests();
        self.hash_files();
        if let Some(manifest) = &manifest {
            for path in self.compare(MANIFEST_TXT, manifest, is_payload) {
                self.problem(
                    &path,
                    ProblemKind::Added,
                    format!("not listed in {MANIFEST_TXT}"),
                );
            }
        }
        if let Some(tagmanifest) = &tagmanifest {
            let is_tag = |p: &str| !is_payload(p) && p != TAGMANIFEST_TXT && !is_other_manifest(p);
            for path in self.compare(TAGMANIFEST_TXT, tagmanifest, is_tag) {
                if COVERED_TAG_FILES.contains(&path.as_str()) {
                    let detail =
                        format!("does not list {path}, which a Probant bag's tag manifest covers");
                    self.problem(TAGMANIFEST_TXT, ProblemKind::Malformed, detail);
                } else {
                    self.problem(
                        &path,
                        ProblemKind::Added,
                        format!("not listed in {TAGMANIFEST_TXT}"),
                    );
                }
            }
        }
    }

    fn read_manifest(&mut self, name: &str, lists: Lists) -> Option<BTreeMap<String, Hash>> {
        let why = "every Probant bag has one (DESIGN contract 4)";
        let bytes = self.read_required(name, MAX_MANIFEST, why)?;
        let text = self.read_utf8(name, bytes)?;
        let (entries, faults) = parse_manifest(&text, lists);
        for fault in faults {
            self.problem(name, ProblemKind::Malformed, fault);
        }
        Some(entries)
    }

    /// A bag is valid only if every manifest verifies (RFC 8493 §3); this
    /// verifier checks SHA-256 only, which is all that Probant writes.
    fn check_other_manifests(&mut self) {
        let others: Vec<String> = self
            .files
            .iter()
            .filter(|p| is_other_manifest(p))
            .cloned()
            .collect();
        for path in others {
            let detail = "a manifest for an algorithm this verifier does not check \
                          (a Probant bag has SHA-256 manifests only)";
            self.problem(&path, ProblemKind::Unexpected, detail);
        }
    }

    /// Hashes every file, [`HASH_THREADS`] at a time (hashing is most of a
    /// bag's verification); results are recorded in path order, so the
    /// report does not depend on the threads.
    fn hash_files(&mut self) {
        let files: Vec<String> = self.files.iter().cloned().collect();
        let bag = self.bag;
        let hashed: Vec<io::Result<(Hash, u64)>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..HASH_THREADS)
                .map(|t| {
                    let files = &files;
                    s.spawn(move || {
                        let mut buffer = vec![0u8; HASH_BUFFER_LEN];
                        let mine = files.iter().skip(t).step_by(HASH_THREADS);
                        mine.map(|path| {
                            bag.open(path)
                                .and_then(|mut file| hash_stream(&mut file, &mut buffer))
                        })
                        .collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut parts: Vec<_> = workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .unwrap_or_else(|p| std::panic::resume_unwind(p))
                        .into_iter()
                })
                .collect();
            (0..files.len())
                .filter_map(|i| parts[i % HASH_THREADS].next())
                .collect()
        });
        for (path, digest) in files.into_iter().zip(hashed) {
            match digest {
                Ok(digest) => {
                    self.digests.insert(path, digest);
                }
                Err(e) => self.problem(&path, ProblemKind::Unreadable, e.to_string()),
            }
        }
    }

    /// Checks each entry of `manifest` against the bag (missing, altered) and
    /// returns the files in `scope` that it does not list.
    fn compare(
        &mut self,
        name: &str,
        manifest: &BTreeMap<String, Hash>,
        scope: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        for (path, want) in manifest {
            if !self.files.contains(path) {
                self.problem(path, ProblemKind::Missing, format!("listed in {name}"));
            } else if let Some((got, _)) = self.digests.get(path) {
                if got != want {
                    let detail = format!("SHA-256 differs from {name}");
                    self.problem(path, ProblemKind::Altered, detail);
                }
            }
        }
        let files = self.files.iter().filter(|p| scope(p));
        files
            .filter(|p| !manifest.contains_key(*p))
            .cloned()
            .collect()
    }
}

/// Steps 4 and 5: `bag-info.txt`, the key and the checkpoint.
impl<B: BagFiles + ?Sized> Verifier<'_, B> {
    fn read_bag_info(&mut self) -> Option<Vec<(String, String)>> {
        let why = "a Probant bag's bag-info.txt carries its Payload-Oxum";
        let bytes = self.read_required(BAG_INFO_TXT, MAX_TAG_FILE, why)?;
        let text = self.read_utf8(BAG_INFO_TXT, bytes)?;
        match parse_bag_info(&text) {
            Ok(info) => Some(info),
            Err(fault) => {
                self.problem(BAG_INFO_TXT, ProblemKind::Malformed, fault);
                None
            }
        }
    }

    /// RFC 8493 §2.2.2: the payload's octet and file counts.
    fn check_oxum(&mut self, info: &[(String, String)]) {
        let values = values_of(info, "Payload-Oxum");
        let [value] = values.as_slice() else {
            let detail = format!("{} Payload-Oxum elements, not one", values.len());
            return self.problem(BAG_INFO_TXT, ProblemKind::Malformed, detail);
        };
        let Some((octets, count)) = parse_oxum(value) else {
            let detail = "Payload-Oxum is not <octet count>.<file count>";
            return self.problem(BAG_INFO_TXT, ProblemKind::Malformed, detail);
        };
        let payload = self.payload_files();
        let sizes: Option<Vec<u64>> = payload
            .iter()
            .map(|p| self.digests.get(p).map(|d| d.1))
            .collect();
        // An unreadable payload file is already reported; its size is unknown.
        let Some(sizes) = sizes else { return };
        let actual = (
            sizes.iter().fold(0u64, |a, s| a.saturating_add(*s)),
            payload.len() as u64,
        );
        if (octets, count) != actual {
            let detail = format!(
                "Payload-Oxum is {octets}.{count} but the payload has {} octets in {} files",
                actual.0, actual.1
            );
            self.problem(BAG_INFO_TXT, ProblemKind::Mismatch, detail);
        }
    }

    /// The key to verify with: the one given, else the bag's own.
    fn journal_key(&mut self, given: Option<&VerifierKey>) -> Option<VerifierKey> {
        let why = "a Probant bag carries its journal's verifier key";
        let in_bag = self
            .read_required(VKEY_PATH, MAX_TAG_FILE, why)
            .and_then(|bytes| self.read_utf8(VKEY_PATH, bytes))
            .and_then(|text| match VerifierKey::parse(&text) {
                Ok(key) => Some(key),
                Err(e) => {
                    self.problem(VKEY_PATH, ProblemKind::Malformed, e.to_string());
                    None
                }
            });
        match (given, in_bag) {
            (Some(given), Some(in_bag)) if *given != in_bag => {
                let detail = "not the verifier key given to the verifier: \
                              the bag is not from the expected journal";
                self.problem(VKEY_PATH, ProblemKind::Mismatch, detail);
                Some(given.clone())
            }
            (Some(given), _) => Some(given.clone()),
            (None, Some(in_bag)) => {
                self.report.vkey_from_bag = true;
                Some(in_bag)
            }
            (None, None) => None,
        }
    }

    /// Verifies `data/journal/checkpoint` and returns its bytes, verified or
    /// not, for comparison with each proof's.
    fn check_checkpoint(&mut self, key: Option<&VerifierKey>) -> Option<Vec<u8>> {
        let why = "the signed checkpoint every proof leads to";
        let note = self.read_required(CHECKPOINT_PATH, MAX_NOTE_LEN as u64, why)?;
        match key.map(|key| Checkpoint::verify(&note, key)) {
            Some(Ok(cp)) => self.report.checkpoint = Some(cp),
            Some(Err(e)) => self.problem(CHECKPOINT_PATH, ProblemKind::Unverified, e.to_string()),
            None => {
                let detail = "no verifier key: data/journal/vkey is missing or malformed \
                              and none was given";
                self.problem(CHECKPOINT_PATH, ProblemKind::Unverified, detail);
            }
        }
        Some(note)
    }

    /// Labels Probant adds to bag-info.txt must agree with the checkpoint.
    fn check_journal_labels(&mut self, info: &[(String, String)], cp: &Checkpoint) {
        for origin in values_of(info, "Probant-Log-Origin") {
            if origin != cp.origin {
                let detail = "Probant-Log-Origin differs from the checkpoint's origin";
                self.problem(BAG_INFO_TXT, ProblemKind::Mismatch, detail);
            }
        }
        for size in values_of(info, "Probant-Checkpoint-Size") {
            if size != cp.size.to_string() {
                let detail = "Probant-Checkpoint-Size differs from the checkpoint's size";
                self.problem(BAG_INFO_TXT, ProblemKind::Mismatch, detail);
            }
        }
    }
}

/// Steps 6 and 7: the payload layout and each record version.
impl<B: BagFiles + ?Sized> Verifier<'_, B> {
    /// Every payload file is a record version's file or the journal's.
    fn check_payload_layout(&mut self) {
        for path in self.payload_files() {
            let known =
                path == CHECKPOINT_PATH || path == VKEY_PATH || path.starts_with(RECORDS_DIR);
            if !known {
                let detail = "not part of a Probant bag's payload (DESIGN contract 4)";
                self.problem(&path, ProblemKind::Unexpected, detail);
            }
        }
    }

    /// Groups `data/records/<id>/<version>/<name>` by version directory.
    fn version_dirs(&mut self) -> BTreeMap<(String, String), Vec<String>> {
        let mut dirs: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        let records: Vec<String> = self
            .files
            .iter()
            .filter(|p| p.starts_with(RECORDS_DIR))
            .cloned()
            .collect();
        for path in records {
            match path[RECORDS_DIR.len()..]
                .split('/')
                .collect::<Vec<_>>()
                .as_slice()
            {
                [id, version, name] => dirs
                    .entry((id.to_string(), version.to_string()))
                    .or_default()
                    .push(name.to_string()),
                _ => {
                    let detail = "not at data/records/<record-id>/<version>/<file>";
                    self.problem(&path, ProblemKind::Unexpected, detail);
                }
            }
        }
        dirs
    }

    fn check_records(&mut self, anchor: Anchor) {
        for ((id, version), names) in self.version_dirs() {
            let dir = format!("{RECORDS_DIR}{id}/{version}");
            let Some(version) = parse_version(&version) else {
                let detail = "the version directory's name is not a decimal number";
                self.problem(&dir, ProblemKind::Malformed, detail);
                continue;
            };
            let content = self.content_file(&dir, &names);
            let journaled = self.check_proof(&dir, &id, version, content.as_ref(), anchor);
            let expected = Expected::new(&id, version, content.as_ref(), journaled.as_ref());
            self.check_metadata(&dir, &expected);
            if let (Some(content), Some(journaled)) = (content, journaled) {
                let committed = journaled.committed.clone();
                if let (false, Some(metadata_sha256)) =
                    (self.has_problem_under(&format!("{dir}/")), committed)
                {
                    self.report.records.push(VerifiedRecord {
                        record_id: id,
                        version,
                        sha256: content.sha256,
                        index: journaled.index,
                        metadata_sha256,
                    });
                }
            }
        }
    }

    /// Exactly one `content[.<ext>]`, plus `metadata.json` and `proof.json`,
    /// and nothing else.
    fn content_file(&mut self, dir: &str, names: &[String]) -> Option<Content> {
        let mut contents = Vec::new();
        for name in names {
            if is_content_name(name) {
                contents.push(format!("{dir}/{name}"));
            } else if name != METADATA_JSON && name != PROOF_JSON {
                let detail =
                    "a record version holds content[.<ext>], metadata.json and proof.json only";
                self.problem(&format!("{dir}/{name}"), ProblemKind::Unexpected, detail);
            }
        }
        for required in [METADATA_JSON, PROOF_JSON] {
            if !names.iter().any(|n| n == required) {
                let detail = "every record version has one";
                self.problem(&format!("{dir}/{required}"), ProblemKind::Missing, detail);
            }
        }
        match contents.as_slice() {
            [path] => {
                let (sha256, size) = *self.digests.get(path)?;
                Some(Content {
                    path: path.clone(),
                    sha256,
                    size,
                })
            }
            [] => {
                let path = format!("{dir}/content");
                if !self.has_problem_under(&path) {
                    let detail = "no content file (content or content.<ext>)";
                    self.problem(&path, ProblemKind::Missing, detail);
                }
                None
            }
            several => {
                for path in several {
                    let detail = "one of several content files; a record version has one";
                    self.problem(path, ProblemKind::Unexpected, detail);
                }
                None
            }
        }
    }

    /// `proof.json`: a contract-5 proof that verifies, to the bag's
    /// checkpoint, of a content-storing entry about exactly this content,
    /// and beside it the proof of the export entry that committed to the
    /// metadata. A document that is not a proof is named once: its
    /// `export` member is looked at only in a proof.
    fn check_proof(
        &mut self,
        dir: &str,
        id: &str,
        version: u64,
        content: Option<&Content>,
        anchor: Anchor,
    ) -> Option<Journaled> {
        let path = format!("{dir}/{PROOF_JSON}");
        let bytes = self.read_small(&path, MAX_JSON_FILE)?;
        let proof: InclusionProof = match serde_json::from_slice(&bytes) {
            Ok(proof) => proof,
            Err(e) => {
                let detail = json_fault(&e, "an inclusion proof (DESIGN contract 5)");
                self.problem(&path, ProblemKind::Malformed, detail);
                return None;
            }
        };
        self.check_inclusion(&path, &proof, Which::Storing, anchor);
        let resource = self.check_entry(&path, &proof.entry, id, version, content);
        let committed = self.check_export_proof(&path, &bytes, id, version, anchor);
        Some(Journaled {
            index: proof.index,
            resource,
            committed,
        })
    }

    /// One proof of `proof.json` must verify under the key (signature,
    /// origin, size, leaf hash, path to the root) and carry the bag's
    /// checkpoint, byte for byte: every proof in a bag leads to one tree.
    fn check_inclusion(
        &mut self,
        path: &str,
        proof: &InclusionProof,
        which: Which,
        anchor: Anchor,
    ) {
        // The bag's checkpoint verified once under this key; a proof that
        // carries the same bytes needs no second signature check.
        let same = anchor
            .checkpoint
            .is_some_and(|cp| cp == proof.checkpoint.as_bytes());
        let verified = self.report.checkpoint.as_ref().filter(|_| same);
        let outcome = match verified {
            Some(cp) => anchor.key.map(|_| proof.verify_under(cp)),
            None => anchor.key.map(|key| proof.verify(key).map(|_| ())),
        };
        let prefix = which.prefix();
        match outcome {
            Some(Ok(())) => {}
            Some(Err(e)) => self.problem(path, ProblemKind::Unverified, format!("{prefix}{e}")),
            None => {
                let detail = format!("{prefix}no verifier key");
                self.problem(path, ProblemKind::Unverified, detail);
            }
        }
        if anchor.checkpoint.is_some() && !same {
            let detail = format!("{} is not {CHECKPOINT_PATH}", which.checkpoint());
            self.problem(path, ProblemKind::Mismatch, detail);
        }
    }

    /// `proof.json`'s `export` member (AR-19): the proof, to the bag's
    /// checkpoint, of the `record.export` entry that committed to this
    /// version's `metadata.json` before the bag was written. Returns the
    /// committed digest when the entry is about this record version (one
    /// about another says nothing of this metadata).
    fn check_export_proof(
        &mut self,
        path: &str,
        bytes: &[u8],
        id: &str,
        version: u64,
        anchor: Anchor,
    ) -> Option<String> {
        let proof = match serde_json::from_slice::<ExportMember>(bytes) {
            Ok(ExportMember {
                export: Some(proof),
            }) => proof,
            Ok(ExportMember { export: None }) => {
                let detail = "no \"export\" member: the proof of the record.export entry \
                              that binds metadata.json to the journal (AR-19)";
                self.problem(path, ProblemKind::Malformed, detail);
                return None;
            }
            Err(e) => {
                let what = "an inclusion proof (DESIGN contract 5) in its \"export\" member";
                self.problem(path, ProblemKind::Malformed, json_fault(&e, what));
                return None;
            }
        };
        self.check_inclusion(path, &proof, Which::Export, anchor);
        self.check_export_entry(path, &proof.entry, id, version)
    }

    /// The export entry must be a `record.export` of this record version
    /// whose `details.metadata_sha256` is a lowercase hex SHA-256.
    fn check_export_entry(
        &mut self,
        path: &str,
        entry: &str,
        id: &str,
        version: u64,
    ) -> Option<String> {
        let parsed = self.parse_entry(path, entry, Which::Export)?;
        if parsed.get("action").and_then(Value::as_str) != Some(EXPORT_ACTION) {
            let detail = format!("its export entry's action is not {EXPORT_ACTION}");
            self.problem(path, ProblemKind::Mismatch, detail);
        }
        self.entry_resource(path, &parsed, id, version, Which::Export)?;
        let digest = parsed
            .get("details")
            .and_then(|d| d.get(METADATA_SHA256))
            .and_then(Value::as_str)
            .filter(|d| is_lowercase_digest(d));
        if digest.is_none() {
            let detail = format!(
                "its export entry has no details.{METADATA_SHA256} of 64 lowercase hexadecimal digits"
            );
            self.problem(path, ProblemKind::Malformed, detail);
        }
        digest.map(str::to_owned)
    }

    /// The journal entry (DESIGN contract 3) must be the one that stored
    /// this record version's content. Returns its `resource` when the entry
    /// is about this record version: an entry about another one says nothing
    /// about this content or metadata, so only `proof.json` is at fault.
    fn check_entry(
        &mut self,
        path: &str,
        entry: &str,
        id: &str,
        version: u64,
        content: Option<&Content>,
    ) -> Option<Map<String, Value>> {
        let parsed = self.parse_entry(path, entry, Which::Storing)?;
        let action = parsed.get("action").and_then(Value::as_str);
        if !action.is_some_and(|a| CONTENT_ACTIONS.contains(&a)) {
            let detail = "its entry's action is not record.ingest, record.import or record.migrate";
            self.problem(path, ProblemKind::Mismatch, detail);
        }
        let resource = self.entry_resource(path, &parsed, id, version, Which::Storing)?;
        match (resource.get("sha256").and_then(Value::as_str), content) {
            (None, _) => {
                let detail = "its entry has no resource.sha256";
                self.problem(path, ProblemKind::Malformed, detail);
            }
            (Some(journaled), Some(content)) if journaled != to_hex(&content.sha256) => {
                let detail = "SHA-256 differs from the journaled resource.sha256 in proof.json";
                self.problem(&content.path, ProblemKind::Mismatch, detail);
            }
            _ => {}
        }
        Some(resource.clone())
    }

    /// An entry's `resource`, when it is about this record version; else
    /// `proof.json` is named: its proof is of another record or version.
    fn entry_resource<'e>(
        &mut self,
        path: &str,
        parsed: &'e Value,
        id: &str,
        version: u64,
        which: Which,
    ) -> Option<&'e Map<String, Value>> {
        let entry = which.entry();
        let Some(resource) = parsed.get("resource").and_then(Value::as_object) else {
            let detail = format!("{entry} has no resource object");
            self.problem(path, ProblemKind::Malformed, detail);
            return None;
        };
        let about = [
            (
                "record",
                resource.get("record").and_then(Value::as_str) == Some(id),
            ),
            (
                "version",
                resource.get("version").and_then(Value::as_u64) == Some(version),
            ),
        ];
        for (member, _) in about.iter().filter(|(_, same)| !same) {
            let detail = format!("{entry}'s resource.{member} is not this directory's");
            self.problem(path, ProblemKind::Mismatch, detail);
        }
        about.iter().all(|(_, same)| *same).then_some(resource)
    }

    /// The entry text must be JSON, and canonical (RFC 8785) as journaled.
    fn parse_entry(&mut self, path: &str, entry: &str, which: Which) -> Option<Value> {
        let parsed = match serde_json::from_str(entry) {
            Ok(value) => value,
            Err(e) => {
                let detail = json_fault(&e, &format!("JSON in {}", which.entry()));
                self.problem(path, ProblemKind::Malformed, detail);
                return None;
            }
        };
        if !jcs::is_canonical(entry) {
            let detail = format!("{} is not canonical JSON (RFC 8785)", which.entry());
            self.problem(path, ProblemKind::Malformed, detail);
        }
        Some(parsed)
    }

    /// `metadata.json` must be the bytes the export entry committed to, and
    /// describe this directory, this content and the storing entry.
    fn check_metadata(&mut self, dir: &str, expected: &Expected) {
        let path = format!("{dir}/{METADATA_JSON}");
        let Some(bytes) = self.read_small(&path, MAX_JSON_FILE) else {
            return;
        };
        // The bytes read here are the ones judged (not the digest taken
        // during the fixity check): what is checked is what is parsed.
        if expected
            .committed
            .is_some_and(|c| c != to_hex(&sha256(&bytes)))
        {
            let detail = "SHA-256 differs from the digest journaled at export \
                          (details.metadata_sha256 of the export entry proven in proof.json)";
            self.problem(&path, ProblemKind::Mismatch, detail);
        }
        let meta = match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(meta)) => meta,
            Ok(_) => return self.problem(&path, ProblemKind::Malformed, "not a JSON object"),
            Err(e) => return self.problem(&path, ProblemKind::Malformed, json_fault(&e, "JSON")),
        };
        for (kind, detail) in metadata_faults(&meta, expected) {
            self.problem(&path, kind, detail);
        }
    }
}

/// What a record version's `metadata.json` must say, as far as it is known.
struct Expected<'a> {
    record_id: &'a str,
    version: u64,
    /// The journaled SHA-256, else the content file's.
    sha256: Option<String>,
    /// The content file's size, when the content is the journaled one.
    size: Option<u64>,
    /// The entry's `resource.nature` and `resource.classification`.
    nature: Option<&'a Value>,
    classification: Option<&'a Value>,
    /// SHA-256 of the whole file, lowercase hex, as the export entry
    /// committed to it.
    committed: Option<&'a str>,
}

impl<'a> Expected<'a> {
    fn new(
        record_id: &'a str,
        version: u64,
        content: Option<&Content>,
        journaled: Option<&'a Journaled>,
    ) -> Self {
        let resource = journaled.and_then(|j| j.resource.as_ref());
        let content_hex = content.map(|c| to_hex(&c.sha256));
        let stored = resource
            .and_then(|r| r.get("sha256"))
            .and_then(Value::as_str);
        // The journal is the reference. The content's size is evidence only
        // when the content is what was journaled: a damaged content file is
        // named already, and must not make its metadata look wrong too.
        let authentic =
            content_hex.is_some() && stored.is_none_or(|s| Some(s) == content_hex.as_deref());
        let member = |name: &str| resource.map(|r| r.get(name).unwrap_or(&Value::Null));
        Self {
            record_id,
            version,
            sha256: stored.map(str::to_owned).or(content_hex),
            size: content.filter(|_| authentic).map(|c| c.size),
            nature: member("nature"),
            classification: member("classification"),
            committed: journaled.and_then(|j| j.committed.as_deref()),
        }
    }
}

/// What is wrong with `metadata.json`: each member named in DESIGN contract
/// 4 must be present, of its type, and agree with what is expected of it.
fn metadata_faults(meta: &Map<String, Value>, want: &Expected) -> Vec<(ProblemKind, String)> {
    let text = |name: &str| meta.get(name).and_then(Value::as_str);
    let number = |name: &str| meta.get(name).and_then(Value::as_u64);
    let agrees = |name: &str, with: Option<&Value>| with.is_none_or(|w| meta.get(name) == Some(w));
    let checks = [
        (
            "record_id",
            text("record_id") == Some(want.record_id),
            "is not this directory's record id",
        ),
        (
            "version",
            number("version") == Some(want.version),
            "is not this directory's version",
        ),
        (
            "sha256",
            text("sha256").is_some_and(|s| want.sha256.as_deref().is_none_or(|w| s == w)),
            "is not a string equal to the journaled SHA-256 of the content",
        ),
        (
            "size",
            number("size").is_some_and(|s| want.size.is_none_or(|w| s == w)),
            "is not a number equal to the content file's size",
        ),
        (
            "doc_type",
            text("doc_type").is_some() && agrees("doc_type", want.nature),
            "is not a string equal to the entry's resource.nature",
        ),
        (
            "classification",
            text("classification").is_some() && agrees("classification", want.classification),
            "is not a string equal to the entry's resource.classification",
        ),
    ];
    let fault = |(member, ok, why): (&str, bool, &str)| {
        if !meta.contains_key(member) {
            Some((ProblemKind::Malformed, format!("has no \"{member}\"")))
        } else {
            (!ok).then(|| (ProblemKind::Mismatch, format!("\"{member}\" {why}")))
        }
    };
    checks.into_iter().filter_map(fault).collect()
}

/// A SHA-256 as the journal writes it: 64 lowercase hexadecimal digits.
fn is_lowercase_digest(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_content_name(name: &str) -> bool {
    name == "content"
        || name
            .strip_prefix("content.")
            .is_some_and(|ext| !ext.is_empty())
}

/// A version directory's name: a decimal number in its one spelling.
fn parse_version(name: &str) -> Option<u64> {
    let canonical = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_digit())
        && (name == "0" || !name.starts_with('0'));
    canonical.then(|| name.parse().ok()).flatten()
}

/// A JSON error, said without quoting the document: syntax errors and
/// missing members are named, a wrong type only located.
fn json_fault(e: &serde_json::Error, what: &str) -> String {
    use serde_json::error::Category;
    let message = e.to_string();
    match e.classify() {
        Category::Data if !message.starts_with("missing field") => format!(
            "not {what}: a member has the wrong type or value (line {}, column {})",
            e.line(),
            e.column()
        ),
        _ => format!("not {what}: {message}"),
    }
}

/// SHA-256 and length of everything `reader` yields, read in `buffer`-sized
/// pieces so that memory stays bounded whatever the file's size.
fn hash_stream(reader: &mut dyn Read, buffer: &mut [u8]) -> io::Result<(Hash, u64)> {
    let mut hasher = Sha256::new();
    let mut len = 0u64;
    loop {
        let n = match reader.read(buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..n]);
        len += n as u64;
    }
    Ok((hasher.finalize().into(), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_percent_encode_cr_lf_and_percent_only() {
        let path = "data/a%b\r\nc d\t*";
        assert_eq!(encode_manifest_path(path), "data/a%25b%0D%0Ac d\t*");
        assert_eq!(
            decode_manifest_path(&encode_manifest_path(path)).unwrap(),
            path
        );
        assert_eq!(
            decode_manifest_path("data/%0a%0d%25").unwrap(),
            "data/\n\r%"
        );
        for bad in ["data/%41", "data/%", "data/%2", "data/%zz", "data/%\u{e9}1"] {
            assert!(decode_manifest_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lines_end_with_lf_cr_or_crlf() {
        assert_eq!(
            split_lines("a\nb\r\nc\rd\n"),
            (vec!["a", "b", "c", "d"], true)
        );
        assert_eq!(split_lines("a\n\nb"), (vec!["a", "", "b"], false));
        assert_eq!(split_lines(""), (vec![], true));
    }

    #[test]
    fn manifest_lines_take_any_spaces_and_tabs_between_checksum_and_path() {
        let hex = "AB".repeat(32);
        for line in [
            format!("{hex}  data/x"),
            format!("{hex} \tdata/x"),
            format!("{hex}\tdata/x"),
        ] {
            let (path, digest) = parse_manifest_line(&line, Lists::Payload).unwrap();
            assert_eq!((path.as_str(), digest), ("data/x", [0xab; 32]));
        }
        // sha256sum's binary marker is not RFC 8493: "*data/x" is not under data/.
        assert!(parse_manifest_line(&format!("{hex} *data/x"), Lists::Payload).is_err());
        for bad in [
            format!("{hex}data/x"),
            format!("{hex}  "),
            format!("{}  data/x", &hex[1..]),
            format!("{hex}  data/../x"),
            format!("{hex}  /data/x"),
            format!("{hex}  data\\x"),
            format!("{hex}  bag-info.txt"),
        ] {
            assert!(parse_manifest_line(&bad, Lists::Payload).is_err(), "{bad}");
        }
        assert!(parse_manifest_line(&format!("{hex}  data/x"), Lists::Tags).is_err());
        assert!(parse_manifest_line(&format!("{hex}  {TAGMANIFEST_TXT}"), Lists::Tags).is_err());
        assert!(parse_manifest_line(&format!("{hex}  bag-info.txt"), Lists::Tags).is_ok());
    }

    #[test]
    fn bag_info_unfolds_continuation_lines() {
        let info = parse_bag_info("A: 1\nLong-Label: x\n  y\r\nB:\tz\r").unwrap();
        let want = [("A", "1"), ("Long-Label", "x\ny"), ("B", "z")];
        let got: Vec<(&str, &str)> = info.iter().map(|(l, v)| (l.as_str(), v.as_str())).collect();
        assert_eq!(got, want);
        for bad in [
            "A:1\n",
            " A: 1\n",
            "A: 1\n\nB: 2\n",
            "A 1\n",
            ": 1\n",
            "A: 1",
        ] {
            assert!(parse_bag_info(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn declaration_is_version_1_0_in_utf_8() {
        assert!(check_declaration(BAG_DECLARATION.as_bytes()).is_ok());
        assert!(
            check_declaration(b"BagIt-Version: 1.0\r\nTag-File-Character-Encoding: utf-8\r\n")
                .is_ok()
        );
        for bad in [
            &b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n"[..],
            b"BagIt-Version: 1.0\nTag-File-Character-Encoding: ISO-8859-1\n",
            b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8",
            b"Tag-File-Character-Encoding: UTF-8\nBagIt-Version: 1.0\n",
            b"\xEF\xBB\xBFBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
            b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\nExtra: 1\n",
        ] {
            assert!(
                check_declaration(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn oxum_and_versions_have_one_spelling() {
        assert_eq!(parse_oxum("1024.3"), Some((1024, 3)));
        for bad in [
            "1024",
            "1024.",
            ".3",
            "10 24.3",
            "-1.3",
            "1.3.4",
            "99999999999999999999.1",
        ] {
            assert_eq!(parse_oxum(bad), None, "{bad}");
        }
        assert_eq!(parse_version("12"), Some(12));
        for bad in ["", "012", "+1", "1a", "99999999999999999999"] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
    }

    #[test]
    fn committed_digests_are_lowercase_hex_only() {
        assert!(is_lowercase_digest(&"0a".repeat(32)));
        for bad in [
            "0A".repeat(32),
            "0a".repeat(31),
            format!("{}g", "0".repeat(63)),
        ] {
            assert!(!is_lowercase_digest(&bad), "{bad}");
        }
    }

    #[test]
    fn the_export_member_is_read_under_its_published_name() {
        let member = |doc: Value| serde_json::from_value::<ExportMember>(doc).unwrap().export;
        assert!(member(serde_json::json!({ "other": 1 })).is_none());
        let proof = serde_json::json!({
            "origin": "o", "index": 0, "size": 1, "entry": "{}", "leaf_hash": "",
            "inclusion": [], "checkpoint": "",
        });
        assert!(member(serde_json::json!({ EXPORT_PROOF_MEMBER: proof })).is_some());
    }

    #[test]
    fn problems_print_one_line_per_file() {
        let p = Problem {
            path: "data/records/r/1/con\ntent".into(),
            kind: ProblemKind::Altered,
            detail: "SHA-256 differs from manifest-sha256.txt".into(),
        };
        assert_eq!(
            p.to_string(),
            "data/records/r/1/con%0Atent: altered (SHA-256 differs from manifest-sha256.txt)"
        );
    }
}
