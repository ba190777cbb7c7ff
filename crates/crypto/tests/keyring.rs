//! Key ring life cycle on real files, with real crypto (N-5.7.1, N-5.8.3, CC-7.c).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use probant_crypto::{create_key_file, Argon2Params, Error, KeyPurpose, KeyRing, MasterKeySource};
use zeroize::Zeroizing;

const HOME: &str = "home-1";

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
    fn key_file(&self, name: &str) -> MasterKeySource {
        let path = self.dir.path().join("keys").join(name);
        if !path.exists() {
            create_key_file(&path).unwrap();
        }
        MasterKeySource::KeyFile(path)
    }
}

fn passphrase(text: &str) -> MasterKeySource {
    MasterKeySource::Passphrase(Zeroizing::new(text.to_owned()))
}

fn create_fast(path: &Path, home: &str, source: &MasterKeySource) -> KeyRing {
    KeyRing::create_with_params(path, home, source, Argon2Params::INSECURE_FOR_TESTS).unwrap()
}

/// Everything a key ring yields, so two opens can be compared.
fn fingerprint(ring: &KeyRing) -> (Vec<u8>, Vec<u8>) {
    let signer = ring.journal_signer().unwrap();
    (
        signer.public_key().to_vec(),
        ring.blind_index_key().unwrap().to_vec(),
    )
}

#[test]
fn key_file_ring_round_trips() {
    let site = Site::new();
    let source = site.key_file("k");
    let created = KeyRing::create(&site.ring(), HOME, &source).unwrap();
    let opened = KeyRing::open(&site.ring(), HOME, &source).unwrap();
    assert_eq!(opened.home_id(), HOME);
    assert_eq!(fingerprint(&created), fingerprint(&opened));
    for purpose in [
        KeyPurpose::JournalEncryption,
        KeyPurpose::RecordKek,
        KeyPurpose::CatalogEncryption,
    ] {
        let sealed = created.sealer(purpose).unwrap().seal(b"place", b"content");
        assert_eq!(
            opened
                .sealer(purpose)
                .unwrap()
                .open(b"place", &sealed)
                .unwrap(),
            b"content"
        );
    }
}

#[test]
fn passphrase_ring_round_trips() {
    let site = Site::new();
    let created = create_fast(&site.ring(), HOME, &passphrase("correct horse"));
    let opened = KeyRing::open(&site.ring(), HOME, &passphrase("correct horse")).unwrap();
    assert_eq!(fingerprint(&created), fingerprint(&opened));
    let sealed = created
        .journal_sealer()
        .unwrap()
        .seal(b"bundle/0", b"entries");
    assert_eq!(
        opened
            .journal_sealer()
            .unwrap()
            .open(b"bundle/0", &sealed)
            .unwrap(),
        b"entries"
    );
}

#[test]
fn default_argon2_parameters_are_64_mib_3_passes_1_lane() {
    let site = Site::new();
    let created = KeyRing::create(&site.ring(), HOME, &passphrase("pw")).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&fs::read(site.ring()).unwrap()).unwrap();
    let argon = &json["kek"]["argon2id"];
    assert_eq!(
        (
            argon["m_kib"].as_u64(),
            argon["t"].as_u64(),
            argon["p"].as_u64()
        ),
        (Some(65536), Some(3), Some(1))
    );
    let opened = KeyRing::open(&site.ring(), HOME, &passphrase("pw")).unwrap();
    assert_eq!(fingerprint(&created), fingerprint(&opened));
}

#[test]
fn each_purpose_has_its_own_random_key() {
    let site = Site::new();
    let a = KeyRing::create(&site.ring(), HOME, &site.key_file("k")).unwrap();
    let b = KeyRing::create(
        &site.dir.path().join("other/keyring.json"),
        HOME,
        &site.key_file("k"),
    )
    .unwrap();
    assert_ne!(
        fingerprint(&a),
        fingerprint(&b),
        "two rings, same master key: different keys"
    );
    let sealed = a.sealer(KeyPurpose::RecordKek).unwrap().seal(b"", b"x");
    assert!(matches!(
        a.sealer(KeyPurpose::CatalogEncryption)
            .unwrap()
            .open(b"", &sealed),
        Err(Error::Unseal)
    ));
}

#[test]
fn wrong_passphrase_is_refused_and_changes_nothing() {
    let site = Site::new();
    create_fast(&site.ring(), HOME, &passphrase("right"));
    let before = fs::read(site.ring()).unwrap();
    let err = KeyRing::open(&site.ring(), HOME, &passphrase("wrong")).unwrap_err();
    assert!(matches!(err, Error::WrongMasterKey), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the master key does not open this home's key ring: wrong key file or passphrase"
    );
    assert_eq!(fs::read(site.ring()).unwrap(), before);
    assert_eq!(
        fs::read_dir(site.ring().parent().unwrap()).unwrap().count(),
        1
    );
}

