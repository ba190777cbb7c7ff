//! End-to-end tests of the `probant` binary (DESIGN "Contracts other tools
//! rely on" 1, 2, 5, 6): every test runs the built executable as a
//! subprocess in its own temporary directory, with its own
//! `$XDG_CONFIG_HOME` and `$HOME`, `PROBANT_ACTOR=alice`, and no
//! `PROBANT_HOME`, `PROBANT_KEY_FILE` or `PROBANT_PASSPHRASE` inherited.
//! Every failure is checked for its exit status, its message, an empty
//! stdout (no data leaves) and, where a home exists, for leaving the home's
//! files unchanged byte for byte.
#[allow(dead_code)]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{
    append_one_batch, fails_unchanged, flip_byte, list_files, single_json_line, snapshot,
    widest_partial, Sandbox, ACTOR, LOCK, LOCK_AND_WAL,
};
use probant_verify::{jcs::is_canonical, Checkpoint, InclusionProof, VerifierKey};
use serde_json::{json, Value};

fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn vkey_of(home: &Path) -> VerifierKey {
    VerifierKey::parse(&read_text(&home.join("journal/vkey"))).expect("journal/vkey parses")
}

/// The latest signed checkpoint of `home`, verified under its vkey.
fn latest_checkpoint(home: &Path) -> Checkpoint {
    let note = std::fs::read(home.join("journal/checkpoint")).expect("journal/checkpoint");
    Checkpoint::verify(&note, &vkey_of(home)).expect("the checkpoint verifies under journal/vkey")
}

fn key_file_of(init: &Value) -> PathBuf {
    PathBuf::from(
        init["key_file"]
            .as_str()
            .expect("init reports its key file"),
    )
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// Writes a JSON document to a file in the sandbox.
fn write_json(sb: &Sandbox, rel: &str, doc: &Value) -> PathBuf {
    sb.write(rel, &serde_json::to_string(doc).unwrap())
}

fn path_arg(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

// ----- 1. init -----------------------------------------------------------

/// DESIGN contract 1/2/6, N-5.8.3: `init` lays out the home (home.json,
/// config.toml, keyring.json, the C2SP journal with the tiles of its first
/// entry) and puts the master key file at
/// `$XDG_CONFIG_HOME/probant/keys/<id>.key`, mode 0600, outside the home; no
/// file of the home contains the key.
#[test]
fn init_creates_the_home_and_a_private_key_file_outside_it() {
    let sb = Sandbox::new();
    let home = sb.home();
    let doc = sb.init_home();
    for f in ["home.json", "config.toml", "keyring.json"] {
        assert!(home.join(f).is_file(), "{f} is missing");
    }
    for f in ["checkpoint", "vkey", "format", "checkpoints"] {
        assert!(
            home.join("journal").join(f).is_file(),
            "journal/{f} is missing"
        );
    }
    // Tree size 1 (the home.init entry): partial tiles of width 1 (C2SP).
    for f in ["tile/0/000.p/1", "tile/entries/000.p/1"] {
        assert!(
            home.join("journal").join(f).is_file(),
            "journal/{f} is missing"
        );
    }
    let id = doc["id"].as_str().expect("id");
    let key = sb.default_key_file(id);
    assert_eq!(key_file_of(&doc), key);
    assert_eq!(sb.key_files(), vec![key.clone()]);
    assert_eq!(mode_of(&key), 0o600, "key file mode (CC-7.c)");
    assert!(
        !key.starts_with(&home),
        "the key file is outside the home (N-5.8.3)"
    );
    let key_text = read_text(&key);
    let secret = key_text
        .split_whitespace()
        .nth(1)
        .expect("key file: label and key");
    for f in list_files(&home) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{} contains the master key (N-5.8.3)",
            f.display()
        );
    }
}

