//! Cross-reference streams (ISO 32000-1 §7.5.8): dictionary, stream data,
//! and the entries, inflated row by row with PNG predictors undone.

use std::io::Read;

use flate2::read::ZlibDecoder;

use super::super::lex::{Dict, Lexer, Obj};
use super::super::{lex_error, F};
use super::Walk;
use crate::error::{corrupt, truncated};
use crate::FormatError;

/// The parts of a cross-reference stream dictionary that drive decoding.
struct StreamLayout {
    widths: [usize; 3],
    index: Vec<(u64, u64)>,
    size: u64,
    png: bool,
}

impl<'a> Walk<'a> {
    /// A cross-reference stream at `off`: header, dictionary, data, entries.
    pub(super) fn stream(&mut self, off: usize, first: bool) -> Result<Dict<'a>, FormatError> {
        let mut lx = Lexer::new(self.b, off);
        let Some((num, gen)) = lx.object_header() else {
            return Err(corrupt(F, off, "the cross-reference offset points at neither 'xref' nor an object header 'N G obj'"));
        };
        let dict = lx
            .dict(0)
            .map_err(|e| lex_error(&e, "cross-reference stream dictionary"))?;
        self.charge(lx.pos - off, off)?;
        if dict.name(b"Type") != Some(b"XRef") {
            return Err(corrupt(F, off, format!("object {num} {gen}, where the cross-reference offset points, is not a cross-reference stream (/Type /XRef)")));
        }
        self.set_root(&dict, first, off)?;
        let data = self.stream_data(&mut lx, &dict, off)?;
        let layout = self.layout(&dict, off)?;
        match (data, layout) {
            (Some(data), Some(layout)) => self.stream_entries(data, &layout, off, &dict)?,
            _ => self.partial = true,
        }
        Ok(dict)
    }

    /// The raw stream bytes, if /Length is a direct integer; checks `endstream`.
    fn stream_data(
        &mut self,
        lx: &mut Lexer<'a>,
        dict: &Dict<'a>,
        off: usize,
    ) -> Result<Option<&'a [u8]>, FormatError> {
        if !lx.keyword(b"stream") {
            return Err(corrupt(
                F,
                lx.pos,
                "'stream' keyword expected after the cross-reference stream dictionary",
            ));
        }
        let start = match (self.b.get(lx.pos), self.b.get(lx.pos + 1)) {
            (Some(b'\r'), Some(b'\n')) => lx.pos + 2,
            (Some(b'\n'), _) => lx.pos + 1,
            _ => {
                return Err(corrupt(
                    F,
                    lx.pos,
                    "'stream' must be followed by CRLF or LF",
                ))
            }
        };
        let Some(len) = dict.int(b"Length").and_then(|l| usize::try_from(l).ok()) else {
            self.notes.push(format!("cross-reference stream at offset {off}: /Length is not a direct integer; its entries were not decoded"));
            return Ok(None);
        };
        let data = self.b.get(start..start.saturating_add(len)).ok_or_else(|| {
            truncated(F, format!("cross-reference stream at offset {off} declares {len} bytes; the file ends first"))
        })?;
        lx.pos = start + len;
        if !lx.keyword(b"endstream") {
            return Err(corrupt(
                F,
                lx.pos,
                "'endstream' expected after /Length bytes of stream data",
            ));
        }
        Ok(Some(data))
    }

    /// Reads /W, /Index, /Size, /Filter and /DecodeParms; `None` if not decodable here.
    fn layout(&mut self, dict: &Dict<'a>, off: usize) -> Result<Option<StreamLayout>, FormatError> {
        let size = self.size(dict, off)?;
        let widths = match dict.get(b"W") {
            Some(Obj::Array(w)) if w.len() == 3 => {
                let mut out = [0usize; 3];
                for (o, v) in out.iter_mut().zip(w) {
                    *o = match v {
                        Obj::Int(i @ 0..=8) => *i as usize,
                        _ => return Err(corrupt(F, off, "/W entries must be integers 0..8")),
                    };
                }
                out
            }
            _ => {
                return Err(corrupt(
                    F,
                    off,
                    "cross-reference stream has no /W array of three integers",
                ))
            }
        };
        let index = self.index(dict, size, off)?;
        let total: u64 = index.iter().map(|&(_, c)| c).sum();
        self.spend(total, off)?;
        let filter_ok = match dict.get(b"Filter") {
            None => Some(false),
            Some(Obj::Name(b"FlateDecode")) => Some(true),
            Some(Obj::Array(a)) if a.as_slice() == [Obj::Name(b"FlateDecode")] => Some(true),
            Some(_) => None,
        };
        let parms = match dict.get(b"DecodeParms") {
            Some(Obj::Dict(d)) => Some(d),
            Some(Obj::Array(a)) => {
                a.iter()
                    .find_map(|o| if let Obj::Dict(d) = o { Some(d) } else { None })
            }
            _ => None,
        };
        let predictor = parms.and_then(|p| p.int(b"Predictor")).unwrap_or(1);
        let columns = parms.and_then(|p| p.int(b"Columns")).unwrap_or(1);
        let simple = parms.is_none_or(|p| {
            p.int(b"Colors").unwrap_or(1) == 1 && p.int(b"BitsPerComponent").unwrap_or(8) == 8
        });
        let row = widths.iter().sum::<usize>();
        let png = predictor >= 10;
        if png && columns != row as i64 {
            return Err(corrupt(F, off, format!("/DecodeParms /Columns {columns} does not match the row width {row} that /W gives")));
        }
        let decodable = filter_ok.is_some() && simple && (predictor == 1 || png);
        if !decodable {
            self.notes.push(format!("cross-reference stream at offset {off}: filter or predictor not supported here; its entries were not decoded"));
            return Ok(None);
        }
        Ok(Some(StreamLayout {
            widths,
            index,
            size,
            png,
        }))
    }

    fn index(
        &self,
        dict: &Dict<'a>,
        size: u64,
        off: usize,
    ) -> Result<Vec<(u64, u64)>, FormatError> {
        let Some(idx) = dict.get(b"Index") else {
            return Ok(vec![(0, size)]);
        };
        let bad = || {
            corrupt(
                F,
                off,
                "/Index must be an array of pairs of non-negative integers",
            )
        };
        let Obj::Array(items) = idx else {
            return Err(bad());
        };
        if !items.len().is_multiple_of(2) {
            return Err(bad());
        }
        items
            .chunks_exact(2)
            .map(|p| match p {
                [Obj::Int(s @ 0..), Obj::Int(c @ 0..)] => Ok((*s as u64, *c as u64)),
                _ => Err(bad()),
            })
            .collect()
    }

    /// Inflates the stream row by row (one row of memory) and checks each entry.
    fn stream_entries(
        &mut self,
        data: &'a [u8],
        l: &StreamLayout,
        off: usize,
        dict: &Dict<'a>,
    ) -> Result<(), FormatError> {
        let flate = dict.get(b"Filter").is_some();
        let mut reader: Box<dyn Read + 'a> = if flate {
            Box::new(ZlibDecoder::new(data))
        } else {
            Box::new(data)
        };
        let width: usize = l.widths.iter().sum();
        let mut row = vec![0u8; width + usize::from(l.png)];
        let mut prev = vec![0u8; width];
        let mut done = 0u64;
        let total: u64 = l.index.iter().map(|&(_, c)| c).sum();
        for &(start, count) in &l.index {
            for i in 0..count {
                reader.read_exact(&mut row).map_err(|_| {
                    corrupt(F, off, format!("cross-reference stream data ends or fails to inflate after {done} of {total} entries"))
                })?;
                let fields = if l.png {
                    unpredict(&mut row, &mut prev).map_err(|d| corrupt(F, off, d))?
                } else {
                    &row[..]
                };
                let [t, f2, f3] = split(fields, l.widths);
                let t = if l.widths[0] == 0 { 1 } else { t };
                let num = start + i;
                self.check_number(num, l.size, off)?;
                match t {
                    0 => self.free(num, off)?,
                    1 => self.in_use(num, f3, f2, off)?,
                    2 if f2 >= l.size => {
                        return Err(corrupt(
                            F,
                            off,
                            format!(
                                "object {num} is said to be in object stream {f2}, beyond /Size {}",
                                l.size
                            ),
                        ))
                    }
                    2 => self.found(num, 0, None, off)?,
                    _ => {}
                }
                done += 1;
            }
        }
        let extra = drain(&mut reader, self.b.len() as u64)
            .map_err(|()| corrupt(F, off, "cross-reference stream data does not inflate cleanly (deflate data or Adler-32 checksum)"))?;
        if extra > 0 {
            self.notes.push(format!(
                "cross-reference stream at offset {off} holds more data than its /Index describes"
            ));
        }
        Ok(())
    }
}

