#![no_main]
//! INSZ/NISS, BIS and enterprise numbers as typed by an operator or read
//! from a manifest: parsing never panics, a number that parses parses again
//! from its own digits to the same number, and its printed form shows no
//! digit of it.
use probant_identifiers::{parse_enterprise, parse_person};

libfuzzer_sys::fuzz_target!(|text: &str| {
    if let Ok(p) = parse_person(text) {
        assert_eq!(parse_person(p.expose()).as_ref(), Ok(&p));
        assert!(!p.to_string().bytes().any(|b| b.is_ascii_digit()));
    }
    if let Ok(e) = parse_enterprise(text) {
        assert_eq!(parse_enterprise(e.expose()).as_ref(), Ok(&e));
    }
});
