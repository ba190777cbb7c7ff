//! [`IdError`]: why an identifier was refused, without any part of it (CC-7.a: errors end up in logs).

use std::fmt;

/// Why an identifier was refused.
///
/// No variant holds or prints any part of the input: at most the position of an offending
/// character or the number of digits found. Messages say which rule failed so that a person can
/// correct the number they typed, and can be logged as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdError {
    /// The input contains no digits at all (empty, or separators only).
    Empty,
    /// A character that is neither an ASCII digit nor an accepted separator (`.` `-` `/` space
    /// tab; and for enterprise numbers a leading `BE`).
    InvalidCharacter {
        /// 0-based index of the character (counted in `char`s, not bytes) in the input.
        position: usize,
    },
    /// The input has the wrong number of digits.
    WrongLength {
        /// Fewest digits accepted (11 for a person, 9 for an enterprise).
        expected_min: u8,
        /// Most digits accepted (11 for a person, 10 for an enterprise).
        expected_max: u8,
        /// Digits found (separators not counted).
        found: usize,
    },
    /// The birth-date part (first six digits) of a person number is not a possible date.
    BadDate(DateProblem),
    /// An enterprise number must start with 0 or 1 (numbers starting 2–8 are establishment units,
    /// which are not enterprise numbers).
    EnterpriseFirstDigit,
    /// The last two digits are not the mod-97 check digits of the others (for a person number:
    /// under neither the pre-2000 nor the post-2000 rule).
    BadCheckDigits,
}

/// What is wrong with the birth-date part of a person number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DateProblem {
    /// The month digits are not `00`–`12` (NISS), `20`–`32` or `40`–`52` (BIS).
    Month,
    /// The day digits exceed the length of the month (31 when the month is unknown).
    Day,
    /// 29 February in a year that is not a leap year in the century the check digits resolve to.
    NotALeapYear,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("no identifier given (no digits)"),
            Self::InvalidCharacter { position } => write!(
                f,
                "character {} is not a digit or an accepted separator (. - / space)",
                position + 1
            ),
            Self::WrongLength {
                expected_min,
                expected_max,
                found,
            } if expected_min == expected_max => {
                write!(f, "expected {expected_min} digits, found {found}")
            }
            Self::WrongLength {
                expected_min,
                expected_max,
                found,
            } => write!(
                f,
                "expected {expected_min} or {expected_max} digits, found {found}"
            ),
            Self::BadDate(DateProblem::Month) => f.write_str(
                "the month (digits 3-4) is not 00-12, or 20-32 / 40-52 for a BIS number",
            ),
            Self::BadDate(DateProblem::Day) => {
                f.write_str("the day (digits 5-6) does not exist in that month")
            }
            Self::BadDate(DateProblem::NotALeapYear) => {
                f.write_str("29 February in a year that is not a leap year")
            }
            Self::EnterpriseFirstDigit => f.write_str(
                "an enterprise number starts with 0 or 1 (2-8 are establishment unit numbers)",
            ),
            Self::BadCheckDigits => {
                f.write_str("the check digits (last two) do not match the number (mod 97)")
            }
        }
    }
}

impl std::error::Error for IdError {}
