//! Damaged copies of the valid samples are refused, with the error variant a
//! case handler can act on (AR-16: "a decoder that tolerates damage is not a
//! validator"). File names play no part: the API never sees one.

mod support;

use probant_formats::{identify_and_validate as validate, Format, FormatError};
use support::read;

const DATA: &str = "crates/formats/tests/data/";

fn data(name: &str) -> Vec<u8> {
    read(&format!("{DATA}{name}"))
}

fn err(bytes: &[u8]) -> FormatError {
    match validate(bytes) {
        Ok(id) => panic!("accepted as {id:?}"),
        Err(e) => e,
    }
}

fn pos(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("needle present")
}

fn replace(mut b: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(
        from.len(),
        to.len(),
        "same-length replacement keeps offsets"
    );
    let at = pos(&b, from);
    b[at..at + from.len()].copy_from_slice(to);
    b
}

macro_rules! assert_variant {
    ($e:expr, $pat:pat) => {{
        let e = $e;
        assert!(matches!(e, $pat), "unexpected error: {e:?}");
        assert!(!e.to_string().is_empty());
    }};
}

/// No proper prefix of a binary sample validates as that format (none of these
/// formats allows a valid prefix, except a PDF cut after an earlier `%%EOF`).
#[test]
fn every_truncation_of_binary_samples_fails() {
    let files = [
        "samples/scan-page-001.tiff",
        "samples/attestation.pdf",
        "crates/formats/tests/data/tiny.png",
        "crates/formats/tests/data/tiny-interlaced.png",
        "crates/formats/tests/data/tiny-jfif.jpg",
        "crates/formats/tests/data/tiny-exif.jpg",
        "crates/formats/tests/data/tiny.jp2",
        "crates/formats/tests/data/tiny.j2c",
        "crates/formats/tests/data/xref-stream.pdf",
    ];
    for path in files {
        let b = read(path);
        let format = validate(&b).unwrap().format;
        for cut in 1..b.len() {
            // Only the final newline after %%EOF may go.
            if path.ends_with(".pdf") && cut == b.len() - 1 {
                assert!(validate(&b[..cut]).is_ok(), "{path} cut at {cut}");
                continue;
            }
            // A cut inside the signature leaves bytes that are no longer this format
            // (three bytes "II*" are plain text); they must not pass as the original.
            if let Ok(id) = validate(&b[..cut]) {
                assert!(
                    id.format != format,
                    "{path} truncated to {cut} of {} bytes was accepted: {id:?}",
                    b.len()
                );
                assert!(cut < 12, "{path} cut at {cut}");
            }
        }
    }
}

#[test]
fn pdf_truncated_at_an_earlier_revision_is_that_revision() {
    let b = data("incremental.pdf");
    let first_eof = pos(&b, b"%%EOF") + 6;
    let id = validate(&b[..first_eof]).expect("the first revision is a complete PDF");
    assert_eq!(id.notes[0], "1 cross-reference section(s)");
    for cut in (first_eof + 1)..b.len() - 1 {
        assert!(validate(&b[..cut]).is_err(), "cut at {cut}");
    }
}

/// Structured text: any truncation that removes more than trailing white space fails.
#[test]
fn truncated_xml_and_json_fail() {
    for path in [
        "samples/message.xml",
        "crates/formats/tests/data/record.json",
    ] {
        let b = read(path);
        let content_end = b.iter().rposition(|c| !c.is_ascii_whitespace()).unwrap() + 1;
        for cut in 1..content_end {
            assert!(validate(&b[..cut]).is_err(), "{path} cut at {cut}");
        }
        assert_variant!(
            err(&b[..content_end - 1]),
            FormatError::Truncated { .. } | FormatError::Corrupt { .. }
        );
    }
}

/// Plain text has no structure: only a cut inside a multi-byte character shows.
#[test]
fn text_cut_inside_a_character_is_truncated() {
    let b = data("note.txt");
    let at = pos(&b, "—".as_bytes()) + 1;
    assert_variant!(
        err(&b[..at]),
        FormatError::Truncated {
            format: Format::Utf8Text,
            ..
        }
    );
}

// ---------------------------------------------------------------- PNG

/// Recomputes every chunk CRC, so a test can damage content behind the CRC.
fn fix_png_crcs(mut b: Vec<u8>) -> Vec<u8> {
    let mut at = 8;
    while at + 12 <= b.len() {
        let len = u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        let end = at + 8 + len;
        let crc = crc32fast::hash(&b[at + 4..end]);
        b[end..end + 4].copy_from_slice(&crc.to_be_bytes());
        at = end + 4;
    }
    b
}

