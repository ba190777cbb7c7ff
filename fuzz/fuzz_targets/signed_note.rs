#![no_main]
//! Signed notes, checkpoints and verifier keys from an untrusted sender (a
//! bag's `checkpoint`, a proof's checkpoints, a `--vkey` argument): parsing
//! and verifying never panics, and a note that verifies parses as a
//! checkpoint only if its text is one.
use probant_verify::note::{parse_note, VerifierKey};
use probant_verify::Checkpoint;

/// The key of `fuzz/seeds/signed_note/*`: notes signed by it reach the
/// checkpoint parser through `Checkpoint::verify`.
const VKEY: &str = include_str!("../seeds/vkey");

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let key = VerifierKey::parse(VKEY.trim()).expect("the seed key parses");
    let _ = parse_note(data);
    let _ = key.verify_note(data);
    let _ = Checkpoint::verify(data, &key);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = VerifierKey::parse(text);
        let _ = Checkpoint::parse_text(text);
    }
});
