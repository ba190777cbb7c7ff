//! The vault end to end on the embedded default (real files, real SQLite,
//! real key ring): bit-identical round trips (AR-3.2/AR-13.2), nothing
//! personal or content-bearing stored in clear (CC-7.a.i), every kind of
//! damage found and named by `verify` (AR-3.4, AR-13.3), and bad input
//! refused with nothing left behind.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use probant_blobs::LocalBlobStore;
use probant_catalog_sqlite::SqliteCatalog;
use probant_crypto::{create_key_file, KeyRing, MasterKeySource};
use probant_journal::{Actor, ActorKind, Journal, Options};
use probant_vault::{
    Ctx, Error, Gate, Grant, IngestRequest, Institution, Operation, Policy, Refusal, SearchRequest,
    Target, Vault, Verdict, VerifyScope,
};

/// The vault's own tests decide with a plain rule, so that they test the
/// vault's side of the contract (ask first, journal the decision, no data on
/// a refusal); the Cedar gate is tested with the vault in `probant-access`.
/// Refuses the actor `mallory`, and the content of `sensitive` records to everyone.
struct TestGate;

impl Gate for TestGate {
    fn decide(&self, ctx: &Ctx, op: Operation, target: &Target<'_>) -> Verdict {
        let content = matches!(op, Operation::Read | Operation::Search | Operation::Show);
        if ctx.actor.id == "mallory" || (content && target.classification == Some("sensitive")) {
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

const NISS: &str = "85073003328";

struct Fx {
    tmp: tempfile::TempDir,
    vault: Vault,
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

fn open(tmp: &Path, create: bool, p: Policy) -> Result<Vault, Error> {
    let key = tmp.join("keys/home.key");
    let home = tmp.join("home");
    let source = MasterKeySource::KeyFile(key.clone());
    let ring = if create {
        create_key_file(&key).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        KeyRing::create(&home.join("keyring.json"), "home", &source)?
    } else {
        KeyRing::open(&home.join("keyring.json"), "home", &source)?
    };
    let (signer, sealer) = probant_journal::keyring::journal_keys(&ring)?;
    let journal = if create {
        Journal::create(
            &home.join("journal"),
            "vault.test/log",
            signer,
            sealer,
            Options::default(),
        )?
    } else {
        Journal::open(&home.join("journal"), signer, sealer, Options::default())?
    };
    if create {
        std::fs::create_dir_all(home.join("blobs")).unwrap();
    }
    let catalog = SqliteCatalog::open(&home.join("catalog.sqlite"))?;
    let blobs = LocalBlobStore::open(&home.join("blobs"))?;
    Vault::new(
        Arc::new(journal),
        Box::new(catalog),
        Box::new(blobs),
        ring,
        p,
        Arc::new(TestGate),
    )
}

impl Fx {
    fn new() -> Self {
        Self::with(policy(64 << 20, false))
    }
    fn with(p: Policy) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let vault = open(tmp.path(), true, p).unwrap();
        Self { tmp, vault }
    }
    fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.tmp.path().join("in").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }
    fn request(&self, path: PathBuf) -> IngestRequest {
        IngestRequest {
            source: path,
            subject: NISS.into(),
            doc_type: "attestation".into(),
            original_id: "SCAN-2026-0001".into(),
            classification: "confidential".into(),
            retention: "default".into(),
            ..IngestRequest::default()
        }
    }
    fn round_trip(&self, bytes: &[u8]) {
        let src = self.file("doc.txt", bytes);
        let got = self.vault.ingest(&ctx(), &self.request(src)).unwrap();
        let out = self.tmp.path().join(format!("out-{}", got.record_id));
        self.vault.get(&ctx(), &got.record_id, None, &out).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), bytes, "{} bytes", bytes.len());
    }
    fn problems(&self) -> Vec<String> {
        self.vault
            .verify(&VerifyScope::All, &mut |_, _| {})
            .unwrap()
            .problems
    }
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

fn text(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"abcdefghij\n"[i % 11]).collect()
}

