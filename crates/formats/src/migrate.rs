//! Format migration (AR-16, AR-20.12): convert a record into another
//! long-term format without losing information, and prove it.
//!
//! A migrated copy is only evidence if nothing was lost on the way, so the
//! output is never assumed right. After encoding, it is decoded again with an
//! independent decoder and compared sample by sample with the source as
//! decoded; it must also pass this crate's own validation. What the target
//! cannot hold exactly is named in `losses` and refused unless the caller
//! allows a lossy migration. `docs/formats.md` ("Migration") lists every case.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

use serde_json::{json, Value};
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;
use tiff::{ColorType as TiffColour, TiffError};

use crate::error::{limit, truncated};
use crate::limits::{MAX_MIGRATION_SAMPLE_BYTES, MAX_TIFF_IFDS};
use crate::{identify, identify_and_validate, Format, FormatError};

/// Name and version of the converter, recorded with every migration. The
/// dependency versions are checked against `Cargo.lock` by the tests.
const TOOL: &str = concat!(
    "probant-formats ",
    env!("CARGO_PKG_VERSION"),
    " (tiff 0.11.3, png 0.18.1)"
);

const SUPPORTED: [(Format, Format); 1] = [(Format::Tiff, Format::Png)];

/// The migrations [`migrate`] performs, as (source, target) pairs.
pub fn supported_migrations() -> &'static [(Format, Format)] {
    &SUPPORTED
}

/// The result of a migration: the new bytes and what a preservation record
/// needs to say about how they were made.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Migration {
    /// The migrated file. It has passed [`crate::identify_and_validate`].
    pub bytes: Vec<u8>,
    /// The target format.
    pub format: Format,
    /// PRONOM id of the output, e.g. `fmt/13`.
    pub pronom: &'static str,
    /// Media type of the output, e.g. `image/png`.
    pub media_type: &'static str,
    /// What converted: this crate's and its codecs' names and versions.
    pub tool: String,
    /// How it converted (source description, target colour type and bit
    /// depth, compression, resolution carried and its rounding, metadata
    /// carried or not, the checks made), JSON-serialisable.
    pub parameters: BTreeMap<String, Value>,
    /// `true` only if the output was decoded again and found to hold exactly
    /// the source's samples: same width, height, channels, bit depth and values.
    pub lossless: bool,
    /// What was lost, one human-readable item each; empty iff `lossless`.
    pub losses: Vec<String>,
}

/// Migrate `input` to the format `to`, proving the result.
///
/// The source is identified by signature and validated with this crate's
/// checks first; an invalid source is refused with that error. Supported
/// pairs: [`supported_migrations`] (today TIFF → PNG). A migration that would
/// lose anything (a second page, CMYK colour, a bit depth the target lacks,
/// ...) is refused with [`FormatError::LossyMigration`] naming the losses,
/// unless `allow_lossy` is set; then the result has `lossless: false` and
/// lists them. Decoding is bounded by
/// [`MAX_MIGRATION_SAMPLE_BYTES`](crate::limits::MAX_MIGRATION_SAMPLE_BYTES).
pub fn migrate(input: &[u8], to: Format, allow_lossy: bool) -> Result<Migration, FormatError> {
    let from = match identify(input) {
        Some(from) => from,
        // No signature: let validation say precisely why (empty, unknown, UTF-16).
        None => {
            return Err(identify_and_validate(input)
                .err()
                .unwrap_or(FormatError::Unknown))
        }
    };
    if !SUPPORTED.contains(&(from, to)) {
        return Err(unsupported_pair(from, to));
    }
    identify_and_validate(input)?;
    tiff_to_png(input, allow_lossy)
}

fn unsupported_pair(from: Format, to: Format) -> FormatError {
    let supported: Vec<String> = SUPPORTED
        .iter()
        .map(|(a, b)| format!("{a} → {b}"))
        .collect();
    FormatError::MigrationUnsupported {
        from,
        to,
        detail: format!(
            "no migration from {from} to {to}; supported: {}",
            supported.join(", ")
        ),
    }
}

const FROM: Format = Format::Tiff;
const TO: Format = Format::Png;

fn unsupported(detail: impl Into<String>) -> FormatError {
    FormatError::MigrationUnsupported {
        from: FROM,
        to: TO,
        detail: detail.into(),
    }
}

fn failed(detail: impl Into<String>) -> FormatError {
    FormatError::MigrationFailed {
        from: FROM,
        to: TO,
        detail: detail.into(),
    }
}

fn tiff_to_png(input: &[u8], allow_lossy: bool) -> Result<Migration, FormatError> {
    let mut decoder = open(input)?;
    let src = Source::read(&mut decoder, input)?;
    let plan = Plan::new(&src)?;
    if !plan.losses.is_empty() && !allow_lossy {
        return Err(FormatError::LossyMigration {
            from: FROM,
            to: TO,
            losses: plan.losses,
        });
    }
    plan.check_size(&src)?;
    let decoded = Decoded::read(&mut decoder, &src, &plan)?;
    let carried = Carried::new(&src, &plan);
    let png = encode(&plan, &decoded, &carried)?;
    verify(&png, &plan, &decoded, &carried)?;
    let out = identify_and_validate(&png).map_err(|e| {
        failed(format!(
            "the PNG written fails this crate's own validation: {e}"
        ))
    })?;
    if out.format != TO {
        return Err(failed(format!(
            "the output was identified as {}",
            out.format
        )));
    }
    Ok(Migration {
        parameters: parameters(&src, &plan, &carried),
        bytes: png,
        format: out.format,
        pronom: out.pronom,
        media_type: out.media_type,
        tool: TOOL.to_string(),
        lossless: plan.losses.is_empty(),
        losses: plan.losses,
    })
}

