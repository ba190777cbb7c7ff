//! PNG (ISO/IEC 15948 = PNG 1.2 content): chunk walk, CRC-32 of every chunk,
//! chunk ordering, IHDR consistency, and a full inflate of the image data
//! whose length and filter bytes must match what IHDR implies.

use std::collections::BTreeSet;

use flate2::{Decompress, FlushDecompress, Status};

use crate::bytes::{be_u32, fourcc};
use crate::error::{corrupt, truncated};
use crate::{Format, FormatError, Identification};

const F: Format = Format::Png;
const SIG_LEN: usize = 8;

/// IHDR fields that matter for the data-length check.
struct Header {
    width: u32,
    height: u32,
    bits_per_pixel: u64,
    interlaced: bool,
    color_type: u8,
    bit_depth: u8,
}

pub(crate) fn validate(b: &[u8]) -> Result<Identification, FormatError> {
    let mut walk = Walk::default();
    let mut pos = SIG_LEN;
    loop {
        let chunk = read_chunk(b, pos)?;
        walk.accept(&chunk)?;
        pos = chunk.end;
        if &chunk.kind == b"IEND" {
            break;
        }
    }
    if pos != b.len() {
        return Err(corrupt(
            F,
            pos,
            format!("{} bytes after the IEND chunk", b.len() - pos),
        ));
    }
    walk.finish()
}

struct Chunk<'a> {
    at: usize,
    kind: [u8; 4],
    data: &'a [u8],
    end: usize,
}

/// Reads the chunk at `at`, checking its length, type code and CRC-32.
fn read_chunk(b: &[u8], at: usize) -> Result<Chunk<'_>, FormatError> {
    let len = be_u32(b, at).ok_or_else(|| {
        truncated(
            F,
            format!("the file ends at byte {} without an IEND chunk", b.len()),
        )
    })?;
    let kind: [u8; 4] = b
        .get(at + 4..at + 8)
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| truncated(F, format!("chunk header at offset {at} is cut off")))?;
    let name = fourcc(&kind);
    if len > 0x7FFF_FFFF {
        return Err(corrupt(
            F,
            at,
            format!("chunk {name} declares length {len}, above the 2^31-1 maximum"),
        ));
    }
    if !kind.iter().all(u8::is_ascii_alphabetic) {
        return Err(corrupt(
            F,
            at,
            format!("chunk type {name} is not four ASCII letters"),
        ));
    }
    if kind[2].is_ascii_lowercase() {
        return Err(corrupt(
            F,
            at,
            format!("chunk {name} has the reserved bit (third letter lower case) set"),
        ));
    }
    let data_end = at + 8 + len as usize;
    let stored = be_u32(b, data_end).ok_or_else(|| {
        truncated(F, format!("chunk {name} at offset {at} declares {len} data bytes but the file ends at byte {}", b.len()))
    })?;
    let computed = crc32fast::hash(&b[at + 4..data_end]);
    if stored != computed {
        return Err(FormatError::Checksum {
            format: F,
            offset: at as u64,
            detail: format!("chunk {name}: stored CRC-32 {stored:08x}, computed {computed:08x}"),
        });
    }
    Ok(Chunk {
        at,
        kind,
        data: &b[at + 8..data_end],
        end: data_end + 4,
    })
}