#[test]
fn round_trips_are_bit_identical_at_segment_boundaries() {
    let fx = Fx::with(policy(64 << 20, true)); // 0 bytes is no format: accepted unvalidated
    for len in [0usize, 1, 65_535, 65_536, 65_537, 3 * 65_536] {
        fx.round_trip(&text(len));
    }
    assert!(fx.problems().is_empty(), "{:?}", fx.problems());
}

#[test]
fn one_gib_streams_through_in_bounded_memory() {
    let fx = Fx::with(policy(1 << 20, false)); // larger than 1 MiB: validated while streaming
    let src = fx.tmp.path().join("big.txt");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&src).unwrap());
        let block = text(1 << 20);
        for _ in 0..1024 {
            f.write_all(&block).unwrap();
        }
    }
    let got = fx.vault.ingest(&ctx(), &fx.request(src.clone())).unwrap();
    assert_eq!(got.size, 1 << 30);
    let out = fx.tmp.path().join("big.out");
    fx.vault.get(&ctx(), &got.record_id, None, &out).unwrap();
    assert_eq!(sha256_file(&out), got.sha256);
    assert_eq!(sha256_file(&src), got.sha256);
    let peak_kib = peak_rss_kib();
    assert!(
        peak_kib < 256 * 1024,
        "peak resident memory {peak_kib} KiB for a 1 GiB record"
    );
}

fn sha256_file(p: &Path) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    std::io::copy(&mut std::fs::File::open(p).unwrap(), &mut h).unwrap();
    probant_verify::hash::to_hex(&h.finalize())
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn no_content_or_identifier_is_stored_in_clear() {
    let fx = Fx::new();
    let marker = "MARKER-c0ffee-4711";
    let src = fx.file(
        "a.txt",
        format!("confidential content {marker}\n").as_bytes(),
    );
    let mut req = fx.request(src);
    req.title = Some(format!("title {marker}"));
    req.meta.insert("note".into(), marker.into());
    fx.vault.ingest(&ctx(), &req).unwrap();
    let found = fx
        .vault
        .search(
            &ctx(),
            &SearchRequest {
                subject: Some(NISS.into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(found.len(), 1);
    let Fx { tmp, vault } = fx;
    drop(vault); // everything flushed and closed
    for (path, bytes) in files_under(&tmp.path().join("home")) {
        for needle in [marker.as_bytes(), NISS.as_bytes(), b"85.07.30"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} holds {:?}",
                path.display(),
                String::from_utf8_lossy(needle)
            );
        }
    }
}

fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

fn two_records(fx: &Fx) -> (String, String) {
    let a = fx
        .vault
        .ingest(&ctx(), &fx.request(fx.file("a.txt", &text(200_000))))
        .unwrap();
    let b = fx
        .vault
        .ingest(&ctx(), &fx.request(fx.file("b.txt", &text(150_000))))
        .unwrap();
    let problems = fx.problems();
    assert!(problems.is_empty(), "{problems:?}");
    (a.record_id, b.record_id)
}

fn blob(fx: &Fx, id: &str) -> PathBuf {
    fx.home().join("blobs").join(probant_vault::blob_key(id, 1))
}

fn assert_named(problems: &[String], id: &str) {
    assert!(
        problems.iter().any(|p| p.contains(id)),
        "{id} not named in {problems:?}"
    );
}

#[test]
fn a_flipped_bit_in_a_blob_is_named() {
    let fx = Fx::new();
    let (a, _) = two_records(&fx);
    let p = blob(&fx, &a);
    let mut b = std::fs::read(&p).unwrap();
    b[70_000] ^= 1;
    std::fs::write(&p, b).unwrap();
    assert_named(&fx.problems(), &a);
}

#[test]
fn a_truncated_blob_is_named() {
    let fx = Fx::new();
    let (a, _) = two_records(&fx);
    let p = blob(&fx, &a);
    let b = std::fs::read(&p).unwrap();
    std::fs::write(&p, &b[..b.len() - 20_000]).unwrap();
    assert_named(&fx.problems(), &a);
}

#[test]
fn swapped_blobs_are_named() {
    let fx = Fx::new();
    let (a, b) = two_records(&fx);
    let (pa, pb) = (blob(&fx, &a), blob(&fx, &b));
    let (ba, bb) = (std::fs::read(&pa).unwrap(), std::fs::read(&pb).unwrap());
    std::fs::write(&pa, bb).unwrap();
    std::fs::write(&pb, ba).unwrap();
    let problems = fx.problems();
    assert_named(&problems, &a);
    assert_named(&problems, &b);
}

#[test]
fn a_deleted_blob_is_named() {
    let fx = Fx::new();
    let (a, _) = two_records(&fx);
    std::fs::remove_file(blob(&fx, &a)).unwrap();
    assert_named(&fx.problems(), &a);
}

#[test]
fn an_edited_catalog_row_is_named() {
    let fx = Fx::new();
    let (a, _) = two_records(&fx);
    let db = rusqlite::Connection::open(fx.home().join("catalog.sqlite")).unwrap();
    let n = db
        .execute(
            "UPDATE records SET retention_due = '2099-12-31' WHERE record_id = ?1",
            [&a],
        )
        .unwrap();
    assert_eq!(n, 1);
    drop(db);
    let problems = fx.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.contains(&a) && p.contains("metadata")),
        "{problems:?}"
    );
}

