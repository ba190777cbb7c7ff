//! # probant-vault — records with probative value
//!
//! Ingest, find, read and verify records so that what is read back is
//! provably the record as captured (Royal Decree of 7 Dec 2016: AR-3, AR-13,
//! AR-16, AR-17, AR-19):
//! - every record version has an immutable content, a UUIDv7 id and
//!   structured metadata; a new version links to the previous one;
//! - content is identified and validated as a long-term format (AR-16), then
//!   hashed and encrypted in one pass under its own data key (streaming AEAD),
//!   the data key wrapped by the key ring's record KEK (CC-7.a.i, and
//!   crypto-shredding later: AR-20.7);
//! - personal identifiers are stored encrypted in the catalog, with keyed
//!   blind indexes for exact-match search (CC-7.a);
//! - every ingest, read, search and show is journaled (N-5.9.5, AR-3.5); a
//!   read's entry is durable before any content is returned;
//! - `verify` re-hashes every content and cross-checks catalog ↔ blobs ↔
//!   journal, naming each problem.
#![forbid(unsafe_code)]

mod check;
mod error;
mod export;
mod gate;
mod import;
mod ingest;
mod keys;
mod migrate;
mod partial;
pub mod policy;
mod prove;
mod read;
mod recover;
mod row;

use std::sync::Arc;

use probant_blobs::BlobStore;
use probant_catalog::Catalog;
use probant_crypto::{BlindIndexKey, KeyPurpose, KeyRing, Sealer};
use probant_journal::{Actor, Event, Journal, Outcome, Resource};

pub use check::{VaultReport, VerifyScope};
pub use error::Error;
pub use export::{ExportReport, ExportedVersion, Selection};
pub use gate::{Gate, Grant, Operation, Refusal, Target, Verdict};
pub use import::{ImportReport, Imported};
pub use ingest::{blob_key, IngestRequest, Ingested};
pub use keys::Rotation;
pub use migrate::Migrated;
pub use policy::{Institution, Policy, RetentionClass};
pub use read::{Read, RecordView, SearchRequest};
pub use recover::Recovered;

/// Who asks, why, and under which legal basis (N-5.6.4): recorded in every
/// journal entry the request causes.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The authenticated actor.
    pub actor: Actor,
    /// The stated purpose.
    pub purpose: Option<String>,
    /// The legal basis relied on.
    pub legal_basis: Option<String>,
    /// `cli`, `api`.
    pub channel: String,
}

/// A vault over a journal, a catalog and a blob store.
pub struct Vault {
    journal: Arc<Journal>,
    catalog: Box<dyn Catalog>,
    blobs: Box<dyn BlobStore>,
    ring: std::sync::RwLock<KeyRing>,
    catalog_sealer: Sealer,
    blind: BlindIndexKey,
    policy: Policy,
    gate: Arc<dyn Gate>,
    /// Where running exports are noted (see `partial.rs`), if anywhere.
    export_register: Option<partial::ExportRegister>,
    /// Where ingest intents and the session note are kept (see
    /// `recover.rs`), if anywhere.
    recovery: Option<recover::RecoveryDir>,
}

impl Drop for Vault {
    /// A vault that is dropped ended its session: the next opening has
    /// nothing to recover.
    fn drop(&mut self) {
        self.end_session();
    }
}

impl Vault {
    /// Wires the parts together.
    pub fn new(
        journal: Arc<Journal>,
        catalog: Box<dyn Catalog>,
        blobs: Box<dyn BlobStore>,
        ring: KeyRing,
        policy: Policy,
        gate: Arc<dyn Gate>,
    ) -> Result<Self, Error> {
        let catalog_sealer = ring.sealer(KeyPurpose::CatalogEncryption)?;
        let blind = BlindIndexKey::new(&ring.blind_index_key()?);
        Ok(Self {
            journal,
            catalog,
            blobs,
            ring: std::sync::RwLock::new(ring),
            catalog_sealer,
            blind,
            policy,
            gate,
            export_register: None,
            recovery: None,
        })
    }

    /// The key ring, for reading (wrapping and unwrapping data keys).
    pub(crate) fn ring(&self) -> std::sync::RwLockReadGuard<'_, KeyRing> {
        self.ring.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The ids of every record whose subject has this pseudonym, for the
    /// access layer's "who accessed person X" report (which journals its
    /// own consultation; this lookup returns no personal data).
    pub fn records_of_subject(&self, pseudonym: &str) -> Result<Vec<String>, Error> {
        let rows = self.catalog.search(&probant_catalog::Query {
            subject_index: Some(pseudonym.to_owned()),
            ..probant_catalog::Query::default()
        })?;
        let mut ids: Vec<String> = rows.into_iter().map(|r| r.record_id).collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// An event by `ctx`, filled with the institution (AR-3.5).
    pub fn event(&self, ctx: &Ctx, action: &str, outcome: Outcome, resource: Resource) -> Event {
        let i = &self.policy.institution;
        Event {
            action: action.into(),
            outcome,
            actor: ctx.actor.clone(),
            resource,
            purpose: ctx.purpose.clone(),
            legal_basis: ctx.legal_basis.clone(),
            controller: i.controller.clone(),
            executor: i.executor.clone(),
            place: i.place.clone(),
            channel: ctx.channel.clone(),
            malfunction: None,
            details: None,
        }
    }

    /// The blind index of a paper original's identifier (exact-match search;
    /// the identifier itself is stored sealed).
    pub(crate) fn original_id_index(&self, original_id: &str) -> String {
        self.blind.index("original-id", original_id.as_bytes())
    }

    /// The keyed pseudonym of a national number: the catalog's blind index,
    /// and `resource.subject` in journal entries (DESIGN contract 3).
    pub fn subject_pseudonym(&self, person: &probant_identifiers::PersonNumber) -> String {
        self.blind.index("niss", person.expose().as_bytes())
    }
}
