//! BagIt export packages (DESIGN contract 4, RFC 8493), named by failure in
//! the style of age's test vectors: a valid bag verifies, and each tampering
//! is refused with the file that was tampered with named.
//!
//! The bags are real: a small journal of canonical entries (DESIGN contract
//! 3), its RFC 9162 tree computed here from the RFC's recursive definitions,
//! a checkpoint signed with Ed25519, and per record version two inclusion
//! proofs in `proof.json`: of the entry that stored the content, and (its
//! `export` member) of the `record.export` entry that committed to the exact
//! bytes of `metadata.json` (AR-19: the link between data and metadata is
//! provable; N-5.11.13: an auditor checks it offline). Each tampering comes
//! in up to two strengths: naive (the tag files are left alone, so fixity
//! catches it), and "resealed" (the tamperer rewrites the manifests and
//! Payload-Oxum too, so only the semantic checks can catch it).
//!
//! The `loc_*` tests run the Library of Congress validator (bagit-python)
//! on the same bags: `$PROBANT_BAGIT`, else whatever
//! `scripts/ensure-python-tools.sh` installs.
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ed25519_dalek::{Signer, SigningKey};
use probant_verify::{
    bag::{
        tag_files, verify_bag, BagEntry, BagFiles, BagReport, DirBag, PayloadFile, ProblemKind,
        COMMITMENT_SALT, EXPORT_ACTION, EXPORT_PROOF_MEMBER, METADATA_SHA256,
    },
    checkpoint::Checkpoint,
    hash::{leaf_hash, sha256, to_hex, Hash},
    jcs,
    note::{self, VerifierKey},
    proof_json::{encode_hash, InclusionProof},
    tree::{root_of_leaves, split_point},
};
use proptest::prelude::*;
use serde_json::{json, Value};
use tempfile::TempDir;

use ProblemKind::*;

const ORIGIN: &str = "probant.example/journal";
const DATE: &str = "2026-11-24";

// ---------------------------------------------------------------------------
// The journal and the record versions exported
// ---------------------------------------------------------------------------

/// One exported record version and the entry that stored it.
struct Version {
    id: &'static str,
    version: u64,
    file: &'static str,
    content: &'static [u8],
    action: &'static str,
    nature: &'static str,
    classification: &'static str,
}

const R1: &str = "0190f5a4-7b2c-7def-8000-00000000000a";
const R2: &str = "0190f5a4-7b2c-7def-8000-00000000000b";
const R3: &str = "0190f5a4-7b2c-7def-8000-00000000000c";

const VERSIONS: [Version; 4] = [
    Version {
        id: R1,
        version: 1,
        file: "content.pdf",
        content: b"%PDF-1.7 a scanned letter",
        action: "record.ingest",
        nature: "letter",
        classification: "internal",
    },
    Version {
        id: R2,
        version: 1,
        file: "content.txt",
        content: b"first version\n",
        action: "record.ingest",
        nature: "note",
        classification: "confidential",
    },
    Version {
        id: R3,
        version: 1,
        file: "content",
        content: b"\x00\x01 imported bytes",
        action: "record.import",
        nature: "decision",
        classification: "internal",
    },
    Version {
        id: R2,
        version: 2,
        file: "content.txt",
        content: b"second version, migrated\n",
        action: "record.migrate",
        nature: "note",
        classification: "confidential",
    },
];

fn dir_of(v: &Version) -> String {
    format!("data/records/{}/{}", v.id, v.version)
}

fn content_path(i: usize) -> String {
    format!("{}/{}", dir_of(&VERSIONS[i]), VERSIONS[i].file)
}

fn meta_path(i: usize) -> String {
    format!("{}/metadata.json", dir_of(&VERSIONS[i]))
}

fn proof_path(i: usize) -> String {
    format!("{}/proof.json", dir_of(&VERSIONS[i]))
}

fn entry(action: &str, resource: Value) -> String {
    let event = json!({
        "action": action,
        "outcome": "success",
        "actor": {"id": "operator-1", "kind": "person", "on_behalf_of": null, "auth": "local-key-file"},
        "resource": resource,
        "purpose": null, "legal_basis": "own-records",
        "controller": "Institution", "executor": "Records management", "place": "Brussels",
        "channel": "cli", "malfunction": null,
        "time": "2026-11-24T07:01:39.245220Z",
    });
    jcs::canonicalize(&event).unwrap()
}

/// An entry's `resource` for a record version (without `sha256` unless
/// the entry stores content).
fn resource(v: &Version) -> Value {
    json!({
        "record": v.id, "version": v.version, "subject": "pseudonym-7f3a",
        "nature": v.nature, "classification": v.classification,
    })
}

fn storing_entry(v: &Version) -> String {
    let mut resource = resource(v);
    resource["sha256"] = json!(to_hex(&sha256(v.content)));
    entry(v.action, resource)
}

/// The salt of version `i`'s metadata.json in the bag.
fn salt(i: usize) -> String {
    format!("{:032x}", 0x5a17_0000 + i)
}

/// The salt of an earlier export of version 0, which the journal also holds.
const EARLIER_SALT: &str = "00112233445566778899aabbccddeeff";

/// The exact bytes of a version's metadata.json, as exported with `salt`:
/// the members the verifier compares with the storing entry, and others
/// (subject, title) that only the export entry's digest binds.
fn metadata(v: &Version, salt: &str) -> Vec<u8> {
    let metadata = json!({
        "record_id": v.id, "version": v.version, "sha256": to_hex(&sha256(v.content)),
        "size": v.content.len(), "doc_type": v.nature, "classification": v.classification,
        "subject": "85073003328", "title": "exported record",
        COMMITMENT_SALT: salt,
    });
    serde_json::to_vec_pretty(&metadata).unwrap()
}

/// The `record.export` entry that committed to `metadata` (DESIGN contract 3).
fn export_entry(v: &Version, metadata: &[u8]) -> String {
    let mut event: Value = serde_json::from_str(&entry(EXPORT_ACTION, resource(v))).unwrap();
    event["details"] = json!({
        "export_id": "0190f5a4-7b2c-7def-8000-0000000000e1",
        METADATA_SHA256: to_hex(&sha256(metadata)),
    });
    jcs::canonicalize(&event).unwrap()
}

/// Where each version's storing entry is in the journal.
const STORED: [u64; 4] = [1, 3, 4, 5];
/// An earlier export of version 0, of metadata with another salt.
const EARLIER_EXPORT: u64 = 6;
/// This bag's export entries, one per version.
const EXPORTED: [u64; 4] = [7, 8, 9, 10];
/// The journal's size, and the bag's checkpoint's.
const SIZE: u64 = 11;

