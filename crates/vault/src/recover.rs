//! Recovery from a process killed while it stored records (`kill -9`, a
//! power loss): after it, nothing half-done may remain and `verify` must
//! find the vault consistent (AR-3.3, AR-13.1), with the journal saying
//! what was undone (AR-3.5).
//!
//! Two things can be left. **A batch journaled but not catalogued**: its
//! entries say the versions were stored, but the catalog transaction never
//! committed (they were never acknowledged). Before each batch's journal
//! append, an *intent* naming its versions and blobs is written, sealed
//! and synced; it is removed once the catalog has committed. An intent
//! found at the next opening is undone exactly: each of its versions
//! without a catalog row has its blob deleted and gets a failure entry
//! ("nothing stored: …"), which `verify` reads as withdrawing the entry.
//! **Contents stored ahead and never recorded**: ingest stores contents
//! on many threads ahead of recording them, and nothing names them yet (a
//! content's data key exists only in memory until its row is written, so
//! they are unreadable). The vault notes, sealed, when a session starts
//! and removes the note when it ends; a note found at the next opening
//! means the session was killed, and the blobs that no catalog row names
//! and that were written since it started are deleted, each with a failure
//! entry. Older orphans are left for `verify` to report: this process did
//! not write them.
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use probant_blobs::BlobKey;
use probant_journal::{Event, Outcome, Resource};
use serde_json::json;

use crate::ingest::Staged;
use crate::{Ctx, Error, Vault};

/// Where a vault keeps its recovery notes, and what the last session left.
pub(crate) struct RecoveryDir {
    dir: PathBuf,
    /// The start of the previous session, when it did not end (a killed
    /// process), read at opening.
    killed_session: Option<SystemTime>,
}

const SESSION: &str = "session";
const INTENTS: &str = "intents";
/// Blobs written this long before a killed session's start are still
/// counted as its own (clock resolution of the store's timestamps).
const CLOCK_SLACK: Duration = Duration::from_secs(2);

/// A version a batch intends to record.
#[derive(serde::Serialize, serde::Deserialize)]
struct Intended {
    record: String,
    version: u32,
    blob: String,
}

/// A version to undo: its blob, and why (the malfunction journaled).
struct Undo {
    record: String,
    version: u32,
    blob: String,
    why: &'static str,
}

/// What recovery undid.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Versions of a batch that was journaled but never catalogued.
    pub uncatalogued: usize,
    /// Contents stored by a killed session and never recorded.
    pub unrecorded: usize,
}

/// A batch's intent: removed when dropped, whatever happened, once the
/// batch is recorded or refused.
pub(crate) struct Intent(Option<PathBuf>);

impl Drop for Intent {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn aad(what: &str, name: &str) -> Vec<u8> {
    format!("probant/recovery/v1/{what}/{name}").into_bytes()
}

/// Creates `dir` and its parents if missing, the owner's alone (mode 0700
/// on Unix): recovery notes and export registers name what is in flight.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), Error> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(Error::io(dir))
}

/// Writes `bytes` to a new file at `path` and syncs it and its directory.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let written = std::fs::File::create_new(path).and_then(|mut f| {
        std::io::Write::write_all(&mut f, bytes)?;
        f.sync_all()?;
        std::fs::File::open(path.parent().unwrap_or(Path::new(".")))?.sync_all()
    });
    written.map_err(|e| {
        let _ = std::fs::remove_file(path);
        Error::io(path)(e)
    })
}