// ------------------------------------------------------------------ source

type TiffDecoder<'a> = Decoder<Cursor<&'a [u8]>>;

fn open(input: &[u8]) -> Result<TiffDecoder<'_>, FormatError> {
    let bound = usize::try_from(MAX_MIGRATION_SAMPLE_BYTES).unwrap_or(usize::MAX);
    let mut limits = Limits::default();
    limits.decoding_buffer_size = bound;
    limits.intermediate_buffer_size = bound;
    // Room for an embedded ICC profile (tag values are read whole).
    limits.ifd_value_size = 16 << 20;
    Ok(Decoder::new(Cursor::new(input))
        .map_err(tiff_error)?
        .with_limits(limits))
}

/// Maps the tiff crate's errors onto the crate's error kinds. The source has
/// already passed validation, so what remains is image data the validator
/// does not decode (LZW, CCITT) or a variant the decoder does not handle.
fn tiff_error(e: TiffError) -> FormatError {
    match e {
        TiffError::UnsupportedError(e) => unsupported(format!(
            "the TIFF decoder (tiff 0.11) does not support this image: {e}"
        )),
        TiffError::LimitsExceeded => limit(FROM, "decoding would exceed the migration limits"),
        TiffError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            truncated(FROM, format!("image data ends early while decoding: {e}"))
        }
        other => crate::error::corrupt_at(FROM, format!("image data cannot be decoded: {other}")),
    }
}

/// The first image of the TIFF as its tags describe it.
struct Source {
    width: u32,
    height: u32,
    photometric: u16,
    /// What the decoder will deliver, or why it cannot.
    colour: Result<TiffColour, String>,
    samples_per_pixel: u16,
    extra_samples: Vec<u16>,
    sample_format: u16,
    compression: u16,
    fill_order: u16,
    orientation: u16,
    ink_set: u16,
    pages: usize,
    sub_images: u64,
    resolution: Option<Resolution>,
    icc: Option<Vec<u8>>,
    text: Vec<Text>,
    tags: BTreeSet<u16>,
}

/// XResolution, YResolution (rationals) and ResolutionUnit.
struct Resolution {
    x: (u32, u32),
    y: (u32, u32),
    unit: u16,
}

/// A TIFF ASCII tag and the PNG text keyword it is carried under.
struct Text {
    tag: u16,
    keyword: &'static str,
    value: String,
}

/// TIFF text tags carried into PNG text chunks, with the registered PNG
/// keyword (PNG 1.2 §11.3.4.2) of the same meaning.
const TEXT_TAGS: [(u16, &str); 6] = [
    (269, "Title"),
    (270, "Description"),
    (305, "Software"),
    (306, "Creation Time"),
    (315, "Author"),
    (33432, "Copyright"),
];

/// Tags the PNG re-expresses (IHDR, IDAT, pHYs) or that only describe how
/// the TIFF stores its data; they are not reported as "not carried".
const LAYOUT_TAGS: [u16; 26] = [
    254, 255, 256, 257, 258, 259, 262, 266, 273, 274, 277, 278, 279, 282, 283, 284, 296, 317, 322,
    323, 324, 325, 330, 332, 338, 339,
];

impl Source {
    fn read(d: &mut TiffDecoder<'_>, input: &[u8]) -> Result<Source, FormatError> {
        let (width, height) = d.dimensions().map_err(tiff_error)?;
        let tags = d
            .image_ifd()
            .directory()
            .iter()
            .map(|(t, _)| t.to_u16())
            .collect();
        let sub_images = d
            .image_ifd()
            .directory()
            .get(Tag::SubIfd)
            .map_or(0, |e| e.count());
        Ok(Source {
            width,
            height,
            photometric: short(d, Tag::PhotometricInterpretation)?.unwrap_or(u16::MAX),
            colour: d.colortype().map_err(|e| e.to_string()),
            samples_per_pixel: short(d, Tag::SamplesPerPixel)?.unwrap_or(1),
            extra_samples: shorts(d, Tag::ExtraSamples)?,
            sample_format: shorts(d, Tag::SampleFormat)?.first().copied().unwrap_or(1),
            compression: short(d, Tag::Compression)?.unwrap_or(1),
            fill_order: short(d, Tag::FillOrder)?.unwrap_or(1),
            orientation: short(d, Tag::Orientation)?.unwrap_or(1),
            ink_set: short(d, Tag::from_u16_exhaustive(332))?.unwrap_or(1),
            pages: count_pages(input),
            sub_images,
            resolution: resolution(d)?,
            icc: icc_profile(d)?,
            text: text_tags(d),
            tags,
        })
    }

    /// Sample bits as the decoder delivers them.
    fn bits(&self) -> u8 {
        self.colour.as_ref().map_or(0, |c| c.bit_depth())
    }
}

fn short(d: &mut TiffDecoder<'_>, tag: Tag) -> Result<Option<u16>, FormatError> {
    d.find_tag_unsigned::<u16>(tag).map_err(tiff_error)
}

fn shorts(d: &mut TiffDecoder<'_>, tag: Tag) -> Result<Vec<u16>, FormatError> {
    Ok(d.find_tag_unsigned_vec::<u16>(tag)
        .map_err(tiff_error)?
        .unwrap_or_default())
}