/// The journal: the entries that store the four versions, an earlier
/// export of version 0, and this bag's export entries, among others.
fn journal() -> Vec<String> {
    let nothing = json!({"record": null, "version": null, "subject": null,
                         "nature": null, "classification": null, "sha256": null});
    let mut entries = vec![
        entry("home.init", nothing),
        storing_entry(&VERSIONS[0]),
        entry("record.read", resource(&VERSIONS[0])),
        storing_entry(&VERSIONS[1]),
        storing_entry(&VERSIONS[2]),
        storing_entry(&VERSIONS[3]),
        export_entry(&VERSIONS[0], &metadata(&VERSIONS[0], EARLIER_SALT)),
    ];
    for (i, v) in VERSIONS.iter().enumerate() {
        entries.push(export_entry(v, &metadata(v, &salt(i))));
    }
    assert_eq!(entries.len() as u64, SIZE);
    entries
}

/// PATH(m, D[n]), RFC 9162 §2.1.3.1, straight from the definition.
fn inclusion_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let k = split_point(leaves.len() as u64) as usize;
    let (mut path, sibling) = if m < k {
        (
            inclusion_path(m, &leaves[..k]),
            root_of_leaves(&leaves[k..]),
        )
    } else {
        (
            inclusion_path(m - k, &leaves[k..]),
            root_of_leaves(&leaves[..k]),
        )
    };
    path.push(sibling);
    path
}

fn signed_checkpoint(sk: &SigningKey, cp: &Checkpoint) -> String {
    let text = cp.to_text();
    let id = note::key_id(&cp.origin, &sk.verifying_key().to_bytes());
    note::assemble(&text, &cp.origin, id, &sk.sign(text.as_bytes()).to_bytes())
}

fn key_of(sk: &SigningKey) -> VerifierKey {
    VerifierKey::new(ORIGIN, &sk.verifying_key().to_bytes()).unwrap()
}

fn journal_key() -> SigningKey {
    SigningKey::from_bytes(&[11u8; 32])
}

// ---------------------------------------------------------------------------
// A bag on disk
// ---------------------------------------------------------------------------

struct Bag {
    dir: TempDir,
    key: VerifierKey,
}

fn info(size: u64) -> Vec<(String, String)> {
    vec![
        ("Source-Organization".into(), "Institution".into()),
        ("Probant-Log-Origin".into(), ORIGIN.into()),
        ("Probant-Checkpoint-Size".into(), size.to_string()),
    ]
}

/// The journal's signed checkpoint note (of size [`SIZE`]).
fn checkpoint_note() -> String {
    let leaves: Vec<Hash> = journal().iter().map(|e| leaf_hash(e.as_bytes())).collect();
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size: SIZE,
        root: root_of_leaves(&leaves),
        extensions: vec![],
    };
    signed_checkpoint(&journal_key(), &cp)
}

/// The contract-5 inclusion proof of the journal's entry `index`.
fn proof_of(index: u64) -> InclusionProof {
    let entries = journal();
    let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e.as_bytes())).collect();
    InclusionProof {
        origin: ORIGIN.into(),
        index,
        size: SIZE,
        entry: entries[index as usize].clone(),
        leaf_hash: encode_hash(&leaves[index as usize]),
        inclusion: inclusion_path(index as usize, &leaves)
            .iter()
            .map(encode_hash)
            .collect(),
        checkpoint: checkpoint_note(),
    }
}

/// A proof as a JSON value, to put in or beside a proof.json.
fn proof_value(index: u64) -> Value {
    serde_json::to_value(proof_of(index)).unwrap()
}

/// The payload files of the bag: path and bytes.
fn payload() -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        (
            "data/journal/checkpoint".to_owned(),
            checkpoint_note().into_bytes(),
        ),
        (
            "data/journal/vkey".to_owned(),
            format!("{}\n", key_of(&journal_key())).into_bytes(),
        ),
    ];
    for (i, v) in VERSIONS.iter().enumerate() {
        let mut proof = proof_value(STORED[i]);
        proof[EXPORT_PROOF_MEMBER] = proof_value(EXPORTED[i]);
        let dir = dir_of(v);
        files.push((format!("{dir}/{}", v.file), v.content.to_vec()));
        files.push((format!("{dir}/metadata.json"), metadata(v, &salt(i))));
        files.push((
            format!("{dir}/proof.json"),
            serde_json::to_vec_pretty(&proof).unwrap(),
        ));
    }
    files
}

impl Bag {
    fn new() -> Bag {
        let bag = Bag {
            dir: TempDir::new().unwrap(),
            key: key_of(&journal_key()),
        };
        for (path, bytes) in payload() {
            bag.write(&path, &bytes);
        }
        bag.reseal();
        bag
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    fn write(&self, rel: &str, bytes: &[u8]) {
        let path = self.file(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        fs::read(self.file(rel)).unwrap()
    }

    fn remove(&self, rel: &str) {
        fs::remove_file(self.file(rel)).unwrap();
    }

    fn edit_text(&self, rel: &str, edit: impl FnOnce(String) -> String) {
        let before = String::from_utf8(self.read(rel)).unwrap();
        let after = edit(before.clone());
        assert_ne!(before, after, "the edit of {rel} changed nothing");
        self.write(rel, after.as_bytes());
    }

    fn edit_json(&self, rel: &str, edit: impl FnOnce(&mut Value)) {
        let mut value: Value = serde_json::from_slice(&self.read(rel)).unwrap();
        edit(&mut value);
        self.write(rel, &serde_json::to_vec_pretty(&value).unwrap());
    }

    /// Every file under data/, by path.
    fn payload_files(&self) -> BTreeMap<String, Vec<u8>> {
        let mut files = BTreeMap::new();
        let mut pending = vec![self.file("data")];
        while let Some(dir) = pending.pop() {
            for item in fs::read_dir(dir).unwrap() {
                let path = item.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let rel = path.strip_prefix(self.root()).unwrap();
                    files.insert(rel.to_str().unwrap().to_owned(), fs::read(&path).unwrap());
                }
            }
        }
        files
    }

    /// What a careful tamperer does: rewrite every tag file from the payload
    /// as it now is (manifest, Payload-Oxum, tag manifest).
    fn reseal(&self) {
        let payload: Vec<PayloadFile> = self
            .payload_files()
            .into_iter()
            .map(|(path, bytes)| PayloadFile {
                path,
                sha256: sha256(&bytes),
                size: bytes.len() as u64,
            })
            .collect();
        for (name, bytes) in tag_files(&payload, &info(SIZE), DATE).unwrap() {
            self.write(&name, &bytes);
        }
    }

    /// Rewrites the tag manifest only, over the tag files as they now are
    /// (written here independently of the crate's writer).
    fn reseal_tagmanifest(&self) {
        let mut text = String::new();
        for name in ["bag-info.txt", "bagit.txt", "manifest-sha256.txt"] {
            if self.file(name).exists() {
                text.push_str(&format!("{}  {name}\n", to_hex(&sha256(&self.read(name)))));
            }
        }
        self.write("tagmanifest-sha256.txt", text.as_bytes());
    }

    /// Sets Payload-Oxum to the payload as it now is, then the tag manifest:
    /// everything but the payload manifest agrees with the tampered payload.
    fn fix_oxum(&self) {
        let files = self.payload_files();
        let octets: usize = files.values().map(Vec::len).sum();
        let oxum = format!("Payload-Oxum: {octets}.{}", files.len());
        self.edit_text("bag-info.txt", |text| {
            text.lines()
                .map(|l| {
                    if l.starts_with("Payload-Oxum:") {
                        oxum.clone()
                    } else {
                        l.to_owned()
                    }
                })
                .map(|l| l + "\n")
                .collect()
        });
        self.reseal_tagmanifest();
    }

    fn verify(&self) -> BagReport {
        verify_bag(&DirBag::new(self.root()), Some(&self.key))
    }
}

/// The problems of a report, as (path, kind), sorted.
fn found(report: &BagReport) -> Vec<(String, ProblemKind)> {
    let mut found: Vec<(String, ProblemKind)> = report
        .problems
        .iter()
        .map(|p| (p.path.clone(), p.kind))
        .collect();
    found.sort();
    found
}

/// Asserts that the report has exactly these problems (in any order).
fn assert_problems(report: &BagReport, want: &[(&str, ProblemKind)]) {
    let mut want: Vec<(String, ProblemKind)> =
        want.iter().map(|(p, k)| (p.to_string(), *k)).collect();
    want.sort();
    let printed: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        found(report),
        want,
        "problems found:\n{}",
        printed.join("\n")
    );
    assert!(!report.is_valid());
}