#[test]
fn an_orphan_blob_is_named() {
    let fx = Fx::new();
    two_records(&fx);
    let p = fx.home().join("blobs/records/stray/v1");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, b"x").unwrap();
    assert_named(&fx.problems(), "records/stray/v1");
}

fn nothing_added(fx: &Fx, before: (u64, usize, u64)) {
    assert_eq!(state(fx), before, "a refused ingest left something behind");
}

fn state(fx: &Fx) -> (u64, usize, u64) {
    let report = fx.vault.verify(&VerifyScope::All, &mut |_, _| {}).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let blobs = files_under(&fx.home().join("blobs")).len();
    (report.versions_checked, blobs, 0)
}

#[test]
fn bad_input_is_refused_clearly_and_leaves_no_partial_record() {
    let fx = Fx::new();
    two_records(&fx);
    let before = state(&fx);
    let good = fx.file("ok.txt", b"fine\n");
    let cases: Vec<(IngestRequest, &str)> = vec![
        (
            IngestRequest {
                subject: "85073003329".into(),
                ..fx.request(good.clone())
            },
            "--subject",
        ),
        (
            IngestRequest {
                subject: String::new(),
                ..fx.request(good.clone())
            },
            "--subject",
        ),
        (
            IngestRequest {
                doc_type: String::new(),
                ..fx.request(good.clone())
            },
            "--type",
        ),
        (
            IngestRequest {
                original_id: String::new(),
                ..fx.request(good.clone())
            },
            "--original-id",
        ),
        (
            IngestRequest {
                classification: "secret".into(),
                ..fx.request(good.clone())
            },
            "--classification",
        ),
        (
            IngestRequest {
                retention: "forever".into(),
                ..fx.request(good.clone())
            },
            "--retention",
        ),
        (
            IngestRequest {
                created: Some("2999-01-01".into()),
                ..fx.request(good.clone())
            },
            "--created",
        ),
        (
            fx.request(fx.file("x.bin", &[0u8, 159, 146, 150, 7, 8])),
            "format",
        ),
        (
            fx.request(fx.file("broken.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")),
            "PNG",
        ),
        (fx.request(fx.tmp.path().join("missing.txt")), "missing.txt"),
    ];
    for (req, expect) in cases {
        let err = fx.vault.ingest(&ctx(), &req).expect_err(expect).to_string();
        assert!(
            err.contains(expect) || err.to_lowercase().contains(&expect.to_lowercase()),
            "{err:?} lacks {expect:?}"
        );
        assert!(
            !err.contains(NISS) && !err.contains("85073003329"),
            "personal data in an error: {err}"
        );
        nothing_added(&fx, before);
    }
}

