//! End-to-end tests of `probant export | verify-bag | prove | verify-proof |
//! import | migrate` (issue 6), run as the built binary in a sandbox per
//! test (see `common`).
//!
//! What they hold Probant to:
//! - AR-19: data and metadata leave and enter a home with their integrity
//!   and the link between them provable; an import keeps ids, versions,
//!   metadata and digests and records where they came from;
//! - AR-20.12: a move to another carrier (bag, home) or format preserves
//!   reliability, integrity and usability;
//! - AR-16: a format migration is a new version, provably lossless, and a
//!   lossy one is refused unless explicitly allowed;
//! - N-5.11.13: an auditor checks what they receive offline without
//!   trusting the sender (`verify-bag`, `verify-proof`, and the Library of
//!   Congress BagIt validator, which these tests run too: `$PROBANT_BAGIT`,
//!   else what `scripts/ensure-python-tools.sh` installs).
#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{
    blob_files, catalogued, fails_unchanged, flip_byte, single_json_line, Run, Sandbox, ACTOR,
};
use serde_json::{json, Value};

const NISS: &str = "85073003328";
/// Another valid national number (mod-97 check), for a tamperer to write.
const OTHER_NISS: &str = "85073003427";
/// What a refused command may change in a home: the lock, the write-ahead
/// log of an opened journal, SQLite's transient files.
const TRANSIENT: &[&str] = &[
    "journal/lock",
    "journal/wal",
    "catalog.sqlite-wal",
    "catalog.sqlite-shm",
];

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../samples")
        .join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    probant_verify::hash::to_hex(&probant_verify::hash::sha256(bytes))
}

/// A sandbox with home A (`<sandbox>/home`) initialised.
fn ready() -> (Sandbox, PathBuf) {
    let sb = Sandbox::new();
    sb.init_home();
    let home = sb.home();
    (sb, home)
}

/// `ingest --json FILE …` with subject NISS, type scan, classification
/// internal, a title and a meta value (personal-looking, to be kept out of
/// proofs); returns the `ok` line.
fn ingest(sb: &Sandbox, home: &Path, file: &Path, extra: &[&str]) -> Value {
    let args = [
        &[
            "ingest",
            "--json",
            s(file),
            "--subject",
            NISS,
            "--type",
            "scan",
            "--original-id",
            "DOSSIER-JANSSENS/P-1",
            "--classification",
            "internal",
            "--title",
            "Attest Jan Janssens",
            "--meta",
            "case=JANSSENS-2026",
        ][..],
        extra,
    ]
    .concat();
    let r = sb.at(home, &args);
    r.assert_ok();
    let doc = single_json_line(&r.stdout);
    assert_eq!(doc["ok"], true, "{doc}");
    doc
}

fn id_of(doc: &Value) -> String {
    doc["id"].as_str().expect("an id").to_owned()
}

/// The three samples, and a second version of the PDF record (a new version
/// travels with its predecessor).
fn ingest_samples(sb: &Sandbox, home: &Path) -> Vec<String> {
    let ids: Vec<String> = ["scan-page-001.tiff", "attestation.pdf", "message.xml"]
        .iter()
        .map(|f| id_of(&ingest(sb, home, &sample(f), &[])))
        .collect();
    ingest(
        sb,
        home,
        &sample("message.xml"),
        &["--new-version-of", &ids[1]],
    );
    ids
}

/// `export ARGS -o <sandbox>/rel --json`: succeeds; the report and the bag.
fn export(sb: &Sandbox, home: &Path, args: &[&str], rel: &str) -> (Value, PathBuf) {
    let bag = sb.path(rel);
    let r = sb.at(home, &[&["export", "--json", "-o", s(&bag)], args].concat());
    r.assert_ok();
    (single_json_line(&r.stdout), bag)
}

/// `verify-bag BAG [--vkey VKEY] --json`.
fn verify_bag(sb: &Sandbox, bag: &Path, vkey: Option<&Path>) -> (Run, Value) {
    let mut args = vec!["verify-bag", s(bag), "--json"];
    if let Some(k) = vkey {
        args.extend(["--vkey", s(k)]);
    }
    let r = sb.run(&args);
    let doc = single_json_line(&r.stdout);
    (r, doc)
}

fn vkey_of(home: &Path) -> PathBuf {
    home.join("journal/vkey")
}

/// `show ID --json`: its versions.
fn show(sb: &Sandbox, home: &Path, id: &str) -> Vec<Value> {
    let r = sb.at(home, &["show", id, "--json"]);
    r.assert_ok();
    single_json_line(&r.stdout)["versions"]
        .as_array()
        .expect("versions")
        .clone()
}

fn assert_verify_clean(sb: &Sandbox, home: &Path) {
    let r = sb.at(home, &["verify"]);
    r.assert_ok();
    assert!(r.stdout.contains("vault OK"), "{r:#?}");
}