/// Whether a problem's detail contains `text`.
fn has_detail(report: &BagReport, text: &str) -> bool {
    report.problems.iter().any(|p| p.detail.contains(text))
}

fn verified_ids(report: &BagReport) -> Vec<(String, u64)> {
    report
        .records
        .iter()
        .map(|r| (r.record_id.clone(), r.version))
        .collect()
}

// ---------------------------------------------------------------------------
// The writer
// ---------------------------------------------------------------------------

#[test]
fn tag_files_are_written_exactly() {
    let files = vec![
        PayloadFile {
            path: "data/b".into(),
            sha256: [0xbb; 32],
            size: 5,
        },
        PayloadFile {
            path: "data/a 100%\r\n".into(),
            sha256: [0xaa; 32],
            size: 7,
        },
    ];
    let tags = tag_files(&files, &info(7), DATE).unwrap();
    let names: Vec<&str> = tags.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "bagit.txt",
            "bag-info.txt",
            "manifest-sha256.txt",
            "tagmanifest-sha256.txt"
        ]
    );
    let text = |i: usize| String::from_utf8(tags[i].1.clone()).unwrap();
    assert_eq!(
        text(0),
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    );
    assert_eq!(
        text(1),
        format!(
            "Bagging-Date: 2026-11-24\nPayload-Oxum: 12.2\nBag-Software-Agent: probant-verify {}\n\
             Source-Organization: Institution\nProbant-Log-Origin: {ORIGIN}\nProbant-Checkpoint-Size: 7\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert_eq!(
        text(2),
        format!(
            "{}  data/a 100%25%0D%0A\n{}  data/b\n",
            "aa".repeat(32),
            "bb".repeat(32)
        )
    );
    let digest = |i: usize| to_hex(&sha256(&tags[i].1));
    assert_eq!(
        text(3),
        format!(
            "{}  bag-info.txt\n{}  bagit.txt\n{}  manifest-sha256.txt\n",
            digest(1),
            digest(0),
            digest(2)
        )
    );
}

#[test]
fn tag_files_refuse_paths_outside_data_and_bad_elements() {
    let file = |path: &str| PayloadFile {
        path: path.into(),
        sha256: [0; 32],
        size: 1,
    };
    for bad in [
        "content",
        "/data/x",
        "data/../x",
        "data/./x",
        "data//x",
        "data/x/",
        "data\\x",
        "data/a\\b",
        "data",
        "data/",
        "../data/x",
        "bag-info.txt",
        "data/x\0",
    ] {
        assert!(tag_files(&[file(bad)], &[], DATE).is_err(), "{bad:?}");
    }
    assert!(tag_files(&[file("data/x"), file("data/x")], &[], DATE).is_err());
    let element = |l: &str, v: &str| vec![(l.to_owned(), v.to_owned())];
    for (label, value) in [
        ("", "x"),
        ("A:B", "x"),
        (" A", "x"),
        ("A ", "x"),
        ("A\nB", "x"),
        ("Payload-Oxum", "1.1"),
        ("bagging-date", "2026-01-01"),
        ("A", ""),
        ("A", "x\ny"),
        ("A", "x\r"),
        (" A", "x"),
        ("A", " x"),
        ("A", "x "),
        ("A", "x\u{7}"),
    ] {
        assert!(
            tag_files(&[], &element(label, value), DATE).is_err(),
            "{label:?}: {value:?}"
        );
    }
    for date in [
        "2026-1-01",
        "26-11-24",
        "2026-13-01",
        "2026-11-32",
        "2026/11/24",
        "２０２６-11-24",
    ] {
        assert!(tag_files(&[], &[], date).is_err(), "{date}");
    }
    let agent = element("Bag-Software-Agent", "probant 1.0");
    let tags = tag_files(&[], &agent, DATE).unwrap();
    let bag_info = String::from_utf8(tags[1].1.clone()).unwrap();
    assert_eq!(
        bag_info.matches("Bag-Software-Agent").count(),
        1,
        "{bag_info}"
    );
}

// ---------------------------------------------------------------------------
// The valid bag
// ---------------------------------------------------------------------------