/// DESIGN contract 1/2/6: `init --json` prints one JSON line (home, id,
/// name, key_file, vkey, journal_index 0); the vkey printed is
/// `journal/vkey`, and `journal/checkpoint` verifies under it at size 1.
#[test]
fn init_json_reports_the_vkey_that_verifies_the_checkpoint() {
    let sb = Sandbox::new();
    let home = sb.home();
    let r = sb.at(&home, &["init", "--json"]);
    r.assert_ok();
    let doc = single_json_line(&r.stdout);
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in ["home", "id", "name", "key_file", "vkey", "journal_index"] {
        assert!(keys.contains(&k), "init --json lacks {k}: {doc}");
    }
    assert_eq!(doc["home"], path_arg(&home));
    assert_eq!(doc["journal_index"], 0);
    let name = doc["name"].as_str().unwrap();
    assert!(
        name.starts_with("probant.local/"),
        "default log name: {name}"
    );
    let vkey_file = read_text(&home.join("journal/vkey"));
    assert_eq!(doc["vkey"].as_str().unwrap(), vkey_file.trim_end());
    assert!(vkey_file.starts_with(&format!("{name}+")));
    let cp = latest_checkpoint(&home);
    assert_eq!((cp.origin.as_str(), cp.size), (name, 1));
    let meta: Value = serde_json::from_str(&read_text(&home.join("home.json"))).unwrap();
    assert_eq!((&meta["format"], &meta["id"]), (&json!(1), &doc["id"]));
}

/// DESIGN contract 1: the home is `--home DIR`, else `$PROBANT_HOME`, else
/// `./probant-home`.
#[test]
fn init_without_home_uses_probant_home_then_the_current_directory() {
    let sb = Sandbox::new();
    let from_env = sb.path("from-env");
    let mut c = sb.command();
    c.env("PROBANT_HOME", &from_env).args(["init", "--json"]);
    common::run(&mut c).assert_ok();
    assert!(from_env.join("home.json").is_file());
    sb.run(&["init", "--json"]).assert_ok();
    assert!(sb.path("probant-home/home.json").is_file());
}

// ----- 2. init refusals --------------------------------------------------

/// Bad input changes nothing: `init` into a non-empty directory fails and
/// leaves it, and creates no key file.
#[test]
fn init_into_a_non_empty_directory_fails_and_changes_nothing() {
    let sb = Sandbox::new();
    let home = sb.home();
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join("notes.txt"), "mine").unwrap();
    fails_unchanged(
        &home,
        &mut sb.command_at(&home, &["init"]),
        "already exists and is not empty: choose another --home",
        &[],
    );
    assert!(sb.key_files().is_empty());
}

/// A log name with a space is refused (signed-note key names); no home and
/// no key file are left.
#[test]
fn init_with_an_invalid_name_leaves_no_home_and_no_key_file() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.at(&home, &["init", "--name", "has space"])
        .assert_fails_with(
            "--name \"has space\": a log name must be non-empty, without spaces or '+'",
        );
    assert!(!home.exists(), "no home is left");
    assert!(sb.key_files().is_empty(), "no key file is left");
}

/// N-5.8.3: a `--key-file` inside the home is refused, whether named
/// directly, in a subdirectory, or through `..`; nothing is left.
#[test]
fn init_refuses_a_key_file_inside_the_home_and_leaves_nothing() {
    let sb = Sandbox::new();
    let home = sb.home();
    std::fs::create_dir(sb.path("elsewhere")).unwrap();
    let inside = [
        (home.join("k.key"), "is inside the home it protects"),
        (home.join("sub/k.key"), "is inside the home it protects"),
        (
            sb.path("elsewhere/../home/k.key"),
            "is inside the home it protects",
        ),
    ];
    for (key, message) in inside {
        let r = sb.at(&home, &["init", "--key-file", path_arg(&key)]);
        r.assert_fails_with(message).assert_fails_with("(N-5.8.3)");
        assert!(!key.exists(), "{} was left", key.display());
        assert!(!home.exists(), "a home was left for {}", key.display());
    }
    assert!(sb.key_files().is_empty());
}