/// `(path, kind)` of every problem `verify-bag --json` reported.
fn problems(doc: &Value) -> Vec<(String, String)> {
    doc["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["path"].as_str().unwrap().to_owned(),
                p["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn bag_path(bag: &Path, rel: &str) -> PathBuf {
    rel.split('/').fold(bag.to_owned(), |p, c| p.join(c))
}

/// The bag's record version directory `data/records/<id>/<version>`.
fn version_dir(id: &str, version: u32) -> String {
    format!("data/records/{id}/{version}")
}

// ---------------------------------------------------------------------------
// Bag surgery (as a tamperer would do it)
// ---------------------------------------------------------------------------

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Every regular file under `dir`, as bag paths, sorted.
fn bag_files(bag: &Path, under: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![bag_path(bag, under)];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(bag).unwrap().to_string_lossy().into_owned();
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

/// Rewrites `Payload-Oxum` to the payload as it is, then the tag manifest.
fn fix_oxum(bag: &Path) {
    let files = bag_files(bag, "data");
    let octets: u64 = files
        .iter()
        .map(|f| std::fs::metadata(bag_path(bag, f)).unwrap().len())
        .sum();
    let info = String::from_utf8(read(&bag.join("bag-info.txt"))).unwrap();
    let info: String = info
        .lines()
        .map(|l| {
            if l.starts_with("Payload-Oxum:") {
                format!("Payload-Oxum: {octets}.{}\n", files.len())
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(bag.join("bag-info.txt"), info).unwrap();
    write_manifest(
        bag,
        "tagmanifest-sha256.txt",
        &["bag-info.txt", "bagit.txt", "manifest-sha256.txt"],
    );
}

fn write_manifest(bag: &Path, name: &str, files: &[&str]) {
    let text: String = files
        .iter()
        .map(|f| format!("{}  {f}\n", sha256_hex(&read(&bag_path(bag, f)))))
        .collect();
    std::fs::write(bag.join(name), text).unwrap();
}

/// What a careful tamperer does after editing the payload: new manifest,
/// `Payload-Oxum` and tag manifest, so that only the evidence checks (entry,
/// proof, checkpoint) can catch the change.
fn reseal(bag: &Path) {
    let files = bag_files(bag, "data");
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    write_manifest(bag, "manifest-sha256.txt", &refs);
    fix_oxum(bag);
}

// ---------------------------------------------------------------------------
// The Library of Congress validator
// ---------------------------------------------------------------------------

/// `$PROBANT_BAGIT`, else what `scripts/ensure-python-tools.sh` installs.
/// Fails (never skips) when neither works: these runs are the evidence that
/// an independent validator accepts Probant's bags (DESIGN contract 4).
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
        "{} failed, so the Library of Congress BagIt validator is not available \
         (python3 with venv and pip, or set PROBANT_BAGIT to a bagit.py):\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// `bagit.py --validate BAG`: success, and everything it said.
fn loc_validate(bag: &Path) -> (bool, String) {
    let validator = bagit_validator();
    let out = Command::new(&validator)
        .arg("--validate")
        .arg(bag)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", validator.display()));
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), said)
}

// ---------------------------------------------------------------------------
// Round trip
// ---------------------------------------------------------------------------

/// The metadata that must survive A → bag → B unchanged: everything but
/// the journal index, the provenance (B adds the import) and the subject's
/// pseudonym (keyed per home).
fn kept(v: &Value) -> Value {
    let mut v = v.clone();
    let m = v.as_object_mut().unwrap();
    for k in ["journal_index", "provenance", "subject_pseudonym"] {
        m.remove(k);
    }
    v
}

/// AR-19, AR-20.12, N-5.11.13: home A → bag → home B keeps ids, versions,
/// digests and metadata; `verify` is clean on both; B's import entries name
/// the source log, checkpoint and entries; A journaled the export, durably,
/// inside the checkpoint the bag proves to.
#[test]
fn round_trip_home_a_to_bag_to_home_b_ar_19_ar_20_12() {
    let (sb, a) = ready();
    let b = sb.path("b");
    sb.init(&b, &[]);
    let ids = ingest_samples(&sb, &a);
    let (report, bag) = export(
        &sb,
        &a,
        &ids.iter().map(String::as_str).collect::<Vec<_>>(),
        "bag",
    );
    assert_eq!(report["versions"].as_array().unwrap().len(), 4, "{report}");
    let (r, doc) = verify_bag(&sb, &bag, Some(&vkey_of(&a)));
    assert_eq!(r.code, 0, "{r:#?}");
    assert_eq!(doc["records"].as_array().unwrap().len(), 4);
    let (ok, said) = loc_validate(&bag);
    assert!(
        ok && said.contains("is valid"),
        "bagit.py refused a fresh bag:\n{said}"
    );

    let r = sb.at(
        &b,
        &["import", s(&bag), "--vkey", s(&vkey_of(&a)), "--json"],
    );
    r.assert_ok();
    let imported = single_json_line(&r.stdout);
    assert_eq!(imported["versions"].as_array().unwrap().len(), 4);
    assert_eq!(imported["vkey_from_bag"], false);
    for id in &ids {
        let (va, vb) = (show(&sb, &a, id), show(&sb, &b, id));
        assert_eq!(va.len(), vb.len(), "{id}");
        for (x, y) in va.iter().zip(&vb) {
            assert_eq!(kept(x), kept(y), "record {id} changed on import");
            assert!(
                y.get("commitment_salt").is_none(),
                "the salt became metadata"
            );
            assert_eq!(y["provenance"]["event"], "import");
            let source = &y["provenance"]["source"];
            assert_eq!(source["origin"], report["origin"]);
            assert_eq!(source["checkpoint_size"], report["checkpoint_size"]);
            assert_eq!(source["entry_index"], x["journal_index"]);
            assert_eq!(source["provenance"], x["provenance"]);
        }
    }
    assert_verify_clean(&sb, &a);
    assert_verify_clean(&sb, &b);
    assert_import_entries(&sb, &b, &bag, &report);
    assert_export_entries(&sb, &a, &bag, &report);
    // The content reads back bit-identical from B.
    let out = sb.path("tiff-from-b");
    sb.at(&b, &["get", &ids[0], "-o", s(&out), "--purpose", "test"])
        .assert_ok();
    assert_eq!(read(&out), read(&sample("scan-page-001.tiff")));
    // B's imports are content-storing entries: B exports them with proofs.
    let (_, again) = export(&sb, &b, &["--all"], "bag-from-b");
    let (r, _) = verify_bag(&sb, &again, Some(&vkey_of(&b)));
    assert_eq!(r.code, 0, "{r:#?}");
}

/// Each `record.import` entry references the source log's origin, the
/// checkpoint (size and SHA-256 of the note) and the source entry, and
/// carries the content's SHA-256 (DESIGN contract 3).
fn assert_import_entries(sb: &Sandbox, b: &Path, bag: &Path, report: &Value) {
    let entries = sb.entries(b);
    let imports: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "record.import")
        .collect();
    assert_eq!(imports.len(), 4);
    let checkpoint = read(&bag_path(bag, "data/journal/checkpoint"));
    for v in report["versions"].as_array().unwrap() {
        let e = imports
            .iter()
            .find(|e| {
                e["resource"]["record"] == v["record_id"]
                    && e["resource"]["version"] == v["version"]
            })
            .expect("an import entry per exported version");
        assert_eq!(e["outcome"], "success");
        assert_eq!(e["resource"]["record"], v["record_id"]);
        assert_eq!(e["resource"]["version"], v["version"]);
        assert_eq!(e["resource"]["sha256"], v["sha256"]);
        let d = &e["details"];
        assert_eq!(d["source_origin"], report["origin"]);
        assert_eq!(d["source_checkpoint_size"], report["checkpoint_size"]);
        assert_eq!(d["source_checkpoint_sha256"], sha256_hex(&checkpoint));
        assert_eq!(d["source_entry_index"], v["stored_by"]);
    }
}

/// One `record.export` entry per version, granted under the legal basis,
/// with the export's id, all inside the bag's checkpoint; each commits to
/// the exact bytes of its version's metadata.json (salted), and proof.json
/// carries its inclusion proof as `export` (AR-19).
fn assert_export_entries(sb: &Sandbox, a: &Path, bag: &Path, report: &Value) {
    let entries = sb.entries(a);
    let exports: Vec<(usize, &Value)> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e["action"] == "record.export")
        .collect();
    assert_eq!(exports.len(), 4);
    for ((index, e), v) in exports.iter().zip(report["versions"].as_array().unwrap()) {
        assert_eq!(e["outcome"], "success");
        assert_eq!(e["legal_basis"], "own-records");
        assert_eq!(e["details"]["export_id"], report["export_id"]);
        assert_eq!(e["resource"]["record"], v["record_id"]);
        assert_eq!(*index as u64, v["export_entry"].as_u64().unwrap());
        assert!((*index as u64) < report["checkpoint_size"].as_u64().unwrap());
        let dir = version_dir(
            v["record_id"].as_str().unwrap(),
            v["version"].as_u64().unwrap() as u32,
        );
        let metadata = read(&bag_path(bag, &format!("{dir}/metadata.json")));
        assert_eq!(e["details"]["metadata_sha256"], sha256_hex(&metadata));
        let salt = serde_json::from_slice::<Value>(&metadata).unwrap()["commitment_salt"].clone();
        let salt = salt.as_str().expect("a commitment_salt");
        let hex = |b: u8| matches!(b, b'0'..=b'9' | b'a'..=b'f');
        assert!(salt.len() == 32 && salt.bytes().all(hex), "{salt}");
        let proof: Value =
            serde_json::from_slice(&read(&bag_path(bag, &format!("{dir}/proof.json")))).unwrap();
        assert_eq!(proof["index"], v["stored_by"]);
        assert_eq!(proof["export"]["index"], v["export_entry"]);
        assert_eq!(proof["export"]["checkpoint"], proof["checkpoint"]);
    }
}

/// N-5.11.13: without `--vkey` the bag's own key is used, and the verifier
/// says that this proves consistency, not origin; with another home's key
/// the bag is refused.
#[test]
fn verify_bag_says_when_it_used_the_bags_own_key_n_5_11_13() {
    let (sb, a) = ready();
    let id = id_of(&ingest(&sb, &a, &sample("attestation.pdf"), &[]));
    let (_, bag) = export(&sb, &a, &[&id], "bag");
    let r = sb.run(&["verify-bag", s(&bag)]);
    r.assert_ok();
    assert!(
        r.stdout.contains("valid bag: 1 record version(s)"),
        "{r:#?}"
    );
    assert!(r.stdout.contains("bag's own data/journal/vkey"), "{r:#?}");
    let (_, doc) = verify_bag(&sb, &bag, None);
    assert_eq!(doc["vkey_from_bag"], true);
    let other = sb.path("other");
    sb.init(&other, &[]);
    let (r, doc) = verify_bag(&sb, &bag, Some(&vkey_of(&other)));
    assert_eq!(r.code, 1);
    assert!(
        problems(&doc).contains(&("data/journal/vkey".into(), "mismatch".into())),
        "{doc}"
    );
}

// ---------------------------------------------------------------------------
// Tampering
// ---------------------------------------------------------------------------

/// A bag of the three samples and the tamper cases' fixture.
struct Tampered {
    sb: Sandbox,
    a: PathBuf,
    pristine: PathBuf,
    tiff: String,
}

impl Tampered {
    fn new() -> Self {
        let (sb, a) = ready();
        let ids = ingest_samples(&sb, &a);
        let (_, pristine) = export(&sb, &a, &["--all"], "pristine");
        Self {
            sb,
            a,
            pristine,
            tiff: version_dir(&ids[0], 1),
        }
    }

    /// A fresh copy of the bag to damage.
    fn copy(&self, name: &str) -> PathBuf {
        let bag = self.sb.path(name);
        copy_dir(&self.pristine, &bag);
        bag
    }

    /// `verify-bag` refuses the bag and names each `(path, kind)`.
    fn refused(&self, bag: &Path, expected: &[(&str, &str)]) {
        let (r, doc) = verify_bag(&self.sb, bag, Some(&vkey_of(&self.a)));
        assert_eq!(r.code, 1, "{r:#?}");
        assert_eq!(doc["valid"], false);
        let got = problems(&doc);
        for (path, kind) in expected {
            assert!(
                got.contains(&(path.to_string(), kind.to_string())),
                "{path}: {kind} not reported: {got:?}"
            );
        }
        let text = self.sb.run(&["verify-bag", s(bag)]);
        assert_eq!(text.code, 1);
        for (path, _) in expected {
            assert!(text.stderr.contains(path), "{path} not named: {text:#?}");
        }
    }
}

/// N-5.11.13: a flipped payload byte is named by verify-bag and by the LoC
/// validator.
#[test]
fn a_payload_byte_flipped_is_named_by_both_validators() {
    let t = Tampered::new();
    let bag = t.copy("flipped");
    let content = format!("{}/content.tiff", t.tiff);
    flip_byte(&bag_path(&bag, &content), 100);
    t.refused(&bag, &[(&content, "altered")]);
    let (ok, said) = loc_validate(&bag);
    assert!(!ok && said.contains(&content), "bagit.py:\n{said}");
}

/// AR-19: metadata edited (and the manifests resealed) no longer agrees
/// with the journal entry that stored the content.
#[test]
fn edited_metadata_is_named_even_when_resealed() {
    let t = Tampered::new();
    let bag = t.copy("metadata");
    let path = format!("{}/metadata.json", t.tiff);
    let mut meta: Value = serde_json::from_slice(&read(&bag_path(&bag, &path))).unwrap();
    meta["classification"] = json!("public");
    std::fs::write(
        bag_path(&bag, &path),
        serde_json::to_vec_pretty(&meta).unwrap(),
    )
    .unwrap();
    t.refused(&bag, &[(&path, "altered")]);
    reseal(&bag);
    t.refused(&bag, &[(&path, "mismatch")]);
}

/// AR-19, N-5.11.13: the subject edited in metadata.json and the bag
/// resealed (manifest-sha256.txt, tagmanifest-sha256.txt and Payload-Oxum
/// recomputed). The Library of Congress validator accepts the bag, as any
/// BagIt validator must: fixity proves the files unchanged since the last
/// seal, not who sealed them. `verify-bag` refuses it, naming metadata.json:
/// the file is not the one the sender's journal committed to at export; so
/// does an import, which would otherwise keep the forged subject.
#[test]
fn a_resealed_subject_edit_passes_bagit_but_not_verify_bag_ar_19() {
    let t = Tampered::new();
    let bag = t.copy("subject");
    let path = format!("{}/metadata.json", t.tiff);
    let mut meta: Value = serde_json::from_slice(&read(&bag_path(&bag, &path))).unwrap();
    assert_eq!(meta["subject"], NISS);
    meta["subject"] = json!(OTHER_NISS);
    std::fs::write(
        bag_path(&bag, &path),
        serde_json::to_vec_pretty(&meta).unwrap(),
    )
    .unwrap();
    reseal(&bag);
    let (ok, said) = loc_validate(&bag);
    assert!(
        ok && said.contains("is valid"),
        "bagit.py refused the resealed bag:\n{said}"
    );
    let (r, doc) = verify_bag(&t.sb, &bag, Some(&vkey_of(&t.a)));
    assert_eq!(r.code, 1, "{r:#?}");
    assert_eq!(
        problems(&doc),
        [(path.clone(), "mismatch".to_owned())],
        "{doc}"
    );
    let detail = doc["problems"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("differs from the digest journaled at export"),
        "{detail}"
    );
    let text =
        t.sb.run(&["verify-bag", s(&bag), "--vkey", s(&vkey_of(&t.a))]);
    assert_eq!(text.code, 1);
    assert!(text.stderr.contains(&path), "{text:#?}");
    for secret in [NISS, OTHER_NISS] {
        assert!(
            !text.stderr.contains(secret) && !text.stdout.contains(secret),
            "{text:#?}"
        );
    }
    let b = t.sb.path("b");
    t.sb.init(&b, &[]);
    let import = &mut t.sb.command_at(&b, &["import", s(&bag)]);
    let r = fails_unchanged(&b, import, "the bag does not verify", TRANSIENT);
    assert!(r.stderr.contains(&format!("{path}: mismatch")), "{r:#?}");
}

/// N-5.9.5: the entry inside a proof changed (resealed) does not hash to
/// the proven leaf.
#[test]
fn an_entry_changed_inside_proof_json_is_named() {
    let t = Tampered::new();
    let bag = t.copy("entry");
    let path = format!("{}/proof.json", t.tiff);
    let mut proof: Value = serde_json::from_slice(&read(&bag_path(&bag, &path))).unwrap();
    let entry = proof["entry"].as_str().unwrap().replace(ACTOR, "mallory");
    proof["entry"] = json!(entry);
    std::fs::write(bag_path(&bag, &path), serde_json::to_vec(&proof).unwrap()).unwrap();
    reseal(&bag);
    t.refused(&bag, &[(&path, "does not verify")]);
}

/// A hash of the inclusion path changed (resealed): the path no longer
/// leads to the signed root.
#[test]
fn a_proof_hash_changed_is_named() {
    let t = Tampered::new();
    let bag = t.copy("hash");
    let path = format!("{}/proof.json", t.tiff);
    let mut proof: Value = serde_json::from_slice(&read(&bag_path(&bag, &path))).unwrap();
    let first = proof["inclusion"][0]
        .as_str()
        .expect("a non-empty path")
        .to_owned();
    let changed = if first.starts_with('A') { "B" } else { "A" }.to_owned() + &first[1..];
    proof["inclusion"][0] = json!(changed);
    std::fs::write(bag_path(&bag, &path), serde_json::to_vec(&proof).unwrap()).unwrap();
    reseal(&bag);
    t.refused(&bag, &[(&path, "does not verify")]);
}

/// The checkpoint's signature altered (resealed): the checkpoint does not
/// verify, and no proof leads to it any more.
#[test]
fn a_checkpoint_signature_altered_is_named() {
    let t = Tampered::new();
    let bag = t.copy("signature");
    let path = bag_path(&bag, "data/journal/checkpoint");
    let note = String::from_utf8(read(&path)).unwrap();
    let sig_line = note.lines().last().unwrap().to_owned();
    let base64 = sig_line.rsplit(' ').next().unwrap();
    let mut chars: Vec<char> = base64.chars().collect();
    chars[10] = if chars[10] == 'A' { 'B' } else { 'A' };
    let altered = sig_line.replace(base64, &chars.iter().collect::<String>());
    std::fs::write(&path, note.replace(&sig_line, &altered)).unwrap();
    reseal(&bag);
    t.refused(&bag, &[("data/journal/checkpoint", "does not verify")]);
}

/// An extra file is named by verify-bag, and by the LoC validator once
/// `Payload-Oxum` agrees (bagit.py stops at it before naming files).
#[test]
fn an_extra_file_is_named_by_both_validators() {
    let t = Tampered::new();
    let bag = t.copy("extra");
    let extra = format!("{}/notes.txt", t.tiff);
    std::fs::write(bag_path(&bag, &extra), "added later").unwrap();
    t.refused(&bag, &[(&extra, "added")]);
    let (ok, said) = loc_validate(&bag);
    assert!(!ok && said.contains("Payload-Oxum"), "{said}");
    fix_oxum(&bag);
    let (ok, said) = loc_validate(&bag);
    assert!(!ok && said.contains(&extra), "bagit.py:\n{said}");
}

/// A missing file is named by verify-bag, and by the LoC validator once
/// `Payload-Oxum` agrees.
#[test]
fn a_missing_file_is_named_by_both_validators() {
    let t = Tampered::new();
    let bag = t.copy("missing");
    let gone = format!("{}/proof.json", t.tiff);
    std::fs::remove_file(bag_path(&bag, &gone)).unwrap();
    t.refused(&bag, &[(&gone, "missing")]);
    fix_oxum(&bag);
    let (ok, said) = loc_validate(&bag);
    assert!(!ok && said.contains(&gone), "bagit.py:\n{said}");
}

/// AR-19: an import refuses a bag that does not verify (every problem
/// named), one under another journal's key, and one already imported; the
/// importing home is unchanged each time.
#[test]
fn import_refuses_a_bag_that_does_not_verify_and_changes_nothing() {
    let t = Tampered::new();
    let b = t.sb.path("b");
    t.sb.init(&b, &[]);
    let bag = t.copy("flipped");
    let content = format!("{}/content.tiff", t.tiff);
    flip_byte(&bag_path(&bag, &content), 100);
    let r = fails_unchanged(
        &b,
        &mut t.sb.command_at(&b, &["import", s(&bag)]),
        "the bag does not verify",
        TRANSIENT,
    );
    assert!(r.stderr.contains(&format!("{content}: altered")), "{r:#?}");
    fails_unchanged(
        &b,
        &mut t
            .sb
            .command_at(&b, &["import", s(&t.pristine), "--vkey", s(&vkey_of(&b))]),
        "data/journal/vkey: mismatch",
        TRANSIENT,
    );
    t.sb.at(&b, &["import", s(&t.pristine)]).assert_ok();
    fails_unchanged(
        &b,
        &mut t.sb.command_at(&b, &["import", s(&t.pristine)]),
        "exists already in this home",
        TRANSIENT,
    );
}

// ---------------------------------------------------------------------------
// Authorisation
// ---------------------------------------------------------------------------

/// N-5.6.4, N-5.9.5: an export is authorised and journaled like a read. An
/// unregistered actor and an uncovered legal basis are refused, each
/// refusal journaled, and no bag (nor a partial one) is written; an absent
/// record and an existing output are refused too.
#[test]
fn export_refusals_are_journaled_and_write_nothing() {
    let (sb, a) = ready();
    let id = id_of(&ingest(&sb, &a, &sample("attestation.pdf"), &[]));
    let bag = sb.path("bag");
    sb.at(&a, &["--as", "mallory", "export", &id, "-o", s(&bag)])
        .assert_fails_with("actor \"mallory\" is not registered in this home");
    sb.at(
        &a,
        &["export", &id, "-o", s(&bag), "--legal-basis", "22/123"],
    )
    .assert_fails_with("access denied");
    sb.at(
        &a,
        &[
            "export",
            "01a00000-0000-7000-8000-000000000000",
            "-o",
            s(&bag),
        ],
    )
    .assert_fails_with("no record");
    sb.at(&a, &["export", "-o", s(&bag)])
        .assert_fails_with("nothing selected");
    let leftovers: Vec<_> = std::fs::read_dir(sb.path(""))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("bag"))
        .collect();
    assert!(leftovers.is_empty(), "a refused export left {leftovers:?}");
    std::fs::create_dir(&bag).unwrap();
    sb.at(&a, &["export", &id, "-o", s(&bag)])
        .assert_fails_with("exists");
    let entries = sb.entries(&a);
    let denials: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "authz.deny" && e["details"]["requested"] == "record.export")
        .collect();
    assert_eq!(denials.len(), 2, "{denials:#?}");
    assert_eq!(denials[0]["actor"]["id"], "mallory");
    assert_eq!(denials[0]["details"]["reason"], "unknown-principal");
    assert_eq!(denials[1]["actor"]["id"], ACTOR);
    assert_eq!(denials[1]["resource"]["record"], id.as_str());
    assert!(entries
        .iter()
        .any(|e| e["action"] == "record.export" && e["outcome"] == "failure"));
    assert!(!entries
        .iter()
        .any(|e| e["action"] == "record.export" && e["outcome"] == "success"));
}