#[test]
fn valid_bag_verifies() {
    let bag = Bag::new();
    let report = bag.verify();
    let printed: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert!(report.is_valid(), "{}", printed.join("\n"));
    assert!(!report.vkey_from_bag);
    let cp = report.checkpoint.as_ref().unwrap();
    assert_eq!((cp.origin.as_str(), cp.size), (ORIGIN, SIZE));
    let mut want: Vec<(String, u64, Hash, u64)> = VERSIONS
        .iter()
        .zip(STORED)
        .map(|(v, i)| (v.id.to_owned(), v.version, sha256(v.content), i))
        .collect();
    want.sort();
    let got: Vec<(String, u64, Hash, u64)> = report
        .records
        .iter()
        .map(|r| (r.record_id.clone(), r.version, r.sha256, r.index))
        .collect();
    assert_eq!(got, want);
    // What an importer re-checks when it reads metadata.json again (AR-19).
    for r in &report.records {
        let meta = bag.read(&format!(
            "data/records/{}/{}/metadata.json",
            r.record_id, r.version
        ));
        assert_eq!(
            r.metadata_sha256,
            probant_verify::hash::to_hex(&sha256(&meta))
        );
    }
}

#[test]
fn valid_bag_verifies_under_its_own_vkey_and_says_so() {
    let bag = Bag::new();
    let report = verify_bag(&DirBag::new(bag.root()), None);
    assert!(report.is_valid(), "{:?}", report.problems);
    assert!(report.vkey_from_bag);
}

// ---------------------------------------------------------------------------
// Tampered payload
// ---------------------------------------------------------------------------

#[test]
fn payload_byte_flipped() {
    let bag = Bag::new();
    let mut bytes = bag.read(&content_path(0));
    bytes[3] ^= 0x01;
    bag.write(&content_path(0), &bytes);
    let report = bag.verify();
    assert_problems(
        &report,
        &[(&content_path(0), Altered), (&content_path(0), Mismatch)],
    );
    assert_eq!(verified_ids(&report).len(), 3);
    let altered = report.problems.iter().find(|p| p.kind == Altered).unwrap();
    assert_eq!(
        altered.to_string(),
        format!(
            "{}: altered (SHA-256 differs from manifest-sha256.txt)",
            content_path(0)
        )
    );
}

#[test]
fn payload_replaced_and_resealed() {
    let bag = Bag::new();
    bag.write(&content_path(1), b"other words\n");
    bag.reseal();
    // Named on the content only: the metadata still agrees with the journal.
    assert_problems(&bag.verify(), &[(&content_path(1), Mismatch)]);
}

#[test]
fn payload_forged_with_its_entry_metadata_and_leaf_hash() {
    // The forger changes the content, the journaled sha256 in the entry, the
    // leaf hash and the metadata, and reseals: the Merkle path fails, and
    // the metadata is not what the export entry committed to.
    let bag = Bag::new();
    let forged = b"a forged letter";
    bag.write(&content_path(0), forged);
    bag.edit_json(&meta_path(0), |m| {
        m["sha256"] = json!(to_hex(&sha256(forged)));
        m["size"] = json!(forged.len());
    });
    bag.edit_json(&proof_path(0), |p| {
        let mut entry: Value = serde_json::from_str(p["entry"].as_str().unwrap()).unwrap();
        entry["resource"]["sha256"] = json!(to_hex(&sha256(forged)));
        let entry = jcs::canonicalize(&entry).unwrap();
        p["leaf_hash"] = json!(encode_hash(&leaf_hash(entry.as_bytes())));
        p["entry"] = json!(entry);
    });
    bag.reseal();
    let report = bag.verify();
    assert_problems(
        &report,
        &[(&proof_path(0), Unverified), (&meta_path(0), Mismatch)],
    );
    assert!(
        report.problems[0]
            .detail
            .contains("does not lead to the root"),
        "{}",
        report.problems[0]
    );
}

#[test]
fn metadata_edited_and_resealed() {
    // A member the storing entry journals too: named twice, against the
    // storing entry and against the export entry's digest.
    let bag = Bag::new();
    bag.edit_json(&meta_path(2), |m| m["doc_type"] = json!("contract"));
    bag.reseal();
    let report = bag.verify();
    assert_problems(
        &report,
        &[(&meta_path(2), Mismatch), (&meta_path(2), Mismatch)],
    );
    assert!(has_detail(&report, "\"doc_type\""));
    assert!(has_detail(
        &report,
        "differs from the digest journaled at export"
    ));
    assert!(!verified_ids(&report).contains(&(R3.to_owned(), 1)));
}

/// AR-19, N-5.11.13: a member that no storing entry journals (the subject,
/// the title) is bound by the export entry's digest of the whole file: an
/// edit that the tamperer reseals is named on metadata.json.
#[test]
fn metadata_subject_edited_and_resealed() {
    for (member, value) in [("subject", "85073003427"), ("title", "another record")] {
        let bag = Bag::new();
        bag.edit_json(&meta_path(1), |m| m[member] = json!(value));
        bag.reseal();
        let report = bag.verify();
        assert_problems(&report, &[(&meta_path(1), Mismatch)]);
        let printed = report.problems[0].to_string();
        assert!(
            printed.contains("differs from the digest journaled at export"),
            "{printed}"
        );
        assert!(
            !printed.contains(value),
            "the report quotes metadata: {printed}"
        );
        assert_eq!(verified_ids(&report).len(), 3);
        assert!(!verified_ids(&report).contains(&(R2.to_owned(), 1)));
    }
}

#[test]
fn metadata_edited_not_resealed() {
    // Same length as "internal", so that Payload-Oxum still holds.
    let bag = Bag::new();
    bag.edit_json(&meta_path(2), |m| m["classification"] = json!("personal"));
    // Altered (manifest), and against the storing entry and the export
    // entry's digest.
    let m = meta_path(2);
    assert_problems(
        &bag.verify(),
        &[(&m, Altered), (&m, Mismatch), (&m, Mismatch)],
    );
}

#[test]
fn metadata_of_another_version() {
    let bag = Bag::new();
    bag.write(&meta_path(3), &bag.read(&meta_path(1)));
    bag.reseal();
    // version, sha256 and size are those of version 1, and the file is not
    // the one version 2's export entry committed to.
    let m = meta_path(3);
    assert_problems(
        &bag.verify(),
        &[
            (&m, Mismatch),
            (&m, Mismatch),
            (&m, Mismatch),
            (&m, Mismatch),
        ],
    );
}

#[test]
fn metadata_without_a_required_member() {
    let bag = Bag::new();
    bag.edit_json(&meta_path(0), |m| {
        m.as_object_mut().unwrap().remove("size");
    });
    bag.reseal();
    assert_problems(
        &bag.verify(),
        &[(&meta_path(0), Malformed), (&meta_path(0), Mismatch)],
    );
}

// ---------------------------------------------------------------------------
// Tampered proofs, checkpoint and key
// ---------------------------------------------------------------------------

