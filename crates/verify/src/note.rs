//! C2SP signed-note (v1.0.0) with Ed25519 signatures (type 0x01).
//!
//! A signed note is a text ending in a newline, a blank line, then signature
//! lines `— <key name> <base64(key id || signature)>`. The key id is
//! `SHA-256(name || 0x0A || 0x01 || public key)[:4]`. A verifier key is
//! written `<name>+<hex key id>+<base64(0x01 || public key)>`.
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ed25519_dalek::{Signature, VerifyingKey};

use crate::hash::sha256;
use crate::Error;

/// Signature type byte of Ed25519 in signed notes.
pub const ED25519_TYPE: u8 = 0x01;
/// Largest note this crate accepts (a checkpoint is a few hundred bytes).
pub const MAX_NOTE_LEN: usize = 1 << 20;
/// Most signature lines accepted (the spec asks for at least 16).
pub const MAX_SIGNATURES: usize = 100;
const DASH: &str = "\u{2014} ";

/// Whether `name` can be a key name: non-empty, no Unicode space, no `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// `SHA-256(name || 0x0A || 0x01 || public key)[:4]`, big-endian.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut msg = Vec::with_capacity(name.len() + 34);
    msg.extend_from_slice(name.as_bytes());
    msg.push(b'\n');
    msg.push(ED25519_TYPE);
    msg.extend_from_slice(public_key);
    let h = sha256(&msg);
    u32::from_be_bytes([h[0], h[1], h[2], h[3]])
}

/// A trusted Ed25519 note verifier key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl VerifierKey {
    /// Builds the verifier key of a name and an Ed25519 public key.
    pub fn new(name: &str, public_key: &[u8; 32]) -> Result<Self, Error> {
        if !is_valid_key_name(name) {
            return Err(Error::malformed("verifier key", "invalid key name"));
        }
        let key = VerifyingKey::from_bytes(public_key)
            .map_err(|_| Error::malformed("verifier key", "not an Ed25519 public key"))?;
        Ok(Self {
            name: name.to_owned(),
            id: key_id(name, public_key),
            key,
        })
    }

    /// Parses `<name>+<hex key id>+<base64(0x01 || key)>`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = text.trim_end_matches('\n');
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::malformed("verifier key", "expected name+id+key"));
        };
        if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::malformed(
                "verifier key",
                "key id is not 8 hex digits",
            ));
        }
        let id = u32::from_str_radix(id_hex, 16)
            .map_err(|_| Error::malformed("verifier key", "bad key id"))?;
        let raw = B64
            .decode(key_b64)
            .map_err(|_| Error::malformed("verifier key", "key is not base64"))?;
        let (&alg, key) = raw
            .split_first()
            .ok_or_else(|| Error::malformed("verifier key", "empty key"))?;
        if alg != ED25519_TYPE {
            return Err(Error::malformed(
                "verifier key",
                format!("signature type 0x{alg:02x} is not Ed25519 (0x01)"),
            ));
        }
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| Error::malformed("verifier key", "Ed25519 key is not 32 bytes"))?;
        let vk = Self::new(name, &key)?;
        if vk.id != id {
            return Err(Error::malformed(
                "verifier key",
                "key id does not match the name and key",
            ));
        }
        Ok(vk)
    }

    /// The key name (for a log: its origin).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The 32-bit key id.
    pub fn id(&self) -> u32 {
        self.id
    }
    /// The raw Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Checks `signature` over `msg` with this key.
    pub fn verify_raw(&self, msg: &[u8], signature: &[u8; 64]) -> bool {
        self.key
            .verify_strict(msg, &Signature::from_bytes(signature))
            .is_ok()
    }

    /// Verifies a signed note and returns its text (with the final newline).
    /// Unknown signatures are ignored; a signature by this key (same name and
    /// id) must be present and must verify.
    pub fn verify_note<'a>(&self, note: &'a [u8]) -> Result<&'a str, Error> {
        let parsed = parse_note(note)?;
        let mut found = false;
        for sig in &parsed.signatures {
            if sig.name != self.name || sig.id != self.id {
                continue;
            }
            if found {
                // As Go's note.Open: one key signs a note once.
                return Err(Error::malformed(
                    "signed note",
                    "two signatures by the same key",
                ));
            }
            found = true;
            let Ok(raw) = <[u8; 64]>::try_from(sig.signature.as_slice()) else {
                return Err(Error::BadSignature {
                    key_name: self.name.clone(),
                });
            };
            if !self.verify_raw(parsed.text.as_bytes(), &raw) {
                return Err(Error::BadSignature {
                    key_name: self.name.clone(),
                });
            }
        }
        if !found {
            return Err(Error::NoSignatureByKey {
                key_name: self.name.clone(),
            });
        }
        Ok(parsed.text)
    }
}

