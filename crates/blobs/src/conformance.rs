//! The behavioural suite every [`BlobStore`] backend must pass (STYLE: one
//! suite, many backends). Enabled by the `conformance` feature; a backend's
//! tests call [`run_all`] on a fresh, empty store:
//!
//! ```no_run
//! let store = probant_blobs::LocalBlobStore::open(std::path::Path::new("/tmp/empty-dir"))?;
//! probant_blobs::conformance::run_all(&store);
//! # Ok::<(), probant_blobs::Error>(())
//! ```
//!
//! Each case panics with a message naming what failed, and deletes what it
//! wrote. Large blobs are never held in memory, by the store or by the
//! suite: their bytes come from a seeded generator and are compared, as they
//! are read back, with the same generator's output.
use std::io::{Read, Write};

use crate::{BlobInfo, BlobKey, BlobStore, Error};

const MIB: u64 = 1 << 20;

/// Runs every case, in order. The store must be empty.
pub fn run_all(store: &dyn BlobStore) {
    assert_eq!(
        list(store),
        Vec::<String>::new(),
        "the store must start empty"
    );
    invalid_keys_are_refused();
    round_trips(store);
    many_small_writes(store);
    streams_64_mib(store);
    create_refuses_an_existing_key(store);
    racing_writers_one_wins(store);
    missing_key_is_not_found(store);
    modified_is_when_it_was_written(store);
    dropped_writer_leaves_nothing(store);
    list_is_exactly_the_finished_keys(store);
    assert!(!store.describe().is_empty(), "describe() is empty");
    assert_eq!(
        list(store),
        Vec::<String>::new(),
        "a case left blobs behind"
    );
}

/// Keys with path tricks or outside the alphabet are refused at
/// construction.
pub fn invalid_keys_are_refused() {
    let long = "a".repeat(201);
    for bad in [
        "../x", "/a", "a/", "a//b", "A", "a b", "", "a/../b", "a.b", &long,
    ] {
        assert!(
            matches!(BlobKey::new(bad), Err(Error::InvalidKey { .. })),
            "key {bad:?} was accepted"
        );
    }
    assert!(
        BlobKey::new(&"a".repeat(200)).is_ok(),
        "200 characters refused"
    );
}

/// Blobs of 0 B, 1 B, around the usual part sizes and 5 MiB + 1 come back
/// byte for byte, with their size.
pub fn round_trips(store: &dyn BlobStore) {
    for (i, len) in [0, 1, 4095, MIB, MIB + 1, 5 * MIB + 1]
        .into_iter()
        .enumerate()
    {
        let k = key(&format!("conformance/round-trip/{i}"));
        let info = write_generated(store, &k, len, len, 100_003);
        assert_eq!(
            info,
            BlobInfo {
                key: k.to_string(),
                size: len
            },
            "BlobInfo of {k}"
        );
        check_generated(store, &k, len, len);
        store.delete(&k).unwrap();
    }
}

/// A blob written a few bytes at a time is stored exactly.
pub fn many_small_writes(store: &dyn BlobStore) {
    let k = key("conformance/small-writes");
    write_generated(store, &k, 7, 300_000, 7);
    check_generated(store, &k, 7, 300_000);
    store.delete(&k).unwrap();
}

/// 64 MiB streamed in and out, never held whole in memory (the suite does
/// not buffer it either; bounded memory in the store is checked by the
/// backend's own tests, e.g. in a child process).
pub fn streams_64_mib(store: &dyn BlobStore) {
    let k = key("conformance/large");
    let len = 64 * MIB;
    let info = write_generated(store, &k, 64, len, 1 << 16);
    assert_eq!(info.size, len);
    check_generated(store, &k, 64, len);
    store.delete(&k).unwrap();
}

