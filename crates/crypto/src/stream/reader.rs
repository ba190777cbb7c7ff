//! [`DecryptingReader`]: `PRBSTRM1` stream in, authenticated plaintext out.

use std::io::{self, BufRead, Read};

use aws_lc_rs::aead::LessSafeKey;
use zeroize::Zeroizing;

use super::{Header, HEADER_LEN};
use crate::primitives::{self, TAG_LEN};
use crate::{DataKey, Error};

/// Where a reader stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// More segments to read.
    Reading,
    /// The final segment was verified; end of plaintext once the buffer is drained.
    Done,
    /// Authentication failed: every further read fails the same way.
    Tampered,
    /// The inner reader failed mid-segment: the stream cannot be resumed.
    Broken,
}

/// Decrypts a `PRBSTRM1` stream (`docs/spec/stream.md`) read from `inner`.
///
/// A segment's plaintext is released only after its tag has verified, so no unauthenticated byte is
/// ever returned. Because segments are released as they verify, a truncated or altered stream is
/// detected only when its bad segment is reached: **treat an error at any point as invalidating
/// everything already read**, and the content as valid only once `read` has returned `Ok(0)`.
///
/// Errors from `read` have kind [`io::ErrorKind::InvalidData`] and carry [`Error::Unseal`] (get it
/// with [`Error::from_io`]) on any tampering, truncation or wrong key; after one, every further `read`
/// fails again (it never signals end of data). Errors of the inner reader are passed through.
///
/// Memory: one segment plus 17 bytes, whatever the stream's length.
pub struct DecryptingReader<R: Read> {
    inner: R,
    key: LessSafeKey,
    header: Header,
    /// `segment_size + TAG_LEN + 1` bytes: one sealed segment plus one byte of read-ahead.
    buf: Zeroizing<Vec<u8>>,
    /// Verified plaintext not yet returned: `buf[pos..end]`.
    pos: usize,
    end: usize,
    /// The read-ahead byte: the first byte of the next segment.
    carry: Option<u8>,
    /// Counter of the next segment to open.
    counter: u32,
    state: State,
}

impl<R: Read> DecryptingReader<R> {
    /// Reads the header and opens the first segment, so that a wrong key or a damaged start is reported
    /// here.
    ///
    /// # Errors
    /// [`Error::MalformedStream`] if the header is missing or invalid; [`Error::Unseal`] if the first
    /// segment does not authenticate (wrong key, damage, no segment); [`Error::StreamIo`].
    pub fn new(key: &DataKey, inner: R) -> Result<Self, Error> {
        Self::with_buffer(key, inner, Zeroizing::new(Vec::new()))
    }

    /// [`Self::new`], decrypting into `buffer`'s allocation: one that
    /// [`Self::into_buffer`] took back from an earlier reader. A worker
    /// decrypting many records then clears one buffer when it is done,
    /// rather than one per record (zeroizing is a byte-by-byte volatile
    /// write, slower than the decryption of a small record's segment).
    ///
    /// # Errors
    /// As [`Self::new`]; `buffer` is then dropped, and so zeroized.
    pub fn with_buffer(
        key: &DataKey,
        mut inner: R,
        mut buffer: Zeroizing<Vec<u8>>,
    ) -> Result<Self, Error> {
        let mut bytes = [0u8; HEADER_LEN];
        if read_full(&mut inner, &mut bytes).map_err(Error::StreamIo)? < HEADER_LEN {
            return Err(Error::MalformedStream("shorter than a header"));
        }
        let header = Header::parse(bytes)?;
        let len = header.segment_size() as usize + TAG_LEN + 1;
        if buffer.capacity() < len {
            // Growing in place could move the old bytes and free them
            // uncleared: the old allocation goes (zeroized), a new one comes.
            buffer = Zeroizing::new(Vec::with_capacity(len));
        }
        buffer.clear();
        buffer.resize(len, 0);
        let mut reader = DecryptingReader {
            inner,
            key: primitives::aes_gcm_key(key.secret()),
            header,
            buf: buffer,
            pos: 0,
            end: 0,
            carry: None,
            counter: 0,
            state: State::Reading,
        };
        reader
            .next_segment()
            .map_err(|e| match Error::from_io(&e) {
                Some(Error::Unseal) => Error::Unseal,
                _ => Error::StreamIo(e),
            })?;
        Ok(reader)
    }

    /// Gives back the reader's buffer, plaintext and all, for
    /// [`Self::with_buffer`]; it is zeroized when finally dropped.
    pub fn into_buffer(self) -> Zeroizing<Vec<u8>> {
        self.buf
    }

    /// Reads, authenticates and decrypts the next segment into `buf[0..end]`.
    fn next_segment(&mut self) -> io::Result<()> {
        match self.read_segment() {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                self.state = State::Tampered;
                Err(e)
            }
            Err(e) => {
                self.state = State::Broken;
                Err(e)
            }
        }
    }

    /// [`Self::next_segment`] without the state bookkeeping of failures.
    fn read_segment(&mut self) -> io::Result<()> {
        let (len, last) = self.fill()?;
        if len < TAG_LEN {
            return Err(tampered());
        }
        let nonce = self.header.nonce(self.counter, last);
        let plain =
            primitives::open_in_place(&self.key, nonce, &self.header.bytes, &mut self.buf[..len])
                .map_err(|_| tampered())?;
        if last && plain == 0 && self.counter > 0 {
            // Only an empty plaintext has an empty final segment (non-canonical otherwise).
            return Err(tampered());
        }
        (self.pos, self.end) = (0, plain);
        if last {
            self.state = State::Done;
        } else {
            self.counter = self.counter.checked_add(1).ok_or_else(tampered)?;
        }
        Ok(())
    }

    /// Fills `buf` with the next sealed segment; returns its length and whether it is the final one.
    ///
    /// Reads up to one full sealed segment plus one byte: getting that extra byte is what proves the
    /// segment is not the final one (a full final segment is followed by end of input).
    fn fill(&mut self) -> io::Result<(usize, bool)> {
        let want = self.buf.len();
        let mut got = 0;
        if let Some(byte) = self.carry.take() {
            self.buf[0] = byte;
            got = 1;
        }
        got += read_full(&mut self.inner, &mut self.buf[got..])?;
        if got < want {
            return Ok((got, true));
        }
        self.carry = Some(self.buf[want - 1]);
        Ok((want - 1, false))
    }
}

impl<R: Read> Read for DecryptingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let verified = self.fill_buf()?;
        let n = out.len().min(verified.len());
        out[..n].copy_from_slice(&verified[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// The verified plaintext of the current segment, without a copy into the
/// caller's buffer (a consumer that hashes and writes what it reads saves
/// one pass over the content). The same guarantees as `read`: nothing
/// unauthenticated is ever returned, and an empty slice means the final
/// segment verified.
impl<R: Read> BufRead for DecryptingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.end {
            match self.state {
                State::Reading => self.next_segment()?,
                State::Done => return Ok(&[]),
                State::Tampered => return Err(tampered()),
                State::Broken => return Err(io::Error::other(Error::StreamPoisoned)),
            }
        }
        Ok(&self.buf[self.pos..self.end])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.end);
    }
}

/// The one error of a stream that does not authenticate.
fn tampered() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, Error::Unseal)
}

/// Reads until `buf` is full or the input ends; returns the number of bytes read.
fn read_full(inner: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match inner.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
