//! Reproducible generator of the sample documents (`samples/` at the repository
//! root) and of the small test vectors (`crates/formats/tests/data/`).
//!
//! Used by `examples/make_samples.rs` (which writes the files) and by the
//! `samples` test (which checks the committed files are exactly what this
//! code produces). Deflate data is written as stored blocks by a local zlib
//! writer so the bytes never depend on a compressor's version.
//! All personal data is invented: "Jan Voorbeeld" does not exist; the NISS-like
//! number 85073003328 is a test number.
#![allow(dead_code)]

/// Every generated file: path relative to the repository root, and its bytes.
pub fn all() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("samples/scan-page-001.tiff", scan_page_tiff()),
        ("samples/attestation.pdf", attestation_pdf()),
        ("samples/message.xml", message_xml()),
        ("crates/formats/tests/data/tiny.png", tiny_png()),
        (
            "crates/formats/tests/data/tiny-interlaced.png",
            interlaced_png(),
        ),
        ("crates/formats/tests/data/tiny-jfif.jpg", jfif_jpeg()),
        ("crates/formats/tests/data/tiny-exif.jpg", exif_jpeg()),
        ("crates/formats/tests/data/tiny.jp2", jp2()),
        ("crates/formats/tests/data/tiny.j2c", codestream()),
        (
            "crates/formats/tests/data/xref-stream.pdf",
            xref_stream_pdf(),
        ),
        (
            "crates/formats/tests/data/incremental.pdf",
            incremental_pdf(),
        ),
        ("crates/formats/tests/data/record.json", record_json()),
        ("crates/formats/tests/data/note.txt", note_txt()),
    ]
}

// ---------------------------------------------------------------- helpers

fn be16(v: u16) -> [u8; 2] {
    v.to_be_bytes()
}

fn be32(v: u32) -> [u8; 4] {
    v.to_be_bytes()
}

/// A zlib stream made of stored (uncompressed) deflate blocks.
pub fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut chunks = data.chunks(65_535).peekable();
    if data.is_empty() {
        out.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(c) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let len = c.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&be32(adler32(data)));
    out
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &c in data {
        a = (a + u32::from(c)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// A deterministic pseudo-random sequence (LCG), for "text-like" bars.
struct Lcg(u32);

impl Lcg {
    fn next(&mut self, n: u32) -> u32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 >> 8) % n
    }
}

// ---------------------------------------------------------------- TIFF

const PAGE_W: usize = 200;
const PAGE_H: usize = 280;

/// A grey "scanned page": letterhead block, title, lines of word-like bars,
/// a rule and a signature stroke, on a white page with a faint scan border.
fn page_pixels() -> Vec<u8> {
    let mut px = vec![255u8; PAGE_W * PAGE_H];
    let mut fill = |x0: usize, y0: usize, w: usize, h: usize, v: u8| {
        for y in y0..(y0 + h).min(PAGE_H) {
            for x in x0..(x0 + w).min(PAGE_W) {
                px[y * PAGE_W + x] = v;
            }
        }
    };
    fill(0, 0, PAGE_W, 2, 200);
    fill(0, PAGE_H - 2, PAGE_W, 2, 200);
    fill(16, 12, 34, 18, 40);
    fill(58, 14, 90, 5, 30);
    fill(58, 23, 60, 3, 90);
    fill(16, 44, 168, 1, 120);
    let mut rng = Lcg(85_073_003);
    let mut y = 56;
    while y < 220 {
        let mut x = 16 + if y == 56 { 0 } else { rng.next(3) as usize * 4 };
        let end = 184 - rng.next(40) as usize;
        while x < end {
            let w = 4 + rng.next(22) as usize;
            fill(x, y, w.min(end - x), 5, 25 + rng.next(40) as u8);
            x += w + 3;
        }
        y += if rng.next(6) == 0 { 16 } else { 10 };
    }
    fill(120, 236, 64, 1, 120);
    for i in 0..50 {
        let yy = 250 - (i % 10) + if i % 20 < 10 { 0 } else { 8 };
        fill(124 + i, yy.min(258), 2, 2, 20);
    }
    px
}