#[test]
fn entry_text_changed_in_proof_json() {
    let bag = Bag::new();
    bag.edit_json(&proof_path(1), |p| {
        let entry = p["entry"]
            .as_str()
            .unwrap()
            .replace("\"success\"", "\"failure\"");
        p["entry"] = json!(entry);
    });
    assert_problems(
        &bag.verify(),
        &[(&proof_path(1), Altered), (&proof_path(1), Unverified)],
    );
    bag.reseal();
    let report = bag.verify();
    assert_problems(&report, &[(&proof_path(1), Unverified)]);
    assert!(
        report.problems[0].detail.contains("leaf_hash"),
        "{}",
        report.problems[0]
    );
}

#[test]
fn entry_of_another_record_in_proof_json() {
    // Valid proofs, but of the entries that stored and exported another
    // record version: only proof.json is named (once per proof), since
    // content and metadata still agree and neither entry is used to judge
    // them.
    let bag = Bag::new();
    bag.write(&proof_path(0), &bag.read(&proof_path(1)));
    bag.reseal();
    let report = bag.verify();
    let p0 = proof_path(0);
    assert_problems(&report, &[(&p0, Mismatch), (&p0, Mismatch)]);
    assert!(has_detail(&report, "its entry's resource.record"));
    assert!(has_detail(&report, "its export entry's resource.record"));
    // Another version of the same record: the version is named.
    bag.write(&proof_path(3), &bag.read(&proof_path(1)));
    bag.reseal();
    let report = bag.verify();
    let p3 = proof_path(3);
    assert_problems(
        &report,
        &[
            (&p0, Mismatch),
            (&p0, Mismatch),
            (&p3, Mismatch),
            (&p3, Mismatch),
        ],
    );
    assert!(has_detail(&report, "its entry's resource.version"));
}

#[test]
fn proof_of_a_non_storing_entry() {
    // Entry 2 (record.read of R1 v1) is in the log; its proof verifies, but
    // reading a record stores nothing.
    let bag = Bag::new();
    bag.edit_json(&proof_path(0), |p| {
        let export = p[EXPORT_PROOF_MEMBER].take();
        *p = proof_value(2);
        p[EXPORT_PROOF_MEMBER] = export;
    });
    bag.reseal();
    let report = bag.verify();
    // Not a storing action, and no resource.sha256.
    assert_problems(
        &report,
        &[(&proof_path(0), Mismatch), (&proof_path(0), Malformed)],
    );
}

#[test]
fn proof_hash_changed() {
    let bag = Bag::new();
    bag.edit_json(&proof_path(3), |p| {
        let h = p["inclusion"][0].as_str().unwrap().to_owned();
        let flipped = if h.starts_with('A') {
            h.replacen('A', "B", 1)
        } else {
            format!("A{}", &h[1..])
        };
        p["inclusion"][0] = json!(flipped);
    });
    bag.reseal();
    assert_problems(&bag.verify(), &[(&proof_path(3), Unverified)]);
}

#[test]
fn proof_json_not_a_proof() {
    let bag = Bag::new();
    bag.write(&proof_path(2), b"{\"origin\": \"x\"}");
    bag.reseal();
    let report = bag.verify();
    assert_problems(&report, &[(&proof_path(2), Malformed)]);
    assert!(
        report.problems[0].detail.contains("missing field"),
        "{}",
        report.problems[0]
    );
}

// ---------------------------------------------------------------------------
// The export proof: metadata.json bound to the journal (AR-19, N-5.11.13)
// ---------------------------------------------------------------------------

/// Without its export proof, only the manifests would bind metadata.json:
/// a bag resealed after removing the proof is refused, naming proof.json.
#[test]
fn export_proof_removed_and_resealed() {
    let bag = Bag::new();
    bag.edit_json(&proof_path(2), |p| {
        p.as_object_mut().unwrap().remove(EXPORT_PROOF_MEMBER);
    });
    bag.reseal();
    let report = bag.verify();
    assert_problems(&report, &[(&proof_path(2), Malformed)]);
    assert!(
        has_detail(&report, "no \"export\" member"),
        "{:?}",
        report.problems
    );
    assert!(!verified_ids(&report).contains(&(R3.to_owned(), 1)));
    // Nor does a member that is not a proof stand in for it.
    bag.edit_json(&proof_path(2), |p| {
        p[EXPORT_PROOF_MEMBER] = json!({"origin": ORIGIN});
    });
    bag.reseal();
    let report = bag.verify();
    assert_problems(&report, &[(&proof_path(2), Malformed)]);
    assert!(
        has_detail(&report, "missing field"),
        "{:?}",
        report.problems
    );
}

/// A valid export proof, to the bag's checkpoint, but of another version
/// of the same record: proof.json is named, and that entry's digest is not
/// used to judge this version's metadata.
#[test]
fn export_proof_of_another_version() {
    let bag = Bag::new();
    bag.edit_json(&proof_path(3), |p| {
        p[EXPORT_PROOF_MEMBER] = proof_value(EXPORTED[1]);
    });
    bag.reseal();
    let report = bag.verify();
    assert_problems(&report, &[(&proof_path(3), Mismatch)]);
    assert!(has_detail(&report, "its export entry's resource.version"));
    assert!(!verified_ids(&report).contains(&(R2.to_owned(), 2)));
}

/// A valid export proof of this very version, from an earlier export whose
/// entry committed to metadata with another salt: metadata.json is not the
/// file that entry committed to. With that export's own metadata.json the
/// pair is consistent again: the binding is to the bytes, salt included.
#[test]
fn export_entry_with_another_metadata_digest() {
    let bag = Bag::new();
    bag.edit_json(&proof_path(0), |p| {
        p[EXPORT_PROOF_MEMBER] = proof_value(EARLIER_EXPORT);
    });
    bag.reseal();
    let report = bag.verify();
    assert_problems(&report, &[(&meta_path(0), Mismatch)]);
    assert!(has_detail(
        &report,
        "differs from the digest journaled at export"
    ));
    bag.write(&meta_path(0), &metadata(&VERSIONS[0], EARLIER_SALT));
    bag.reseal();
    let report = bag.verify();
    assert!(report.is_valid(), "{:?}", report.problems);
}