#[test]
fn png_flipped_byte_in_any_chunk_is_a_checksum_error() {
    let b = data("tiny.png");
    for at in [16usize, 20, 29, 45, 100, 500, b.len() - 20, b.len() - 5] {
        let mut d = b.clone();
        d[at] ^= 0x01;
        assert_variant!(
            err(&d),
            FormatError::Checksum {
                format: Format::Png,
                ..
            }
        );
    }
}

#[test]
fn png_damage_behind_a_valid_crc_is_still_caught() {
    let b = data("tiny.png");
    // IHDR height 16 -> 17: the data no longer covers the image.
    let mut d = b.clone();
    d[23] = 17;
    assert_variant!(
        err(&fix_png_crcs(d)),
        FormatError::Truncated {
            format: Format::Png,
            ..
        }
    );
    // The filter byte of the first scanline becomes 7 (stored deflate keeps it visible).
    let idat = pos(&b, b"IDAT");
    let mut d = b.clone();
    d[idat + 4 + 7] = 7;
    let e = err(&fix_png_crcs(d));
    assert!(
        matches!(&e, FormatError::Corrupt { detail, .. } if detail.contains("filter type 7")),
        "{e:?}"
    );
    // A damaged Adler-32 at the end of the zlib stream.
    let mut d = b.clone();
    let text = pos(&b, b"tEXt") - 4;
    d[text - 5] ^= 0xFF; // last byte of the last IDAT: the Adler-32

    assert_variant!(
        err(&fix_png_crcs(d)),
        FormatError::Corrupt {
            format: Format::Png,
            ..
        }
    );
}

#[test]
fn png_structure_rules() {
    let b = data("tiny.png");
    let mut trailing = b.clone();
    trailing.push(0);
    assert_variant!(
        err(&trailing),
        FormatError::Corrupt {
            format: Format::Png,
            ..
        }
    );
    // IHDR bit depth 3 is not allowed for RGB.
    let mut d = b.clone();
    d[24] = 3;
    assert_variant!(
        err(&fix_png_crcs(d)),
        FormatError::Corrupt {
            format: Format::Png,
            ..
        }
    );
    // Unknown critical chunk: rename tEXt to TEXt.
    let d = fix_png_crcs(replace(b.clone(), b"tEXt", b"TEXt"));
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Png,
            ..
        }
    );
    // pHYs renamed to IDAT before the real IDATs makes the image data invalid.
    let d = fix_png_crcs(replace(b.clone(), b"pHYs", b"IDAT"));
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Png,
            ..
        }
    );
    // tEXt (right after the IDATs) renamed to IDAT: data after the end of the zlib stream.
    let d = fix_png_crcs(replace(b, b"tEXt", b"IDAT"));
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Png,
            ..
        }
    );
}

// ---------------------------------------------------------------- JPEG

#[test]
fn jpeg_structure_rules() {
    let b = data("tiny-jfif.jpg");
    // RST0 -> RST1: restart markers out of sequence.
    let d = replace(b.clone(), &[0xFF, 0xD0], &[0xFF, 0xD1]);
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Jpeg,
            ..
        }
    );
    // EOI replaced: the scan runs to the end of the file.
    let mut d = b.clone();
    let n = d.len();
    d[n - 1] = 0x00;
    assert_variant!(
        err(&d),
        FormatError::Truncated {
            format: Format::Jpeg,
            ..
        }
    );
    // Bytes after EOI.
    let mut d = b.clone();
    d.extend_from_slice(b"appended");
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Jpeg,
            ..
        }
    );
    // Frame width 0.
    let sof = pos(&b, &[0xFF, 0xC0]);
    let mut d = b.clone();
    d[sof + 7] = 0;
    d[sof + 8] = 0;
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Jpeg,
            ..
        }
    );
    // A segment length running past the end of the file.
    let mut d = b.clone();
    d[sof + 2] = 0xFF;
    assert_variant!(
        err(&d),
        FormatError::Truncated {
            format: Format::Jpeg,
            ..
        }
    );
    // DQT removed by turning it into a COM segment: no table before the scan.
    let dqt = pos(&b, &[0xFF, 0xDB]);
    let mut d = b.clone();
    d[dqt + 1] = 0xFE;
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Jpeg,
            ..
        }
    );
    // SOS component 2 is not in the frame.
    let sos = pos(&b, &[0xFF, 0xDA]);
    let mut d = b;
    d[sos + 5] = 2;
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Jpeg,
            ..
        }
    );
}

