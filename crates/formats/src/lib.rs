//! # probant-formats — identification and structural validation of long-term formats (AR-16)
//!
//! The Royal Decree of 7 December 2016 (AR-16) asks that records be kept in
//! standardised, documented formats whose integrity can be checked. This crate
//! identifies a file **by its signature** (never by its name) and **validates
//! its structure** with the checks the format itself makes possible: chunk
//! CRCs, end markers, offsets that must stay within the file, cross-reference
//! tables, well-formedness, UTF-8. A decoder that repairs or tolerates damage
//! is not a validator: every check here refuses on the first violation and
//! says which structure, at which offset.
//!
//! ```
//! let id = probant_formats::identify_and_validate(br#"{"niss": "85073003328"}"#).unwrap();
//! assert_eq!(id.format, probant_formats::Format::Json);
//! assert_eq!(id.pronom, "fmt/817");
//! ```
//!
//! Guarantees: no I/O, no clock, no `unsafe`; input is a byte slice. Every walk
//! is linear in the input length (bounded decompression aside: inflating PNG
//! or TIFF image data costs at most the deflate expansion ratio times the
//! input), and no allocation is sized from a length field the file declares:
//! lengths are checked against the bytes actually present first. Limits are
//! in [`limits`]. No panic on any input (property-tested and fuzzed).
//!
//! Migration ([`migrate`], AR-20.12) converts a TIFF into a PNG and proves it:
//! the PNG is decoded again and compared sample by sample with the TIFF,
//! and anything PNG cannot hold is refused unless a lossy migration is
//! explicitly allowed, in which case the losses are listed.
//!
//! Not guaranteed: that an image decodes to the intended pixels (entropy-coded
//! JPEG and JPEG 2000 data are not decoded), that a PDF renders, or that a PDF
//! is PDF/A-conformant: the PDF/A level is read from the XMP metadata as a
//! *claim*; no PDF/A validator exists in Rust and none is bundled.
//! `docs/formats.md` lists exactly what is and is not checked per format.
#![forbid(unsafe_code)]

mod bytes;
mod error;
mod format;
mod identify;
mod jp2;
mod jpeg;
mod json;
mod migrate;
mod pdf;
mod png;
mod text;
mod tiff;
mod xml;

pub use error::FormatError;
pub use format::{Format, Identification};
pub use identify::identify;
pub use migrate::{migrate, supported_migrations, Migration};
pub use text::TextStream;

use identify::Kind;

/// Documented limits. A file beyond one is refused with
/// [`FormatError::LimitExceeded`] rather than processed without bound.
pub mod limits {
    /// Bytes looked at to decide whether content is text (no C0 controls).
    pub const TEXT_SNIFF_LEN: usize = 1024;
    /// Maximum number of TIFF image file directories (pages, sub-images, Exif/GPS IFDs).
    pub const MAX_TIFF_IFDS: usize = 1024;
    /// Maximum nesting of JSON arrays and objects.
    pub const MAX_JSON_DEPTH: usize = 64;
    /// Maximum number of XML nodes (elements, attributes-free text, comments, PIs),
    /// including those produced by expanding internal entities.
    pub const MAX_XML_NODES: u32 = 10_000_000;
    /// Maximum number of PDF cross-reference sections (incremental updates) followed.
    pub const MAX_PDF_XREF_SECTIONS: usize = 1024;
    /// Maximum nesting of PDF arrays and dictionaries in a parsed object.
    pub const MAX_PDF_NESTING: usize = 64;
    /// Maximum number of JP2 boxes walked (top level plus inside `jp2h`).
    pub const MAX_JP2_BOXES: usize = 65_536;
    /// Maximum bytes of decoded samples in a migration, for the source image
    /// and for the converted one alike (1 GiB), checked before decoding.
    pub const MAX_MIGRATION_SAMPLE_BYTES: u64 = 1 << 30;
}

/// Identify by signature (never by file name) and validate the structure.
///
/// On success the [`Identification`] names the format, its PRONOM id and media
/// type, the declared version and, for PDF, the claimed PDF/A level. On failure
/// the [`FormatError`] says precisely what is wrong (which chunk, marker, tag or
/// object, and at which offset).
pub fn identify_and_validate(bytes: &[u8]) -> Result<Identification, FormatError> {
    let kind = identify::sniff(bytes).ok_or(if bytes.is_empty() {
        FormatError::Empty
    } else {
        FormatError::Unknown
    })?;
    match kind {
        Kind::Pdf => pdf::validate(bytes),
        Kind::Tiff => tiff::validate(bytes),
        Kind::BigTiff => Err(error::unsupported(
            Format::Tiff,
            "BigTIFF (64-bit offsets, PRONOM fmt/1917) is not validated; save the image as classic TIFF",
        )),
        Kind::Png => png::validate(bytes),
        Kind::Jpeg => jpeg::validate(bytes),
        Kind::Jp2 => jp2::validate_jp2(bytes),
        Kind::J2kCodestream => jp2::validate_codestream_file(bytes),
        Kind::Xml => xml::validate(bytes),
        Kind::Json => json::validate(bytes),
        Kind::Text => text::validate(bytes),
        Kind::Utf16 { xml } => Err(error::unsupported(
            if xml { Format::Xml } else { Format::Utf8Text },
            "UTF-16 encoded text (byte order mark FF FE or FE FF): only UTF-8 is accepted; convert the file to UTF-8",
        )),
    }
}
