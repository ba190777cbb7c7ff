//! Identification by signature. Never by file name: the vault never sees one here.
//!
//! Order (DESIGN "Formats (AR-16)"): binary signatures at offset 0 first, then,
//! for content that looks like text, the first non-blank character decides:
//! `<` is XML, `{` or `[` is JSON, anything else is plain text.

use crate::limits::TEXT_SNIFF_LEN;
use crate::Format;

/// What the signature says, with the sub-kinds the validators need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Pdf,
    Tiff,
    BigTiff,
    Png,
    Jpeg,
    Jp2,
    J2kCodestream,
    Xml,
    Json,
    Text,
    /// UTF-16 with a byte order mark; `true` if its first character is `<`.
    Utf16 {
        xml: bool,
    },
}

pub(crate) const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const PNG_SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
pub(crate) const JP2_SIG: &[u8] = b"\x00\x00\x00\x0CjP  \r\n\x87\n";

/// Identify by signature only; no validation.
///
/// For the text formats the "signature" is a look at the first
/// [`TEXT_SNIFF_LEN`] bytes: no C0 control characters other than TAB, LF, FF
/// and CR, then the first non-blank character (`<` XML, `{`/`[` JSON, else
/// text). A file identified here may still fail [`crate::identify_and_validate`].
/// Returns `None` for empty input, unknown signatures and UTF-16 text.
pub fn identify(bytes: &[u8]) -> Option<Format> {
    Some(match sniff(bytes)? {
        Kind::Pdf => Format::Pdf,
        Kind::Tiff | Kind::BigTiff => Format::Tiff,
        Kind::Png => Format::Png,
        Kind::Jpeg => Format::Jpeg,
        Kind::Jp2 | Kind::J2kCodestream => Format::Jpeg2000,
        Kind::Xml => Format::Xml,
        Kind::Json => Format::Json,
        Kind::Text => Format::Utf8Text,
        Kind::Utf16 { .. } => return None,
    })
}

pub(crate) fn sniff(b: &[u8]) -> Option<Kind> {
    if b.is_empty() {
        return None;
    }
    binary(b).or_else(|| text(b))
}

fn binary(b: &[u8]) -> Option<Kind> {
    let kind = if b.starts_with(b"%PDF-") {
        Kind::Pdf
    } else if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        Kind::Tiff
    } else if b.starts_with(b"II+\0") || b.starts_with(b"MM\0+") {
        Kind::BigTiff
    } else if b.starts_with(PNG_SIG) {
        Kind::Png
    } else if b.starts_with(b"\xFF\xD8\xFF") {
        Kind::Jpeg
    } else if b.starts_with(JP2_SIG) {
        Kind::Jp2
    } else if b.starts_with(b"\xFF\x4F\xFF\x51") {
        Kind::J2kCodestream
    } else {
        return None;
    };
    Some(kind)
}

fn text(b: &[u8]) -> Option<Kind> {
    if let Some(kind) = utf16(b) {
        return Some(kind);
    }
    let head = &b[..b.len().min(TEXT_SNIFF_LEN)];
    if head.iter().any(|&c| is_forbidden_control(c)) {
        return None;
    }
    let body = b.strip_prefix(UTF8_BOM).unwrap_or(b);
    let first = body
        .iter()
        .find(|c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'));
    Some(match first {
        Some(b'<') => Kind::Xml,
        Some(b'{') | Some(b'[') => Kind::Json,
        _ => Kind::Text,
    })
}

fn utf16(b: &[u8]) -> Option<Kind> {
    let (le, rest) = if let Some(r) = b.strip_prefix(b"\xFF\xFE") {
        (true, r)
    } else if let Some(r) = b.strip_prefix(b"\xFE\xFF") {
        (false, r)
    } else {
        return None;
    };
    let mut units = rest
        .chunks_exact(2)
        .map(|u| if le { [u[0], u[1]] } else { [u[1], u[0]] });
    let first = units.find(|u| !matches!(u, [b' ' | b'\t' | b'\r' | b'\n', 0]));
    Some(Kind::Utf16 {
        xml: first == Some([b'<', 0]),
    })
}

/// C0 controls refused in text: all but TAB, LF, FF and CR.
pub(crate) fn is_forbidden_control(c: u8) -> bool {
    c < 0x20 && !matches!(c, b'\t' | b'\n' | 0x0C | b'\r')
}
