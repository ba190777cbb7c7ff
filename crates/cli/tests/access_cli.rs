//! End-to-end tests of access control through the `probant` binary
//! (issue 5; DESIGN contracts 6 and 7): identities and credentials, the
//! policy commands, programs acting for persons, the consultation procedure
//! and the reports. Each refusal is checked for its clear error, for the
//! absence of data, and for its journal entry.
#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};

use common::{json_lines, single_json_line, Sandbox, ACTOR, APPROVER};
use serde_json::{json, Value};

const NISS: &str = "85073003328";

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../samples")
        .join(name)
}

fn ready() -> (Sandbox, PathBuf) {
    let sb = Sandbox::new();
    sb.init_home();
    let home = sb.home();
    (sb, home)
}

/// Ingests the sample PDF as `classification`; returns its id.
fn ingest(sb: &Sandbox, home: &Path, classification: &str) -> String {
    let pdf = sample("attestation.pdf");
    let r = sb.at(
        home,
        &[
            "ingest",
            pdf.to_str().unwrap(),
            "--subject",
            NISS,
            "--type",
            "attestation",
            "--original-id",
            "A-1",
            "--classification",
            classification,
            "--json",
        ],
    );
    r.assert_ok();
    single_json_line(&r.stdout)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn add_user(sb: &Sandbox, home: &Path, id: &str, extra: &[&str]) -> Value {
    let r = sb.at(home, &[&["users", "add", id, "--json"][..], extra].concat());
    r.assert_ok();
    single_json_line(&r.stdout)
}

fn get(sb: &Sandbox, home: &Path, id: &str, extra: &[&str]) -> (common::Run, PathBuf) {
    let out = sb.path(&format!("out-{}", extra.join("-").replace('/', "_")));
    let r = sb.at(
        home,
        &[
            &[
                "get",
                id,
                "-o",
                out.to_str().unwrap(),
                "--purpose",
                "benefit check",
            ][..],
            extra,
        ]
        .concat(),
    );
    (r, out)
}

/// DESIGN contract 6: after `init`, the actor who ran it ingests and reads
/// back at once; any other actor name gets nothing, with a clear error, and
/// the refusal is journaled under the name it gave.
#[test]
fn unregistered_actors_get_nothing_and_their_refusal_is_journaled() {
    let (sb, home) = ready();
    let id = ingest(&sb, &home, "internal");
    let (r, out) = get(&sb, &home, &id, &[]);
    r.assert_ok();
    assert!(out.exists());
    let (r, out) = get(&sb, &home, &id, &["--as", "mallory"]);
    r.assert_fails_with("actor \"mallory\" is not registered in this home");
    assert!(!out.exists());
    assert!(r.stdout.is_empty());
    let refusal = sb
        .entries(&home)
        .into_iter()
        .find(|e| e["actor"]["id"] == "mallory")
        .expect("the refusal is journaled");
    assert_eq!(refusal["action"], "authz.deny");
    assert_eq!(refusal["outcome"], "denied");
    assert_eq!(refusal["actor"]["kind"], "unknown");
    assert_eq!(refusal["details"]["reason"], "unknown-principal");
    assert_eq!(refusal["details"]["requested"], "record.read");
}

/// N-5.6.3: the credential is the user's own, kept outside the home; a
/// registered user presenting someone else's credential is refused.
#[test]
fn a_credential_authenticates_only_its_own_user() {
    let (sb, home) = ready();
    let doc = add_user(
        &sb,
        &home,
        "carol",
        &["--role", "case-handler", "--clearance", "internal"],
    );
    let carol_cred = doc["credential"].as_str().unwrap().to_owned();
    assert!(
        !Path::new(&carol_cred).starts_with(&home),
        "outside the home"
    );
    let r = sb.at(
        &home,
        &[
            "--credential",
            &carol_cred,
            "search",
            "--type",
            "attestation",
        ],
    );
    r.assert_fails_with("is not \"alice\"'s credential for this home");
    sb.at(&home, &["--as", "carol", "search", "--type", "attestation"])
        .assert_ok();
    let removed = sb.at(&home, &["users", "remove", "carol"]);
    removed.assert_ok();
    sb.at(&home, &["--as", "carol", "search"])
        .assert_fails_with("not registered");
    let bad = sb.write("not-a-credential", "hello\n");
    sb.at(&home, &["--credential", bad.to_str().unwrap(), "search"])
        .assert_fails_with("is not a Probant credential file");
}

/// N-5.6.5: users are managed by administrators only.
#[test]
fn only_administrators_register_users() {
    let (sb, home) = ready();
    add_user(
        &sb,
        &home,
        "carol",
        &["--role", "case-handler", "--clearance", "internal"],
    );
    let r = sb.at(
        &home,
        &[
            "--as",
            "carol",
            "users",
            "add",
            "eve",
            "--role",
            "administrator",
            "--clearance",
            "sensitive",
        ],
    );
    r.assert_fails_with("access denied (not-permitted)");
    sb.at(&home, &["--as", "eve", "search"])
        .assert_fails_with("not registered");
    let bad = sb.at(
        &home,
        &[
            "users",
            "add",
            "frank",
            "--role",
            "case-handler",
            "--clearance",
            "top-secret",
        ],
    );
    bad.assert_fails_with("--clearance: unknown level \"top-secret\"");
    let r = sb.at(&home, &["users", "list", "--json"]);
    r.assert_ok();
    let ids: Vec<String> = json_lines(&r.stdout)
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["alice", "bob", "carol"]);
}