#[test]
fn a_wrong_key_opens_nothing() {
    let fx = Fx::new();
    two_records(&fx);
    let Fx { tmp, vault } = fx;
    drop(vault);
    let other = tmp.path().join("keys/home.key");
    std::fs::remove_file(&other).unwrap();
    create_key_file(&other).unwrap();
    let err = open(tmp.path(), false, policy(1 << 20, false))
        .err()
        .expect("a wrong key must not open the vault");
    assert!(
        err.to_string().contains("wrong key file or passphrase"),
        "{err}"
    );
}

#[test]
fn new_versions_link_to_the_previous_one() {
    let fx = Fx::new();
    let v1 = fx
        .vault
        .ingest(&ctx(), &fx.request(fx.file("a.txt", b"first\n")))
        .unwrap();
    let mut req = fx.request(fx.file("b.txt", b"second\n"));
    req.new_version_of = Some(v1.record_id.clone());
    let v2 = fx.vault.ingest(&ctx(), &req).unwrap();
    assert_eq!(
        (v2.record_id.as_str(), v2.version),
        (v1.record_id.as_str(), 2)
    );
    let versions = fx.vault.show(&ctx(), &v1.record_id).unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1].previous_version, Some(1));
    let out = fx.tmp.path().join("v1.out");
    fx.vault.get(&ctx(), &v1.record_id, Some(1), &out).unwrap();
    assert_eq!(std::fs::read(out).unwrap(), b"first\n");
}

#[test]
fn every_access_is_journaled_and_a_read_before_its_content() {
    let fx = Fx::new();
    let got = fx
        .vault
        .ingest(&ctx(), &fx.request(fx.file("a.txt", b"x\n")))
        .unwrap();
    let size_before = fx.vault.journal().sync().unwrap().size;
    let out = fx.tmp.path().join("a.out");
    let read = fx.vault.get(&ctx(), &got.record_id, None, &out).unwrap();
    assert!(read.journal_index >= size_before);
    fx.vault
        .search(
            &ctx(),
            &SearchRequest {
                doc_type: Some("attestation".into()),
                ..Default::default()
            },
        )
        .unwrap();
    fx.vault.show(&ctx(), &got.record_id).unwrap();
    assert!(fx
        .vault
        .get(&ctx(), "no-such-record", None, &fx.tmp.path().join("none"))
        .is_err());
    fx.vault.journal().sync().unwrap();
    let mut actions = Vec::new();
    fx.vault
        .journal()
        .read_entries(0, None, |_, e| {
            let v: serde_json::Value = serde_json::from_slice(e).unwrap();
            actions.push(format!(
                "{}:{}",
                v["action"].as_str().unwrap(),
                v["outcome"].as_str().unwrap()
            ));
            Ok(())
        })
        .unwrap();
    assert_eq!(
        actions,
        [
            "record.ingest:success",
            "record.read:success",
            "record.search:success",
            "record.show:success",
            "record.read:failure"
        ]
    );
    let ingest: serde_json::Value =
        serde_json::from_slice(&fx.vault.journal().entry(got.journal_index).unwrap()).unwrap();
    assert_eq!(ingest["resource"]["sha256"], got.sha256.as_str());
    assert_ne!(
        ingest["resource"]["subject"], NISS,
        "the journal holds the pseudonym, never the number"
    );
}

