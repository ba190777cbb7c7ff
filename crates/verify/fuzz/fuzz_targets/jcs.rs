//! RFC 8785: whatever JSON parses and canonicalises, canonicalises to a text
//! that is canonical and that canonicalises to itself (idempotence).
#![no_main]
use probant_verify::jcs;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(canonical) = jcs::canonicalize(&value) else {
        return;
    };
    let again: serde_json::Value = serde_json::from_str(&canonical).expect("canonical text parses");
    assert_eq!(again, value, "canonical text reads back as another value");
    assert_eq!(
        jcs::canonicalize(&again).as_deref(),
        Ok(canonical.as_str()),
        "not idempotent"
    );
    assert!(
        jcs::is_canonical(&canonical),
        "canonical text not recognised"
    );
});
