//! JPEG (ISO/IEC 10918-1 interchange format): marker segment walk with lengths
//! inside the file, frame and scan headers, table segments, the entropy-coded
//! data of every scan (byte stuffing, restart marker sequence) and EOI at the
//! very end. Entropy-coded data is not decoded.

use crate::bytes::be_u16;
use crate::error::{corrupt, truncated, unsupported};
use crate::{Format, FormatError, Identification};

const F: Format = Format::Jpeg;

#[derive(Default)]
struct State {
    /// SOF marker byte and component ids of the frame.
    frame: Option<(u8, Vec<u8>)>,
    scans: usize,
    dqt: bool,
    dht: bool,
    restart_interval: u16,
    first_segment: Option<(u8, usize)>,
    jfif: Option<(u8, u8)>,
    exif: Option<Option<[u8; 4]>>,
    notes: Vec<String>,
}

pub(crate) fn validate(b: &[u8]) -> Result<Identification, FormatError> {
    let mut st = State::default();
    let mut pos = 2;
    loop {
        let (marker, at) = next_marker(b, pos)?;
        pos = at + 2;
        match marker {
            0xD9 => return st.end(b, at),
            0xD8 => return Err(corrupt(F, at, "second SOI marker")),
            0xD0..=0xD7 => {
                return Err(corrupt(
                    F,
                    at,
                    format!(
                        "restart marker RST{} outside entropy-coded data",
                        marker - 0xD0
                    ),
                ))
            }
            0x01 => {}
            0x00 | 0x02..=0xBF => {
                return Err(corrupt(
                    F,
                    at,
                    format!("invalid or reserved marker FF{marker:02X}"),
                ))
            }
            _ => {
                let len = usize::from(be_u16(b, pos).ok_or_else(|| {
                    truncated(
                        F,
                        format!("marker FF{marker:02X} at offset {at} has no length field"),
                    )
                })?);
                if len < 2 {
                    return Err(corrupt(
                        F,
                        at,
                        format!("segment FF{marker:02X} declares length {len}, at least 2 needed"),
                    ));
                }
                let end = pos + len;
                let payload = b.get(pos + 2..end).ok_or_else(|| {
                    truncated(F, format!("segment FF{marker:02X} at offset {at} declares {len} bytes; the file ends at byte {}", b.len()))
                })?;
                st.segment(marker, at, payload)?;
                pos = end;
                if marker == 0xDA {
                    pos = st.entropy_coded(b, pos)?;
                }
            }
        }
    }
}

/// Finds the marker at `pos` (after optional 0xFF fill bytes); returns it and the offset of its 0xFF.
fn next_marker(b: &[u8], pos: usize) -> Result<(u8, usize), FormatError> {
    match b.get(pos) {
        None => {
            return Err(truncated(
                F,
                format!("the file ends at byte {} without an EOI marker", b.len()),
            ))
        }
        Some(0xFF) => {}
        Some(&other) => {
            return Err(corrupt(
                F,
                pos,
                format!("marker expected, found byte 0x{other:02X}"),
            ))
        }
    }
    let mut at = pos;
    while b.get(at + 1) == Some(&0xFF) {
        at += 1;
    }
    let marker = *b
        .get(at + 1)
        .ok_or_else(|| truncated(F, "the file ends inside a marker"))?;
    Ok((marker, at))
}