/// The forger edits the subject, puts the new file's digest in the export
/// entry and recomputes its leaf hash: the entry is no longer the journal's,
/// and its path does not lead to the signed root.
#[test]
fn export_entry_forged_for_edited_metadata() {
    let bag = Bag::new();
    bag.edit_json(&meta_path(1), |m| m["subject"] = json!("85073003427"));
    let digest = to_hex(&sha256(&bag.read(&meta_path(1))));
    bag.edit_json(&proof_path(1), |p| {
        let export = &mut p[EXPORT_PROOF_MEMBER];
        let mut entry: Value = serde_json::from_str(export["entry"].as_str().unwrap()).unwrap();
        entry["details"][METADATA_SHA256] = json!(digest);
        let entry = jcs::canonicalize(&entry).unwrap();
        export["leaf_hash"] = json!(encode_hash(&leaf_hash(entry.as_bytes())));
        export["entry"] = json!(entry);
    });
    bag.reseal();
    let report = bag.verify();
    assert_problems(&report, &[(&proof_path(1), Unverified)]);
    assert!(
        has_detail(&report, "its export proof: ")
            && has_detail(&report, "does not lead to the root"),
        "{:?}",
        report.problems
    );
}

/// The storing entry's own proof given as the export proof: it verifies and
/// is about this version, but it is no export and committed to no metadata.
#[test]
fn export_proof_of_a_non_export_entry() {
    let bag = Bag::new();
    bag.edit_json(&proof_path(1), |p| {
        p[EXPORT_PROOF_MEMBER] = proof_value(STORED[1]);
    });
    bag.reseal();
    let p1 = proof_path(1);
    let report = bag.verify();
    assert_problems(&report, &[(&p1, Mismatch), (&p1, Malformed)]);
    assert!(has_detail(
        &report,
        "its export entry's action is not record.export"
    ));
}

// ---------------------------------------------------------------------------
// The checkpoint and the key
// ---------------------------------------------------------------------------

#[test]
fn checkpoint_signature_altered() {
    let bag = Bag::new();
    bag.edit_text("data/journal/checkpoint", |t| {
        let (text, sig) = t.split_at(t.len() - 10);
        let c = if sig.starts_with('A') { "B" } else { "A" };
        format!("{text}{c}{}", &sig[1..])
    });
    bag.reseal();
    // Both proofs of each proof.json carry the original checkpoint.
    let mut want = vec![("data/journal/checkpoint".to_owned(), Unverified)];
    want.extend((0..8).map(|i| (proof_path(i % 4), Mismatch)));
    let want: Vec<(&str, ProblemKind)> = want.iter().map(|(p, k)| (p.as_str(), *k)).collect();
    let report = bag.verify();
    assert_problems(&report, &want);
    assert!(report.checkpoint.is_none());
}

#[test]
fn checkpoint_and_proofs_resigned_by_another_key() {
    // Everything re-signed under a key the auditor did not give: only the
    // key comparison and the signatures fail.
    let bag = Bag::new();
    let other = SigningKey::from_bytes(&[12u8; 32]);
    let cp = Checkpoint::parse_text(
        key_of(&journal_key())
            .verify_note(&bag.read("data/journal/checkpoint"))
            .unwrap(),
    )
    .unwrap();
    let resigned = signed_checkpoint(&other, &cp);
    bag.write("data/journal/checkpoint", resigned.as_bytes());
    bag.write(
        "data/journal/vkey",
        format!("{}\n", key_of(&other)).as_bytes(),
    );
    for i in 0..4 {
        bag.edit_json(&proof_path(i), |p| {
            p["checkpoint"] = json!(resigned);
            p[EXPORT_PROOF_MEMBER]["checkpoint"] = json!(resigned);
        });
    }
    bag.reseal();
    let mut want = vec![
        ("data/journal/vkey".to_owned(), Mismatch),
        ("data/journal/checkpoint".to_owned(), Unverified),
    ];
    want.extend((0..8).map(|i| (proof_path(i % 4), Unverified)));
    let want: Vec<(&str, ProblemKind)> = want.iter().map(|(p, k)| (p.as_str(), *k)).collect();
    assert_problems(&bag.verify(), &want);
    // Under its own key the bag is consistent, and the report says whose key.
    let own = verify_bag(&DirBag::new(bag.root()), None);
    assert!(own.is_valid() && own.vkey_from_bag);
}

#[test]
fn wrong_vkey_given() {
    let bag = Bag::new();
    let wrong = key_of(&SigningKey::from_bytes(&[13u8; 32]));
    let report = verify_bag(&DirBag::new(bag.root()), Some(&wrong));
    let mut want = vec![
        ("data/journal/vkey".to_owned(), Mismatch),
        ("data/journal/checkpoint".to_owned(), Unverified),
    ];
    want.extend((0..8).map(|i| (proof_path(i % 4), Unverified)));
    let want: Vec<(&str, ProblemKind)> = want.iter().map(|(p, k)| (p.as_str(), *k)).collect();
    assert_problems(&report, &want);
    assert!(report.records.is_empty());
}

#[test]
fn vkey_malformed() {
    let bag = Bag::new();
    bag.write("data/journal/vkey", b"not a key\n");
    bag.reseal();
    // With a key given, only the bag's key is wrong.
    assert_problems(&bag.verify(), &[("data/journal/vkey", Malformed)]);
    // Without, nothing can be verified.
    let report = verify_bag(&DirBag::new(bag.root()), None);
    assert!(found(&report).contains(&("data/journal/checkpoint".to_owned(), Unverified)));
    assert!(report.records.is_empty());
}

// ---------------------------------------------------------------------------
// Added and missing files
// ---------------------------------------------------------------------------

#[test]
fn extra_file_in_data() {
    let bag = Bag::new();
    bag.write("data/notes.txt", b"hello");
    assert_problems(
        &bag.verify(),
        &[
            ("data/notes.txt", Added),
            ("data/notes.txt", Unexpected),
            ("bag-info.txt", Mismatch),
        ],
    );
    bag.reseal();
    assert_problems(&bag.verify(), &[("data/notes.txt", Unexpected)]);
}

#[test]
fn extra_file_in_a_record_version() {
    let bag = Bag::new();
    let extra = format!("{}/notes.txt", dir_of(&VERSIONS[1]));
    bag.write(&extra, b"hello");
    bag.reseal();
    let report = bag.verify();
    assert_problems(&report, &[(&extra, Unexpected)]);
    assert!(!verified_ids(&report).contains(&(R2.to_owned(), 1)));
}

#[test]
fn second_content_file_in_a_record_version() {
    let bag = Bag::new();
    let second = format!("{}/content.bin", dir_of(&VERSIONS[0]));
    bag.write(&second, b"x");
    bag.reseal();
    assert_problems(
        &bag.verify(),
        &[(&content_path(0), Unexpected), (&second, Unexpected)],
    );
}

#[test]
fn file_at_the_wrong_depth_under_records() {
    let bag = Bag::new();
    bag.write(&format!("data/records/{R1}/stray"), b"x");
    bag.reseal();
    assert_problems(
        &bag.verify(),
        &[(&format!("data/records/{R1}/stray"), Unexpected)],
    );
}