/// PackBits (TIFF 6.0 §9), one row at a time.
fn packbits(row: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < row.len() {
        let mut run = 1;
        while i + run < row.len() && run < 128 && row[i + run] == row[i] {
            run += 1;
        }
        if run >= 3 {
            out.push((1i16 - run as i16) as u8);
            out.push(row[i]);
            i += run;
            continue;
        }
        let start = i;
        while i < row.len() && i - start < 128 {
            let rep = i + 2 < row.len() && row[i] == row[i + 1] && row[i] == row[i + 2];
            if rep {
                break;
            }
            i += 1;
        }
        out.push((i - start - 1) as u8);
        out.extend_from_slice(&row[start..i]);
    }
    out
}

/// A little-endian TIFF with one IFD; entries are (tag, type, count, value bytes).
struct TiffBuilder {
    entries: Vec<(u16, u16, u32, Vec<u8>)>,
}

impl TiffBuilder {
    fn short(&mut self, tag: u16, v: u16) {
        self.entries.push((tag, 3, 1, v.to_le_bytes().to_vec()));
    }
    fn long(&mut self, tag: u16, v: u32) {
        self.entries.push((tag, 4, 1, v.to_le_bytes().to_vec()));
    }
    fn ascii(&mut self, tag: u16, s: &str) {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        self.entries.push((tag, 2, v.len() as u32, v));
    }
    fn rational(&mut self, tag: u16, n: u32, d: u32) {
        let mut v = n.to_le_bytes().to_vec();
        v.extend_from_slice(&d.to_le_bytes());
        self.entries.push((tag, 5, 1, v));
    }

    /// Lays out header, IFD, out-of-line values, then the strips.
    fn build(mut self, strips: &[Vec<u8>]) -> Vec<u8> {
        let n = strips.len() as u32;
        self.entries.push((273, 4, n, vec![0; 4 * strips.len()]));
        self.entries.push((
            279,
            4,
            n,
            strips
                .iter()
                .flat_map(|s| (s.len() as u32).to_le_bytes())
                .collect(),
        ));
        self.entries.sort_by_key(|e| e.0);
        let ifd_len = 2 + 12 * self.entries.len() + 4;
        let mut values_len = 0;
        for e in &self.entries {
            if e.3.len() > 4 {
                values_len += e.3.len().next_multiple_of(2);
            }
        }
        let mut data_at = 8 + ifd_len + values_len;
        let mut offsets = Vec::new();
        for s in strips {
            offsets.extend_from_slice(&(data_at as u32).to_le_bytes());
            data_at += s.len();
        }
        for e in &mut self.entries {
            if e.0 == 273 {
                e.3 = offsets.clone();
            }
        }
        let mut out = b"II*\0".to_vec();
        out.extend_from_slice(&8u32.to_le_bytes());
        out.extend_from_slice(&(self.entries.len() as u16).to_le_bytes());
        let mut values = Vec::new();
        let values_at = 8 + ifd_len;
        for (tag, typ, count, v) in &self.entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&typ.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            if v.len() <= 4 {
                let mut inline = v.clone();
                inline.resize(4, 0);
                out.extend_from_slice(&inline);
            } else {
                out.extend_from_slice(&((values_at + values.len()) as u32).to_le_bytes());
                values.extend_from_slice(v);
                if values.len() % 2 == 1 {
                    values.push(0);
                }
            }
        }
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&values);
        for s in strips {
            out.extend_from_slice(s);
        }
        out
    }
}

