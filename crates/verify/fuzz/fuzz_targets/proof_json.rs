//! Proof documents (DESIGN contract 5) read from arbitrary bytes, as
//! inclusion and as consistency proofs, then verified under a fixed key
//! (the key of seed [7; 32] named `fuzz.example/log`, see README.md, so that
//! a seed corpus signed with it reaches the Merkle checks).
#![no_main]
use probant_verify::{ConsistencyProof, InclusionProof, VerifierKey};

const VKEY: &str = "fuzz.example/log+44c33050+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs";

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let key = VerifierKey::parse(VKEY).expect("the fixed key parses");
    if let Ok(p) = serde_json::from_slice::<InclusionProof>(data) {
        let _ = p.verify(&key);
    }
    if let Ok(p) = serde_json::from_slice::<ConsistencyProof>(data) {
        let _ = p.verify(&key);
    }
});
