//! Bounds-checked reads. Every read returns `None` past the end instead of panicking.

pub(crate) fn slice(b: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    b.get(at..at.checked_add(len)?)
}

pub(crate) fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    slice(b, at, 2).map(|s| u16::from_be_bytes([s[0], s[1]]))
}

pub(crate) fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    slice(b, at, 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

pub(crate) fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    let s = slice(b, at, 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_be_bytes(a))
}

/// First occurrence of `needle` in `hay` at or after `from`.
pub(crate) fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let tail = hay.get(from..)?;
    tail.windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Last occurrence of `needle` that starts in `hay[from..]`.
pub(crate) fn rfind(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let tail = hay.get(from..)?;
    tail.windows(needle.len())
        .rposition(|w| w == needle)
        .map(|p| p + from)
}

/// Four-character codes (PNG chunk types, JP2 box types) for messages.
pub(crate) fn fourcc(t: &[u8]) -> String {
    t.iter()
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                char::from(c).to_string()
            } else {
                format!("\\x{c:02x}")
            }
        })
        .collect()
}
