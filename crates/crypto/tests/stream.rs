//! Streaming encryption of record content (`docs/spec/stream.md`) through the public API, on real files.
//! The byte-exact vectors named by failure are in `tests/vectors/stream/` and run by the crate's unit
//! tests (`stream::vectors`).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};

use probant_crypto::{
    create_key_file, DataKey, DecryptingReader, EncryptingWriter, Error, KeyPurpose, KeyRing,
    MasterKeySource, WrappedKey, DEFAULT_SEGMENT_SIZE, HEADER_LEN,
};
use proptest::prelude::*;

const SMALL: u32 = 4096;

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref());
    out
}

fn encrypt(key: &DataKey, plaintext: &[u8], segment: u32) -> Vec<u8> {
    let mut w = EncryptingWriter::with_segment_size(key, Vec::new(), segment).unwrap();
    w.write_all(plaintext).unwrap();
    w.finish().unwrap().0
}

fn decrypt(key: &DataKey, stream: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    DecryptingReader::new(key, stream)?
        .read_to_end(&mut out)
        .map_err(|e| {
            Error::from_io(&e)
                .map(|_| Error::Unseal)
                .expect("a coarse crate error inside")
        })?;
    Ok(out)
}

#[test]
fn round_trips_at_every_boundary_through_files() {
    let dir = tempfile::tempdir().unwrap();
    for segment in [SMALL, DEFAULT_SEGMENT_SIZE] {
        let s = segment as usize;
        for len in [0, 1, s - 1, s, s + 1, 3 * s] {
            let key = DataKey::generate();
            let plaintext = data(len, 7);
            let path = dir.path().join(format!("{segment}-{len}.prbs"));
            let w =
                EncryptingWriter::with_segment_size(&key, File::create(&path).unwrap(), segment)
                    .unwrap();
            let mut w = w;
            w.write_all(&plaintext).unwrap();
            let (file, summary) = w.finish().unwrap();
            file.sync_all().unwrap();
            let segments = len.div_ceil(s).max(1) as u64;
            assert_eq!(summary.plaintext_len, len as u64);
            assert_eq!(summary.sha256, sha256(&plaintext));
            assert_eq!(
                summary.ciphertext_len,
                HEADER_LEN as u64 + len as u64 + 16 * segments
            );
            assert_eq!(
                std::fs::metadata(&path).unwrap().len(),
                summary.ciphertext_len
            );
            let mut out = Vec::new();
            DecryptingReader::new(&key, File::open(&path).unwrap())
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert!(out == plaintext, "segment {segment}, length {len}");
        }
    }
}

#[test]
fn content_is_not_in_clear_in_the_stream() {
    let plaintext = b"NISS 85.07.30-033.28 ".repeat(1000);
    let stream = encrypt(&DataKey::generate(), &plaintext, SMALL);
    assert!(!stream.windows(21).any(|w| w == &plaintext[..21]));
}

#[test]
fn wrong_key_is_refused_at_open() {
    let stream = encrypt(&DataKey::generate(), b"content", SMALL);
    assert!(matches!(
        DecryptingReader::new(&DataKey::generate(), &stream[..]),
        Err(Error::Unseal)
    ));
}

#[test]
fn truncation_at_a_segment_boundary_is_refused_after_the_verified_segments() {
    let key = DataKey::generate();
    let plaintext = data(3 * SMALL as usize, 1);
    let stream = encrypt(&key, &plaintext, SMALL);
    let cut = &stream[..HEADER_LEN + 2 * (SMALL as usize + 16)];
    let mut reader = DecryptingReader::new(&key, cut).unwrap();
    let mut out = Vec::new();
    let err = reader.read_to_end(&mut out).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(matches!(Error::from_io(&err), Some(Error::Unseal)));
    // Only the first, verified segment was released; the second (sealed as non-final) never is.
    assert_eq!(out, plaintext[..SMALL as usize]);
    assert_eq!(
        reader.read(&mut [0u8; 10]).unwrap_err().kind(),
        io::ErrorKind::InvalidData
    );
}

#[test]
fn stream_of_a_writer_dropped_without_finish_is_refused() {
    let key = DataKey::generate();
    let mut sink = Vec::new();
    {
        let mut w = EncryptingWriter::with_segment_size(&key, &mut sink, SMALL).unwrap();
        w.write_all(&data(3 * SMALL as usize, 2)).unwrap();
    }
    assert!(matches!(decrypt(&key, &sink), Err(Error::Unseal)));
}

#[test]
fn segment_size_limits() {
    let key = DataKey::generate();
    for bad in [0, 4095, 16 * 1024 * 1024 + 1] {
        let r = EncryptingWriter::with_segment_size(&key, Vec::new(), bad);
        assert!(matches!(r, Err(Error::InvalidSegmentSize(s)) if s == bad));
    }
    let big = encrypt(&key, &data(100, 3), 16 * 1024 * 1024);
    assert_eq!(decrypt(&key, &big).unwrap(), data(100, 3));
}

/// An inner writer that fails after `budget` bytes.
struct Failing {
    budget: usize,
}

