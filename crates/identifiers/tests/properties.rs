//! Properties of both parsers (issue "Vault": mod-97 checks at ingest; CC-7.a: no number in output):
//! - what mod 97 can and cannot catch, proved by exhausting the finite cases (the effect of a
//!   single-digit change or an adjacent transposition on the check relation does not depend on
//!   the rest of the number, so checking every position × every difference is a proof);
//! - random valid numbers round-trip; random corruptions are refused exactly as proved;
//! - arbitrary strings never panic, and nothing that is printed contains the number.

use probant_identifiers::{
    parse_enterprise, parse_person, Century, EnterpriseNumber, IdError, PersonKind, PersonNumber,
};
use proptest::prelude::*;

/// 2·10⁹ mod 97: how far apart the pre-2000 and post-2000 rules are.
const RULE_GAP: i64 = 68;

/// Weight of each digit in the check relation `n + cc ≡ 0 (mod 97)` (pre-2000;
/// post-2000 is `n + cc ≡ −68`): the first digits count as the number `n`, the last two as `cc`.
fn weights(len: usize) -> Vec<i64> {
    let digits = u32::try_from(len - 2).unwrap();
    let mut w: Vec<i64> = (0..digits).rev().map(|k| 10i64.pow(k)).collect();
    w.extend([10, 1]);
    w
}

/// Effect on the check relation, mod 97, of adding `delta` to digit `pos`.
fn single_effect(w: &[i64], pos: usize, delta: i64) -> i64 {
    (delta * w[pos]).rem_euclid(97)
}

/// Effect, mod 97, of swapping digits `pos` and `pos + 1` where `diff` = right − left.
fn swap_effect(w: &[i64], pos: usize, diff: i64) -> i64 {
    (diff * (w[pos] - w[pos + 1])).rem_euclid(97)
}

#[test]
fn proof_single_digit_changes_under_one_rule_are_always_caught() {
    for len in [10, 11] {
        let w = weights(len);
        for pos in 0..len {
            for delta in (-9..=9).filter(|&d| d != 0) {
                assert_ne!(
                    single_effect(&w, pos, delta),
                    0,
                    "len {len} pos {pos} Δ{delta}"
                );
            }
        }
    }
}

#[test]
fn proof_adjacent_transpositions_under_one_rule_are_always_caught() {
    for len in [10, 11] {
        let w = weights(len);
        for pos in 0..len - 1 {
            for diff in (-9..=9).filter(|&d| d != 0) {
                assert_ne!(
                    swap_effect(&w, pos, diff),
                    0,
                    "len {len} pos {pos} diff {diff}"
                );
            }
        }
    }
}

/// A change can move a valid person number to the other century's rule only if its effect is
/// ±68 (mod 97). These are exactly the cases the crate documentation lists.
#[test]
fn proof_the_only_person_changes_that_can_flip_the_century() {
    let w = weights(11);
    let flips = |e: i64| e == RULE_GAP || e == 97 - RULE_GAP;
    let single: Vec<(usize, i64)> = (0..11)
        .flat_map(|p| (-9..=9).filter(|&d| d != 0).map(move |d| (p, d)))
        .filter(|&(p, d)| flips(single_effect(&w, p, d)))
        .collect();
    assert_eq!(single, [(1, -6), (1, 6)], "second year digit ±6");
    let swaps: Vec<(usize, i64)> = (0..10)
        .flat_map(|p| (-9..=9).filter(|&d| d != 0).map(move |d| (p, d)))
        .filter(|&(p, d)| flips(swap_effect(&w, p, d)))
        .collect();
    // Month digits differing by 2 (02↔20, 24↔42 are valid both ways); day digits differing by 6
    // (06/60, 17/71, 28/82, 39/93: never both ≤ 31, so always refused as dates).
    assert_eq!(swaps, [(2, -2), (2, 2), (4, -6), (4, 6)]);
    for (tens, units) in [(0, 6), (1, 7), (2, 8), (3, 9)] {
        assert!(tens * 10 + units > 31 || units * 10 + tens > 31);
    }
}

fn person_check(first9: u64, post_2000: bool) -> u64 {
    97 - (first9 + if post_2000 { 2_000_000_000 } else { 0 }) % 97
}

