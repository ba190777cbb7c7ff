//! End-to-end tests of `probant ingest | get | search | show | verify` (the
//! vault on the embedded default: SQLite catalog, local blobs), run as the
//! built binary in a sandbox per test (see `common`): `PROBANT_ACTOR=alice`,
//! own `$XDG_CONFIG_HOME` and `$HOME`, no `PROBANT_*` inherited, stdin null.
//!
//! What they hold the vault to: content read back bit-identical (AR-3.2,
//! AR-13.2); formats identified and validated, bad ones refused (AR-16); the
//! original's id and late recording kept (AR-17); records findable by their
//! metadata (AR-19); every access journaled, a read before its content
//! leaves (N-5.9.5); nothing readable about the subject or the content on
//! disk (CC-7.a.i); batch original ids (DESIGN contract 8); corruption named
//! by `verify` and bad input refused without changing anything (DESIGN
//! "Reliability rules").
#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{
    blob_files, catalogued, fails_unchanged, flip_byte, list_files, single_json_line, Run, Sandbox,
};
use serde_json::{json, Value};

/// A valid (made-up) national number, and the same with separators.
const NISS: &str = "85073003328";
const NISS_DOTTED: &str = "85.07.30-033.28";
/// Another valid one: 97 − (900101001 mod 97) = 23.
const NISS2: &str = "90010100123";
/// What a refused command may still change: the journal (refusals may be
/// journaled) and SQLite's transient files.
const VOLATILE: &[&str] = &["journal", "catalog.sqlite-wal", "catalog.sqlite-shm"];

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../samples")
        .join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// A sandbox with an initialised home.
fn ready() -> (Sandbox, PathBuf) {
    let sb = Sandbox::new();
    sb.init_home();
    let home = sb.home();
    (sb, home)
}

/// Ingest arguments for `file`: subject NISS, type scan, classification internal.
fn meta<'a>(file: &'a str, original_id: &'a str) -> Vec<&'a str> {
    vec![
        file,
        "--subject",
        NISS,
        "--type",
        "scan",
        "--original-id",
        original_id,
        "--classification",
        "internal",
    ]
}

/// `meta(file, "P-9")` with `flag` set to `value` (replaced, or added).
fn with(file: &str, flag: &str, value: &str) -> Vec<String> {
    let mut a: Vec<String> = meta(file, "P-9").into_iter().map(String::from).collect();
    match a.iter().position(|x| x == flag) {
        Some(i) => a[i + 1] = value.into(),
        None => a.extend([flag.into(), value.into()]),
    }
    a
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// `ingest --json ARGS` of one file: succeeds with one `ok` line.
fn ingest(sb: &Sandbox, home: &Path, args: &[&str]) -> Value {
    let r = sb.at(home, &[&["ingest", "--json"], args].concat());
    r.assert_ok();
    let doc = single_json_line(&r.stdout);
    assert_eq!(doc["ok"], true, "{doc}");
    doc
}

fn id_of(doc: &Value) -> String {
    doc["id"].as_str().expect("an id").to_owned()
}

/// `search --json ARGS`: the results.
fn search(sb: &Sandbox, home: &Path, args: &[&str]) -> Vec<Value> {
    let r = sb.at(home, &[&["search", "--json"], args].concat());
    r.assert_ok();
    common::json_lines(&r.stdout)
}

/// The record ids `search ARGS` finds, in its order.
fn found(sb: &Sandbox, home: &Path, args: &[&str]) -> Vec<String> {
    search(sb, home, args)
        .iter()
        .map(|r| r["record_id"].as_str().expect("record_id").to_owned())
        .collect()
}

/// `show ID --json`: its versions.
fn show(sb: &Sandbox, home: &Path, id: &str) -> Vec<Value> {
    let r = sb.at(home, &["show", id, "--json"]);
    r.assert_ok();
    let doc = single_json_line(&r.stdout);
    assert_eq!(doc["record_id"], id);
    doc["versions"].as_array().expect("versions").clone()
}

/// `get ID -o <sandbox>/rel --purpose testing EXTRA`.
fn get(sb: &Sandbox, home: &Path, id: &str, rel: &str, extra: &[&str]) -> (Run, PathBuf) {
    let out = sb.path(rel);
    let r = sb.at(
        home,
        &[&["get", id, "-o", s(&out), "--purpose", "testing"], extra].concat(),
    );
    (r, out)
}

fn sha256_hex(bytes: &[u8]) -> String {
    probant_verify::hash::to_hex(&probant_verify::hash::sha256(bytes))
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// The three samples ingested (TIFF, PDF, XML); their ingest lines.
fn ingest_samples(sb: &Sandbox, home: &Path) -> Vec<Value> {
    ["scan-page-001.tiff", "attestation.pdf", "message.xml"]
        .iter()
        .map(|f| ingest(sb, home, &meta(s(&sample(f)), "P-1")))
        .collect()
}

/// (versions checked, search results): what a refused command must not change.
fn counts(sb: &Sandbox, home: &Path) -> (u64, usize) {
    let r = sb.at(home, &["verify", "--json"]);
    r.assert_ok();
    let v = single_json_line(&r.stdout)["report"]["versions_checked"]
        .as_u64()
        .expect("versions_checked");
    (v, search(sb, home, &[]).len())
}

/// The blob file of a record version, found by name whatever the sharding.
fn blob_of(home: &Path, id: &str, version: u32) -> PathBuf {
    let v = format!("v{version}");
    let files: Vec<PathBuf> = list_files(&home.join("blobs"))
        .into_iter()
        .filter(|p| s(p).contains(id) && s(p).ends_with(&v))
        .collect();
    assert_eq!(files.len(), 1, "one blob for {id} {v}: {files:?}");
    files[0].clone()
}

/// Runs one SQL statement changing exactly one row of the catalog, as a
/// database administrator could (python3's sqlite3 module).
fn sql(db: &Path, statement: &str) {
    let code = "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\n\
                assert c.execute(sys.argv[2]).rowcount==1\nc.commit()\nc.close()";
    let st = Command::new("python3")
        .args(["-c", code])
        .arg(db)
        .arg(statement)
        .status()
        .expect("python3 (with its sqlite3 module) runs");
    assert!(st.success(), "{statement} failed");
}

/// The record.* entries of the journal with `action`.
fn entries_of<'a>(entries: &'a [Value], action: &str) -> Vec<&'a Value> {
    entries.iter().filter(|e| e["action"] == action).collect()
}

