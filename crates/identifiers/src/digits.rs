//! Normalisation: the digits of an input, separators dropped, without allocating.

use crate::IdError;

/// Separators accepted anywhere in the input and ignored: `.` `-` `/` space and tab.
pub(crate) const fn is_separator(c: char) -> bool {
    matches!(c, '.' | '-' | '/' | ' ' | '\t')
}

/// The digits of `input`: the first `N` stored in order, with the total count (which may exceed
/// `N`; the excess is counted, not stored). With `allow_be_prefix`, a `BE` (any case) before the
/// first digit is skipped. Any other character is refused with its position.
pub(crate) fn collect<const N: usize>(
    input: &str,
    allow_be_prefix: bool,
) -> Result<([u8; N], usize), IdError> {
    let mut buf = [0u8; N];
    let mut count = 0usize;
    let mut prefix_allowed = allow_be_prefix;
    let mut chars = input.chars().enumerate().peekable();
    while let Some((position, c)) = chars.next() {
        if c.is_ascii_digit() {
            if let Some(slot) = buf.get_mut(count) {
                *slot = c as u8;
            }
            count = count.saturating_add(1);
            prefix_allowed = false;
        } else if is_separator(c) {
            continue;
        } else if prefix_allowed
            && c.eq_ignore_ascii_case(&'b')
            && chars
                .peek()
                .is_some_and(|&(_, e)| e.eq_ignore_ascii_case(&'e'))
        {
            chars.next();
            prefix_allowed = false;
        } else {
            return Err(IdError::InvalidCharacter { position });
        }
    }
    Ok((buf, count))
}

/// The value of ASCII digits, most significant first.
pub(crate) fn value(digits: &[u8]) -> u64 {
    digits
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'))
}

/// Reads a string of ASCII digits built by [`collect`].
pub(crate) fn as_str(digits: &[u8]) -> &str {
    // Only ASCII digits are ever stored, so this cannot fail.
    std::str::from_utf8(digits).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_dropped_and_excess_digits_counted() {
        let (buf, n) = collect::<4>("1.2-3/4 5\t6", false).unwrap();
        assert_eq!((&buf, n), (b"1234", 6));
    }

    #[test]
    fn be_prefix_only_before_the_first_digit_and_only_when_allowed() {
        assert_eq!(collect::<3>(" be123", true).unwrap(), (*b"123", 3));
        assert_eq!(collect::<3>("BE 123", true).unwrap(), (*b"123", 3));
        assert_eq!(
            collect::<3>("BE123", false),
            Err(IdError::InvalidCharacter { position: 0 })
        );
        assert_eq!(
            collect::<3>("1BE23", true),
            Err(IdError::InvalidCharacter { position: 1 })
        );
        assert_eq!(
            collect::<3>("BEBE123", true),
            Err(IdError::InvalidCharacter { position: 2 })
        );
        assert_eq!(
            collect::<3>("B", true),
            Err(IdError::InvalidCharacter { position: 0 })
        );
    }

    #[test]
    fn positions_count_chars_not_bytes() {
        assert_eq!(
            collect::<3>("é1x", false),
            Err(IdError::InvalidCharacter { position: 0 })
        );
        assert_eq!(
            collect::<3>("1éx", false),
            Err(IdError::InvalidCharacter { position: 1 })
        );
        // Non-ASCII digits are not digits here.
        assert_eq!(
            collect::<3>("1٢3", false),
            Err(IdError::InvalidCharacter { position: 1 })
        );
    }
}