/// Reads what is left of a stream (at most `cap` bytes), so the zlib trailer is checked.
fn drain(reader: &mut dyn Read, cap: u64) -> Result<u64, ()> {
    let mut buf = [0u8; 4096];
    let mut total = 0u64;
    while total <= cap {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n as u64,
            Err(_) => return Err(()),
        }
    }
    Ok(total)
}

/// Undoes a PNG predictor on one row (1 byte per pixel); returns the row's fields.
fn unpredict<'r>(row: &'r mut [u8], prev: &mut [u8]) -> Result<&'r [u8], String> {
    let (kind, cur) = row.split_first_mut().expect("row has a predictor byte");
    for i in 0..cur.len() {
        let left = if i > 0 { cur[i - 1] } else { 0 };
        let up = prev[i];
        let up_left = if i > 0 { prev[i - 1] } else { 0 };
        let pred = match kind {
            0 => 0,
            1 => left,
            2 => up,
            3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
            4 => paeth(left, up, up_left),
            k => {
                return Err(format!(
                    "cross-reference stream row has PNG predictor type {k}, only 0–4 exist"
                ))
            }
        };
        cur[i] = cur[i].wrapping_add(pred);
    }
    prev.copy_from_slice(cur);
    Ok(cur)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// Splits a row into its three big-endian fields.
fn split(row: &[u8], w: [usize; 3]) -> [u64; 3] {
    let be = |s: &[u8]| s.iter().fold(0u64, |v, &c| (v << 8) | u64::from(c));
    [
        be(&row[..w[0]]),
        be(&row[w[0]..w[0] + w[1]]),
        be(&row[w[0] + w[1]..]),
    ]
}
