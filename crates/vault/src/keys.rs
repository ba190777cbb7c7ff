//! Key rotation (N-5.7.1): a new record-KEK version, every data key
//! re-wrapped under it through the catalog, no content rewritten; then,
//! on request, the old versions retired (destroyed) — only once no data key
//! needs them. Each step is journaled.
use std::path::Path;

use probant_crypto::{KeyPurpose, MasterKeySource, WrappedKey};
use probant_journal::{Outcome, Resource};
use serde_json::json;

use crate::row::key_aad;
use crate::{Ctx, Error, Operation, Vault};

/// What a rotation did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Rotation {
    /// KEK version before.
    pub from_version: u32,
    /// KEK version after.
    pub to_version: u32,
    /// Data keys re-wrapped.
    pub rewrapped: u64,
    /// Versions retired (destroyed) afterwards.
    pub retired: Vec<u32>,
}

impl Vault {
    /// Rotates the record KEK and re-wraps every data key under the new
    /// version; with `retire_old`, destroys the older versions afterwards.
    pub fn rotate_record_kek(
        &self,
        ctx: &Ctx,
        ring_path: &Path,
        source: &MasterKeySource,
        retire_old: bool,
    ) -> Result<Rotation, Error> {
        let grant = self.authorize_system(ctx, Operation::ManageKeys)?;
        let from_version = self.ring().current_version(KeyPurpose::RecordKek)?;
        let to_version = self
            .ring
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .rotate(ring_path, source, KeyPurpose::RecordKek)?;
        let mut started =
            self.granted_event(ctx, Operation::ManageKeys, &grant, Resource::default());
        Self::add_details(
            &mut started,
            json!({ "purpose": "record-kek", "from_version": from_version, "to_version": to_version }),
        );
        self.journal.append(&started)?;
        let rewrapped = self.rewrap_all(to_version)?;
        let mut retired = Vec::new();
        if retire_old {
            let old: Vec<u32> = self
                .ring()
                .versions(KeyPurpose::RecordKek)
                .into_iter()
                .filter(|v| *v != to_version)
                .collect();
            for v in old {
                self.ring
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .retire(ring_path, source, KeyPurpose::RecordKek, v)?;
                retired.push(v);
            }
        }
        let mut done = self.event(ctx, "key.rewrap", Outcome::Success, Resource::default());
        done.details = Some(
            json!({ "purpose": "record-kek", "to_version": to_version, "rewrapped": rewrapped, "retired": retired }),
        );
        self.journal.append(&done)?;
        Ok(Rotation {
            from_version,
            to_version,
            rewrapped,
            retired,
        })
    }

    /// Re-wraps every data key not yet under `current`.
    fn rewrap_all(&self, current: u32) -> Result<u64, Error> {
        let mut todo = Vec::new();
        self.catalog.for_each(&mut |row| {
            if row.kek_version != current {
                todo.push(row);
            }
            Ok(())
        })?;
        for row in &todo {
            let wrapped = WrappedKey {
                kek_version: row.kek_version,
                bytes: row.wrapped_key.clone(),
            };
            let new = self
                .ring()
                .rewrap_data_key(&wrapped, &key_aad(&row.record_id, row.version))?;
            self.catalog
                .rewrap(&row.record_id, row.version, new.kek_version, &new.bytes)?;
        }
        Ok(todo.len() as u64)
    }
}