fn icc_profile(d: &mut TiffDecoder<'_>) -> Result<Option<Vec<u8>>, FormatError> {
    let value = d.find_tag(Tag::IccProfile).map_err(tiff_error)?;
    value
        .map(|v| v.into_u8_vec())
        .transpose()
        .map_err(tiff_error)
}

fn resolution(d: &mut TiffDecoder<'_>) -> Result<Option<Resolution>, FormatError> {
    use tiff::decoder::ifd::Value::Rational;
    let x = d.find_tag(Tag::XResolution).map_err(tiff_error)?;
    let y = d.find_tag(Tag::YResolution).map_err(tiff_error)?;
    let unit = short(d, Tag::ResolutionUnit)?.unwrap_or(2);
    Ok(match (x, y) {
        (Some(Rational(xn, xd)), Some(Rational(yn, yd))) => Some(Resolution {
            x: (xn, xd),
            y: (yn, yd),
            unit,
        }),
        _ => None,
    })
}

/// The text tags that hold a non-empty ASCII (or UTF-8) string; others are
/// left to the "not carried" list.
fn text_tags(d: &mut TiffDecoder<'_>) -> Vec<Text> {
    use tiff::decoder::ifd::Value::Ascii;
    let mut out = Vec::new();
    for (tag, keyword) in TEXT_TAGS {
        if let Ok(Some(Ascii(s))) = d.find_tag(Tag::from_u16_exhaustive(tag)) {
            let value = s.trim_end_matches('\0').to_string();
            if !value.is_empty() && !value.contains('\0') {
                out.push(Text {
                    tag,
                    keyword,
                    value,
                });
            }
        }
    }
    out
}

/// Pages in the main IFD chain. Validation has already checked that every
/// IFD lies in the file and that the chain neither loops nor exceeds
/// [`MAX_TIFF_IFDS`]; the walk still stops on either, never trusting that.
fn count_pages(b: &[u8]) -> usize {
    let le = b.starts_with(b"II");
    let u16_at = |at: usize| {
        let s = b.get(at..at.checked_add(2)?)?;
        Some(if le {
            u16::from_le_bytes([s[0], s[1]])
        } else {
            u16::from_be_bytes([s[0], s[1]])
        })
    };
    let u32_at = |at: usize| {
        let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    };
    let (mut pages, mut seen) = (0, BTreeSet::new());
    let mut next = u32_at(4);
    while let Some(at) = next.filter(|&at| at != 0).map(|at| at as usize) {
        if pages == MAX_TIFF_IFDS || !seen.insert(at) {
            break;
        }
        pages += 1;
        next = u16_at(at).and_then(|n| u32_at(at + 2 + 12 * usize::from(n)));
    }
    pages
}

// -------------------------------------------------------------------- plan

/// How decoded TIFF samples become PNG samples, and what that loses.
struct Plan {
    colour: png::ColorType,
    /// Channels per pixel the decoder delivers.
    in_channels: usize,
    /// Colour channels in the source: 1 grey, 3 RGB, 4 CMYK.
    colour_in: usize,
    alpha: bool,
    cmyk: bool,
    unpremultiply: bool,
    /// Decoded and PNG bits per sample.
    bits: u8,
    depth: u8,
    /// What was done to the samples beyond copying (for `parameters`).
    steps: Vec<String>,
    losses: Vec<String>,
}

impl Plan {
    fn new(src: &Source) -> Result<Plan, FormatError> {
        refuse_unconvertible(src)?;
        let colour = src.colour.clone().map_err(|e| {
            unsupported(format!(
                "the TIFF decoder (tiff 0.11) cannot read this image: {e}"
            ))
        })?;
        let mut plan = Plan::for_colour(src, colour)?;
        plan.structure_losses(src);
        plan.depth(src)?;
        Ok(plan)
    }

    /// Target colour type from what the decoder delivers.
    fn for_colour(src: &Source, colour: TiffColour) -> Result<Plan, FormatError> {
        use png::ColorType::{Grayscale, GrayscaleAlpha, Rgb, Rgba};
        let alpha_extra = matches!(src.extra_samples.first(), Some(1 | 2));
        let (png, in_channels, colour_in, alpha) = match colour {
            TiffColour::Gray(_) => (Grayscale, 1, 1, false),
            TiffColour::Multiband { num_samples, .. } if alpha_extra => {
                (GrayscaleAlpha, usize::from(num_samples), 1, true)
            }
            TiffColour::Multiband { num_samples, .. } => {
                (Grayscale, usize::from(num_samples), 1, false)
            }
            TiffColour::RGB(_) => (Rgb, 3, 3, false),
            TiffColour::RGBA(_) => (Rgba, 4, 3, true),
            TiffColour::CMYK(_) => (Rgb, 4, 4, false),
            TiffColour::CMYKA(_) => (Rgba, 5, 4, true),
            other => {
                return Err(unsupported(format!(
                    "colour type {other:?} has no PNG equivalent"
                )))
            }
        };
        Ok(Plan {
            colour: png,
            in_channels,
            colour_in,
            alpha,
            cmyk: colour_in == 4,
            unpremultiply: alpha && src.extra_samples.first() == Some(&1),
            bits: colour.bit_depth(),
            depth: colour.bit_depth(),
            steps: Vec::new(),
            losses: Vec::new(),
        })
    }

