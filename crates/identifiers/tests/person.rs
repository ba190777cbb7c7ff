//! INSZ/NISS and BIS numbers: worked examples, every refusal, and the limits of the check digits
//! (issue "Vault": subject INSZ/NISS or BIS number with its mod-97 check, including the post-2000
//! rule; CC-7.a: nothing of the number in `Debug`, `Display` or errors).

use probant_identifiers::{parse_person, Century, DateProblem, IdError, PersonKind, PersonNumber};

/// Test oracle, written independently of the crate: the 11 digits for the first nine `first9`
/// under the pre-2000 or the post-2000 rule.
fn with_check(first9: &str, post_2000: bool) -> String {
    assert_eq!(first9.len(), 9);
    let n: u64 = first9.parse().unwrap();
    let n = if post_2000 { n + 2_000_000_000 } else { n };
    format!("{first9}{:02}", 97 - n % 97)
}

fn ok(input: &str) -> PersonNumber {
    parse_person(input).unwrap_or_else(|e| panic!("refused ({e}): {input}"))
}

#[test]
fn a_1985_number_worked_by_hand() {
    // 850730033 = 97 × 8770412 + 69, and 97 − 69 = 28.
    assert_eq!(850_730_033 % 97, 69);
    let p = ok("85.07.30-033.28");
    assert_eq!(p.expose(), "85073003328");
    assert_eq!(p.expose_formatted(), "85.07.30-033.28");
    assert_eq!(p.kind(), PersonKind::Niss);
    assert_eq!(p.century(), Century::Before2000);
    assert!(!p.born_in_or_after_2000());
}

#[test]
fn a_2001_number_uses_the_prefix_2_rule() {
    // 2010203123 = 97 × 20723743 + 52, and 97 − 52 = 45; without the 2 the check would be 16.
    assert_eq!(2_010_203_123u64 % 97, 52);
    assert_eq!(10_203_123 % 97, 81);
    let p = ok("01.02.03-123.45");
    assert_eq!(p.century(), Century::InOrAfter2000);
    assert!(p.born_in_or_after_2000());
    assert_eq!(p.kind(), PersonKind::Niss);
    // The same nine digits with the pre-2000 check digits: someone born on 3 February 1901.
    let q = ok("01.02.03-123.16");
    assert_eq!(q.century(), Century::Before2000);
    assert_ne!(p, q);
}

#[test]
fn bis_numbers_with_month_plus_20_and_plus_40() {
    let plus20 = with_check("852730033", false);
    let plus40 = with_check("854730033", false);
    assert_eq!(plus20, "85273003371");
    assert_eq!(plus40, "85473003317");
    for n in [&plus20, &plus40] {
        let p = ok(n);
        assert_eq!(p.kind(), PersonKind::Bis);
        assert_eq!(p.century(), Century::Before2000);
    }
    // After 2000, and the edges of both BIS ranges.
    for first9 in [
        "052001001",
        "052131001",
        "053231001",
        "054001001",
        "055231001",
    ] {
        assert_eq!(
            ok(&with_check(first9, true)).kind(),
            PersonKind::Bis,
            "{first9}"
        );
    }
    // BIS February keeps the February rules.
    assert_eq!(
        parse_person(&with_check("852230001", false)),
        Err(IdError::BadDate(DateProblem::Day))
    );
    assert_eq!(
        parse_person(&with_check("854229001", false)),
        Err(IdError::BadDate(DateProblem::NotALeapYear))
    );
    assert_eq!(ok(&with_check("844229001", false)).kind(), PersonKind::Bis);
}

#[test]
fn unknown_month_and_day_are_allowed() {
    for first9 in [
        "850000001", // month and day unknown
        "850015001", // month unknown, day known
        "850031001", // month unknown: any day up to 31
        "850500001", // day unknown
        "000000000", // everything zero (check digits 97)
        "852000001", // BIS, unknown month (+20)
        "854000001", // BIS, unknown month (+40)
        "852031001",
    ] {
        for post in [false, true] {
            ok(&with_check(first9, post));
        }
    }
    assert_eq!(ok("000000000 97").expose(), "00000000097");
    assert_eq!(
        parse_person(&with_check("850032001", false)),
        Err(IdError::BadDate(DateProblem::Day))
    );
}

