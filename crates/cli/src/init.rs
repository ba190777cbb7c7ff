//! `probant init`: a home that works at once (DESIGN contract 6). Either it
//! is created whole, or nothing is left behind (not even the key file).
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use probant_crypto::{
    create_key_file, default_key_file_path, ensure_key_file_outside_home, KeyRing, MasterKeySource,
};
use probant_journal::{Journal, Outcome};
use serde_json::json;

use crate::config::{default_text, Config};
use crate::home::{journal_options, Access, Home, HomeMeta, KeyProvider, HOME_FORMAT};
use crate::output::{write_file_durably, Out};

/// `probant init` arguments.
#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// The log's name: checkpoint origin and key name, e.g. `records.example.be/probant`
    /// (no spaces or '+'). Default: `probant.local/<home id>`.
    #[arg(long)]
    name: Option<String>,
    /// Protect the home with a passphrase (Argon2id) instead of a key file; read from
    /// $PROBANT_PASSPHRASE or asked twice on the terminal.
    #[arg(long, conflicts_with = "key_file")]
    passphrase: bool,
    /// Also register this person as an approver of journal consultations
    /// (contract 7), with their own credential.
    #[arg(long)]
    approver: Option<String>,
}

/// Removes what a failed `init` created, and only that: a home directory
/// that existed (empty) before is emptied again and gets its mode back; key
/// file directories that `init` created are removed if empty.
#[derive(Default)]
struct Undo {
    home: Option<PathBuf>,
    home_existed: Option<std::fs::Permissions>,
    key_file: Option<PathBuf>,
    key_dirs: Vec<PathBuf>,
    credentials: Vec<PathBuf>,
}

impl Undo {
    /// Keeps everything (assigning a new `Undo` would drop, and run, this one).
    fn disarm(&mut self) {
        self.home = None;
        self.key_file = None;
        self.key_dirs.clear();
        self.credentials.clear();
    }
}

impl Drop for Undo {
    fn drop(&mut self) {
        if let Some(k) = &self.key_file {
            let _ = std::fs::remove_file(k);
        }
        for d in self.key_dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
        for c in &self.credentials {
            let _ = std::fs::remove_file(c);
            if let Some(dir) = c.parent() {
                let _ = std::fs::remove_dir(dir);
            }
        }
        let Some(h) = &self.home else { return };
        match &self.home_existed {
            None => {
                let _ = std::fs::remove_dir_all(h);
            }
            Some(mode) => {
                for item in std::fs::read_dir(h).into_iter().flatten().flatten() {
                    let p = item.path();
                    let _ = if p.is_dir() {
                        std::fs::remove_dir_all(&p)
                    } else {
                        std::fs::remove_file(&p)
                    };
                }
                let _ = std::fs::set_permissions(h, mode.clone());
            }
        }
    }
}

/// Creates the home at `dir`.
pub fn run(dir: &Path, args: &InitArgs, access: &Access, out: &Out) -> Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!(
            "{} already exists and is not empty: choose another --home",
            dir.display()
        );
    }
    for (flag, user) in [
        ("--as", Some(&access.actor)),
        ("--approver", args.approver.as_ref()),
    ] {
        if let Some(u) = user.filter(|u| !probant_crypto::is_valid_user_id(u)) {
            bail!("{flag} {u:?}: a user id is 1 to 64 letters, digits, '.', '_', '-' or '@', not starting with '.'");
        }
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("probant.local/{}", &id[..12]));
    if !probant_verify::note::is_valid_key_name(&name) {
        bail!("--name {name:?}: a log name must be non-empty, without spaces or '+'");
    }
    let mut undo = Undo::default();
    let (provider, source) = key_provider(dir, &id, args, access, &mut undo)?;
    undo.home_existed = std::fs::metadata(dir).ok().map(|m| m.permissions());
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    undo.home = Some(dir.to_owned());
    restrict(dir)?;
    if let KeyProvider::KeyFile { path } = &provider {
        ensure_key_file_outside_home(path, dir).map_err(crate::keys::explain)?;
    }
    let meta = HomeMeta {
        format: HOME_FORMAT,
        id: id.clone(),
        name: name.clone(),
        created: now_rfc3339(),
        key_provider: provider,
    };
    write_file_durably(
        &dir.join("home.json"),
        serde_json::to_string_pretty(&meta)?.as_bytes(),
    )?;
    write_file_durably(&dir.join("config.toml"), default_text(&name).as_bytes())?;
    let config = Config::load(&dir.join("config.toml"))?;
    let ring =
        KeyRing::create(&dir.join("keyring.json"), &id, &source).map_err(crate::keys::explain)?;
    let (signer, sealer) = crate::keys::journal_keys(&ring)?;
    let journal = std::sync::Arc::new(Journal::create(
        &dir.join("journal"),
        &name,
        signer,
        sealer,
        journal_options(&config),
    )?);
    std::fs::create_dir(dir.join("blobs")).context("cannot create the blob store")?;
    let (rights, credentials) = probant_access::Access::create(
        dir,
        &id,
        &ring,
        config.classification.levels.clone(),
        &access.actor,
        args.approver.as_deref(),
    )?;
    let credential_paths = write_credentials(&credentials, access, &mut undo)?;
    let (vault, blobs) =
        crate::home::open_vault(dir, journal.clone(), ring, &config, rights.gate()?)?;
    let home = Home {
        dir: dir.to_owned(),
        meta,
        config,
        journal,
        vault,
        blobs,
        actor: local_actor(access),
        access: std::cell::RefCell::new(rights),
        key_source: source,
    };
    let receipt = record_creation(&home, args.approver.as_deref())?;
    home.journal.close()?;
    undo.disarm();
    report(&home, receipt.index, &credential_paths, out)
}