#[test]
fn version_directory_not_a_number() {
    let bag = Bag::new();
    let dir = format!("data/records/{R1}/01");
    bag.write(&format!("{dir}/content"), b"x");
    bag.reseal();
    assert_problems(&bag.verify(), &[(&dir, Malformed)]);
}

#[test]
fn extra_tag_file() {
    let bag = Bag::new();
    bag.write("notes.txt", b"hello");
    assert_problems(&bag.verify(), &[("notes.txt", Added)]);
}

#[test]
fn manifest_for_another_algorithm() {
    let bag = Bag::new();
    bag.write("manifest-md5.txt", b"");
    assert_problems(&bag.verify(), &[("manifest-md5.txt", Unexpected)]);
}

#[test]
fn missing_payload_file() {
    let bag = Bag::new();
    bag.remove(&content_path(2));
    assert_problems(
        &bag.verify(),
        &[(&content_path(2), Missing), ("bag-info.txt", Mismatch)],
    );
    bag.reseal();
    let report = bag.verify();
    let missing = format!("{}/content", dir_of(&VERSIONS[2]));
    assert_problems(&report, &[(&missing, Missing)]);
    assert_eq!(verified_ids(&report).len(), 3);
}

#[test]
fn missing_proof_json() {
    let bag = Bag::new();
    bag.remove(&proof_path(1));
    bag.reseal();
    assert_problems(&bag.verify(), &[(&proof_path(1), Missing)]);
}

#[test]
fn missing_checkpoint() {
    let bag = Bag::new();
    bag.remove("data/journal/checkpoint");
    assert_problems(
        &bag.verify(),
        &[
            ("data/journal/checkpoint", Missing),
            ("bag-info.txt", Mismatch),
        ],
    );
}

#[test]
fn missing_tag_files() {
    for name in [
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "tagmanifest-sha256.txt",
    ] {
        let bag = Bag::new();
        bag.remove(name);
        assert_problems(&bag.verify(), &[(name, Missing)]);
    }
}

#[test]
fn tag_file_not_covered_by_the_tag_manifest() {
    let bag = Bag::new();
    bag.edit_text("tagmanifest-sha256.txt", |t| {
        t.lines()
            .filter(|l| !l.ends_with(" bag-info.txt"))
            .map(|l| format!("{l}\n"))
            .collect()
    });
    assert_problems(&bag.verify(), &[("tagmanifest-sha256.txt", Malformed)]);
}

// ---------------------------------------------------------------------------
// Tampered tag files
// ---------------------------------------------------------------------------

#[test]
fn payload_oxum_wrong() {
    let bag = Bag::new();
    bag.edit_text("bag-info.txt", |t| {
        t.replacen("Payload-Oxum: ", "Payload-Oxum: 1", 1)
    });
    assert_problems(
        &bag.verify(),
        &[("bag-info.txt", Altered), ("bag-info.txt", Mismatch)],
    );
    bag.reseal_tagmanifest();
    let report = bag.verify();
    assert_problems(&report, &[("bag-info.txt", Mismatch)]);
    assert!(report.problems[0].detail.contains("Payload-Oxum"));
}

#[test]
fn payload_oxum_missing_or_repeated() {
    let bag = Bag::new();
    let original = String::from_utf8(bag.read("bag-info.txt")).unwrap();
    bag.edit_text("bag-info.txt", |t| {
        t.lines()
            .filter(|l| !l.starts_with("Payload-Oxum"))
            .map(|l| format!("{l}\n"))
            .collect()
    });
    bag.reseal_tagmanifest();
    assert_problems(&bag.verify(), &[("bag-info.txt", Malformed)]);
    let oxum = original
        .lines()
        .find(|l| l.starts_with("Payload-Oxum"))
        .unwrap();
    bag.write("bag-info.txt", format!("{original}{oxum}\n").as_bytes());
    bag.reseal_tagmanifest();
    assert_problems(&bag.verify(), &[("bag-info.txt", Malformed)]);
}

#[test]
fn checkpoint_size_label_wrong() {
    let bag = Bag::new();
    bag.edit_text("bag-info.txt", |t| {
        let size = format!("Probant-Checkpoint-Size: {SIZE}");
        t.replace(&size, &format!("Probant-Checkpoint-Size: {}", SIZE + 1))
    });
    bag.reseal_tagmanifest();
    assert_problems(&bag.verify(), &[("bag-info.txt", Mismatch)]);
}

#[test]
fn bag_declaration_of_another_version() {
    let bag = Bag::new();
    bag.write(
        "bagit.txt",
        b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n",
    );
    bag.reseal_tagmanifest();
    assert_problems(&bag.verify(), &[("bagit.txt", Malformed)]);
}

#[test]
fn manifest_line_malformed() {
    let bag = Bag::new();
    bag.edit_text("manifest-sha256.txt", |t| {
        format!("{t}not a manifest line\n")
    });
    bag.reseal_tagmanifest();
    assert_problems(&bag.verify(), &[("manifest-sha256.txt", Malformed)]);
}

#[test]
fn manifest_crlf_and_tabs_are_accepted() {
    // RFC 8493 allows CR, LF or CRLF line endings and any spaces or tabs
    // between checksum and path, and checksums in either case.
    let bag = Bag::new();
    bag.edit_text("manifest-sha256.txt", |t| {
        t.lines()
            .map(|l| {
                let (sum, path) = l.split_once("  ").unwrap();
                format!("{} \t{path}\r\n", sum.to_uppercase())
            })
            .collect()
    });
    bag.reseal_tagmanifest();
    let report = bag.verify();
    assert!(report.is_valid(), "{:?}", report.problems);
}

#[cfg(unix)]
#[test]
fn symbolic_link_in_the_bag() {
    let bag = Bag::new();
    std::os::unix::fs::symlink("/etc/hostname", bag.file("data/link")).unwrap();
    let report = bag.verify();
    assert_problems(&report, &[("data/link", Refused)]);
    assert!(report.problems[0].detail.contains("symbolic link"));
}

#[cfg(unix)]
#[test]
fn file_name_with_a_backslash() {
    let bag = Bag::new();
    bag.write("data/a\\b", b"x");
    assert_problems(&bag.verify(), &[("data/a\\b", Refused)]);
}

