//! `prove`: one record version's evidence as one small JSON document
//! (DESIGN contract 5): the inclusion proof of the journal entry that stored
//! its content, to a signed checkpoint, plus a `"record"` member with its
//! metadata. A third party checks it with RFC 9162 and the journal's
//! verifier key alone (N-5.11.13, AR-19).
//!
//! The document leaves the vault, so `record` carries no personal
//! identifier in clear: not the subject's number, the title, the paper
//! original's identifier nor the file name and further metadata (all
//! sealed in the catalog). It keeps the subject's pseudonym (which the
//! journal entry carries too), type, classification, dates, format, size,
//! SHA-256 and provenance: enough to tie a content, given separately, to
//! its journaled capture.
use probant_catalog::RecordRow;
use serde_json::{json, Value};

use crate::read::{resource_of, target_of};
use crate::{Ctx, Error, Operation, Vault};

impl Vault {
    /// The evidence of record `id`, `version` (default: the latest):
    /// authorised and journaled as a `record.show`, whose entry is durable
    /// and inside the checkpoint the proof leads to.
    pub fn prove(&self, ctx: &Ctx, id: &str, version: Option<u32>) -> Result<Value, Error> {
        let row = match self.catalog.get(id, version)? {
            Some(row) => row,
            None => return Err(self.not_found(ctx, Operation::Show, id, version)),
        };
        let grant = self.authorize(ctx, Operation::Show, &target_of(&row), resource_of(&row))?;
        let mut e = self.granted_event(ctx, Operation::Show, &grant, resource_of(&row));
        Self::add_details(&mut e, json!({ "proof_of": row.journal_index }));
        self.journal.append(&e)?;
        let published = self.journal.sync()?;
        let proof = self
            .journal
            .inclusion_proof(row.journal_index, Some(published.size))?;
        let mut doc = serde_json::to_value(&proof).map_err(|e| Error::Integrity {
            detail: format!("cannot encode the proof: {e}"),
        })?;
        if let Value::Object(members) = &mut doc {
            members.insert("record".into(), self.public_metadata(&row)?);
        }
        Ok(doc)
    }

    /// A version's metadata without personal identifiers in clear: an
    /// allow-list, so that a field added to the catalog later stays inside
    /// until someone decides it may leave.
    pub(crate) fn public_metadata(&self, row: &RecordRow) -> Result<Value, Error> {
        // Decrypting the view also checks the sealed fields still open.
        let v = self.view(row)?;
        Ok(json!({
            "record_id": v.record_id,
            "version": v.version,
            "previous_version": v.previous_version,
            "subject_pseudonym": v.subject_pseudonym,
            "doc_type": v.doc_type,
            "classification": v.classification,
            "created": v.created,
            "recorded": v.recorded,
            "recorded_late": v.recorded_late,
            "original_destroyed": v.original_destroyed,
            "controller": v.controller,
            "executor": v.executor,
            "place": v.place,
            "retention_class": v.retention_class,
            "retention_due": v.retention_due,
            "legal_hold": v.legal_hold,
            "format": v.format,
            "size": v.size,
            "sha256": v.sha256,
            "provenance": v.provenance,
            "journal_index": v.journal_index,
        }))
    }
}