pub fn scan_page_tiff() -> Vec<u8> {
    const ROWS_PER_STRIP: usize = 32;
    let px = page_pixels();
    let strips: Vec<Vec<u8>> = px
        .chunks(PAGE_W * ROWS_PER_STRIP)
        .map(|strip| strip.chunks(PAGE_W).flat_map(packbits).collect())
        .collect();
    let mut t = TiffBuilder {
        entries: Vec::new(),
    };
    t.long(254, 0);
    t.short(256, PAGE_W as u16);
    t.short(257, PAGE_H as u16);
    t.short(258, 8);
    t.short(259, 32773);
    t.short(262, 1);
    t.ascii(
        270,
        "Probant sample: scanned page 1 (synthetic, no real data)",
    );
    t.short(274, 1);
    t.short(277, 1);
    t.short(278, ROWS_PER_STRIP as u16);
    t.rational(282, 24, 1);
    t.rational(283, 24, 1);
    t.short(284, 1);
    t.short(296, 2);
    t.ascii(305, "probant-formats make_samples");
    t.ascii(306, "2024:05:13 09:30:00");
    t.build(&strips)
}

/// The scanned page as one Deflate strip of 56 000 bytes (larger than the
/// validator's 32 KiB inflate buffer). Not a committed file: built by tests.
pub fn deflate_one_strip_tiff() -> Vec<u8> {
    let strip = zlib_stored(&page_pixels());
    let mut t = TiffBuilder {
        entries: Vec::new(),
    };
    t.short(256, PAGE_W as u16);
    t.short(257, PAGE_H as u16);
    t.short(258, 8);
    t.short(259, 8);
    t.short(262, 1);
    t.short(278, PAGE_H as u16);
    t.build(&[strip])
}

// ---------------------------------------------------------------- PDF

/// Writes numbered objects and remembers their offsets.
pub struct PdfWriter {
    pub buf: Vec<u8>,
    pub offsets: Vec<(u32, usize)>,
}

impl PdfWriter {
    pub fn new(version: &str) -> Self {
        let mut buf = format!("%PDF-{version}\n").into_bytes();
        buf.extend_from_slice(b"%\xE2\xE3\xCF\xD3\n");
        PdfWriter {
            buf,
            offsets: Vec::new(),
        }
    }

    pub fn obj(&mut self, num: u32, body: &[u8]) {
        self.offsets.push((num, self.buf.len()));
        self.buf
            .extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        self.buf.extend_from_slice(body);
        self.buf.extend_from_slice(b"\nendobj\n");
    }

    pub fn stream(&mut self, num: u32, dict: &str, data: &[u8]) {
        let mut body = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.obj(num, &body);
    }

    /// A classic table with one subsection per run of consecutive numbers.
    pub fn xref_and_trailer(&mut self, with_free_head: bool, trailer: &str) -> usize {
        let at = self.buf.len();
        let mut entries: Vec<(u32, String)> = self
            .offsets
            .iter()
            .map(|&(n, o)| (n, format!("{o:010} 00000 n \n")))
            .collect();
        if with_free_head {
            entries.push((0, "0000000000 65535 f \n".into()));
        }
        entries.sort();
        self.buf.extend_from_slice(b"xref\n");
        let mut i = 0;
        while i < entries.len() {
            let mut j = i + 1;
            while j < entries.len() && entries[j].0 == entries[j - 1].0 + 1 {
                j += 1;
            }
            self.buf
                .extend_from_slice(format!("{} {}\n", entries[i].0, j - i).as_bytes());
            for e in &entries[i..j] {
                self.buf.extend_from_slice(e.1.as_bytes());
            }
            i = j;
        }
        self.buf.extend_from_slice(
            format!("trailer\n<< {trailer} >>\nstartxref\n{at}\n%%EOF\n").as_bytes(),
        );
        at
    }
}

const XMP_PDFA2B: &str = r#"<?xpacket begin="﻿" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
      <pdfaid:part>2</pdfaid:part>
      <pdfaid:conformance>B</pdfaid:conformance>
    </rdf:Description>
    <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Attestation of social insurability (sample)</rdf:li></rdf:Alt></dc:title>
      <dc:creator><rdf:Seq><rdf:li>Probant sample generator</rdf:li></rdf:Seq></dc:creator>
    </rdf:Description>
    <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
      <xmp:CreateDate>2024-05-13T09:30:00+02:00</xmp:CreateDate>
    </rdf:Description>
  </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#;

