//! The master key: where it comes from (a key file or a passphrase) and how a key file is made and read.
//!
//! The master key protects a home's key ring and nothing else. It never lives inside the home it
//! protects (N-5.8.3): by default a key file lives under the user's configuration directory, and
//! [`ensure_key_file_outside_home`] refuses a key file inside the home.

use std::io;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use zeroize::Zeroizing;

use crate::fsutil;
use crate::primitives::{self, SecretKey, KEY_LEN};
use crate::Error;

/// The first word of a key file: names the format and its version.
const KEY_FILE_LABEL: &str = "probant-master-key-v1";

/// A key file is one short line; anything longer is not one.
const KEY_FILE_MAX_LEN: usize = 256;

/// The environment variable [`read_passphrase`] reads first.
pub const PASSPHRASE_ENV: &str = "PROBANT_PASSPHRASE";

/// Where the master key comes from.
pub enum MasterKeySource {
    /// A key file made by [`create_key_file`]: 32 random bytes, kept outside the home (N-5.8.3).
    KeyFile(PathBuf),
    /// A passphrase, stretched with Argon2id (parameters stored in the key ring).
    Passphrase(Zeroizing<String>),
}

impl MasterKeySource {
    /// `"key file"` or `"passphrase"`, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            MasterKeySource::KeyFile(_) => "key file",
            MasterKeySource::Passphrase(_) => "passphrase",
        }
    }
}

impl std::fmt::Debug for MasterKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MasterKeySource::KeyFile(path) => f.debug_tuple("KeyFile").field(path).finish(),
            MasterKeySource::Passphrase(_) => f.write_str("Passphrase(<redacted>)"),
        }
    }
}

/// Creates a new key file holding 32 random bytes, as the single line
/// `probant-master-key-v1 <base64 of the 32 bytes>\n`.
///
/// Missing parent directories are created with mode 0700. The file is created with `O_CREAT | O_EXCL`
/// and mode 0600 from the start (never readable by others, not even briefly), then fsynced, and so is
/// its directory (CC-7.c).
///
/// # Errors
/// [`Error::KeyFileExists`] if anything exists at `path`: an existing key is never overwritten.
/// [`Error::Io`] if the file cannot be written; a partly written file is removed.
pub fn create_key_file(path: &Path) -> Result<(), Error> {
    let text = key_file_text(&primitives::random_key());
    fsutil::create_secret_file(path, text.as_bytes(), "write key file", || {
        Error::KeyFileExists { path: path.into() }
    })
}

/// The content of a key file for `key`, in a buffer that is wiped when dropped.
fn key_file_text(key: &[u8; KEY_LEN]) -> Zeroizing<String> {
    // Reserve the exact length so that the buffer never reallocates (leaving an unwiped copy).
    let mut text = Zeroizing::new(String::with_capacity(KEY_FILE_LABEL.len() + 1 + 44 + 1));
    text.push_str(KEY_FILE_LABEL);
    text.push(' ');
    STANDARD.encode_string(key, &mut text);
    text.push('\n');
    text
}

/// Reads the master key from a key file.
///
/// # Errors
/// [`Error::KeyFileMissing`], [`Error::MalformedKeyFile`], or [`Error::Io`].
pub(crate) fn read_key_file(path: &Path) -> Result<SecretKey, Error> {
    let bytes = fsutil::read_secret_file(path, KEY_FILE_MAX_LEN).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Error::KeyFileMissing { path: path.into() },
        io::ErrorKind::InvalidData => Error::MalformedKeyFile { path: path.into() },
        _ => Error::io("read key file", path)(e),
    })?;
    parse_key_file(&bytes).ok_or_else(|| Error::MalformedKeyFile { path: path.into() })
}

/// Parses `probant-master-key-v1 <base64 of 32 bytes>` with an optional final newline.
fn parse_key_file(bytes: &[u8]) -> Option<SecretKey> {
    let line = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let encoded = line
        .strip_prefix(KEY_FILE_LABEL.as_bytes())?
        .strip_prefix(b" ")?;
    let mut decoded = Zeroizing::new([0u8; 48]);
    let len = STANDARD.decode_slice(encoded, decoded.as_mut()).ok()?;
    if len != KEY_LEN {
        return None;
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&decoded[..KEY_LEN]);
    Some(key)
}