/// Whether `dir` holds a partial bag (a hidden `…probant-partial-…`
/// directory) with some content written.
fn partial_bags(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && s(p).contains(".probant-partial-"))
        .collect()
}

/// Ingests `count` text files of `lines` lines (original ids `BATCH/…`).
fn ingest_many(sb: &Sandbox, home: &Path, count: usize, lines: usize) {
    let src = sb.many_texts(count, lines);
    let args = [
        "ingest",
        s(&src),
        "--subject",
        NISS,
        "--type",
        "scan",
        "--original-id",
        "BATCH",
        "--classification",
        "internal",
    ];
    sb.at(home, &args).assert_ok();
}

/// A real SIGKILL in the middle of an export leaves its partial bag, with
/// records in clear (mode 0700); the next command on the home, whatever it
/// is, removes it, says so, and journals that the killed export delivered
/// nothing. No plaintext is left behind for good.
#[test]
fn a_killed_exports_partial_bag_is_removed_by_the_next_command() {
    let (sb, a) = ready();
    ingest_many(&sb, &a, 60, 40_000);
    let out = sb.path("out");
    std::fs::create_dir(&out).unwrap();
    let mut killed = false;
    for attempt in 0..10 {
        let bag = out.join(format!("bag-{attempt}"));
        let mut child = sb
            .command_at(&a, &["export", "--all", "-o", s(&bag)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        while child.try_wait().unwrap().is_none() {
            let started = partial_bags(&out).iter().any(|p| {
                p.join("data/records")
                    .read_dir()
                    .is_ok_and(|mut d| d.next().is_some())
            });
            if started {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                killed = true;
                break;
            }
        }
        if killed {
            break;
        }
        std::fs::remove_dir_all(&bag).unwrap(); // finished first: try again
    }
    assert!(killed, "no export could be caught in the middle");
    let left = partial_bags(&out);
    assert_eq!(left.len(), 1, "the kill left its partial bag: {left:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&left[0]).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o700,
            "records in clear are the owner's alone"
        );
    }
    let registered = || {
        std::fs::read_dir(sb.home().join("exports-running"))
            .unwrap()
            .count()
    };
    assert_eq!(
        registered(),
        1,
        "the killed export is in the home's register"
    );
    // Any command: a search, which knows nothing of the output directory.
    let first = sb.at(&a, &["search", "--original-id", "BATCH/000.txt", "--json"]);
    let first = first.assert_ok();
    assert!(
        partial_bags(&out).is_empty(),
        "removed when the home opened"
    );
    assert!(
        first
            .stderr
            .contains("left behind by an export that was killed"),
        "{}",
        first.stderr
    );
    assert_eq!(registered(), 0);
    let id = single_json_line(&first.stdout)["record_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let next = sb.at(&a, &["export", &id, "-o", s(&out.join("next")), "--json"]);
    let report = single_json_line(&next.assert_ok().stdout);
    assert_eq!(report["stale_partials_removed"], 0, "{report}");
    assert_eq!(registered(), 0, "a delivered export leaves no entry");
    // The killed export had journaled its versions as exported (before any
    // content); the cleanup says that nothing was delivered, naming it.
    let entries = sb.entries(&a);
    let killed: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            e["action"] == "record.export"
                && e["malfunction"]
                    .as_str()
                    .is_some_and(|m| m.contains("was killed"))
        })
        .collect();
    assert_eq!(killed.len(), 1, "{killed:#?}");
    let killed_id = &killed[0]["details"]["export_id"];
    assert_ne!(killed_id, &report["export_id"]);
    assert!(entries.iter().any(|e| e["action"] == "record.export"
        && e["outcome"] == "success"
        && &e["details"]["export_id"] == killed_id));
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["next"], "nothing else is left beside the bag");
}