impl Write for Failing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() > self.budget {
            return Err(io::Error::other("disk full"));
        }
        self.budget -= buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn writer_refuses_to_continue_after_an_inner_error() {
    let key = DataKey::generate();
    let mut w = EncryptingWriter::with_segment_size(&key, Failing { budget: 100 }, SMALL).unwrap();
    let err = w.write_all(&data(3 * SMALL as usize, 4)).unwrap_err();
    assert_eq!(err.to_string(), "disk full");
    assert!(w.write(b"more").is_err());
    assert!(matches!(w.finish(), Err(Error::StreamPoisoned)));
    let header_fails = EncryptingWriter::new(&key, Failing { budget: 3 });
    assert!(matches!(header_fails, Err(Error::StreamIo(_))));
}

/// The brief's scale check: 64 MiB, streamed writer → file → reader, never held whole in memory.
#[test]
fn sixty_four_mib_round_trip_streamed_through_a_file() {
    const MIB: usize = 1 << 20;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.prbs");
    let key = DataKey::generate();
    let chunk: Vec<u8> = data(MIB + 13, 9); // an odd size, so writes straddle segments
    let mut expected = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut w = EncryptingWriter::new(&key, BufWriter::new(File::create(&path).unwrap())).unwrap();
    let mut written = 0;
    while written < 64 * MIB {
        let n = chunk.len().min(64 * MIB - written);
        w.write_all(&chunk[..n]).unwrap();
        expected.update(&chunk[..n]);
        written += n;
    }
    let (file, summary) = w.finish().unwrap();
    file.into_inner().unwrap().sync_all().unwrap();
    assert_eq!(summary.plaintext_len, 64 * MIB as u64);
    assert_eq!(&summary.sha256[..], expected.finish().as_ref());
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        summary.ciphertext_len
    );

    let mut reader =
        DecryptingReader::new(&key, BufReader::new(File::open(&path).unwrap())).unwrap();
    let mut actual = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let (mut buf, mut total) = (vec![0u8; 100_000], 0u64);
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        actual.update(&buf[..n]);
        total += n as u64;
    }
    assert_eq!(total, summary.plaintext_len);
    assert_eq!(&summary.sha256[..], actual.finish().as_ref());
}

/// `BufRead` hands out each verified segment without a copy; partial
/// consumes are honoured, and a truncated stream fails in `fill_buf` after
/// its verified segments exactly as `read` does (never an early end).
#[test]
fn buffered_reads_release_only_verified_segments() {
    let key = DataKey::generate();
    let plaintext = data(3 * SMALL as usize + 5, 3);
    let stream = encrypt(&key, &plaintext, SMALL);
    let mut reader = DecryptingReader::new(&key, &stream[..]).unwrap();
    let mut out = Vec::new();
    loop {
        let chunk = reader.fill_buf().unwrap();
        if chunk.is_empty() {
            break;
        }
        assert!(chunk.len() <= SMALL as usize);
        let take = chunk.len().min(1000);
        out.extend_from_slice(&chunk[..take]);
        reader.consume(take);
    }
    assert_eq!(out, plaintext);
    assert!(reader.fill_buf().unwrap().is_empty(), "end stays the end");

    let cut = &stream[..HEADER_LEN + 2 * (SMALL as usize + 16)];
    let mut reader = DecryptingReader::new(&key, cut).unwrap();
    let first = reader.fill_buf().unwrap().to_vec();
    assert_eq!(first, plaintext[..SMALL as usize]);
    reader.consume(first.len());
    let err = reader.fill_buf().unwrap_err();
    assert!(matches!(Error::from_io(&err), Some(Error::Unseal)));
    assert!(
        reader.fill_buf().is_err(),
        "a tampered stream stays tampered"
    );
}

/// One buffer serves many readers in turn, whatever their segment sizes,
/// and a reader that refuses its stream gives nothing of it back.
#[test]
fn a_buffer_is_reused_across_streams_of_any_segment_size() {
    let mut buffer = zeroize::Zeroizing::new(Vec::new());
    for (segment, len) in [
        (SMALL, 10_000),
        (DEFAULT_SEGMENT_SIZE, 200_000),
        (SMALL, 5),
        (SMALL, 0),
    ] {
        let key = DataKey::generate();
        let plaintext = data(len, len as u8);
        let stream = encrypt(&key, &plaintext, segment);
        let mut reader = DecryptingReader::with_buffer(&key, &stream[..], buffer).unwrap();
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, plaintext, "segment {segment}, {len} bytes");
        buffer = reader.into_buffer();
    }
    let stream = encrypt(&DataKey::generate(), b"another key", SMALL);
    let wrong = DataKey::generate();
    assert!(matches!(
        DecryptingReader::with_buffer(&wrong, &stream[..], buffer),
        Err(Error::Unseal)
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any length, any write and read chunking: the plaintext comes back, and any changed byte is refused.
    #[test]
    fn random_sizes_round_trip_and_any_byte_change_is_refused(
        len in 0usize..(4 * SMALL as usize + 10),
        write_chunk in 1usize..6000,
        read_chunk in 1usize..6000,
        position in any::<prop::sample::Index>(),
        delta in 1u8..=255,
    ) {
        let key = DataKey::generate();
        let plaintext = data(len, len as u8);
        let mut w = EncryptingWriter::with_segment_size(&key, Vec::new(), SMALL).unwrap();
        for c in plaintext.chunks(write_chunk) {
            w.write_all(c).unwrap();
        }
        let (stream, summary) = w.finish().unwrap();
        prop_assert_eq!(summary.sha256, sha256(&plaintext));
        let mut reader = DecryptingReader::new(&key, &stream[..]).unwrap();
        let (mut out, mut buf) = (Vec::new(), vec![0u8; read_chunk]);
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 { break; }
            out.extend_from_slice(&buf[..n]);
        }
        prop_assert!(out == plaintext);
        let mut altered = stream.clone();
        altered[position.index(stream.len())] ^= delta;
        prop_assert!(decrypt(&key, &altered).is_err());
    }
}