/// N-5.7.1: rotating the record KEK re-wraps every data key without
/// rewriting content; retiring the old versions leaves every record readable
/// (they were all re-wrapped) and is journaled.
#[test]
fn key_rotation_rewraps_every_data_key_without_touching_content() {
    let fx = Fx::new();
    let (a, b) = two_records(&fx);
    let blob_before = std::fs::read(blob(&fx, &a)).unwrap();
    let key_file = fx.tmp.path().join("keys/home.key");
    let ring = fx.home().join("keyring.json");
    let r = fx
        .vault
        .rotate_record_kek(
            &ctx(),
            &ring,
            &MasterKeySource::KeyFile(key_file.clone()),
            false,
        )
        .unwrap();
    assert_eq!((r.from_version, r.to_version, r.rewrapped), (1, 2, 2));
    let r = fx
        .vault
        .rotate_record_kek(&ctx(), &ring, &MasterKeySource::KeyFile(key_file), true)
        .unwrap();
    assert_eq!(
        (r.to_version, r.rewrapped, r.retired.clone()),
        (3, 2, vec![1, 2])
    );
    assert_eq!(
        std::fs::read(blob(&fx, &a)).unwrap(),
        blob_before,
        "content is not rewritten"
    );
    assert!(fx.problems().is_empty(), "{:?}", fx.problems());
    for id in [&a, &b] {
        fx.vault
            .get(&ctx(), id, None, &fx.tmp.path().join(format!("{id}.out")))
            .unwrap();
    }
    let mut actions = Vec::new();
    fx.vault
        .journal()
        .read_entries(0, None, |_, e| {
            let v: serde_json::Value = serde_json::from_slice(e).unwrap();
            actions.push(v["action"].as_str().unwrap().to_owned());
            Ok(())
        })
        .unwrap();
    assert_eq!(actions.iter().filter(|a| a.starts_with("key.")).count(), 4);
}

/// Pipelined batches: results arrive in order once durable; stopping after
/// the first batch leaves nothing of the later ones (no blob, no row).
#[test]
fn pipelined_batches_stop_cleanly() {
    let fx = Fx::new();
    let reqs: Vec<IngestRequest> = (0..12)
        .map(|i| fx.request(fx.file(&format!("{i}.txt"), format!("doc {i}\n").as_bytes())))
        .collect();
    let batches: Vec<&[IngestRequest]> = reqs.chunks(4).collect();
    let mut seen = Vec::new();
    fx.vault
        .ingest_batches(&ctx(), &batches, &mut |b, results| {
            assert_eq!(b.len(), results.len());
            seen.extend(results.into_iter().map(|r| r.unwrap().record_id));
            false // stop after the first batch
        });
    assert_eq!(seen.len(), 4);
    let report = fx.vault.verify(&VerifyScope::All, &mut |_, _| {}).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.versions_checked, 4);
    assert_eq!(
        files_under(&fx.home().join("blobs/records")).len(),
        4,
        "staged but unrecorded contents are deleted"
    );
    // Each content stored ahead and then deleted has its permit journaled,
    // saying that nothing was stored (exactly one decision per request).
    let ingests: Vec<_> = entries(&fx.vault)
        .into_iter()
        .filter(|e| e["action"] == "record.ingest")
        .collect();
    let succeeded = ingests.iter().filter(|e| e["outcome"] == "success").count();
    assert_eq!(succeeded, 4);
    for e in ingests.iter().filter(|e| e["outcome"] != "success") {
        assert!(
            e["malfunction"]
                .as_str()
                .unwrap()
                .starts_with("nothing stored"),
            "{e}"
        );
    }
    assert!(ingests.len() <= 12);
    let mut all = Vec::new();
    fx.vault
        .ingest_batches(&ctx(), &batches, &mut |_, results| {
            all.extend(results);
            true
        });
    assert_eq!(all.len(), 12);
    assert!(all.iter().all(Result::is_ok));
}

