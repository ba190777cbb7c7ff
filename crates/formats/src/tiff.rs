//! TIFF 6.0 (classic): IFD chain walk with loop and overlap detection, every
//! entry's values within the file, required image tags, strip/tile layout,
//! and, for uncompressed, PackBits and Deflate data, the exact data length.

use std::collections::BTreeSet;

use flate2::{Decompress, FlushDecompress, Status};

use crate::error::{corrupt, limit, truncated};
use crate::limits::MAX_TIFF_IFDS;
use crate::{Format, FormatError, Identification};

const F: Format = Format::Tiff;

/// A TIFF byte stream with its byte order.
#[derive(Clone, Copy)]
pub(crate) struct Tiff<'a> {
    b: &'a [u8],
    le: bool,
}

/// One 12-byte IFD entry; `data` is the absolute offset of its values.
#[derive(Clone, Copy)]
struct Entry {
    tag: u16,
    typ: u16,
    count: u32,
    data: usize,
}

struct Ifd {
    entries: Vec<Entry>,
    next: u32,
    unsorted: bool,
}

impl Ifd {
    fn get(&self, tag: u16) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == tag)
    }
}

fn type_size(t: u16) -> Option<u64> {
    Some(match t {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 => 8,
        _ => return None,
    })
}

fn tag_name(tag: u16) -> &'static str {
    match tag {
        256 => "ImageWidth",
        257 => "ImageLength",
        258 => "BitsPerSample",
        259 => "Compression",
        262 => "PhotometricInterpretation",
        273 => "StripOffsets",
        277 => "SamplesPerPixel",
        278 => "RowsPerStrip",
        279 => "StripByteCounts",
        284 => "PlanarConfiguration",
        322 => "TileWidth",
        323 => "TileLength",
        324 => "TileOffsets",
        325 => "TileByteCounts",
        330 => "SubIFDs",
        34665 => "ExifIFD",
        34853 => "GPSIFD",
        _ => "tag",
    }
}

impl<'a> Tiff<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Option<Self> {
        let le = match b.get(..4)? {
            b"II*\0" => true,
            b"MM\0*" => false,
            _ => return None,
        };
        Some(Tiff { b, le })
    }

    fn u16(&self, at: usize) -> Option<u16> {
        let s = self.b.get(at..at.checked_add(2)?)?;
        let a = [s[0], s[1]];
        Some(if self.le {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        })
    }

    fn u32(&self, at: usize) -> Option<u32> {
        let s = self.b.get(at..at.checked_add(4)?)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if self.le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    /// The `i`-th value of a BYTE, SHORT, LONG or IFD entry.
    fn value(&self, e: &Entry, i: u32) -> Option<u64> {
        let i = i as usize;
        match e.typ {
            1 => self.b.get(e.data + i).map(|&v| u64::from(v)),
            3 => self.u16(e.data + 2 * i).map(u64::from),
            4 | 13 => self.u32(e.data + 4 * i).map(u64::from),
            _ => None,
        }
    }

    /// Reads the IFD at `at`, checking that it and every entry's values lie in the file.
    fn read_ifd(&self, at: usize, n: usize) -> Result<Ifd, FormatError> {
        let len = self.b.len();
        let count = self.u16(at).ok_or_else(|| {
            truncated(
                F,
                format!("IFD #{n} at offset {at} lies beyond the end of the file ({len} bytes)"),
            )
        })?;
        let end = at + 2 + 12 * usize::from(count) + 4;
        if end > len {
            return Err(truncated(F, format!("IFD #{n} at offset {at} has {count} entries and would end at byte {end}, past the end of the file ({len} bytes)")));
        }
        let mut entries = Vec::with_capacity(usize::from(count));
        let mut unsorted = false;
        for i in 0..usize::from(count) {
            let e_at = at + 2 + 12 * i;
            let e = self.entry(e_at, n)?;
            unsorted |= entries.last().is_some_and(|p: &Entry| p.tag >= e.tag);
            entries.push(e);
        }
        let next = self.u32(end - 4).unwrap_or(0);
        Ok(Ifd {
            entries,
            next,
            unsorted,
        })
    }

    fn entry(&self, e_at: usize, n: usize) -> Result<Entry, FormatError> {
        let (tag, typ) = (self.u16(e_at).unwrap_or(0), self.u16(e_at + 2).unwrap_or(0));
        let count = self.u32(e_at + 4).unwrap_or(0);
        let size = type_size(typ).ok_or_else(|| {
            corrupt(
                F,
                e_at,
                format!(
                    "IFD #{n}: {} ({tag}) has unknown field type {typ}",
                    tag_name(tag)
                ),
            )
        })?;
        let bytes = size * u64::from(count);
        let data = if bytes <= 4 {
            e_at + 8
        } else {
            let off = u64::from(self.u32(e_at + 8).unwrap_or(0));
            if off + bytes > self.b.len() as u64 {
                return Err(truncated(F, format!("IFD #{n}: the {bytes} value bytes of {} ({tag}) at offset {off} run past the end of the file ({} bytes)", tag_name(tag), self.b.len())));
            }
            off as usize
        };
        Ok(Entry {
            tag,
            typ,
            count,
            data,
        })
    }
}

