//! Blob keys: a closed alphabet, so no key can name a path outside the store.
use std::fmt;

use crate::Error;

/// The longest key, in characters.
pub const MAX_KEY_LEN: usize = 200;

/// A validated blob key: 1–200 characters of `[a-z0-9-/]`, no leading or
/// trailing `/`, no empty segment (`a//b`), no `..`.
///
/// Keys are made by the vault (for example from a record id), never from
/// user-supplied names. Because `.`, `\`, `%`, `#`, upper case, spaces and
/// control characters are outside the alphabet, a key cannot escape the
/// store, collide case-insensitively, or name a backend's internal files
/// (the local backend stages under `.partial/`, and object_store's staging
/// files end in `#<digits>`): path tricks are refused by construction.
///
/// On the local filesystem a key is also a path, so a key cannot be both a
/// blob and the "directory" of another (`a` and `a/b`): keep keys of one
/// shape (for example a fixed number of segments).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    /// Validates `key`; [`Error::InvalidKey`] says which rule it breaks.
    pub fn new(key: &str) -> Result<Self, Error> {
        let reason = if key.is_empty() {
            Some("empty")
        } else if key.chars().count() > MAX_KEY_LEN {
            Some("longer than 200 characters")
        } else if !key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'/')
        {
            Some("only a-z, 0-9, '-' and '/' are allowed")
        } else if key.starts_with('/') || key.ends_with('/') {
            Some("leading or trailing '/'")
        } else if key.split('/').any(str::is_empty) {
            Some("empty segment ('//')")
        } else if key.contains("..") {
            Some("'..'")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(Error::InvalidKey { reason }),
            None => Ok(BlobKey(key.to_owned())),
        }
    }

    /// The key as text (also its relative path on the local backend).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for BlobKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for BlobKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        BlobKey::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_alphabet() {
        for k in ["a", "0", "-", "rec/0192-abcd/v1", &"a".repeat(200)] {
            assert_eq!(BlobKey::new(k).unwrap().as_str(), k);
        }
    }

    #[test]
    fn refuses_path_tricks() {
        for k in [
            "",
            "../x",
            "a/../b",
            "..",
            "/a",
            "a/",
            "a//b",
            "A",
            "a b",
            "a\\b",
            "a.b",
            "a#1",
            "a%2f",
            "é",
            "a\0",
            &"a".repeat(201),
        ] {
            assert!(
                matches!(BlobKey::new(k), Err(Error::InvalidKey { .. })),
                "{k:?} accepted"
            );
        }
    }
}