/// Chunks that may appear at most once.
const SINGLE: [&[u8; 4]; 13] = [
    b"IHDR", b"PLTE", b"IEND", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"bKGD", b"hIST",
    b"tRNS", b"pHYs", b"tIME",
];
/// Chunks that must come before PLTE (and so before IDAT).
const BEFORE_PLTE: [&[u8; 4]; 5] = [b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB"];
/// Chunks that must come before IDAT.
const BEFORE_IDAT: [&[u8; 4]; 5] = [b"bKGD", b"hIST", b"tRNS", b"pHYs", b"sPLT"];

/// State of the chunk walk.
#[derive(Default)]
struct Walk {
    header: Option<Header>,
    seen: BTreeSet<[u8; 4]>,
    plte: bool,
    idat: IdatState,
    inflate: Option<Inflate>,
    notes: Vec<String>,
}

#[derive(Default, PartialEq)]
enum IdatState {
    #[default]
    None,
    Open,
    Closed,
}

impl Walk {
    fn accept(&mut self, c: &Chunk<'_>) -> Result<(), FormatError> {
        let name = fourcc(&c.kind);
        if self.header.is_none() {
            if &c.kind != b"IHDR" {
                return Err(corrupt(
                    F,
                    c.at,
                    format!("first chunk is {name}, IHDR expected"),
                ));
            }
            let h = parse_ihdr(c)?;
            self.inflate = Some(Inflate::new(&h));
            self.header = Some(h);
            self.seen.insert(c.kind);
            return Ok(());
        }
        if SINGLE.contains(&&c.kind) && self.seen.contains(&c.kind) {
            return Err(corrupt(
                F,
                c.at,
                format!("second {name} chunk; only one is allowed"),
            ));
        }
        self.order(c, &name)?;
        match &c.kind {
            b"PLTE" => self.palette(c)?,
            b"IDAT" => self.image_data(c)?,
            b"IEND" if !c.data.is_empty() => {
                return Err(corrupt(F, c.at, "IEND chunk has data; it must be empty"));
            }
            _ if c.kind[0].is_ascii_uppercase() && !matches!(&c.kind, b"IEND") => {
                return Err(corrupt(
                    F,
                    c.at,
                    format!("unknown critical chunk {name}; a decoder must refuse the file"),
                ));
            }
            _ => {}
        }
        if &c.kind != b"IDAT" && self.idat == IdatState::Open {
            self.idat = IdatState::Closed;
        }
        self.seen.insert(c.kind);
        Ok(())
    }

    fn order(&self, c: &Chunk<'_>, name: &str) -> Result<(), FormatError> {
        if BEFORE_PLTE.contains(&&c.kind) && self.plte {
            return Err(corrupt(
                F,
                c.at,
                format!("{name} after PLTE; it must precede PLTE"),
            ));
        }
        let after_idat = self.idat != IdatState::None;
        if (BEFORE_PLTE.contains(&&c.kind) || BEFORE_IDAT.contains(&&c.kind) || &c.kind == b"PLTE")
            && after_idat
        {
            return Err(corrupt(
                F,
                c.at,
                format!("{name} after IDAT; it must precede the image data"),
            ));
        }
        if &c.kind == b"IDAT" && self.idat == IdatState::Closed {
            return Err(corrupt(F, c.at, "IDAT chunks are not consecutive"));
        }
        if &c.kind == b"IEND" && self.idat == IdatState::None {
            return Err(corrupt(
                F,
                c.at,
                "IEND before any IDAT chunk: the image has no data",
            ));
        }
        Ok(())
    }

    fn palette(&mut self, c: &Chunk<'_>) -> Result<(), FormatError> {
        let h = self.header.as_ref().expect("IHDR seen");
        if matches!(h.color_type, 0 | 4) {
            return Err(corrupt(F, c.at, "PLTE chunk in a grayscale image"));
        }
        let entries = c.data.len() / 3;
        if !c.data.len().is_multiple_of(3) || entries == 0 || entries > 256 {
            return Err(corrupt(
                F,
                c.at,
                format!("PLTE length {} is not 3 × 1..256 entries", c.data.len()),
            ));
        }
        if h.color_type == 3 && entries > 1usize << h.bit_depth {
            return Err(corrupt(
                F,
                c.at,
                format!(
                    "PLTE has {entries} entries, more than bit depth {} allows",
                    h.bit_depth
                ),
            ));
        }
        self.plte = true;
        Ok(())
    }

    fn image_data(&mut self, c: &Chunk<'_>) -> Result<(), FormatError> {
        let h = self.header.as_ref().expect("IHDR seen");
        if h.color_type == 3 && !self.plte {
            return Err(corrupt(
                F,
                c.at,
                "IDAT before PLTE in an indexed-colour image",
            ));
        }
        self.idat = IdatState::Open;
        self.inflate.as_mut().expect("IHDR seen").feed(c)
    }

    fn finish(mut self) -> Result<Identification, FormatError> {
        let inflate = self.inflate.take().expect("IHDR seen");
        inflate.finish()?;
        let h = self.header.take().expect("IHDR seen");
        let mut id = Identification::new(F, "fmt/13", "image/png", "Portable Network Graphics");
        id.version = Some("1.2".into());
        id.notes.push(format!(
            "{}×{} pixels, colour type {}, bit depth {}{}",
            h.width,
            h.height,
            h.color_type,
            h.bit_depth,
            if h.interlaced {
                ", Adam7 interlaced"
            } else {
                ""
            }
        ));
        id.notes.push(
            "PNG 1.0/1.1/1.2 are not told apart by signature; PRONOM fmt/13 (PNG 1.2, = ISO/IEC 15948) is reported".into(),
        );
        id.notes.append(&mut self.notes);
        Ok(id)
    }
}

fn parse_ihdr(c: &Chunk<'_>) -> Result<Header, FormatError> {
    let d = c.data;
    if d.len() != 13 {
        return Err(corrupt(
            F,
            c.at,
            format!("IHDR has {} data bytes, 13 expected", d.len()),
        ));
    }
    let width = be_u32(d, 0).unwrap_or(0);
    let height = be_u32(d, 4).unwrap_or(0);
    if width == 0 || height == 0 || width > 0x7FFF_FFFF || height > 0x7FFF_FFFF {
        return Err(corrupt(
            F,
            c.at,
            format!("IHDR dimensions {width}×{height} are not in 1..2^31-1"),
        ));
    }
    let (bit_depth, color_type) = (d[8], d[9]);
    let channels = match (color_type, bit_depth) {
        (0, 1 | 2 | 4 | 8 | 16) => 1,
        (2, 8 | 16) => 3,
        (3, 1 | 2 | 4 | 8) => 1,
        (4, 8 | 16) => 2,
        (6, 8 | 16) => 4,
        _ => {
            return Err(corrupt(F, c.at, format!("IHDR colour type {color_type} with bit depth {bit_depth} is not an allowed combination")))
        }
    };
    if d[10] != 0 || d[11] != 0 || d[12] > 1 {
        return Err(corrupt(
            F,
            c.at,
            format!(
                "IHDR compression {}, filter {}, interlace {}: only 0, 0, 0/1 are defined",
                d[10], d[11], d[12]
            ),
        ));
    }
    Ok(Header {
        width,
        height,
        bits_per_pixel: channels * u64::from(bit_depth),
        interlaced: d[12] == 1,
        color_type,
        bit_depth,
    })
}

/// Adam7 passes: (x0, y0, dx, dy).
const ADAM7: [(u64, u64, u64, u64); 7] = [
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
];

/// Streams the concatenated IDAT data through zlib and follows the scanlines
/// without keeping them: memory is one fixed buffer, whatever IHDR declares.
struct Inflate {
    z: Decompress,
    buf: Box<[u8]>,
    /// (rows, bytes per row including the filter byte) for each non-empty pass.
    passes: Vec<(u64, u64)>,
    pass: usize,
    row: u64,
    in_row: u64,
    total: u64,
    expected: u64,
    ended: bool,
}

impl Inflate {
    fn new(h: &Header) -> Self {
        let (w, hgt) = (u64::from(h.width), u64::from(h.height));
        let pass_dims: Vec<(u64, u64)> = if h.interlaced {
            ADAM7
                .iter()
                .map(|&(x0, y0, dx, dy)| {
                    (
                        w.saturating_sub(x0).div_ceil(dx),
                        hgt.saturating_sub(y0).div_ceil(dy),
                    )
                })
                .collect()
        } else {
            vec![(w, hgt)]
        };
        let passes: Vec<(u64, u64)> = pass_dims
            .into_iter()
            .filter(|&(cols, rows)| cols > 0 && rows > 0)
            .map(|(cols, rows)| (rows, 1 + cols.saturating_mul(h.bits_per_pixel).div_ceil(8)))
            .collect();
        let expected = passes.iter().fold(0u64, |acc, &(rows, len)| {
            acc.saturating_add(rows.saturating_mul(len))
        });
        Inflate {
            z: Decompress::new(true),
            buf: vec![0u8; 32 * 1024].into_boxed_slice(),
            passes,
            pass: 0,
            row: 0,
            in_row: 0,
            total: 0,
            expected,
            ended: false,
        }
    }

    fn feed(&mut self, c: &Chunk<'_>) -> Result<(), FormatError> {
        let mut input = c.data;
        if self.ended && !input.is_empty() {
            return Err(corrupt(
                F,
                c.at,
                "IDAT data continues after the end of the zlib stream",
            ));
        }
        while !input.is_empty() || !self.ended {
            let (in0, out0) = (self.z.total_in(), self.z.total_out());
            let status = self
                .z
                .decompress(input, &mut self.buf, FlushDecompress::None)
                .map_err(|e| zlib_error(c, &e))?;
            let used = (self.z.total_in() - in0) as usize;
            let made = (self.z.total_out() - out0) as usize;
            input = &input[used..];
            self.scan(made, c.at)?;
            if status == Status::StreamEnd {
                self.ended = true;
                if !input.is_empty() {
                    return Err(corrupt(
                        F,
                        c.at,
                        "IDAT data continues after the end of the zlib stream",
                    ));
                }
                break;
            }
            if (input.is_empty() && made < self.buf.len()) || (used == 0 && made == 0) {
                break;
            }
        }
        Ok(())
    }

    /// Follows scanlines through `made` fresh bytes in `buf`, checking filter types.
    fn scan(&mut self, made: usize, at: usize) -> Result<(), FormatError> {
        self.total += made as u64;
        if self.total > self.expected {
            return Err(corrupt(
                F,
                at,
                format!(
                    "image data inflates to more than the {} bytes IHDR implies",
                    self.expected
                ),
            ));
        }
        let mut i = 0usize;
        while i < made {
            let (rows, len) = self.passes[self.pass];
            if self.in_row == 0 && self.buf[i] > 4 {
                return Err(corrupt(
                    F,
                    at,
                    format!(
                        "scanline {} of pass {} has filter type {}, only 0–4 exist",
                        self.row,
                        self.pass + 1,
                        self.buf[i]
                    ),
                ));
            }
            let step = (len - self.in_row).min((made - i) as u64);
            i += step as usize;
            self.in_row += step;
            if self.in_row == len {
                self.in_row = 0;
                self.row += 1;
                if self.row == rows {
                    self.row = 0;
                    self.pass += 1;
                }
            }
        }
        Ok(())
    }

    fn finish(&self) -> Result<(), FormatError> {
        if !self.ended {
            return Err(truncated(
                F,
                format!(
                    "the zlib stream of the image data does not end (inflated {} of {} bytes)",
                    self.total, self.expected
                ),
            ));
        }
        if self.total != self.expected {
            return Err(truncated(
                F,
                format!(
                    "image data inflates to {} bytes, IHDR implies {}",
                    self.total, self.expected
                ),
            ));
        }
        Ok(())
    }
}

fn zlib_error(c: &Chunk<'_>, _: &flate2::DecompressError) -> FormatError {
    corrupt(
        F,
        c.at,
        "image data is not a valid zlib stream (bad header, deflate data or Adler-32 checksum)",
    )
}
