//! Identification by signature and the order of the text rules
//! (binary signatures, then `<` XML, `{`/`[` JSON, else text).

use probant_formats::{identify, identify_and_validate as validate, Format, FormatError};

#[test]
fn empty_and_unknown() {
    assert_eq!(validate(b""), Err(FormatError::Empty));
    assert_eq!(identify(b""), None);
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00";
    assert_eq!(validate(zip), Err(FormatError::Unknown));
    assert_eq!(identify(zip), None);
    assert_eq!(identify(b"\x00\x01\x02"), None);
}

#[test]
fn binary_signatures() {
    let cases: [(&[u8], Format); 8] = [
        (b"%PDF-1.4\n", Format::Pdf),
        (b"II*\0\x08\0\0\0", Format::Tiff),
        (b"MM\0*\0\0\0\x08", Format::Tiff),
        (b"II+\0", Format::Tiff),
        (b"\x89PNG\r\n\x1a\n", Format::Png),
        (b"\xFF\xD8\xFF\xE0", Format::Jpeg),
        (b"\0\0\0\x0CjP  \r\n\x87\n", Format::Jpeg2000),
        (b"\xFF\x4F\xFF\x51", Format::Jpeg2000),
    ];
    for (bytes, format) in cases {
        assert_eq!(identify(bytes), Some(format), "{bytes:?}");
        assert_eq!(
            validate(bytes).unwrap_err().format(),
            Some(format),
            "{bytes:?}"
        );
    }
}

#[test]
fn text_rules_in_order() {
    assert_eq!(
        identify(b"  \r\n<?xml version=\"1.0\"?><a/>"),
        Some(Format::Xml)
    );
    assert_eq!(identify(b"\xEF\xBB\xBF<a/>"), Some(Format::Xml));
    assert_eq!(identify(b"\n[1, 2]"), Some(Format::Json));
    assert_eq!(identify(b"{}"), Some(Format::Json));
    assert_eq!(identify(b"42"), Some(Format::Utf8Text));
    assert_eq!(identify(b"Bonjour"), Some(Format::Utf8Text));
    assert_eq!(validate(b"\xEF\xBB\xBF<a/>").unwrap().format, Format::Xml);
    assert_eq!(
        validate(b"\xEF\xBB\xBF{\"a\": 1}").unwrap().format,
        Format::Json
    );
    // A bare JSON scalar is recorded as text, not JSON.
    assert_eq!(validate(b"42").unwrap().format, Format::Utf8Text);
    assert_eq!(validate(b"true\n").unwrap().format, Format::Utf8Text);
}

/// Content that starts like XML or JSON must be valid XML or JSON: a broken
/// structured document is reported, never silently downgraded to plain text.
#[test]
fn broken_structured_text_is_not_downgraded_to_text() {
    let e = validate(b"{draft} notes for the file").unwrap_err();
    assert_eq!(e.format(), Some(Format::Json));
    assert!(e.to_string().contains("line 1, column"), "{e}");
    let e = validate(b"<3 from the case handler").unwrap_err();
    assert_eq!(e.format(), Some(Format::Xml));
}

#[test]
fn utf16_is_unsupported() {
    let xml: Vec<u8> = "\u{FEFF}<a/>"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert!(matches!(
        validate(&xml),
        Err(FormatError::Unsupported {
            format: Format::Xml,
            ..
        })
    ));
    assert_eq!(identify(&xml), None);
    let text: Vec<u8> = "\u{FEFF}Bonjour"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    assert!(matches!(
        validate(&text),
        Err(FormatError::Unsupported {
            format: Format::Utf8Text,
            ..
        })
    ));
}

/// A PDF signature is only recognised at offset 0 (PDF/A requires it there).
#[test]
fn signatures_only_at_offset_zero() {
    assert_eq!(identify(b" %PDF-1.4\n"), Some(Format::Utf8Text));
    assert_eq!(identify(b"x\x89PNG\r\n\x1a\n"), None);
}

#[test]
fn error_accessors() {
    let e = validate(b"[1,]").unwrap_err();
    assert_eq!(e.format(), Some(Format::Json));
    assert_eq!(e.offset(), Some(3));
    assert_eq!(FormatError::Unknown.format(), None);
    assert!(FormatError::Empty.to_string().contains("empty"));
}
