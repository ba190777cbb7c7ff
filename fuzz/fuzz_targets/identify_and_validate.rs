#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = probant_formats::identify_and_validate(data);
});
