//! JPEG 2000 Part 1: the JP2 box structure (ISO/IEC 15444-1 Annex I) and the
//! codestream's main header and tile-part chain (Annex A). Packet data is not decoded.

use crate::bytes::{be_u16, be_u32, be_u64, fourcc};
use crate::error::{corrupt, limit, truncated, unsupported};
use crate::identify::JP2_SIG;
use crate::limits::MAX_JP2_BOXES;
use crate::{Format, FormatError, Identification};

const F: Format = Format::Jpeg2000;

/// One box: type, where its content starts and ends, where the box starts.
struct Box_ {
    kind: [u8; 4],
    at: usize,
    content: usize,
    end: usize,
}

/// Walks the boxes in `b[start..end]`, each length inside that range.
fn boxes(b: &[u8], start: usize, end: usize) -> Result<Vec<Box_>, FormatError> {
    let mut out = Vec::new();
    let mut pos = start;
    while pos < end {
        if out.len() >= MAX_JP2_BOXES {
            return Err(limit(F, format!("more than {MAX_JP2_BOXES} boxes")));
        }
        let lbox = be_u32(b, pos)
            .filter(|_| pos + 8 <= end)
            .ok_or_else(|| truncated(F, format!("box header at offset {pos} is cut off")))?;
        let kind: [u8; 4] = b[pos + 4..pos + 8].try_into().expect("4 bytes");
        let (content, box_end) = match lbox {
            0 => (pos + 8, end),
            1 => {
                let xl = be_u64(b, pos + 8)
                    .filter(|_| pos + 16 <= end)
                    .ok_or_else(|| {
                        truncated(
                            F,
                            format!(
                                "box {} at offset {pos}: extended length is cut off",
                                fourcc(&kind)
                            ),
                        )
                    })?;
                if xl < 16 {
                    return Err(corrupt(
                        F,
                        pos,
                        format!("box {}: extended length {xl} is below 16", fourcc(&kind)),
                    ));
                }
                (
                    pos + 16,
                    usize::try_from(xl)
                        .ok()
                        .and_then(|l| pos.checked_add(l))
                        .unwrap_or(usize::MAX),
                )
            }
            2..=7 => {
                return Err(corrupt(
                    F,
                    pos,
                    format!("box {}: length {lbox} is below 8", fourcc(&kind)),
                ))
            }
            l => (pos + 8, pos.saturating_add(l as usize)),
        };
        if box_end > end {
            return Err(truncated(
                F,
                format!(
                    "box {} at offset {pos} declares {} bytes; only {} remain",
                    fourcc(&kind),
                    box_end - pos,
                    end - pos
                ),
            ));
        }
        out.push(Box_ {
            kind,
            at: pos,
            content,
            end: box_end,
        });
        pos = box_end;
    }
    Ok(out)
}

/// (width, height, components) from a header, to compare ihdr with SIZ.
type Dims = (u64, u64, u64);

pub(crate) fn validate_jp2(b: &[u8]) -> Result<Identification, FormatError> {
    let top = boxes(b, 0, b.len())?;
    if top.first().map(|x| (&x.kind, x.end)) != Some((b"jP  ", JP2_SIG.len())) {
        return Err(corrupt(F, 0, "the JPEG 2000 signature box is malformed"));
    }
    let mut notes = Vec::new();
    let ftyp = top
        .get(1)
        .filter(|x| &x.kind == b"ftyp")
        .ok_or_else(|| corrupt(F, 12, "the second box must be the file type box (ftyp)"))?;
    file_type(b, ftyp, &mut notes)?;
    let jp2h = top
        .iter()
        .position(|x| &x.kind == b"jp2h")
        .ok_or_else(|| corrupt_at("no JP2 header box (jp2h)"))?;
    let jp2c = top
        .iter()
        .position(|x| &x.kind == b"jp2c")
        .ok_or_else(|| corrupt_at("no contiguous codestream box (jp2c)"))?;
    if jp2c < jp2h {
        return Err(corrupt(
            F,
            top[jp2c].at,
            "the codestream box (jp2c) comes before the JP2 header box (jp2h)",
        ));
    }
    let header = header_box(b, &top[jp2h])?;
    let cs = &top[jp2c];
    let (siz, wavelet) = codestream(&b[cs.content..cs.end], cs.content)?;
    if header != siz {
        return Err(corrupt(F, cs.content, format!("image header box says {}×{} with {} components, the codestream SIZ says {}×{} with {}", header.0, header.1, header.2, siz.0, siz.1, siz.2)));
    }
    let mut id = Identification::new(F, "x-fmt/392", "image/jp2", "JP2 (JPEG 2000 part 1)");
    notes.insert(
        0,
        format!(
            "{}×{} pixels, {} component(s), {wavelet}",
            siz.0, siz.1, siz.2
        ),
    );
    notes.push("packet (entropy-coded) data is not decoded; box structure, main header and tile-part chain are checked".into());
    id.notes = notes;
    Ok(id)
}