#[test]
fn listing_with_paths_that_leave_the_bag() {
    // A BagFiles of the caller's that lists such paths: they are refused,
    // never opened.
    let mut bag = mem_bag();
    for path in ["../outside", "/etc/hostname", "data//x", "data/./x"] {
        bag.0.insert(path.to_owned(), b"x".to_vec());
    }
    let report = verify_bag(&bag, Some(&key_of(&journal_key())));
    let want = [
        ("../outside", Refused),
        ("/etc/hostname", Refused),
        ("data//x", Refused),
        ("data/./x", Refused),
    ];
    assert_problems(&report, &want);
}

#[test]
fn not_a_bag_directory() {
    let report = verify_bag(&DirBag::new("/nonexistent/probant-bag"), None);
    assert_problems(&report, &[(".", Unreadable)]);
}

// ---------------------------------------------------------------------------
// A bag in memory, and random manifests
// ---------------------------------------------------------------------------

/// A bag held in memory: the verifier needs no file system.
struct MemBag(BTreeMap<String, Vec<u8>>);

impl BagFiles for MemBag {
    fn list(&self) -> io::Result<Vec<BagEntry>> {
        Ok(self.0.keys().cloned().map(BagEntry::File).collect())
    }
    fn open(&self, path: &str) -> io::Result<Box<dyn Read + '_>> {
        let bytes = self.0.get(path).ok_or(io::ErrorKind::NotFound)?;
        Ok(Box::new(bytes.as_slice()))
    }
}

fn mem_bag() -> MemBag {
    let bag = Bag::new();
    let mut files = bag.payload_files();
    for name in [
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "tagmanifest-sha256.txt",
    ] {
        files.insert(name.to_owned(), bag.read(name));
    }
    MemBag(files)
}

#[test]
fn bag_in_memory_verifies() {
    let report = verify_bag(&mem_bag(), Some(&key_of(&journal_key())));
    assert!(report.is_valid(), "{:?}", report.problems);
    assert_eq!(report.records.len(), 4);
}

fn manifest_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "[0-9a-fA-F]{64}[ \t]{1,3}data/[a-z%/.]{0,20}",
        "[0-9a-f]{60,70} [^\r\n]{0,30}",
        "\\PC{0,80}",
        "[ \\t*%/.a-z0-9\\x00-\\x1f\u{e9}\u{2014}]{0,90}",
    ];
    let ending = prop_oneof![Just("\n"), Just("\r"), Just("\r\n"), Just("")];
    proptest::collection::vec((line, ending), 0..8)
        .prop_map(|lines| lines.into_iter().map(|(l, e)| l + e).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn verify_bag_never_panics_on_random_manifest_text(text in manifest_text(), tag in any::<bool>()) {
        let mut bag = mem_bag();
        let name = if tag { "tagmanifest-sha256.txt" } else { "manifest-sha256.txt" };
        bag.0.insert(name.to_owned(), text.into_bytes());
        let report = verify_bag(&bag, Some(&key_of(&journal_key())));
        prop_assert!(!report.is_valid());
        prop_assert!(report.problems.iter().all(|p| !p.to_string().contains('\n')));
    }

    #[test]
    fn verify_bag_never_panics_on_random_bytes_in_any_file(
        pick in any::<proptest::sample::Index>(),
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut bag = mem_bag();
        let names: Vec<String> = bag.0.keys().cloned().collect();
        let name = pick.get(&names).clone();
        let changed = bag.0.insert(name, bytes.clone()) != Some(bytes);
        let report = verify_bag(&bag, Some(&key_of(&journal_key())));
        prop_assert_eq!(report.is_valid(), !changed);
    }
}

// ---------------------------------------------------------------------------
// The Library of Congress validator (bagit-python)
// ---------------------------------------------------------------------------

/// `$PROBANT_BAGIT`, else what `scripts/ensure-python-tools.sh` installs.
/// Fails (never skips) when neither works: these tests are the evidence
/// that an independent validator accepts our bags.
fn bagit_validator() -> PathBuf {
    if let Some(path) = std::env::var_os("PROBANT_BAGIT") {
        return PathBuf::from(path);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ensure-python-tools.sh");
    let out = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} failed, so the Library of Congress BagIt validator is not available.\n\
         It needs python3 with venv and pip (Debian: apt-get install python3-venv), \
         or set PROBANT_BAGIT to a bagit.py.\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// Runs `bagit.py --validate` on the bag: success, and everything it said.
fn loc_validate(bag: &Bag) -> (bool, String) {
    let validator = bagit_validator();
    let out = Command::new(&validator)
        .arg("--validate")
        .arg(bag.root())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", validator.display()));
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), said)
}

#[test]
fn loc_validator_accepts_a_valid_bag() {
    let bag = Bag::new();
    let (ok, said) = loc_validate(&bag);
    assert!(ok, "bagit.py refused a valid bag:\n{said}");
    assert!(said.contains("is valid"), "{said}");
}

#[test]
fn loc_validator_refuses_a_flipped_payload_byte() {
    let bag = Bag::new();
    let mut bytes = bag.read(&content_path(1));
    bytes[0] ^= 0x20;
    bag.write(&content_path(1), &bytes);
    let (ok, said) = loc_validate(&bag);
    assert!(!ok, "bagit.py accepted a flipped byte:\n{said}");
    assert!(
        said.contains(&content_path(1)),
        "bagit.py did not name the file:\n{said}"
    );
}

#[test]
fn loc_validator_refuses_an_extra_payload_file() {
    let bag = Bag::new();
    bag.write("data/notes.txt", b"hello");
    // Naive: bagit.py stops at Payload-Oxum, before naming files.
    let (ok, said) = loc_validate(&bag);
    assert!(!ok && said.contains("Payload-Oxum"), "{said}");
    // With Payload-Oxum and the tag manifest fixed, it names the file.
    bag.fix_oxum();
    let (ok, said) = loc_validate(&bag);
    assert!(!ok, "bagit.py accepted an added file:\n{said}");
    assert!(
        said.contains("data/notes.txt"),
        "bagit.py did not name the file:\n{said}"
    );
    assert_problems(
        &bag.verify(),
        &[("data/notes.txt", Added), ("data/notes.txt", Unexpected)],
    );
}

#[test]
fn loc_validator_refuses_a_missing_payload_file() {
    let bag = Bag::new();
    bag.remove(&content_path(3));
    let (ok, said) = loc_validate(&bag);
    assert!(!ok && said.contains("Payload-Oxum"), "{said}");
    bag.fix_oxum();
    let (ok, said) = loc_validate(&bag);
    assert!(!ok, "bagit.py accepted a missing file:\n{said}");
    assert!(
        said.contains(&content_path(3)),
        "bagit.py did not name the file:\n{said}"
    );
    assert_problems(&bag.verify(), &[(&content_path(3), Missing)]);
}