    /// Losses from what PNG cannot hold beside one image's colour samples.
    fn structure_losses(&mut self, src: &Source) {
        if src.pages > 1 {
            let lost = match src.pages {
                2 => "page 2 is lost".to_string(),
                n => format!("pages 2–{n} are lost"),
            };
            self.losses.push(format!(
                "the TIFF has {} pages; PNG holds one image, so only page 1 is migrated ({lost})",
                src.pages
            ));
        }
        if src.sub_images > 0 {
            self.losses.push(format!(
                "{} sub-image(s) of page 1 (SubIFDs, e.g. reduced-resolution copies) are not migrated",
                src.sub_images
            ));
        }
        if src.orientation != 1 {
            self.losses.push(format!(
                "Orientation {} (the image is to be displayed {}) has no PNG equivalent; pixels are kept in stored order, so viewers will show them unturned",
                src.orientation,
                orientation_name(src.orientation)
            ));
        }
        let kept = self.colour_in + usize::from(self.alpha);
        let dropped = usize::from(src.samples_per_pixel).saturating_sub(kept);
        if dropped > 0 {
            self.losses.push(format!(
                "{dropped} extra sample(s) per pixel (ExtraSamples {:?}) dropped: PNG has no place for them",
                src.extra_samples
            ));
        }
        self.colour_losses(src);
    }

    fn colour_losses(&mut self, src: &Source) {
        if self.cmyk {
            self.losses.push(
                "CMYK converted to RGB without a colour profile (R = (1−C)(1−K), G = (1−M)(1−K), B = (1−Y)(1−K), rounded): colours are approximate and the ink separation is lost".into(),
            );
            if src.icc.is_some() {
                self.losses
                    .push("the embedded ICC profile describes CMYK and is not carried".into());
            }
        }
        if self.unpremultiply {
            self.losses.push(
                "associated (premultiplied) alpha converted to PNG's unassociated alpha: colour samples divided by alpha and rounded, colour under alpha 0 set to 0".into(),
            );
        }
        if src.photometric == 0 {
            self.steps.push(
                "WhiteIsZero: samples inverted (v → 2^bits − 1 − v) so that 0 is black, as PNG requires; exact".into(),
            );
        }
        if self.alpha && src.extra_samples.is_empty() {
            self.steps.push(
                "no ExtraSamples tag: the last sample is taken as unassociated alpha, as the tiff crate reads it".into(),
            );
        }
    }

    /// PNG bit depth: the source's when PNG has it for the colour type, else
    /// the nearest PNG depth (a loss: sample values change).
    fn depth(&mut self, src: &Source) -> Result<(), FormatError> {
        let n = src.bits();
        let exact = match self.colour {
            png::ColorType::Grayscale => matches!(n, 1 | 2 | 4 | 8 | 16),
            _ => matches!(n, 8 | 16),
        };
        if exact {
            return Ok(());
        }
        self.depth = match n {
            1..=7 => 8,
            17..=64 => 16,
            _ => return Err(unsupported(format!("{n}-bit samples are not decoded"))),
        };
        self.losses.push(format!(
            "{n}-bit samples: PNG has no {n}-bit {}; rescaled to {} bits (v × (2^{} − 1) / (2^{n} − 1), rounded)",
            colour_name(self.colour),
            self.depth,
            self.depth
        ));
        Ok(())
    }

    fn out_channels(&self) -> usize {
        self.colour.samples()
    }

    /// Refuses, before any decoding, images whose decoded source or PNG
    /// samples would exceed [`MAX_MIGRATION_SAMPLE_BYTES`].
    fn check_size(&self, src: &Source) -> Result<(), FormatError> {
        let (w, h) = (u128::from(src.width), u128::from(src.height));
        let bits = u128::from(self.bits);
        let source = h * (w * self.in_channels as u128 * bits).div_ceil(8);
        let target = h * (w * self.out_channels() as u128 * u128::from(self.depth)).div_ceil(8);
        let max = u128::from(MAX_MIGRATION_SAMPLE_BYTES);
        if source.max(target) > max {
            return Err(limit(
                FROM,
                format!(
                    "{}×{} pixels decode to {} bytes of samples, above the migration limit of {max} bytes",
                    src.width,
                    src.height,
                    source.max(target)
                ),
            ));
        }
        Ok(())
    }

    /// The PNG samples of pixel (x, y): `out[..n]`, n = PNG channels.
    /// Rescaling comes first so that the colour arithmetic works on at most
    /// 16-bit values (no overflow, even from 64-bit sources).
    fn pixel(&self, d: &Decoded, x: usize, y: usize, out: &mut [u64; 4]) -> usize {
        let mut s = [0u64; 5];
        let used = self.colour_in + usize::from(self.alpha);
        for (c, v) in s.iter_mut().enumerate().take(used) {
            *v = rescale(d.sample(x, y, c), self.bits, self.depth);
        }
        let max = max_value(self.depth);
        if self.unpremultiply {
            unpremultiply(&mut s[..used], max);
        }
        let colours = if self.cmyk {
            cmyk_to_rgb(&mut s, max);
            3
        } else {
            self.colour_in
        };
        if self.alpha {
            s[colours] = s[used - 1];
        }
        let n = colours + usize::from(self.alpha);
        out[..n].copy_from_slice(&s[..n]);
        n
    }
}