// ---------------------------------------------------------------------------
// prove / verify-proof
// ---------------------------------------------------------------------------

/// N-5.11.13, DESIGN contract 5: `prove` gives one document that
/// `verify-proof` checks offline, with the record's metadata tied to the
/// journaled entry and, with `--content`, the file to the record; no
/// personal identifier leaves in clear; the proof is journaled as a show.
#[test]
fn prove_and_verify_proof_round_trip_n_5_11_13() {
    let (sb, a) = ready();
    let id = id_of(&ingest(&sb, &a, &sample("attestation.pdf"), &[]));
    let r = sb.at(&a, &["prove", &id, "--json"]);
    r.assert_ok();
    let doc = single_json_line(&r.stdout);
    for secret in [NISS, "Janssens", "JANSSENS", "attestation.pdf"] {
        assert!(!r.stdout.contains(secret), "the proof leaks {secret:?}");
    }
    assert_eq!(
        doc["record"]["sha256"],
        sha256_hex(&read(&sample("attestation.pdf")))
    );
    let file = sb.path("proof.json");
    sb.at(&a, &["prove", &id, "-o", s(&file)]).assert_ok();
    let vkey = vkey_of(&a);
    let ok = sb.run(&[
        "verify-proof",
        s(&file),
        "--vkey",
        s(&vkey),
        "--content",
        s(&sample("attestation.pdf")),
    ]);
    ok.assert_ok();
    assert!(
        ok.stdout
            .contains("is what that entry (record.ingest) recorded"),
        "{ok:#?}"
    );
    sb.run(&[
        "verify-proof",
        s(&file),
        "--vkey",
        s(&vkey),
        "--content",
        s(&sample("message.xml")),
    ])
    .assert_fails_with("is not the record's content");
    for (field, value) in [
        ("sha256", json!("00".repeat(32))),
        ("version", json!(2)),
        ("doc_type", json!("other")),
        ("subject_pseudonym", json!("ab")),
    ] {
        let mut bad: Value = serde_json::from_slice(&read(&file)).unwrap();
        bad["record"][field] = value;
        let path = sb.path(&format!("bad-{field}.json"));
        std::fs::write(&path, serde_json::to_vec(&bad).unwrap()).unwrap();
        sb.run(&["verify-proof", s(&path), "--vkey", s(&vkey)])
            .assert_fails_with(&format!("INVALID: the record's {field}"));
    }
    let entries = sb.entries(&a);
    let shows: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "record.show")
        .collect();
    assert_eq!(shows.len(), 2);
    assert_eq!(shows[0]["details"]["proof_of"], doc["index"]);
}