/// N-5.5.1: a principal never obtains a record above its clearance.
#[test]
fn clearance_below_the_classification_is_refused() {
    let (sb, home) = ready();
    let id = ingest(&sb, &home, "confidential");
    add_user(
        &sb,
        &home,
        "carol",
        &["--role", "case-handler", "--clearance", "internal"],
    );
    let (r, out) = get(&sb, &home, &id, &["--as", "carol"]);
    r.assert_fails_with("access denied (clearance-too-low)");
    assert!(!out.exists());
    let r = sb.at(
        &home,
        &["--as", "carol", "search", "--subject", NISS, "--json"],
    );
    r.assert_ok();
    assert!(
        r.stdout.is_empty(),
        "withheld from the results: {}",
        r.stdout
    );
}

/// N-5.9.6: a program acts only for a registered natural person; the
/// journal names both; a person cannot claim to act for another.
#[test]
fn programs_act_only_on_behalf_of_a_registered_person() {
    let (sb, home) = ready();
    let id = ingest(&sb, &home, "internal");
    add_user(
        &sb,
        &home,
        "app-1",
        &[
            "--program",
            "--role",
            "case-handler",
            "--clearance",
            "sensitive",
        ],
    );
    add_user(
        &sb,
        &home,
        "dave",
        &["--role", "case-handler", "--clearance", "confidential"],
    );
    let (r, _) = get(&sb, &home, &id, &["--as", "app-1"]);
    r.assert_fails_with("access denied (no-on-behalf-of)");
    let (r, _) = get(
        &sb,
        &home,
        &id,
        &["--as", "app-1", "--on-behalf-of", "ghost"],
    );
    r.assert_fails_with("access denied (on-behalf-of-unknown)");
    let (r, out) = get(
        &sb,
        &home,
        &id,
        &["--as", "app-1", "--on-behalf-of", "dave"],
    );
    r.assert_ok();
    assert!(out.exists());
    let (r, _) = get(&sb, &home, &id, &["--on-behalf-of", "dave"]);
    r.assert_fails_with("only a program acts on behalf of a person");
    let read = sb
        .entries(&home)
        .into_iter()
        .rfind(|e| e["action"] == "record.read")
        .unwrap();
    assert_eq!(read["actor"]["id"], "app-1");
    assert_eq!(read["actor"]["kind"], "program");
    assert_eq!(read["actor"]["on_behalf_of"], "dave");
    assert_eq!(read["actor"]["auth"], "local-credential");
}

