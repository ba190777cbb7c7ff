//! Format migration TIFF → PNG (AR-16 long-term formats, AR-20.12 migration
//! without loss of information). Every lossless case is checked here pixel
//! for pixel against samples decoded or written by the test itself, never
//! against the function's own verification.

mod support;

use std::io::{Cursor, Seek, Write};

use probant_formats::{identify_and_validate, migrate, supported_migrations, Format, FormatError};
use proptest::prelude::*;
use tiff::encoder::{colortype, Compression, DeflateLevel, Rational, TiffEncoder};
use tiff::tags::Tag;

// ------------------------------------------------------------------ helpers

/// A PNG decoded by the test: samples unpacked, row-major, no padding.
struct Png {
    width: u32,
    height: u32,
    colour: png::ColorType,
    depth: u8,
    samples: Vec<u64>,
    info_phys: Option<(u32, u32, u8)>,
    text: Vec<(String, String)>,
}

fn decode_png(bytes: &[u8]) -> Png {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::IDENTITY);
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let frame = reader.next_frame(&mut buf).expect("PNG data");
    let info = reader.info();
    let depth = frame.bit_depth as u8;
    let per_row = frame.width as usize * frame.color_type.samples();
    let mut samples = Vec::new();
    for row in buf.chunks(frame.line_size).take(frame.height as usize) {
        for i in 0..per_row {
            samples.push(match depth {
                16 => u64::from(u16::from_be_bytes([row[2 * i], row[2 * i + 1]])),
                8 => u64::from(row[i]),
                d => {
                    let bit = i * usize::from(d);
                    let shift = 8 - usize::from(d) - bit % 8;
                    u64::from(row[bit / 8] >> shift) & ((1 << d) - 1)
                }
            });
        }
    }
    Png {
        width: frame.width,
        height: frame.height,
        colour: frame.color_type,
        depth,
        samples,
        info_phys: info.pixel_dims.map(|p| (p.xppu, p.yppu, p.unit as u8)),
        text: info
            .uncompressed_latin1_text
            .iter()
            .map(|t| (t.keyword.clone(), t.text.clone()))
            .collect(),
    }
}

/// An uncompressed single-strip TIFF page written with the tiff crate's
/// directory encoder, for the layouts `write_image` cannot express
/// (1/2/4-bit, WhiteIsZero, ExtraSamples, planar).
struct Raw {
    width: u32,
    height: u32,
    photometric: u16,
    bits: u16,
    spp: u16,
    extra: Vec<u16>,
    planar: bool,
    data: Vec<u8>,
    tags: Vec<(u16, u16)>,
}

impl Raw {
    fn new(width: u32, height: u32, photometric: u16, bits: u16, spp: u16, data: Vec<u8>) -> Raw {
        Raw {
            width,
            height,
            photometric,
            bits,
            spp,
            extra: Vec::new(),
            planar: false,
            data,
            tags: Vec::new(),
        }
    }

    fn tiff(&self) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut enc = TiffEncoder::new(&mut out).unwrap();
        self.write_page(&mut enc);
        out.into_inner()
    }

    fn write_page<W: Write + Seek>(&self, enc: &mut TiffEncoder<W>) {
        let mut dir = enc.image_directory().unwrap();
        let offset = dir.write_data(&self.data[..]).unwrap();
        dir.write_tag(Tag::ImageWidth, self.width).unwrap();
        dir.write_tag(Tag::ImageLength, self.height).unwrap();
        let bits = vec![self.bits; usize::from(self.spp)];
        dir.write_tag(Tag::BitsPerSample, &bits[..]).unwrap();
        dir.write_tag(Tag::Compression, 1u16).unwrap();
        dir.write_tag(Tag::PhotometricInterpretation, self.photometric)
            .unwrap();
        dir.write_tag(Tag::SamplesPerPixel, self.spp).unwrap();
        dir.write_tag(Tag::RowsPerStrip, self.height).unwrap();
        if self.planar {
            // One strip per plane, each a third of the data.
            let plane = self.data.len() as u32 / u32::from(self.spp);
            let offsets: Vec<u32> = (0..u32::from(self.spp))
                .map(|i| offset as u32 + i * plane)
                .collect();
            dir.write_tag(Tag::StripOffsets, &offsets[..]).unwrap();
            let counts = vec![plane; usize::from(self.spp)];
            dir.write_tag(Tag::StripByteCounts, &counts[..]).unwrap();
            dir.write_tag(Tag::PlanarConfiguration, 2u16).unwrap();
        } else {
            dir.write_tag(Tag::StripOffsets, offset as u32).unwrap();
            dir.write_tag(Tag::StripByteCounts, self.data.len() as u32)
                .unwrap();
        }
        if !self.extra.is_empty() {
            dir.write_tag(Tag::ExtraSamples, &self.extra[..]).unwrap();
        }
        for &(tag, v) in &self.tags {
            dir.write_tag(Tag::from_u16_exhaustive(tag), v).unwrap();
        }
        dir.finish().unwrap();
    }
}