/// A panic while a batch is being recorded reaches the caller; the
/// workers storing contents ahead (up to their limit, then waiting for
/// room) are released rather than left waiting forever.
#[test]
fn a_panic_while_recording_reaches_the_caller_without_hanging() {
    let fx = Fx::new();
    let reqs: Vec<IngestRequest> = (0..300)
        .map(|i| fx.request(fx.file(&format!("{i}.txt"), format!("doc {i}\n").as_bytes())))
        .collect();
    let batches: Vec<&[IngestRequest]> = reqs.chunks(4).collect();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        fx.vault
            .ingest_batches(&ctx(), &batches, &mut |_, _| panic!("a bug in the caller"))
    }));
    assert!(outcome.is_err(), "the panic is the caller's to see");
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

fn as_mallory() -> Ctx {
    let mut c = ctx();
    c.actor.id = "mallory".into();
    c
}

/// N-5.6.6, DESIGN data flow: a refusal is journaled as `authz.deny` naming
/// what was asked and why, and nothing is delivered or changed.
#[test]
fn a_refused_read_is_journaled_and_delivers_nothing() {
    let fx = Fx::new();
    let got = fx
        .vault
        .ingest(&ctx(), &fx.request(fx.file("a.txt", b"hello")))
        .unwrap();
    let out = fx.tmp.path().join("out");
    let err = fx
        .vault
        .get(&as_mallory(), &got.record_id, None, &out)
        .unwrap_err();
    assert!(
        matches!(&err, Error::Denied { code, .. } if code == "test-refusal"),
        "{err}"
    );
    assert!(!out.exists());
    assert!(std::fs::read_dir(fx.tmp.path())
        .unwrap()
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().contains("probant-partial")));
    let last = entries(&fx.vault).pop().unwrap();
    assert_eq!(last["action"], "authz.deny");
    assert_eq!(last["outcome"], "denied");
    assert_eq!(last["details"]["requested"], "record.read");
    assert_eq!(last["details"]["reason"], "test-refusal");
    assert_eq!(last["resource"]["record"], got.record_id.as_str());
    assert_eq!(last["actor"]["id"], "mallory");
}

/// Every operation yields exactly one decision entry: a permit is written
/// into the operation's own entry with the policies that allowed it.
#[test]
fn a_permitted_operation_names_its_policies_in_its_own_entry() {
    let fx = Fx::new();
    let got = fx
        .vault
        .ingest(&ctx(), &fx.request(fx.file("a.txt", b"hello")))
        .unwrap();
    fx.vault
        .get(&ctx(), &got.record_id, None, &fx.tmp.path().join("o"))
        .unwrap();
    let all = entries(&fx.vault);
    assert_eq!(all.len(), 2, "one entry per request");
    for e in &all {
        assert_eq!(e["details"]["authz"]["policies"][0], "test-permit");
        assert_eq!(e["legal_basis"], "own-records");
    }
}

