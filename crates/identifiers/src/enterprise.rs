//! KBO/BCE enterprise numbers (issue "Vault": enterprise numbers with their mod-97 check).

use std::fmt;
use std::str::FromStr;

use crate::{check_digits, digits, IdError};

/// A valid KBO/BCE enterprise number: 10 digits, the first 0 or 1, the last two the mod-97 check
/// digits of the first eight.
///
/// `Debug` and `Display` are masked (`enterprise ****.***.***`); the digits leave only through
/// [`expose`](Self::expose) and [`expose_formatted`](Self::expose_formatted) (CC-7.a).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnterpriseNumber {
    digits: [u8; 10],
}

/// Parses and validates an enterprise number.
///
/// Rules, in the order they are checked (the first failing one is reported):
/// 1. Separators `.` `-` `/` space and tab are ignored anywhere; a `BE` prefix (any case) before
///    the first digit is ignored; any other character → [`IdError::InvalidCharacter`].
/// 2. No digits → [`IdError::Empty`]. 10 digits are taken as they are; 9 digits are the old form
///    and get a leading `0` (`403.170.701` = `0403.170.701`); any other count →
///    [`IdError::WrongLength`].
/// 3. The first digit must be 0 or 1 → else [`IdError::EnterpriseFirstDigit`].
/// 4. The last two digits must equal `97 − (first eight digits mod 97)` → else
///    [`IdError::BadCheckDigits`].
///
/// Accepts `0403.170.701`, `0403170701`, `BE0403170701`, `BE 0403.170.701`, `403.170.701`.
/// Never panics and never allocates.
pub fn parse_enterprise(input: &str) -> Result<EnterpriseNumber, IdError> {
    let (found, count) = digits::collect::<10>(input, true)?;
    let digits = match count {
        0 => return Err(IdError::Empty),
        10 => found,
        9 => {
            let mut d = [b'0'; 10];
            d[1..].copy_from_slice(&found[..9]);
            d
        }
        found => {
            return Err(IdError::WrongLength {
                expected_min: 9,
                expected_max: 10,
                found,
            })
        }
    };
    if !matches!(digits[0], b'0' | b'1') {
        return Err(IdError::EnterpriseFirstDigit);
    }
    if check_digits(digits::value(&digits[..8])) != digits::value(&digits[8..]) {
        return Err(IdError::BadCheckDigits);
    }
    Ok(EnterpriseNumber { digits })
}

impl EnterpriseNumber {
    /// The 10 digits, e.g. `0403170701`. Named so that every use of the full number is visible.
    pub fn expose(&self) -> &str {
        digits::as_str(&self.digits)
    }

    /// The usual written form, e.g. `0403.170.701`.
    pub fn expose_formatted(&self) -> String {
        let d = self.expose();
        format!("{}.{}.{}", &d[0..4], &d[4..7], &d[7..10])
    }
}

impl FromStr for EnterpriseNumber {
    type Err = IdError;

    /// As [`parse_enterprise`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_enterprise(s)
    }
}

impl fmt::Display for EnterpriseNumber {
    /// Masked: `enterprise ****.***.***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("enterprise ****.***.***")
    }
}

impl fmt::Debug for EnterpriseNumber {
    /// Masked: `EnterpriseNumber(<redacted>)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnterpriseNumber(<redacted>)")
    }
}