#[derive(Clone, Copy, PartialEq)]
enum IfdKind {
    /// A page or sub-image: must describe image data.
    Image,
    /// Exif, GPS or Interoperability directory: structure only.
    Meta,
}

struct Walker<'a> {
    t: Tiff<'a>,
    ifd_bytes: u64,
    data_bytes: u64,
    images: usize,
    notes: Vec<String>,
    undecoded: BTreeSet<u64>,
}

pub(crate) fn validate(b: &[u8]) -> Result<Identification, FormatError> {
    let t = Tiff::new(b).ok_or_else(|| truncated(F, "no TIFF header"))?;
    let first = t
        .u32(4)
        .ok_or_else(|| truncated(F, "the 8-byte header is cut off"))?;
    if first == 0 {
        return Err(corrupt(
            F,
            4,
            "the header points to no image file directory (offset 0)",
        ));
    }
    let mut w = Walker {
        t,
        ifd_bytes: 0,
        data_bytes: 0,
        images: 0,
        notes: Vec::new(),
        undecoded: BTreeSet::new(),
    };
    let mut work = vec![(first, IfdKind::Image)];
    let mut visited = BTreeSet::new();
    let mut i = 0;
    while let Some(&(off, kind)) = work.get(i) {
        i += 1;
        if !visited.insert(off) {
            return Err(corrupt(
                F,
                off as usize,
                format!("IFD at offset {off} is reached twice: the directory chain loops"),
            ));
        }
        let ifd = w.visit(off as usize, i, kind)?;
        for (tag, k) in [
            (330, IfdKind::Image),
            (34665, IfdKind::Meta),
            (34853, IfdKind::Meta),
            (40965, IfdKind::Meta),
        ] {
            if let Some(e) = ifd.get(tag) {
                for j in 0..e.count {
                    let sub = w.t.value(e, j).filter(|&v| v != 0).ok_or_else(|| {
                        corrupt(
                            F,
                            e.data,
                            format!(
                                "{} ({tag}) must hold non-zero LONG or IFD offsets",
                                tag_name(tag)
                            ),
                        )
                    })?;
                    work.push((sub as u32, k));
                }
            }
        }
        if ifd.next != 0 {
            work.push((ifd.next, kind));
        }
        if work.len() > MAX_TIFF_IFDS {
            return Err(limit(
                F,
                format!("more than {MAX_TIFF_IFDS} image file directories"),
            ));
        }
    }
    Ok(w.identification())
}