// ---------------------------------------------------------------- TIFF

/// Offset of the value field of the first-IFD entry with `tag` (little-endian sample).
fn tiff_entry(b: &[u8], tag: u16) -> usize {
    let ifd = u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize;
    let n = u16::from_le_bytes(b[ifd..ifd + 2].try_into().unwrap()) as usize;
    (0..n)
        .map(|i| ifd + 2 + 12 * i)
        .find(|&e| u16::from_le_bytes(b[e..e + 2].try_into().unwrap()) == tag)
        .expect("tag present")
}

#[test]
fn tiff_structure_rules() {
    let b = read("samples/scan-page-001.tiff");
    // Next-IFD pointer back to the first IFD: a loop.
    let ifd = 8usize;
    let n = u16::from_le_bytes(b[ifd..ifd + 2].try_into().unwrap()) as usize;
    let mut d = b.clone();
    d[ifd + 2 + 12 * n..ifd + 6 + 12 * n].copy_from_slice(&8u32.to_le_bytes());
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Tiff,
            ..
        }
    );
    // ImageWidth tag renamed: required tag missing.
    let mut d = b.clone();
    let e = tiff_entry(&b, 256);
    d[e..e + 2].copy_from_slice(&255u16.to_le_bytes());
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Tiff,
            ..
        }
    );
    // RowsPerStrip changed: the strip count no longer matches.
    let mut d = b.clone();
    let e = tiff_entry(&b, 278);
    d[e + 8] = 16;
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Tiff,
            ..
        }
    );
    // First strip's byte count one less: the PackBits data stops short.
    let counts = u32::from_le_bytes(
        b[tiff_entry(&b, 279) + 8..tiff_entry(&b, 279) + 12]
            .try_into()
            .unwrap(),
    ) as usize;
    let mut d = b.clone();
    d[counts] -= 1;
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Tiff,
            ..
        }
    );
    // The last strip's offset pushed past the end of the file.
    let offsets = u32::from_le_bytes(
        b[tiff_entry(&b, 273) + 8..tiff_entry(&b, 273) + 12]
            .try_into()
            .unwrap(),
    ) as usize;
    let mut d = b.clone();
    d[offsets + 4 * 8 + 2] = 0x01;
    assert_variant!(
        err(&d),
        FormatError::Truncated {
            format: Format::Tiff,
            ..
        }
    );
    // Unknown field type in an entry.
    let mut d = b.clone();
    let e = tiff_entry(&b, 254);
    d[e + 2] = 99;
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Tiff,
            ..
        }
    );
    // Value offset of a string tag past the end.
    let mut d = b;
    let e = tiff_entry(&d, 305);
    d[e + 8..e + 12].copy_from_slice(&0x00FF_FFFFu32.to_le_bytes());
    assert_variant!(
        err(&d),
        FormatError::Truncated {
            format: Format::Tiff,
            ..
        }
    );
}

#[test]
fn bigtiff_is_unsupported() {
    let e = err(b"II+\0\x08\0\0\0\x10\0\0\0\0\0\0\0");
    assert_variant!(
        e,
        FormatError::Unsupported {
            format: Format::Tiff,
            ..
        }
    );
}

// ---------------------------------------------------------------- PDF

#[test]
fn pdf_structure_rules() {
    let b = read("samples/attestation.pdf");
    // An xref entry pointing one byte off its object.
    let entry = pos(&b, b" 00000 n ") - 10;
    let mut d = b.clone();
    d[entry + 9] += 1;
    let e = err(&d);
    assert!(
        matches!(&e, FormatError::Corrupt { offset: Some(o), .. } if *o == entry as u64),
        "{e:?}"
    );
    // startxref not pointing at 'xref'.
    let sx = pos(&b, b"startxref\n") + 10;
    let mut d = b.clone();
    d[sx + 2] += 1;
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Pdf,
            ..
        } | FormatError::Truncated { .. }
    );
    // No /Root in the trailer.
    let d = replace(b.clone(), b"/Root 1 0 R", b"/Rook 1 0 R");
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Pdf,
            ..
        }
    );
    // /Root pointing at the page tree instead of the catalog.
    let d = replace(b.clone(), b"/Root 1 0 R", b"/Root 2 0 R");
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Pdf,
            ..
        }
    );
    // Damaged %%EOF.
    let d = replace(b.clone(), b"%%EOF", b"%%EOX");
    assert_variant!(
        err(&d),
        FormatError::Truncated {
            format: Format::Pdf,
            ..
        }
    );
    // An object header damaged where the table points.
    let d = replace(b.clone(), b"4 0 obj", b"4 0 obx");
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Pdf,
            ..
        }
    );
    // Unknown version.
    let d = replace(b, b"%PDF-1.7", b"%PDF-1.9");
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Pdf,
            offset: Some(0),
            ..
        }
    );
}

