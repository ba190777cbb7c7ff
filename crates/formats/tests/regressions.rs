//! Regression tests, each named after what it reproduces.

mod support;

use probant_formats::{identify_and_validate as validate, Format, FormatError};

/// Found with `tiffcp -c zip -t`: a Deflate strip or tile whose data inflates to
/// more than the 32 KiB output buffer was refused (the inflate loop asked zlib to
/// finish in one call).
#[test]
fn tiff_deflate_strip_larger_than_the_inflate_buffer() {
    let b = support::gen::deflate_one_strip_tiff();
    let id = validate(&b).unwrap();
    assert_eq!(id.format, Format::Tiff);
    // And the same strip cut short by one byte of image data is refused.
    let mut short = b.clone();
    let at = short.len() - 5;
    short.remove(at);
    assert!(matches!(
        validate(&short),
        Err(FormatError::Corrupt { .. } | FormatError::Truncated { .. })
    ));
}