/// `create` on an existing key is refused and the blob stays as it was.
pub fn create_refuses_an_existing_key(store: &dyn BlobStore) {
    let k = key("conformance/immutable");
    write_generated(store, &k, 1, 10_000, 4096);
    match store.create(&k) {
        Err(Error::Exists { key }) => assert_eq!(key, k.as_str()),
        Err(e) => panic!("create on an existing key: {e}"),
        Ok(_) => panic!("create on an existing key was accepted"),
    }
    check_generated(store, &k, 1, 10_000);
    store.delete(&k).unwrap();
}

/// Two writers started on a free key: the first to finish wins, the second
/// gets `Exists`, and the first one's content stays.
pub fn racing_writers_one_wins(store: &dyn BlobStore) {
    let k = key("conformance/race");
    let mut first = store.create(&k).expect("first writer");
    let mut second = store.create(&k).expect("second writer (key still free)");
    generate_into(&mut *second, 2, 3 * MIB + 5, 65_536);
    generate_into(&mut *first, 1, 2 * MIB + 3, 65_536);
    first.finish().expect("first finish");
    match second.finish() {
        Err(Error::Exists { .. }) => {}
        Err(e) => panic!("second finish on a taken key: {e}"),
        Ok(_) => panic!("second finish overwrote an existing blob"),
    }
    check_generated(store, &k, 1, 2 * MIB + 3);
    store.delete(&k).unwrap();
}

/// `open`, `size` and `delete` of a key that was never written, or was
/// deleted, are `NotFound`; a deleted key can be written again.
pub fn missing_key_is_not_found(store: &dyn BlobStore) {
    let k = key("conformance/missing");
    assert_not_found(store, &k);
    write_generated(store, &k, 3, 100, 100);
    store.delete(&k).unwrap();
    assert_not_found(store, &k);
    write_generated(store, &k, 4, 200, 100);
    check_generated(store, &k, 4, 200);
    // A key that is only the prefix of another blob (a directory, on a file
    // system), and a key below a blob, hold nothing either.
    let child = key("conformance/missing/child");
    assert_not_found(store, &child);
    store.delete(&k).unwrap();
    write_generated(store, &child, 5, 10, 10);
    assert_not_found(store, &k);
    store.delete(&child).unwrap();
}

/// A writer dropped without `finish`, after several parts, leaves no blob,
/// nothing in `list()`, and the key free.
pub fn dropped_writer_leaves_nothing(store: &dyn BlobStore) {
    let k = key("conformance/dropped");
    let mut w = store.create(&k).unwrap();
    generate_into(&mut *w, 5, 3 * MIB + 1, 65_536);
    drop(w);
    assert_not_found(store, &k);
    assert_eq!(
        list(store),
        Vec::<String>::new(),
        "a dropped writer is listed"
    );
    write_generated(store, &k, 6, 10, 10);
    store.delete(&k).unwrap();
}

/// `list` returns exactly the finished keys, sorted: not a writer still
/// open, not one dropped, not one refused.
pub fn list_is_exactly_the_finished_keys(store: &dyn BlobStore) {
    let names = [
        "conformance/list/b",
        "conformance/list/a/1",
        "conformance/list/c-0",
    ];
    for (i, n) in names.iter().enumerate() {
        write_generated(store, &key(n), i as u64, 1000, 333);
    }
    let mut open = store.create(&key("conformance/list/open")).unwrap();
    open.write_all(&[1; 1000]).unwrap();
    drop(store.create(&key("conformance/list/dropped")).unwrap());
    assert!(matches!(
        store.create(&key(names[0])),
        Err(Error::Exists { .. })
    ));
    let mut expect: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    expect.sort();
    assert_eq!(list(store), expect);
    drop(open);
    assert_eq!(list(store), expect);
    for n in names {
        store.delete(&key(n)).unwrap();
    }
}

/// Builds a key the suite knows to be valid.
pub fn key(s: &str) -> BlobKey {
    BlobKey::new(s).unwrap()
}

/// The store's keys as strings.
pub fn list(store: &dyn BlobStore) -> Vec<String> {
    store
        .list()
        .unwrap()
        .iter()
        .map(|k| k.to_string())
        .collect()
}