/// Bad input: `prove` of an absent record is refused (and journaled as a
/// failure); `--content` without a prove document is refused.
#[test]
fn prove_refuses_an_absent_record_and_content_without_a_record() {
    let (sb, a) = ready();
    sb.at(&a, &["prove", "01a00000-0000-7000-8000-000000000000"])
        .assert_fails_with("no record");
    let r = sb.at(&a, &["journal", "proof", "--index", "0", "--json"]);
    r.assert_ok();
    let file = sb.path("plain.json");
    std::fs::write(&file, r.stdout).unwrap();
    sb.at(
        &a,
        &[
            "verify-proof",
            s(&file),
            "--content",
            s(&sample("message.xml")),
        ],
    )
    .assert_fails_with("--content needs a document made by `probant prove`");
}

// ---------------------------------------------------------------------------
// Migration
// ---------------------------------------------------------------------------

/// Decoded samples of the first image of a TIFF: width, height, samples.
fn tiff_pixels(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut d = tiff::decoder::Decoder::new(std::io::Cursor::new(bytes)).unwrap();
    let (w, h) = d.dimensions().unwrap();
    match d.read_image().unwrap() {
        tiff::decoder::DecodingResult::U8(v) => (w, h, v),
        other => panic!(
            "unexpected sample type {:?}",
            std::mem::discriminant(&other)
        ),
    }
}