fn assert_pseudonym(v: &Value) {
    let p = v.as_str().unwrap_or_else(|| panic!("a pseudonym: {v}"));
    assert!(
        p.len() == 64
            && p.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "resource.subject is a 64-hex pseudonym: {p}"
    );
}

/// No trace of `needles` in the outputs of `r`.
fn assert_not_echoed(r: &Run, needles: &[&str]) {
    for n in needles {
        assert!(
            !r.stdout.contains(n) && !r.stderr.contains(n),
            "the output repeats {n:?} (CC-7.a): {r:#?}"
        );
    }
}

// ----- 1. ingest and get -------------------------------------------------

/// AR-16, AR-3.2: `ingest --json` prints one line per file: ok, a UUIDv7
/// id, version 1, the file's SHA-256 and size, its PRONOM id and media
/// type (TIFF fmt/353, PDF/A-2b fmt/477, XML fmt/101), validated, and the
/// journal index of its `record.ingest` entry.
#[test]
fn ingest_json_reports_id_sha256_format_and_journal_index() {
    let (sb, home) = ready();
    let lines = ingest_samples(&sb, &home);
    let expected = [
        ("scan-page-001.tiff", "fmt/353", "image/tiff"),
        ("attestation.pdf", "fmt/477", "application/pdf"),
        ("message.xml", "fmt/101", "application/xml"),
    ];
    let entries = sb.entries(&home);
    let mut last = 0;
    for (doc, (file, pronom, media)) in lines.iter().zip(expected) {
        let bytes = read(&sample(file));
        let id = uuid::Uuid::parse_str(&id_of(doc)).expect("a UUID");
        assert_eq!(id.get_version_num(), 7, "a UUIDv7: {doc}");
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["sha256"], sha256_hex(&bytes));
        assert_eq!(doc["size"], bytes.len());
        assert_eq!(doc["format"], pronom, "{file}");
        assert_eq!(doc["media_type"], media, "{file}");
        assert_eq!(doc["validated"], true);
        assert_eq!(doc["recorded_late"], false);
        let index = doc["journal_index"].as_u64().expect("journal_index");
        assert!(index > last, "journal indices increase");
        last = index;
        let e = &entries[index as usize];
        assert_eq!(e["action"], "record.ingest");
        assert_eq!(e["outcome"], "success");
        assert_eq!(e["resource"]["record"], id.to_string());
        assert_eq!(e["resource"]["sha256"], doc["sha256"]);
    }
}

/// AR-3.2, AR-13.2: `get ID -o F --purpose P` writes the content
/// bit-identical to the file ingested, and reports its SHA-256.
#[test]
fn get_writes_the_content_bit_identical() {
    let (sb, home) = ready();
    for (doc, f) in ingest_samples(&sb, &home)
        .iter()
        .zip(["a.tiff", "b.pdf", "c.xml"])
    {
        let (r, out) = get(&sb, &home, &id_of(doc), f, &["--json"]);
        r.assert_ok();
        let got = single_json_line(&r.stdout);
        assert_eq!(got["sha256"], doc["sha256"]);
        assert_eq!(got["version"], 1);
        assert_eq!(sha256_hex(&read(&out)), doc["sha256"].as_str().unwrap());
        let original = doc["file"].as_str().expect("file");
        assert!(read(&out) == read(Path::new(original)), "{f} differs");
    }
}

/// `get` never overwrites: an existing `-o` file is refused (exit 1), left
/// as it was, and the home is unchanged.
#[test]
fn get_refuses_to_overwrite_an_existing_file() {
    let (sb, home) = ready();
    let id = id_of(&ingest(&sb, &home, &meta(s(&sample("message.xml")), "P-1")));
    let out = sb.write("out.xml", "keep me\n");
    let mut c = sb.command_at(&home, &["get", &id, "-o", s(&out), "--purpose", "x"]);
    fails_unchanged(&home, &mut c, "refusing to overwrite", VOLATILE);
    assert_eq!(read(&out), b"keep me\n");
}

/// N-5.9.5: every read states why: `get` without `--purpose` is refused by
/// the argument parser (exit 2), writes nothing and journals no read.
#[test]
fn get_without_purpose_is_refused() {
    let (sb, home) = ready();
    let id = id_of(&ingest(&sb, &home, &meta(s(&sample("message.xml")), "P-1")));
    let out = sb.path("out.xml");
    let r = sb.at(&home, &["get", &id, "-o", s(&out)]);
    assert_eq!(r.code, 2, "{r:#?}");
    assert!(r.stderr.contains("--purpose"), "{r:#?}");
    assert!(!out.exists());
    assert!(entries_of(&sb.entries(&home), "record.read").is_empty());
}

// ----- 2. directory ingest -----------------------------------------------

/// DESIGN contract 8, AR-17, AR-16: a directory is ingested recursively,
/// each file's original id `ID/<relative path>`; an invalid file (a
/// truncated TIFF) fails alone (one error line, exit 1) and leaves nothing:
/// no record, no blob, `verify` clean.
#[test]
fn directory_ingest_names_originals_by_relative_path_and_a_bad_file_fails_alone() {
    let (sb, home) = ready();
    let dir = sb.path("box");
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::create_dir_all(dir.join("b/c")).unwrap();
    std::fs::copy(sample("attestation.pdf"), dir.join("a/attestation.pdf")).unwrap();
    std::fs::copy(sample("message.xml"), dir.join("b/c/message.xml")).unwrap();
    let tiff = read(&sample("scan-page-001.tiff"));
    std::fs::write(dir.join("b/bad.tiff"), &tiff[..tiff.len() / 2]).unwrap();

    let r = sb.at(
        &home,
        &[&["ingest", "--json"], &meta(s(&dir), "BOX7")[..]].concat(),
    );
    assert_eq!(r.code, 1, "{r:#?}");
    let lines = common::json_lines(&r.stdout);
    assert_eq!(lines.len(), 3, "{r:#?}");
    let (ok, bad): (Vec<&Value>, Vec<&Value>) = lines.iter().partition(|l| l["ok"] == true);
    assert_eq!(ok.len(), 2, "{r:#?}");
    assert!(bad[0]["file"].as_str().unwrap().ends_with("bad.tiff"));
    assert!(bad[0]["error"].as_str().unwrap().contains("TIFF"), "{r:#?}");

    for (rel, line) in [("a/attestation.pdf", ok[0]), ("b/c/message.xml", ok[1])] {
        assert!(line["file"].as_str().unwrap().ends_with(rel));
        let hits = search(&sb, &home, &["--original-id", &format!("BOX7/{rel}")]);
        assert_eq!(hits.len(), 1, "BOX7/{rel}");
        assert_eq!(hits[0]["record_id"], line["id"]);
    }
    assert!(found(&sb, &home, &["--original-id", "BOX7/b/bad.tiff"]).is_empty());
    assert_eq!(search(&sb, &home, &[]).len(), 2);
    let blobs = list_files(&home.join("blobs"));
    assert_eq!(blobs.len(), 2, "only the two records' blobs: {blobs:?}");
    sb.at(&home, &["verify"]).assert_ok();
}

