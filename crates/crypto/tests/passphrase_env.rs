//! `read_passphrase` takes `$PROBANT_PASSPHRASE` without asking. Alone in its test binary because it
//! sets a process-wide environment variable.

use probant_crypto::{read_passphrase, PASSPHRASE_ENV};

#[test]
fn passphrase_comes_from_the_environment_even_with_confirmation() {
    std::env::set_var(PASSPHRASE_ENV, "from the environment");
    assert_eq!(
        read_passphrase("Passphrase: ", false).unwrap().as_str(),
        "from the environment"
    );
    assert_eq!(
        read_passphrase("Passphrase: ", true).unwrap().as_str(),
        "from the environment"
    );
}