fn assert_not_found(store: &dyn BlobStore, k: &BlobKey) {
    assert!(
        matches!(store.open(k), Err(Error::NotFound { .. })),
        "open {k}"
    );
    assert!(
        matches!(store.size(k), Err(Error::NotFound { .. })),
        "size {k}"
    );
    assert!(
        matches!(store.delete(k), Err(Error::NotFound { .. })),
        "delete {k}"
    );
    assert!(!list(store).contains(&k.to_string()), "{k} is listed");
}

/// Writes `len` generated bytes (stream `seed`) under `k` in writes of
/// `chunk` bytes, and finishes.
pub fn write_generated(
    store: &dyn BlobStore,
    k: &BlobKey,
    seed: u64,
    len: u64,
    chunk: usize,
) -> BlobInfo {
    let mut w = store
        .create(k)
        .unwrap_or_else(|e| panic!("create {k}: {e}"));
    generate_into(&mut *w, seed, len, chunk);
    w.finish().unwrap_or_else(|e| panic!("finish {k}: {e}"))
}

fn generate_into(w: &mut dyn Write, seed: u64, len: u64, chunk: usize) {
    let mut gen = Generator::new(seed);
    let mut buf = vec![0; chunk];
    let mut left = len;
    while left > 0 {
        let n = chunk.min(left as usize);
        gen.fill(&mut buf[..n]);
        w.write_all(&buf[..n]).unwrap();
        left -= n as u64;
    }
}

/// `modified` is the time the blob was written (within the clock's
/// resolution and a second of slack), and absent keys are not found.
pub fn modified_is_when_it_was_written(store: &dyn BlobStore) {
    let slack = std::time::Duration::from_secs(2);
    let before = std::time::SystemTime::now() - slack;
    let k = key("conformance/modified");
    write_generated(store, &k, 7, 1000, 100);
    let at = store.modified(&k).unwrap();
    assert!(
        at >= before && at <= std::time::SystemTime::now() + slack,
        "modified {at:?} is not the time of writing"
    );
    assert!(matches!(
        store.modified(&key("conformance/absent")),
        Err(Error::NotFound { .. })
    ));
    store.delete(&k).unwrap();
}

/// Reads `k` back and compares it, as it streams, with the generator's
/// output; checks `size` too.
pub fn check_generated(store: &dyn BlobStore, k: &BlobKey, seed: u64, len: u64) {
    assert_eq!(store.size(k).unwrap(), len, "size of {k}");
    let mut r = store.open(k).unwrap_or_else(|e| panic!("open {k}: {e}"));
    let mut gen = Generator::new(seed);
    let (mut got, mut want) = (vec![0; 65_536], vec![0; 65_536]);
    let mut offset = 0u64;
    loop {
        let n = r.read(&mut got).unwrap();
        if n == 0 {
            break;
        }
        assert!(offset + n as u64 <= len, "{k} is longer than {len} bytes");
        gen.fill(&mut want[..n]);
        if got[..n] != want[..n] {
            let at = got[..n].iter().zip(&want[..n]).position(|(a, b)| a != b);
            panic!("{k} differs at byte {}", offset + at.unwrap_or(0) as u64);
        }
        offset += n as u64;
    }
    assert_eq!(offset, len, "{k} is truncated");
}

/// A seeded byte stream (SplitMix64): the same seed gives the same bytes
/// however the stream is cut into calls.
pub struct Generator {
    state: u64,
    word: [u8; 8],
    used: usize,
}

impl Generator {
    /// A stream for `seed`.
    pub fn new(seed: u64) -> Self {
        Generator {
            state: seed,
            word: [0; 8],
            used: 8,
        }
    }

    /// Fills `out` with the next bytes of the stream.
    pub fn fill(&mut self, out: &mut [u8]) {
        for b in out {
            if self.used == 8 {
                self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = self.state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                self.word = (z ^ (z >> 31)).to_le_bytes();
                self.used = 0;
            }
            *b = self.word[self.used];
            self.used += 1;
        }
    }
}