fn attestation_writer() -> PdfWriter {
    let mut w = PdfWriter::new("1.7");
    w.obj(1, b"<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>");
    w.obj(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    w.obj(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R >> >> /Contents 4 0 R >>");
    let content = "BT /F1 16 Tf 72 770 Td (Attestation of social insurability) Tj ET\n\
                   BT /F1 10 Tf 72 742 Td (Insured person: Jan Voorbeeld, NISS 85073003328 \\(invented test data\\)) Tj ET\n\
                   BT /F1 10 Tf 72 726 Td (Insured for health care from 2024-01-01 to 2024-12-31.) Tj ET\n";
    w.stream(4, "", content.as_bytes());
    w.stream(5, "/Type /Metadata /Subtype /XML", XMP_PDFA2B.as_bytes());
    w.obj(
        6,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    );
    w.obj(7, b"<< /Title (Attestation of social insurability \\(sample\\)) /Producer (probant-formats make_samples) /CreationDate (D:20240513093000+02'00') >>");
    w
}

const PDF_ID: &str = "/ID [<5052424E54534D504C4530303031> <5052424E54534D504C4530303031>]";

pub fn attestation_pdf() -> Vec<u8> {
    let mut w = attestation_writer();
    w.xref_and_trailer(true, &format!("/Size 8 /Root 1 0 R /Info 7 0 R {PDF_ID}"));
    w.buf
}

/// The attestation plus one incremental update replacing the page content.
pub fn incremental_pdf() -> Vec<u8> {
    let mut w = attestation_writer();
    let first = w.xref_and_trailer(true, &format!("/Size 8 /Root 1 0 R /Info 7 0 R {PDF_ID}"));
    w.offsets.clear();
    w.stream(
        4,
        "",
        b"BT /F1 16 Tf 72 770 Td (Attestation of social insurability - corrected) Tj ET\n",
    );
    w.xref_and_trailer(
        true,
        &format!("/Size 8 /Root 1 0 R /Info 7 0 R {PDF_ID} /Prev {first}"),
    );
    w.buf
}

/// PDF 1.5 with an object stream and a Flate + PNG-predictor cross-reference stream.
pub fn xref_stream_pdf() -> Vec<u8> {
    let mut w = PdfWriter::new("1.5");
    w.obj(1, b"<< /Type /Catalog /Pages 2 0 R >>");
    w.obj(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>");
    w.stream(
        4,
        "",
        b"BT /F1 12 Tf 72 770 Td (Cross-reference stream sample) Tj ET\n",
    );
    let o2 = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec();
    let o5 = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec();
    let head = format!("2 0 5 {} ", o2.len() + 1);
    let mut objstm = head.clone().into_bytes();
    objstm.extend_from_slice(&o2);
    objstm.push(b' ');
    objstm.extend_from_slice(&o5);
    w.stream(
        6,
        &format!("/Type /ObjStm /N 2 /First {}", head.len()),
        &objstm,
    );
    let at = |n: u32| {
        w.offsets
            .iter()
            .find(|o| o.0 == n)
            .map(|o| o.1 as u16)
            .unwrap_or(0)
    };
    let xref_at = w.buf.len();
    let rows: Vec<[u8; 5]> = [
        (0u8, 0u16, 65_535u16),
        (1, at(1), 0),
        (2, 6, 0),
        (1, at(3), 0),
        (1, at(4), 0),
        (2, 6, 1),
        (1, at(6), 0),
        (1, xref_at as u16, 0),
    ]
    .iter()
    .map(|&(t, f2, f3)| {
        let (a, b) = (f2.to_be_bytes(), f3.to_be_bytes());
        [t, a[0], a[1], b[0], b[1]]
    })
    .collect();
    let mut predicted = Vec::new();
    let mut prev = [0u8; 5];
    for r in &rows {
        predicted.push(2u8);
        predicted.extend(r.iter().zip(prev).map(|(c, p)| c.wrapping_sub(p)));
        prev = *r;
    }
    let data = zlib_stored(&predicted);
    w.stream(7, "/Type /XRef /Size 8 /W [1 2 2] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Columns 5 /Predictor 12 >>", &data);
    w.buf
        .extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
    w.buf
}

// ---------------------------------------------------------------- XML, JSON, text

pub fn message_xml() -> Vec<u8> {
    r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- Probant sample message. Invented data: this person does not exist. -->
<InsurabilityAttestation xmlns="urn:example:probant:insurability:1"
                         xmlns:ref="urn:example:probant:reference:1"
                         version="1.0">
  <Header>
    <MessageId>8f3c2b1e-5a47-4c1d-9e0f-2b6d7a8c9e01</MessageId>
    <Sender ref:kind="institution">Example Health Insurance Fund (fictitious)</Sender>
    <Recipient ref:kind="institution">Example Social Security Office (fictitious)</Recipient>
    <Created>2024-05-13T09:30:00+02:00</Created>
    <LegalBasis>Test message — no legal effect</LegalBasis>
  </Header>
  <Person>
    <NISS>85073003328</NISS>
    <FamilyName>Voorbeeld</FamilyName>
    <GivenName>Jan</GivenName>
    <BirthDate>1985-07-30</BirthDate>
    <Address>
      <Street>Rue de l'Exemple</Street>
      <Number>12</Number>
      <PostalCode>1000</PostalCode>
      <Municipality>Bruxelles-Brussel</Municipality>
      <Country>BE</Country>
    </Address>
  </Person>
  <Insurability>
    <Regime>general</Regime>
    <Period from="2024-01-01" to="2024-12-31"/>
    <Status>insured</Status>
    <Remark>Gezondheidszorg — soins de santé — verified &amp; complete</Remark>
  </Insurability>
</InsurabilityAttestation>
"#
    .as_bytes()
    .to_vec()
}

pub fn record_json() -> Vec<u8> {
    r#"{
  "record": "b4a7f0c2-2d1e-4f67-9a0b-3c5d6e7f8a90",
  "title": "Attestation d'assurabilité — Verzekerbaarheidsattest",
  "person": { "niss": "85073003328", "name": "Jan Voorbeeld", "invented": true },
  "classification": "personal",
  "retention": { "class": "R10", "until": "2034-12-31" },
  "tags": ["attestation", "health-care", "2024"],
  "pages": 1,
  "amount": 1234.56e0,
  "escaped": "line\nbreak \u00e9 \ud83d\ude00"
}
"#
    .as_bytes()
    .to_vec()
}

pub fn note_txt() -> Vec<u8> {
    "Note au dossier — Dossiernota\n\
     \n\
     Personne assurée / Verzekerde: Jan Voorbeeld (données fictives).\n\
     Tél. reçu le 13/05/2024; pièces jointes: 2.\tÉtat: complet ✓\n"
        .as_bytes()
        .to_vec()
}

// ---------------------------------------------------------------- PNG

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&be32(data.len() as u32));
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&be32(crc));
}