fn month_length(month: u32, year: u32, post_2000: bool) -> u32 {
    match month {
        0 => 31,
        2 if year.is_multiple_of(4) && (post_2000 || year != 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A valid person number, built from its parts: (digits, kind, century).
fn valid_person() -> impl Strategy<Value = (String, PersonKind, Century)> {
    (
        0u32..100,
        any::<bool>(),
        0u32..3,
        0u32..=12,
        0u32..=31,
        0u32..1000,
    )
        .prop_map(|(year, post, offset, month, day, serial)| {
            let day = day % (month_length(month, year, post) + 1);
            let mm = month + [0, 20, 40][offset as usize];
            let first9 = format!("{year:02}{mm:02}{day:02}{serial:03}");
            let cc = person_check(first9.parse().unwrap(), post);
            let kind = if offset == 0 {
                PersonKind::Niss
            } else {
                PersonKind::Bis
            };
            let century = if post {
                Century::InOrAfter2000
            } else {
                Century::Before2000
            };
            (format!("{first9}{cc:02}"), kind, century)
        })
}

fn dotted_person(d: &str) -> String {
    format!(
        "{}.{}.{}-{}.{}",
        &d[0..2],
        &d[2..4],
        &d[4..6],
        &d[6..9],
        &d[9..]
    )
}

fn valid_enterprise() -> impl Strategy<Value = String> {
    (0u64..2, 0u64..10_000_000).prop_map(|(first, rest)| {
        let n = first * 10_000_000 + rest;
        format!("{n:08}{:02}", 97 - n % 97)
    })
}

fn has_digit_run(s: &str, n: usize) -> bool {
    s.as_bytes()
        .windows(n)
        .any(|w| w.iter().all(u8::is_ascii_digit))
}

fn assert_error_shows_nothing(e: &IdError) {
    for shown in [e.to_string(), format!("{e:?}")] {
        assert!(!has_digit_run(&shown, 3), "{shown}");
    }
}

fn replace_digit(s: &str, pos: usize, digit: u8) -> String {
    let mut b = s.as_bytes().to_vec();
    b[pos] = b'0' + digit;
    String::from_utf8(b).unwrap()
}

fn swap(s: &str, pos: usize) -> String {
    let mut b = s.as_bytes().to_vec();
    b.swap(pos, pos + 1);
    String::from_utf8(b).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn valid_person_numbers_round_trip((digits, kind, century) in valid_person()) {
        for input in [digits.clone(), dotted_person(&digits), format!(" {} {} {} ", &digits[..6], &digits[6..9], &digits[9..])] {
            let p = parse_person(&input).map_err(|e| TestCaseError::fail(format!("{e}: {input}")))?;
            prop_assert_eq!(p.expose(), digits.as_str());
            prop_assert_eq!(p.kind(), kind);
            prop_assert_eq!(p.century(), century);
            prop_assert_eq!(p.born_in_or_after_2000(), century == Century::InOrAfter2000);
            prop_assert_eq!(parse_person(&p.expose_formatted()), Ok(p));
        }
    }

    #[test]
    fn person_display_and_debug_show_no_digit((digits, _, _) in valid_person()) {
        let p = parse_person(&digits).unwrap();
        for shown in [p.to_string(), format!("{p:?}"), format!("{p:#?}")] {
            prop_assert!(!shown.contains(&digits));
            prop_assert!(!shown.bytes().any(|b| b.is_ascii_digit()), "{}", shown);
        }
    }

    /// Single-digit changes: refused, except exactly the proved century flip.
    #[test]
    fn a_changed_person_digit_is_refused_unless_it_is_the_proved_flip(
        (digits, _, century) in valid_person(), pos in 0usize..11, shift in 1u8..10,
    ) {
        let old = digits.as_bytes()[pos] - b'0';
        let digit = (old + shift) % 10;
        let changed = replace_digit(&digits, pos, digit);
        match parse_person(&changed) {
            Err(e) => assert_error_shows_nothing(&e),
            Ok(p) => {
                prop_assert_eq!(pos, 1, "{} accepted", changed);
                prop_assert_eq!(i32::from(digit).abs_diff(i32::from(old)), 6);
                prop_assert_ne!(p.century(), century);
            }
        }
    }

    /// Adjacent transpositions: refused, except exactly the proved month-digit flip.
    #[test]
    fn a_transposed_person_pair_is_refused_unless_it_is_the_proved_flip(
        (digits, _, century) in valid_person(), pos in 0usize..10,
    ) {
        let b = digits.as_bytes();
        let swapped = swap(&digits, pos);
        if b[pos] == b[pos + 1] {
            prop_assert_eq!(parse_person(&swapped).map(|p| p.century()), Ok(century));
        } else if let Ok(p) = parse_person(&swapped) {
            prop_assert_eq!(pos, 2, "{} accepted", swapped);
            prop_assert_eq!(b[pos].abs_diff(b[pos + 1]), 2);
            prop_assert_ne!(p.century(), century);
        }
    }

    /// The flip cases do occur among random numbers (so the exception above is not vacuous).
    #[test]
    fn year_digit_plus_or_minus_6_flips_whenever_the_date_allows((digits, _, century) in valid_person()) {
        let y = digits.as_bytes()[1] - b'0';
        for other in [y.checked_sub(6), Some(y + 6).filter(|&d| d <= 9)].into_iter().flatten() {
            let changed = replace_digit(&digits, 1, other);
            // Going forward in the digit (+6) flips post-2000 → pre-2000, and back.
            let flips = (other > y) == (century == Century::InOrAfter2000);
            let feb29 = &digits[4..6] == "29" && matches!(&digits[2..4], "02" | "22" | "42");
            if flips && !feb29 {
                let p = parse_person(&changed).unwrap();
                prop_assert_ne!(p.century(), century);
            } else if !flips {
                prop_assert!(parse_person(&changed).is_err());
            }
        }
    }

    #[test]
    fn valid_enterprise_numbers_round_trip(digits in valid_enterprise()) {
        let dotted = format!("{}.{}.{}", &digits[0..4], &digits[4..7], &digits[7..]);
        let mut forms = vec![digits.clone(), dotted.clone(), format!("BE{digits}"), format!("be {dotted}")];
        if let Some(old_form) = digits.strip_prefix('0') {
            forms.push(old_form.to_string());
        }
        for input in forms {
            let n = parse_enterprise(&input).map_err(|e| TestCaseError::fail(format!("{e}: {input}")))?;
            prop_assert_eq!(n.expose(), digits.as_str());
            prop_assert_eq!(n.expose_formatted(), dotted.clone());
            prop_assert_eq!(parse_enterprise(&n.expose_formatted()), Ok(n));
            for shown in [n.to_string(), format!("{n:?}")] {
                prop_assert!(!shown.bytes().any(|b| b.is_ascii_digit()), "{}", shown);
            }
        }
    }

    /// Enterprise numbers have one rule: every single-digit change and adjacent transposition is
    /// refused, without exception.
    #[test]
    fn a_changed_or_transposed_enterprise_digit_is_always_refused(
        digits in valid_enterprise(), pos in 0usize..10, digit in 0u8..10,
    ) {
        if digits.as_bytes()[pos] - b'0' != digit {
            let changed = replace_digit(&digits, pos, digit);
            let e = parse_enterprise(&changed);
            prop_assert!(e.is_err(), "{} accepted", changed);
        }
        if pos < 9 && digits.as_bytes()[pos] != digits.as_bytes()[pos + 1] {
            let swapped = swap(&digits, pos);
            prop_assert!(parse_enterprise(&swapped).is_err(), "{} accepted", swapped);
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        check_arbitrary(&s);
    }

    #[test]
    fn near_miss_strings_never_panic(s in "[0-9 ./\\-BbEe]{0,16}") {
        check_arbitrary(&s);
    }

    #[test]
    fn random_eleven_digits_never_panic(s in "[0-9]{11}") {
        check_arbitrary(&s);
        if let Ok(p) = parse_person(&s) {
            prop_assert_eq!(p.expose(), s.as_str());
        }
    }
}

/// Parses `s` both ways; any error must show nothing of it, any success must round-trip.
fn check_arbitrary(s: &str) {
    match parse_person(s) {
        Ok(p) => assert_eq!(parse_person(p.expose()), Ok(p)),
        Err(e) => assert_error_shows_nothing(&e),
    }
    match parse_enterprise(s) {
        Ok(n) => assert_eq!(n.expose().parse::<EnterpriseNumber>(), Ok(n)),
        Err(e) => assert_error_shows_nothing(&e),
    }
    let _: Result<PersonNumber, _> = s.parse();
}