/// A raw codestream (.j2c/.j2k) without the JP2 wrapper.
pub(crate) fn validate_codestream_file(b: &[u8]) -> Result<Identification, FormatError> {
    let (siz, wavelet) = codestream(b, 0)?;
    let mut id = Identification::new(F, "fmt/1794", "image/j2c", "JPEG 2000 Codestream");
    id.notes.push(format!(
        "{}×{} pixels, {} component(s), {wavelet}",
        siz.0, siz.1, siz.2
    ));
    id.notes.push("raw codestream without JP2 boxes: no colour specification or metadata; prefer JP2 for long-term keeping".into());
    id.notes.push(
        "packet (entropy-coded) data is not decoded; main header and tile-part chain are checked"
            .into(),
    );
    Ok(id)
}

fn corrupt_at(detail: &str) -> FormatError {
    crate::error::corrupt_at(F, detail)
}

fn file_type(b: &[u8], ftyp: &Box_, notes: &mut Vec<String>) -> Result<(), FormatError> {
    let c = &b[ftyp.content..ftyp.end];
    if c.len() < 8 || !c.len().is_multiple_of(4) {
        return Err(corrupt(
            F,
            ftyp.at,
            format!(
                "file type box content has {} bytes, 8 + 4n expected",
                c.len()
            ),
        ));
    }
    let brand = &c[..4];
    let compatible = c[8..].chunks_exact(4).any(|cl| cl == b"jp2 ");
    match (brand, compatible) {
        (b"jp2 ", _) => Ok(()),
        (_, true) => {
            notes.push(format!(
                "brand {} (compatible with jp2); validated as JP2",
                fourcc(brand)
            ));
            Ok(())
        }
        _ => Err(unsupported(
            F,
            format!(
                "brand {} (JPX/JPM or other) without jp2 compatibility is not validated",
                fourcc(brand)
            ),
        )),
    }
}

/// Checks the JP2 header box: ihdr first, a colr box; returns ihdr's dimensions.
fn header_box(b: &[u8], jp2h: &Box_) -> Result<Dims, FormatError> {
    let inner = boxes(b, jp2h.content, jp2h.end)?;
    let ihdr = inner
        .first()
        .filter(|x| &x.kind == b"ihdr")
        .ok_or_else(|| {
            corrupt(
                F,
                jp2h.at,
                "the JP2 header box does not start with an image header box (ihdr)",
            )
        })?;
    let c = &b[ihdr.content..ihdr.end];
    if c.len() != 14 {
        return Err(corrupt(
            F,
            ihdr.at,
            format!(
                "image header box has {} content bytes, 14 expected",
                c.len()
            ),
        ));
    }
    let (h, w, nc) = (
        be_u32(c, 0).unwrap_or(0),
        be_u32(c, 4).unwrap_or(0),
        be_u16(c, 8).unwrap_or(0),
    );
    if h == 0 || w == 0 || nc == 0 {
        return Err(corrupt(
            F,
            ihdr.at,
            format!("image header box declares {w}×{h} with {nc} components"),
        ));
    }
    if c[11] != 7 {
        return Err(corrupt(
            F,
            ihdr.at,
            format!("image header box compression type {} (7 required)", c[11]),
        ));
    }
    if !inner.iter().any(|x| &x.kind == b"colr") {
        return Err(corrupt(
            F,
            jp2h.at,
            "the JP2 header box has no colour specification box (colr)",
        ));
    }
    Ok((u64::from(w), u64::from(h), u64::from(nc)))
}

/// Checks SOC, SIZ, the main header segments, the tile-part chain and EOC.
/// `base` is the codestream's offset in the file, for messages.
fn codestream(cs: &[u8], base: usize) -> Result<(Dims, &'static str), FormatError> {
    if cs.len() < 4 || be_u16(cs, 0) != Some(0xFF4F) || be_u16(cs, 2) != Some(0xFF51) {
        return Err(corrupt(
            F,
            base,
            "the codestream does not start with SOC (FF4F) followed by SIZ (FF51)",
        ));
    }
    let eoc = cs
        .len()
        .checked_sub(2)
        .filter(|&e| e >= 4 && be_u16(cs, e) == Some(0xFFD9))
        .ok_or_else(|| truncated(F, "the codestream does not end with EOC (FFD9)"))?;
    let (dims, tiles) = siz(cs, base)?;
    let (mut transform, mut qcd) = (None, false);
    let mut pos = 2;
    loop {
        let m = be_u16(cs, pos)
            .filter(|m| m >> 8 == 0xFF && pos < eoc)
            .ok_or_else(|| corrupt(F, base + pos, "main header marker expected"))?;
        if m == 0xFF90 {
            break;
        }
        if !(0xFF51..=0xFF6F).contains(&m) {
            return Err(corrupt(
                F,
                base + pos,
                format!("marker {m:04X} is not allowed in the main header"),
            ));
        }
        let end = segment_end(cs, pos, eoc, base)?;
        match m {
            0xFF52 if end - pos >= 14 => transform = Some(cs[pos + 13]),
            0xFF52 => return Err(corrupt(F, base + pos, "COD segment is too short")),
            0xFF5C => qcd = true,
            _ => {}
        }
        pos = end;
    }
    let wavelet = match (transform, qcd) {
        (Some(0), true) => "9-7 irreversible wavelet (lossy)",
        (Some(1), true) => "5-3 reversible wavelet (lossless possible)",
        (Some(t), true) => {
            return Err(corrupt(
                F,
                base,
                format!("COD names wavelet transform {t}; only 0 and 1 exist"),
            ))
        }
        _ => {
            return Err(corrupt(
                F,
                base,
                "the main header lacks the required COD or QCD segment",
            ))
        }
    };
    tile_parts(cs, pos, eoc, tiles, base)?;
    Ok((dims, wavelet))
}