fn png_file(
    ihdr: [u8; 13],
    pre_idat: &[(&[u8; 4], Vec<u8>)],
    raw: &[u8],
    idat_split: usize,
) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut out, b"IHDR", &ihdr);
    for (k, d) in pre_idat {
        png_chunk(&mut out, k, d);
    }
    let z = zlib_stored(raw);
    for part in z.chunks(idat_split) {
        png_chunk(&mut out, b"IDAT", part);
    }
    png_chunk(&mut out, b"tEXt", b"Software\0probant-formats make_samples");
    png_chunk(&mut out, b"IEND", b"");
    out
}

fn ihdr(w: u32, h: u32, depth: u8, color: u8, interlace: u8) -> [u8; 13] {
    let mut d = [0u8; 13];
    d[..4].copy_from_slice(&be32(w));
    d[4..8].copy_from_slice(&be32(h));
    d[8] = depth;
    d[9] = color;
    d[12] = interlace;
    d
}

/// Applies PNG filter `kind` to `row` given the previous raw row (bytes per pixel `bpp`).
fn png_filter(kind: u8, row: &[u8], prev: &[u8], bpp: usize) -> Vec<u8> {
    let mut out = vec![kind];
    for i in 0..row.len() {
        let a = if i >= bpp { row[i - bpp] } else { 0 };
        let b = prev[i];
        let c = if i >= bpp { prev[i - bpp] } else { 0 };
        let p = match kind {
            0 => 0,
            1 => a,
            2 => b,
            3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
            _ => {
                let pp = i16::from(a) + i16::from(b) - i16::from(c);
                let (pa, pb, pc) = (
                    (pp - i16::from(a)).abs(),
                    (pp - i16::from(b)).abs(),
                    (pp - i16::from(c)).abs(),
                );
                if pa <= pb && pa <= pc {
                    a
                } else if pb <= pc {
                    b
                } else {
                    c
                }
            }
        };
        out.push(row[i].wrapping_sub(p));
    }
    out
}