/// A symbolic link inside an ingested directory is not followed: it must
/// not pull in files from elsewhere.
#[test]
fn directory_ingest_does_not_follow_symbolic_links() {
    let (sb, home) = ready();
    let dir = sb.path("box");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(sample("message.xml"), dir.join("message.xml")).unwrap();
    std::os::unix::fs::symlink(sample("attestation.pdf"), dir.join("link.pdf")).unwrap();
    let r = sb.at(
        &home,
        &[&["ingest", "--json"], &meta(s(&dir), "BOX")[..]].concat(),
    );
    r.assert_ok();
    assert_eq!(single_json_line(&r.stdout)["format"], "fmt/101");
}

/// Bad input changes nothing: an empty `--original-id` is refused for a
/// directory as for a file, rather than giving originals ids like
/// `/x/file` (AR-17).
#[test]
fn directory_ingest_refuses_an_empty_original_id() {
    let (sb, home) = ready();
    let dir = sb.path("box");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(sample("message.xml"), dir.join("message.xml")).unwrap();
    let mut c = sb.command_at(&home, &[&["ingest"], &meta(s(&dir), "")[..]].concat());
    fails_unchanged(&home, &mut c, "--original-id", VOLATILE);
}

// ----- 3. manifest ingest ------------------------------------------------

