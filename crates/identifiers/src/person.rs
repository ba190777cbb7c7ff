//! INSZ/NISS and BIS numbers (issue "Vault": subject INSZ/NISS or BIS number with its mod-97
//! check, including the post-2000 rule).

use std::fmt;
use std::str::FromStr;

use crate::{check_digits, digits, DateProblem, IdError};

/// Added to the first nine digits for a person born in or after 2000 (the "prefix with 2" rule).
const POST_2000_OFFSET: u64 = 2_000_000_000;

// Why a number can never satisfy both rules: the two expected check values are
// `97 − (n mod 97)` and `97 − ((n + 2·10⁹) mod 97)`, both in 1..=97, and they are equal only if
// 2·10⁹ ≡ 0 (mod 97). It is not: 2·10⁹ mod 97 = 68. So the check digits decide the century.
const _: () = assert!(POST_2000_OFFSET % 97 == 68);

/// Whether a person number is a national register number or a BIS number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersonKind {
    /// National register number (INSZ/NISS of a person in the national register): month `00`–`12`.
    Niss,
    /// BIS number (person not in the national register): month increased by 20 (sex unknown
    /// when the number was assigned) or 40 (sex known), i.e. `20`–`32` or `40`–`52`.
    Bis,
}

/// The century the check digits resolve a person number to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Century {
    /// Born before 2000: the check digits are computed over the first nine digits. (Covers the
    /// 1800s as well as the 1900s; the leap-year rule is the same for both: `YY` divisible by 4
    /// and not `00`.)
    Before2000,
    /// Born in or after 2000: the check digits are computed over `2` followed by the first nine
    /// digits.
    InOrAfter2000,
}

/// A valid INSZ/NISS or BIS number: 11 digits `YYMMDD` `SSS` `CC`.
///
/// `Debug` and `Display` are masked (`NISS **.**.**-***.**`, `BIS **.**.**-***.**`): neither the
/// number nor the birth date nor the century is shown. The digits leave only through
/// [`expose`](Self::expose) and [`expose_formatted`](Self::expose_formatted) (CC-7.a).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonNumber {
    digits: [u8; 11],
    kind: PersonKind,
    century: Century,
}

/// Parses and validates an INSZ/NISS or BIS number.
///
/// Rules, in the order they are checked (the first failing one is reported):
/// 1. Separators `.` `-` `/` space and tab are ignored anywhere; any other character →
///    [`IdError::InvalidCharacter`]. So `85.07.30-033.28`, `85073003328` and `850730 033 28`
///    are the same number.
/// 2. No digits → [`IdError::Empty`]; not exactly 11 → [`IdError::WrongLength`].
/// 3. Month `MM`: `00`–`12` is a NISS, `20`–`32` and `40`–`52` a BIS number (month + 20 or + 40);
///    `00`, `20` and `40` mean the month is unknown. Anything else →
///    [`DateProblem::Month`].
/// 4. Day `DD`: `00` means unknown and is always allowed; otherwise at most 31 when the month is
///    unknown, else at most the month's length, counting 29 for February → else
///    [`DateProblem::Day`].
/// 5. Check digits `CC` with `n` = the first nine digits: `CC = 97 − (n mod 97)` means born
///    before 2000; `CC = 97 − ((2_000_000_000 + n) mod 97)` means born in or after 2000. Neither
///    → [`IdError::BadCheckDigits`]. Both cannot hold: the two expected values, each in
///    1..=97, would have to agree mod 97, but 2·10⁹ mod 97 = 68 ≠ 0. (The crate documentation
///    lists the typing errors that the two rules together cannot catch.)
/// 6. `DD` = 29 in February must fall in a leap year of that century (`YY` divisible by 4, and
///    not `00` before 2000) → else [`DateProblem::NotALeapYear`].
///
/// The year `YY` and the serial `SSS` are not otherwise restricted (the register assigns serials
/// 001–998, but the check digits are what identifies a mistyped number).
/// Never panics and never allocates.
pub fn parse_person(input: &str) -> Result<PersonNumber, IdError> {
    let (digits, count) = digits::collect::<11>(input, false)?;
    match count {
        0 => return Err(IdError::Empty),
        11 => {}
        found => {
            return Err(IdError::WrongLength {
                expected_min: 11,
                expected_max: 11,
                found,
            })
        }
    }
    let year = digits::value(&digits[0..2]);
    let (kind, month) = match digits::value(&digits[2..4]) {
        m @ 0..=12 => (PersonKind::Niss, m),
        m @ 20..=32 => (PersonKind::Bis, m - 20),
        m @ 40..=52 => (PersonKind::Bis, m - 40),
        _ => return Err(IdError::BadDate(DateProblem::Month)),
    };
    let day = digits::value(&digits[4..6]);
    let longest = match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31, // including 0: month unknown
    };
    if day > longest {
        return Err(IdError::BadDate(DateProblem::Day));
    }

    let n = digits::value(&digits[..9]);
    let check = digits::value(&digits[9..]);
    let century = if check == check_digits(n) {
        Century::Before2000
    } else if check == check_digits(POST_2000_OFFSET + n) {
        Century::InOrAfter2000
    } else {
        return Err(IdError::BadCheckDigits);
    };

    let leap = match century {
        Century::Before2000 => year.is_multiple_of(4) && year != 0, // 1800 and 1900 were not leap years
        Century::InOrAfter2000 => year.is_multiple_of(4),           // 2000 was
    };
    if month == 2 && day == 29 && !leap {
        return Err(IdError::BadDate(DateProblem::NotALeapYear));
    }
    Ok(PersonNumber {
        digits,
        kind,
        century,
    })
}