/// Variants for which no conversion exists, even a lossy one.
fn refuse_unconvertible(src: &Source) -> Result<(), FormatError> {
    match src.photometric {
        0..=2 => {}
        5 if src.ink_set == 1 => {}
        5 => return Err(unsupported("separated inks other than CMYK (InkSet 2)")),
        p => {
            return Err(unsupported(format!(
                "PhotometricInterpretation {p} ({}) is not converted",
                photometric_name(p)
            )))
        }
    }
    if src.sample_format != 1 {
        return Err(unsupported(format!(
            "{} samples (SampleFormat {}): PNG holds unsigned integers only, and no conversion keeps their meaning without knowing their range",
            sample_format_name(src.sample_format),
            src.sample_format
        )));
    }
    if src.fill_order != 1 {
        return Err(unsupported(
            "FillOrder 2 (least significant bit first) is not decoded",
        ));
    }
    if !matches!(src.compression, 1 | 4 | 5 | 8 | 32773 | 32946) {
        return Err(unsupported(format!(
            "compression {} is not decoded here (supported: none, PackBits, LZW, Deflate, CCITT Group 4)",
            compression_name(src.compression)
        )));
    }
    Ok(())
}

fn max_value(bits: u8) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// `v` scaled from `from` to `to` bits, rounded to nearest.
fn rescale(v: u64, from: u8, to: u8) -> u64 {
    if from == to {
        return v;
    }
    let (a, b) = (u128::from(max_value(from)), u128::from(max_value(to)));
    ((u128::from(v) * b * 2 + a) / (a * 2)) as u64
}

/// Colour samples divided by the alpha (the last sample), rounded.
fn unpremultiply(s: &mut [u64], max: u64) {
    let Some((&mut a, colours)) = s.split_last_mut() else {
        return;
    };
    for c in colours {
        *c = if a == 0 {
            0
        } else {
            let v = (u128::from(*c) * u128::from(max) * 2 + u128::from(a)) / (u128::from(a) * 2);
            v.min(u128::from(max)) as u64
        };
    }
}

/// `s[0..4]` CMYK becomes `s[0..3]` RGB: R = (max−C)(max−K)/max, rounded.
fn cmyk_to_rgb(s: &mut [u64; 5], max: u64) {
    let (m, k) = (u128::from(max), u128::from(max - s[3].min(max)));
    for c in &mut s[..3] {
        let ink = m - u128::from((*c).min(max));
        *c = ((ink * k * 2 + m) / (m * 2)) as u64;
    }
}

// ----------------------------------------------------------------- samples

/// The decoded first image, in the tiff crate's layout.
struct Decoded {
    width: usize,
    height: usize,
    channels: usize,
    bits: u8,
    planar: bool,
    data: DecodingResult,
}

impl Decoded {
    fn read(d: &mut TiffDecoder<'_>, src: &Source, plan: &Plan) -> Result<Decoded, FormatError> {
        let mut data = DecodingResult::U8(Vec::new());
        let layout = d.read_image_to_buffer(&mut data).map_err(tiff_error)?;
        let decoded = Decoded {
            width: src.width as usize,
            height: src.height as usize,
            channels: plan.in_channels,
            bits: plan.bits,
            planar: layout.planes > 1,
            data,
        };
        if decoded.len() < decoded.expected_len() {
            return Err(failed(format!(
                "the TIFF decoder returned {} samples where {} were expected",
                decoded.len(),
                decoded.expected_len()
            )));
        }
        Ok(decoded)
    }

    /// Elements (bytes when packed) per row of one plane, and planes.
    fn row_len(&self) -> (usize, usize) {
        let per_row = if self.planar {
            self.width
        } else {
            self.width * self.channels
        };
        let planes = if self.planar { self.channels } else { 1 };
        if self.bits < 8 {
            ((per_row * usize::from(self.bits)).div_ceil(8), planes)
        } else {
            (per_row, planes)
        }
    }

    fn expected_len(&self) -> usize {
        let (row, planes) = self.row_len();
        row * self.height * planes
    }

    fn len(&self) -> usize {
        match &self.data {
            DecodingResult::U8(v) => v.len(),
            DecodingResult::U16(v) => v.len(),
            DecodingResult::U32(v) => v.len(),
            DecodingResult::U64(v) => v.len(),
            _ => 0,
        }
    }

    /// Channel `c` of pixel (x, y); its length was checked in `read`.
    fn sample(&self, x: usize, y: usize, c: usize) -> u64 {
        let (row_len, _) = self.row_len();
        let (row, i) = if self.planar {
            (c * self.height + y, x)
        } else {
            (y, x * self.channels + c)
        };
        let at = row * row_len;
        match &self.data {
            DecodingResult::U8(v) if self.bits < 8 => v
                .get(at..)
                .and_then(|row| bits_at(row, i * usize::from(self.bits), self.bits))
                .unwrap_or(0),
            DecodingResult::U8(v) => v.get(at + i).map_or(0, |&s| u64::from(s)),
            DecodingResult::U16(v) => v.get(at + i).map_or(0, |&s| u64::from(s)),
            DecodingResult::U32(v) => v.get(at + i).map_or(0, |&s| u64::from(s)),
            DecodingResult::U64(v) => v.get(at + i).copied().unwrap_or(0),
            _ => 0,
        }
    }
}

/// The `n`-bit value (n ≤ 8) starting `bit` bits into `b`, most significant
/// bit first: the packing of both TIFF (FillOrder 1) and PNG rows.
fn bits_at(b: &[u8], bit: usize, n: u8) -> Option<u64> {
    (bit..bit + usize::from(n)).try_fold(0u64, |v, k| {
        let byte = b.get(k / 8)?;
        Some(v << 1 | u64::from(byte >> (7 - k % 8) & 1))
    })
}

