//! The test vectors of `docs/spec/stream.md`, kept as files in `tests/vectors/stream/`.
//!
//! The vectors are built here from the spec's rules (independently of the writer's buffering), checked
//! against the committed files byte for byte, and every file is run through every read path. Set
//! `PROBANT_WRITE_VECTORS=1` to rewrite the files after a deliberate format change.

use std::io::{Read, Write};
use std::path::PathBuf;

use zeroize::Zeroizing;

use super::*;
use crate::primitives::{aes_gcm_key, seal_in_place, sha256, TAG_LEN};
use crate::DataKey;

const S: usize = 4096;
const KEY: [u8; 32] = {
    let mut k = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        k[i] = i as u8;
        i += 1;
    }
    k
};
const OTHER_KEY: [u8; 32] = [0xff; 32];
const PREFIX_A: [u8; PREFIX_LEN] = [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6];
const PREFIX_B: [u8; PREFIX_LEN] = [0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6];

struct Vector {
    name: &'static str,
    comment: &'static str,
    /// `Some(plaintext)` for a success vector.
    plaintext: Option<Vec<u8>>,
    stream: Vec<u8>,
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn header(magic: &[u8; 8], segment_size: u32, prefix: [u8; PREFIX_LEN]) -> Header {
    let mut bytes = [0u8; HEADER_LEN];
    bytes[..8].copy_from_slice(magic);
    bytes[8..12].copy_from_slice(&segment_size.to_be_bytes());
    bytes[12..].copy_from_slice(&prefix);
    Header { bytes }
}

/// A stream built segment by segment, straight from the spec: `(counter, last, plaintext)` each.
fn encode(key: &[u8; 32], header: Header, segments: &[(u32, bool, &[u8])]) -> Vec<u8> {
    let aead = aes_gcm_key(key);
    let mut out = header.bytes.to_vec();
    for &(counter, last, chunk) in segments {
        let mut buf = Vec::with_capacity(chunk.len() + TAG_LEN);
        buf.extend_from_slice(chunk);
        seal_in_place(
            &aead,
            header.nonce(counter, last),
            &header.bytes,
            &mut buf,
            0,
        );
        out.extend_from_slice(&buf);
    }
    out
}

/// The canonical stream of `plaintext` per the spec's chunking rule.
fn canonical(key: &[u8; 32], prefix: [u8; PREFIX_LEN], plaintext: &[u8]) -> Vec<u8> {
    let chunks: Vec<&[u8]> = if plaintext.is_empty() {
        vec![&[][..]]
    } else {
        plaintext.chunks(S).collect()
    };
    let n = chunks.len();
    let segments: Vec<(u32, bool, &[u8])> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| (i as u32, i + 1 == n, *c))
        .collect();
    encode(key, header(MAGIC, S as u32, prefix), &segments)
}

fn std_stream(len: usize) -> Vec<u8> {
    canonical(&KEY, PREFIX_A, &plaintext(len))
}

fn flip(mut stream: Vec<u8>, at: usize, mask: u8) -> Vec<u8> {
    stream[at] ^= mask;
    stream
}

fn segment(stream: &[u8], i: usize) -> &[u8] {
    &stream[HEADER_LEN + i * (S + TAG_LEN)..][..S + TAG_LEN]
}

fn success(name: &'static str, comment: &'static str, len: usize) -> Vector {
    Vector {
        name,
        comment,
        plaintext: Some(plaintext(len)),
        stream: std_stream(len),
    }
}

fn failure(name: &'static str, comment: &'static str, stream: Vec<u8>) -> Vector {
    Vector {
        name,
        comment,
        plaintext: None,
        stream,
    }
}