fn png_pixels(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut r = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn get_version(sb: &Sandbox, home: &Path, id: &str, version: u32) -> Vec<u8> {
    let out = sb.path(&format!("{id}-v{version}"));
    sb.at(
        home,
        &[
            "get",
            id,
            "--version",
            &version.to_string(),
            "-o",
            s(&out),
            "--purpose",
            "test",
        ],
    )
    .assert_ok();
    read(&out)
}

/// AR-16, AR-20.12: TIFF → PNG makes version 2 with identical pixels
/// (decoded here with the tiff and png crates); version 1 is untouched and
/// still verifies; the provenance names source, tool and a PREMIS event;
/// `record.migrate` is journaled with both digests; the migrated record
/// exports, verifies and imports like any other.
#[test]
fn migrate_tiff_to_png_is_a_lossless_new_version_ar_16_ar_20_12() {
    let (sb, a) = ready();
    let id = id_of(&ingest(&sb, &a, &sample("scan-page-001.tiff"), &[]));
    let r = sb.at(
        &a,
        &[
            "migrate", "--from", "tiff", "--to", "png", "--record", &id, "--json",
        ],
    );
    r.assert_ok();
    let m = &single_json_line(&r.stdout)["migrated"];
    assert_eq!(
        (m["version"].as_u64(), m["lossless"].as_bool()),
        (Some(2), Some(true)),
        "{m}"
    );
    let (v1, v2) = (get_version(&sb, &a, &id, 1), get_version(&sb, &a, &id, 2));
    assert_eq!(v1, read(&sample("scan-page-001.tiff")), "version 1 changed");
    assert_eq!(tiff_pixels(&v1), png_pixels(&v2), "pixels differ");
    assert_eq!(m["sha256"], sha256_hex(&v2));
    let versions = show(&sb, &a, &id);
    let p = &versions[1]["provenance"];
    assert_eq!(
        (p["event"].as_str(), p["source_version"].as_u64()),
        (Some("migration"), Some(1))
    );
    assert_eq!(p["source_sha256"], versions[0]["sha256"]);
    assert!(p["tool"].as_str().unwrap().contains("probant-formats"));
    assert_eq!(p["premis"]["eventType"], "migration");
    assert_eq!(
        p["premis"]["linkingObjects"][1]["sha256"],
        versions[1]["sha256"]
    );
    assert_eq!(versions[1]["format"]["pronom"], "fmt/13");
    assert_eq!(versions[1]["previous_version"], 1);
    assert_eq!(versions[0]["provenance"]["event"], "capture");
    assert_verify_clean(&sb, &a);
    let entries = sb.entries(&a);
    let e = entries
        .iter()
        .find(|e| e["action"] == "record.migrate")
        .expect("record.migrate");
    assert_eq!(e["resource"]["sha256"], versions[1]["sha256"]);
    assert_eq!(e["details"]["source_sha256"], versions[0]["sha256"]);
    assert_eq!(e["details"]["lossless"], true);
    let (_, bag) = export(&sb, &a, &[&id], "bag");
    assert!(bag_path(&bag, &format!("{}/content.png", version_dir(&id, 2))).exists());
    assert_eq!(verify_bag(&sb, &bag, Some(&vkey_of(&a))).0.code, 0);
    let b = sb.path("b");
    sb.init(&b, &[]);
    sb.at(&b, &["import", s(&bag)]).assert_ok();
    assert_verify_clean(&sb, &b);
}

/// A TIFF of two 4×3 grey pages.
fn two_page_tiff() -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut enc = tiff::encoder::TiffEncoder::new(&mut bytes).unwrap();
    for page in 0..2u8 {
        let pixels: Vec<u8> = (0..12).map(|i| i * 20 + page).collect();
        enc.write_image::<tiff::encoder::colortype::Gray8>(4, 3, &pixels)
            .unwrap();
    }
    bytes.into_inner()
}