/// An existing key is never overwritten: `--key-file` naming an existing
/// file is refused, the file is untouched and no home is created.
#[test]
fn init_refuses_an_existing_key_file_and_leaves_it_intact() {
    let sb = Sandbox::new();
    let home = sb.home();
    let key = sb.write("precious.key", "someone else's key\n");
    sb.at(&home, &["init", "--key-file", path_arg(&key)])
        .assert_fails_with(&format!(
            "a key file already exists at {}: refusing to overwrite it",
            key.display()
        ))
        .assert_fails_with("hint: an existing key is never overwritten");
    assert_eq!(read_text(&key), "someone else's key\n");
    assert!(!home.exists());
}

/// Bad input changes nothing: when `init` into an existing empty directory
/// fails after it started creating the home, the directory the operator
/// made stays (empty, with its permissions).
#[test]
fn failed_init_keeps_a_pre_existing_empty_home_directory() {
    let sb = Sandbox::new();
    let home = sb.home();
    std::fs::create_dir(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o750)).unwrap();
    std::fs::create_dir(sb.path("elsewhere")).unwrap();
    let key = sb.path("elsewhere/../home/k.key");
    sb.at(&home, &["init", "--key-file", path_arg(&key)])
        .assert_fails_with("is inside the home it protects");
    assert!(home.is_dir(), "the operator's directory was removed");
    assert!(
        snapshot(&home, &[]).is_empty(),
        "the directory is left empty"
    );
    assert_eq!(mode_of(&home), 0o750, "its permissions are unchanged");
}

// ----- 3. passphrase -----------------------------------------------------

const PASSPHRASE: &str = "correct horse battery staple";

fn init_with_passphrase(sb: &Sandbox, home: &Path) -> Value {
    let mut c = sb.command_at(
        home,
        &[
            "init",
            "--passphrase",
            "--json",
            "--approver",
            common::APPROVER,
        ],
    );
    let r = common::run(c.env("PROBANT_PASSPHRASE", PASSPHRASE));
    r.assert_ok();
    single_json_line(&r.stdout)
}

/// N-5.8.3: a passphrase home (Argon2id) has no key file anywhere and opens
/// with the same `$PROBANT_PASSPHRASE`; the passphrase unlocks the data,
/// the operator's own credential identifies them (N-5.6.3).
#[test]
fn passphrase_home_works_with_the_passphrase_from_the_environment() {
    let sb = Sandbox::new();
    let home = sb.home();
    let doc = init_with_passphrase(&sb, &home);
    assert_eq!(doc["key_file"], Value::Null);
    assert!(
        sb.key_files().is_empty(),
        "no key file for a passphrase home"
    );
    let entries = sb.entries_env(&home, &[("PROBANT_PASSPHRASE", PASSPHRASE)]);
    assert_eq!(entries[0]["action"], "home.init");
    assert_eq!(entries[0]["details"]["key_provider"], "passphrase");
    assert_eq!(entries[0]["actor"]["auth"], "local-credential");
}

/// Wrong keys get a clear error and change nothing: a wrong passphrase.
#[test]
fn wrong_passphrase_is_refused_and_changes_nothing() {
    let sb = Sandbox::new();
    let home = sb.home();
    init_with_passphrase(&sb, &home);
    let mut c = sb.command_at(&home, &["journal", "entries"]);
    c.env("PROBANT_PASSPHRASE", "incorrect horse");
    let r = fails_unchanged(
        &home,
        &mut c,
        "the master key does not open this home's key ring: wrong key file or passphrase",
        LOCK,
    );
    assert!(r.stderr.contains("nothing was changed"), "{r:#?}");
}

/// Without `$PROBANT_PASSPHRASE` and without a terminal, opening and
/// creating a passphrase home fail with a hint naming PROBANT_PASSPHRASE
/// (never waiting for input), and change nothing.
#[test]
fn missing_passphrase_without_a_terminal_is_refused_with_a_hint() {
    let sb = Sandbox::new();
    let home = sb.home();
    init_with_passphrase(&sb, &home);
    let mut c = sb.command_without_terminal();
    c.arg("--home").arg(&home).args(["journal", "entries"]);
    let r = fails_unchanged(&home, &mut c, "no passphrase: set PROBANT_PASSPHRASE", LOCK);
    assert!(r.stderr.contains("hint: set $PROBANT_PASSPHRASE"), "{r:#?}");

    let other = sb.path("other");
    let mut c = sb.command_without_terminal();
    c.arg("--home").arg(&other).args(["init", "--passphrase"]);
    common::run(&mut c).assert_fails_with("PROBANT_PASSPHRASE");
    assert!(!other.exists());
}

