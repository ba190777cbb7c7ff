//! Local operator credentials (N-5.6.3, N-5.6.5; DESIGN contract 6): each
//! registered person or program of a home holds its own random 256-bit
//! secret in a private file outside the home. The home keeps only a
//! verifier — SHA-256 over a label, the home id, the user id and the
//! secret — so neither a copy of the home nor its administrator can act
//! as someone else. (The master key unlocks the data; a credential says
//! who is acting. Servers authenticate with OIDC or mTLS over the same
//! identity model.)
//!
//! File format, one line: `probant-credential-v1 <home id> <user id> <base64 of 32 bytes>`.
use std::io;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::primitives::{self, SecretKey, KEY_LEN};
use crate::{fsutil, Error};

const LABEL: &str = "probant-credential-v1";
const MAX_LEN: usize = 512;

/// A user's credential for one home. The secret is wiped on drop.
pub struct Credential {
    home_id: String,
    user: String,
    secret: SecretKey,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("home_id", &self.home_id)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// A user id names a credential file: 1 to 64 of `[A-Za-z0-9._@-]`, not
/// starting with `.`.
pub fn is_valid_user_id(user: &str) -> bool {
    (1..=64).contains(&user.len())
        && !user.starts_with('.')
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

impl Credential {
    /// A new random credential for `user` of home `home_id`.
    ///
    /// # Errors
    /// [`Error::InvalidUserId`] if the id cannot name a credential.
    pub fn generate(home_id: &str, user: &str) -> Result<Self, Error> {
        check_ids(home_id, user)?;
        Ok(Self {
            home_id: home_id.into(),
            user: user.into(),
            secret: primitives::random_key(),
        })
    }

    /// The user this credential is for.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The home this credential is for.
    pub fn home_id(&self) -> &str {
        &self.home_id
    }

    /// What the home stores: lowercase hex SHA-256 of label, home id, user
    /// id and secret (NUL-separated). The secret is 256 random bits, so a
    /// plain hash cannot be inverted by guessing.
    pub fn verifier(&self) -> String {
        let mut input = Zeroizing::new(Vec::with_capacity(128));
        for part in [
            LABEL.as_bytes(),
            self.home_id.as_bytes(),
            self.user.as_bytes(),
        ] {
            input.extend_from_slice(part);
            input.push(0);
        }
        input.extend_from_slice(self.secret.as_ref());
        primitives::sha256(&input)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether this credential is the one `verifier` was made from, for
    /// `home_id` and `user` (compared in constant time).
    pub fn matches(&self, home_id: &str, user: &str, verifier: &str) -> bool {
        if self.home_id != home_id || self.user != user {
            return false;
        }
        let mine = self.verifier();
        if mine.len() != verifier.len() || mine.len() != 2 * KEY_LEN {
            return false;
        }
        let (mut a, mut b) = ([0u8; KEY_LEN], [0u8; KEY_LEN]);
        a.copy_from_slice(&mine.as_bytes()[..KEY_LEN]);
        b.copy_from_slice(&verifier.as_bytes()[..KEY_LEN]);
        let head = primitives::equal_secrets(&a, &b);
        a.copy_from_slice(&mine.as_bytes()[KEY_LEN..]);
        b.copy_from_slice(&verifier.as_bytes()[KEY_LEN..]);
        head & primitives::equal_secrets(&a, &b)
    }

    /// Writes the credential to a new private file (mode 0600, directories
    /// 0700); never overwrites.
    ///
    /// # Errors
    /// [`Error::CredentialExists`] if anything exists at `path`; [`Error::Io`].
    pub fn write_new(&self, path: &Path) -> Result<(), Error> {
        let mut text = Zeroizing::new(String::with_capacity(256));
        text.push_str(&format!("{LABEL} {} {} ", self.home_id, self.user));
        STANDARD.encode_string(self.secret.as_ref(), &mut text);
        text.push('\n');
        fsutil::create_secret_file(path, text.as_bytes(), "write credential", || {
            Error::CredentialExists { path: path.into() }
        })
    }

    /// Reads a credential file.
    ///
    /// # Errors
    /// [`Error::CredentialMissing`], [`Error::MalformedCredential`], [`Error::Io`].
    pub fn read(path: &Path) -> Result<Self, Error> {
        let bytes = fsutil::read_secret_file(path, MAX_LEN).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::CredentialMissing { path: path.into() },
            io::ErrorKind::InvalidData => Error::MalformedCredential { path: path.into() },
            _ => Error::io("read credential", path)(e),
        })?;
        parse(&bytes).ok_or_else(|| Error::MalformedCredential { path: path.into() })
    }

    /// Where a user's credential for a home lives by default:
    /// `$XDG_CONFIG_HOME/probant/credentials/<home id>/<user>.credential`,
    /// else under `$HOME/.config` — the user's configuration, not the home.
    ///
    /// # Errors
    /// [`Error::InvalidUserId`], [`Error::InvalidHomeId`], [`Error::NoConfigDir`].
    pub fn default_path(home_id: &str, user: &str) -> Result<PathBuf, Error> {
        check_ids(home_id, user)?;
        let keys = crate::default_key_file_path(home_id)?;
        let probant = fsutil::parent_dir(&fsutil::parent_dir(&keys));
        Ok(probant
            .join("credentials")
            .join(home_id)
            .join(format!("{user}.credential")))
    }
}

fn check_ids(home_id: &str, user: &str) -> Result<(), Error> {
    if !is_valid_user_id(user) {
        return Err(Error::InvalidUserId(user.into()));
    }
    if home_id.is_empty() || home_id.contains(char::is_whitespace) {
        return Err(Error::InvalidHomeId(home_id.into()));
    }
    Ok(())
}

fn parse(bytes: &[u8]) -> Option<Credential> {
    let text = std::str::from_utf8(bytes).ok()?;
    let line = text.strip_suffix('\n').unwrap_or(text);
    let mut parts = line.split(' ');
    let (label, home_id, user, secret) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if label != LABEL || parts.next().is_some() || check_ids(home_id, user).is_err() {
        return None;
    }
    let mut decoded = Zeroizing::new([0u8; 48]);
    if STANDARD.decode_slice(secret, decoded.as_mut()).ok()? != KEY_LEN {
        return None;
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&decoded[..KEY_LEN]);
    Some(Credential {
        home_id: home_id.into(),
        user: user.into(),
        secret: key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_round_trips_and_matches_only_its_verifier() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c/alice.credential");
        let c = Credential::generate("home1", "alice").unwrap();
        c.write_new(&path).unwrap();
        let v = c.verifier();
        let back = Credential::read(&path).unwrap();
        assert!(back.matches("home1", "alice", &v));
        assert!(!back.matches("home1", "bob", &v), "another user");
        assert!(!back.matches("home2", "alice", &v), "another home");
        let other = Credential::generate("home1", "alice").unwrap();
        assert!(!other.matches("home1", "alice", &v), "another secret");
        assert!(!back.matches("home1", "alice", &v[..63]), "short verifier");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(matches!(
            c.write_new(&path),
            Err(Error::CredentialExists { .. })
        ));
    }

    proptest::proptest! {
        /// Untrusted input: a credential file's bytes never panic the
        /// parser, and whatever parses re-serialises to a credential with
        /// valid ids.
        #[test]
        fn any_bytes_parse_without_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            if let Some(c) = parse(&bytes) {
                proptest::prop_assert!(is_valid_user_id(c.user()));
            }
        }

        #[test]
        fn near_valid_lines_parse_without_panic(home in "[a-z0-9]{1,12}", user in "[ -~]{0,70}", secret in "[A-Za-z0-9+/=]{0,60}") {
            let line = format!("{LABEL} {home} {user} {secret}\n");
            if let Some(c) = parse(line.as_bytes()) {
                proptest::prop_assert_eq!(c.user(), user.as_str());
                proptest::prop_assert_eq!(c.home_id(), home.as_str());
            }
        }
    }

    #[test]
    fn malformed_credentials_and_ids_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("label", "probant-credential-v2 h u AAAA\n"),
            ("short", "probant-credential-v1 h u AAAA\n"),
            (
                "extra",
                "probant-credential-v1 h u AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= x\n",
            ),
            (
                "bad-user",
                "probant-credential-v1 h ../u AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            ),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
            assert!(
                matches!(Credential::read(&p), Err(Error::MalformedCredential { .. })),
                "{name}"
            );
        }
        assert!(matches!(
            Credential::read(&dir.path().join("none")),
            Err(Error::CredentialMissing { .. })
        ));
        for bad in ["", ".hidden", "a/b", "a b", &"x".repeat(65)] {
            assert!(Credential::generate("h", bad).is_err(), "{bad:?}");
        }
    }
}
