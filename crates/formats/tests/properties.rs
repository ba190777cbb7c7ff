//! `identify_and_validate` never panics: on arbitrary bytes, on bytes behind
//! each signature, and on mutations and truncations of every valid sample.
//! Whatever it accepts, `identify` names the same format.

mod support;

use probant_formats::{identify, identify_and_validate as validate};
use proptest::prelude::*;

fn check(bytes: &[u8]) {
    if let Ok(id) = validate(bytes) {
        assert_eq!(identify(bytes), Some(id.format));
    }
}

fn samples() -> Vec<Vec<u8>> {
    support::gen::all().into_iter().map(|(_, b)| b).collect()
}

const SIGNATURES: [&[u8]; 10] = [
    b"%PDF-1.7\n",
    b"II*\0",
    b"MM\0*",
    b"\x89PNG\r\n\x1a\n",
    b"\xFF\xD8\xFF",
    b"\0\0\0\x0CjP  \r\n\x87\n",
    b"\xFF\x4F\xFF\x51",
    b"<?xml version=\"1.0\"?>",
    b"{",
    b"\xEF\xBB\xBF",
];

/// Recomputes PNG chunk CRCs so mutations reach the checks behind them.
fn fix_png_crcs(b: &mut [u8]) {
    let mut at = 8;
    while at + 12 <= b.len() {
        let len = u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        let Some(end) = at.checked_add(8 + len).filter(|&e| e + 4 <= b.len()) else {
            break;
        };
        let crc = crc32fast::hash(&b[at + 4..end]);
        b[end..end + 4].copy_from_slice(&crc.to_be_bytes());
        at = end + 4;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes);
    }

    #[test]
    fn bytes_behind_a_signature(sig in 0..SIGNATURES.len(), tail in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let mut b = SIGNATURES[sig].to_vec();
        b.extend(tail);
        check(&b);
    }

    #[test]
    fn mutated_samples(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in proptest::option::of(any::<prop::sample::Index>()),
        insert in proptest::option::of((any::<prop::sample::Index>(), proptest::collection::vec(any::<u8>(), 1..16))),
        fix_crc in any::<bool>(),
    ) {
        let mut all = samples();
        let mut b = all.swap_remove(which.index(all.len()));
        for (i, v) in edits {
            let at = i.index(b.len());
            b[at] = v;
        }
        if let Some((i, bytes)) = insert {
            let at = i.index(b.len());
            b.splice(at..at, bytes);
        }
        if let Some(i) = cut {
            b.truncate(i.index(b.len()));
        }
        if fix_crc && b.starts_with(b"\x89PNG") {
            fix_png_crcs(&mut b);
        }
        check(&b);
    }
}