#[test]
fn separators_are_accepted_and_normalised() {
    let want = "85073003328";
    for input in [
        "85073003328",
        "85.07.30-033.28",
        "850730 033 28",
        "850730-033-28",
        "85 07 30 033 28",
        "85/07/30-033.28",
        "  85.07.30-033.28  ",
        "\t85073003328\t",
        "8.5.0.7.3.0.0.3.3.2.8",
    ] {
        assert_eq!(ok(input).expose(), want, "{input:?}");
        assert_eq!(input.parse::<PersonNumber>().unwrap().expose(), want);
    }
}

#[test]
fn a_changed_or_transposed_digit_is_refused() {
    for input in [
        "85.07.30-033.29", // last check digit
        "85.07.30-033.18", // first check digit
        "85.07.30-034.28", // serial
        "85.07.31-033.28", // day
        "85.08.30-033.28", // month
        "86.07.30-033.28", // year
        "85.07.30-303.28", // serial digits transposed
        "58.07.30-033.28", // year digits transposed
        "85.07.03-033.28", // day digits transposed
        "85.07.30-033.82", // check digits transposed
        "85.07.30-032.38", // across serial and check digits
    ] {
        assert!(parse_person(input).is_err(), "accepted {input}");
    }
    assert_eq!(
        parse_person("85.07.30-033.29"),
        Err(IdError::BadCheckDigits)
    );
}

#[test]
fn check_digits_00_98_99_never_match() {
    // 97 − (n mod 97) is always in 1..=97, under either rule.
    for first9 in [
        "850730033",
        "010203123",
        "000000000",
        "991231999",
        "994031998",
    ] {
        for cc in ["00", "98", "99"] {
            assert_eq!(
                parse_person(&format!("{first9}{cc}")),
                Err(IdError::BadCheckDigits),
                "{first9}{cc}"
            );
        }
    }
}

#[test]
fn wrong_length_empty_and_letters() {
    let wrong = |found| IdError::WrongLength {
        expected_min: 11,
        expected_max: 11,
        found,
    };
    assert_eq!(parse_person("8507300332"), Err(wrong(10)));
    assert_eq!(parse_person("850730033280"), Err(wrong(12)));
    assert_eq!(parse_person("85.07.30-033"), Err(wrong(9)));
    assert_eq!(parse_person(&"1".repeat(10_000)), Err(wrong(10_000)));
    assert_eq!(parse_person(""), Err(IdError::Empty));
    assert_eq!(parse_person(" .-/ "), Err(IdError::Empty));
    assert_eq!(
        parse_person("85O73003328"),
        Err(IdError::InvalidCharacter { position: 2 })
    );
    assert_eq!(
        parse_person("BE85073003328"),
        Err(IdError::InvalidCharacter { position: 0 })
    );
    assert_eq!(
        parse_person("85073003328\n"),
        Err(IdError::InvalidCharacter { position: 11 })
    );
    assert_eq!(
        parse_person("+32 85073003328"),
        Err(IdError::InvalidCharacter { position: 0 })
    );
    // A bad character is reported before a bad length.
    assert_eq!(
        parse_person("8x"),
        Err(IdError::InvalidCharacter { position: 1 })
    );
}

#[test]
fn impossible_dates_are_refused() {
    let date = |p| Err(IdError::BadDate(p));
    for (first9, problem) in [
        ("851301001", DateProblem::Month), // month 13
        ("851901001", DateProblem::Month),
        ("853301001", DateProblem::Month), // just past the +20 range
        ("855301001", DateProblem::Month), // just past the +40 range
        ("859901001", DateProblem::Month),
        ("850230001", DateProblem::Day), // 30 February
        ("850431001", DateProblem::Day), // 31 April
        ("851131001", DateProblem::Day), // 31 November
        ("850132001", DateProblem::Day), // 32 January
        ("850199001", DateProblem::Day),
    ] {
        for post in [false, true] {
            assert_eq!(
                parse_person(&with_check(first9, post)),
                date(problem),
                "{first9}"
            );
        }
    }
    // The date is checked before the check digits.
    assert_eq!(parse_person("85130100100"), date(DateProblem::Month));
}