// ----- 4. key file -------------------------------------------------------

/// Wrong keys change nothing: another home's key file is refused.
#[test]
fn key_file_of_another_home_is_refused_and_changes_nothing() {
    let sb = Sandbox::new();
    let (a, b) = (sb.path("a"), sb.path("b"));
    sb.init(&a, &[]);
    let other_key = key_file_of(&sb.init(&b, &[]));
    fails_unchanged(
        &a,
        &mut sb.command_at(
            &a,
            &["journal", "entries", "--key-file", path_arg(&other_key)],
        ),
        "wrong key file or passphrase",
        LOCK,
    );
}

/// N-5.8.3: a missing key file is named, with the advice to restore it;
/// once restored the home opens again.
#[test]
fn missing_key_file_is_named_with_a_hint_to_restore_it() {
    let sb = Sandbox::new();
    let home = sb.home();
    let key = key_file_of(&sb.init_home());
    let backup = sb.path("key.backup");
    std::fs::rename(&key, &backup).unwrap();
    let r = fails_unchanged(
        &home,
        &mut sb.command_at(&home, &["journal", "entries"]),
        &format!("the key file {} does not exist", key.display()),
        LOCK,
    );
    assert!(
        r.stderr
            .contains("hint: restore the key file from its backup"),
        "{r:#?}"
    );
    std::fs::rename(&backup, &key).unwrap();
    sb.entries(&home);
}

// ----- 5. journal entries ------------------------------------------------

/// DESIGN contract 2/3, AR-3.5, N-5.9.5: `journal entries --json` prints
/// canonical JSON (RFC 8785) lines carrying every AR-3.5 field, the actor
/// being alice, the time RFC 3339 UTC.
#[test]
fn journal_entries_are_canonical_json_lines_with_the_ar_3_5_fields() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    let id = sb.approved_consultation(&home);
    let r = sb.at(
        &home,
        &["journal", "entries", "--json", "--consultation", &id],
    );
    r.assert_ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "init, request, approval: {r:#?}");
    for line in lines {
        assert!(is_canonical(line), "not RFC 8785 canonical: {line}");
        let e: Value = serde_json::from_str(line).unwrap();
        for f in [
            "time",
            "action",
            "outcome",
            "actor",
            "resource",
            "purpose",
            "legal_basis",
            "controller",
            "executor",
            "place",
            "channel",
            "malfunction",
        ] {
            assert!(e.get(f).is_some(), "entry lacks {f}: {line}");
        }
        for f in ["id", "kind", "on_behalf_of", "auth"] {
            assert!(e["actor"].get(f).is_some(), "actor lacks {f}: {line}");
        }
        for f in ["record", "version", "subject", "nature", "classification"] {
            assert!(e["resource"].get(f).is_some(), "resource lacks {f}: {line}");
        }
        assert!(e["actor"]["id"] == ACTOR || e["actor"]["id"] == common::APPROVER);
        assert_eq!(e["actor"]["kind"], "person");
        assert_eq!(e["channel"], "cli");
        let time = e["time"].as_str().unwrap();
        assert!(time.ends_with('Z'), "UTC: {time}");
        assert!(
            probant_journal::entry::parse_time(time).is_some(),
            "RFC 3339: {time}"
        );
    }
}