/// 16×16 RGB gradient; rows cycle through the five filter types.
pub fn tiny_png() -> Vec<u8> {
    let (w, h) = (16usize, 16usize);
    let mut raw = Vec::new();
    let mut prev = vec![0u8; w * 3];
    for y in 0..h {
        let row: Vec<u8> = (0..w)
            .flat_map(|x| [(x * 16) as u8, (y * 16) as u8, 128])
            .collect();
        raw.extend(png_filter((y % 5) as u8, &row, &prev, 3));
        prev = row;
    }
    png_file(
        ihdr(16, 16, 8, 2, 0),
        &[(b"pHYs", vec![0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1])],
        &raw,
        200,
    )
}

/// 13×9, 4-bit palette, Adam7 interlaced.
pub fn interlaced_png() -> Vec<u8> {
    let (w, h) = (13usize, 9usize);
    let pixel = |x: usize, y: usize| ((x + 2 * y) % 16) as u8;
    let passes = [
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    ];
    let mut raw = Vec::new();
    for (x0, y0, dx, dy) in passes {
        let cols: Vec<usize> = (x0..w).step_by(dx).collect();
        if cols.is_empty() {
            continue;
        }
        for y in (y0..h).step_by(dy) {
            raw.push(0);
            for pair in cols.chunks(2) {
                let hi = pixel(pair[0], y) << 4;
                let lo = pair.get(1).map_or(0, |&x| pixel(x, y));
                raw.push(hi | lo);
            }
        }
    }
    let palette: Vec<u8> = (0..16u8).flat_map(|i| [i * 16, 255 - i * 16, 96]).collect();
    png_file(ihdr(13, 9, 4, 3, 1), &[(b"PLTE", palette)], &raw, 40)
}

// ---------------------------------------------------------------- JPEG

/// Segments shared by the tiny JPEGs: one all-ones quantisation table and
/// Huffman tables with a single one-bit code each (DC category 0, AC EOB).
fn jpeg_tables() -> Vec<u8> {
    let mut out = vec![0xFF, 0xDB, 0x00, 67, 0x00];
    out.extend_from_slice(&[1u8; 64]);
    out.extend_from_slice(&[0xFF, 0xC4, 0x00, 38]);
    for class in [0x00u8, 0x10] {
        out.push(class);
        let mut counts = [0u8; 16];
        counts[0] = 1;
        out.extend_from_slice(&counts);
        out.push(0x00);
    }
    out
}

fn jpeg_frame(width: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xC0, 0x00, 11, 8];
    out.extend_from_slice(&be16(8));
    out.extend_from_slice(&be16(width));
    out.extend_from_slice(&[1, 1, 0x11, 0]);
    out
}

