//! Export, import and migration paths the command line cannot reach:
//! interruption, damage found while exporting, one refused version among
//! many, a content that fails validation in the importing home, a bag
//! missing a previous version, and the in-memory limit of a migration. Each
//! must fail closed: nothing half-written, nothing half-recorded, and the
//! journal saying what happened (AR-19, AR-20.12, N-5.9.5).
use std::path::{Path, PathBuf};
use std::sync::Arc;

use probant_blobs::LocalBlobStore;
use probant_catalog_sqlite::SqliteCatalog;
use probant_crypto::{create_key_file, KeyRing, MasterKeySource};
use probant_journal::{Actor, ActorKind, Journal, Options};
use probant_vault::{
    Ctx, Error, Gate, Grant, IngestRequest, Institution, Operation, Policy, Refusal, Selection,
    Target, Vault, Verdict,
};
use probant_verify::bag::{self, DirBag, PayloadFile};
use probant_verify::hash::sha256;

/// Permits everything except exporting a `sensitive` record.
struct ExportGate;

impl Gate for ExportGate {
    fn decide(&self, ctx: &Ctx, op: Operation, target: &Target<'_>) -> Verdict {
        if op == Operation::Export && target.classification == Some("sensitive") {
            return Verdict::Deny(Refusal {
                code: "test-refusal".into(),
                message: "refused by the test gate".into(),
            });
        }
        Verdict::Permit(Grant {
            policies: vec!["test-permit".into()],
            legal_basis: ctx.legal_basis.clone(),
        })
    }
}

fn policy(max_in_memory: u64, accept_unvalidated: bool) -> Policy {
    Policy {
        accept_unvalidated_formats: accept_unvalidated,
        max_validated_in_memory: max_in_memory,
        ..Policy::for_institution(Institution {
            controller: "Institution".into(),
            executor: "IT".into(),
            place: "Brussels".into(),
        })
    }
}

/// A home under `dir`: created, or opened again.
fn open(dir: &Path, create: bool, p: Policy) -> Vault {
    // The master key lives outside the home (N-5.8.3).
    let key = dir.with_extension("key");
    let source = MasterKeySource::KeyFile(key.clone());
    let ring = if create {
        create_key_file(&key).unwrap();
        std::fs::create_dir_all(dir.join("blobs")).unwrap();
        KeyRing::create(&dir.join("keyring.json"), "home", &source).unwrap()
    } else {
        KeyRing::open(&dir.join("keyring.json"), "home", &source).unwrap()
    };
    let (signer, sealer) = probant_journal::keyring::journal_keys(&ring).unwrap();
    let journal = if create {
        let origin = format!("bag.test/{}", dir.file_name().unwrap().to_string_lossy());
        Journal::create(
            &dir.join("journal"),
            &origin,
            signer,
            sealer,
            Options::default(),
        )
    } else {
        Journal::open(&dir.join("journal"), signer, sealer, Options::default())
    }
    .unwrap();
    let catalog = SqliteCatalog::open(&dir.join("catalog.sqlite")).unwrap();
    let blobs = LocalBlobStore::open(&dir.join("blobs")).unwrap();
    Vault::new(
        Arc::new(journal),
        Box::new(catalog),
        Box::new(blobs),
        ring,
        p,
        Arc::new(ExportGate),
    )
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

fn ingest(vault: &Vault, dir: &Path, name: &str, bytes: &[u8], classification: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let req = IngestRequest {
        source: path,
        subject: "85073003328".into(),
        doc_type: "attestation".into(),
        original_id: "P-1".into(),
        classification: classification.into(),
        retention: "default".into(),
        ..IngestRequest::default()
    };
    vault.ingest(&ctx(), &req).unwrap().record_id
}

fn entries(vault: &Vault) -> Vec<serde_json::Value> {
    vault.journal().sync().unwrap();
    let mut out = Vec::new();
    vault
        .journal()
        .read_entries(0, None, |_, e| {
            out.push(serde_json::from_slice(e).unwrap());
            Ok(())
        })
        .unwrap();
    out
}

fn actions<'a>(entries: &'a [serde_json::Value], action: &str) -> Vec<&'a serde_json::Value> {
    entries.iter().filter(|e| e["action"] == action).collect()
}

/// Names in `dir` (to find a leftover partial bag).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn text(n: usize) -> Vec<u8> {
    (0..n).map(|i| b"abcdefghij\n"[i % 11]).collect()
}

struct Fx {
    tmp: tempfile::TempDir,
    vault: Vault,
}