impl Vault {
    /// Keeps recovery notes in `dir` (created if missing, owner only): see
    /// the module documentation. Reads what a killed previous session left
    /// and starts this one; [`Vault::recover_interrupted_ingests`] then
    /// undoes what was left. The CLI keeps them in the home.
    pub fn with_recovery(mut self, dir: &Path) -> Result<Self, Error> {
        create_private_dir(&dir.join(INTENTS))?;
        let marker = dir.join(SESSION);
        let killed_session = match std::fs::read(&marker) {
            Ok(sealed) => Some(self.session_start(&sealed)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&marker)(e)),
        };
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let sealed = self
            .catalog_sealer
            .seal(&aad(SESSION, SESSION), now.to_string().as_bytes());
        probant_journal::fsutil::write_durably(&marker, &sealed)?;
        self.recovery = Some(RecoveryDir {
            dir: dir.to_owned(),
            killed_session,
        });
        Ok(self)
    }

    /// A killed session's start; one whose note does not unseal (altered)
    /// counts as having started just now, so that nothing older is touched.
    fn session_start(&self, sealed: &[u8]) -> SystemTime {
        self.catalog_sealer
            .open(&aad(SESSION, SESSION), sealed)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse::<u64>().ok())
            .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
            .unwrap_or_else(SystemTime::now)
    }

    /// Notes, durably, the versions of a batch about to be journaled.
    pub(crate) fn intend(&self, staged: &[(usize, Staged)]) -> Result<Intent, Error> {
        let Some(recovery) = &self.recovery else {
            return Ok(Intent(None));
        };
        let intended: Vec<Intended> = staged
            .iter()
            .map(|(_, s)| Intended {
                record: s.row.record_id.clone(),
                version: s.row.version,
                blob: s.blob.to_string(),
            })
            .collect();
        let name = uuid::Uuid::new_v4().to_string();
        let json = serde_json::to_vec(&intended).map_err(|e| Error::Integrity {
            detail: format!("cannot encode an intent: {e}"),
        })?;
        let sealed = self.catalog_sealer.seal(&aad(INTENTS, &name), &json);
        let path = recovery.dir.join(INTENTS).join(&name);
        write_synced(&path, &sealed)?;
        Ok(Intent(Some(path)))
    }

    /// Undoes what a killed process left (see the module documentation):
    /// journals each version undone as a failure first, then deletes its
    /// blob, then drops the intents (killed again midway, the next opening
    /// journals and deletes what is left: an entry may repeat, none is
    /// missing). An intent that does not unseal (altered, or from another
    /// home) is journaled as a malfunction and dropped; `verify` reports
    /// what its batch may have left. For the opening of a home, before
    /// anything else is done with it. Without recovery notes, does nothing.
    pub fn recover_interrupted_ingests(&self, ctx: &Ctx) -> Result<Recovered, Error> {
        let Some(recovery) = &self.recovery else {
            return Ok(Recovered::default());
        };
        let intents = intent_files(&recovery.dir.join(INTENTS))?;
        let mut undo: Vec<Undo> = Vec::new();
        let mut events = Vec::new();
        for path in &intents {
            let Some(intended) = self.read_intent(path) else {
                events.push(self.unreadable_intent_event(ctx, path));
                continue;
            };
            for v in intended {
                if self.catalog.get(&v.record, Some(v.version))?.is_none() {
                    undo.push(Undo {
                        record: v.record,
                        version: v.version,
                        blob: v.blob,
                        why: UNCATALOGUED,
                    });
                }
            }
        }
        let uncatalogued = undo.len();
        if let Some(since) = recovery.killed_session {
            for (record, version, blob) in self.unrecorded_since(since - CLOCK_SLACK)? {
                if !undo.iter().any(|u| u.blob == blob) {
                    undo.push(Undo {
                        record,
                        version,
                        blob,
                        why: UNRECORDED,
                    });
                }
            }
        }
        events.extend(
            undo.iter()
                .map(|u| self.undone_event(ctx, &u.record, u.version, u.why)),
        );
        if !events.is_empty() {
            self.journal.append_all(&events)?;
        }
        for u in &undo {
            self.delete_if_present(&u.blob)?;
        }
        for path in intents {
            let _ = std::fs::remove_file(path);
        }
        Ok(Recovered {
            uncatalogued,
            unrecorded: undo.len() - uncatalogued,
        })
    }

    /// The versions an intent names, if it unseals.
    fn read_intent(&self, path: &Path) -> Option<Vec<Intended>> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let bytes = std::fs::read(path).ok()?;
        let json = self.catalog_sealer.open(&aad(INTENTS, name), &bytes).ok()?;
        serde_json::from_slice(&json).ok()
    }

    fn unreadable_intent_event(&self, ctx: &Ctx, path: &Path) -> Event {
        let mut e = self.event(ctx, "record.ingest", Outcome::Failure, Resource::default());
        e.malfunction = Some(format!(
            "the ingest intent {} does not unseal (altered, or from another home): what its batch left is not undone; verify reports it",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("?")
        ));
        Self::add_details(&mut e, json!({ "recovery": true }));
        e
    }

    /// The blobs that no catalog row names and that were written at or
    /// after `since`, with the versions their keys name.
    fn unrecorded_since(&self, since: SystemTime) -> Result<Vec<(String, u32, String)>, Error> {
        let mut known = std::collections::HashSet::new();
        self.catalog.for_each(&mut |row| {
            known.insert(row.blob_key);
            Ok(())
        })?;
        let mut found = Vec::new();
        for key in self.blobs.list()? {
            if known.contains(key.as_str()) {
                continue;
            }
            let Some((record, version)) = version_of_blob(key.as_str()) else {
                continue; // not a record's blob: not ours to judge
            };
            if self.blobs.modified(&key)? >= since {
                found.push((record, version, key.to_string()));
            }
        }
        Ok(found)
    }

    fn delete_if_present(&self, key: &str) -> Result<(), Error> {
        let key = BlobKey::new(key)?;
        match self.blobs.delete(&key) {
            Ok(()) | Err(probant_blobs::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// A `record.ingest` failure for a version undone by recovery.
    fn undone_event(&self, ctx: &Ctx, record: &str, version: u32, why: &str) -> Event {
        let resource = Resource {
            record: Some(record.to_owned()),
            version: Some(version.into()),
            ..Resource::default()
        };
        let mut e = self.event(ctx, "record.ingest", Outcome::Failure, resource);
        e.malfunction = Some(why.into());
        Self::add_details(&mut e, json!({ "recovery": true }));
        e
    }

    /// Ends the session: the next opening finds no killed session.
    pub(crate) fn end_session(&self) {
        if let Some(recovery) = &self.recovery {
            let _ = std::fs::remove_file(recovery.dir.join(SESSION));
        }
    }
}

const UNCATALOGUED: &str = "nothing stored: the process was killed after journaling this version and before cataloguing it; never acknowledged, undone at the next opening";
const UNRECORDED: &str = "nothing stored: the process was killed after storing this content and before recording it; never acknowledged, removed at the next opening";

/// The intent files, by name.
fn intent_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(Error::io(dir))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| uuid::Uuid::parse_str(n).is_ok())
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The record and version a record's blob key names
/// (`records/<shard>/<id>-v<n>`, see `blob_key`).
fn version_of_blob(key: &str) -> Option<(String, u32)> {
    let name = key.strip_prefix("records/")?.split_once('/')?.1;
    let (id, version) = name.rsplit_once("-v")?;
    let version: u32 = version.parse().ok()?;
    (crate::blob_key(id, version) == key).then(|| (id.to_owned(), version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use probant_crypto::{create_key_file, KeyRing, MasterKeySource};
    use probant_journal::{Actor, ActorKind, Journal, Options};

    use crate::{Gate, Grant, IngestRequest, Operation, Policy, Target, Verdict, VerifyScope};

    struct PermitAll;

    impl Gate for PermitAll {
        fn decide(&self, ctx: &Ctx, _: Operation, _: &Target<'_>) -> Verdict {
            Verdict::Permit(Grant {
                policies: vec!["test".into()],
                legal_basis: ctx.legal_basis.clone(),
            })
        }
    }

    /// A vault in `dir` (created on first use) keeping recovery notes.
    fn vault(dir: &Path) -> Vault {
        let key = dir.with_extension("key");
        let source = MasterKeySource::KeyFile(key.clone());
        let create = !key.exists();
        let ring = if create {
            create_key_file(&key).unwrap();
            std::fs::create_dir_all(dir.join("blobs")).unwrap();
            KeyRing::create(&dir.join("keyring.json"), "home", &source).unwrap()
        } else {
            KeyRing::open(&dir.join("keyring.json"), "home", &source).unwrap()
        };
        let (signer, sealer) = probant_journal::keyring::journal_keys(&ring).unwrap();
        let path = dir.join("journal");
        let journal = if create {
            Journal::create(
                &path,
                "recover.test/log",
                signer,
                sealer,
                Options::default(),
            )
        } else {
            Journal::open(&path, signer, sealer, Options::default())
        }
        .unwrap();
        let catalog =
            probant_catalog_sqlite::SqliteCatalog::open(&dir.join("catalog.sqlite")).unwrap();
        let blobs = probant_blobs::LocalBlobStore::open(&dir.join("blobs")).unwrap();
        let policy = Policy::for_institution(crate::Institution {
            controller: "Institution".into(),
            executor: "IT".into(),
            place: "Brussels".into(),
        });
        Vault::new(
            Arc::new(journal),
            Box::new(catalog),
            Box::new(blobs),
            ring,
            policy,
            Arc::new(PermitAll),
        )
        .unwrap()
        .with_recovery(&dir.join("recovery"))
        .unwrap()
    }

    fn ctx() -> Ctx {
        Ctx {
            actor: Actor {
                id: "alice".into(),
                kind: ActorKind::Person,
                on_behalf_of: None,
                auth: "test".into(),
            },
            purpose: Some("test".into()),
            legal_basis: Some("own-records".into()),
            channel: "test".into(),
        }
    }

    fn request(dir: &Path, name: &str) -> IngestRequest {
        let source = dir.join(name);
        std::fs::write(&source, format!("{name}\n")).unwrap();
        IngestRequest {
            source,
            subject: "85073003328".into(),
            doc_type: "attestation".into(),
            original_id: name.into(),
            classification: "internal".into(),
            retention: "default".into(),
            ..IngestRequest::default()
        }
    }

    /// What `kill -9` leaves, made by hand in one process: a batch
    /// journaled with its intent but not catalogued, a content stored and
    /// never recorded, and the session note; plus an orphan older than the
    /// session. The next opening undoes exactly the first two, journals
    /// them, and `verify` then names only the old orphan.
    #[test]
    fn a_killed_session_is_undone_at_the_next_opening() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, src) = (tmp.path().join("home"), tmp.path());
        std::fs::create_dir(&dir).unwrap();
        let v = vault(&dir);
        let kept = v.ingest(&ctx(), &request(src, "kept.txt")).unwrap();
        // Older than the session: a blob nobody recorded, written an hour ago.
        let old = BlobKey::new(&crate::blob_key(&uuid::Uuid::now_v7().to_string(), 1)).unwrap();
        let mut w = v.blobs.create(&old).unwrap();
        std::io::Write::write_all(&mut w, b"planted").unwrap();
        w.finish().unwrap();
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(dir.join("blobs").join(old.as_str()))
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
        // Journaled, not catalogued: the intent stays, as after a kill.
        let journaled = v.stage(&ctx(), &request(src, "journaled.txt")).unwrap();
        let batch = vec![(0, journaled)];
        std::mem::forget(v.intend(&batch).unwrap());
        v.journal.append_all(&[batch[0].1.event.clone()]).unwrap();
        // Stored ahead, never recorded.
        let ahead = v.stage(&ctx(), &request(src, "ahead.txt")).unwrap();
        let session = std::fs::read(dir.join("recovery").join(SESSION)).unwrap();
        drop(v);
        std::fs::write(dir.join("recovery").join(SESSION), session).unwrap();
        // And an intent altered at rest: journaled as a malfunction, dropped.
        let altered = dir
            .join("recovery")
            .join(INTENTS)
            .join(uuid::Uuid::new_v4().to_string());
        std::fs::write(&altered, b"not sealed by this home").unwrap();

        let v = vault(&dir);
        let recovered = v.recover_interrupted_ingests(&ctx()).unwrap();
        assert_eq!(
            recovered,
            Recovered {
                uncatalogued: 1,
                unrecorded: 1
            }
        );
        for staged in [&batch[0].1, &ahead] {
            assert!(matches!(
                v.blobs.size(&staged.blob),
                Err(probant_blobs::Error::NotFound { .. })
            ));
        }
        assert!(v.blobs.size(&old).is_ok(), "an older orphan is not ours");
        let problems = v
            .verify(&VerifyScope::All, &mut |_, _| {})
            .unwrap()
            .problems;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains(old.as_str()), "{problems:?}");
        assert!(v.catalog.get(&kept.record_id, None).unwrap().is_some());
        let mut undone = Vec::new();
        v.journal
            .read_entries(0, None, |_, e| {
                let e: serde_json::Value = serde_json::from_slice(e).unwrap();
                if e["details"]["recovery"] == true {
                    undone.push((
                        e["action"].clone(),
                        e["outcome"].clone(),
                        e["resource"]["record"].clone(),
                    ));
                }
                Ok(())
            })
            .unwrap();
        let failure = |s: &Staged| {
            (
                "record.ingest".into(),
                "failure".into(),
                s.row.record_id.clone().into(),
            )
        };
        let unreadable = undone.iter().position(|(_, _, record)| record.is_null());
        assert!(unreadable.is_some(), "the altered intent is journaled");
        undone.remove(unreadable.unwrap());
        assert_eq!(undone, [failure(&batch[0].1), failure(&ahead)]);
        assert!(!altered.exists());
        assert!(intent_files(&dir.join("recovery").join(INTENTS))
            .unwrap()
            .is_empty());
        // Nothing left to do at the opening after.
        drop(v);
        let v = vault(&dir);
        assert_eq!(
            v.recover_interrupted_ingests(&ctx()).unwrap(),
            Recovered::default()
        );
    }

    #[test]
    fn blob_keys_name_their_version() {
        let id = "01a00000-0000-7000-8000-0000000000ab";
        let key = crate::blob_key(id, 3);
        assert_eq!(version_of_blob(&key), Some((id.to_owned(), 3)));
        for other in [
            "records/ab/x",
            "other/ab/id-v1",
            "records/zz/01a-v1",
            "records/ab",
        ] {
            assert_eq!(version_of_blob(other), None, "{other}");
        }
    }
}