/// N-5.9.5, contract 7: every read of the journal is itself journaled
/// before data is returned: the second consultation shows the first one's
/// request, approval and run (`consult.run`, durable before the entries it
/// showed), and a consultation runs once.
#[test]
fn each_read_of_the_journal_is_itself_journaled() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    let first = sb.entries(&home);
    let actions: Vec<&str> = first
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["home.init", "consult.request", "consult.approve"]);
    assert_eq!(latest_checkpoint(&home).size, 4, "the run is in the tree");
    let second = sb.entries(&home);
    assert_eq!(second.len(), 6);
    assert_eq!(second[..3], first[..]);
    let run = &second[3];
    assert_eq!(run["action"], "consult.run");
    assert_eq!(run["outcome"], "success");
    assert_eq!(run["actor"]["id"], ACTOR);
    let id = &first[1]["details"]["consultation"];
    assert_eq!(run["details"]["consultation"], *id);
    assert_eq!(
        (&run["details"]["from"], &run["details"]["to"]),
        (&json!(0), &json!(3))
    );
    sb.at(
        &home,
        &["journal", "entries", "--consultation", id.as_str().unwrap()],
    )
    .assert_fails_with("was run already (a consultation runs once)");
}

/// N-5.9.5 (the journal is truthful): a `journal entries` range outside the
/// tree fails and shows nothing; the journal does not record it as a run,
/// and the consultation can still be run.
#[test]
fn a_read_outside_the_tree_is_not_journaled_as_a_success() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    let id = sb.approved_consultation(&home);
    let r = sb.at(
        &home,
        &["journal", "entries", "--from", "50", "--consultation", &id],
    );
    r.assert_fails_with("--from 50 is after the end of the journal (3)");
    assert!(r.stdout.is_empty());
    let entries = sb.entries(&home);
    let runs: Vec<_> = entries
        .iter()
        .filter(|e| e["action"] == "consult.run")
        .collect();
    assert_eq!(runs.len(), 1, "the refused run is journaled once");
    assert_eq!(runs[0]["outcome"], "failure", "and not as a success");
    sb.at(&home, &["journal", "entries", "--consultation", &id])
        .assert_ok();
}

/// N-5.9.5, contract 7: without an approved consultation, no entry is shown,
/// and the refusal is journaled.
#[test]
fn journal_entries_without_a_consultation_are_refused_and_journaled() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    let r = sb.at(&home, &["journal", "entries", "--json"]);
    r.assert_fails_with("reading journal entries takes an approved consultation");
    assert!(r.stdout.is_empty());
    let refusal = &sb.entries(&home)[1];
    assert_eq!(refusal["action"], "authz.deny");
    assert_eq!(refusal["details"]["requested"], "journal.read");
    assert_eq!(refusal["details"]["reason"], "no-consultation");
}

// ----- 6. inclusion proofs -----------------------------------------------

/// `journal proof --index I --json` into a file of the sandbox.
fn proof_file(sb: &Sandbox, home: &Path, index: u64, rel: &str) -> (PathBuf, Value) {
    let r = sb.at(
        home,
        &["journal", "proof", "--index", &index.to_string(), "--json"],
    );
    r.assert_ok();
    let doc = single_json_line(&r.stdout);
    (write_json(sb, rel, &doc), doc)
}

/// DESIGN contract 5, N-5.9.5: an inclusion proof is one JSON document with
/// the contract's fields, its entry canonical; `verify-proof` checks it with
/// the home's vkey or, offline, with `--vkey` alone; so does the verify crate.
#[test]
fn inclusion_proof_verifies_offline() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    let (file, doc) = proof_file(&sb, &home, 0, "proof.json");
    for f in [
        "origin",
        "index",
        "size",
        "entry",
        "leaf_hash",
        "inclusion",
        "checkpoint",
    ] {
        assert!(doc.get(f).is_some(), "proof lacks {f}: {doc}");
    }
    assert_eq!(doc["index"], 0);
    assert!(is_canonical(doc["entry"].as_str().unwrap()));
    let r = sb.at(&home, &["verify-proof", path_arg(&file)]);
    r.assert_ok();
    assert!(r.stdout.starts_with("valid: entry 0 is in log"), "{r:#?}");
    let vkey = home.join("journal/vkey");
    sb.run(&["verify-proof", path_arg(&file), "--vkey", path_arg(&vkey)])
        .assert_ok();
    let proof: InclusionProof = serde_json::from_value(doc).unwrap();
    proof
        .verify(&vkey_of(&home))
        .expect("the verify crate accepts it");
}