/// Appends samples to PNG scanlines: big-endian 16-bit, or packed MSB first.
struct RowWriter<'a> {
    out: &'a mut Vec<u8>,
    depth: u8,
    acc: u8,
    filled: u8,
}

impl RowWriter<'_> {
    fn push(&mut self, v: u64) {
        match self.depth {
            16 => self.out.extend_from_slice(&(v as u16).to_be_bytes()),
            8 => self.out.push(v as u8),
            n => {
                self.acc = self.acc << n | (v as u8 & ((1 << n) - 1));
                self.filled += n;
                if self.filled == 8 {
                    self.flush();
                }
            }
        }
    }

    /// Writes out the byte being packed; at the end of a row, a partly
    /// filled byte is padded with zero bits.
    fn flush(&mut self) {
        if self.filled > 0 {
            self.out.push(self.acc << (8 - self.filled));
            (self.acc, self.filled) = (0, 0);
        }
    }
}

// --------------------------------------------------------------- png side

/// What the PNG carries beside the samples.
struct Carried {
    phys: Option<png::PixelDimensions>,
    resolution: Value,
    icc: Option<Vec<u8>>,
    text: Vec<(&'static str, String)>,
}

impl Carried {
    fn new(src: &Source, plan: &Plan) -> Carried {
        let (phys, resolution) = phys(src.resolution.as_ref());
        Carried {
            phys,
            resolution,
            // A profile describes the source's colour space; after CMYK → RGB it no longer applies.
            icc: src.icc.clone().filter(|_| !plan.cmyk),
            text: src
                .text
                .iter()
                .map(|t| (t.keyword, t.value.clone()))
                .collect(),
        }
    }
}

const DEFLATE_LEVEL: u8 = 9;

fn encode(plan: &Plan, d: &Decoded, carried: &Carried) -> Result<Vec<u8>, FormatError> {
    let samples = scanlines(plan, d);
    let mut info = png::Info::with_size(d.width as u32, d.height as u32);
    info.color_type = plan.colour;
    info.bit_depth = png::BitDepth::from_u8(plan.depth)
        .ok_or_else(|| failed(format!("bit depth {} is not a PNG bit depth", plan.depth)))?;
    info.pixel_dims = carried.phys;
    info.icc_profile = carried.icc.as_deref().map(Into::into);
    let mut out = Vec::new();
    let encoding = |e: png::EncodingError| failed(format!("the PNG encoder failed: {e}"));
    let mut encoder = png::Encoder::with_info(&mut out, info).map_err(encoding)?;
    encoder.set_deflate_compression(png::DeflateCompression::Level(DEFLATE_LEVEL));
    encoder.set_filter(png::Filter::Adaptive);
    for (keyword, text) in &carried.text {
        // tEXt is Latin-1: anything beyond ASCII goes into a UTF-8 iTXt chunk.
        let added = if text.is_ascii() {
            encoder.add_text_chunk(keyword.to_string(), text.clone())
        } else {
            encoder.add_itxt_chunk(keyword.to_string(), text.clone())
        };
        added.map_err(encoding)?;
    }
    let mut writer = encoder.write_header().map_err(encoding)?;
    writer.write_image_data(&samples).map_err(encoding)?;
    writer.finish().map_err(encoding)?;
    Ok(out)
}

/// The image as PNG scanlines (without filter bytes).
fn scanlines(plan: &Plan, d: &Decoded) -> Vec<u8> {
    let row = (d.width * plan.out_channels() * usize::from(plan.depth)).div_ceil(8);
    let mut out = Vec::with_capacity(row * d.height);
    let mut px = [0u64; 4];
    for y in 0..d.height {
        let mut w = RowWriter {
            out: &mut out,
            depth: plan.depth,
            acc: 0,
            filled: 0,
        };
        for x in 0..d.width {
            let n = plan.pixel(d, x, y, &mut px);
            px[..n].iter().for_each(|&v| w.push(v));
        }
        w.flush();
    }
    out
}

/// Decodes the PNG again, with the `png` crate's decoder and no
/// transformation, and compares every sample with what the plan makes of the
/// decoded TIFF (for a lossless plan: the TIFF's samples themselves), then
/// the header and the metadata carried. Rows are streamed: memory stays one row.
fn verify(png: &[u8], plan: &Plan, d: &Decoded, carried: &Carried) -> Result<(), FormatError> {
    let bound = usize::try_from(MAX_MIGRATION_SAMPLE_BYTES).unwrap_or(usize::MAX);
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(png), png::Limits { bytes: bound });
    decoder.set_transformations(png::Transformations::IDENTITY);
    let decoding = |e: png::DecodingError| failed(format!("the PNG written does not decode: {e}"));
    let mut reader = decoder.read_info().map_err(decoding)?;
    check_header(reader.info(), plan, d, carried)?;
    let mut expected = [0u64; 4];
    let mut y = 0;
    while let Some(row) = reader.next_row().map_err(decoding)? {
        if y == d.height {
            return Err(failed("the PNG holds more rows than the source"));
        }
        for x in 0..d.width {
            let n = plan.pixel(d, x, y, &mut expected);
            for (c, &want) in expected[..n].iter().enumerate() {
                let got = png_sample(row.data(), x * n + c, plan.depth);
                if got != Some(want) {
                    let got = got.map_or("nothing".into(), |v| v.to_string());
                    return Err(failed(format!(
                        "sample ({x}, {y}) channel {c}: the PNG holds {got}, expected {want}"
                    )));
                }
            }
        }
        y += 1;
    }
    if y != d.height {
        return Err(failed(format!(
            "the PNG holds {y} rows, the source {}",
            d.height
        )));
    }
    reader.finish().map_err(decoding)
}