/// Writes `lines` as `<sandbox>/batch/<name>`, beside copies of the PDF and
/// (in `sub/`) the XML sample.
fn manifest(sb: &Sandbox, name: &str, lines: &[&str]) -> PathBuf {
    let dir = sb.path("batch");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::copy(sample("attestation.pdf"), dir.join("attestation.pdf")).unwrap();
    std::fs::copy(sample("message.xml"), dir.join("sub/message.xml")).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// DESIGN contract 8, AR-17, AR-19: each manifest line's own metadata
/// (subject, type, original id, classification, retention, creation date,
/// title, meta) is applied to its file, paths relative to the manifest;
/// blank lines are skipped.
#[test]
fn manifest_applies_each_lines_metadata() {
    let (sb, home) = ready();
    let first = json!({"file": "attestation.pdf", "subject": NISS_DOTTED, "type": "attestation",
        "original_id": "M-1", "classification": "confidential", "created": "2021-03-04",
        "title": "First", "meta": {"box": "7"}})
    .to_string();
    let second = json!({"file": "sub/message.xml", "subject": NISS2, "type": "message",
        "original_id": "M-2", "classification": "public", "retention": "accounting",
        "created": "2022-05-06"})
    .to_string();
    let m = manifest(&sb, "manifest.jsonl", &[&first, "", &second]);
    let r = sb.at(&home, &["ingest", "--json", "--manifest", s(&m)]);
    r.assert_ok();
    let lines = common::json_lines(&r.stdout);
    assert_eq!(lines.len(), 2, "{r:#?}");

    let a = &show(&sb, &home, &id_of(&lines[0]))[0];
    assert_eq!(a["subject"], NISS);
    assert_eq!(a["doc_type"], "attestation");
    assert_eq!(a["original_id"], "M-1");
    assert_eq!(a["classification"], "confidential");
    assert_eq!(a["created"], "2021-03-04");
    assert_eq!(a["retention_due"], "2031-03-04");
    assert_eq!(a["recorded_late"], true);
    assert_eq!(a["title"], "First");
    assert_eq!(a["meta"]["box"], "7");
    assert_eq!(a["sha256"], sha256_hex(&read(&sample("attestation.pdf"))));

    let b = &show(&sb, &home, &id_of(&lines[1]))[0];
    assert_eq!(b["subject"], NISS2);
    assert_eq!(b["doc_type"], "message");
    assert_eq!(b["original_id"], "M-2");
    assert_eq!(b["classification"], "public");
    assert_eq!(b["retention_class"], "accounting");
    assert_eq!(b["retention_due"], "2029-05-06", "accounting: 7 years");
    assert_eq!(b["title"], Value::Null);
    assert_eq!(
        found(&sb, &home, &["--subject", NISS2]),
        vec![id_of(&lines[1])]
    );
}

/// Path tricks in names: a manifest line naming a file outside the
/// manifest's directory (`../`, or absolute) refuses the whole manifest,
/// naming the line; nothing is ingested.
#[test]
fn manifest_path_outside_its_directory_is_refused() {
    let (sb, home) = ready();
    let good = json!({"file": "attestation.pdf", "subject": NISS, "type": "a",
        "original_id": "M-1", "classification": "public"})
    .to_string();
    let outside = s(&sample("message.xml")).to_owned();
    for (i, file) in ["../batch/attestation.pdf", &outside].iter().enumerate() {
        let bad = json!({"file": file, "subject": NISS, "type": "a",
            "original_id": "M-2", "classification": "public"})
        .to_string();
        let m = manifest(&sb, &format!("m{i}.jsonl"), &[&good, &bad]);
        let mut c = sb.command_at(&home, &["ingest", "--manifest", s(&m)]);
        let r = fails_unchanged(&home, &mut c, "line 2", VOLATILE);
        assert!(
            r.stderr.contains("inside the manifest's directory"),
            "{r:#?}"
        );
    }
    assert_eq!(counts(&sb, &home), (0, 0));
}

/// Malformed metadata: a line that is not JSON, or lacks a field, is
/// refused with its line number (and the field); nothing is ingested,
/// not even the good lines before it.
#[test]
fn malformed_manifest_line_is_named_by_its_number() {
    let (sb, home) = ready();
    let good = json!({"file": "attestation.pdf", "subject": NISS, "type": "a",
        "original_id": "M-1", "classification": "public"})
    .to_string();
    let m = manifest(&sb, "broken.jsonl", &[&good, &good, "{\"file\": "]);
    let mut c = sb.command_at(&home, &["ingest", "--manifest", s(&m)]);
    fails_unchanged(&home, &mut c, "line 3", VOLATILE);
    let missing =
        r#"{"file": "attestation.pdf", "subject": "85073003328", "type": "a", "original_id": "M"}"#;
    let m = manifest(&sb, "missing.jsonl", &[missing]);
    let mut c = sb.command_at(&home, &["ingest", "--manifest", s(&m)]);
    let r = fails_unchanged(&home, &mut c, "line 1", VOLATILE);
    assert!(r.stderr.contains("classification"), "{r:#?}");
    assert_eq!(counts(&sb, &home), (0, 0));
}

/// CC-7.a.i: a manifest error never repeats a national number, even when
/// the subject is of the wrong JSON type.
#[test]
fn manifest_error_does_not_repeat_the_subject() {
    let (sb, home) = ready();
    let line = r#"{"file": "attestation.pdf", "subject": 85073003328, "type": "a", "original_id": "M", "classification": "public"}"#;
    let m = manifest(&sb, "typed.jsonl", &[line]);
    let mut c = sb.command_at(&home, &["ingest", "--manifest", s(&m)]);
    let r = fails_unchanged(&home, &mut c, "line 1", VOLATILE);
    assert_not_echoed(&r, &[NISS]);
}

// ----- 4. search ---------------------------------------------------------

/// AR-19: records are found by subject (any separators), original id,
/// type, creation dates (inclusive) and combinations (AND), in creation
/// order, at most `--limit`; the results carry the decrypted subject.
#[test]
fn search_finds_records_by_their_metadata() {
    let (sb, home) = ready();
    let mut ids = Vec::new();
    for (file, subject, ty, oid, created) in [
        ("attestation.pdf", NISS, "attestation", "S-1", "2020-01-15"),
        ("message.xml", NISS, "message", "S-2", "2021-06-30"),
        (
            "scan-page-001.tiff",
            NISS2,
            "attestation",
            "S-3",
            "2022-12-31",
        ),
    ] {
        let f = sample(file);
        let args = [
            s(&f),
            "--subject",
            subject,
            "--type",
            ty,
            "--original-id",
            oid,
        ];
        let more = ["--classification", "internal", "--created", created];
        ids.push(id_of(&ingest(&sb, &home, &[&args[..], &more].concat())));
    }
    let (a, b, c) = (ids[0].as_str(), ids[1].as_str(), ids[2].as_str());
    for q in [NISS_DOTTED, NISS, "850730 033 28"] {
        assert_eq!(found(&sb, &home, &["--subject", q]), [a, b], "{q}");
    }
    assert_eq!(found(&sb, &home, &["--subject", NISS2]), [c]);
    assert_eq!(found(&sb, &home, &["--original-id", "S-2"]), [b]);
    assert!(
        found(&sb, &home, &["--original-id", "S-"]).is_empty(),
        "exact"
    );
    assert_eq!(found(&sb, &home, &["--type", "attestation"]), [a, c]);
    assert_eq!(found(&sb, &home, &["--from", "2021-01-01"]), [b, c]);
    assert_eq!(found(&sb, &home, &["--to", "2021-06-30"]), [a, b]);
    let day = ["--from", "2021-06-30", "--to", "2021-06-30"];
    assert_eq!(found(&sb, &home, &day), [b]);
    let both = ["--type", "attestation", "--subject", NISS_DOTTED];
    assert_eq!(found(&sb, &home, &both), [a]);
    assert_eq!(found(&sb, &home, &["--limit", "2"]), [a, b]);
    assert!(found(&sb, &home, &["--type", "nothing"]).is_empty());
    let hits = search(&sb, &home, &["--original-id", "S-3"]);
    assert_eq!(hits[0]["subject"], NISS2);
    assert_eq!(hits[0]["created"], "2022-12-31");
    let mut c = sb.command_at(&home, &["search", "--from", "2021-13-01"]);
    fails_unchanged(&home, &mut c, "--from", VOLATILE);
}

/// CC-7.a.i: an invalid `--subject` (wrong check digits) is refused
/// (exit 1) by `search` and `ingest`, and no output repeats the number.
#[test]
fn invalid_subject_is_refused_without_repeating_it() {
    let (sb, home) = ready();
    let bad = ["85.07.30-033.29", "85073003329"];
    let needles = ["85073003329", "033.29", "85.07.30", "850730"];
    for q in bad {
        let mut c = sb.command_at(&home, &["search", "--subject", q]);
        let r = fails_unchanged(&home, &mut c, "check digits", VOLATILE);
        assert_not_echoed(&r, &needles);
    }
    let f = sample("message.xml");
    let args = with(s(&f), "--subject", bad[0]);
    let mut c = sb.command_at(&home, &[&["ingest"], &strs(&args)[..]].concat());
    let r = fails_unchanged(&home, &mut c, "--subject", VOLATILE);
    assert_not_echoed(&r, &needles);
    let args = with(s(&f), "--subject", bad[1]);
    let r = sb.at(&home, &[&["ingest", "--json"], &strs(&args)[..]].concat());
    assert_eq!(r.code, 1, "{r:#?}");
    assert_eq!(single_json_line(&r.stdout)["ok"], false);
    assert_not_echoed(&r, &needles);
}

// ----- 5. show and versions ----------------------------------------------

/// AR-17, AR-19: `show --json` gives every version's metadata with the
/// personal fields decrypted for the authorised reader; a creation date in
/// the past is flagged `recorded_late`; the default retention class is due
/// 10 years after creation (29 February → 28 February).
#[test]
fn show_reports_decrypted_metadata_late_recording_and_retention_due() {
    let (sb, home) = ready();
    let f = sample("attestation.pdf");
    let extra = [
        "--created",
        "2016-02-29",
        "--title",
        "Attestation A1",
        "--meta",
        "box=12",
    ];
    let doc = ingest(&sb, &home, &[&meta(s(&f), "P-77")[..], &extra].concat());
    assert_eq!(doc["recorded_late"], true);
    let v = show(&sb, &home, &id_of(&doc));
    assert_eq!(v.len(), 1);
    let v = &v[0];
    assert_eq!(v["record_id"], doc["id"]);
    assert_eq!(v["version"], 1);
    assert_eq!(v["previous_version"], Value::Null);
    assert_eq!(v["subject"], NISS);
    assert_pseudonym(&v["subject_pseudonym"]);
    assert_eq!(v["doc_type"], "scan");
    assert_eq!(v["original_id"], "P-77");
    assert_eq!(v["title"], "Attestation A1");
    assert_eq!(v["meta"]["box"], "12");
    assert_eq!(v["created"], "2016-02-29");
    assert_eq!(v["recorded_late"], true);
    assert_eq!(v["retention_class"], "default");
    assert_eq!(v["retention_due"], "2026-02-28");
    assert_eq!(v["classification"], "internal");
    assert_eq!(v["legal_hold"], false);
    assert_eq!(v["format"]["pronom"], "fmt/477");
    assert_eq!(v["format"]["pdfa"], "PDF/A-2b");
    assert_eq!(v["format"]["validated"], true);
    assert_eq!(v["sha256"], doc["sha256"]);
    assert_eq!(v["size"], doc["size"]);
    assert_eq!(v["journal_index"], doc["journal_index"]);

    // Created today (the default, a Belgian day; `recorded` is UTC): not
    // late, due in 10 years.
    let doc = ingest(&sb, &home, &meta(s(&sample("message.xml")), "P-78"));
    let v = &show(&sb, &home, &id_of(&doc))[0];
    let created = v["created"].as_str().unwrap();
    let recorded = time::OffsetDateTime::parse(
        v["recorded"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let day = probant_journal::civil::belgian_date(recorded);
    assert_eq!(created, probant_journal::civil::format_date(day));
    assert_eq!(v["recorded_late"], false);
    let year: u32 = created[..4].parse().unwrap();
    let md = if &created[4..] == "-02-29" {
        "-02-28"
    } else {
        &created[4..]
    };
    assert_eq!(v["retention_due"], format!("{}{md}", year + 10));
}

/// A change makes a new version linked to the old (DESIGN "Records"):
/// `ingest --new-version-of ID` gives version 2 of the same record with
/// previous_version 1; `get` returns the latest, `get --version 1` the
/// first content, bit-identical; an absent version is refused.
#[test]
fn new_version_links_to_the_previous_and_both_stay_readable() {
    let (sb, home) = ready();
    let first = sample("attestation.pdf");
    let id = id_of(&ingest(&sb, &home, &meta(s(&first), "P-1")));
    let second = sample("message.xml");
    let args = [&meta(s(&second), "P-1")[..], &["--new-version-of", &id]].concat();
    let doc = ingest(&sb, &home, &args);
    assert_eq!(doc["id"], id.as_str());
    assert_eq!(doc["version"], 2);
    let versions = show(&sb, &home, &id);
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["version"], 1);
    assert_eq!(versions[1]["version"], 2);
    assert_eq!(versions[1]["previous_version"], 1);
    assert_eq!(versions[1]["provenance"]["event"], "new-version");
    let (r, latest) = get(&sb, &home, &id, "latest.xml", &[]);
    r.assert_ok();
    assert!(read(&latest) == read(&second));
    let (r, v1) = get(&sb, &home, &id, "v1.pdf", &["--version", "1"]);
    r.assert_ok();
    assert!(read(&v1) == read(&first));
    let (r, v3) = get(&sb, &home, &id, "v3", &["--version", "3"]);
    r.assert_fails_with("version 3");
    assert!(!v3.exists());
    let unknown = "01a20c79-0000-7000-8000-000000000000";
    let args = [&meta(s(&second), "P-1")[..], &["--new-version-of", unknown]].concat();
    let mut c = sb.command_at(&home, &[&["ingest"], &args[..]].concat());
    fails_unchanged(&home, &mut c, "no record", VOLATILE);
}

// ----- 6. verify ---------------------------------------------------------

/// The three samples, verified clean; their record ids.
fn verified_samples(sb: &Sandbox, home: &Path) -> Vec<String> {
    let ids: Vec<String> = ingest_samples(sb, home).iter().map(id_of).collect();
    let r = sb.at(home, &["verify"]);
    r.assert_ok();
    assert!(r.stdout.contains("vault OK"), "{r:#?}");
    let r = sb.at(home, &["verify", "--json"]);
    r.assert_ok();
    let doc = single_json_line(&r.stdout);
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["report"]["versions_checked"], 3);
    ids
}

/// `verify` (exit 1) naming `id` and, if given, `what`; the others not named.
fn assert_named(sb: &Sandbox, home: &Path, ids: &[String], bad: usize, what: &str) {
    let r = sb.at(home, &["verify"]);
    assert_eq!(r.code, 1, "{r:#?}");
    assert!(r.stderr.contains(&ids[bad]), "names {}: {r:#?}", ids[bad]);
    assert!(r.stderr.contains(what), "names {what:?}: {r:#?}");
    for (i, id) in ids.iter().enumerate() {
        assert!(
            i == bad || !r.stderr.contains(id.as_str()),
            "names a good record: {r:#?}"
        );
    }
    let r = sb.at(home, &["verify", "--json"]);
    assert_eq!(r.code, 1);
    assert_eq!(single_json_line(&r.stdout)["ok"], false);
}

/// Reliability rules, AR-13.3: a flipped bit in a blob is detected by
/// `verify` and the record named; `verify --record` of another record
/// stays clean, and `get` of the damaged one delivers nothing.
#[test]
fn verify_names_a_record_whose_blob_has_a_flipped_bit() {
    let (sb, home) = ready();
    let ids = verified_samples(&sb, &home);
    let blob = blob_of(&home, &ids[0], 1);
    flip_byte(&blob, read(&blob).len() / 2);
    assert_named(&sb, &home, &ids, 0, "does not decrypt");
    sb.at(&home, &["verify", "--record", &ids[1]]).assert_ok();
    let r = sb.at(&home, &["verify", "--record", &ids[0]]);
    assert_eq!(r.code, 1, "{r:#?}");
    let (r, out) = get(&sb, &home, &ids[0], "damaged.tiff", &[]);
    assert_eq!(r.code, 1, "{r:#?}");
    assert!(!out.exists(), "no damaged content leaves");
}

/// Reliability rules: a deleted blob is named (record and blob).
#[test]
fn verify_names_a_record_whose_blob_is_missing() {
    let (sb, home) = ready();
    let ids = verified_samples(&sb, &home);
    std::fs::remove_file(blob_of(&home, &ids[1], 1)).unwrap();
    assert_named(&sb, &home, &ids, 1, "blob");
}

/// Reliability rules, AR-3.4: a catalog row edited behind Probant's back
/// (retention due date moved) differs from its ingest entry: named with
/// "metadata".
#[test]
fn verify_names_an_edited_catalog_row() {
    let (sb, home) = ready();
    let ids = verified_samples(&sb, &home);
    let stmt = format!(
        "UPDATE records SET retention_due='2099-01-01' WHERE record_id='{}'",
        ids[2]
    );
    sql(&home.join("catalog.sqlite"), &stmt);
    assert_named(&sb, &home, &ids, 2, "metadata");
}

/// Reliability rules: a blob that belongs to no record (an orphan) is
/// reported.
#[test]
fn verify_reports_an_orphan_blob() {
    let (sb, home) = ready();
    let ids = verified_samples(&sb, &home);
    let blob = blob_of(&home, &ids[0], 1);
    let orphan = PathBuf::from(s(&blob).replace("-v1", "-v9").replace("/v1", "/v9"));
    std::fs::copy(&blob, &orphan).unwrap();
    let r = sb.at(&home, &["verify"]);
    assert_eq!(r.code, 1, "{r:#?}");
    assert!(r.stderr.contains("orphan"), "{r:#?}");
}

// ----- 7. the journal ----------------------------------------------------

/// N-5.9.5, AR-3.5, DESIGN contract 3: ingest, search, show and get each
/// leave an entry with actor alice, the purpose and legal basis
/// (`own-records` by default, else `--legal-basis`), and the subject as a
/// 64-hex pseudonym, never the number; the ingest entry carries the
/// content's SHA-256; the read entry is journaled (a success) at the index
/// `get` reports, before every later entry; no entry holds the number.
#[test]
fn every_access_is_journaled_with_purpose_legal_basis_and_pseudonym() {
    let (sb, home) = ready();
    // N-5.6.4: the legal bases named below are registered first.
    let today = &probant_journal::civil::format_date(probant_journal::civil::belgian_today());
    let bases = serde_json::json!([
        { "reference": "own-records", "purposes": ["*"], "data_categories": ["*"], "roles": ["case-handler"], "valid_from": today },
        { "reference": "law-1990-art-5", "purposes": ["audit prep"], "data_categories": ["*"], "roles": ["case-handler"], "valid_from": "2020-01-01" },
        { "reference": "case-law", "purposes": ["testing"], "data_categories": ["*"], "roles": ["case-handler"], "valid_from": "2020-01-01", "valid_until": "2999-12-31" },
    ]);
    let file = sb.write("bases.json", &bases.to_string());
    sb.at(
        &home,
        &["policy", "apply", "--legal-bases", file.to_str().unwrap()],
    )
    .assert_ok();
    let doc = ingest(&sb, &home, &meta(s(&sample("message.xml")), "P-1"));
    let id = id_of(&doc);
    let why = ["--purpose", "audit prep", "--legal-basis", "law-1990-art-5"];
    search(
        &sb,
        &home,
        &[&["--subject", NISS_DOTTED][..], &why].concat(),
    );
    let r = sb.at(&home, &[&["show", &id, "--json"][..], &why].concat());
    r.assert_ok();
    let pseudonym = single_json_line(&r.stdout)["versions"][0]["subject_pseudonym"].clone();
    let (r, _) = get(
        &sb,
        &home,
        &id,
        "m.xml",
        &["--legal-basis", "case-law", "--json"],
    );
    r.assert_ok();
    let read_index = single_json_line(&r.stdout)["journal_index"]
        .as_u64()
        .unwrap();
    sb.at(&home, &["show", &id]).assert_ok();
    let entries = sb.entries(&home);

    let ingest = &entries[doc["journal_index"].as_u64().unwrap() as usize];
    let search = entries_of(&entries, "record.search")[0];
    let shows = entries_of(&entries, "record.show");
    let read = &entries[read_index as usize];
    assert_eq!(ingest["action"], "record.ingest");
    assert_eq!(ingest["resource"]["sha256"], doc["sha256"]);
    assert_eq!(ingest["legal_basis"], "own-records");
    assert_eq!(search["purpose"], "audit prep");
    assert_eq!(search["legal_basis"], "law-1990-art-5");
    assert_eq!(search["details"]["results"], 1);
    assert_eq!(shows.len(), 2);
    assert_eq!(shows[0]["purpose"], "audit prep");
    assert_eq!(shows[1]["legal_basis"], "own-records");
    assert_eq!(read["action"], "record.read");
    assert_eq!(read["purpose"], "testing");
    assert_eq!(read["legal_basis"], "case-law");
    assert_eq!(read["resource"]["version"], 1);
    for e in [ingest, search, shows[0], shows[1], read] {
        assert_eq!(e["outcome"], "success", "{e}");
        assert_eq!(e["actor"]["id"], common::ACTOR, "{e}");
        assert!(e["purpose"].as_str().is_some_and(|p| !p.is_empty()), "{e}");
        assert_pseudonym(&e["resource"]["subject"]);
        assert_eq!(e["resource"]["subject"], pseudonym, "{e}");
    }
    for e in [ingest, shows[0], read] {
        assert_eq!(e["resource"]["record"], id.as_str(), "{e}");
    }
    let show_after = shows[1];
    let after = entries.iter().position(|e| e == show_after).unwrap() as u64;
    assert!(
        read_index < after,
        "the read is journaled before what follows"
    );
    for e in &entries {
        let text = e.to_string();
        assert!(!text.contains(NISS) && !text.contains("85.07.30"), "{text}");
    }
}

/// N-5.9.5: a request for an absent record is journaled too, as a failure
/// (`get` and `show`), fails with exit 1 and writes nothing.
#[test]
fn access_to_an_unknown_record_fails_and_is_journaled_as_a_failure() {
    let (sb, home) = ready();
    let unknown = "01a20c79-0000-7000-8000-000000000000";
    let (r, out) = get(&sb, &home, unknown, "x", &[]);
    r.assert_fails_with("no record");
    assert!(!out.exists());
    sb.at(&home, &["show", unknown])
        .assert_fails_with("no record");
    let entries = sb.entries(&home);
    for action in ["record.read", "record.show"] {
        let e = entries_of(&entries, action);
        assert_eq!(e.len(), 1, "{action}");
        assert_eq!(e[0]["outcome"], "failure");
        assert_eq!(e[0]["resource"]["record"], unknown);
        assert_eq!(e[0]["actor"]["id"], common::ACTOR);
    }
}

/// N-5.9.5 (the journal is truthful): a `get` that delivers nothing (its
/// output directory does not exist) must not be left journaled as a
/// successful read: its last `record.read` entry is a failure.
#[test]
fn a_get_that_delivers_nothing_is_not_left_journaled_as_a_success() {
    let (sb, home) = ready();
    let id = id_of(&ingest(&sb, &home, &meta(s(&sample("message.xml")), "P-1")));
    let (r, out) = get(&sb, &home, &id, "missing-dir/m.xml", &[]);
    assert_eq!(r.code, 1, "{r:#?}");
    assert!(!out.exists());
    let entries = sb.entries(&home);
    let reads = entries_of(&entries, "record.read");
    let last = reads.last().expect("the attempt is journaled");
    assert_eq!(last["outcome"], "failure", "{last}");
}

// ----- 8. nothing in clear -----------------------------------------------

/// CC-7.a.i, DESIGN "Records and encryption": after ingesting a text file
/// whose name, content, title and meta carry a marker, for subject NISS,
/// and reading it back, no file of the home (catalog and its -wal/-shm,
/// blobs, journal) contains the marker, the number, or its dotted form.
#[test]
fn nothing_about_the_subject_or_the_content_is_on_disk_in_clear() {
    let (sb, home) = ready();
    let marker = "Zq7MARKERvault4417";
    let f = sb.write(
        &format!("note-{marker}.txt"),
        &format!("Dossier {marker}\n"),
    );
    let (title, note) = (format!("About {marker}"), format!("note={marker}"));
    let extra = ["--title", &title, "--meta", &note];
    let id = id_of(&ingest(
        &sb,
        &home,
        &[&meta(s(&f), "P-1")[..], &extra].concat(),
    ));
    assert_eq!(found(&sb, &home, &["--subject", NISS]), [id.as_str()]);
    assert_eq!(show(&sb, &home, &id)[0]["title"], format!("About {marker}"));
    let (r, _) = get(&sb, &home, &id, "back.txt", &[]);
    r.assert_ok();
    let files = list_files(&home);
    assert!(files.iter().any(|p| p.ends_with("catalog.sqlite")));
    for p in files {
        assert!(!s(&p).contains(marker), "{} names the marker", p.display());
        let bytes = read(&p);
        for needle in [marker, NISS, "85.07.30"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{} contains {needle:?} in clear (CC-7.a.i)",
                p.display()
            );
        }
    }
}

