//! PDF (ISO 32000): header, `%%EOF`, `startxref`, every cross-reference section
//! and the objects its entries point at, the trailer's /Root and the catalog;
//! PDF/A level from the XMP metadata (a claim only). Content streams, fonts and
//! page trees are not interpreted.

mod lex;
mod xmp;
mod xref;

use crate::bytes::rfind;
use crate::error::{corrupt, truncated};
use crate::{Format, FormatError, Identification};
use lex::{is_white, LexError, Lexer, Obj};

pub(crate) const F: Format = Format::Pdf;

pub(crate) fn validate(b: &[u8]) -> Result<Identification, FormatError> {
    let (version, puid, name) = header(b)?;
    let eof = eof_marker(b)?;
    let startxref = startxref(b, eof)?;
    let summary = xref::walk(b, startxref)?;
    if let Some(at) = summary.catalog_at {
        catalog(b, at)?;
    }
    let mut id = Identification::new(F, puid, "application/pdf", name);
    id.version = Some(version.to_string());
    id.notes = summary.notes;
    id.notes.insert(
        0,
        format!("{} cross-reference section(s)", summary.sections),
    );
    if summary.encrypted {
        id.notes.push("encrypted (/Encrypt in the trailer): the content cannot be read without the key, and PDF/A forbids encryption".into());
    }
    if let Some(claim) = xmp::pdfa_claim(b, &mut id.notes) {
        id.notes.push(format!(
            "{} is claimed in the XMP metadata; conformance to ISO 19005 was not verified",
            claim.label
        ));
        id.pronom = claim.puid;
        id.name = "Acrobat PDF/A - Portable Document Format";
        id.pdfa = Some(claim.label);
    }
    id.notes
        .push("content streams, fonts and the page tree are not interpreted".into());
    Ok(id)
}

/// `%PDF-1.0` … `%PDF-1.7` or `%PDF-2.0`, followed by white space.
fn header(b: &[u8]) -> Result<(&'static str, &'static str, &'static str), FormatError> {
    const VERSIONS: [(&[u8], &str, &str, &str); 9] = [
        (
            b"1.0",
            "1.0",
            "fmt/14",
            "Acrobat PDF 1.0 - Portable Document Format",
        ),
        (
            b"1.1",
            "1.1",
            "fmt/15",
            "Acrobat PDF 1.1 - Portable Document Format",
        ),
        (
            b"1.2",
            "1.2",
            "fmt/16",
            "Acrobat PDF 1.2 - Portable Document Format",
        ),
        (
            b"1.3",
            "1.3",
            "fmt/17",
            "Acrobat PDF 1.3 - Portable Document Format",
        ),
        (
            b"1.4",
            "1.4",
            "fmt/18",
            "Acrobat PDF 1.4 - Portable Document Format",
        ),
        (
            b"1.5",
            "1.5",
            "fmt/19",
            "Acrobat PDF 1.5 - Portable Document Format",
        ),
        (
            b"1.6",
            "1.6",
            "fmt/20",
            "Acrobat PDF 1.6 - Portable Document Format",
        ),
        (
            b"1.7",
            "1.7",
            "fmt/276",
            "Acrobat PDF 1.7 - Portable Document Format",
        ),
        (
            b"2.0",
            "2.0",
            "fmt/1129",
            "PDF 2.0 - Portable Document Format",
        ),
    ];
    let v = b.get(5..8).unwrap_or_default();
    let terminated = b.get(8).is_some_and(|&c| is_white(c));
    VERSIONS
        .iter()
        .find(|(raw, ..)| *raw == v && terminated)
        .map(|&(_, version, puid, name)| (version, puid, name))
        .ok_or_else(|| {
            corrupt(
                F,
                0,
                format!(
                    "header '%PDF-{}' does not name a known PDF version (1.0–1.7, 2.0)",
                    String::from_utf8_lossy(v)
                ),
            )
        })
}

/// Offset of the final `%%EOF` (only white space may follow it).
fn eof_marker(b: &[u8]) -> Result<usize, FormatError> {
    let end = b.iter().rposition(|&c| !is_white(c)).map_or(0, |p| p + 1);
    if !b[..end].ends_with(b"%%EOF") {
        return Err(truncated(
            F,
            "the file does not end with '%%EOF' (only white space may follow it)",
        ));
    }
    Ok(end - 5)
}

/// The offset given by the last `startxref` before `%%EOF`.
fn startxref(b: &[u8], eof: usize) -> Result<usize, FormatError> {
    let head = &b[..eof];
    let at = rfind(head, b"startxref", eof.saturating_sub(1024)).ok_or_else(|| {
        corrupt(
            F,
            eof,
            "no 'startxref' in the last 1024 bytes before '%%EOF'",
        )
    })?;
    let mut lx = Lexer::new(head, at + 9);
    lx.skip_ws();
    let off = lx.uint();
    lx.skip_ws();
    match off.and_then(|o| usize::try_from(o).ok()) {
        Some(o) if lx.pos == eof && o < eof => Ok(o),
        Some(o) if lx.pos == eof => Err(truncated(
            F,
            format!("startxref offset {o} lies beyond the end of the document ({eof})"),
        )),
        _ => Err(corrupt(
            F,
            at,
            "'startxref' must be followed by one offset and then '%%EOF'",
        )),
    }
}

/// The catalog must be a dictionary with /Type /Catalog and /Pages.
fn catalog(b: &[u8], at: usize) -> Result<(), FormatError> {
    let mut lx = Lexer::new(b, at);
    lx.object_header();
    let dict = match lx.object() {
        Ok(Obj::Dict(d)) => d,
        Ok(_) => {
            return Err(corrupt(
                F,
                at,
                "the document catalog (/Root) is not a dictionary",
            ))
        }
        Err(e) => return Err(lex_error(&e, "document catalog")),
    };
    if dict.name(b"Type") != Some(b"Catalog") {
        return Err(corrupt(
            F,
            at,
            "the document catalog (/Root) does not have /Type /Catalog",
        ));
    }
    if dict.get(b"Pages").is_none() {
        return Err(corrupt(F, at, "the document catalog has no /Pages"));
    }
    Ok(())
}

pub(crate) fn lex_error(e: &LexError, what: &str) -> FormatError {
    if e.eof {
        return truncated(F, format!("the file ends inside the {what}"));
    }
    corrupt(F, e.at, format!("{what}: {}", e.msg))
}