#[test]
fn pdf_prev_loop_is_refused() {
    let b = data("incremental.pdf");
    let last_xref = b.windows(5).rposition(|w| w == b"\nxref").unwrap() + 1;
    let prev = pos(&b, b"/Prev ") + 6;
    let digits = b[prev..].iter().take_while(|c| c.is_ascii_digit()).count();
    let new = format!("{last_xref:0>width$}", width = digits);
    assert_eq!(new.len(), digits, "offset fits in place");
    let mut d = b.clone();
    d[prev..prev + digits].copy_from_slice(new.as_bytes());
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Pdf,
            ..
        }
    );
}

#[test]
fn pdf_xref_stream_damage() {
    let b = data("xref-stream.pdf");
    // A flipped byte in the (stored) stream data breaks the entries or the Adler-32.
    let data_at = pos(&b, b"stream\n\x78\x01") + 7;
    let len = pos(&b[data_at..], b"\nendstream");
    for k in [2usize, 8, 12, 30, len - 3, len - 1] {
        let mut d = b.clone();
        d[data_at + k] ^= 0x01;
        assert_variant!(
            err(&d),
            FormatError::Corrupt {
                format: Format::Pdf,
                ..
            } | FormatError::Truncated { .. }
        );
    }
    // Not a cross-reference stream.
    let d = replace(b.clone(), b"/Type /XRef", b"/Type /XRex");
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Pdf,
            ..
        }
    );
    // /W asking for more bytes than there are.
    let d = replace(b, b"/W [1 2 2]", b"/W [1 2 3]");
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Pdf,
            ..
        }
    );
}

// ---------------------------------------------------------------- JPEG 2000

#[test]
fn jpeg2000_structure_rules() {
    let b = data("tiny.jp2");
    // ihdr width differs from the codestream's SIZ.
    let ihdr = pos(&b, b"ihdr") + 4;
    let mut d = b.clone();
    d[ihdr + 7] = 9;
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Jpeg2000,
            ..
        }
    );
    // No colour specification box.
    let d = replace(b.clone(), b"colr", b"colx");
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Jpeg2000,
            ..
        }
    );
    // jp2c box length larger than the file.
    let jp2c = pos(&b, b"jp2c") - 4;
    let mut d = b.clone();
    d[jp2c + 2] = 1;
    assert_variant!(
        err(&d),
        FormatError::Truncated {
            format: Format::Jpeg2000,
            ..
        }
    );
    // Tile-part length (Psot) wrong.
    let cs = data("tiny.j2c");
    let sot = pos(&cs, &[0xFF, 0x90]);
    let mut d = cs.clone();
    d[sot + 9] = 200;
    assert_variant!(
        err(&d),
        FormatError::Truncated {
            format: Format::Jpeg2000,
            ..
        }
    );
    // EOC replaced.
    let mut d = cs.clone();
    let n = d.len();
    d[n - 1] = 0xD8;
    assert_variant!(
        err(&d),
        FormatError::Truncated {
            format: Format::Jpeg2000,
            ..
        }
    );
    // Tile index beyond the single tile.
    let mut d = cs;
    d[sot + 5] = 1;
    assert_variant!(
        err(&d),
        FormatError::Corrupt {
            format: Format::Jpeg2000,
            ..
        }
    );
    // A brand that is not JP2-compatible.
    let d = replace(b, b"jp2 \0\0\0\0jp2 ", b"jpx \0\0\0\0jpx ");
    assert_variant!(
        err(&d),
        FormatError::Unsupported {
            format: Format::Jpeg2000,
            ..
        }
    );
}

// ---------------------------------------------------------------- XML