impl Fx {
    fn new(p: Policy) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("in")).unwrap();
        std::fs::create_dir(tmp.path().join("out")).unwrap();
        let vault = open(&tmp.path().join("a"), true, p);
        Fx { tmp, vault }
    }
    fn ingest(&self, name: &str, bytes: &[u8], classification: &str) -> String {
        ingest(
            &self.vault,
            &self.tmp.path().join("in"),
            name,
            bytes,
            classification,
        )
    }
    fn out(&self) -> PathBuf {
        self.tmp.path().join("out")
    }
}

/// Ctrl-C (the progress callback says stop): no bag and no partial
/// directory remain, and after the export entries the journal says nothing
/// was delivered.
#[test]
fn an_interrupted_export_leaves_no_bag_and_journals_nothing_delivered() {
    let fx = Fx::new(policy(64 << 20, false));
    let ids: Vec<String> = (0..3)
        .map(|i| fx.ingest(&format!("{i}.txt"), &text(300_000), "internal"))
        .collect();
    let bag = fx.out().join("bag");
    let mut calls = 0;
    let r = fx
        .vault
        .export(&ctx(), &Selection::Records(ids), &bag, &mut |_, _| {
            calls += 1;
            calls < 2
        });
    assert!(matches!(r, Err(Error::Interrupted)), "{r:?}");
    assert!(names(&fx.out()).is_empty(), "left {:?}", names(&fx.out()));
    let e = entries(&fx.vault);
    let exports = actions(&e, "record.export");
    assert_eq!(exports.len(), 6);
    assert!(exports[..3].iter().all(|e| e["outcome"] == "success"));
    assert!(exports[3..].iter().all(|e| e["outcome"] == "failure"
        && e["malfunction"]
            .as_str()
            .unwrap()
            .starts_with("nothing delivered")));
}

/// The export register (where the CLI's home notes running exports, so
/// that the next opening removes what a killed one left wherever it wrote;
/// the SIGKILL itself is `cli/tests/bag_cli.rs`): an entry exists exactly
/// while an export runs, sealed (the operator's path may name a person);
/// one that does not unseal is journaled as a malfunction and removed.
#[test]
fn the_export_register_holds_running_exports_only() {
    let Fx { tmp, vault } = Fx::new(policy(64 << 20, false));
    let register = tmp.path().join("a/exports-running");
    let vault = vault.with_export_register(&register).unwrap();
    let fx = Fx { tmp, vault };
    let ids: Vec<String> = (0..2)
        .map(|i| fx.ingest(&format!("{i}.txt"), &text(300_000), "internal"))
        .collect();
    let bag = fx.out().join("dossier-85073003328");
    let mut seen = Vec::new();
    fx.vault
        .export(
            &ctx(),
            &Selection::Records(ids.clone()),
            &bag,
            &mut |_, _| {
                let entries = names(&register);
                for name in &entries {
                    let bytes = std::fs::read(register.join(name)).unwrap();
                    let path_in_clear = bytes.windows(11).any(|w| w == b"85073003328");
                    assert!(!path_in_clear, "the path is sealed");
                }
                seen.push(entries.len());
                true
            },
        )
        .unwrap();
    assert!(seen.iter().all(|&n| n == 1), "{seen:?}");
    assert!(
        names(&register).is_empty(),
        "a delivered export leaves none"
    );
    let interrupted = fx.vault.export(
        &ctx(),
        &Selection::Records(ids),
        &fx.out().join("other"),
        &mut |_, _| false,
    );
    assert!(matches!(interrupted, Err(Error::Interrupted)));
    assert!(names(&register).is_empty(), "nor does an interrupted one");
    // Nothing to recover: nothing journaled.
    let before = entries(&fx.vault).len();
    assert!(fx.vault.recover_killed_exports(&ctx()).unwrap().is_empty());
    assert_eq!(entries(&fx.vault).len(), before);

    let altered = "01a00000-0000-7000-8000-00000000000b";
    std::fs::write(register.join(altered), b"not sealed by this home").unwrap();
    std::fs::write(register.join("notes.txt"), b"not the register's").unwrap();
    assert!(fx.vault.recover_killed_exports(&ctx()).unwrap().is_empty());
    assert_eq!(names(&register), ["notes.txt"]);
    let e = entries(&fx.vault);
    let last = e.last().unwrap();
    assert_eq!(last["action"], "record.export");
    assert_eq!(last["outcome"], "failure");
    assert_eq!(last["details"]["export_id"], altered);
    assert!(last["malfunction"]
        .as_str()
        .unwrap()
        .contains("does not unseal"));
}

