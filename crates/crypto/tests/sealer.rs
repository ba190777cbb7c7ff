//! [`Sealer`]: every way of changing a sealed message is refused with the one coarse error (CC-7.a.i).

use probant_crypto::{create_key_file, Error, KeyRing, MasterKeySource, Sealer};
use proptest::prelude::*;

/// A journal sealer from a real key ring in a temporary directory.
fn sealer() -> (tempfile::TempDir, Sealer) {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("keys/k.key");
    create_key_file(&key).unwrap();
    let ring = KeyRing::create(
        &dir.path().join("home/keyring.json"),
        "h",
        &MasterKeySource::KeyFile(key),
    )
    .unwrap();
    let sealer = ring.journal_sealer().unwrap();
    (dir, sealer)
}

fn is_unseal<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(r, Err(Error::Unseal))
}

#[test]
fn round_trip_including_empty() {
    let (_dir, s) = sealer();
    for msg in [&b""[..], b"x", &[7u8; 100_000]] {
        let sealed = s.seal(b"tile/entries/000", msg);
        assert_eq!(sealed.len(), msg.len() + 48);
        assert_eq!(s.open(b"tile/entries/000", &sealed).unwrap(), msg);
    }
}

#[test]
fn wrong_aad_is_refused() {
    let (_dir, s) = sealer();
    let sealed = s.seal(b"tile/entries/000", b"entries");
    assert!(is_unseal(s.open(b"tile/entries/001", &sealed)));
    assert!(is_unseal(s.open(b"", &sealed)));
}

#[test]
fn every_flipped_bit_is_refused() {
    let (_dir, s) = sealer();
    let sealed = s.seal(b"a", b"sixteen bytes!!!");
    for i in 0..sealed.len() {
        for bit in 0..8 {
            let mut altered = sealed.clone();
            altered[i] ^= 1 << bit;
            assert!(is_unseal(s.open(b"a", &altered)), "byte {i} bit {bit}");
        }
    }
}

#[test]
fn every_truncation_and_extension_is_refused() {
    let (_dir, s) = sealer();
    let sealed = s.seal(b"a", b"content");
    for len in 0..sealed.len() {
        assert!(
            is_unseal(s.open(b"a", &sealed[..len])),
            "truncated to {len}"
        );
    }
    let mut longer = sealed.clone();
    longer.push(0);
    assert!(is_unseal(s.open(b"a", &longer)));
}

#[test]
fn another_key_is_refused() {
    let (_d1, s1) = sealer();
    let (_d2, s2) = sealer();
    let sealed = s1.seal(b"a", b"content");
    assert!(is_unseal(s2.open(b"a", &sealed)));
}

#[test]
fn the_error_is_coarse() {
    let (_dir, s) = sealer();
    let sealed = s.seal(b"a", b"content");
    let messages: Vec<String> = [
        s.open(b"b", &sealed),
        s.open(b"a", &sealed[..10]),
        s.open(b"a", &[0u8; 100]),
    ]
    .into_iter()
    .map(|r| r.unwrap_err().to_string())
    .collect();
    assert!(messages.windows(2).all(|w| w[0] == w[1]), "{messages:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn seal_open_round_trips_and_any_byte_change_is_refused(
        data in proptest::collection::vec(any::<u8>(), 0..2048),
        aad in proptest::collection::vec(any::<u8>(), 0..64),
        position in any::<prop::sample::Index>(),
        delta in 1u8..=255,
    ) {
        let (_dir, s) = sealer();
        let sealed = s.seal(&aad, &data);
        prop_assert_eq!(s.open(&aad, &sealed).unwrap(), data);
        let mut altered = sealed.clone();
        altered[position.index(sealed.len())] ^= delta;
        prop_assert!(is_unseal(s.open(&aad, &altered)));
    }
}