#[test]
fn xml_rules() {
    let b = read("samples/message.xml");
    let d = replace(b.clone(), b"</Sender>", b"</Sendor>");
    let e = err(&d);
    let at = pos(&b, b"</Sender>") as u64;
    assert!(
        matches!(&e, FormatError::Corrupt { offset: Some(o), .. } if o.abs_diff(at) < 12),
        "{e:?} near {at}"
    );
    let d = replace(b.clone(), b"encoding=\"UTF-8\"", b"encoding=\"cp852\"");
    assert_variant!(
        err(&d),
        FormatError::Unsupported {
            format: Format::Xml,
            ..
        }
    );
    let d = replace(
        b.clone(),
        b"version=\"1.0\" encoding",
        b"version=\"1.1\" encoding",
    );
    assert_variant!(
        err(&d),
        FormatError::Unsupported {
            format: Format::Xml,
            ..
        }
    );
    let mut d = b;
    let at = pos(&d, "Gezondheidszorg —".as_bytes()) + 16;
    d[at] = 0xFF;
    let e = err(&d);
    assert!(
        matches!(&e, FormatError::Corrupt { format: Format::Xml, offset: Some(o), .. } if *o == at as u64),
        "{e:?}"
    );
}

#[test]
fn xml_external_entities_are_forbidden() {
    let doc = br#"<?xml version="1.0"?>
<!DOCTYPE r [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>
<r>&x;</r>"#;
    assert_variant!(
        err(doc),
        FormatError::Forbidden {
            format: Format::Xml,
            ..
        }
    );
    let doc = br#"<!DOCTYPE r [ <!ENTITY % p SYSTEM "http://example.org/evil.dtd"> %p; ]><r/>"#;
    assert_variant!(
        err(doc),
        FormatError::Forbidden {
            format: Format::Xml,
            ..
        }
    );
}

#[test]
fn xml_entity_expansion_is_bounded() {
    let mut doc =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        doc.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    doc.push_str("]>\n<lolz>&lol9;</lolz>");
    assert_variant!(
        err(doc.as_bytes()),
        FormatError::LimitExceeded {
            format: Format::Xml,
            ..
        }
    );
}

#[test]
fn xml_with_internal_entities_and_external_dtd_reference_is_valid() {
    let doc = br#"<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE note SYSTEM "note.dtd" [ <!ENTITY org "Probant"> ]>
<note>&org;</note>"#;
    let id = validate(doc).unwrap();
    assert!(
        id.notes.iter().any(|n| n.contains("external DTD")),
        "{:?}",
        id.notes
    );
}

// ---------------------------------------------------------------- JSON and text

#[test]
fn json_rules() {
    let e = err(b"{\"a\": [1, 2,]}");
    assert!(
        matches!(
            &e,
            FormatError::Corrupt {
                format: Format::Json,
                offset: Some(12),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("line 1, column 13"), "{e}");
    assert_variant!(
        err(b"{\"a\": 1} {\"b\": 2}"),
        FormatError::Corrupt {
            format: Format::Json,
            ..
        }
    );
    assert_variant!(
        err(b"[1, 2"),
        FormatError::Truncated {
            format: Format::Json,
            ..
        }
    );
    let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
    assert_variant!(
        err(deep.as_bytes()),
        FormatError::LimitExceeded {
            format: Format::Json,
            ..
        }
    );
    let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
    assert!(validate(ok.as_bytes()).is_ok());
    assert_variant!(
        err(b"{\"name\": \"Voorbeeld \xE9\"}"),
        FormatError::Corrupt {
            format: Format::Json,
            offset: Some(20),
            ..
        }
    );
    // Brackets inside strings do not count towards depth.
    let s = format!("{{\"a\": \"{}\"}}", "[".repeat(200));
    assert!(validate(s.as_bytes()).is_ok());
}

#[test]
fn text_rules() {
    let mut t = "Dossier ".repeat(200).into_bytes();
    t.push(0);
    let e = err(&t);
    assert!(
        matches!(
            &e,
            FormatError::Corrupt {
                format: Format::Utf8Text,
                offset: Some(1600),
                ..
            }
        ),
        "{e:?}"
    );
    let e = err("Numéro".replace('é', "\u{1}").as_bytes());
    assert_variant!(e, FormatError::Unknown);
    let e = err(b"Num\xE9ro de dossier");
    assert!(
        matches!(
            &e,
            FormatError::Corrupt {
                format: Format::Utf8Text,
                offset: Some(3),
                ..
            }
        ),
        "{e:?}"
    );
}
