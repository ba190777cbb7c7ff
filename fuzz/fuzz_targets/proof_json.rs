#![no_main]
//! Proof JSON (DESIGN contract 5) from an untrusted sender: `verify-proof`
//! and `verify-bag` decode it and check it against a key; neither panics
//! on any input.
use probant_verify::note::VerifierKey;
use probant_verify::{ConsistencyProof, InclusionProof};

const VKEY: &str = include_str!("../seeds/vkey");

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let key = VerifierKey::parse(VKEY.trim()).expect("the seed key parses");
    if let Ok(proof) = serde_json::from_slice::<InclusionProof>(data) {
        let _ = proof.verify(&key);
    }
    if let Ok(proof) = serde_json::from_slice::<ConsistencyProof>(data) {
        let _ = proof.verify(&key);
    }
});