/// Packs samples into TIFF/PNG rows: MSB first below 8 bits, rows padded to
/// a byte; 16-bit in the file's (native) byte order.
fn pack(samples: &[u64], per_row: usize, bits: u16) -> Vec<u8> {
    let mut out = Vec::new();
    for row in samples.chunks(per_row) {
        match bits {
            16 => row
                .iter()
                .for_each(|&v| out.extend_from_slice(&(v as u16).to_ne_bytes())),
            8 => row.iter().for_each(|&v| out.push(v as u8)),
            b => {
                let mut bytes = vec![0u8; (row.len() * usize::from(b)).div_ceil(8)];
                // Bit by bit: 3-bit samples straddle bytes.
                for (i, &v) in row.iter().enumerate() {
                    for k in 0..usize::from(b) {
                        let bit = i * usize::from(b) + k;
                        let set = (v >> (usize::from(b) - 1 - k)) & 1;
                        bytes[bit / 8] |= (set as u8) << (7 - bit % 8);
                    }
                }
                out.extend(bytes);
            }
        }
    }
    out
}

/// Deterministic pseudo-random samples below 2^bits.
fn samples(n: usize, bits: u16, seed: u64) -> Vec<u64> {
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) & ((1u64 << bits) - 1)
        })
        .collect()
}

fn lossless(tiff: &[u8]) -> probant_formats::Migration {
    let m = migrate(tiff, Format::Png, false).unwrap_or_else(|e| panic!("{e}"));
    assert!(m.lossless, "{:?}", m.losses);
    assert!(m.losses.is_empty());
    let id = identify_and_validate(&m.bytes).expect("output validates as PNG");
    assert_eq!(
        (id.format, id.pronom, id.media_type),
        (Format::Png, "fmt/13", "image/png")
    );
    assert_eq!(
        (m.format, m.pronom, m.media_type),
        (Format::Png, "fmt/13", "image/png")
    );
    m
}

fn losses(tiff: &[u8]) -> Vec<String> {
    match migrate(tiff, Format::Png, false) {
        Err(FormatError::LossyMigration { from, to, losses }) => {
            assert_eq!((from, to), (Format::Tiff, Format::Png));
            assert!(!losses.is_empty());
            losses
        }
        other => panic!("expected LossyMigration, got {other:?}"),
    }
}

// ------------------------------------------------------- the sample (AR-16)

/// AR-16 / AR-20.12: the repository's scanned page migrates losslessly; both
/// sides decoded here independently of `migrate`'s own check.
#[test]
fn ar16_ar20_12_sample_scan_page_migrates_losslessly() {
    let tiff = support::read("samples/scan-page-001.tiff");
    let m = lossless(&tiff);

    let mut dec = tiff::decoder::Decoder::new(Cursor::new(&tiff)).unwrap();
    let (w, h) = dec.dimensions().unwrap();
    let tiff::decoder::DecodingResult::U8(source) = dec.read_image().unwrap() else {
        panic!("8-bit grey expected");
    };
    let png = decode_png(&m.bytes);
    assert_eq!((png.width, png.height), (w, h));
    assert_eq!((png.colour, png.depth), (png::ColorType::Grayscale, 8));
    let source: Vec<u64> = source.iter().map(|&v| u64::from(v)).collect();
    assert_eq!(png.samples, source);

    // 24 dpi is 944.88 px/m: rounded, and said so.
    assert_eq!(png.info_phys, Some((945, 945, 1)));
    let res = &m.parameters["resolution"];
    assert_eq!(res["exact"], false);
    assert!(res["note"].as_str().unwrap().contains("944.88"), "{res}");
    // ImageDescription, Software and DateTime are carried as PNG text.
    let keywords: Vec<&str> = png.text.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keywords, ["Description", "Software", "Creation Time"]);
    assert!(png.text[0].1.starts_with("Probant sample: scanned page 1"));
    assert_eq!(m.parameters["png"]["bit_depth"], 8);
    assert!(serde_json::to_string(&m.parameters).is_ok());
}

