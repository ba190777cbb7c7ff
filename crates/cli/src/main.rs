//! `probant`: the command-line shell over Probant's libraries. Arguments are
//! parsed here; the work is done by `journal`, `crypto` and `verify`.
#![forbid(unsafe_code)]

mod access_cmd;
mod bag_cmd;
mod config;
mod home;
mod init;
mod journal_cmd;
mod keys;
mod output;
mod vault_cmd;
mod verify_proof;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::home::{Access, Home};
use crate::output::Out;

/// Probant: an evidence-grade records vault for the Belgian social-security network.
#[derive(Parser, Debug)]
#[command(name = "probant", version, about, long_about = None)]
struct Cli {
    /// The home directory.
    #[arg(
        long,
        global = true,
        env = "PROBANT_HOME",
        default_value = "probant-home"
    )]
    home: PathBuf,
    /// Print results as JSON (one document per line).
    #[arg(long, global = true)]
    json: bool,
    /// Who is acting (default: the OS user name).
    #[arg(long = "as", global = true, env = "PROBANT_ACTOR")]
    actor: Option<String>,
    /// The master key file (init: where to create it; otherwise: where to read it).
    #[arg(long, global = true, env = "PROBANT_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// The acting user's credential file (default:
    /// $XDG_CONFIG_HOME/probant/credentials/<home id>/<user>.credential).
    #[arg(long, global = true, env = "PROBANT_CREDENTIAL")]
    credential: Option<PathBuf>,
    /// For a program: the registered person it acts for (N-5.9.6).
    #[arg(long, global = true, env = "PROBANT_ON_BEHALF_OF")]
    on_behalf_of: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Create a home: key ring, journal, default configuration.
    Init(init::InitArgs),
    /// Read, prove, verify and prune the access journal.
    Journal {
        #[command(subcommand)]
        cmd: journal_cmd::JournalCmd,
    },
    /// Ingest files, a directory or a manifest as records (each printed once durable).
    Ingest(vault_cmd::IngestArgs),
    /// Write a record's content to a file, bit-identical, after journaling the read.
    Get(vault_cmd::GetArgs),
    /// Find records by subject, original id, type or creation date.
    Search(vault_cmd::SearchArgs),
    /// A record's metadata, every version.
    Show {
        /// Record id.
        id: String,
        #[command(flatten)]
        why: vault_cmd::Why,
    },
    /// Decrypt and re-hash every record (or one) and cross-check catalog, blobs and journal.
    Verify {
        /// Only this record.
        #[arg(long)]
        record: Option<String>,
    },
    /// Key life cycle: rotate the record KEK (every data key re-wrapped, no content rewritten).
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
    /// Register persons and programs, with roles and clearance (administrators).
    Users {
        #[command(subcommand)]
        cmd: access_cmd::UsersCmd,
    },
    /// The Cedar policies and legal-basis register in force: validate, apply, show.
    Policy {
        #[command(subcommand)]
        cmd: access_cmd::PolicyCmd,
    },
    /// Journal consultation procedure (contract 7): request, approve, refuse, run, list.
    Consult {
        #[command(subcommand)]
        cmd: access_cmd::ConsultCmd,
    },
    /// Who may access which data categories, under which legal basis and role (CC-8).
    Access {
        #[command(subcommand)]
        cmd: access_cmd::AccessCmd,
    },
    /// Check an inclusion or consistency proof offline (and a `prove` document's record).
    VerifyProof {
        /// The proof document (JSON).
        file: PathBuf,
        /// The log's verifier key file (default: <home>/journal/vkey).
        #[arg(long)]
        vkey: Option<PathBuf>,
        /// For a `prove` document: also check that this file is the record's content.
        #[arg(long)]
        content: Option<PathBuf>,
    },
    /// Export records, their metadata, journal entries and proofs as a BagIt bag (contract 4).
    Export(bag_cmd::ExportArgs),
    /// Check an export bag offline: fixity, each record against its journal entry, its
    /// metadata against the export entry's digest, the proofs and the checkpoint signature
    /// (needs no home).
    VerifyBag {
        /// The bag's directory.
        dir: PathBuf,
        /// The journal's verifier key, obtained independently (default: the bag's own).
        #[arg(long)]
        vkey: Option<PathBuf>,
    },
    /// One record's evidence as one JSON document: metadata (no identifiers in clear), digest,
    /// its journal entry, inclusion proof and signed checkpoint (contract 5).
    Prove(bag_cmd::ProveArgs),
    /// Bring the records of an export bag into this home, ids and versions kept (AR-19).
    Import(bag_cmd::ImportArgs),
    /// Convert records to another format as new versions, provably lossless (AR-16, AR-20.12).
    Migrate(bag_cmd::MigrateArgs),
}