/// A blob damaged at rest is caught while exporting (the digest re-checked
/// as the content is written): no bag, the failure journaled.
#[test]
fn a_damaged_blob_fails_the_export_and_leaves_no_bag() {
    let fx = Fx::new(policy(64 << 20, false));
    let id = fx.ingest("doc.txt", &text(10_000), "internal");
    let blob = fx
        .tmp
        .path()
        .join("a/blobs")
        .join(probant_vault::blob_key(&id, 1));
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[200] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    let r = fx.vault.export(
        &ctx(),
        &Selection::Records(vec![id]),
        &fx.out().join("bag"),
        &mut |_, _| true,
    );
    assert!(matches!(r, Err(Error::Integrity { .. })), "{r:?}");
    assert!(names(&fx.out()).is_empty());
    let e = entries(&fx.vault);
    assert_eq!(
        actions(&e, "record.export").last().unwrap()["outcome"],
        "failure"
    );
}

/// AR-19: each export entry commits to the exact metadata.json of its
/// version, so metadata is opened before anything is journaled as exported.
/// A sealed field that no longer opens fails the whole export: no bag, no
/// successful export entry, and one failure entry per version saying that
/// nothing was delivered.
#[test]
fn sealed_metadata_that_does_not_open_fails_the_export_before_any_export_entry() {
    let fx = Fx::new(policy(64 << 20, false));
    let ok = fx.ingest("a.txt", &text(100), "internal");
    let damaged = fx.ingest("b.txt", &text(100), "internal");
    let db = rusqlite::Connection::open(fx.tmp.path().join("a/catalog.sqlite")).unwrap();
    let sql = "UPDATE records SET subject_sealed = X'00' WHERE record_id = ?1";
    assert_eq!(db.execute(sql, [&damaged]).unwrap(), 1);
    drop(db);
    let r = fx.vault.export(
        &ctx(),
        &Selection::Records(vec![ok, damaged.clone()]),
        &fx.out().join("bag"),
        &mut |_, _| true,
    );
    match r {
        Err(Error::Integrity { detail }) => assert!(detail.contains(&damaged), "{detail}"),
        other => panic!("{other:?}"),
    }
    assert!(names(&fx.out()).is_empty(), "left {:?}", names(&fx.out()));
    let e = entries(&fx.vault);
    let exports = actions(&e, "record.export");
    assert_eq!(exports.len(), 2);
    for export in exports {
        assert_eq!(export["outcome"], "failure");
        assert!(export["details"]["metadata_sha256"].is_null(), "{export}");
        let malfunction = export["malfunction"].as_str().unwrap();
        assert!(
            malfunction.starts_with("nothing delivered"),
            "{malfunction}"
        );
    }
}