/// The tool string names the codec versions actually built (Cargo.lock), so
/// a preservation record never cites a version that did not run.
#[test]
fn ar20_12_tool_names_the_resolved_codec_versions() {
    let m = lossless(&support::read("samples/scan-page-001.tiff"));
    let lock = String::from_utf8(support::read("Cargo.lock")).unwrap();
    assert!(m
        .tool
        .starts_with(&format!("probant-formats {}", env!("CARGO_PKG_VERSION"))));
    for name in ["tiff", "png"] {
        let start = m.tool.find(&format!("{name} ")).unwrap() + name.len() + 1;
        let version: String = m.tool[start..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let entry = format!("name = \"{name}\"\nversion = \"{version}\"");
        assert!(lock.contains(&entry), "{} is not in Cargo.lock", m.tool);
    }
}

// --------------------------------------- every exact case (AR-20.12)

/// (photometric, bits, samples per pixel, extra samples, PNG colour type).
const EXACT: [(u16, u16, u16, &[u16], png::ColorType); 16] = [
    (1, 1, 1, &[], png::ColorType::Grayscale),
    (0, 1, 1, &[], png::ColorType::Grayscale),
    (1, 2, 1, &[], png::ColorType::Grayscale),
    (1, 4, 1, &[], png::ColorType::Grayscale),
    (0, 4, 1, &[], png::ColorType::Grayscale),
    (1, 8, 1, &[], png::ColorType::Grayscale),
    (0, 8, 1, &[], png::ColorType::Grayscale),
    (1, 16, 1, &[], png::ColorType::Grayscale),
    (0, 16, 1, &[], png::ColorType::Grayscale),
    (1, 8, 2, &[2], png::ColorType::GrayscaleAlpha),
    (1, 16, 2, &[2], png::ColorType::GrayscaleAlpha),
    (2, 8, 3, &[], png::ColorType::Rgb),
    (2, 16, 3, &[], png::ColorType::Rgb),
    (2, 8, 4, &[2], png::ColorType::Rgba),
    (2, 16, 4, &[2], png::ColorType::Rgba),
    (2, 8, 4, &[], png::ColorType::Rgba),
];

/// AR-20.12: each photometric / bit-depth case PNG holds exactly, on an odd
/// width (bit packing across bytes), pixel for pixel against the samples
/// written. WhiteIsZero must come out inverted: PNG grey 0 is black.
#[test]
fn ar20_12_each_exact_case_is_pixel_identical() {
    for (k, &(photometric, bits, spp, extra, colour)) in EXACT.iter().enumerate() {
        let (w, h) = (13u32, 7u32);
        let per_row = w as usize * usize::from(spp);
        let written = samples(per_row * h as usize, bits, k as u64);
        let mut raw = Raw::new(w, h, photometric, bits, spp, pack(&written, per_row, bits));
        raw.extra = extra.to_vec();
        let m = lossless(&raw.tiff());
        let png = decode_png(&m.bytes);
        let case = format!("photometric {photometric}, {bits} bits × {spp}");
        assert_eq!(
            (png.width, png.height, png.colour),
            (w, h, colour),
            "{case}"
        );
        assert_eq!(png.depth, bits as u8, "{case}");
        let max = (1u64 << bits) - 1;
        let expected: Vec<u64> = if photometric == 0 {
            written.iter().map(|v| max - v).collect()
        } else {
            written
        };
        assert_eq!(png.samples, expected, "{case}");
        let inverted = m.parameters["conversion"]
            .to_string()
            .contains("WhiteIsZero");
        assert_eq!(inverted, photometric == 0, "{case}");
    }
}

/// AR-20.12: planar RGB (one plane per colour) becomes interleaved PNG RGB.
#[test]
fn ar20_12_planar_rgb_is_interleaved_exactly() {
    let (w, h) = (5u32, 4u32);
    let n = (w * h) as usize;
    let planes: Vec<Vec<u64>> = (0..3).map(|c| samples(n, 8, 40 + c)).collect();
    let data: Vec<u8> = planes.iter().flatten().map(|&v| v as u8).collect();
    let mut raw = Raw::new(w, h, 2, 8, 3, data);
    raw.planar = true;
    let png = decode_png(&lossless(&raw.tiff()).bytes);
    let interleaved: Vec<u64> = (0..n)
        .flat_map(|i| planes.iter().map(move |p| p[i]))
        .collect();
    assert_eq!(png.samples, interleaved);
}

/// AR-20.12: the compressions decoded (PackBits, LZW, Deflate, with and
/// without predictor) all give the same exact PNG.
#[test]
fn ar20_12_compressed_sources_are_exact() {
    let (w, h) = (31u32, 17u32);
    let rgb: Vec<u8> = samples((w * h * 3) as usize, 8, 7)
        .iter()
        .map(|&v| v as u8)
        .collect();
    for (name, compression) in [
        ("PackBits", Compression::Packbits),
        ("LZW", Compression::Lzw),
        ("Deflate", Compression::Deflate(DeflateLevel::Best)),
    ] {
        for predictor in [
            tiff::tags::Predictor::None,
            tiff::tags::Predictor::Horizontal,
        ] {
            let mut out = Cursor::new(Vec::new());
            let mut enc = TiffEncoder::new(&mut out)
                .unwrap()
                .with_compression(compression)
                .with_predictor(predictor);
            enc.write_image::<colortype::RGB8>(w, h, &rgb).unwrap();
            let png = decode_png(&lossless(&out.into_inner()).bytes);
            let want: Vec<u64> = rgb.iter().map(|&v| u64::from(v)).collect();
            assert_eq!(png.samples, want, "{name} {predictor:?}");
        }
    }
}

/// Resolution: exact in pixels per centimetre, rounded (and recorded) in
/// pixels per inch; text tags become PNG text.
#[test]
fn ar20_12_resolution_and_text_are_carried() {
    for (unit, res, ppm, exact) in [(3u16, 118u32, 11_800u32, true), (2, 300, 11_811, false)] {
        let mut out = Cursor::new(Vec::new());
        let mut enc = TiffEncoder::new(&mut out).unwrap();
        let mut image = enc.new_image::<colortype::Gray8>(3, 2).unwrap();
        let unit = tiff::tags::ResolutionUnit::from_u16(unit).unwrap();
        image.resolution(unit, Rational { n: res, d: 1 });
        image
            .encoder()
            .write_tag(Tag::ImageDescription, "Attestation no 7, page 1")
            .unwrap();
        image.encoder().write_tag(Tag::Make, "ScanCo").unwrap();
        image.write_data(&[0, 1, 2, 3, 4, 5]).unwrap();
        let m = lossless(&out.into_inner());
        let png = decode_png(&m.bytes);
        let description = (
            "Description".to_string(),
            "Attestation no 7, page 1".to_string(),
        );
        assert_eq!(png.text, [description]);
        assert_eq!(png.info_phys, Some((ppm, ppm, 1)));
        assert_eq!(m.parameters["resolution"]["exact"], exact);
        assert_eq!(m.parameters["tiff_tags_not_carried"][0], "Make (271)");
        assert_eq!(
            m.parameters["text"]["Description"],
            "ImageDescription (270)"
        );
    }
}

// ------------------------------------------------- lossy cases (AR-20.12)

/// AR-20.12: a two-page TIFF is refused (the loss is named), and with
/// `allow_lossy` its first page is migrated exactly, the loss listed.
#[test]
fn ar20_12_multi_page_is_refused_then_first_page_with_allow_lossy() {
    let (w, h) = (6u32, 5u32);
    let first = samples((w * h) as usize, 8, 1);
    let mut out = Cursor::new(Vec::new());
    let mut enc = TiffEncoder::new(&mut out).unwrap();
    let page: Vec<u8> = first.iter().map(|&v| v as u8).collect();
    enc.write_image::<colortype::Gray8>(w, h, &page).unwrap();
    enc.write_image::<colortype::Gray8>(w, h, &[9; 30]).unwrap();
    let tiff = out.into_inner();

    let refused = losses(&tiff);
    assert!(refused[0].contains("2 pages"), "{refused:?}");
    let message = migrate(&tiff, Format::Png, false).unwrap_err().to_string();
    assert!(message.contains("only page 1 is migrated"), "{message}");

    let m = migrate(&tiff, Format::Png, true).unwrap();
    assert!(!m.lossless);
    assert_eq!(m.losses, refused);
    identify_and_validate(&m.bytes).unwrap();
    assert_eq!(decode_png(&m.bytes).samples, first);
}

/// AR-20.12: CMYK is refused; with `allow_lossy` it becomes RGB by the
/// documented formula, and the loss is listed.
#[test]
fn ar20_12_cmyk_is_refused_then_converted_with_allow_lossy() {
    let cmyk: [u8; 16] = [0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 255, 100, 50, 200, 30];
    let mut out = Cursor::new(Vec::new());
    TiffEncoder::new(&mut out)
        .unwrap()
        .write_image::<colortype::CMYK8>(2, 2, &cmyk)
        .unwrap();
    let tiff = out.into_inner();
    assert!(losses(&tiff).iter().any(|l| l.contains("CMYK")));

    let m = migrate(&tiff, Format::Png, true).unwrap();
    assert!(!m.lossless && m.losses.iter().any(|l| l.contains("CMYK")));
    let png = decode_png(&m.bytes);
    assert_eq!((png.colour, png.depth), (png::ColorType::Rgb, 8));
    let rgb = |c: u64, k: u64| ((255 - c) * (255 - k) * 2 + 255) / 510;
    let expected = [
        [255, 255, 255],
        [0, 255, 255],
        [0, 0, 0],
        [rgb(100, 30), rgb(50, 30), rgb(200, 30)],
    ];
    assert_eq!(png.samples, expected.concat());
}

/// AR-20.12: premultiplied alpha is refused; with `allow_lossy` colours
/// are divided by alpha.
#[test]
fn ar20_12_associated_alpha_is_refused_then_unpremultiplied() {
    // RGBA pixels: half-transparent premultiplied grey, and fully transparent.
    let mut raw = Raw::new(2, 1, 2, 8, 4, vec![64, 64, 64, 128, 0, 0, 0, 0]);
    raw.extra = vec![1];
    let tiff = raw.tiff();
    assert!(losses(&tiff)[0].contains("premultiplied"));
    let m = migrate(&tiff, Format::Png, true).unwrap();
    assert_eq!(
        decode_png(&m.bytes).samples,
        [128, 128, 128, 128, 0, 0, 0, 0]
    );
}

/// AR-20.12: what PNG has no place for is named: extra samples, an
/// orientation, a bit depth PNG lacks.
#[test]
fn ar20_12_other_losses_are_named() {
    let mut extra = Raw::new(2, 2, 1, 8, 2, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    extra.extra = vec![0];
    assert!(losses(&extra.tiff())[0].contains("extra sample"));
    let m = migrate(&extra.tiff(), Format::Png, true).unwrap();
    assert_eq!(decode_png(&m.bytes).samples, [1, 3, 5, 7]);

    let mut turned = Raw::new(2, 1, 1, 8, 1, vec![1, 2]);
    turned.tags.push((274, 6));
    assert!(losses(&turned.tiff())[0].contains("Orientation 6"));

    // 32-bit grey: rescaled to 16 bits.
    let mut out = Cursor::new(Vec::new());
    TiffEncoder::new(&mut out)
        .unwrap()
        .write_image::<colortype::Gray32>(2, 1, &[u32::MAX, 65_537])
        .unwrap();
    let tiff = out.into_inner();
    assert!(losses(&tiff)[0].contains("32-bit"));
    let png = decode_png(&migrate(&tiff, Format::Png, true).unwrap().bytes);
    assert_eq!((png.depth, png.samples), (16, vec![65_535, 1]));

    // 3-bit grey: PNG has 2 and 4 but not 3; rescaled to 8 bits.
    let three = Raw::new(3, 1, 1, 3, 1, pack(&[0, 7, 3], 3, 3));
    assert!(losses(&three.tiff())[0].contains("3-bit"));
    let png = decode_png(&migrate(&three.tiff(), Format::Png, true).unwrap().bytes);
    assert_eq!((png.depth, png.samples), (8, vec![0, 255, 109]));
}

// ------------------------------------------------------------ refusals

/// Floating-point and palette images have no reasonable conversion: refused
/// as unsupported even with `allow_lossy`.
#[test]
fn ar20_12_unconvertible_sources_are_unsupported() {
    let mut out = Cursor::new(Vec::new());
    TiffEncoder::new(&mut out)
        .unwrap()
        .write_image::<colortype::Gray32Float>(1, 1, &[0.5])
        .unwrap();
    let mut palette = Raw::new(2, 1, 3, 8, 1, vec![0, 1]);
    palette.tags.push((320, 0)); // a (truncated) ColorMap: never reached
    for (tiff, what) in [
        (out.into_inner(), "floating-point"),
        (palette.tiff(), "palette"),
    ] {
        for allow_lossy in [false, true] {
            match migrate(&tiff, Format::Png, allow_lossy) {
                Err(e @ FormatError::MigrationUnsupported { .. }) => {
                    assert!(e.to_string().contains(what), "{e}");
                }
                other => panic!("{what}: expected MigrationUnsupported, got {other:?}"),
            }
        }
    }
}

/// AR-16: a damaged source is refused with the crate's own errors, and no
/// PNG is produced from it.
#[test]
fn ar16_corrupt_or_truncated_tiff_is_refused() {
    let tiff = support::read("samples/scan-page-001.tiff");
    let cut = &tiff[..tiff.len() / 2];
    assert!(matches!(
        migrate(cut, Format::Png, true),
        Err(FormatError::Truncated {
            format: Format::Tiff,
            ..
        })
    ));
    // Structurally valid, but the LZW data (not decoded by validation) is garbage.
    let mut out = Cursor::new(Vec::new());
    TiffEncoder::new(&mut out)
        .unwrap()
        .with_compression(Compression::Lzw)
        .write_image::<colortype::Gray8>(64, 64, &[7; 4096])
        .unwrap();
    let mut damaged = out.into_inner();
    damaged[8..40].fill(0xFF);
    identify_and_validate(&damaged).expect("the structure is intact");
    let err = migrate(&damaged, Format::Png, true).unwrap_err();
    assert_eq!(err.format(), Some(Format::Tiff), "{err}");
    assert!(
        matches!(
            err,
            FormatError::Corrupt { .. } | FormatError::Truncated { .. }
        ),
        "{err:?}"
    );
    assert!(matches!(
        migrate(b"", Format::Png, true),
        Err(FormatError::Empty)
    ));
}

/// Pairs other than TIFF → PNG are refused, listing what is supported.
#[test]
fn ar20_12_unsupported_pairs_are_refused_with_the_supported_list() {
    assert_eq!(supported_migrations(), [(Format::Tiff, Format::Png)]);
    let png = support::read("crates/formats/tests/data/tiny.png");
    let tiff = support::read("samples/scan-page-001.tiff");
    for (input, to) in [
        (&png, Format::Png),
        (&tiff, Format::Pdf),
        (&tiff, Format::Tiff),
    ] {
        match migrate(input, to, true) {
            Err(e @ FormatError::MigrationUnsupported { .. }) => {
                assert!(e.to_string().contains("supported: TIFF → PNG"), "{e}");
            }
            other => panic!("expected MigrationUnsupported, got {other:?}"),
        }
    }
}

/// Decoding is bounded: an image whose samples would exceed 1 GiB is
/// refused before anything is allocated for it.
#[test]
fn ar20_12_oversized_image_is_refused_before_decoding() {
    // 40 000 × 40 000 grey, LZW: validation checks only where the one strip
    // lies, so the file is small and valid.
    let mut raw = Raw::new(40_000, 40_000, 1, 8, 1, vec![0x80, 0, 0, 0]);
    raw.tags.push((259, 5)); // overrides Compression 1: a directory holds one entry per tag
    let tiff = raw.tiff();
    identify_and_validate(&tiff).expect("structure is valid");
    match migrate(&tiff, Format::Png, true) {
        Err(FormatError::LimitExceeded {
            format: Format::Tiff,
            detail,
        }) => {
            assert!(detail.contains("1073741824"), "{detail}");
        }
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
}

// ------------------------------------------------------------- property

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// AR-20.12: any small greyscale or RGB image, 8 or 16 bits, migrates
    /// losslessly and pixel-identically.
    #[test]
    fn ar20_12_random_images_migrate_pixel_identically(
        w in 1u32..=64,
        h in 1u32..=64,
        kind in 0usize..4,
        seed in any::<u64>(),
    ) {
        let (spp, bits) = [(1u16, 8u16), (1, 16), (3, 8), (3, 16)][kind];
        let per_row = w as usize * usize::from(spp);
        let written = samples(per_row * h as usize, bits, seed);
        let photometric = if spp == 1 { 1 } else { 2 };
        let raw = Raw::new(w, h, photometric, bits, spp, pack(&written, per_row, bits));
        let m = migrate(&raw.tiff(), Format::Png, false).unwrap();
        prop_assert!(m.lossless);
        let png = decode_png(&m.bytes);
        prop_assert_eq!((png.width, png.height, png.depth), (w, h, bits as u8));
        prop_assert_eq!(png.colour.samples(), usize::from(spp));
        prop_assert_eq!(png.samples, written);
    }
}