impl Walker<'_> {
    fn visit(&mut self, off: usize, n: usize, kind: IfdKind) -> Result<Ifd, FormatError> {
        let len = self.t.b.len() as u64;
        let ifd = self.t.read_ifd(off, n)?;
        if off % 2 == 1 {
            self.note(format!(
                "IFD #{n} starts at odd offset {off} (TIFF 6.0 asks for word alignment)"
            ));
        }
        if ifd.unsorted {
            self.note(format!(
                "IFD #{n}: entries are not sorted by ascending tag (TIFF 6.0 requires it)"
            ));
        }
        self.ifd_bytes += 6 + 12 * ifd.entries.len() as u64;
        if self.ifd_bytes > len {
            return Err(corrupt(
                F,
                off,
                "image file directories overlap (together larger than the file)",
            ));
        }
        if kind == IfdKind::Image {
            self.image(&ifd, n)?;
        }
        Ok(ifd)
    }

    fn note(&mut self, s: String) {
        if self.notes.len() < 16 {
            self.notes.push(s);
        }
    }

    fn first(&self, ifd: &Ifd, tag: u16) -> Result<Option<u64>, FormatError> {
        let Some(e) = ifd.get(tag) else {
            return Ok(None);
        };
        match (e.count, self.t.value(e, 0)) {
            (1.., Some(v)) => Ok(Some(v)),
            _ => Err(corrupt(
                F,
                e.data,
                format!("{} ({tag}) must hold a SHORT or LONG value", tag_name(tag)),
            )),
        }
    }

    fn required(&self, ifd: &Ifd, tag: u16, n: usize) -> Result<u64, FormatError> {
        match self.first(ifd, tag)? {
            Some(v) if v > 0 => Ok(v),
            Some(_) => Err(corrupt_at_ifd(n, format!("{} ({tag}) is 0", tag_name(tag)))),
            None => Err(corrupt_at_ifd(
                n,
                format!("required {} ({tag}) is missing", tag_name(tag)),
            )),
        }
    }

    /// Image-level checks: dimensions, sample layout, strips or tiles.
    fn image(&mut self, ifd: &Ifd, n: usize) -> Result<(), FormatError> {
        self.images += 1;
        let width = self.required(ifd, 256, n)?;
        let height = self.required(ifd, 257, n)?;
        let compression = self.first(ifd, 259)?.unwrap_or(1);
        let spp = self.first(ifd, 277)?.unwrap_or(1).max(1);
        let planar = self.first(ifd, 284)?.unwrap_or(1);
        if !matches!(planar, 1 | 2) {
            return Err(corrupt_at_ifd(
                n,
                format!("PlanarConfiguration {planar} is neither 1 nor 2"),
            ));
        }
        let bits = self.bits(ifd, spp, n)?;
        if ifd.get(262).is_none() {
            self.note(format!(
                "IFD #{n}: PhotometricInterpretation (262) is missing"
            ));
        }
        let unit_bits = if planar == 1 {
            bits.iter().sum()
        } else {
            bits[0]
        };
        let planes = if planar == 2 { spp } else { 1 };
        if compression == 6 && ifd.get(273).is_none() && ifd.get(324).is_none() {
            return self.old_style_jpeg(ifd, n);
        }
        let layout = if ifd.get(322).is_some() || ifd.get(324).is_some() {
            let tw = self.required(ifd, 322, n)?;
            let tl = self.required(ifd, 323, n)?;
            Layout {
                what: "tile",
                offsets: 324,
                counts: 325,
                per_plane: width.div_ceil(tw).saturating_mul(height.div_ceil(tl)),
                cols: tw,
                rows: tl,
                last_rows: tl,
            }
        } else {
            let rps = self
                .first(ifd, 278)?
                .unwrap_or(u64::from(u32::MAX))
                .min(height);
            if rps == 0 {
                return Err(corrupt_at_ifd(n, "RowsPerStrip (278) is 0"));
            }
            let per_plane = height.div_ceil(rps);
            Layout {
                what: "strip",
                offsets: 273,
                counts: 279,
                per_plane,
                cols: width,
                rows: rps,
                last_rows: height - (per_plane - 1) * rps,
            }
        };
        if self.images == 1 {
            self.note(format!("first image: {width}×{height} pixels, {spp} sample(s) per pixel, {} bits per pixel, compression {}", bits.iter().sum::<u64>(), compression_name(compression)));
        }
        self.units(ifd, n, &layout, planes, unit_bits, compression)
    }

    /// TIFF 6.0 §22 "old-style" JPEG: one interchange-format stream instead of strips.
    fn old_style_jpeg(&mut self, ifd: &Ifd, n: usize) -> Result<(), FormatError> {
        let off = self.required(ifd, 513, n)?;
        let size = self.required(ifd, 514, n)?;
        let len = self.t.b.len() as u64;
        if off + size > len {
            return Err(truncated(F, format!("IFD #{n}: the JPEG stream ({size} bytes at offset {off}) runs past the end of the file ({len} bytes)")));
        }
        self.data_bytes += size;
        if self.data_bytes > len {
            return Err(corrupt(
                F,
                off as usize,
                format!("IFD #{n}: image data overlaps other image data"),
            ));
        }
        self.note(format!("IFD #{n}: old-style JPEG (compression 6): only the position of the JPEG stream is checked"));
        Ok(())
    }

    fn bits(&self, ifd: &Ifd, spp: u64, n: usize) -> Result<Vec<u64>, FormatError> {
        let Some(e) = ifd.get(258) else {
            return Ok(vec![1; spp.min(64) as usize]);
        };
        let values: Option<Vec<u64>> = (0..e.count.min(64)).map(|i| self.t.value(e, i)).collect();
        let values = values.filter(|v| !v.is_empty() && v.iter().all(|&b| (1..=64).contains(&b)));
        match values {
            Some(v) if v.len() as u64 == spp => Ok(v),
            Some(v) if v.len() == 1 && spp <= 64 => Ok(vec![v[0]; spp as usize]),
            _ => Err(corrupt_at_ifd(
                n,
                format!("BitsPerSample (258) must hold SamplesPerPixel ({spp}) values in 1..64"),
            )),
        }
    }

    /// Checks the strip or tile offsets and byte counts, then the data itself.
    fn units(
        &mut self,
        ifd: &Ifd,
        n: usize,
        l: &Layout,
        planes: u64,
        unit_bits: u64,
        compression: u64,
    ) -> Result<(), FormatError> {
        let total = l.per_plane.saturating_mul(planes);
        let (offs, counts) = (
            self.entry(ifd, l.offsets, n)?,
            self.entry(ifd, l.counts, n)?,
        );
        if u64::from(offs.count) != total || u64::from(counts.count) != total {
            return Err(corrupt_at_ifd(
                n,
                format!(
                    "{} {}s expected, {} has {} and {} has {}",
                    total,
                    l.what,
                    tag_name(l.offsets),
                    offs.count,
                    tag_name(l.counts),
                    counts.count
                ),
            ));
        }
        let row_bytes = l.cols.saturating_mul(unit_bits).div_ceil(8);
        let len = self.t.b.len() as u64;
        for k in 0..offs.count {
            let bad = || {
                corrupt(
                    F,
                    offs.data,
                    format!(
                        "{} and {} must be SHORT or LONG",
                        tag_name(l.offsets),
                        tag_name(l.counts)
                    ),
                )
            };
            let off = self.t.value(&offs, k).ok_or_else(bad)?;
            let size = self.t.value(&counts, k).ok_or_else(bad)?;
            if off + size > len {
                return Err(truncated(F, format!("IFD #{n}: {} {k} ({size} bytes at offset {off}) runs past the end of the file ({len} bytes)", l.what)));
            }
            self.data_bytes += size;
            if self.data_bytes > len {
                return Err(corrupt(
                    F,
                    off as usize,
                    format!(
                        "IFD #{n}: {}s overlap (their byte counts add up to more than the file)",
                        l.what
                    ),
                ));
            }
            let last = u64::from(k) % l.per_plane == l.per_plane - 1;
            let rows = if last { l.last_rows } else { l.rows };
            let expected = rows.saturating_mul(row_bytes);
            let data = &self.t.b[off as usize..(off + size) as usize];
            self.unit_data(data, expected, compression)
                .map_err(|d| corrupt(F, off as usize, format!("IFD #{n}: {} {k}: {d}", l.what)))?;
        }
        Ok(())
    }

    fn entry(&self, ifd: &Ifd, tag: u16, n: usize) -> Result<Entry, FormatError> {
        ifd.get(tag).copied().ok_or_else(|| {
            corrupt_at_ifd(n, format!("required {} ({tag}) is missing", tag_name(tag)))
        })
    }

    /// Checks the length of one strip's or tile's data where the compression allows.
    fn unit_data(&mut self, data: &[u8], expected: u64, compression: u64) -> Result<(), String> {
        match compression {
            1 if (data.len() as u64) < expected => Err(format!(
                "holds {} bytes, uncompressed data needs {expected}",
                data.len()
            )),
            1 => Ok(()),
            32773 => packbits(data, expected),
            8 | 32946 => inflate(data, expected),
            other => {
                if self.undecoded.insert(other) {
                    self.note(format!("compression {}: image data is not decoded, only its position in the file is checked", compression_name(other)));
                }
                Ok(())
            }
        }
    }

    fn identification(self) -> Identification {
        let mut id = Identification::new(F, "fmt/353", "image/tiff", "Tagged Image File Format");
        id.version = Some("6.0".into());
        id.notes.push(format!("{} image(s)", self.images));
        id.notes.extend(self.notes);
        id
    }
}

