//! KBO/BCE enterprise numbers: real public numbers, accepted forms, every refusal (issue "Vault":
//! enterprise numbers with their mod-97 check; CC-7.a: nothing of the number in output).

use probant_identifiers::{parse_enterprise, EnterpriseNumber, IdError};

/// Test oracle, independent of the crate: the 10 digits for the first eight.
fn with_check(first8: &str) -> String {
    assert_eq!(first8.len(), 8);
    let n: u64 = first8.parse().unwrap();
    format!("{first8}{:02}", 97 - n % 97)
}

fn ok(input: &str) -> EnterpriseNumber {
    parse_enterprise(input).unwrap_or_else(|e| panic!("refused ({e}): {input}"))
}

#[test]
fn real_public_numbers_and_their_check_digits() {
    // 0403.170.701: 4031707 = 97 × 41564 + 96, and 97 − 96 = 1.
    assert_eq!(4_031_707 % 97, 96);
    assert_eq!(with_check("04031707"), "0403170701");
    // 0203.201.340: 2032013 = 97 × 20948 + 57, and 97 − 57 = 40.
    assert_eq!(2_032_013 % 97, 57);
    assert_eq!(with_check("02032013"), "0203201340");
    assert_eq!(ok("0403.170.701").expose(), "0403170701");
    assert_eq!(ok("0203.201.340").expose(), "0203201340");
    assert_eq!(ok("0203201340").expose_formatted(), "0203.201.340");
}

#[test]
fn accepted_forms() {
    for input in [
        "0403170701",
        "0403.170.701",
        "0403 170 701",
        "0403-170-701",
        "BE0403170701",
        "be0403170701",
        "Be 0403.170.701",
        " BE 0403.170.701 ",
        "BE.0403.170.701",
        "403.170.701", // old 9-digit form
        "403170701",
        "BE403170701",
    ] {
        assert_eq!(ok(input).expose(), "0403170701", "{input:?}");
        assert_eq!(input.parse::<EnterpriseNumber>().unwrap(), ok("0403170701"));
    }
}

#[test]
fn numbers_starting_with_1_are_enterprise_numbers_too() {
    let n = with_check("10000001");
    assert_eq!(ok(&n).expose(), n);
    // The 9-digit form always gets a leading 0, never a 1: dropping the 1 changes the number.
    assert_eq!(parse_enterprise(&n[1..]), Err(IdError::BadCheckDigits));
}

#[test]
fn refusals() {
    let wrong = |found| {
        Err(IdError::WrongLength {
            expected_min: 9,
            expected_max: 10,
            found,
        })
    };
    assert_eq!(
        parse_enterprise("0403.170.702"),
        Err(IdError::BadCheckDigits)
    ); // changed digit
    assert_eq!(
        parse_enterprise("0430.170.701"),
        Err(IdError::BadCheckDigits)
    ); // transposed
    assert_eq!(
        parse_enterprise("0403.170.710"),
        Err(IdError::BadCheckDigits)
    ); // check transposed
    assert_eq!(
        parse_enterprise("0403.107.701"),
        Err(IdError::BadCheckDigits)
    );
    assert_eq!(
        parse_enterprise("0403.170.700"),
        Err(IdError::BadCheckDigits)
    );
    assert_eq!(
        parse_enterprise("0403.170.798"),
        Err(IdError::BadCheckDigits)
    );
    assert_eq!(parse_enterprise("03.170.701"), wrong(8));
    assert_eq!(parse_enterprise("00403.170.701"), wrong(11));
    assert_eq!(parse_enterprise(""), Err(IdError::Empty));
    assert_eq!(parse_enterprise("BE"), Err(IdError::Empty));
    assert_eq!(parse_enterprise(" . "), Err(IdError::Empty));
    assert_eq!(
        parse_enterprise("NL0403170701"),
        Err(IdError::InvalidCharacter { position: 0 })
    );
    assert_eq!(
        parse_enterprise("0403.17O.701"),
        Err(IdError::InvalidCharacter { position: 7 })
    );
    assert_eq!(
        parse_enterprise("0403170701BE"),
        Err(IdError::InvalidCharacter { position: 10 })
    );
    assert_eq!(
        parse_enterprise("BEBE0403170701"),
        Err(IdError::InvalidCharacter { position: 2 })
    );
    // Establishment unit numbers (2–8) have a valid check but are not enterprise numbers.
    for first8 in ["20000001", "80000001", "90000001"] {
        assert_eq!(
            parse_enterprise(&with_check(first8)),
            Err(IdError::EnterpriseFirstDigit),
            "{first8}"
        );
    }
}

#[test]
fn nothing_of_the_number_in_display_debug_or_errors() {
    let n = ok("0403.170.701");
    assert_eq!(n.to_string(), "enterprise ****.***.***");
    assert_eq!(format!("{n:?}"), "EnterpriseNumber(<redacted>)");
    for input in ["0403.170.702", "0403.17", "x0403170701", "2000000196"] {
        let e = parse_enterprise(input).unwrap_err();
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(!shown.contains("403"), "{shown}");
            assert!(!shown.contains("200"), "{shown}");
        }
    }
}