/// CC-7.a.i against DESIGN contract 8: scans are often named by the
/// subject's number; a directory ingest must not thereby put the number in
/// clear on disk (the file name is sealed as `source_name`, but the
/// contract-8 original id `ID/<relative path>` is a clear catalog column).
#[test]
fn directory_ingest_does_not_put_a_number_in_a_file_name_in_clear() {
    let (sb, home) = ready();
    let dir = sb.path("box");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(sample("message.xml"), dir.join(format!("{NISS}.xml"))).unwrap();
    let r = sb.at(&home, &[&["ingest"], &meta(s(&dir), "BOX")[..]].concat());
    r.assert_ok();
    for p in list_files(&home) {
        let bytes = read(&p);
        assert!(
            !bytes.windows(NISS.len()).any(|w| w == NISS.as_bytes()),
            "{} contains the number in clear",
            p.display()
        );
    }
}

// ----- 9. bad input ------------------------------------------------------

/// Reliability rules, AR-16, AR-17: each bad ingest is refused (exit 1)
/// with a message naming what is wrong, and changes nothing: no blob, no
/// catalog row (files byte for byte, outside the journal), the record and
/// search counts unchanged.
#[test]
fn bad_ingest_input_is_refused_clearly_and_changes_nothing() {
    let (sb, home) = ready();
    ingest(&sb, &home, &meta(s(&sample("message.xml")), "P-1"));
    let before = counts(&sb, &home);
    let ok = sb.write("ok.txt", "fine\n");
    let ok = s(&ok);
    let random = sb.path("random.bin");
    std::fs::write(
        &random,
        (0..600u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let png = sb.path("bad.png");
    let tiny = Path::new(env!("CARGO_MANIFEST_DIR")).join("../formats/tests/data/tiny.png");
    std::fs::copy(tiny, &png).unwrap();
    flip_byte(&png, 29); // the IHDR chunk's CRC (8 + 4 + 4 + 13)
    let tiff = sb.path("truncated.tiff");
    let t = read(&sample("scan-page-001.tiff"));
    std::fs::write(&tiff, &t[..t.len() - 100]).unwrap();
    let empty = sb.write("empty.txt", "");
    let missing = sb.path("missing.xml");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            with(ok, "--classification", "secret"),
            "--classification: unknown level",
        ),
        (
            with(ok, "--retention", "forever"),
            "--retention: unknown retention class",
        ),
        (
            with(ok, "--created", "2999-01-01"),
            "--created: the creation date is in the future",
        ),
        (
            with(ok, "--created", "2020-1-1"),
            "--created: expected a date",
        ),
        (with(ok, "--type", "Scan"), "--type"),
        (with(ok, "--type", "two words"), "--type"),
        (with(ok, "--original-id", ""), "--original-id"),
        (with(ok, "--original-id", "  "), "--original-id"),
        (with(ok, "--title", "line\nbreak"), "--title"),
        (with(ok, "--meta", "Key=v"), "--meta key"),
        (with(s(&missing), "--type", "scan"), "missing.xml"),
        (with(s(&random), "--type", "scan"), "unknown format"),
        (with(s(&png), "--type", "scan"), "PNG"),
        (with(s(&tiff), "--type", "scan"), "TIFF"),
        (with(s(&empty), "--type", "scan"), "empty"),
    ];
    for (args, message) in &cases {
        let mut c = sb.command_at(&home, &[&["ingest"], &strs(args)[..]].concat());
        fails_unchanged(&home, &mut c, message, VOLATILE);
    }
    assert_eq!(counts(&sb, &home), before);
    let r = sb.at(
        &home,
        &[&["ingest"], &meta(ok, "P")[..], &["--meta", "novalue"]].concat(),
    );
    assert_eq!(
        r.code, 2,
        "malformed --meta is refused by the parser: {r:#?}"
    );
    assert_eq!(counts(&sb, &home), before);
}