fn check_header(
    info: &png::Info<'_>,
    plan: &Plan,
    d: &Decoded,
    carried: &Carried,
) -> Result<(), FormatError> {
    let header = (
        info.width,
        info.height,
        info.color_type,
        info.bit_depth as u8,
    );
    let want = (d.width as u32, d.height as u32, plan.colour, plan.depth);
    if header != want || info.interlaced {
        return Err(failed(format!(
            "the PNG header says {header:?}, expected {want:?}"
        )));
    }
    // Lossless means the very channels and depth of the source, not merely of the plan.
    if plan.losses.is_empty() && (plan.out_channels(), plan.depth) != (d.channels, d.bits) {
        return Err(failed(
            "a plan without losses changed channels or bit depth",
        ));
    }
    let phys = |p: Option<png::PixelDimensions>| p.map(|p| (p.xppu, p.yppu, p.unit as u8));
    if phys(info.pixel_dims) != phys(carried.phys)
        || info.icc_profile.as_deref() != carried.icc.as_deref()
    {
        return Err(failed(
            "the PNG's pHYs or iCCP chunk differs from what was written",
        ));
    }
    let mut text: Vec<(String, String)> = info
        .uncompressed_latin1_text
        .iter()
        .map(|t| (t.keyword.clone(), t.text.clone()))
        .collect();
    for t in &info.utf8_text {
        text.push((t.keyword.clone(), t.get_text().unwrap_or_default()));
    }
    let written: Vec<(String, String)> = carried
        .text
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    if text != written {
        return Err(failed("the PNG's text chunks differ from what was written"));
    }
    Ok(())
}

/// Sample `i` of a PNG scanline at `depth` bits.
fn png_sample(row: &[u8], i: usize, depth: u8) -> Option<u64> {
    match depth {
        16 => row
            .get(2 * i..2 * i + 2)
            .map(|s| u64::from(u16::from_be_bytes([s[0], s[1]]))),
        8 => row.get(i).map(|&s| u64::from(s)),
        n => bits_at(row, i * usize::from(n), n),
    }
}

// --------------------------------------------------------------- metadata

/// The pHYs chunk for the TIFF's resolution, and how exactly it carries it.
fn phys(res: Option<&Resolution>) -> (Option<png::PixelDimensions>, Value) {
    let Some(r) = res else {
        return (None, json!({ "tiff": "absent", "png": "no pHYs chunk" }));
    };
    let tiff = json!({
        "x": format!("{}/{}", r.x.0, r.x.1),
        "y": format!("{}/{}", r.y.0, r.y.1),
        "unit": unit_name(r.unit),
    });
    let carried = match r.unit {
        1 => aspect_ratio(r),
        2 | 3 => metric(r),
        _ => None,
    };
    match carried {
        Some((p, exact, note)) => {
            let unit = if p.unit == png::Unit::Meter {
                "metre"
            } else {
                "none (aspect ratio)"
            };
            let png = json!({ "x": p.xppu, "y": p.yppu, "unit": unit });
            let value = json!({ "tiff": tiff, "png": png, "exact": exact, "note": note });
            (Some(p), value)
        }
        None => {
            let note =
                "not representable in pHYs (zero, unknown unit or out of range): no pHYs chunk";
            (None, json!({ "tiff": tiff, "png": note }))
        }
    }
}

/// Units inch and centimetre: pHYs in pixels per metre, rounded when the
/// TIFF value has no whole-number equivalent.
fn metric(r: &Resolution) -> Option<(png::PixelDimensions, bool, String)> {
    let (x, y) = (per_metre(r.x, r.unit)?, per_metre(r.y, r.unit)?);
    let note = if r.x == r.y {
        x.2
    } else {
        format!("x: {}; y: {}", x.2, y.2)
    };
    let phys = png::PixelDimensions {
        xppu: x.0,
        yppu: y.0,
        unit: png::Unit::Meter,
    };
    Some((phys, x.1 && y.1, note))
}

/// Pixels per metre for `n/d` pixels per inch (unit 2) or centimetre (3):
/// (rounded value, exact?, explanation).
fn per_metre((n, d): (u32, u32), unit: u16) -> Option<(u32, bool, String)> {
    // 1 inch = 0.0254 m: px/m = px/in × 5000/127.
    let (num, den, per) = match unit {
        2 => (u128::from(n) * 5000, u128::from(d) * 127, "inch"),
        _ => (u128::from(n) * 100, u128::from(d), "cm"),
    };
    if den == 0 || n == 0 {
        return None;
    }
    let rounded = u32::try_from((num * 2 + den) / (den * 2))
        .ok()
        .filter(|&v| v > 0)?;
    let exact = num % den == 0;
    let back = match unit {
        2 => f64::from(rounded) * 0.0254,
        _ => f64::from(rounded) / 100.0,
    };
    let note = if exact {
        format!("{n}/{d} px/{per} = {rounded} px/m exactly")
    } else {
        format!(
            "{n}/{d} px/{per} = {:.4} px/m, stored as {rounded} px/m (= {back:.4} px/{per}): pHYs holds whole pixels per metre",
            num as f64 / den as f64
        )
    };
    Some((rounded, exact, note))
}