struct Layout {
    what: &'static str,
    offsets: u16,
    counts: u16,
    per_plane: u64,
    cols: u64,
    rows: u64,
    last_rows: u64,
}

fn corrupt_at_ifd(n: usize, detail: impl std::fmt::Display) -> FormatError {
    crate::error::corrupt_at(F, format!("IFD #{n}: {detail}"))
}

fn compression_name(c: u64) -> String {
    match c {
        1 => "none".into(),
        2 => "CCITT RLE".into(),
        3 => "CCITT Group 3".into(),
        4 => "CCITT Group 4".into(),
        5 => "LZW".into(),
        6 | 7 => "JPEG".into(),
        8 | 32946 => "Deflate".into(),
        32773 => "PackBits".into(),
        other => format!("#{other}"),
    }
}

/// Decodes PackBits, counting output only; it must produce exactly `expected` bytes.
fn packbits(data: &[u8], expected: u64) -> Result<(), String> {
    let (mut i, mut out) = (0usize, 0u64);
    while out < expected {
        let Some(&n) = data.get(i) else {
            return Err(format!(
                "PackBits data ends after {out} of {expected} bytes"
            ));
        };
        i += 1;
        let n = n as i8;
        if n >= 0 {
            let run = n as usize + 1;
            if i + run > data.len() {
                return Err(format!("PackBits literal run of {run} bytes is cut off"));
            }
            i += run;
            out += run as u64;
        } else if n != -128 {
            if i >= data.len() {
                return Err("PackBits repeat run is cut off".into());
            }
            i += 1;
            out += (1 - i64::from(n)) as u64;
        }
    }
    if out > expected {
        return Err(format!(
            "PackBits data decodes to more than the {expected} bytes the image needs"
        ));
    }
    Ok(())
}

