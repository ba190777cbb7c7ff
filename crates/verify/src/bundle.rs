//! C2SP tlog-tiles entry bundles: a sequence of big-endian uint16
//! length-prefixed entries. (Probant encrypts bundles at rest; this is the
//! plaintext inside.)
use crate::Error;

/// The longest entry a bundle can carry.
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;

/// Appends one entry to a bundle under construction.
pub fn push_entry(bundle: &mut Vec<u8>, entry: &[u8]) -> Result<(), Error> {
    let len = u16::try_from(entry.len()).map_err(|_| {
        Error::malformed(
            "entry",
            format!("{} bytes, more than {MAX_ENTRY_LEN}", entry.len()),
        )
    })?;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// Splits a bundle into its entries; rejects a truncated or overlong bundle.
pub fn parse_bundle(bytes: &[u8]) -> Result<Vec<&[u8]>, Error> {
    let mut entries = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < 2 {
            return Err(Error::malformed("entry bundle", "truncated length prefix"));
        }
        let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        if rest.len() < 2 + len {
            return Err(Error::malformed(
                "entry bundle",
                format!("entry {} truncated", entries.len()),
            ));
        }
        entries.push(&rest[2..2 + len]);
        rest = &rest[2 + len..];
    }
    if entries.len() > crate::tile::TILE_WIDTH as usize {
        return Err(Error::malformed("entry bundle", "more than 256 entries"));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let mut b = Vec::new();
        push_entry(&mut b, b"hello").unwrap();
        push_entry(&mut b, b"").unwrap();
        assert_eq!(&b[..2], &[0, 5]);
        assert_eq!(parse_bundle(&b).unwrap(), vec![&b"hello"[..], &b""[..]]);
        assert!(parse_bundle(&b[..b.len() - 1]).is_err());
        assert!(parse_bundle(&b[..4]).is_err());
        assert!(push_entry(&mut b, &vec![0; 70_000]).is_err());
    }
}
