//! A Probant home (DESIGN contract 1): `--home DIR`, else `$PROBANT_HOME`,
//! else `./probant-home`. It holds `home.json` (identity and format),
//! `config.toml` (commented, editable), `keyring.json` (keys wrapped by the
//! master key, which is never stored in the home: N-5.8.3) and `journal/`.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use probant_blobs::LocalBlobStore;
use probant_catalog_sqlite::SqliteCatalog;
use probant_crypto::{KeyRing, MasterKeySource};
use probant_journal::{Actor, ActorKind, Event, Journal, Options, Outcome, Resource, Retention};
use probant_vault::Vault;
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// Home layout version this build writes and reads.
pub const HOME_FORMAT: u32 = 1;

/// How the master key is provided.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KeyProvider {
    /// A key file outside the home.
    KeyFile {
        /// Where `init` wrote it (overridable with `--key-file`).
        path: PathBuf,
    },
    /// A passphrase (Argon2id), from `$PROBANT_PASSPHRASE` or a prompt.
    Passphrase,
}

/// `home.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HomeMeta {
    /// Layout version.
    pub format: u32,
    /// Random id of this home (binds the key ring to it).
    pub id: String,
    /// The log's name: checkpoint origin and signing key name.
    pub name: String,
    /// Creation time, RFC 3339 UTC.
    pub created: String,
    /// Master key provider.
    pub key_provider: KeyProvider,
}

/// What the operator said on the command line about keys and identity.
#[derive(Clone, Debug, Default)]
pub struct Access {
    /// `--key-file` / `$PROBANT_KEY_FILE`.
    pub key_file: Option<PathBuf>,
    /// `--as` / `$PROBANT_ACTOR` / the OS user name.
    pub actor: String,
    /// `--credential` / `$PROBANT_CREDENTIAL` (default: the actor's
    /// credential for this home in the user's configuration directory).
    pub credential: Option<PathBuf>,
    /// `--on-behalf-of` / `$PROBANT_ON_BEHALF_OF`: the person a program acts for.
    pub on_behalf_of: Option<String>,
}

impl Access {
    /// Where the actor's credential is read from.
    pub fn credential_path(&self, home_id: &str) -> Result<PathBuf, probant_crypto::Error> {
        match &self.credential {
            Some(p) => Ok(p.clone()),
            None => probant_crypto::Credential::default_path(home_id, &self.actor),
        }
    }
}

/// An opened home: key ring unlocked, journal open (this process is its
/// single writer).
pub struct Home {
    pub dir: PathBuf,
    pub meta: HomeMeta,
    pub config: Config,
    pub journal: Arc<Journal>,
    pub vault: Vault,
    /// The same blob store the vault uses, for local upkeep.
    pub blobs: LocalBlobStore,
    pub actor: Actor,
    /// Users, policy versions, consultations (changed by `users`, `policy`).
    pub access: std::cell::RefCell<probant_access::Access>,
    /// How the key ring was opened (needed again to rotate keys; a
    /// passphrase in it is zeroized on drop).
    pub key_source: MasterKeySource,
}