/// N-5.9.5 (tamper-evident): a proof does not verify under another log's
/// key.
#[test]
fn inclusion_proof_is_invalid_under_another_homes_vkey() {
    let sb = Sandbox::new();
    let (home, other) = (sb.home(), sb.path("other"));
    sb.init_home();
    sb.init(&other, &[]);
    let (file, _) = proof_file(&sb, &home, 0, "proof.json");
    let vkey = other.join("journal/vkey");
    sb.at(
        &home,
        &["verify-proof", path_arg(&file), "--vkey", path_arg(&vkey)],
    )
    .assert_fails_with("INVALID");
}

/// N-5.9.5: a proof whose entry text was altered does not verify.
#[test]
fn inclusion_proof_with_an_altered_entry_is_invalid() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    let (_, mut doc) = proof_file(&sb, &home, 0, "proof.json");
    let altered = doc["entry"].as_str().unwrap().replace(ACTOR, "mallory");
    doc["entry"] = Value::String(altered);
    let file = write_json(&sb, "altered.json", &doc);
    sb.at(&home, &["verify-proof", path_arg(&file)])
        .assert_fails_with("INVALID: mismatch: leaf_hash is not the hash of entry");
    let r = sb.at(&home, &["verify-proof", path_arg(&file), "--json"]);
    assert_eq!(r.code, 1, "{r:#?}");
    assert_eq!(single_json_line(&r.stdout)["valid"], false);
}

/// Bad input gets a clear error: a JSON file that is no proof.
#[test]
fn verify_proof_refuses_a_document_that_is_no_proof() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    let file = write_json(&sb, "other.json", &json!({ "hello": "world" }));
    sb.at(&home, &["verify-proof", path_arg(&file)])
        .assert_fails_with("is neither an inclusion nor a consistency proof");
}

/// An index past the tree is refused as out of range; the journal's content
/// is unchanged.
#[test]
fn inclusion_proof_past_the_tree_is_out_of_range() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    fails_unchanged(
        &home,
        &mut sb.command_at(&home, &["journal", "proof", "--index", "5", "--json"]),
        "out of range",
        LOCK_AND_WAL,
    );
}

/// DESIGN contract 2/5: proofs are made to published checkpoints only; a
/// size inside one batch (never signed) is refused, the published ones work.
#[test]
fn inclusion_proof_at_an_unpublished_size_is_refused() {
    let sb = Sandbox::new();
    let home = sb.home();
    let key = key_file_of(&sb.init_home());
    append_one_batch(&home, &key, 3);
    assert_eq!(
        latest_checkpoint(&home).size,
        4,
        "sizes 2 and 3 were never published"
    );
    fails_unchanged(
        &home,
        &mut sb.command_at(&home, &["journal", "proof", "--index", "0", "--size", "2"]),
        "no checkpoint was published at tree size 2",
        LOCK_AND_WAL,
    );
    for size in ["1", "4"] {
        sb.at(
            &home,
            &["journal", "proof", "--index", "0", "--size", size, "--json"],
        )
        .assert_ok();
    }
}

// ----- 7. consistency proofs ---------------------------------------------

/// DESIGN contract 5: `journal consistency --from 1 --json` is one JSON
/// document that `verify-proof` accepts.
#[test]
fn consistency_proof_verifies_offline() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    sb.entries(&home);
    sb.entries(&home);
    let r = sb.at(&home, &["journal", "consistency", "--from", "1", "--json"]);
    r.assert_ok();
    let doc = single_json_line(&r.stdout);
    for f in [
        "origin",
        "old_size",
        "new_size",
        "consistency",
        "old_checkpoint",
        "new_checkpoint",
    ] {
        assert!(doc.get(f).is_some(), "proof lacks {f}: {doc}");
    }
    assert_eq!((&doc["old_size"], &doc["new_size"]), (&json!(1), &json!(7)));
    let file = write_json(&sb, "consistency.json", &doc);
    let r = sb.at(&home, &["verify-proof", path_arg(&file)]);
    r.assert_ok();
    assert!(r.stdout.starts_with("valid: log"), "{r:#?}");
    assert!(r.stdout.contains("at size 7 extends size 1"), "{r:#?}");
}