impl State {
    fn segment(&mut self, m: u8, at: usize, p: &[u8]) -> Result<(), FormatError> {
        if self.first_segment.is_none() {
            self.first_segment = Some((m, at));
        }
        match m {
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => self.frame(m, at, p),
            0xC4 => dht(at, p).map(|()| self.dht = true),
            0xDB => dqt(at, p).map(|()| self.dqt = true),
            0xDA => self.scan_header(at, p),
            0xDD => {
                let v = be_u16(p, 0).filter(|_| p.len() == 2);
                self.restart_interval =
                    v.ok_or_else(|| corrupt(F, at, "DRI segment must be 4 bytes long"))?;
                Ok(())
            }
            0xDE | 0xDF => Err(unsupported(
                F,
                "hierarchical JPEG (DHP/EXP markers) is not validated",
            )),
            0xE0 if p.starts_with(b"JFIF\0") && p.len() >= 7 => {
                self.jfif.get_or_insert((p[5], p[6]));
                Ok(())
            }
            0xE1 if p.starts_with(b"Exif\0\0") => {
                self.exif.get_or_insert(crate::tiff::exif_version(&p[6..]));
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn frame(&mut self, m: u8, at: usize, p: &[u8]) -> Result<(), FormatError> {
        if self.frame.is_some() {
            return Err(corrupt(
                F,
                at,
                "second frame header (SOF); only one frame is allowed",
            ));
        }
        if p.len() < 6 {
            return Err(corrupt(F, at, "frame header (SOF) is shorter than 6 bytes"));
        }
        let (height, width, nf) = (
            be_u16(p, 1).unwrap_or(0),
            be_u16(p, 3).unwrap_or(0),
            usize::from(p[5]),
        );
        if p.len() != 6 + 3 * nf || nf == 0 {
            return Err(corrupt(
                F,
                at,
                format!(
                    "frame header length {} does not match its {nf} components",
                    p.len() + 2
                ),
            ));
        }
        if width == 0 {
            return Err(corrupt(F, at, "frame header declares width 0"));
        }
        if height == 0 {
            return Err(unsupported(F, "height 0 in the frame header (height defined later by a DNL marker) is not validated"));
        }
        let comps = p[6..].chunks_exact(3);
        if comps
            .clone()
            .any(|c| !(1..=4).contains(&(c[1] >> 4)) || !(1..=4).contains(&(c[1] & 15)) || c[2] > 3)
        {
            return Err(corrupt(
                F,
                at,
                "frame component with sampling factor outside 1..4 or table id above 3",
            ));
        }
        let ids = comps.map(|c| c[0]).collect();
        self.notes.push(format!(
            "{width}×{height} pixels, {nf} component(s), {}",
            process_name(m)
        ));
        self.frame = Some((m, ids));
        Ok(())
    }

    fn scan_header(&mut self, at: usize, p: &[u8]) -> Result<(), FormatError> {
        let Some((sof, ids)) = &self.frame else {
            return Err(corrupt(F, at, "scan (SOS) before the frame header (SOF)"));
        };
        let ns = usize::from(*p.first().unwrap_or(&0));
        if !(1..=4).contains(&ns) || p.len() != 4 + 2 * ns {
            return Err(corrupt(
                F,
                at,
                format!(
                    "scan header with {ns} components has the wrong length {}",
                    p.len() + 2
                ),
            ));
        }
        if let Some(c) = p[1..1 + 2 * ns]
            .chunks_exact(2)
            .find(|c| !ids.contains(&c[0]))
        {
            return Err(corrupt(
                F,
                at,
                format!(
                    "scan refers to component {} which the frame does not define",
                    c[0]
                ),
            ));
        }
        let huffman = matches!(sof, 0xC0..=0xC3 | 0xC5..=0xC7);
        let dct = !matches!(sof, 0xC3 | 0xC7 | 0xCB | 0xCF);
        if self.scans == 0 && huffman && !self.dht {
            return Err(corrupt(
                F,
                at,
                "no Huffman table (DHT) before the first scan",
            ));
        }
        if self.scans == 0 && dct && !self.dqt {
            return Err(corrupt(
                F,
                at,
                "no quantisation table (DQT) before the first scan",
            ));
        }
        self.scans += 1;
        Ok(())
    }

    /// Skips entropy-coded data from `pos`; returns the offset of the marker that ends it.
    fn entropy_coded(&self, b: &[u8], mut pos: usize) -> Result<usize, FormatError> {
        let mut next_rst = 0u8;
        loop {
            let ff = b[pos..]
                .iter()
                .position(|&c| c == 0xFF)
                .map(|i| pos + i)
                .ok_or_else(|| {
                    truncated(
                        F,
                        format!(
                            "entropy-coded data of scan {} runs to the end of the file without EOI",
                            self.scans
                        ),
                    )
                })?;
            match b.get(ff + 1) {
                None => return Err(truncated(F, "the file ends inside entropy-coded data")),
                Some(0x00) | Some(0xFF) => pos = ff + 1 + usize::from(b[ff + 1] == 0),
                Some(&m @ 0xD0..=0xD7) => {
                    if self.restart_interval == 0 {
                        return Err(corrupt(
                            F,
                            ff,
                            "restart marker without a restart interval (DRI)",
                        ));
                    }
                    if m - 0xD0 != next_rst {
                        return Err(corrupt(
                            F,
                            ff,
                            format!(
                                "restart marker RST{} out of sequence, RST{next_rst} expected",
                                m - 0xD0
                            ),
                        ));
                    }
                    next_rst = (next_rst + 1) % 8;
                    pos = ff + 2;
                }
                Some(_) => return Ok(ff),
            }
        }
    }

    fn end(self, b: &[u8], at: usize) -> Result<Identification, FormatError> {
        if self.frame.is_none() {
            return Err(corrupt(F, at, "EOI without a frame header (SOF)"));
        }
        if self.scans == 0 {
            return Err(corrupt(F, at, "EOI without any scan (SOS)"));
        }
        if at + 2 != b.len() {
            return Err(corrupt(
                F,
                at + 2,
                format!("{} bytes after the EOI marker", b.len() - at - 2),
            ));
        }
        Ok(self.identification())
    }

    fn identification(mut self) -> Identification {
        let first = self.first_segment.map(|(m, _)| m);
        let exif = self.exif.map(|v| v.and_then(exif_puid));
        let unknown_exif = matches!(exif, Some(None));
        let mut id = match (first, self.jfif, exif) {
            (Some(0xE1), _, Some(Some((puid, version))))
            | (_, None, Some(Some((puid, version)))) => {
                let mut id = Identification::new(
                    F,
                    puid,
                    "image/jpeg",
                    "Exchangeable Image File Format (Compressed)",
                );
                id.version = Some(version);
                id
            }
            (_, Some((major, minor)), _) => jfif(major, minor),
            _ => Identification::new(F, "fmt/41", "image/jpeg", "Raw JPEG Stream"),
        };
        if unknown_exif {
            self.notes.push("Exif segment present, but its ExifVersion could not be read or has no known PRONOM id".into());
        }
        id.notes.append(&mut self.notes);
        id.notes.push(
            "entropy-coded data is not decoded; marker structure, tables and EOI are checked"
                .into(),
        );
        id
    }
}

fn jfif(major: u8, minor: u8) -> Identification {
    let puid = match (major, minor) {
        (1, 0) => "fmt/42",
        (1, 1) => "fmt/43",
        (1, 2) => "fmt/44",
        _ => "fmt/41",
    };
    let mut id = Identification::new(F, puid, "image/jpeg", "JPEG File Interchange Format");
    id.version = Some(format!("{major}.{minor:02}"));
    if puid == "fmt/41" {
        id.name = "Raw JPEG Stream";
        id.notes.push(format!(
            "JFIF version {major}.{minor:02} has no PRONOM id known to this crate"
        ));
    }
    id
}

/// PRONOM id and version text for an ExifVersion such as `0221`.
fn exif_puid(v: [u8; 4]) -> Option<(&'static str, String)> {
    let puid = match &v {
        b"0200" => "x-fmt/398",
        b"0210" => "x-fmt/390",
        b"0220" => "x-fmt/391",
        b"0221" => "fmt/645",
        b"0230" | b"0231" | b"0232" => "fmt/1507",
        _ => return None,
    };
    let d: Vec<char> = v.iter().map(|&c| char::from(c)).collect();
    let minor: String = d[2..]
        .iter()
        .collect::<String>()
        .trim_end_matches('0')
        .to_string();
    let major = if d[0] == '0' {
        d[1].to_string()
    } else {
        format!("{}{}", d[0], d[1])
    };
    Some((
        puid,
        if minor.is_empty() {
            major
        } else {
            format!("{major}.{minor}")
        },
    ))
}

fn process_name(sof: u8) -> &'static str {
    match sof {
        0xC0 => "baseline DCT (lossy)",
        0xC1 | 0xC9 => "extended sequential DCT (lossy)",
        0xC2 | 0xCA => "progressive DCT (lossy)",
        0xC3 | 0xCB => "lossless",
        _ => "differential (hierarchical) process",
    }
}

/// DHT: one or more tables, each 17 bytes plus its symbol count; exactly fills the segment.
fn dht(at: usize, p: &[u8]) -> Result<(), FormatError> {
    let mut i = 0;
    while i < p.len() {
        let tc_th = p[i];
        if tc_th >> 4 > 1 || tc_th & 15 > 3 {
            return Err(corrupt(
                F,
                at,
                format!("DHT table class/id 0x{tc_th:02X} is invalid"),
            ));
        }
        let counts = p
            .get(i + 1..i + 17)
            .ok_or_else(|| corrupt(F, at, "DHT table is cut off"))?;
        let symbols: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if symbols > 256 {
            return Err(corrupt(
                F,
                at,
                format!("DHT table declares {symbols} symbols, at most 256"),
            ));
        }
        i += 17 + symbols;
    }
    if i != p.len() {
        return Err(corrupt(F, at, "DHT tables do not fill the segment exactly"));
    }
    Ok(())
}

/// DQT: one or more tables of 64 (8-bit) or 128 (16-bit) values; exactly fills the segment.
fn dqt(at: usize, p: &[u8]) -> Result<(), FormatError> {
    let mut i = 0;
    while i < p.len() {
        let (pq, tq) = (p[i] >> 4, p[i] & 15);
        if pq > 1 || tq > 3 {
            return Err(corrupt(
                F,
                at,
                format!("DQT precision/id 0x{:02X} is invalid", p[i]),
            ));
        }
        i += 1 + if pq == 0 { 64 } else { 128 };
    }
    if i != p.len() {
        return Err(corrupt(F, at, "DQT tables do not fill the segment exactly"));
    }
    Ok(())
}
