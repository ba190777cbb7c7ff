//! Belgian identifiers, validated at ingest: the social-security number of a person (INSZ/NISS,
//! or a BIS number for a person not in the national register) and the KBO/BCE enterprise number.
//!
//! The vault stores subjects by these numbers and must validate them when they come in (issue
//! "Vault": *subject INSZ/NISS or BIS number with its mod-97 check, including the post-2000 rule;
//! enterprise numbers with theirs*). They arrive as untrusted input, so parsing is total: it never
//! panics and never allocates, whatever the string.
//!
//! # API
//! - [`parse_person`] → [`PersonNumber`] (NISS or BIS: [`PersonNumber::kind`],
//!   [`PersonNumber::century`], [`PersonNumber::expose`] for the 11 digits).
//! - [`parse_enterprise`] → [`EnterpriseNumber`] ([`EnterpriseNumber::expose`] for the 10 digits).
//! - Every refusal is one [`IdError`].
//!
//! ```
//! use probant_identifiers::{parse_enterprise, parse_person, Century, IdError, PersonKind};
//!
//! let p = parse_person("85.07.30-033.28")?;
//! assert_eq!((p.kind(), p.century()), (PersonKind::Niss, Century::Before2000));
//! assert_eq!(p.expose(), "85073003328");
//! assert_eq!(p.to_string(), "NISS **.**.**-***.**"); // safe to log
//! assert_eq!(parse_person("85.07.30-033.29"), Err(IdError::BadCheckDigits));
//!
//! assert_eq!(parse_enterprise("BE 0403.170.701")?.expose(), "0403170701");
//! # Ok::<(), IdError>(())
//! ```
//!
//! # No personal data in logs (CC-7.a, in the spirit of N-5.9.5)
//! A person number is personal data; so is its birth-date part. Therefore:
//! - `Debug` and `Display` of [`PersonNumber`] and [`EnterpriseNumber`] print a fully masked form
//!   (`NISS **.**.**-***.**`): not the number, not the birth date, not the century. The digits leave
//!   only through the explicitly named [`PersonNumber::expose`] / [`PersonNumber::expose_formatted`]
//!   (and the same on [`EnterpriseNumber`]), so a `grep expose` finds every place that handles them.
//! - There is deliberately no `serde::Serialize`: serialising a struct that holds a number must not
//!   silently write the digits (into a log line, an error report, a journal entry).
//! - [`IdError`] never carries or repeats any part of the input: only which rule failed, and at most
//!   a character position or a digit count.
//!
//! # Rules implemented, exactly
//! See [`parse_person`] and [`parse_enterprise`]. In short: separators `.` `-` `/` space and tab
//! are ignored anywhere; check digits are `97 − (n mod 97)` over the leading digits (for a person
//! born in or after 2000, over `2_000_000_000 + n`).
//!
//! # Limit of the check digits (read this before relying on them)
//! Under *one* century rule, mod 97 detects every single-digit change and every transposition of
//! two adjacent digits (97 is a prime larger than any difference they make, and coprime to 10).
//! But a person number is accepted if *either* rule holds, and the two rules differ by
//! `2_000_000_000 mod 97 = 68`. A change whose effect on the number is ≡ ±68 (mod 97) therefore
//! turns a valid number of one century into a valid number of the other. For person numbers this
//! happens for exactly:
//! - changing the **second year digit by ±6** (e.g. `87.01.01-001.57`, born 1987, and
//!   `81.01.01-001.57`, born 2081, are both valid; so are 2001's `01.01.01-001.26` and 1907's
//!   `07.01.01-001.26`);
//! - transposing the **two month digits when they differ by 2** where both orders are valid
//!   months: `02`↔`20` (a NISS in February and a BIS with unknown month) and `24`↔`42`;
//! - transposing the two day digits when they differ by 6 — but no such pair (`06`/`60`,
//!   `17`/`71`, `28`/`82`) has both orders ≤ 31, so the date rule always refuses these.
//!
//! These are properties of the Belgian scheme, not of this code; the tests pin them down exactly.
//! Where the birth date or the kind of number is known from another source, compare it.
//! Enterprise numbers have a single rule and no such exception.

mod digits;
mod enterprise;
mod error;
mod person;

pub use enterprise::{parse_enterprise, EnterpriseNumber};
pub use error::{DateProblem, IdError};
pub use person::{parse_person, Century, PersonKind, PersonNumber};

/// `97 − (n mod 97)`: the check digits of `n`, always in `1..=97` (so `00`, `98` and `99` are
/// never valid check digits).
const fn check_digits(n: u64) -> u64 {
    97 - (n % 97)
}