/// End of the marker segment at `pos` (marker + Lxxx bytes), which must stay before `eoc`.
fn segment_end(cs: &[u8], pos: usize, eoc: usize, base: usize) -> Result<usize, FormatError> {
    let len = usize::from(be_u16(cs, pos + 2).unwrap_or(0));
    if len < 2 || pos + 2 + len > eoc {
        return Err(corrupt(
            F,
            base + pos,
            format!(
                "marker segment {:04X} has length {len}, outside the codestream",
                be_u16(cs, pos).unwrap_or(0)
            ),
        ));
    }
    Ok(pos + 2 + len)
}

/// Parses SIZ; returns the image dimensions and the number of tiles.
fn siz(cs: &[u8], base: usize) -> Result<(Dims, u64), FormatError> {
    let at = base + 2;
    let l = usize::from(be_u16(cs, 4).unwrap_or(0));
    let csiz = u64::from(be_u16(cs, 40).unwrap_or(0));
    if l < 41 || cs.len() < 4 + l || l as u64 != 38 + 3 * csiz || csiz == 0 {
        return Err(corrupt(
            F,
            at,
            format!("SIZ segment length {l} does not match its {csiz} components"),
        ));
    }
    let v = |i: usize| u64::from(be_u32(cs, 8 + 4 * i).unwrap_or(0));
    let (xsiz, ysiz, x0, y0, xt, yt, xt0, yt0) = (v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7));
    if xsiz <= x0
        || ysiz <= y0
        || xt == 0
        || yt == 0
        || xt0 > x0
        || yt0 > y0
        || xt0 + xt <= x0
        || yt0 + yt <= y0
    {
        return Err(corrupt(
            F,
            at,
            "SIZ image, offset and tile sizes are inconsistent",
        ));
    }
    let tiles = (xsiz - xt0)
        .div_ceil(xt)
        .saturating_mul((ysiz - yt0).div_ceil(yt));
    Ok(((xsiz - x0, ysiz - y0, csiz), tiles))
}

/// Follows the tile-parts from the first SOT by their Psot lengths to EOC.
fn tile_parts(
    cs: &[u8],
    mut pos: usize,
    eoc: usize,
    tiles: u64,
    base: usize,
) -> Result<(), FormatError> {
    let mut count = 0usize;
    while pos < eoc {
        if be_u16(cs, pos) != Some(0xFF90) || be_u16(cs, pos + 2) != Some(10) {
            return Err(corrupt(
                F,
                base + pos,
                "tile-part header (SOT, length 10) expected",
            ));
        }
        let isot = u64::from(be_u16(cs, pos + 4).unwrap_or(0));
        if isot >= tiles {
            return Err(corrupt(
                F,
                base + pos,
                format!("tile-part for tile {isot}, but SIZ defines {tiles} tiles"),
            ));
        }
        let psot = be_u32(cs, pos + 6).unwrap_or(0) as usize;
        let next = if psot == 0 {
            eoc
        } else {
            pos.saturating_add(psot)
        };
        if (psot != 0 && psot < 14) || next > eoc {
            return Err(truncated(F, format!("tile-part {count} at offset {} declares {psot} bytes; the codestream has {} left before EOC", base + pos, eoc - pos)));
        }
        if !has_sod(cs, pos + 12, next) {
            return Err(corrupt(
                F,
                base + pos,
                format!("tile-part {count} has no start-of-data marker (SOD)"),
            ));
        }
        pos = next;
        count += 1;
    }
    Ok(())
}

/// Walks the tile-part header segments from `pos` to SOD.
fn has_sod(cs: &[u8], mut pos: usize, end: usize) -> bool {
    while pos + 2 <= end {
        match be_u16(cs, pos) {
            Some(0xFF93) => return true,
            Some(m) if (0xFF52..=0xFF6F).contains(&m) => match be_u16(cs, pos + 2) {
                Some(l) if l >= 2 => pos += 2 + usize::from(l),
                _ => return false,
            },
            _ => return false,
        }
    }
    false
}
