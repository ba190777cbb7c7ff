//! [`EncryptingWriter`]: plaintext in, `PRBSTRM1` stream out, SHA-256 of the plaintext on the way.

use std::io::{self, Write};

use super::hasher::Sha256Stream;
use aws_lc_rs::aead::LessSafeKey;
use zeroize::Zeroizing;

use super::{Header, DEFAULT_SEGMENT_SIZE, HEADER_LEN, PREFIX_LEN};
use crate::primitives::{self, TAG_LEN};
use crate::{DataKey, Error};

/// What [`EncryptingWriter::finish`] reports about the stream it wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamSummary {
    /// Bytes of plaintext written.
    pub plaintext_len: u64,
    /// SHA-256 of the plaintext (the `resource.sha256` of the ingest journal entry).
    pub sha256: [u8; 32],
    /// Bytes of stream written to the inner writer, header included.
    pub ciphertext_len: u64,
}

/// Encrypts everything written to it into a `PRBSTRM1` stream (`docs/spec/stream.md`) on `inner`, and
/// computes the plaintext's SHA-256 in the same pass.
///
/// Memory: one segment. Plaintext waiting in the buffer is wiped when the writer is dropped.
///
/// The stream is complete only after [`finish`](EncryptingWriter::finish): a writer dropped without it
/// leaves a stream with no final segment, which every reader rejects as truncated. `flush` flushes the
/// inner writer but cannot emit a partial segment. After an error from `inner`, the writer refuses
/// further use ([`Error::StreamPoisoned`]).
pub struct EncryptingWriter<W: Write> {
    inner: W,
    key: LessSafeKey,
    header: Header,
    segment_size: usize,
    /// Plaintext of the segment being filled, then its ciphertext; capacity `segment_size + TAG_LEN`.
    buf: Zeroizing<Vec<u8>>,
    /// Counter of the segment being filled.
    counter: u32,
    sha256: Sha256Stream,
    plaintext_len: u64,
    ciphertext_len: u64,
    poisoned: bool,
}

impl<W: Write> EncryptingWriter<W> {
    /// Starts a stream with the default segment size (64 KiB) and writes its header to `inner`.
    ///
    /// # Errors
    /// [`Error::StreamIo`] if the header cannot be written.
    pub fn new(key: &DataKey, inner: W) -> Result<Self, Error> {
        Self::with_segment_size(key, inner, DEFAULT_SEGMENT_SIZE)
    }

    /// Starts a stream with `segment_size` plaintext bytes per segment (4096 ..= 16 MiB).
    ///
    /// # Errors
    /// [`Error::InvalidSegmentSize`]; [`Error::StreamIo`] if the header cannot be written.
    pub fn with_segment_size(key: &DataKey, inner: W, segment_size: u32) -> Result<Self, Error> {
        let header = Header::new(segment_size, primitives::random::<PREFIX_LEN>())?;
        Self::with_header(key, inner, header)
    }

    /// Starts a stream with a given header (test vectors fix the nonce prefix through this).
    pub(super) fn with_header(key: &DataKey, mut inner: W, header: Header) -> Result<Self, Error> {
        inner.write_all(&header.bytes).map_err(Error::StreamIo)?;
        let segment_size = header.segment_size() as usize;
        Ok(EncryptingWriter {
            inner,
            key: primitives::aes_gcm_key(key.secret()),
            header,
            segment_size,
            buf: Zeroizing::new(Vec::with_capacity(segment_size + TAG_LEN)),
            counter: 0,
            sha256: Sha256Stream::new(),
            plaintext_len: 0,
            ciphertext_len: HEADER_LEN as u64,
            poisoned: false,
        })
    }

    /// Seals the final segment, flushes `inner` and returns it with the stream's summary.
    ///
    /// # Errors
    /// [`Error::StreamPoisoned`] if an earlier write failed; [`Error::StreamIo`].
    pub fn finish(mut self) -> Result<(W, StreamSummary), Error> {
        if self.poisoned {
            return Err(Error::StreamPoisoned);
        }
        self.seal_segment(true).map_err(Error::StreamIo)?;
        self.inner.flush().map_err(Error::StreamIo)?;
        let sha256 = self
            .sha256
            .finish()
            .ok_or_else(|| Error::StreamIo(io::Error::other("the hashing thread stopped")))?;
        let summary = StreamSummary {
            plaintext_len: self.plaintext_len,
            sha256,
            ciphertext_len: self.ciphertext_len,
        };
        Ok((self.inner, summary))
    }

    /// Encrypts the buffer as segment `counter` and writes it out.
    fn seal_segment(&mut self, last: bool) -> io::Result<()> {
        let nonce = self.header.nonce(self.counter, last);
        primitives::seal_in_place(&self.key, nonce, &self.header.bytes, &mut self.buf, 0);
        let result = self.inner.write_all(&self.buf);
        self.ciphertext_len += self.buf.len() as u64;
        self.buf.clear();
        result
    }

    /// A full buffer is sealed as a non-final segment only once more plaintext arrives: until then it
    /// may be the final one.
    fn seal_full_segment(&mut self) -> io::Result<()> {
        if self.counter == u32::MAX {
            // No counter would be left for the final segment.
            return Err(io::Error::other(Error::StreamTooLong));
        }
        self.seal_segment(false)?;
        self.counter += 1;
        Ok(())
    }

    /// Takes as much of `data` as fits in the current segment; returns how much.
    fn absorb(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() == self.segment_size {
            self.seal_full_segment()?;
        }
        let n = data.len().min(self.segment_size - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        self.sha256.update(&data[..n]);
        self.plaintext_len += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for EncryptingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.poisoned {
            return Err(io::Error::other(Error::StreamPoisoned));
        }
        let mut done = 0;
        while done < data.len() {
            match self.absorb(&data[done..]) {
                Ok(n) => done += n,
                Err(e) => {
                    self.poisoned = true;
                    return Err(e);
                }
            }
        }
        Ok(done)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