// ----- 8. journal verify and tampering -----------------------------------

/// N-5.9.5: `journal verify` recomputes the tree and says "journal OK"; the
/// check is journaled.
#[test]
fn journal_verify_reports_an_intact_journal_ok() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    sb.entries(&home);
    let r = sb.at(&home, &["journal", "verify"]);
    r.assert_ok();
    assert!(r.stdout.starts_with("journal OK: 4 entries"), "{r:#?}");
    let r = sb.at(&home, &["journal", "verify", "--json"]);
    r.assert_ok();
    assert_eq!(single_json_line(&r.stdout)["ok"], true);
    let entries = sb.entries(&home);
    let verifies: Vec<_> = entries
        .iter()
        .filter(|e| e["action"] == "journal.verify")
        .collect();
    assert_eq!(verifies.len(), 2);
    assert_eq!(
        verifies[0]["details"]["authz"]["policies"],
        json!(["administrator-system", "archivist-verify", "dpo-audit"])
    );
}

/// N-5.9.5 (tamper-evident), reliability rules: one flipped byte in the
/// current entry bundle is detected and the file named, by `journal verify`
/// and by any other command, which returns no data.
#[test]
fn an_altered_entry_bundle_is_detected_and_named() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    sb.entries(&home);
    let id = sb.approved_consultation(&home);
    let bundle = widest_partial(&home.join("journal/tile/entries/000.p"));
    let name = bundle
        .strip_prefix(home.join("journal"))
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(name, "tile/entries/000.p/6");
    let len = std::fs::metadata(&bundle).unwrap().len() as usize;
    flip_byte(&bundle, len / 2);
    for cmd in [
        &["journal", "verify"][..],
        &["journal", "entries", "--json", "--consultation", &id],
    ] {
        let r = sb.at(&home, cmd);
        assert_ne!(r.code, 0, "{cmd:?} must not succeed on an altered journal");
        r.assert_fails_with(&name);
    }
}

/// Reliability rules ("a flipped bit in a tile is detected by verify and
/// named"), DESIGN contract 2/5: a superseded partial hash tile is still
/// what proofs to older sizes are made from; altering it must be caught.
#[test]
fn an_altered_superseded_hash_tile_is_detected() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    for _ in 0..3 {
        sb.entries(&home);
    }
    let tile = home.join("journal/tile/0/000.p/3");
    assert!(
        tile.is_file(),
        "the width-3 tile is kept for the checkpoint of size 3"
    );
    flip_byte(&tile, 40);
    let verify = sb.at(&home, &["journal", "verify"]);
    let proof = sb.at(
        &home,
        &["journal", "proof", "--index", "0", "--size", "3", "--json"],
    );
    if proof.code == 0 {
        let file = write_json(&sb, "p.json", &single_json_line(&proof.stdout));
        sb.at(&home, &["verify-proof", path_arg(&file)]).assert_ok();
    }
    verify.assert_fails_with("tile/0/000.p/3");
}

// ----- 9. home format ----------------------------------------------------

/// Bad input changes nothing: a home written by a newer Probant is refused.
#[test]
fn a_home_from_a_newer_probant_is_refused_and_unchanged() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    let path = home.join("home.json");
    let mut meta: Value = serde_json::from_str(&read_text(&path)).unwrap();
    meta["format"] = json!(2);
    std::fs::write(&path, serde_json::to_string_pretty(&meta).unwrap()).unwrap();
    fails_unchanged(
        &home,
        &mut sb.command_at(&home, &["journal", "entries"]),
        "this home was written by a newer Probant (home format 2",
        LOCK,
    );
}

/// DESIGN contract 1/6: a directory without home.json is not a home; the
/// error suggests `probant init`, and nothing is created.
#[test]
fn a_directory_without_home_json_is_not_a_home() {
    let sb = Sandbox::new();
    let message = "is not a Probant home (no home.json); create one with `probant init`";
    let absent = sb.path("absent");
    sb.at(&absent, &["journal", "entries"])
        .assert_fails_with(message);
    assert!(!absent.exists());
    let home = sb.home();
    sb.init_home();
    std::fs::remove_file(home.join("home.json")).unwrap();
    fails_unchanged(
        &home,
        &mut sb.command_at(&home, &["journal", "entries"]),
        message,
        LOCK,
    );
}

