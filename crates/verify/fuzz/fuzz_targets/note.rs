//! `note::parse_note` on arbitrary bytes: returns, never panics.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = probant_verify::note::parse_note(data);
});