/// N-5.6.4, AR-20.5: `policy validate|apply|show`: a register with a
/// deliberation is applied as version 2, journaled with both hashes; reads
/// name it; an invalid candidate changes nothing; a non-administrator is
/// refused.
#[test]
fn legal_bases_are_applied_as_a_new_policy_version() {
    let (sb, home) = ready();
    let id = ingest(&sb, &home, "internal");
    let r = sb.at(&home, &["policy", "show", "--json"]);
    r.assert_ok();
    let v1 = single_json_line(&r.stdout);
    assert_eq!(v1["version"], 1);
    let bases = json!([
        v1["legal_bases"][0],
        { "reference": "22/123", "purposes": ["benefit check"], "data_categories": ["attestation"],
          "roles": ["case-handler"], "valid_from": "2022-01-01", "valid_until": "2030-12-31" }
    ]);
    let file = sb.write("bases.json", &bases.to_string());
    let file = file.to_str().unwrap();
    let r = sb.at(
        &home,
        &["policy", "validate", "--legal-bases", file, "--json"],
    );
    r.assert_ok();
    let candidate = single_json_line(&r.stdout)["candidate_hash"].clone();
    let r = sb.at(&home, &["policy", "apply", "--legal-bases", file, "--json"]);
    r.assert_ok();
    let change = single_json_line(&r.stdout);
    assert_eq!(change["new_version"], 2);
    assert_eq!(change["new_hash"], candidate);
    assert_eq!(change["old_hash"], v1["hash"]);
    let (r, _) = get(&sb, &home, &id, &["--legal-basis", "22/123"]);
    r.assert_ok();
    let broken = sb.write(
        "broken.cedar",
        "permit (principal, action, resource) when { nope };",
    );
    sb.at(
        &home,
        &["policy", "apply", "--policies", broken.to_str().unwrap()],
    )
    .assert_fails_with("the policy does not validate");
    add_user(
        &sb,
        &home,
        "carol",
        &["--role", "case-handler", "--clearance", "internal"],
    );
    sb.at(
        &home,
        &["--as", "carol", "policy", "apply", "--legal-bases", file],
    )
    .assert_fails_with("access denied (not-permitted)");
    let entries = sb.entries(&home);
    let applied: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "policy.apply")
        .collect();
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0]["details"]["old_hash"], v1["hash"]);
    assert_eq!(applied[0]["details"]["new_hash"], candidate);
    let read = entries
        .iter()
        .rfind(|e| e["action"] == "record.read")
        .unwrap();
    assert_eq!(read["legal_basis"], "22/123");
    assert!(entries.iter().any(|e| e["action"] == "authz.deny"
        && e["details"]["requested"] == "policy.apply"
        && e["actor"]["id"] == "carol"));
}

/// N-5.9.5, contract 7: refusal by the approver; the requester cannot run a
/// refused request; `consult list` shows the states; the approver cannot
/// request consultations.
#[test]
fn a_refused_consultation_cannot_run() {
    let (sb, home) = ready();
    let r = sb.at(
        &home,
        &[
            "consult",
            "request",
            "--reason",
            "audit",
            "--since",
            "2026-01-01",
            "--json",
        ],
    );
    r.assert_ok();
    let id = single_json_line(&r.stdout)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sb.at(
        &home,
        &[
            "--as",
            APPROVER,
            "consult",
            "refuse",
            &id,
            "--reason",
            "scope too wide",
        ],
    )
    .assert_ok();
    sb.at(&home, &["consult", "run", &id])
        .assert_fails_with("it was refused");
    sb.at(
        &home,
        &["--as", APPROVER, "consult", "request", "--reason", "x"],
    )
    .assert_fails_with("access denied (not-permitted)");
    let r = sb.at(&home, &["--as", APPROVER, "consult", "list", "--json"]);
    r.assert_ok();
    let list = json_lines(&r.stdout);
    assert_eq!(list[0]["state"], "refused");
    assert_eq!(list[0]["reason"], "audit");
    sb.at(
        &home,
        &[
            "consult",
            "request",
            "--reason",
            "x",
            "--since",
            "2026-13-01",
        ],
    )
    .assert_fails_with("--since: expected a date YYYY-MM-DD");
}