/// A refused ingest stores nothing; a refused search or show returns
/// nothing; each leaves its one `authz.deny` entry.
#[test]
fn refused_ingest_search_and_show_leave_nothing_but_their_refusal() {
    let fx = Fx::new();
    let got = fx
        .vault
        .ingest(&ctx(), &fx.request(fx.file("a.txt", b"hello")))
        .unwrap();
    let before = entries(&fx.vault).len();
    let err = fx
        .vault
        .ingest(&as_mallory(), &fx.request(fx.file("b.txt", b"other")))
        .unwrap_err();
    assert!(matches!(err, Error::Denied { .. }));
    assert!(fx
        .vault
        .search(&as_mallory(), &SearchRequest::default())
        .is_err());
    assert!(fx.vault.show(&as_mallory(), &got.record_id).is_err());
    let all = entries(&fx.vault);
    let added: Vec<_> = all[before..]
        .iter()
        .map(|e| e["details"]["requested"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(added, ["record.ingest", "record.search", "record.show"]);
    assert!(all[before..].iter().all(|e| e["action"] == "authz.deny"));
    assert!(fx.problems().is_empty(), "{:?}", fx.problems());
    let found = fx.vault.search(&ctx(), &SearchRequest::default()).unwrap();
    assert_eq!(found.len(), 1, "the refused ingest left no record");
}

/// N-5.5.1: search results the principal may not see are withheld, counted
/// in the journal but neither returned nor named.
#[test]
fn search_withholds_records_the_gate_refuses() {
    let fx = Fx::new();
    fx.vault
        .ingest(&ctx(), &fx.request(fx.file("a.txt", b"hello")))
        .unwrap();
    let mut secret = fx.request(fx.file("s.txt", b"secret"));
    secret.classification = "sensitive".into();
    let hidden = fx.vault.ingest(&ctx(), &secret).unwrap();
    let found = fx
        .vault
        .search(
            &ctx(),
            &SearchRequest {
                subject: Some(NISS.into()),
                ..SearchRequest::default()
            },
        )
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_ne!(found[0].record_id, hidden.record_id);
    let last = entries(&fx.vault).pop().unwrap();
    assert_eq!(last["action"], "record.search");
    assert_eq!(last["details"]["withheld"], 1);
    assert_eq!(last["details"]["results"], 1);
    assert!(!last.to_string().contains(&hidden.record_id));
}

/// Metadata comes from operators and manifests (untrusted): whatever the
/// strings, an ingest either keeps every field exactly as given (AR-13,
/// AR-17) or is refused as invalid input, naming no personal data and
/// leaving nothing behind. One vault for all cases (each verified whole).
#[test]
fn metadata_is_kept_exactly_or_refused_leaving_nothing() {
    use proptest::collection::btree_map;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let fx = Fx::new();
    let src = fx.file("doc.txt", b"Attest voor de sociale zekerheid.\n");
    // Mostly well-formed, so that both outcomes are exercised.
    let text = || prop_oneof![3 => "[\\PC]{1,24}", 1 => any::<String>()];
    let strategy = (
        prop_oneof![3 => "[a-z0-9._-]{1,20}", 1 => ".{0,8}"],
        text(),
        proptest::option::of(text()),
        btree_map(
            prop_oneof![3 => "[a-z0-9_]{1,10}", 1 => ".{0,6}"],
            text(),
            0..3,
        ),
        proptest::option::of(prop_oneof![
            3 => "20[0-2][0-9]-0[1-9]-(0[1-9]|1[0-9]|2[0-8])",
            1 => ".{0,12}"
        ]),
    );
    let (kept, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let config = Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(
        &strategy,
        |(doc_type, original_id, title, meta, created)| {
            let before = state(&fx);
            let req = IngestRequest {
                doc_type: doc_type.clone(),
                original_id: original_id.clone(),
                title: title.clone(),
                meta: meta.clone(),
                created: created.clone(),
                ..fx.request(src.clone())
            };
            match fx.vault.ingest(&ctx(), &req) {
                Ok(got) => {
                    let shown = fx.vault.show(&ctx(), &got.record_id).unwrap();
                    let v = &shown[0];
                    prop_assert_eq!(&v.doc_type, &doc_type);
                    prop_assert_eq!(&v.original_id, &original_id);
                    prop_assert_eq!(&v.title, &title);
                    for (k, value) in &meta {
                        prop_assert_eq!(v.meta.get(k), Some(value), "meta {}", k);
                    }
                    if let Some(c) = &created {
                        prop_assert_eq!(&v.created, c);
                    }
                    kept.set(kept.get() + 1);
                }
                Err(e @ Error::InvalidInput { .. }) => {
                    prop_assert!(!e.to_string().contains(NISS), "{}", e);
                    prop_assert_eq!(state(&fx), before, "a refused ingest left something");
                    refused.set(refused.get() + 1);
                }
                Err(other) => prop_assert!(false, "not a clear refusal: {}", other),
            }
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        kept.get() > 0 && refused.get() > 0,
        "both outcomes exercised"
    );
}