#[test]
fn wrong_key_file_is_refused() {
    let site = Site::new();
    KeyRing::create(&site.ring(), HOME, &site.key_file("right")).unwrap();
    let err = KeyRing::open(&site.ring(), HOME, &site.key_file("wrong")).unwrap_err();
    assert!(matches!(err, Error::WrongMasterKey), "{err:?}");
}

#[test]
fn missing_key_file_is_named() {
    let site = Site::new();
    let source = site.key_file("k");
    KeyRing::create(&site.ring(), HOME, &source).unwrap();
    let MasterKeySource::KeyFile(path) = &source else {
        unreachable!()
    };
    fs::remove_file(path).unwrap();
    match KeyRing::open(&site.ring(), HOME, &source) {
        Err(Error::KeyFileMissing { path: p }) => assert_eq!(&p, path),
        other => panic!("{other:?}"),
    }
}

#[test]
fn master_key_of_the_other_kind_is_refused_clearly() {
    let site = Site::new();
    KeyRing::create(&site.ring(), HOME, &site.key_file("k")).unwrap();
    let err = KeyRing::open(&site.ring(), HOME, &passphrase("pw")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::MasterKeyKindMismatch {
                ring: "key file",
                offered: "passphrase"
            }
        ),
        "{err:?}"
    );
}

#[test]
fn missing_ring_is_named() {
    let site = Site::new();
    let err = KeyRing::open(&site.ring(), HOME, &site.key_file("k")).unwrap_err();
    assert!(matches!(err, Error::KeyRingMissing { .. }), "{err:?}");
}

#[test]
fn existing_ring_is_never_overwritten_and_is_private() {
    let site = Site::new();
    let source = site.key_file("k");
    KeyRing::create(&site.ring(), HOME, &source).unwrap();
    let mode = fs::metadata(site.ring()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "key ring mode (CC-7.c)");
    let before = fs::read(site.ring()).unwrap();
    let err = KeyRing::create(&site.ring(), HOME, &source).unwrap_err();
    assert!(matches!(err, Error::KeyRingExists { .. }), "{err:?}");
    assert_eq!(fs::read(site.ring()).unwrap(), before);
}

#[test]
fn key_file_inside_the_home_is_refused_n_5_8_3() {
    let site = Site::new();
    let inside = site.ring().parent().unwrap().join("master.key");
    create_key_file(&inside).unwrap();
    let err = KeyRing::create(&site.ring(), HOME, &MasterKeySource::KeyFile(inside)).unwrap_err();
    assert!(matches!(err, Error::KeyFileInsideHome { .. }), "{err:?}");
    assert!(!site.ring().exists());
}

#[test]
fn ring_copied_to_another_home_does_not_open() {
    for source in [Site::new().key_file("k"), passphrase("pw")] {
        let site = Site::new();
        create_fast(&site.ring(), HOME, &source);
        let copy = site.dir.path().join("home-2/keyring.json");
        fs::create_dir_all(copy.parent().unwrap()).unwrap();
        fs::copy(site.ring(), &copy).unwrap();
        let err = KeyRing::open(&copy, "home-2", &source).unwrap_err();
        assert!(matches!(err, Error::HomeMismatch { .. }), "{err:?}");
        // Editing the recorded home id does not help: the id is bound into the KEK and every wrapping.
        let edited = fs::read_to_string(&copy)
            .unwrap()
            .replace("\"home-1\"", "\"home-2\"");
        fs::write(&copy, edited).unwrap();
        let err = KeyRing::open(&copy, "home-2", &source).unwrap_err();
        assert!(
            matches!(err, Error::WrongMasterKey | Error::MalformedKeyRing(_)),
            "{err:?}"
        );
    }
}

/// Every single-bit change anywhere in the file is refused, with an error that says the file is at
/// fault (never "wrong key", never success).
#[test]
fn any_bit_flip_in_a_key_file_ring_is_a_clear_error() {
    let site = Site::new();
    let source = site.key_file("k");
    KeyRing::create(&site.ring(), HOME, &source).unwrap();
    let original = fs::read(site.ring()).unwrap();
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
}