impl PersonNumber {
    /// National register number or BIS number.
    pub fn kind(&self) -> PersonKind {
        self.kind
    }

    /// The century the check digits resolved to.
    pub fn century(&self) -> Century {
        self.century
    }

    /// True if born in or after 2000 (the check digits follow the "prefix with 2" rule).
    pub fn born_in_or_after_2000(&self) -> bool {
        self.century == Century::InOrAfter2000
    }

    /// The 11 digits, e.g. `85073003328`. Named so that every use of the full number is visible.
    pub fn expose(&self) -> &str {
        digits::as_str(&self.digits)
    }

    /// The usual written form (as on the eID card), e.g. `85.07.30-033.28`.
    pub fn expose_formatted(&self) -> String {
        let d = self.expose();
        format!(
            "{}.{}.{}-{}.{}",
            &d[0..2],
            &d[2..4],
            &d[4..6],
            &d[6..9],
            &d[9..11]
        )
    }

    fn kind_label(&self) -> &'static str {
        match self.kind {
            PersonKind::Niss => "NISS",
            PersonKind::Bis => "BIS",
        }
    }
}

impl FromStr for PersonNumber {
    type Err = IdError;

    /// As [`parse_person`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_person(s)
    }
}

impl fmt::Display for PersonNumber {
    /// Masked: `NISS **.**.**-***.**` or `BIS **.**.**-***.**`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} **.**.**-***.**", self.kind_label())
    }
}

impl fmt::Debug for PersonNumber {
    /// Masked: `PersonNumber(NISS, <redacted>)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonNumber({}, <redacted>)", self.kind_label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_rules_never_agree_on_the_check_digits() {
        // Exhaustive over the residues: the expected check values differ for every n.
        for r in 0..97u64 {
            assert_ne!(check_digits(r), check_digits(POST_2000_OFFSET + r));
        }
    }

    #[test]
    fn leap_years_follow_the_resolved_century() {
        // 00.02.29: 1900 was not a leap year, 2000 was.
        let n = digits::value(b"000229001");
        let pre = format!("000229001{:02}", check_digits(n));
        let post = format!("000229001{:02}", check_digits(POST_2000_OFFSET + n));
        assert_eq!(
            parse_person(&pre),
            Err(IdError::BadDate(DateProblem::NotALeapYear))
        );
        assert_eq!(
            parse_person(&post).unwrap().century(),
            Century::InOrAfter2000
        );
    }
}
