//! What a file was identified as.

use std::fmt;

/// A format family this crate identifies and validates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Format {
    /// PDF 1.0–1.7 and 2.0 (ISO 32000), including files that claim PDF/A.
    Pdf,
    /// TIFF 6.0 (classic, 32-bit offsets).
    Tiff,
    /// PNG (ISO/IEC 15948).
    Png,
    /// JPEG (ISO/IEC 10918-1), plain, JFIF or Exif.
    Jpeg,
    /// JPEG 2000 Part 1: a JP2 file, or a raw codestream.
    Jpeg2000,
    /// XML 1.0 in UTF-8.
    Xml,
    /// JSON (RFC 8259) whose top-level value is an object or an array.
    Json,
    /// Plain text in UTF-8.
    Utf8Text,
}

impl Format {
    /// Every format, in the order `identify` tries them.
    pub const ALL: [Format; 8] = [
        Format::Pdf,
        Format::Tiff,
        Format::Png,
        Format::Jpeg,
        Format::Jpeg2000,
        Format::Xml,
        Format::Json,
        Format::Utf8Text,
    ];
}

impl Format {
    /// The generic media type of the family, for a record accepted under a
    /// policy without validation (a validated file's [`Identification`] is
    /// more precise, e.g. `image/j2c` for a raw JPEG 2000 codestream).
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Tiff => "image/tiff",
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Jpeg2000 => "image/jp2",
            Format::Xml => "application/xml",
            Format::Json => "application/json",
            Format::Utf8Text => "text/plain",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Pdf => "PDF",
            Format::Tiff => "TIFF",
            Format::Png => "PNG",
            Format::Jpeg => "JPEG",
            Format::Jpeg2000 => "JPEG 2000",
            Format::Xml => "XML",
            Format::Json => "JSON",
            Format::Utf8Text => "UTF-8 text",
        })
    }
}

/// What a file was identified as, after its structure was validated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Identification {
    /// The format family.
    pub format: Format,
    /// The PRONOM unique identifier (PUID), e.g. `fmt/477`.
    pub pronom: &'static str,
    /// The media type, e.g. `application/pdf`.
    pub media_type: &'static str,
    /// PRONOM's name for the format, e.g. `Acrobat PDF/A - Portable Document Format`.
    pub name: &'static str,
    /// The version the file declares (PDF header, JFIF or Exif version, XML
    /// declaration), when it declares one.
    pub version: Option<String>,
    /// The PDF/A part and conformance level *claimed* in the XMP metadata,
    /// e.g. `PDF/A-2b`. A claim, not a verified conformance: see the crate docs.
    pub pdfa: Option<String>,
    /// Observations that did not make the file invalid but that an archivist
    /// may want to record (what was not checked, encryption, odd but legal
    /// structures).
    pub notes: Vec<String>,
}

impl Identification {
    pub(crate) fn new(
        format: Format,
        pronom: &'static str,
        media_type: &'static str,
        name: &'static str,
    ) -> Self {
        Identification {
            format,
            pronom,
            media_type,
            name,
            version: None,
            pdfa: None,
            notes: Vec::new(),
        }
    }
}
