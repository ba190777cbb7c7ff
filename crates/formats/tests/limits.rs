//! Hostile length fields and deep structures are refused quickly and without
//! allocating what they declare (the walks are linear in the input).

use probant_formats::{identify_and_validate as validate, Format, FormatError};

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

#[test]
fn png_with_huge_dimensions_and_little_data() {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
    ihdr.extend_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
    ihdr.extend_from_slice(&[16, 6, 0, 0, 1]);
    png_chunk(&mut b, b"IHDR", &ihdr);
    png_chunk(
        &mut b,
        b"IDAT",
        &[0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0, 0, 0, 1],
    );
    png_chunk(&mut b, b"IEND", &[]);
    assert!(matches!(
        validate(&b),
        Err(FormatError::Truncated {
            format: Format::Png,
            ..
        })
    ));
}

#[test]
fn tiff_ifd_chain_longer_than_the_limit() {
    // 2000 empty IFDs chained one after another: refused at the limit.
    let mut b = b"II*\0\x08\0\0\0".to_vec();
    for i in 0..2000u32 {
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&(8 + 6 * (i + 1)).to_le_bytes());
    }
    let e = validate(&b).unwrap_err();
    assert!(
        matches!(
            e,
            FormatError::Corrupt { .. } | FormatError::LimitExceeded { .. }
        ),
        "{e:?}"
    );
}

#[test]
fn tiff_ifd_with_more_entries_than_the_file_holds() {
    let b = b"II*\0\x08\0\0\0\xFF\xFF\0\0\0\0".to_vec();
    assert!(matches!(
        validate(&b),
        Err(FormatError::Truncated {
            format: Format::Tiff,
            ..
        })
    ));
}

#[test]
fn pdf_xref_subsection_with_an_absurd_count() {
    let body = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 1 0 R >>\nendobj\n";
    let mut b = body.to_vec();
    let xref = b.len();
    b.extend_from_slice(
        b"xref\n0 999999999999\n0000000000 65535 f \ntrailer\n<< /Size 2 /Root 1 0 R >>\n",
    );
    b.extend_from_slice(format!("startxref\n{xref}\n%%EOF\n").as_bytes());
    assert!(matches!(
        validate(&b),
        Err(FormatError::Truncated {
            format: Format::Pdf,
            ..
        })
    ));
}

#[test]
fn pdf_xref_stream_with_an_absurd_index() {
    let mut b = b"%PDF-1.5\n".to_vec();
    let xref = b.len();
    b.extend_from_slice(b"1 0 obj\n<< /Type /XRef /Size 1000000000 /Index [0 1000000000] /W [1 4 2] /Root 1 0 R /Length 0 >>\nstream\n\nendstream\nendobj\n");
    b.extend_from_slice(format!("startxref\n{xref}\n%%EOF\n").as_bytes());
    assert!(matches!(
        validate(&b),
        Err(FormatError::Corrupt {
            format: Format::Pdf,
            ..
        })
    ));
}

#[test]
fn pdf_deeply_nested_trailer() {
    let mut b = b"%PDF-1.4\n".to_vec();
    let xref = b.len();
    b.extend_from_slice(b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /A ");
    b.extend_from_slice(&b"[".repeat(100_000));
    b.extend_from_slice(format!("\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    assert!(matches!(
        validate(&b),
        Err(FormatError::Corrupt {
            format: Format::Pdf,
            ..
        })
    ));
}

#[test]
fn json_nested_a_million_deep() {
    let b = "[".repeat(1_000_000);
    assert!(matches!(
        validate(b.as_bytes()),
        Err(FormatError::LimitExceeded {
            format: Format::Json,
            ..
        })
    ));
}

#[test]
fn xml_nested_deeply_is_well_formed_or_refused_without_stack_overflow() {
    let doc = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let _ = validate(doc.as_bytes());
}

#[test]
fn jp2_many_boxes_are_walked_linearly() {
    let mut b = b"\0\0\0\x0CjP  \r\n\x87\n\0\0\0\x14ftypjp2 \0\0\0\0jp2 ".to_vec();
    for _ in 0..100_000 {
        b.extend_from_slice(b"\0\0\0\x08free");
    }
    let e = validate(&b).unwrap_err();
    assert!(matches!(e, FormatError::LimitExceeded { .. }), "{e:?}");
}