impl Home {
    /// Reads `home.json`, refusing a layout from a newer Probant.
    pub fn read_meta(dir: &Path) -> Result<HomeMeta> {
        let path = dir.join("home.json");
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "{} is not a Probant home (no home.json); create one with `probant init`",
                dir.display()
            )
        })?;
        let meta: HomeMeta = serde_json::from_str(&text)
            .with_context(|| format!("{} is malformed", path.display()))?;
        if meta.format > HOME_FORMAT {
            bail!(
                "this home was written by a newer Probant (home format {}; this build reads format {HOME_FORMAT}): upgrade probant",
                meta.format
            );
        }
        Ok(meta)
    }

    /// Opens the home: unlocks the key ring, opens (recovers) the journal,
    /// and authenticates the actor (N-5.6.3). An unregistered actor or a
    /// wrong credential is refused, and the refusal journaled (DESIGN
    /// contract 6), as a refusal of `requested`.
    pub fn open(dir: &Path, access: &Access, requested: &str) -> Result<Home> {
        let meta = Self::read_meta(dir)?;
        let config = Config::load(&dir.join("config.toml"))?;
        let (source, _auth) = master_key_source(&meta, access)?;
        let ring = KeyRing::open(&dir.join("keyring.json"), &meta.id, &source)
            .map_err(crate::keys::explain)?;
        let journal = Arc::new(open_journal(dir, &ring, &config)?);
        let rights = probant_access::Access::open(
            dir,
            &meta.id,
            &ring,
            config.classification.levels.clone(),
        )
        .context("cannot open the access register")?;
        let (vault, blobs) = open_vault(dir, journal.clone(), ring, &config, rights.gate()?)?;
        let claimed = Actor {
            id: access.actor.clone(),
            kind: ActorKind::Unknown,
            on_behalf_of: access.on_behalf_of.clone(),
            auth: "none".into(),
        };
        let credential = access
            .credential_path(&meta.id)
            .and_then(|p| probant_crypto::Credential::read(&p));
        let authenticated =
            rights.authenticate(&access.actor, credential, access.on_behalf_of.as_deref());
        let mut home = Home {
            dir: dir.to_owned(),
            meta,
            config,
            journal,
            vault,
            blobs,
            actor: claimed,
            access: std::cell::RefCell::new(rights),
            key_source: source,
        };
        home.journal_recovery()?;
        match authenticated {
            Ok(actor) => home.actor = actor,
            Err(refusal) => {
                let ctx = home.ctx(None, None);
                let err = home.vault.refuse(&ctx, requested, refusal);
                home.journal.close()?;
                return Err(err.into());
            }
        }
        Ok(home)
    }

    /// The request context of this invocation.
    pub fn ctx(&self, purpose: Option<&str>, legal_basis: Option<&str>) -> probant_vault::Ctx {
        probant_vault::Ctx {
            actor: self.actor.clone(),
            purpose: purpose.map(str::to_owned),
            legal_basis: legal_basis.map(str::to_owned),
            channel: "cli".into(),
        }
    }

    /// Whatever opening had to repair or replay is a malfunction to journal
    /// (AR-3.5), so that even a silent repair leaves a trace. What a
    /// process killed while ingesting left is undone, and what an export
    /// killed earlier left (records in clear, wherever it wrote) removed,
    /// and both journaled, whoever opens the home next.
    fn journal_recovery(&self) -> Result<()> {
        if let Some(note) = self.journal.recovery().malfunction() {
            let mut e = self.event("journal.recovery", Outcome::Success);
            e.malfunction = Some(note);
            self.journal.append(&e)?;
        }
        let undone = self
            .vault
            .recover_interrupted_ingests(&self.ctx(None, None))?;
        if undone != probant_vault::Recovered::default() {
            eprintln!(
                "probant: a process working on this home was killed; undone, never acknowledged (journaled): {} version(s) journaled but not catalogued, {} content(s) stored but not recorded",
                undone.uncatalogued, undone.unrecorded
            );
        }
        let removed = self.vault.recover_killed_exports(&self.ctx(None, None))?;
        for partial in removed {
            eprintln!(
                "probant: removed {}, left behind by an export that was killed (journaled)",
                partial.display()
            );
        }
        Ok(())
    }

    /// An event by the local operator, filled from the configuration (AR-3.5).
    pub fn event(&self, action: &str, outcome: Outcome) -> Event {
        Event {
            action: action.into(),
            outcome,
            actor: self.actor.clone(),
            resource: Resource::default(),
            purpose: None,
            legal_basis: None,
            controller: self.config.institution.controller.clone(),
            executor: self.config.institution.executor.clone(),
            place: self.config.institution.place.clone(),
            channel: "cli".into(),
            malfunction: None,
            details: None,
        }
    }
}

/// Retention and clock options of the journal from the configuration.
pub fn journal_options(config: &Config) -> Options {
    Options {
        retention: Retention {
            functional_years: config.journal.functional_retention_years,
            technical_years: config.journal.technical_retention_years,
        },
        ..Options::default()
    }
}

/// Where the home notes its running exports (see `Vault::with_export_register`).
pub const EXPORT_REGISTER: &str = "exports-running";
/// Where the home notes its session and each batch being recorded (see
/// `Vault::with_recovery`).
pub const RECOVERY: &str = "recovery";

/// The embedded default: SQLite catalog and local-filesystem blobs in the home.
pub fn open_vault(
    dir: &Path,
    journal: Arc<Journal>,
    ring: KeyRing,
    config: &Config,
    gate: Arc<dyn probant_vault::Gate>,
) -> Result<(Vault, LocalBlobStore)> {
    let catalog =
        SqliteCatalog::open(&dir.join("catalog.sqlite")).context("cannot open the catalog")?;
    let blobs = LocalBlobStore::open(&dir.join("blobs")).context("cannot open the blob store")?;
    let vault = Vault::new(
        journal,
        Box::new(catalog),
        Box::new(blobs.clone()),
        ring,
        config.policy(),
        gate,
    )?
    .with_export_register(&dir.join(EXPORT_REGISTER))?
    .with_recovery(&dir.join(RECOVERY))?;
    Ok((vault, blobs))
}

fn open_journal(dir: &Path, ring: &KeyRing, config: &Config) -> Result<Journal> {
    let (signer, sealer) = crate::keys::journal_keys(ring)?;
    Journal::open(
        &dir.join("journal"),
        signer,
        sealer,
        journal_options(config),
    )
    .with_context(|| format!("cannot open the journal of {}", dir.display()))
}

/// The master key source, and how the operator is thereby authenticated.
pub fn master_key_source(
    meta: &HomeMeta,
    access: &Access,
) -> Result<(MasterKeySource, &'static str)> {
    match &meta.key_provider {
        KeyProvider::Passphrase => {
            let p = probant_crypto::read_passphrase("Passphrase of this Probant home: ", false)
                .map_err(crate::keys::explain)?;
            Ok((MasterKeySource::Passphrase(p), "local-passphrase"))
        }
        KeyProvider::KeyFile { path } => {
            let path = access.key_file.clone().unwrap_or_else(|| path.clone());
            Ok((MasterKeySource::KeyFile(path), "local-key-file"))
        }
    }
}