// ----- 10. bootstrap -----------------------------------------------------

/// DESIGN contract 6: `init` writes a config with the classification
/// levels and the default retention class, and the actor can ingest and
/// read back at once, with no further set-up.
#[test]
fn init_then_ingest_and_get_need_no_configuration() {
    let (sb, home) = ready();
    let config = String::from_utf8(read(&home.join("config.toml"))).unwrap();
    assert!(config.contains("[classification]"), "{config}");
    assert!(config.contains("[retention.default]"), "{config}");
    let id = id_of(&ingest(
        &sb,
        &home,
        &meta(s(&sample("scan-page-001.tiff")), "P-1"),
    ));
    let (r, out) = get(&sb, &home, &id, "scan.tiff", &[]);
    r.assert_ok();
    assert!(read(&out) == read(&sample("scan-page-001.tiff")));
}

/// A real SIGKILL in the middle of a directory ingest (DESIGN reliability
/// rules; AR-3.3, N-5.9.5), caught when it left contents that no catalog
/// row names: the next command, whatever it is, undoes what the killed
/// process had stored or journaled without recording it, says so and
/// journals it; every record it had acknowledged (printed) is there; and
/// `verify` finds the vault consistent.
#[test]
fn a_killed_ingest_is_undone_by_the_next_command_and_verify_is_clean() {
    use std::io::BufRead;
    let sb = Sandbox::new();
    let src = sb.many_texts(400, 2_000);
    let mut args = vec!["ingest"];
    args.extend(meta(s(&src), "KILLED"));
    args.push("--json");
    for attempt in 0..20 {
        let home = sb.path(&format!("home-{attempt}"));
        sb.init(&home, &[]);
        let mut child = sb
            .command_at(&home, &args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        // Two batches acknowledged, then SIGKILL with contents stored ahead.
        let head: Vec<String> = lines.by_ref().take(65).map_while(Result::ok).collect();
        child.kill().unwrap();
        child.wait().unwrap();
        let acknowledged: Vec<Value> = head
            .into_iter()
            .chain(lines.map_while(Result::ok))
            .filter_map(|l| serde_json::from_str::<Value>(&l).ok())
            .filter(|doc| doc["ok"] == true)
            .collect();
        if acknowledged.len() == 400 || blob_files(&home) == catalogued(&home) {
            continue; // finished, or killed with nothing to undo: again
        }
        let next = sb.at(&home, &["search", "--original-id", "none", "--json"]);
        assert!(next.stderr.contains("was killed; undone"), "{next:#?}");
        let verify = sb.at(&home, &["verify"]);
        assert_eq!(verify.code, 0, "{verify:#?}");
        assert_eq!(blob_files(&home), catalogued(&home));
        for doc in &acknowledged {
            let shown = show(&sb, &home, &id_of(doc));
            assert_eq!(shown[0]["sha256"], doc["sha256"], "acknowledged, so kept");
        }
        let entries = sb.entries(&home);
        assert!(entries
            .iter()
            .any(|e| e["outcome"] == "failure" && e["details"]["recovery"] == true));
        assert_eq!(
            std::fs::read_dir(home.join("recovery/intents"))
                .unwrap()
                .count(),
            0
        );
        return;
    }
    panic!("no kill left anything to undo in 20 attempts");
}

/// Ctrl-C (a real SIGINT) in the middle of a directory ingest: the batch
/// in flight finishes, the run exits with 130 and says so, every printed
/// record is kept, the contents stored ahead are deleted and journaled as
/// "nothing stored", and the home is consistent without any recovery.
#[test]
fn ctrl_c_stops_an_ingest_after_its_batch_in_flight() {
    use std::io::BufRead;
    let (sb, home) = ready();
    let src = sb.many_texts(400, 2_000);
    let mut args = vec!["ingest"];
    args.extend(meta(s(&src), "STOPPED"));
    args.push("--json");
    let mut child = sb
        .command_at(&home, &args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a first record").unwrap();
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let acknowledged: Vec<Value> = std::iter::once(first)
        .chain(lines.map_while(Result::ok))
        .filter_map(|l| serde_json::from_str::<Value>(&l).ok())
        .filter(|doc| doc["ok"] == true)
        .collect();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if acknowledged.len() == 400 {
        return; // it had finished before the signal: nothing to judge
    }
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(acknowledged.len() % 64, 0, "whole batches only");
    let next = sb.at(&home, &["search", "--original-id", "none", "--json"]);
    assert!(!next.stderr.contains("was killed"), "{next:#?}");
    let verify = sb.at(&home, &["verify"]);
    assert_eq!(verify.code, 0, "{verify:#?}");
    assert_eq!(blob_files(&home), acknowledged.len());
    for doc in &acknowledged {
        assert_eq!(show(&sb, &home, &id_of(doc))[0]["sha256"], doc["sha256"]);
    }
}