#[test]
fn february_29_only_in_leap_years_of_the_resolved_century() {
    let leap = Err(IdError::BadDate(DateProblem::NotALeapYear));
    // 1985 / 2085: neither is a leap year.
    assert_eq!(parse_person(&with_check("850229001", false)), leap);
    assert_eq!(parse_person(&with_check("850229001", true)), leap);
    // 1984 / 2004: both are.
    ok(&with_check("840229001", false));
    ok(&with_check("040229001", true));
    // 00: 1900 was not a leap year, 2000 was.
    assert_eq!(parse_person(&with_check("000229001", false)), leap);
    assert_eq!(
        ok(&with_check("000229001", true)).century(),
        Century::InOrAfter2000
    );
    // 28 February is always fine.
    ok(&with_check("000228001", false));
}

/// The typing errors that the two-rule check cannot catch, exactly as the crate documentation
/// states them: each example is a valid number turned into another valid number of the other
/// century.
#[test]
fn the_documented_century_flips_exist() {
    // Second year digit −6: 1987 → 2081 (same serial, same check digits).
    let a = ok("87.01.01-001.57");
    let b = ok("81.01.01-001.57");
    assert_eq!(
        (a.century(), b.century()),
        (Century::Before2000, Century::InOrAfter2000)
    );
    // Second year digit +6: 2001 → 1907.
    let a = ok("01.01.01-001.26");
    let b = ok("07.01.01-001.26");
    assert_eq!(
        (a.century(), b.century()),
        (Century::InOrAfter2000, Century::Before2000)
    );
    // Month digits transposed, 02 ↔ 20: a NISS born in February 2005 and a BIS of 1905.
    let niss = with_check("050215001", true);
    let bis = format!("0520{}", &niss[4..]);
    let (a, b) = (ok(&niss), ok(&bis));
    assert_eq!(
        (a.kind(), a.century()),
        (PersonKind::Niss, Century::InOrAfter2000)
    );
    assert_eq!(
        (b.kind(), b.century()),
        (PersonKind::Bis, Century::Before2000)
    );
    // 42 ↔ 24: a BIS of 1905 (+40, February) and a BIS of 2005 (+20, April).
    let plus40 = with_check("054215001", false);
    let plus20 = format!("0524{}", &plus40[4..]);
    assert_eq!(ok(&plus40).century(), Century::Before2000);
    assert_eq!(ok(&plus20).century(), Century::InOrAfter2000);
}

#[test]
fn nothing_of_the_number_in_display_or_debug() {
    let niss = ok("85.07.30-033.28");
    let bis = ok("85273003371");
    assert_eq!(niss.to_string(), "NISS **.**.**-***.**");
    assert_eq!(bis.to_string(), "BIS **.**.**-***.**");
    assert_eq!(format!("{niss:?}"), "PersonNumber(NISS, <redacted>)");
    for shown in [
        niss.to_string(),
        format!("{niss:?}"),
        format!("{niss:#?}"),
        format!("{:?}", Ok::<_, IdError>(niss)),
        bis.to_string(),
        format!("{bis:?}"),
    ] {
        assert!(!shown.bytes().any(|b| b.is_ascii_digit()), "{shown}");
    }
}

#[test]
fn error_messages_never_repeat_the_input() {
    for input in [
        "85.07.30-033.29",
        "8507300332",
        "85O73003328",
        "85130100100",
        "85023000188",
        "",
        "850229001 38",
    ] {
        let err = parse_person(input).unwrap_err();
        for shown in [err.to_string(), format!("{err:?}")] {
            let digits: String = input.chars().filter(char::is_ascii_digit).collect();
            assert!(
                !has_digit_run(&shown, 3),
                "{shown:?} may repeat part of {input:?}"
            );
            if digits.len() >= 3 {
                assert!(!shown.contains(&digits[..3]));
            }
        }
    }
}

fn has_digit_run(s: &str, n: usize) -> bool {
    s.as_bytes()
        .windows(n)
        .any(|w| w.iter().all(u8::is_ascii_digit))
}