/// Default location of a home's key file: `$XDG_CONFIG_HOME/probant/keys/<home_id>.key`, else
/// `$HOME/.config/probant/keys/<home_id>.key` — in the user's configuration, not in the home (N-5.8.3).
///
/// # Errors
/// [`Error::InvalidHomeId`] if `home_id` cannot be a file name (see [`Error::InvalidHomeId`]);
/// [`Error::NoConfigDir`] if neither variable is set.
pub fn default_key_file_path(home_id: &str) -> Result<PathBuf, Error> {
    key_file_path_in(
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
        home_id,
    )
}

/// [`default_key_file_path`] with the environment passed in.
fn key_file_path_in(
    xdg_config_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
    home_id: &str,
) -> Result<PathBuf, Error> {
    validate_home_id(home_id)?;
    // The XDG Base Directory spec says to ignore a relative XDG_CONFIG_HOME.
    let config = xdg_config_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })
        .ok_or(Error::NoConfigDir)?;
    Ok(config
        .join("probant")
        .join("keys")
        .join(format!("{home_id}.key")))
}

/// A home id names a file: 1 to 128 of `[A-Za-z0-9._-]`, not starting with `.`.
fn validate_home_id(home_id: &str) -> Result<(), Error> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let ok = (1..=128).contains(&home_id.len())
        && !home_id.starts_with('.')
        && home_id.chars().all(allowed);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidHomeId(home_id.into()))
    }
}

/// Refuses a key file that lies inside `home`, the directory whose data it protects (N-5.8.3: keys are
/// never stored on the carrier they protect). Symbolic links are resolved first.
///
/// [`KeyRing::create`](crate::KeyRing::create) and [`KeyRing::open`](crate::KeyRing::open) apply this
/// to the key ring's directory; the CLI should also apply it to the home itself.
///
/// # Errors
/// [`Error::KeyFileInsideHome`]; [`Error::KeyFileMissing`] if the key file does not exist; [`Error::Io`]
/// if `home` cannot be resolved.
pub fn ensure_key_file_outside_home(key_file: &Path, home: &Path) -> Result<(), Error> {
    let key_real = key_file.canonicalize().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Error::KeyFileMissing {
            path: key_file.into(),
        },
        _ => Error::io("resolve key file", key_file)(e),
    })?;
    let home_real = home
        .canonicalize()
        .map_err(Error::io("resolve directory", home))?;
    if key_real.starts_with(&home_real) {
        return Err(Error::KeyFileInsideHome {
            key_file: key_file.into(),
            home: home.into(),
        });
    }
    Ok(())
}

/// Reads a passphrase: from `$PROBANT_PASSPHRASE` if it is set and not empty, else from the terminal
/// (without echo) after showing `prompt`. With `confirm` (for `init`), a passphrase typed on the terminal
/// is asked twice and both must match; one from the environment is taken as is.
///
/// # Errors
/// [`Error::NoPassphrase`] if there is no terminal or the passphrase is empty;
/// [`Error::PassphraseMismatch`] if the confirmation differs.
pub fn read_passphrase(prompt: &str, confirm: bool) -> Result<Zeroizing<String>, Error> {
    if let Some(passphrase) = passphrase_from_env(std::env::var(PASSPHRASE_ENV).ok()) {
        return Ok(passphrase);
    }
    let first = ask_terminal(prompt)?;
    if confirm && *ask_terminal("Repeat the passphrase: ")? != *first {
        return Err(Error::PassphraseMismatch);
    }
    Ok(first)
}

/// The passphrase from the environment's value, if it is a usable one.
fn passphrase_from_env(value: Option<String>) -> Option<Zeroizing<String>> {
    value.map(Zeroizing::new).filter(|p| !p.is_empty())
}