fn all_vectors() -> Vec<Vector> {
    let three = std_stream(3 * S);
    let p = plaintext(S + 100);
    let hdr = header(MAGIC, S as u32, PREFIX_A);
    let mut reordered = three.clone();
    reordered[HEADER_LEN..HEADER_LEN + 2 * (S + TAG_LEN)]
        .copy_from_slice(&[segment(&three, 1), segment(&three, 0)].concat());
    let mut spliced = three.clone();
    let other = canonical(&KEY, PREFIX_B, &plaintext(3 * S));
    spliced[HEADER_LEN + S + TAG_LEN..][..S + TAG_LEN].copy_from_slice(segment(&other, 1));
    vec![
        success("empty-plaintext", "one empty final segment", 0),
        success("one-byte", "one final segment of 1 byte", 1),
        success(
            "segment-minus-one",
            "one short final segment of S-1 bytes",
            S - 1,
        ),
        success("segment-exact", "one full segment flagged final", S),
        success(
            "segment-plus-one",
            "a full non-final segment and a 1-byte final one",
            S + 1,
        ),
        success(
            "three-segments-exact",
            "three full segments, the third flagged final",
            3 * S,
        ),
        failure("empty-input", "zero bytes", vec![]),
        failure("header-only", "a header and no segment", hdr.bytes.to_vec()),
        failure(
            "truncated-header",
            "18 bytes of header",
            hdr.bytes[..18].to_vec(),
        ),
        failure(
            "bad-magic",
            "PRBSTRM2, segments sealed with that header",
            encode(
                &KEY,
                header(b"PRBSTRM2", S as u32, PREFIX_A),
                &[(0, true, b"x")],
            ),
        ),
        failure(
            "segment-size-too-small",
            "S = 4095, correctly sealed",
            encode(
                &KEY,
                header(MAGIC, 4095, PREFIX_A),
                &[(0, true, &plaintext(100))],
            ),
        ),
        failure(
            "segment-size-too-large",
            "S = 2^24 + 1, correctly sealed",
            encode(
                &KEY,
                header(MAGIC, (1 << 24) + 1, PREFIX_A),
                &[(0, true, &plaintext(100))],
            ),
        ),
        failure(
            "flipped-bit-header",
            "a bit of the nonce prefix",
            flip(std_stream(S + 100), 12, 0x01),
        ),
        failure(
            "flipped-bit-body",
            "a bit of the first ciphertext",
            flip(std_stream(S + 100), HEADER_LEN + 10, 0x80),
        ),
        failure(
            "flipped-bit-tag",
            "a bit of the last tag",
            flip(std_stream(S + 100), HEADER_LEN + S + 115, 0x01),
        ),
        failure(
            "truncated-at-segment-boundary",
            "three full segments cut after the second",
            three[..HEADER_LEN + 2 * (S + TAG_LEN)].to_vec(),
        ),
        failure(
            "truncated-mid-segment",
            "the final segment loses 50 bytes",
            {
                let s = std_stream(S + 100);
                s[..s.len() - 50].to_vec()
            },
        ),
        failure(
            "truncated-tag",
            "a final segment of 10 bytes, shorter than a tag",
            {
                let s = std_stream(S + 4);
                s[..s.len() - 10].to_vec()
            },
        ),
        failure("reordered-segments", "segments 0 and 1 swapped", reordered),
        failure(
            "spliced-segment-from-other-stream",
            "segment 1 from a stream with another prefix, same key",
            spliced,
        ),
        failure(
            "trailing-garbage",
            "one byte after a short final segment",
            [std_stream(100), vec![0]].concat(),
        ),
        failure(
            "trailing-garbage-after-full-segment",
            "one byte after a full final segment",
            [std_stream(S), vec![0]].concat(),
        ),
        failure(
            "early-last-flag",
            "the first of two segments flagged final",
            encode(&KEY, hdr, &[(0, true, &p[..S]), (1, true, &p[S..])]),
        ),
        failure(
            "no-last-flag",
            "no segment flagged final",
            encode(&KEY, hdr, &[(0, false, &p[..S]), (1, false, &p[S..])]),
        ),
        failure(
            "empty-final-segment-after-full",
            "S bytes as a full non-final segment and an empty final one (non-canonical)",
            encode(&KEY, hdr, &[(0, false, &p[..S]), (1, true, &[])]),
        ),
        failure(
            "wrong-key",
            "a valid stream under another key",
            canonical(&OTHER_KEY, PREFIX_A, &plaintext(100)),
        ),
    ]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|d| u8::from_str_radix(std::str::from_utf8(d).unwrap(), 16).unwrap())
        .collect()
}

fn render(v: &Vector) -> String {
    let mut text = format!(
        "expect: {}\nkey: {}\n",
        if v.plaintext.is_some() {
            "success"
        } else {
            "failure"
        },
        hex(&KEY)
    );
    if let Some(p) = &v.plaintext {
        text += &format!(
            "plaintext-len: {}\nplaintext-sha256: {}\n",
            p.len(),
            hex(&sha256(p))
        );
    }
    text += &format!("comment: {}\n\n", v.comment);
    for line in hex(&v.stream).as_bytes().chunks(64) {
        text += std::str::from_utf8(line).unwrap();
        text.push('\n');
    }
    text
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/stream")
}

#[test]
fn vector_files_match_the_spec_rules() {
    let vectors = all_vectors();
    let write = std::env::var_os("PROBANT_WRITE_VECTORS").is_some();
    if write {
        std::fs::create_dir_all(vectors_dir()).unwrap();
    }
    for v in &vectors {
        let path = vectors_dir().join(format!("{}.txt", v.name));
        if write {
            std::fs::write(&path, render(v)).unwrap();
        }
        let on_disk =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(on_disk, render(v), "{} differs from the spec rules", v.name);
    }
    let files = std::fs::read_dir(vectors_dir()).unwrap().count();
    assert_eq!(files, vectors.len(), "a vector file without a generator");
}