/// AR-20.12: a migration that would lose page 2 is refused unless
/// `--allow-lossy`, nothing stored (the refusal journaled as a failure);
/// allowed, it is recorded as lossy with the loss named. A record not in
/// the source format is refused when named.
#[test]
fn a_lossy_migration_is_refused_unless_allowed_ar_20_12() {
    let (sb, a) = ready();
    let file = sb.path("two-pages.tiff");
    std::fs::write(&file, two_page_tiff()).unwrap();
    let id = id_of(&ingest(&sb, &a, &file, &[]));
    let migrate = |extra: &[&str]| {
        sb.command_at(
            &a,
            &[
                &["migrate", "--from", "tiff", "--to", "png", "--record", &id][..],
                extra,
            ]
            .concat(),
        )
    };
    let r = fails_unchanged(
        &a,
        &mut migrate(&[]),
        "would lose information",
        &["journal", "catalog.sqlite-wal", "catalog.sqlite-shm"],
    );
    assert!(r.stderr.contains("page 2 is lost"), "{r:#?}");
    assert_eq!(show(&sb, &a, &id).len(), 1);
    let r = common::run(&mut migrate(&["--allow-lossy", "--json"]));
    r.assert_ok();
    let m = &single_json_line(&r.stdout)["migrated"];
    assert_eq!(m["lossless"], false);
    assert!(
        m["losses"][0].as_str().unwrap().contains("page 2 is lost"),
        "{m}"
    );
    let versions = show(&sb, &a, &id);
    assert_eq!(versions[1]["provenance"]["lossless"], false);
    assert!(versions[1]["provenance"]["premis"]["eventOutcome"]
        .as_str()
        .unwrap()
        .contains("lossy"));
    let entries = sb.entries(&a);
    let migrations: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "record.migrate")
        .collect();
    assert_eq!(migrations.len(), 2);
    assert_eq!(migrations[0]["outcome"], "failure");
    assert_eq!(migrations[1]["outcome"], "success");
    let pdf = id_of(&ingest(&sb, &a, &sample("attestation.pdf"), &[]));
    sb.at(
        &a,
        &["migrate", "--from", "tiff", "--to", "png", "--record", &pdf],
    )
    .assert_fails_with("is not recorded as TIFF");
}