#[derive(Subcommand, Debug)]
enum KeysCmd {
    /// New record-KEK version; every record's data key re-wrapped under it; journaled.
    Rotate {
        /// Afterwards destroy the older KEK versions (crypto-shredding of whatever they still wrap).
        #[arg(long)]
        retire_old: bool,
    },
}

fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown-operator".into())
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    let access = Access {
        key_file: cli.key_file.clone(),
        actor: cli.actor.clone().unwrap_or_else(os_user),
        credential: cli.credential.clone(),
        on_behalf_of: cli.on_behalf_of.clone(),
    };
    let out = Out { json: cli.json };
    match &cli.cmd {
        Cmd::Init(args) => init::run(&cli.home, args, &access, &out).map(|_| 0),
        Cmd::Journal { cmd } => {
            journal_cmd::validate(cmd)?;
            with_home(&cli, &access, "journal", |h| journal_cmd::run(h, cmd, &out))
        }
        Cmd::VerifyProof {
            file,
            vkey,
            content,
        } => verify_proof::run(file, vkey.as_ref(), content.as_deref(), &cli.home, &out),
        Cmd::VerifyBag { dir, vkey } => bag_cmd::verify_bag_cmd(dir, vkey.as_ref(), &out),
        Cmd::Export(a) => with_home(&cli, &access, "record.export", |h| {
            bag_cmd::export(h, a, &out)
        }),
        Cmd::Prove(a) => with_home(&cli, &access, "record.show", |h| bag_cmd::prove(h, a, &out)),
        Cmd::Import(a) => with_home(&cli, &access, "record.import", |h| {
            bag_cmd::import(h, a, &out)
        }),
        Cmd::Migrate(a) => with_home(&cli, &access, "record.migrate", |h| {
            bag_cmd::migrate(h, a, &out)
        }),
        Cmd::Keys {
            cmd: KeysCmd::Rotate { retire_old },
        } => with_home(&cli, &access, "key.rotate", |h| {
            vault_cmd::rotate(h, *retire_old, &out)
        }),
        Cmd::Ingest(a) => with_home(&cli, &access, "record.ingest", |h| {
            vault_cmd::ingest(h, a, &out)
        }),
        Cmd::Get(a) => with_home(&cli, &access, "record.read", |h| vault_cmd::get(h, a, &out)),
        Cmd::Search(a) => with_home(&cli, &access, "record.search", |h| {
            vault_cmd::search(h, a, &out)
        }),
        Cmd::Show { id, why } => with_home(&cli, &access, "record.show", |h| {
            vault_cmd::show(h, id, why, &out)
        }),
        Cmd::Verify { record } => with_home(&cli, &access, "vault.verify", |h| {
            vault_cmd::verify(h, record.as_deref(), &out)
        }),
        Cmd::Users { cmd } => with_home(&cli, &access, "user.change", |h| {
            access_cmd::users(h, cmd, &out)
        }),
        Cmd::Policy { cmd } => {
            let candidate = access_cmd::read_candidate(cmd)?;
            with_home(&cli, &access, "policy", |h| {
                access_cmd::policy(h, cmd, &candidate, &out)
            })
        }
        Cmd::Consult { cmd } => with_home(&cli, &access, "consult", |h| {
            access_cmd::consult(h, cmd, &out)
        }),
        Cmd::Access { cmd } => with_home(&cli, &access, "access.report", |h| {
            access_cmd::access(h, cmd, &out)
        }),
    }
}

/// Opens the home, runs `f`, and closes the journal (everything durable and
/// published) whatever `f` returned.
fn with_home(
    cli: &Cli,
    access: &Access,
    requested: &str,
    f: impl FnOnce(&Home) -> anyhow::Result<i32>,
) -> anyhow::Result<i32> {
    let home = Home::open(&cli.home, access, requested)?;
    let result = f(&home);
    home.journal.close()?;
    result
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("probant: error: {e:#}");
            ExitCode::from(1)
        }
    }
}