/// Fail closed: one version the gate refuses refuses the whole export,
/// before any export entry or file; the refusal is journaled and named.
#[test]
fn one_refused_version_refuses_the_whole_export() {
    let fx = Fx::new(policy(64 << 20, false));
    let ok = fx.ingest("a.txt", &text(100), "internal");
    let refused = fx.ingest("b.txt", &text(100), "sensitive");
    let r = fx.vault.export(
        &ctx(),
        &Selection::Records(vec![ok, refused.clone()]),
        &fx.out().join("bag"),
        &mut |_, _| true,
    );
    match r {
        Err(Error::Denied { message, .. }) => assert!(message.contains(&refused), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(names(&fx.out()).is_empty());
    let e = entries(&fx.vault);
    assert!(actions(&e, "record.export").is_empty());
    let deny = actions(&e, "authz.deny");
    assert_eq!(deny.len(), 1);
    assert_eq!(deny[0]["details"]["requested"], "record.export");
}

/// An export into an existing directory is refused before anything is
/// journaled or written.
#[test]
fn an_existing_output_is_refused_before_anything_happens() {
    let fx = Fx::new(policy(64 << 20, false));
    let id = fx.ingest("a.txt", &text(100), "internal");
    let before = entries(&fx.vault).len();
    let r = fx.vault.export(
        &ctx(),
        &Selection::Records(vec![id]),
        &fx.out(),
        &mut |_, _| true,
    );
    assert!(matches!(r, Err(Error::InvalidInput { .. })), "{r:?}");
    assert_eq!(entries(&fx.vault).len(), before);
}

/// AR-16 in the importing home: a content its policy does not accept
/// (unvalidated format) refuses the import as a whole; nothing is stored
/// (no row, no blob) and each permitted version's entry says so.
#[test]
fn an_import_fails_as_a_whole_when_one_content_is_not_accepted() {
    let fx = Fx::new(policy(64 << 20, true));
    fx.ingest("a.txt", &text(100), "internal");
    fx.ingest("b.bin", &[0u8, 1, 2, 3, 255, 254], "internal");
    let bag = fx.out().join("bag");
    fx.vault
        .export(
            &ctx(),
            &Selection::Query(Default::default()),
            &bag,
            &mut |_, _| true,
        )
        .unwrap();
    let b = open(&fx.tmp.path().join("b"), true, policy(64 << 20, false));
    let r = b.import(&ctx(), &bag, None);
    assert!(matches!(r, Err(Error::Format { .. })), "{r:?}");
    let blobs = walk(&fx.tmp.path().join("b/blobs"));
    assert!(blobs.is_empty(), "blobs left: {blobs:?}");
    let e = entries(&b);
    let imports = actions(&e, "record.import");
    assert_eq!(imports.len(), 2);
    assert!(imports.iter().all(|e| e["outcome"] == "failure"));
    let report = b
        .verify(&probant_vault::VerifyScope::All, &mut |_, _| {})
        .unwrap();
    assert_eq!(report.versions_checked, 0);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A valid bag that holds version 2 of a record but not version 1 (its
/// tag files rewritten with `bag::tag_files`) is refused: an import keeps
/// versions, and a version cannot link to one that exists nowhere.
#[test]
fn an_import_without_the_previous_version_is_refused() {
    let fx = Fx::new(policy(64 << 20, false));
    let id = fx.ingest("a.txt", &text(100), "internal");
    let second = fx.tmp.path().join("in/a2.txt");
    std::fs::write(&second, text(200)).unwrap();
    let req = IngestRequest {
        source: second,
        subject: "85073003328".into(),
        doc_type: "attestation".into(),
        original_id: "P-1".into(),
        classification: "internal".into(),
        retention: "default".into(),
        new_version_of: Some(id.clone()),
        ..IngestRequest::default()
    };
    fx.vault.ingest(&ctx(), &req).unwrap();
    let bag = fx.out().join("bag");
    fx.vault
        .export(
            &ctx(),
            &Selection::Records(vec![id.clone()]),
            &bag,
            &mut |_, _| true,
        )
        .unwrap();
    std::fs::remove_dir_all(bag.join(format!("data/records/{id}/1"))).unwrap();
    retag(&bag);
    assert!(bag::verify_bag(&DirBag::new(&bag), None).is_valid());
    let b = open(&fx.tmp.path().join("b"), true, policy(64 << 20, false));
    match b.import(&ctx(), &bag, None) {
        Err(Error::InvalidInput { detail, .. }) => {
            assert!(detail.contains("previous version 1"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
    assert!(walk(&fx.tmp.path().join("b/blobs")).is_empty());
}

/// Rewrites the manifests and `bag-info.txt` for the payload as it is.
fn retag(bag: &Path) {
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    let labels: Vec<(String, String)> = info
        .lines()
        .filter_map(|l| l.split_once(": "))
        .filter(|(l, _)| !["Bagging-Date", "Payload-Oxum"].contains(l))
        .map(|(l, v)| (l.to_owned(), v.to_owned()))
        .collect();
    let payload: Vec<PayloadFile> = walk(&bag.join("data"))
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            PayloadFile {
                path: p.strip_prefix(bag).unwrap().to_string_lossy().into_owned(),
                sha256: sha256(&bytes),
                size: bytes.len() as u64,
            }
        })
        .collect();
    for (name, bytes) in bag::tag_files(&payload, &labels, "2026-01-01").unwrap() {
        std::fs::write(bag.join(name), bytes).unwrap();
    }
}

/// A migration decodes whole images in memory: a record above the
/// policy's in-memory limit is refused, nothing stored, the source intact.
#[test]
fn a_migration_above_the_in_memory_limit_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("a");
    let tiff = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/scan-page-001.tiff"),
    )
    .unwrap();
    let id = {
        let vault = open(&home, true, policy(64 << 20, false));
        ingest(&vault, tmp.path(), "scan.tiff", &tiff, "internal")
    };
    let vault = open(&home, false, policy(1000, false));
    let results = vault
        .migrate(
            &ctx(),
            probant_formats::Format::Tiff,
            probant_formats::Format::Png,
            &Selection::Records(vec![id.clone()]),
            false,
        )
        .unwrap();
    match &results[..] {
        [Err(Error::InvalidInput { detail, .. })] => {
            assert!(detail.contains("in-memory limit"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
    assert!(vault.journal().sync().is_ok());
    let e = entries(&vault);
    assert_eq!(actions(&e, "record.migrate")[0]["outcome"], "failure");
    assert_eq!(walk(&home.join("blobs")).len(), 1);
}