fn key_provider(
    dir: &Path,
    id: &str,
    args: &InitArgs,
    access: &Access,
    undo: &mut Undo,
) -> Result<(KeyProvider, MasterKeySource)> {
    if args.passphrase {
        let p = probant_crypto::read_passphrase("New passphrase for this Probant home: ", true)
            .map_err(crate::keys::explain)?;
        return Ok((KeyProvider::Passphrase, MasterKeySource::Passphrase(p)));
    }
    let path = match &access.key_file {
        Some(p) => absolute(p)?,
        None => default_key_file_path(id).map_err(crate::keys::explain)?,
    };
    let home = absolute(dir)?;
    if path.starts_with(&home) {
        return Err(crate::keys::explain(
            probant_crypto::Error::KeyFileInsideHome {
                key_file: path,
                home,
            },
        ));
    }
    undo.key_dirs = path
        .ancestors()
        .skip(1)
        .take_while(|d| !d.exists())
        .map(Path::to_path_buf)
        .collect();
    undo.key_dirs.reverse();
    create_key_file(&path).map_err(crate::keys::explain)?;
    undo.key_file = Some(path.clone());
    Ok((
        KeyProvider::KeyFile { path: path.clone() },
        MasterKeySource::KeyFile(path),
    ))
}

/// Writes each credential to its default place (the bootstrap actor's to
/// `--credential` if given), never over an existing file.
fn write_credentials(
    credentials: &[probant_crypto::Credential],
    access: &Access,
    undo: &mut Undo,
) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for c in credentials {
        let path = if c.user() == access.actor {
            access.credential_path(c.home_id())
        } else {
            probant_crypto::Credential::default_path(c.home_id(), c.user())
        }
        .map_err(crate::keys::explain)?;
        c.write_new(&path).map_err(crate::keys::explain)?;
        undo.credentials.push(path.clone());
        out.push((c.user().to_owned(), path));
    }
    Ok(out)
}

fn local_actor(access: &Access) -> probant_journal::Actor {
    probant_journal::Actor {
        id: access.actor.clone(),
        kind: probant_journal::ActorKind::Person,
        on_behalf_of: None,
        auth: probant_access::LOCAL_CREDENTIAL.into(),
    }
}

fn record_creation(home: &Home, approver: Option<&str>) -> Result<probant_journal::Receipt> {
    let mut e = home.event("home.init", Outcome::Success);
    e.details = Some(json!({
        "name": home.meta.name,
        "home_format": HOME_FORMAT,
        "key_provider": match home.meta.key_provider { KeyProvider::Passphrase => "passphrase", KeyProvider::KeyFile { .. } => "key-file" },
        "administrator": home.actor.id,
        "roles": probant_policy::BOOTSTRAP_ROLES,
        "approver": approver,
        "policy_version": 1,
        "policy_hash": home.access.borrow().policy().hash(),
    }));
    Ok(home.journal.append(&e)?)
}

fn report(home: &Home, index: u64, credentials: &[(String, PathBuf)], out: &Out) -> Result<()> {
    let vkey = home.journal.verifier_key().to_string();
    let key_file = match &home.meta.key_provider {
        KeyProvider::KeyFile { path } => Some(path.display().to_string()),
        KeyProvider::Passphrase => None,
    };
    if out.json {
        return out.json_line(&json!({
            "home": absolute(&home.dir)?.display().to_string(), "id": home.meta.id, "name": home.meta.name,
            "key_file": key_file, "vkey": vkey, "journal_index": index,
            "credentials": credentials.iter().map(|(u, p)| json!({ "user": u, "path": p })).collect::<Vec<_>>(),
        }));
    }
    out.line(format!(
        "Created Probant home {} for log \"{}\"",
        home.dir.display(),
        home.meta.name
    ));
    match key_file {
        Some(k) => out.line(format!(
            "  master key file: {k}\n    (mode 0600, outside the home. Back it up somewhere else: without it this home cannot be opened.)"
        )),
        None => out.line("  master key: your passphrase (Argon2id). Without it this home cannot be opened."),
    }
    out.line(format!("  verifier key:    {vkey}\n    (give it to auditors and witnesses; it is also in journal/vkey)"));
    for (user, path) in credentials {
        out.line(format!(
            "  credential of {user}: {} (mode 0600; it identifies {user} to this home)",
            path.display()
        ));
    }
    out.line(format!(
        "  journal entry {index} records the creation, by {}",
        home.actor.id
    ));
    out.line(format!(
        "  configure controller, executor and place in {}",
        home.dir.join("config.toml").display()
    ));
    Ok(())
}

fn absolute(p: &Path) -> Result<PathBuf> {
    Ok(if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir()?.join(p)
    })
}

fn restrict(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("chmod {}", dir.display()))
}

/// Now, RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    use probant_journal::Clock;
    probant_journal::entry::format_time(probant_journal::SystemClock.now_micros())
}