/// Inflates a zlib stream, counting output only; it must produce exactly `expected` bytes.
fn inflate(data: &[u8], expected: u64) -> Result<(), String> {
    let mut z = Decompress::new(true);
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let before = (z.total_in(), z.total_out());
        let input = &data[z.total_in() as usize..];
        let status = z
            .decompress(input, &mut buf, FlushDecompress::None)
            .map_err(|_| "Deflate data is not a valid zlib stream".to_string())?;
        if z.total_out() > expected {
            return Err(format!(
                "Deflate data inflates to more than the {expected} bytes the image needs"
            ));
        }
        if status == Status::StreamEnd {
            break;
        }
        if (z.total_in(), z.total_out()) == before {
            return Err(format!(
                "Deflate data ends after {} of {expected} bytes",
                z.total_out()
            ));
        }
    }
    if z.total_out() != expected {
        return Err(format!(
            "Deflate data inflates to {} bytes, the image needs {expected}",
            z.total_out()
        ));
    }
    Ok(())
}

/// The ExifVersion (tag 0x9000) of an Exif TIFF structure, if it can be read.
pub(crate) fn exif_version(tiff: &[u8]) -> Option<[u8; 4]> {
    let t = Tiff::new(tiff)?;
    let ifd0 = t.read_ifd(t.u32(4)? as usize, 0).ok()?;
    let exif_at = t.value(ifd0.get(34665)?, 0)?;
    let exif = t.read_ifd(usize::try_from(exif_at).ok()?, 1).ok()?;
    let e = exif.get(0x9000).filter(|e| e.count == 4)?;
    tiff.get(e.data..e.data + 4)?.try_into().ok()
}