// ----- 10. one writer ----------------------------------------------------

/// One writer per journal: while another process holds `journal/lock`,
/// commands are refused and change nothing; once released they work.
#[test]
fn a_journal_in_use_by_another_process_is_refused() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    let lock = std::fs::File::options()
        .write(true)
        .open(home.join("journal/lock"))
        .unwrap();
    lock.try_lock().expect("the test takes the journal lock");
    fails_unchanged(
        &home,
        &mut sb.command_at(&home, &["journal", "entries"]),
        "is in use by another probant process",
        LOCK,
    );
    lock.unlock().unwrap();
    sb.entries(&home);
}

// ----- 11. retention -----------------------------------------------------

/// N-5.11.7: a prune date in the future is refused; the journal is
/// unchanged.
#[test]
fn prune_refuses_a_future_date() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    fails_unchanged(
        &home,
        &mut sb.command_at(&home, &["journal", "prune", "--before", "2999-01-01"]),
        "retention: the prune date is in the future",
        LOCK_AND_WAL,
    );
}

/// Bad input gets a clear error: `--before` that is not a date.
#[test]
fn prune_refuses_a_malformed_date() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    fails_unchanged(
        &home,
        &mut sb.command_at(&home, &["journal", "prune", "--before", "notadate"]),
        "--before \"notadate\" is not a date (YYYY-MM-DD) or an RFC 3339 time",
        LOCK_AND_WAL,
    );
}

/// N-5.11.7, N-5.9.5: pruning before 2000 removes nothing, and the prune is
/// itself journaled (`journal.prune`); the journal still verifies.
#[test]
fn prune_before_2000_prunes_nothing_and_is_journaled() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    let r = sb.at(&home, &["journal", "prune", "--before", "2000-01-01"]);
    r.assert_ok();
    assert!(r.stdout.starts_with("pruned 0 entries"), "{r:#?}");
    let entries = sb.entries(&home);
    let prune = entries
        .iter()
        .find(|e| e["action"] == "journal.prune")
        .expect("journal.prune");
    assert_eq!(prune["actor"]["id"], ACTOR);
    assert_eq!(prune["details"]["before"], "2000-01-01T00:00:00.000000Z");
    assert_eq!(prune["details"]["bundles"], json!([]));
    sb.at(&home, &["journal", "verify"]).assert_ok();
}

/// N-5.11.7e: entries younger than their retention are never pruned, even
/// when they are older than `--before`.
#[test]
fn prune_keeps_entries_younger_than_their_retention() {
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    sb.entries(&home);
    use probant_journal::Clock;
    let now = probant_journal::entry::format_time(probant_journal::SystemClock.now_micros());
    let r = sb.at(&home, &["journal", "prune", "--before", &now]);
    r.assert_ok();
    assert!(r.stdout.starts_with("pruned 0 entries"), "{r:#?}");
    assert_eq!(sb.entries(&home)[0]["action"], "home.init");
}

// ----- 12. sealed at rest ------------------------------------------------

/// DESIGN contract 2, N-5.9.5, CC-7.a: entries are sealed at rest: an actor
/// name that is journaled appears in no file of the home (bundles, WAL,
/// tiles, checkpoints).
#[test]
fn journaled_plaintext_never_appears_in_the_home() {
    const MARKER: &str = "MARKER-7c1e-85073003328";
    let sb = Sandbox::new();
    let home = sb.home();
    sb.init_home();
    // Contract 6: an unregistered actor gets nothing, and the refusal is
    // journaled under the name it gave.
    sb.at(&home, &["journal", "entries", "--as", MARKER])
        .assert_fails_with("is not registered in this home");
    let entries = sb.entries(&home);
    assert!(
        entries.iter().any(|e| e["actor"]["id"] == MARKER),
        "the marker was journaled"
    );
    for f in list_files(&home) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()),
            "{} holds journal plaintext",
            f.display()
        );
    }
}