/// GDPR art. 15 via contract 7: "who accessed the data of person X", by
/// actor, on-behalf-of person, time, purpose and legal basis.
#[test]
fn the_dpo_report_names_who_accessed_a_person_s_data() {
    let (sb, home) = ready();
    let id = ingest(&sb, &home, "internal");
    add_user(
        &sb,
        &home,
        "app-1",
        &[
            "--program",
            "--role",
            "case-handler",
            "--clearance",
            "sensitive",
        ],
    );
    add_user(
        &sb,
        &home,
        "dave",
        &["--role", "case-handler", "--clearance", "confidential"],
    );
    get(
        &sb,
        &home,
        &id,
        &["--as", "app-1", "--on-behalf-of", "dave"],
    )
    .0
    .assert_ok();
    let r = sb.at(
        &home,
        &[
            "consult",
            "request",
            "--reason",
            "art. 15 request",
            "--subject",
            NISS,
            "--json",
        ],
    );
    r.assert_ok();
    let c = single_json_line(&r.stdout)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sb.at(&home, &["--as", APPROVER, "consult", "approve", &c])
        .assert_ok();
    let r = sb.at(&home, &["consult", "run", &c, "--report", "--json"]);
    r.assert_ok();
    let lines = json_lines(&r.stdout);
    let read = lines
        .iter()
        .find(|l| l["action"] == "record.read")
        .expect("the read");
    assert_eq!(read["actor"], "app-1");
    assert_eq!(read["on_behalf_of"], "dave");
    assert_eq!(read["purpose"], "benefit check");
    assert_eq!(read["legal_basis"], "own-records");
    assert_eq!(read["record"], id.as_str());
    assert!(lines
        .iter()
        .any(|l| l["action"] == "record.ingest" && l["actor"] == ACTOR));
    assert!(
        !r.stdout.contains(NISS),
        "the report never shows the number"
    );
}

/// CC-8: `access report --json` lists legal bases, roles, categories and
/// actions, and who holds each role.
#[test]
fn access_report_lists_who_may_access_what() {
    let (sb, home) = ready();
    let r = sb.at(&home, &["access", "report", "--json"]);
    r.assert_ok();
    let report = single_json_line(&r.stdout);
    let grant = &report["grants"][0];
    assert_eq!(grant["legal_basis"], "own-records");
    assert_eq!(grant["role"], "case-handler");
    assert_eq!(grant["data_category"], "*");
    assert_eq!(report["roles"]["approver"], json!([APPROVER]));
    sb.at(&home, &["--as", APPROVER, "access", "report"])
        .assert_fails_with("access denied (not-permitted)");
}

/// N-5.6.5, N-5.7.1: key management and integrity audits need their roles;
/// a case handler gets neither, and each refusal is journaled.
#[test]
fn keys_and_audits_need_their_roles() {
    let (sb, home) = ready();
    add_user(
        &sb,
        &home,
        "carol",
        &["--role", "case-handler", "--clearance", "sensitive"],
    );
    for cmd in [
        &["keys", "rotate"][..],
        &["verify"],
        &["journal", "verify"],
        &["journal", "proof", "--index", "0"],
        &["policy", "show"],
    ] {
        let r = sb.at(&home, &[&["--as", "carol"][..], cmd].concat());
        r.assert_fails_with("access denied (not-permitted)");
        assert!(r.stdout.is_empty(), "{cmd:?} printed something");
    }
    let refusals = sb
        .entries(&home)
        .into_iter()
        .filter(|e| e["action"] == "authz.deny" && e["actor"]["id"] == "carol")
        .count();
    assert_eq!(refusals, 5);
    sb.at(&home, &["keys", "rotate"]).assert_ok();
}

/// AR-20.5, N-5.9.5: the access state put back from an older backup (a
/// removed user restored, a policy version dropped) is authentic file by
/// file, but `probant verify` finds it disagrees with the journal.
#[test]
fn access_state_rolled_back_is_found_by_verify() {
    let (sb, home) = ready();
    add_user(
        &sb,
        &home,
        "carol",
        &["--role", "case-handler", "--clearance", "internal"],
    );
    let users = home.join("access/users.sealed");
    let old_users = std::fs::read(&users).unwrap();
    sb.at(&home, &["users", "remove", "carol"]).assert_ok();
    let v1 = single_json_line(&sb.at(&home, &["policy", "show", "--json"]).stdout)["legal_bases"]
        .clone();
    let file = sb.write(
        "bases.json",
        &v1.to_string().replace("\"*\"]", "\"*\", \"audit\"]"),
    );
    sb.at(
        &home,
        &["policy", "apply", "--legal-bases", file.to_str().unwrap()],
    )
    .assert_ok();
    sb.at(&home, &["verify"]).assert_ok();
    std::fs::write(&users, &old_users).unwrap();
    std::fs::remove_file(home.join("access/policy/v000002.sealed")).unwrap();
    let r = sb.at(&home, &["verify"]);
    assert_eq!(r.code, 1, "{r:#?}");
    assert!(
        r.stderr
            .contains("access/users.sealed: \"carol\" is registered, but by the journal it is not"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("access/policy: the version in force (1 "),
        "{}",
        r.stderr
    );
}