/// Ctrl-C (a real SIGINT) in the middle of an export: exit 130, no bag,
/// no partial directory (records in clear) and no register entry left,
/// and a `record.export` failure per version saying nothing was delivered.
#[test]
fn ctrl_c_stops_an_export_leaving_nothing() {
    let (sb, a) = ready();
    ingest_many(&sb, &a, 60, 40_000);
    let out = sb.path("out");
    std::fs::create_dir(&out).unwrap();
    for attempt in 0..10 {
        let bag = out.join(format!("bag-{attempt}"));
        let mut child = sb
            .command_at(&a, &["export", "--all", "-o", s(&bag)])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut signalled = false;
        while child.try_wait().unwrap().is_none() {
            let started = partial_bags(&out).iter().any(|p| {
                p.join("data/records")
                    .read_dir()
                    .is_ok_and(|mut d| d.next().is_some())
            });
            if started {
                let kill = std::process::Command::new("kill")
                    .args(["-INT", &child.id().to_string()])
                    .status()
                    .unwrap();
                assert!(kill.success());
                signalled = true;
                break;
            }
        }
        let done = child.wait_with_output().unwrap();
        if !signalled || done.status.code() == Some(0) {
            if bag.exists() {
                std::fs::remove_dir_all(&bag).unwrap(); // finished first: again
            }
            continue;
        }
        let stderr = String::from_utf8_lossy(&done.stderr);
        assert_eq!(done.status.code(), Some(130), "{stderr}");
        assert!(stderr.contains("interrupted"), "{stderr}");
        assert!(!bag.exists() && partial_bags(&out).is_empty());
        let names: Vec<_> = std::fs::read_dir(&out).unwrap().flatten().collect();
        assert!(names.is_empty(), "nothing beside: {names:?}");
        let register = std::fs::read_dir(a.join("exports-running"))
            .unwrap()
            .count();
        assert_eq!(register, 0);
        let entries = sb.entries(&a);
        let undelivered = entries
            .iter()
            .filter(|e| {
                e["action"] == "record.export"
                    && e["outcome"] == "failure"
                    && e["malfunction"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("nothing delivered"))
            })
            .count();
        assert_eq!(undelivered, 60, "one per version");
        return;
    }
    panic!("no export could be interrupted in the middle");
}

/// A real SIGKILL in the middle of an import: the next command on the
/// receiving home undoes what the killed import had stored or journaled
/// without cataloguing it (the same recovery as a killed ingest), and
/// `verify` finds that home consistent.
#[test]
fn a_killed_import_is_undone_by_the_next_command() {
    let (sb, a) = ready();
    ingest_many(&sb, &a, 300, 4_000);
    let bag = sb.path("bag");
    sb.at(&a, &["export", "--all", "-o", s(&bag)]).assert_ok();
    for attempt in 0..20 {
        let b = sb.path(&format!("b-{attempt}"));
        sb.init(&b, &[]);
        let mut child = sb
            .command_at(&b, &["import", s(&bag)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        while child.try_wait().unwrap().is_none() {
            let stored = b
                .join("blobs/records")
                .read_dir()
                .is_ok_and(|shards| shards.flatten().count() > 8);
            if stored {
                child.kill().unwrap(); // SIGKILL
                break;
            }
        }
        child.wait().unwrap();
        if blob_files(&b) == catalogued(&b) {
            continue; // finished, or killed with nothing to undo: again
        }
        let next = sb.at(&b, &["search", "--original-id", "none", "--json"]);
        assert!(next.stderr.contains("was killed; undone"), "{next:#?}");
        let verify = sb.at(&b, &["verify"]);
        assert_eq!(verify.code, 0, "{verify:#?}");
        assert_eq!(blob_files(&b), catalogued(&b));
        return;
    }
    panic!("no import could be killed with something to undo in 20 attempts");
}
