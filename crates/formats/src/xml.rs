//! XML 1.0 in UTF-8: well-formedness (roxmltree), no external entities.

use roxmltree::{Document, Error as XmlError, ParsingOptions};

use crate::bytes::find;
use crate::error::{corrupt, limit, truncated, unsupported};
use crate::identify::UTF8_BOM;
use crate::limits::MAX_XML_NODES;
use crate::{Format, FormatError, Identification};

const F: Format = Format::Xml;

/// Checks UTF-8, the XML declaration, and well-formedness of the whole document.
///
/// DTDs are parsed (internal subsets may declare internal entities, which
/// roxmltree expands with loop and size checks) but never fetched; a
/// declaration of an external entity is refused.
pub(crate) fn validate(b: &[u8]) -> Result<Identification, FormatError> {
    let (version, notes) = declaration(b.strip_prefix(UTF8_BOM).unwrap_or(b))?;
    let text = crate::text::utf8(b, F)?;
    let body = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let refuse = |_: Option<&str>, uri: &str| -> Result<Option<&str>, String> {
        Err(format!("external entity \"{uri}\" is not allowed"))
    };
    let opts = ParsingOptions {
        allow_dtd: true,
        nodes_limit: MAX_XML_NODES,
        entity_resolver: Some(&refuse),
    };
    let doc = Document::parse_with_options(body, opts).map_err(|e| parse_error(body, b, &e))?;
    let mut id = Identification::new(
        F,
        "fmt/101",
        "application/xml",
        "Extensible Markup Language",
    );
    id.version = Some(version);
    id.notes = notes;
    let root = doc.root_element().tag_name();
    id.notes.push(match root.namespace() {
        Some(ns) => format!("root element {{{ns}}}{}", root.name()),
        None => format!("root element {}", root.name()),
    });
    if let Some(note) = external_dtd(body) {
        id.notes.push(note);
    }
    if b.starts_with(UTF8_BOM) {
        id.notes.push("starts with a UTF-8 byte order mark".into());
    }
    Ok(id)
}

/// Reads `version` and `encoding` from the XML declaration, if any, before the
/// UTF-8 check, so a file in another declared encoding is told so.
fn declaration(body: &[u8]) -> Result<(String, Vec<String>), FormatError> {
    let mut notes = Vec::new();
    let has_decl =
        body.starts_with(b"<?xml") && body.get(5).is_some_and(|c| c.is_ascii_whitespace());
    if !has_decl {
        notes.push("no XML declaration (XML 1.0, UTF-8 assumed as the specification says)".into());
        return Ok(("1.0".into(), notes));
    }
    let end = find(body, b"?>", 0).unwrap_or(body.len()).min(1024);
    let decl = String::from_utf8_lossy(&body[..end]);
    let version = attr(&decl, "version").unwrap_or("1.0");
    if version != "1.0" {
        return Err(unsupported(
            F,
            format!("XML version {version}: only XML 1.0 is validated"),
        ));
    }
    if let Some(enc) = attr(&decl, "encoding") {
        let ascii_alias = [
            "US-ASCII",
            "ASCII",
            "ISO-8859-1",
            "ISO-8859-15",
            "windows-1252",
        ]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(enc));
        if ascii_alias && body.is_ascii() {
            notes.push(format!(
                "declares encoding {enc}; the content is pure ASCII, so it is also valid UTF-8"
            ));
        } else if !enc.eq_ignore_ascii_case("UTF-8") {
            return Err(unsupported(
                F,
                format!("declared encoding {enc}: only UTF-8 XML is accepted; convert the file to UTF-8 and fix the declaration"),
            ));
        }
    }
    Ok((version.to_string(), notes))
}

/// The value of a pseudo-attribute in the XML declaration.
fn attr<'a>(decl: &'a str, name: &str) -> Option<&'a str> {
    let at = decl.find(name)? + name.len();
    let rest = decl[at..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    Some(&rest[..rest.find(quote)?])
}

fn external_dtd(body: &str) -> Option<String> {
    let start = find(body.as_bytes(), b"<!DOCTYPE", 0)?;
    let head = &body[start..];
    let end = head.find(['[', '>']).unwrap_or(head.len());
    let decl = &head[..end];
    (decl.contains("SYSTEM") || decl.contains("PUBLIC")).then(|| {
        "DOCTYPE names an external DTD; it was not fetched and the document was not validated against it (well-formedness only)".to_string()
    })
}

fn parse_error(body: &str, raw: &[u8], e: &XmlError) -> FormatError {
    let detail = e.to_string();
    match e {
        XmlError::UnexpectedEndOfStream | XmlError::UnclosedRootNode => truncated(F, detail),
        XmlError::NodesLimitReached => limit(F, format!("more than {MAX_XML_NODES} nodes")),
        XmlError::EntityReferenceLoop(_) => limit(
            F,
            format!("{detail} (recursive or exponentially expanding entities are refused)"),
        ),
        XmlError::EntityResolver(..) => FormatError::Forbidden { format: F, detail },
        XmlError::DtdDetected | XmlError::NoRootNode => crate::error::corrupt_at(F, detail),
        _ => {
            let bom = raw.len() - body.len();
            let pos = e.pos();
            corrupt(F, bom + offset_of(body, pos.row, pos.col), detail)
        }
    }
}

/// Byte offset of a 1-based row and (character) column.
fn offset_of(s: &str, row: u32, col: u32) -> usize {
    let line_start: usize = s
        .split_inclusive('\n')
        .take(row.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let line = &s[line_start.min(s.len())..];
    let in_line = line
        .char_indices()
        .nth(col.saturating_sub(1) as usize)
        .map_or(line.len(), |(i, _)| i);
    line_start + in_line
}