/// The writer, whatever the sizes of the writes, produces exactly the spec's canonical stream.
#[test]
fn writer_output_is_canonical() {
    for v in all_vectors().iter().filter(|v| v.plaintext.is_some()) {
        let p = v.plaintext.as_ref().unwrap();
        for write_size in [1, 1000, S, S + 1, usize::MAX] {
            let key = DataKey::from_secret(Zeroizing::new(KEY));
            let mut w =
                EncryptingWriter::with_header(&key, Vec::new(), header(MAGIC, S as u32, PREFIX_A))
                    .unwrap();
            for chunk in p.chunks(write_size.min(p.len().max(1))) {
                w.write_all(chunk).unwrap();
            }
            let (out, summary) = w.finish().unwrap();
            assert_eq!(out, v.stream, "{} with writes of {write_size}", v.name);
            assert_eq!(summary.sha256, sha256(p));
            assert_eq!(
                (summary.plaintext_len, summary.ciphertext_len),
                (p.len() as u64, out.len() as u64)
            );
        }
    }
}

struct Parsed {
    name: String,
    key: [u8; 32],
    expect: Option<(usize, String)>,
    stream: Vec<u8>,
}

fn parse(name: String, text: &str) -> Parsed {
    let (head, body) = text.split_once("\n\n").unwrap();
    let field = |k: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}: ")))
            .map(str::to_owned)
    };
    let key = unhex(&field("key").unwrap()).try_into().unwrap();
    let expect = match field("expect").unwrap().as_str() {
        "success" => Some((
            field("plaintext-len").unwrap().parse().unwrap(),
            field("plaintext-sha256").unwrap(),
        )),
        _ => None,
    };
    Parsed {
        name,
        key,
        expect,
        stream: unhex(body),
    }
}

/// Hands out at most one byte per `read`, to exercise the reader's refilling.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = out.len().min(1).min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Reads with `chunk`-byte reads; returns what was released and the error, if any.
fn read_path(key: &[u8; 32], inner: impl Read, chunk: usize) -> (Vec<u8>, Option<Error>) {
    let key = DataKey::from_secret(Zeroizing::new(*key));
    let mut reader = match DecryptingReader::new(&key, inner) {
        Ok(r) => r,
        Err(e) => return (vec![], Some(e)),
    };
    let mut out = Vec::new();
    let mut buf = vec![0u8; chunk];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => {
                // A failed reader keeps failing; it never reports end of data.
                assert!(reader.read(&mut buf).is_err());
                let inner = Error::from_io(&e).map(|e| matches!(e, Error::Unseal));
                assert_eq!(
                    inner,
                    Some(true),
                    "io error {e:?} does not carry Error::Unseal"
                );
                return (out, Some(Error::Unseal));
            }
        }
    }
}

#[test]
fn every_vector_on_every_read_path() {
    let mut files: Vec<_> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 26);
    for path in files {
        let v = parse(
            path.file_stem().unwrap().to_string_lossy().into(),
            &std::fs::read_to_string(&path).unwrap(),
        );
        for (label, chunk, trickle) in [
            ("whole", 1 << 20, false),
            ("1-byte", 1, false),
            ("7-byte", 7, false),
            ("trickle", 4099, true),
        ] {
            let (out, err) = if trickle {
                read_path(&v.key, Trickle(&v.stream), chunk)
            } else {
                read_path(&v.key, &v.stream[..], chunk)
            };
            match (&v.expect, err) {
                (Some((len, digest)), None) => {
                    assert_eq!(
                        (out.len(), &hex(&sha256(&out))),
                        (*len, digest),
                        "{} {label}",
                        v.name
                    )
                }
                (None, Some(Error::Unseal | Error::MalformedStream(_))) => {
                    assert_eq!(
                        out.len() % S,
                        0,
                        "{} {label}: released part of a failing segment",
                        v.name
                    )
                }
                (_, err) => panic!("{} {label}: unexpected outcome {err:?}", v.name),
            }
        }
    }
}

/// The spec's worked example, computed independently with OpenSSL (Python `cryptography` AESGCM).
#[test]
fn worked_example_matches_openssl() {
    let stream = canonical(&KEY, PREFIX_A, b"hello, world");
    assert_eq!(
        hex(&stream),
        "5052425354524d3100001000a0a1a2a3a4a5a6\
         1f042572d72ac0b76c17b44b51700de0a95df29c28ecad6fcd8b4ac9"
    );
}