/// Asks on the controlling terminal, without echo.
fn ask_terminal(prompt: &str) -> Result<Zeroizing<String>, Error> {
    let answer = rpassword::prompt_password(prompt).map_err(|_| Error::NoPassphrase)?;
    let answer = Zeroizing::new(answer);
    if answer.is_empty() {
        return Err(Error::NoPassphrase);
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn key_file_is_0600_one_line_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/keys/h.key");
        create_key_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "key file mode (CC-7.c)");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("probant-master-key-v1 ") && text.ends_with('\n'),
            "{text}"
        );
        assert_eq!(text.lines().count(), 1);
        let key = read_key_file(&path).unwrap();
        assert_eq!(
            text.trim_end().split(' ').nth(1).unwrap(),
            STANDARD.encode(*key)
        );
    }

    #[test]
    fn two_key_files_differ() {
        let dir = tempfile::tempdir().unwrap();
        create_key_file(&dir.path().join("a")).unwrap();
        create_key_file(&dir.path().join("b")).unwrap();
        assert_ne!(
            *read_key_file(&dir.path().join("a")).unwrap(),
            *read_key_file(&dir.path().join("b")).unwrap()
        );
    }

    #[test]
    fn existing_key_file_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.key");
        create_key_file(&path).unwrap();
        let before = std::fs::read(&path).unwrap();
        assert!(matches!(
            create_key_file(&path),
            Err(Error::KeyFileExists { .. })
        ));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn malformed_key_files_are_rejected() {
        let good = format!("{KEY_FILE_LABEL} {}", STANDARD.encode([7u8; 32]));
        assert!(parse_key_file(good.as_bytes()).is_some());
        assert!(parse_key_file(format!("{good}\n").as_bytes()).is_some());
        for bad in [
            String::new(),
            format!("{good}\n\n"),
            format!("probant-master-key-v2 {}", STANDARD.encode([7u8; 32])),
            format!("{KEY_FILE_LABEL} {}", STANDARD.encode([7u8; 31])),
            format!("{KEY_FILE_LABEL} {}", STANDARD.encode([7u8; 33])),
            format!("{KEY_FILE_LABEL}  {}", STANDARD.encode([7u8; 32])),
            format!("{KEY_FILE_LABEL} {}", "A".repeat(200)),
        ] {
            assert!(parse_key_file(bad.as_bytes()).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn missing_and_oversized_key_files_have_their_own_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        assert!(matches!(
            read_key_file(&path),
            Err(Error::KeyFileMissing { .. })
        ));
        std::fs::write(&path, vec![b'A'; 10_000]).unwrap();
        assert!(matches!(
            read_key_file(&path),
            Err(Error::MalformedKeyFile { .. })
        ));
    }

    #[test]
    fn default_path_prefers_absolute_xdg_config_home() {
        let p = key_file_path_in(Some("/x".into()), Some("/home/u".into()), "h1").unwrap();
        assert_eq!(p, PathBuf::from("/x/probant/keys/h1.key"));
        let p = key_file_path_in(Some("rel".into()), Some("/home/u".into()), "h1").unwrap();
        assert_eq!(p, PathBuf::from("/home/u/.config/probant/keys/h1.key"));
        let p = key_file_path_in(None, Some("/home/u".into()), "h1").unwrap();
        assert_eq!(p, PathBuf::from("/home/u/.config/probant/keys/h1.key"));
        assert!(matches!(
            key_file_path_in(None, None, "h1"),
            Err(Error::NoConfigDir)
        ));
    }

    #[test]
    fn home_ids_that_are_not_file_names_are_refused() {
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            ".hidden",
            "a b",
            &"x".repeat(129),
        ] {
            let r = key_file_path_in(Some("/x".into()), None, bad);
            assert!(matches!(r, Err(Error::InvalidHomeId(_))), "{bad:?}");
        }
        assert!(key_file_path_in(
            Some("/x".into()),
            None,
            "0190c2a4-7e1b-7cc0-b9a3-1f2e3d4c5b6a"
        )
        .is_ok());
    }

    #[test]
    fn key_file_inside_home_is_refused_n_5_8_3() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        let inside = home.join("sub/master.key");
        create_key_file(&inside).unwrap();
        let r = ensure_key_file_outside_home(&inside, &home);
        assert!(matches!(r, Err(Error::KeyFileInsideHome { .. })));
        // Through a symbolic link placed outside, it is still inside.
        let link = dir.path().join("link.key");
        std::os::unix::fs::symlink(&inside, &link).unwrap();
        assert!(matches!(
            ensure_key_file_outside_home(&link, &home),
            Err(Error::KeyFileInsideHome { .. })
        ));
        let outside = dir.path().join("outside.key");
        create_key_file(&outside).unwrap();
        ensure_key_file_outside_home(&outside, &home).unwrap();
    }

    #[test]
    fn passphrase_from_environment_must_not_be_empty() {
        assert!(passphrase_from_env(None).is_none());
        assert!(passphrase_from_env(Some(String::new())).is_none());
        assert_eq!(
            passphrase_from_env(Some("s3cret".into())).unwrap().as_str(),
            "s3cret"
        );
    }

    #[test]
    fn debug_hides_the_passphrase() {
        let source = MasterKeySource::Passphrase(Zeroizing::new("hunter2".into()));
        assert!(!format!("{source:?}").contains("hunter2"));
    }
}