// ----- data keys wrapped by the key ring (envelope encryption, crypto-shredding AR-20.7, CC-7.f) -----

fn ring(dir: &std::path::Path) -> (KeyRing, MasterKeySource) {
    let key = dir.join("keys/k.key");
    create_key_file(&key).unwrap();
    let source = MasterKeySource::KeyFile(key);
    (
        KeyRing::create(&dir.join("home/keyring.json"), "h", &source).unwrap(),
        source,
    )
}

#[test]
fn envelope_round_trip_across_a_reopened_key_ring() {
    let dir = tempfile::tempdir().unwrap();
    let (ring, source) = ring(dir.path());
    let key = DataKey::generate();
    let stream = encrypt(&key, b"record content", SMALL);
    let wrapped = ring.wrap_data_key(&key, b"record/0190/v1").unwrap();
    assert_eq!((wrapped.kek_version, wrapped.bytes.len()), (1, 80));
    let json = serde_json::to_string(&wrapped).unwrap();
    drop((key, ring));

    let ring = KeyRing::open(&dir.path().join("home/keyring.json"), "h", &source).unwrap();
    let wrapped: WrappedKey = serde_json::from_str(&json).unwrap();
    let key = ring.unwrap_data_key(&wrapped, b"record/0190/v1").unwrap();
    assert_eq!(decrypt(&key, &stream).unwrap(), b"record content");
}

#[test]
fn wrapped_key_is_bound_to_its_place_its_bytes_and_its_ring() {
    let dir = tempfile::tempdir().unwrap();
    let (ring, _) = ring(dir.path());
    let wrapped = ring
        .wrap_data_key(&DataKey::generate(), b"record/A")
        .unwrap();
    assert!(matches!(
        ring.unwrap_data_key(&wrapped, b"record/B"),
        Err(Error::Unseal)
    ));
    for i in 0..wrapped.bytes.len() {
        let mut altered = wrapped.clone();
        altered.bytes[i] ^= 0x40;
        assert!(
            matches!(
                ring.unwrap_data_key(&altered, b"record/A"),
                Err(Error::Unseal)
            ),
            "byte {i}"
        );
    }
    let other_dir = tempfile::tempdir().unwrap();
    let (other, _) = self::ring(other_dir.path());
    assert!(matches!(
        other.unwrap_data_key(&wrapped, b"record/A"),
        Err(Error::Unseal)
    ));
}

/// A wrapped key is not a `Sealer` message of the record KEK: the two uses are domain-separated.
#[test]
fn data_key_wrapping_is_separate_from_sealing_with_the_record_kek() {
    let dir = tempfile::tempdir().unwrap();
    let (ring, _) = ring(dir.path());
    let wrapped = ring.wrap_data_key(&DataKey::generate(), b"r").unwrap();
    let sealer = ring.sealer(KeyPurpose::RecordKek).unwrap();
    assert!(matches!(
        sealer.open(b"r", &wrapped.bytes),
        Err(Error::Unseal)
    ));
}

/// Crypto-shredding: once the KEK version a key was wrapped with is gone, the key — and the content —
/// cannot be recovered, and the error says which key is missing.
#[test]
fn missing_kek_version_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let (ring, _) = ring(dir.path());
    let mut wrapped = ring.wrap_data_key(&DataKey::generate(), b"r").unwrap();
    wrapped.kek_version = 2;
    let err = ring.unwrap_data_key(&wrapped, b"r").unwrap_err();
    assert!(
        matches!(
            err,
            Error::KeyMissing {
                purpose: KeyPurpose::RecordKek,
                version: Some(2)
            }
        ),
        "{err:?}"
    );
}

#[test]
fn data_key_debug_is_redacted() {
    assert_eq!(format!("{:?}", DataKey::generate()), "DataKey(<redacted>)");
}

/// The vault moves these between threads (e.g. into blocking tasks).
#[test]
fn types_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<KeyRing>();
    send_sync::<probant_crypto::Sealer>();
    send_sync::<probant_crypto::Ed25519Signer>();
    send_sync::<DataKey>();
    send_sync::<WrappedKey>();
    send_sync::<Error>();
    send::<EncryptingWriter<File>>();
    send::<DecryptingReader<File>>();
}
