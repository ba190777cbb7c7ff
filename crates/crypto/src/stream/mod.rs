//! The encrypted stream format of record content, `PRBSTRM1` (`docs/spec/stream.md`): AES-256-GCM in
//! segments, nonce = prefix || counter || last flag, header as associated data (CC-7.a.i).

mod hasher;
mod reader;
mod writer;

#[cfg(test)]
mod vectors;

use aws_lc_rs::aead::NONCE_LEN;

use crate::Error;

pub use reader::DecryptingReader;
pub use writer::{EncryptingWriter, StreamSummary};

/// The 8 bytes every stream starts with.
pub const MAGIC: &[u8; 8] = b"PRBSTRM1";

/// Length of the header: magic (8) || segment size (4) || nonce prefix (7).
pub const HEADER_LEN: usize = 19;

/// Plaintext bytes per segment unless chosen otherwise.
pub const DEFAULT_SEGMENT_SIZE: u32 = 65536;

/// Smallest segment size allowed.
pub const MIN_SEGMENT_SIZE: u32 = 4096;

/// Largest segment size allowed (16 MiB): bounds a reader's memory whatever the header says.
pub const MAX_SEGMENT_SIZE: u32 = 16 * 1024 * 1024;

/// Length of the random nonce prefix.
const PREFIX_LEN: usize = 7;

/// Last-segment flag values (the final byte of the nonce).
const NOT_LAST: u8 = 0x00;
const LAST: u8 = 0x01;

/// A stream's header, which is also the associated data of every segment.
#[derive(Clone, Copy)]
struct Header {
    bytes: [u8; HEADER_LEN],
}

impl Header {
    /// A header for a new stream.
    fn new(segment_size: u32, prefix: [u8; PREFIX_LEN]) -> Result<Self, Error> {
        check_segment_size(segment_size)?;
        let mut bytes = [0u8; HEADER_LEN];
        bytes[..8].copy_from_slice(MAGIC);
        bytes[8..12].copy_from_slice(&segment_size.to_be_bytes());
        bytes[12..].copy_from_slice(&prefix);
        Ok(Header { bytes })
    }

    /// Parses and checks a header read from a stream.
    fn parse(bytes: [u8; HEADER_LEN]) -> Result<Self, Error> {
        if &bytes[..8] != MAGIC {
            return Err(Error::MalformedStream("bad magic (expected PRBSTRM1)"));
        }
        let header = Header { bytes };
        check_segment_size(header.segment_size())
            .map_err(|_| Error::MalformedStream("segment size out of range"))?;
        Ok(header)
    }

    /// Plaintext bytes per full segment.
    fn segment_size(&self) -> u32 {
        u32::from_be_bytes([self.bytes[8], self.bytes[9], self.bytes[10], self.bytes[11]])
    }

    /// The nonce of segment `counter`: prefix || uint32be(counter) || last flag.
    fn nonce(&self, counter: u32, last: bool) -> [u8; NONCE_LEN] {
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..PREFIX_LEN].copy_from_slice(&self.bytes[12..]);
        nonce[PREFIX_LEN..11].copy_from_slice(&counter.to_be_bytes());
        nonce[11] = if last { LAST } else { NOT_LAST };
        nonce
    }
}

/// Accepts segment sizes in `MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE`.
fn check_segment_size(size: u32) -> Result<(), Error> {
    if (MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE).contains(&size) {
        Ok(())
    } else {
        Err(Error::InvalidSegmentSize(size))
    }
}
