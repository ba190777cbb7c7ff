//! `Checkpoint::parse_text` on arbitrary UTF-8: returns, never panics.
#![no_main]
libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = probant_verify::Checkpoint::parse_text(text);
});
