//! Key rotation, re-wrapping and retirement of the record KEK (N-5.7.1; crypto-shredding, AR-20.7,
//! CC-7.f), on real files with real crypto.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use probant_crypto::{
    create_key_file, Argon2Params, DataKey, DecryptingReader, EncryptingWriter, Error, KeyPurpose,
    KeyRing, MasterKeySource, WrappedKey,
};
use zeroize::Zeroizing;

const HOME: &str = "home-1";
const REC: KeyPurpose = KeyPurpose::RecordKek;

/// A temporary place with a home directory and a key directory beside it (never inside: N-5.8.3).
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new() -> Self {
        Site {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn ring(&self) -> PathBuf {
        self.dir.path().join("home/keyring.json")
    }
    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    fn key_file(&self, name: &str) -> MasterKeySource {
        let path = self.dir.path().join("keys").join(name);
        if !path.exists() {
            create_key_file(&path).unwrap();
        }
        MasterKeySource::KeyFile(path)
    }
    /// A key-file ring, created, with its master key.
    fn create(&self) -> (KeyRing, MasterKeySource) {
        let source = self.key_file("k");
        (
            KeyRing::create(&self.ring(), HOME, &source).unwrap(),
            source,
        )
    }
    fn open(&self, source: &MasterKeySource) -> KeyRing {
        KeyRing::open(&self.ring(), HOME, source).unwrap()
    }
    fn bytes(&self) -> Vec<u8> {
        fs::read(self.ring()).unwrap()
    }
    /// The names in the home directory, sorted.
    fn home_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.home())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

fn passphrase(text: &str) -> MasterKeySource {
    MasterKeySource::Passphrase(Zeroizing::new(text.to_owned()))
}

fn encrypt(key: &DataKey, plaintext: &[u8]) -> Vec<u8> {
    let mut w = EncryptingWriter::with_segment_size(key, Vec::new(), 4096).unwrap();
    w.write_all(plaintext).unwrap();
    w.finish().unwrap().0
}

fn decrypt(key: &DataKey, stream: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    DecryptingReader::new(key, stream)
        .ok()?
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

/// The JSON records of `purpose` in the file, as (version, created, wrapped).
fn records(path: &Path, purpose: &str) -> Vec<(u64, String, String)> {
    let json: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["purpose"] == purpose)
        .map(|k| {
            (
                k["version"].as_u64().unwrap(),
                k["created"].as_str().unwrap().to_owned(),
                k["wrapped"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Everything the non-rotated purposes yield, to check that rotating the record KEK leaves them be.
fn other_keys(ring: &KeyRing) -> (Vec<u8>, Vec<u8>) {
    (
        ring.journal_signer().unwrap().public_key().to_vec(),
        ring.blind_index_key().unwrap().to_vec(),
    )
}

fn is_key_missing(err: &Error, version: u32) -> bool {
    matches!(err, Error::KeyMissing { purpose: REC, version: Some(v) } if *v == version)
}

#[test]
fn rotation_adds_a_current_version_and_keeps_the_old_one_across_reopening() {
    let site = Site::new();
    let (mut ring, source) = site.create();
    let key = DataKey::generate();
    let stream = encrypt(&key, b"record content");
    let old = ring.wrap_data_key(&key, b"record/A/v1").unwrap();
    assert_eq!(old.kek_version, 1);
    let v1_record = records(&site.ring(), "record-kek");
    let others = other_keys(&ring);
    let catalog_sealed = ring
        .sealer(KeyPurpose::CatalogEncryption)
        .unwrap()
        .seal(b"field", b"name");

    assert_eq!(ring.rotate(&site.ring(), &source, REC).unwrap(), 2);
    assert_eq!(
        (ring.versions(REC), ring.current_version(REC).unwrap()),
        (vec![1, 2], 2)
    );
    assert_eq!(ring.wrap_data_key(&key, b"x").unwrap().kek_version, 2);
    assert!(format!("{ring:?}").contains("record-kek v2"));

    // The file: mode 0600, v1 kept byte for byte, v2 appended, no temporary file left.
    let mode = fs::metadata(site.ring()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let after = records(&site.ring(), "record-kek");
    assert_eq!(after.len(), 2);
    assert_eq!(after[0], v1_record[0]);
    assert_eq!(after[1].0, 2);
    time::OffsetDateTime::parse(&after[1].1, &time::format_description::well_known::Rfc3339)
        .unwrap();
    assert_eq!(site.home_entries(), ["keyring.json"]);

    drop(ring);
    let ring = site.open(&source);
    assert_eq!(
        (ring.versions(REC), ring.current_version(REC).unwrap()),
        (vec![1, 2], 2)
    );
    let unwrapped = ring.unwrap_data_key(&old, b"record/A/v1").unwrap();
    assert_eq!(decrypt(&unwrapped, &stream).unwrap(), b"record content");
    assert_eq!(ring.wrap_data_key(&key, b"x").unwrap().kek_version, 2);
    // Other purposes did not change.
    assert_eq!(other_keys(&ring), others);
    for purpose in [KeyPurpose::JournalSigning, KeyPurpose::BlindIndex] {
        assert_eq!(ring.versions(purpose), [1]);
    }
    assert_eq!(
        ring.sealer(KeyPurpose::CatalogEncryption)
            .unwrap()
            .open(b"field", &catalog_sealed)
            .unwrap(),
        b"name"
    );
}

#[test]
fn rotation_of_a_passphrase_ring_reopens_with_the_same_passphrase() {
    let site = Site::new();
    let source = passphrase("correct horse");
    let mut ring = KeyRing::create_with_params(
        &site.ring(),
        HOME,
        &source,
        Argon2Params::INSECURE_FOR_TESTS,
    )
    .unwrap();
    let old = ring.wrap_data_key(&DataKey::generate(), b"r").unwrap();
    let kek_before =
        serde_json::from_slice::<serde_json::Value>(&site.bytes()).unwrap()["kek"].clone();

    // A wrong passphrase changes nothing.
    let before = site.bytes();
    let err = ring
        .rotate(&site.ring(), &passphrase("wrong"), REC)
        .unwrap_err();
    assert!(matches!(err, Error::WrongMasterKey), "{err:?}");
    assert_eq!(site.bytes(), before);
    assert_eq!(ring.versions(REC), [1]);

    assert_eq!(ring.rotate(&site.ring(), &source, REC).unwrap(), 2);
    let json: serde_json::Value = serde_json::from_slice(&site.bytes()).unwrap();
    assert_eq!(json["kek"], kek_before, "same Argon2id salt and costs");
    let ring = site.open(&source);
    assert_eq!(ring.versions(REC), [1, 2]);
    ring.unwrap_data_key(&old, b"r").unwrap();
}

#[test]
fn rewrap_moves_a_data_key_to_the_current_version_without_changing_it() {
    let site = Site::new();
    let (mut ring, source) = site.create();
    let key = DataKey::generate();
    let aad = b"record/0190/v1";
    let stream = encrypt(&key, b"content encrypted once, never rewritten");
    let old = ring.wrap_data_key(&key, aad).unwrap();
    ring.rotate(&site.ring(), &source, REC).unwrap();

    let new = ring.rewrap_data_key(&old, aad).unwrap();
    assert_eq!((new.kek_version, new.bytes.len()), (2, 80));
    assert_ne!(new.bytes, old.bytes);

    // Both wrappings yield the same data key: each decrypts what the other's key encrypted.
    let from_old = ring.unwrap_data_key(&old, aad).unwrap();
    let from_new = ring.unwrap_data_key(&new, aad).unwrap();
    assert_eq!(
        decrypt(&from_new, &stream).unwrap(),
        b"content encrypted once, never rewritten"
    );
    let stream2 = encrypt(&from_new, b"second");
    assert_eq!(decrypt(&from_old, &stream2).unwrap(), b"second");
    assert!(decrypt(&DataKey::generate(), &stream).is_none());

    // The rewrapped key stays bound to its place.
    assert!(matches!(
        ring.unwrap_data_key(&new, b"record/0190/v2"),
        Err(Error::Unseal)
    ));
    assert!(matches!(
        ring.rewrap_data_key(&old, b"record/0190/v2"),
        Err(Error::Unseal)
    ));
    // It survives serialization and reopening, like any wrapped key.
    let json = serde_json::to_string(&new).unwrap();
    drop(ring);
    let ring = site.open(&source);
    let new: WrappedKey = serde_json::from_str(&json).unwrap();
    assert_eq!(
        decrypt(&ring.unwrap_data_key(&new, aad).unwrap(), &stream).unwrap(),
        b"content encrypted once, never rewritten"
    );
}

/// Wrapping the same data key again and again under one version: every wrapping differs and opens.
#[test]
fn rewrapping_under_the_same_version_is_fresh_each_time() {
    let site = Site::new();
    let (ring, _) = site.create();
    let key = DataKey::generate();
    let stream = encrypt(&key, b"x");
    let first = ring.wrap_data_key(&key, b"r").unwrap();
    let mut seen = vec![first.bytes.clone()];
    let mut current = first;
    for _ in 0..8 {
        current = ring.rewrap_data_key(&current, b"r").unwrap();
        assert_eq!(current.kek_version, 1);
        assert!(!seen.contains(&current.bytes));
        seen.push(current.bytes.clone());
        let k = ring.unwrap_data_key(&current, b"r").unwrap();
        assert_eq!(decrypt(&k, &stream).unwrap(), b"x");
    }
}

#[test]
fn retiring_the_old_version_after_rewrap_shreds_what_was_left_under_it() {
    let site = Site::new();
    let (mut ring, source) = site.create();
    let kept = DataKey::generate();
    let shredded = DataKey::generate();
    let kept_stream = encrypt(&kept, b"kept");
    let old_kept = ring.wrap_data_key(&kept, b"record/K").unwrap();
    let old_shredded = ring.wrap_data_key(&shredded, b"record/S").unwrap();
    let v1_wrapped = records(&site.ring(), "record-kek")[0].2.clone();

    ring.rotate(&site.ring(), &source, REC).unwrap();
    let new_kept = ring.rewrap_data_key(&old_kept, b"record/K").unwrap();
    ring.retire(&site.ring(), &source, REC, 1).unwrap();

    assert_eq!(
        (ring.versions(REC), ring.current_version(REC).unwrap()),
        (vec![2], 2)
    );
    for ring in [&ring, &site.open(&source)] {
        for (wrapped, aad) in [(&old_kept, &b"record/K"[..]), (&old_shredded, b"record/S")] {
            let err = ring.unwrap_data_key(wrapped, aad).unwrap_err();
            assert!(is_key_missing(&err, 1), "{err:?}");
            assert_eq!(
                err.to_string(),
                "the key ring has no record-kek key of version 1: it was retired (destroyed) or \
                 never existed in this key ring"
            );
            let err = ring.rewrap_data_key(wrapped, aad).unwrap_err();
            assert!(is_key_missing(&err, 1), "{err:?}");
        }
        let k = ring.unwrap_data_key(&new_kept, b"record/K").unwrap();
        assert_eq!(decrypt(&k, &kept_stream).unwrap(), b"kept");
    }
    // The wrapped v1 key is gone from the file, and no other copy of it was left in the home.
    let text = fs::read_to_string(site.ring()).unwrap();
    assert!(!text.contains(&v1_wrapped));
    assert_eq!(records(&site.ring(), "record-kek").len(), 1);
    assert_eq!(site.home_entries(), ["keyring.json"]);

    // Retiring it again: it is missing. Versions are never reused.
    let err = ring.retire(&site.ring(), &source, REC, 1).unwrap_err();
    assert!(is_key_missing(&err, 1), "{err:?}");
    assert_eq!(ring.rotate(&site.ring(), &source, REC).unwrap(), 3);
    assert_eq!(site.open(&source).versions(REC), [2, 3]);
}

#[test]
fn the_current_version_cannot_be_retired() {
    let site = Site::new();
    let (mut ring, source) = site.create();
    let before = site.bytes();
    let err = ring.retire(&site.ring(), &source, REC, 1).unwrap_err();
    assert!(
        matches!(
            err,
            Error::RetiringCurrentKey {
                purpose: REC,
                version: 1
            }
        ),
        "{err:?}"
    );
    assert_eq!(site.bytes(), before);

    ring.rotate(&site.ring(), &source, REC).unwrap();
    let before = site.bytes();
    let err = ring.retire(&site.ring(), &source, REC, 2).unwrap_err();
    assert!(
        matches!(
            err,
            Error::RetiringCurrentKey {
                purpose: REC,
                version: 2
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "version 2 is the current record-kek key and cannot be retired: rotate first, re-wrap what \
         it protects, then retire it"
    );
    assert_eq!(site.bytes(), before);
    let err = ring.retire(&site.ring(), &source, REC, 7).unwrap_err();
    assert!(is_key_missing(&err, 7), "{err:?}");
    assert_eq!(site.bytes(), before);
    assert_eq!(ring.versions(REC), [1, 2]);
}

#[test]
fn purposes_that_do_not_record_a_version_are_not_rotated_and_nothing_changes() {
    let site = Site::new();
    let (mut ring, source) = site.create();
    let before = site.bytes();
    for purpose in [
        KeyPurpose::JournalSigning,
        KeyPurpose::JournalEncryption,
        KeyPurpose::BlindIndex,
        KeyPurpose::CatalogEncryption,
    ] {
        assert!(!purpose.rotates());
        let err = ring.rotate(&site.ring(), &source, purpose).unwrap_err();
        assert!(
            matches!(err, Error::RotationUnsupported { purpose: p } if p == purpose),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("{purpose} keys cannot be rotated or retired yet: only record-kek keys can")
        );
        let err = ring.retire(&site.ring(), &source, purpose, 1).unwrap_err();
        assert!(matches!(err, Error::RotationUnsupported { .. }), "{err:?}");
        assert_eq!(ring.versions(purpose), [1]);
    }
    assert!(REC.rotates());
    assert_eq!(site.bytes(), before);
    assert_eq!(site.home_entries(), ["keyring.json"]);
}

#[test]
fn a_wrong_master_key_rotates_and_retires_nothing() {
    let site = Site::new();
    let (mut ring, source) = site.create();
    let before = site.bytes();
    let wrong = site.key_file("wrong");
    let err = ring.rotate(&site.ring(), &wrong, REC).unwrap_err();
    assert!(matches!(err, Error::WrongMasterKey), "{err:?}");
    let err = ring
        .rotate(&site.ring(), &passphrase("pw"), REC)
        .unwrap_err();
    assert!(
        matches!(err, Error::MasterKeyKindMismatch { .. }),
        "{err:?}"
    );
    assert_eq!(site.bytes(), before);
    assert_eq!(ring.versions(REC), [1]);

    ring.rotate(&site.ring(), &source, REC).unwrap();
    let before = site.bytes();
    let err = ring.retire(&site.ring(), &wrong, REC, 1).unwrap_err();
    assert!(matches!(err, Error::WrongMasterKey), "{err:?}");
    assert_eq!(site.bytes(), before);
    assert_eq!(ring.versions(REC), [1, 2]);
    assert_eq!(site.open(&source).versions(REC), [1, 2]);
}

#[test]
fn a_missing_ring_file_is_named() {
    let site = Site::new();
    let (mut ring, source) = site.create();
    fs::rename(site.ring(), site.home().join("moved.json")).unwrap();
    let err = ring.rotate(&site.ring(), &source, REC).unwrap_err();
    assert!(matches!(err, Error::KeyRingMissing { .. }), "{err:?}");
    assert!(!site.ring().exists());
    assert_eq!(ring.versions(REC), [1]);
}

/// A crash during rotation leaves the old file (the rename never happened) and perhaps a temporary file
/// beside it: `open` ignores it, and the next update deletes it.
#[test]
fn a_temporary_file_left_by_an_interrupted_rotation_breaks_nothing() {
    let site = Site::new();
    let (mut ring, source) = site.create();
    let old = ring.wrap_data_key(&DataKey::generate(), b"r").unwrap();
    let before = site.bytes();
    // What an interrupted rotation leaves: a half-written temporary file.
    let partial = site.home().join(".keyring.json.tmp-0123456789abcdef");
    fs::write(&partial, &before[..before.len() / 2]).unwrap();
    // Not ours: left alone.
    let unrelated = site.home().join(".keyring.json.tmp-notes");
    fs::write(&unrelated, b"x").unwrap();

    let reopened = site.open(&source);
    assert_eq!(reopened.versions(REC), [1]);
    reopened.unwrap_data_key(&old, b"r").unwrap();
    assert_eq!(site.bytes(), before);

    assert_eq!(ring.rotate(&site.ring(), &source, REC).unwrap(), 2);
    assert!(!partial.exists(), "the stray temporary file is deleted");
    assert!(unrelated.exists());
    assert_eq!(site.open(&source).versions(REC), [1, 2]);

    // A complete stray copy that still holds version 1 would defeat its retirement: retire deletes it.
    let stray = site.home().join(".keyring.json.tmp-fedcba9876543210");
    fs::copy(site.ring(), &stray).unwrap();
    ring.retire(&site.ring(), &source, REC, 1).unwrap();
    assert!(!stray.exists());
    assert_eq!(
        site.home_entries(),
        [".keyring.json.tmp-notes", "keyring.json"]
    );
}

#[test]
fn a_stale_key_ring_cannot_update_the_file() {
    let site = Site::new();
    let (mut first, source) = site.create();
    let mut second = site.open(&source);
    assert_eq!(first.rotate(&site.ring(), &source, REC).unwrap(), 2);
    let after_first = site.bytes();

    let err = second.rotate(&site.ring(), &source, REC).unwrap_err();
    assert!(matches!(err, Error::KeyRingChanged { .. }), "{err:?}");
    let err = second.retire(&site.ring(), &source, REC, 1);
    // Still v1-current in memory: refused as current before the file is even read.
    assert!(
        matches!(err, Err(Error::RetiringCurrentKey { .. })),
        "{err:?}"
    );
    assert_eq!(site.bytes(), after_first);
    assert_eq!(second.versions(REC), [1]);

    // After the first retires v1, a ring opened in between is stale too.
    let mut third = site.open(&source);
    first.retire(&site.ring(), &source, REC, 1).unwrap();
    let after = site.bytes();
    let err = third.rotate(&site.ring(), &source, REC).unwrap_err();
    assert!(matches!(err, Error::KeyRingChanged { .. }), "{err:?}");
    assert_eq!(site.bytes(), after);

    // Another home's file, or another ring of the same home: refused.
    let other = Site::new();
    let other_source = other.key_file("k");
    KeyRing::create(&other.ring(), "home-2", &other_source).unwrap();
    let err = first.rotate(&other.ring(), &other_source, REC).unwrap_err();
    assert!(matches!(err, Error::HomeMismatch { .. }), "{err:?}");
    let twin = site.dir.path().join("twin/keyring.json");
    KeyRing::create(&twin, HOME, &source).unwrap();
    let err = first.rotate(&twin, &source, REC).unwrap_err();
    assert!(matches!(err, Error::KeyRingChanged { .. }), "{err:?}");
    assert_eq!(site.open(&source).versions(REC), [2]);
}

/// Two rotations at once: the file lock makes them run one after the other, so exactly one succeeds
/// and the other sees the change — a new version is never lost (data keys may already be wrapped
/// under it).
#[test]
fn concurrent_rotations_never_lose_a_version() {
    for _ in 0..8 {
        let site = Site::new();
        let (_, source) = site.create();
        let mut a = site.open(&source);
        let mut b = site.open(&source);
        let path = site.ring();
        let (ra, rb) = std::thread::scope(|s| {
            let ta = s.spawn(|| a.rotate(&path, &source, REC));
            let tb = s.spawn(|| b.rotate(&path, &source, REC));
            (ta.join().unwrap(), tb.join().unwrap())
        });
        let (winner, loser) = match (ra, rb) {
            (Ok(v), Err(e)) => (v, e),
            (Err(e), Ok(v)) => (v, e),
            other => panic!("{other:?}"),
        };
        assert_eq!(winner, 2);
        assert!(matches!(loser, Error::KeyRingChanged { .. }), "{loser:?}");
        let winner_ring = if a.versions(REC) == [1, 2] { &a } else { &b };
        let wrapped = winner_ring
            .wrap_data_key(&DataKey::generate(), b"r")
            .unwrap();
        site.open(&source).unwrap_data_key(&wrapped, b"r").unwrap();
        assert_eq!(site.home_entries(), ["keyring.json"]);
    }
}

/// The check still binds every field after rotation and retirement: any single-bit change is refused.
#[test]
fn a_rotated_and_retired_ring_is_still_fully_authenticated() {
    let site = Site::new();
    let (mut ring, source) = site.create();
    ring.rotate(&site.ring(), &source, REC).unwrap();
    ring.rotate(&site.ring(), &source, REC).unwrap();
    ring.retire(&site.ring(), &source, REC, 2).unwrap();
    assert_eq!(ring.versions(REC), [1, 3]);
    let original = site.bytes();
    for i in 0..original.len() {
        let mut bytes = original.clone();
        bytes[i] ^= 0x01;
        fs::write(site.ring(), &bytes).unwrap();
        match KeyRing::open(&site.ring(), HOME, &source) {
            Err(
                Error::MalformedKeyRing(_)
                | Error::HomeMismatch { .. }
                | Error::UnsupportedFormat { .. },
            ) => {}
            other => panic!("flip at byte {i} ({:?}): {other:?}", original[i] as char),
        }
    }
    // Dropping a record by hand (an unauthorised "retirement") is detected too.
    let mut json: serde_json::Value = serde_json::from_slice(&original).unwrap();
    json["keys"].as_array_mut().unwrap().pop();
    fs::write(site.ring(), serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    let err = KeyRing::open(&site.ring(), HOME, &source).unwrap_err();
    assert!(matches!(err, Error::MalformedKeyRing(_)), "{err:?}");
    // And the damaged file is not "repaired" by an update either.
    let err = ring.rotate(&site.ring(), &source, REC).unwrap_err();
    assert!(matches!(err, Error::MalformedKeyRing(_)), "{err:?}");
}
