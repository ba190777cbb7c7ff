//! PDF/A identification from XMP metadata packets (ISO 19005: `pdfaid:part`
//! and `pdfaid:conformance`, as attributes or elements). A claim, not a proof.

use roxmltree::{Document, Node};

use crate::bytes::find;

const PDFAID: &str = "http://www.aiim.org/pdfa/ns/id/";

/// A recognised claim: label such as `PDF/A-2b` and its PRONOM id.
pub(crate) struct Claim {
    pub(crate) label: String,
    pub(crate) puid: &'static str,
}

/// Scans every uncompressed XMP packet for a PDF/A claim; the first one found wins.
pub(crate) fn pdfa_claim(b: &[u8], notes: &mut Vec<String>) -> Option<Claim> {
    let mut pos = 0;
    while let Some(start) = find(b, b"<x:xmpmeta", pos) {
        let Some(end) = find(b, b"</x:xmpmeta>", start) else {
            notes.push(format!("XMP packet at offset {start} is not terminated"));
            return None;
        };
        pos = end + b"</x:xmpmeta>".len();
        let packet = &b[start..pos];
        let Some(text) = std::str::from_utf8(packet).ok() else {
            notes.push(format!("XMP packet at offset {start} is not UTF-8"));
            continue;
        };
        let doc = match Document::parse(text) {
            Ok(d) => d,
            Err(e) => {
                notes.push(format!(
                    "XMP packet at offset {start} is not well-formed XML ({e})"
                ));
                continue;
            }
        };
        let (part, conformance) = (value(&doc, "part"), value(&doc, "conformance"));
        match part.as_deref() {
            None => continue,
            Some(p) => match classify(p, conformance.as_deref()) {
                Some(claim) => return Some(claim),
                None => notes.push(format!("XMP at offset {start} declares an unrecognised PDF/A level: part {p}, conformance {}", conformance.as_deref().unwrap_or("(none)"))),
            },
        }
    }
    None
}

/// The value of `pdfaid:<local>`, as an attribute or as an element's text.
fn value(doc: &Document<'_>, local: &str) -> Option<String> {
    let is =
        |n: &Node<'_, '_>| n.tag_name().namespace() == Some(PDFAID) && n.tag_name().name() == local;
    doc.descendants().filter(Node::is_element).find_map(|n| {
        if is(&n) {
            return n.text().map(|t| t.trim().to_string());
        }
        n.attributes()
            .find(|a| a.namespace() == Some(PDFAID) && a.name() == local)
            .map(|a| a.value().trim().to_string())
    })
}

fn classify(part: &str, conformance: Option<&str>) -> Option<Claim> {
    let conf = conformance.map(str::to_ascii_lowercase);
    let puid = match (part, conf.as_deref()) {
        ("1", Some("a")) => "fmt/95",
        ("1", Some("b")) => "fmt/354",
        ("2", Some("a")) => "fmt/476",
        ("2", Some("b")) => "fmt/477",
        ("2", Some("u")) => "fmt/478",
        ("3", Some("a")) => "fmt/479",
        ("3", Some("b")) => "fmt/480",
        ("3", Some("u")) => "fmt/481",
        ("4", None) => "fmt/1910",
        ("4", Some("e")) => "fmt/1911",
        ("4", Some("f")) => "fmt/1912",
        _ => return None,
    };
    Some(Claim {
        label: format!("PDF/A-{part}{}", conf.unwrap_or_default()),
        puid,
    })
}
