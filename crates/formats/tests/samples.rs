//! The committed samples are exactly what the generator produces, and each
//! one is identified and validated as expected (AR-16).

mod support;

use probant_formats::{identify, identify_and_validate, Format};
use support::{gen, read};

#[test]
fn committed_files_match_the_generator() {
    for (path, bytes) in gen::all() {
        assert!(read(path) == bytes, "{path} differs from the generator output; run `cargo run -p probant-formats --example make_samples`");
    }
}

/// (path, format, PRONOM id, version, PDF/A claim)
type Expected = (
    &'static str,
    Format,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

const EXPECTED: [Expected; 13] = [
    (
        "samples/scan-page-001.tiff",
        Format::Tiff,
        "fmt/353",
        Some("6.0"),
        None,
    ),
    (
        "samples/attestation.pdf",
        Format::Pdf,
        "fmt/477",
        Some("1.7"),
        Some("PDF/A-2b"),
    ),
    (
        "samples/message.xml",
        Format::Xml,
        "fmt/101",
        Some("1.0"),
        None,
    ),
    (
        "crates/formats/tests/data/tiny.png",
        Format::Png,
        "fmt/13",
        Some("1.2"),
        None,
    ),
    (
        "crates/formats/tests/data/tiny-interlaced.png",
        Format::Png,
        "fmt/13",
        Some("1.2"),
        None,
    ),
    (
        "crates/formats/tests/data/tiny-jfif.jpg",
        Format::Jpeg,
        "fmt/43",
        Some("1.01"),
        None,
    ),
    (
        "crates/formats/tests/data/tiny-exif.jpg",
        Format::Jpeg,
        "fmt/1507",
        Some("2.32"),
        None,
    ),
    (
        "crates/formats/tests/data/tiny.jp2",
        Format::Jpeg2000,
        "x-fmt/392",
        None,
        None,
    ),
    (
        "crates/formats/tests/data/tiny.j2c",
        Format::Jpeg2000,
        "fmt/1794",
        None,
        None,
    ),
    (
        "crates/formats/tests/data/xref-stream.pdf",
        Format::Pdf,
        "fmt/19",
        Some("1.5"),
        None,
    ),
    (
        "crates/formats/tests/data/incremental.pdf",
        Format::Pdf,
        "fmt/477",
        Some("1.7"),
        Some("PDF/A-2b"),
    ),
    (
        "crates/formats/tests/data/record.json",
        Format::Json,
        "fmt/817",
        None,
        None,
    ),
    (
        "crates/formats/tests/data/note.txt",
        Format::Utf8Text,
        "x-fmt/111",
        None,
        None,
    ),
];

#[test]
fn every_sample_is_identified_and_valid() {
    for (path, format, pronom, version, pdfa) in EXPECTED {
        let bytes = read(path);
        let id = identify_and_validate(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(id.format, format, "{path}");
        assert_eq!(id.pronom, pronom, "{path}");
        assert_eq!(id.version.as_deref(), version, "{path}");
        assert_eq!(id.pdfa.as_deref(), pdfa, "{path}");
        assert_eq!(identify(&bytes), Some(format), "{path}");
        assert!(!id.media_type.is_empty() && !id.name.is_empty(), "{path}");
    }
}

#[test]
fn pdfa_claim_is_reported_as_a_claim() {
    let id = identify_and_validate(&read("samples/attestation.pdf")).unwrap();
    assert_eq!(id.name, "Acrobat PDF/A - Portable Document Format");
    assert!(
        id.notes
            .iter()
            .any(|n| n.contains("claimed") && n.contains("not verified")),
        "{:?}",
        id.notes
    );
}

#[test]
fn incremental_update_is_followed() {
    let id = identify_and_validate(&read("crates/formats/tests/data/incremental.pdf")).unwrap();
    assert!(
        id.notes.iter().any(|n| n == "2 cross-reference section(s)"),
        "{:?}",
        id.notes
    );
}
