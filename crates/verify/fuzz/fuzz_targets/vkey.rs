//! `VerifierKey::parse` on arbitrary UTF-8: returns, never panics.
#![no_main]
libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = probant_verify::VerifierKey::parse(text);
});