/// In a passphrase ring, a flip in the Argon2 salt or costs changes the KEK, which cannot be told from a
/// wrong passphrase; every other flip is reported as damage. Nothing opens.
#[test]
fn any_bit_flip_in_a_passphrase_ring_is_refused() {
    let site = Site::new();
    create_fast(&site.ring(), HOME, &passphrase("pw"));
    let original = fs::read(site.ring()).unwrap();
    for i in 0..original.len() {
        let mut bytes = original.clone();
        bytes[i] ^= 0x01;
        fs::write(site.ring(), &bytes).unwrap();
        let result = KeyRing::open(&site.ring(), HOME, &passphrase("pw"));
        assert!(result.is_err(), "flip at byte {i} opened");
    }
}

#[test]
fn changed_date_is_detected() {
    let site = Site::new();
    let source = site.key_file("k");
    KeyRing::create(&site.ring(), HOME, &source).unwrap();
    let text = fs::read_to_string(site.ring()).unwrap();
    let year = &text[text.find("\"created\": \"").unwrap() + 12..][..4];
    let edited = text.replacen(&format!("\"created\": \"{year}"), "\"created\": \"1999", 1);
    fs::write(site.ring(), edited).unwrap();
    let err = KeyRing::open(&site.ring(), HOME, &source).unwrap_err();
    assert!(matches!(err, Error::MalformedKeyRing(_)), "{err:?}");
}

#[test]
fn newer_format_is_reported_as_such() {
    let site = Site::new();
    let source = site.key_file("k");
    KeyRing::create(&site.ring(), HOME, &source).unwrap();
    let text = fs::read_to_string(site.ring())
        .unwrap()
        .replace("\"format\": 1", "\"format\": 2");
    fs::write(site.ring(), text).unwrap();
    let err = KeyRing::open(&site.ring(), HOME, &source).unwrap_err();
    assert!(
        matches!(
            err,
            Error::UnsupportedFormat {
                found: 2,
                supported: 1
            }
        ),
        "{err:?}"
    );
}

#[test]
fn file_has_the_documented_shape_and_no_key_in_clear() {
    let site = Site::new();
    let ring = KeyRing::create(&site.ring(), HOME, &site.key_file("k")).unwrap();
    let text = fs::read_to_string(site.ring()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["format"], 1);
    assert_eq!(json["home_id"], HOME);
    assert_eq!(json["kek"], serde_json::json!({"kind": "key-file"}));
    let purposes: Vec<&str> = json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["purpose"].as_str().unwrap())
        .collect();
    assert_eq!(
        purposes,
        [
            "journal-signing",
            "journal-encryption",
            "record-kek",
            "blind-index",
            "catalog-encryption"
        ]
    );
    for key in json["keys"].as_array().unwrap() {
        assert_eq!(key["version"], 1);
        time::OffsetDateTime::parse(
            key["created"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
    }
    use base64::Engine;
    let blind = ring.blind_index_key().unwrap();
    assert!(!text.contains(&base64::engine::general_purpose::STANDARD.encode(*blind)));
    assert!(!fs::read(site.ring())
        .unwrap()
        .windows(32)
        .any(|w| w == blind.as_slice()));
}

#[test]
fn debug_output_shows_no_secret() {
    let site = Site::new();
    let ring = KeyRing::create(&site.ring(), HOME, &site.key_file("k")).unwrap();
    let blind = ring.blind_index_key().unwrap();
    for text in [
        format!("{ring:?}"),
        format!("{:?}", ring.journal_sealer().unwrap()),
    ] {
        assert!(
            !text.contains(
                &format!("{:?}", &blind[..4])
                    .trim_end_matches(']')
                    .to_string()
            ),
            "{text}"
        );
    }
    assert!(format!("{ring:?}").contains("record-kek v1"));
}

#[test]
fn signing_and_hmac_keys_do_not_seal() {
    let site = Site::new();
    let ring = KeyRing::create(&site.ring(), HOME, &site.key_file("k")).unwrap();
    for purpose in [KeyPurpose::JournalSigning, KeyPurpose::BlindIndex] {
        assert!(
            matches!(ring.sealer(purpose), Err(Error::WrongPurpose { .. })),
            "{purpose}"
        );
    }
}

/// Cross-implementation check: signatures made through aws-lc verify with ed25519-dalek.
#[test]
fn journal_signatures_verify_with_ed25519_dalek() {
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    let site = Site::new();
    let ring = KeyRing::create(&site.ring(), HOME, &site.key_file("k")).unwrap();
    let signer = ring.journal_signer().unwrap();
    let key = VerifyingKey::from_bytes(&signer.public_key()).unwrap();
    let msg = b"example.com/log\n42\nAAAA\n";
    let sig = Signature::from_bytes(&signer.sign(msg));
    key.verify(msg, &sig).unwrap();
    assert!(key.verify(b"example.com/log\n43\nAAAA\n", &sig).is_err());
}