impl std::fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut raw = vec![ED25519_TYPE];
        raw.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.id, B64.encode(raw))
    }
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key id (first four bytes of the decoded signature).
    pub id: u32,
    /// The signature bytes after the key id.
    pub signature: Vec<u8>,
}

/// A note split into its text and its signature lines (not yet verified).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedNote<'a> {
    /// The signed text, ending with a newline.
    pub text: &'a str,
    /// The signature lines in order.
    pub signatures: Vec<NoteSignature>,
}

/// Splits a note at its last blank line and parses the signature lines.
pub fn parse_note(note: &[u8]) -> Result<ParsedNote<'_>, Error> {
    if note.len() > MAX_NOTE_LEN {
        return Err(Error::malformed("signed note", "larger than 1 MiB"));
    }
    let s = std::str::from_utf8(note)
        .map_err(|_| Error::malformed("signed note", "not valid UTF-8"))?;
    if s.chars().any(|c| c < ' ' && c != '\n') {
        return Err(Error::malformed(
            "signed note",
            "contains a control character",
        ));
    }
    if !s.ends_with('\n') {
        return Err(Error::malformed(
            "signed note",
            "does not end with a newline",
        ));
    }
    let split = s
        .rfind("\n\n")
        .ok_or_else(|| Error::malformed("signed note", "no blank line before the signatures"))?;
    let text = &s[..split + 1];
    let mut signatures = Vec::new();
    for line in s[split + 2..].split_terminator('\n') {
        if signatures.len() == MAX_SIGNATURES {
            return Err(Error::malformed("signed note", "too many signatures"));
        }
        signatures.push(parse_signature_line(line)?);
    }
    if signatures.is_empty() {
        return Err(Error::malformed("signed note", "no signature lines"));
    }
    Ok(ParsedNote { text, signatures })
}

fn parse_signature_line(line: &str) -> Result<NoteSignature, Error> {
    let rest = line.strip_prefix(DASH).ok_or_else(|| {
        Error::malformed("signed note", "signature line does not start with '— '")
    })?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or_else(|| Error::malformed("signed note", "signature line has no signature"))?;
    if !is_valid_key_name(name) {
        return Err(Error::malformed(
            "signed note",
            "invalid key name in signature line",
        ));
    }
    let raw = B64
        .decode(b64)
        .map_err(|_| Error::malformed("signed note", "signature is not base64"))?;
    if raw.len() < 5 {
        return Err(Error::malformed("signed note", "signature too short"));
    }
    Ok(NoteSignature {
        name: name.to_owned(),
        id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
        signature: raw[4..].to_vec(),
    })
}

/// Formats the signature line for `text` signed by key `name`/`id`.
pub fn signature_line(name: &str, id: u32, signature: &[u8; 64]) -> String {
    let mut raw = id.to_be_bytes().to_vec();
    raw.extend_from_slice(signature);
    format!("{DASH}{name} {}\n", B64.encode(raw))
}

/// Assembles a signed note from its text and one signature.
pub fn assemble(text: &str, name: &str, id: u32, signature: &[u8; 64]) -> String {
    format!("{text}\n{}", signature_line(name, id, signature))
}
