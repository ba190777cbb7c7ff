//! `bundle::parse_bundle` on arbitrary bytes: returns, never panics.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = probant_verify::bundle::parse_bundle(data);
});