/// Unit "none": only the pixel aspect ratio is meaningful, carried in pHYs
/// with unit 0 as the smallest whole numbers of the same ratio.
fn aspect_ratio(r: &Resolution) -> Option<(png::PixelDimensions, bool, String)> {
    let (xn, xd) = (u128::from(r.x.0), u128::from(r.x.1));
    let (yn, yd) = (u128::from(r.y.0), u128::from(r.y.1));
    let (x, y) = (xn * yd, yn * xd);
    if x == 0 || y == 0 {
        return None;
    }
    let g = gcd(x, y);
    let phys = png::PixelDimensions {
        xppu: u32::try_from(x / g).ok()?,
        yppu: u32::try_from(y / g).ok()?,
        unit: png::Unit::Unspecified,
    };
    Some((
        phys,
        true,
        "unit none: the pixel aspect ratio is carried exactly".into(),
    ))
}

fn gcd(a: u128, b: u128) -> u128 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn parameters(src: &Source, plan: &Plan, carried: &Carried) -> BTreeMap<String, Value> {
    let carried_tags: Vec<u16> = src.text.iter().map(|t| t.tag).collect();
    let not_carried: Vec<String> = src
        .tags
        .iter()
        .filter(|t| !LAYOUT_TAGS.contains(t) && !carried_tags.contains(t))
        .filter(|&&t| !(t == 34675 && carried.icc.is_some()))
        .map(|&t| tag_name(t))
        .collect();
    let text: BTreeMap<&str, String> = src
        .text
        .iter()
        .map(|t| (t.keyword, tag_name(t.tag)))
        .collect();
    let mut p = BTreeMap::new();
    p.insert("source".into(), source_json(src));
    p.insert(
        "png".into(),
        json!({
            "colour_type": colour_name(plan.colour),
            "bit_depth": plan.depth,
            "interlace": "none",
            "compression": format!("deflate level {DEFLATE_LEVEL}"),
            "filter": "adaptive (chosen per row)",
        }),
    );
    p.insert("conversion".into(), json!(plan.steps));
    p.insert("resolution".into(), carried.resolution.clone());
    let icc = match (&src.icc, &carried.icc) {
        (_, Some(icc)) => format!("carried in iCCP ({} bytes)", icc.len()),
        (Some(_), None) => "not carried (colour converted)".into(),
        (None, None) => "none".into(),
    };
    p.insert("icc_profile".into(), json!(icc));
    p.insert("text".into(), json!(text));
    p.insert("tiff_tags_not_carried".into(), json!(not_carried));
    p.insert("verification".into(), json!(
        "PNG decoded again with the png crate (no transformation): width, height, colour type, bit depth, every sample, pHYs, iCCP and text compared; output validated as PNG by probant-formats"
    ));
    p
}

fn source_json(src: &Source) -> Value {
    json!({
        "format": "TIFF (fmt/353)",
        "width": src.width,
        "height": src.height,
        "photometric": format!("{} ({})", photometric_name(src.photometric), src.photometric),
        "compression": compression_name(src.compression),
        "bits_per_sample": src.bits(),
        "samples_per_pixel": src.samples_per_pixel,
        "extra_samples": src.extra_samples,
        "pages": src.pages,
    })
}

// ------------------------------------------------------------------ names

fn colour_name(c: png::ColorType) -> &'static str {
    match c {
        png::ColorType::Grayscale => "greyscale (0)",
        png::ColorType::Rgb => "RGB (2)",
        png::ColorType::Indexed => "palette (3)",
        png::ColorType::GrayscaleAlpha => "greyscale with alpha (4)",
        png::ColorType::Rgba => "RGB with alpha (6)",
    }
}

fn photometric_name(p: u16) -> &'static str {
    match p {
        0 => "WhiteIsZero",
        1 => "BlackIsZero",
        2 => "RGB",
        3 => "palette colour",
        4 => "transparency mask",
        5 => "separated (CMYK)",
        6 => "YCbCr",
        8 => "CIE L*a*b*",
        9 => "ICC L*a*b*",
        10 => "ITU L*a*b*",
        32844 | 32845 => "LogLuv",
        _ => "unknown",
    }
}

fn sample_format_name(f: u16) -> &'static str {
    match f {
        2 => "signed integer",
        3 => "floating-point",
        4 => "undefined",
        _ => "unknown",
    }
}

fn compression_name(c: u16) -> String {
    let name = match c {
        1 => "none",
        2 => "CCITT RLE",
        3 => "CCITT Group 3",
        4 => "CCITT Group 4",
        5 => "LZW",
        6 | 7 => "JPEG",
        8 | 32946 => "Deflate",
        32773 => "PackBits",
        _ => "unknown",
    };
    format!("{name} ({c})")
}

fn orientation_name(o: u16) -> &'static str {
    match o {
        2 => "mirrored left to right",
        3 => "turned 180°",
        4 => "mirrored top to bottom",
        5 => "mirrored along the main diagonal",
        6 => "turned 90° clockwise",
        7 => "mirrored along the other diagonal",
        8 => "turned 90° counter-clockwise",
        _ => "in an undefined way",
    }
}

fn unit_name(u: u16) -> &'static str {
    match u {
        1 => "none",
        2 => "inch",
        3 => "centimetre",
        _ => "unknown",
    }
}

fn tag_name(t: u16) -> String {
    match Tag::from_u16_exhaustive(t) {
        Tag::Unknown(_) => format!("tag {t}"),
        known => format!("{known:?} ({t})"),
    }
}