const JPEG_SOS: [u8; 10] = [0xFF, 0xDA, 0x00, 8, 1, 1, 0x00, 0, 63, 0];

/// 16×8 grey, JFIF 1.01, restart interval 1 (two MCUs separated by RST0).
/// Each block is DC difference 0 then EOB: bits `00`, padded with ones to 0x3F.
pub fn jfif_jpeg() -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 16];
    out.extend_from_slice(b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
    out.extend(jpeg_tables());
    out.extend(jpeg_frame(16));
    out.extend_from_slice(&[0xFF, 0xDD, 0x00, 4, 0x00, 1]);
    out.extend_from_slice(&JPEG_SOS);
    out.extend_from_slice(&[0x3F, 0xFF, 0xD0, 0x3F, 0xFF, 0xD9]);
    out
}

/// 8×8 grey with an Exif 2.32 APP1 segment (IFD0 → Exif IFD → ExifVersion "0232").
pub fn exif_jpeg() -> Vec<u8> {
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&[0x69, 0x87, 4, 0, 1, 0, 0, 0]);
    tiff.extend_from_slice(&26u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&[0x00, 0x90, 7, 0, 4, 0, 0, 0]);
    tiff.extend_from_slice(b"0232");
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&be16((2 + 6 + tiff.len()) as u16));
    out.extend_from_slice(b"Exif\0\0");
    out.extend(tiff);
    out.extend(jpeg_tables());
    out.extend(jpeg_frame(8));
    out.extend_from_slice(&JPEG_SOS);
    out.extend_from_slice(&[0x3F, 0xFF, 0xD9]);
    out
}

// ---------------------------------------------------------------- JPEG 2000

/// 8×8, one 8-bit component, one tile, no wavelet levels, reversible 5-3,
/// one layer; the only packet is empty (header bit 0), so it decodes to mid-grey.
pub fn codestream() -> Vec<u8> {
    let mut cs = vec![0xFF, 0x4F, 0xFF, 0x51];
    cs.extend_from_slice(&be16(41));
    cs.extend_from_slice(&be16(0));
    for v in [8u32, 8, 0, 0, 8, 8, 0, 0] {
        cs.extend_from_slice(&be32(v));
    }
    cs.extend_from_slice(&be16(1));
    cs.extend_from_slice(&[7, 1, 1]);
    cs.extend_from_slice(&[
        0xFF, 0x52, 0x00, 12, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x04, 0x04, 0x00, 0x01,
    ]);
    cs.extend_from_slice(&[0xFF, 0x5C, 0x00, 4, 0x40, 0x40]);
    cs.extend_from_slice(&[0xFF, 0x90, 0x00, 10, 0x00, 0x00]);
    cs.extend_from_slice(&be32(15));
    cs.extend_from_slice(&[0x00, 0x01]);
    cs.extend_from_slice(&[0xFF, 0x93, 0x00]);
    cs.extend_from_slice(&[0xFF, 0xD9]);
    cs
}

fn jp2_box(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
    let mut out = be32((8 + content.len()) as u32).to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(content);
    out
}

pub fn jp2() -> Vec<u8> {
    let mut out = jp2_box(b"jP  ", b"\r\n\x87\n");
    out.extend(jp2_box(b"ftyp", b"jp2 \0\0\0\0jp2 "));
    let mut ihdr = be32(8).to_vec();
    ihdr.extend_from_slice(&be32(8));
    ihdr.extend_from_slice(&be16(1));
    ihdr.extend_from_slice(&[7, 7, 0, 0]);
    let mut header = jp2_box(b"ihdr", &ihdr);
    header.extend(jp2_box(b"colr", &[1, 0, 0, 0, 0, 0, 17]));
    out.extend(jp2_box(b"jp2h", &header));
    out.extend(jp2_box(b"jp2c", &codestream()));
    out
}
