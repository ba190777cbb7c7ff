//! The cases issue 5 names, end to end on a real home (journal, SQLite,
//! local blobs, sealed access state, Cedar): each refused request gets a
//! clear error, returns no data, and leaves exactly one `authz.deny` entry.
mod common;

use common::*;
use probant_access::{
    Access, CedarGate, NewUser, PolicyCandidate, PolicyVersion, Scope, State, Users,
};
use probant_crypto::{Credential, KeyRing, MasterKeySource};
use probant_policy::LegalBasis;
use probant_vault::{Error as VaultError, SearchRequest};

fn denied(e: &probant_access::Error) -> Option<&str> {
    match e {
        probant_access::Error::Vault(VaultError::Denied { code, .. }) => Some(code),
        _ => None,
    }
}

fn vault_denied(e: &VaultError) -> &str {
    match e {
        VaultError::Denied { code, .. } => code,
        other => panic!("expected a denial, got {other}"),
    }
}

fn add(home: &mut Home, id: &str, program: bool, roles: &[&str], clearance: &str) {
    let admin = person_ctx(ADMIN, "user management", "own-records");
    home.access
        .add_user(
            &home.vault,
            &admin,
            &NewUser {
                id: id.into(),
                program,
                roles: roles.iter().map(|r| r.to_string()).collect(),
                clearance: clearance.into(),
                ..NewUser::default()
            },
        )
        .unwrap();
    home.refresh();
}

fn apply_bases(home: &mut Home, bases: Vec<LegalBasis>) {
    let admin = person_ctx(ADMIN, "policy management", "own-records");
    home.access
        .apply_policy(
            &home.vault,
            &admin,
            &PolicyCandidate {
                legal_bases: Some(bases),
                ..PolicyCandidate::default()
            },
        )
        .unwrap();
    home.refresh();
}

fn basis(reference: &str, purposes: &[&str], from: &str, until: Option<&str>) -> LegalBasis {
    LegalBasis {
        reference: reference.into(),
        purposes: purposes.iter().map(|p| p.to_string()).collect(),
        data_categories: vec!["*".into()],
        roles: vec!["case-handler".into()],
        institutions: Vec::new(),
        valid_from: from.into(),
        valid_until: until.map(str::to_owned),
    }
}

/// Reads `id` as `ctx`; asserts a refusal with `code`, no file, one entry.
fn refused_read(home: &Home, ctx: &probant_vault::Ctx, id: &str, code: &str) {
    let before = home.size();
    let out = home.out(&format!("{code}.out"));
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let err = home.vault.get(ctx, id, None, &out).unwrap_err();
    assert_eq!(vault_denied(&err), code, "{err}");
    assert!(!out.exists(), "no content for a refused read");
    assert_eq!(home.size(), before + 1, "exactly one decision entry");
    let e = home.last_entry();
    assert_eq!(e["action"], "authz.deny");
    assert_eq!(e["details"]["reason"], code);
    assert_eq!(e["details"]["requested"], "record.read");
}

/// N-5.6.4: an expired legal basis covers nothing.
#[test]
fn expired_legal_basis_is_refused() {
    let mut home = Home::new();
    let id = home.ingest("attestation", "internal");
    apply_bases(
        &mut home,
        vec![
            LegalBasis::own_records("2020-01-01"),
            basis("delib-19-001", &["*"], "2019-01-01", Some("2020-12-31")),
        ],
    );
    let ctx = person_ctx(ADMIN, "benefit check", "delib-19-001");
    refused_read(&home, &ctx, &id, "legal-basis-not-valid-on");
}

/// N-5.6.4: a legal basis covers only its purposes.
#[test]
fn purpose_not_covered_is_refused() {
    let mut home = Home::new();
    let id = home.ingest("attestation", "internal");
    apply_bases(
        &mut home,
        vec![
            LegalBasis::own_records("2020-01-01"),
            basis("delib-22-042", &["benefit check"], "2022-01-01", None),
        ],
    );
    refused_read(
        &home,
        &person_ctx(ADMIN, "curiosity", "delib-22-042"),
        &id,
        "purpose-not-covered",
    );
    let out = home.out("ok");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    home.vault
        .get(
            &person_ctx(ADMIN, "benefit check", "delib-22-042"),
            &id,
            None,
            &out,
        )
        .unwrap();
    let e = home.last_entry();
    assert_eq!(e["action"], "record.read");
    assert_eq!(e["legal_basis"], "delib-22-042");
    assert_eq!(
        e["details"]["authz"]["policies"],
        serde_json::json!(["case-handler-records"])
    );
}

/// N-5.9.6: a program without the person it acts for is refused; with a
/// registered person it reads, within that person's clearance, and the
/// journal names both.
#[test]
fn program_without_on_behalf_of_person_is_refused() {
    let mut home = Home::new();
    let id = home.ingest("attestation", "confidential");
    add(&mut home, "app-1", true, &["case-handler"], "sensitive");
    add(&mut home, "carol", false, &["case-handler"], "internal");
    add(&mut home, "dave", false, &["case-handler"], "confidential");
    refused_read(
        &home,
        &ctx(program("app-1", None), "x", "own-records"),
        &id,
        "no-on-behalf-of",
    );
    refused_read(
        &home,
        &ctx(program("app-1", Some("nobody")), "x", "own-records"),
        &id,
        "on-behalf-of-unknown",
    );
    // Least privilege: carol's clearance (internal) caps the program's.
    refused_read(
        &home,
        &ctx(program("app-1", Some("carol")), "x", "own-records"),
        &id,
        "clearance-too-low",
    );
    let out = home.out("dave");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    home.vault
        .get(
            &ctx(program("app-1", Some("dave")), "x", "own-records"),
            &id,
            None,
            &out,
        )
        .unwrap();
    let e = home.last_entry();
    assert_eq!(e["actor"]["id"], "app-1");
    assert_eq!(e["actor"]["kind"], "program");
    assert_eq!(e["actor"]["on_behalf_of"], "dave");
}

/// N-5.5.1: never a record above the principal's clearance, in a read or
/// in search results.
#[test]
fn clearance_limits_reads_and_search_results() {
    let mut home = Home::new();
    let low = home.ingest("attestation", "internal");
    let high = home.ingest("medical-report", "sensitive");
    add(&mut home, "carol", false, &["case-handler"], "confidential");
    let carol = person_ctx("carol", "benefit check", "own-records");
    refused_read(&home, &carol, &high, "clearance-too-low");
    let found = home
        .vault
        .search(&carol, &SearchRequest::default())
        .unwrap();
    let ids: Vec<_> = found.iter().map(|r| r.record_id.clone()).collect();
    assert_eq!(ids, [low]);
    assert_eq!(home.last_entry()["details"]["withheld"], 1);
}

/// N-5.6.5: being an administrator does not open content.
#[test]
fn administrator_reading_content_is_refused() {
    let mut home = Home::new();
    let id = home.ingest("attestation", "internal");
    add(&mut home, "root", false, &["administrator"], "sensitive");
    refused_read(
        &home,
        &person_ctx("root", "maintenance", "own-records"),
        &id,
        "role-not-covered",
    );
    // Even under a legal basis that covers administrators, the forbid holds.
    let mut admins = basis("it-maintenance", &["*"], "2020-01-01", None);
    admins.roles = vec!["administrator".into()];
    apply_bases(
        &mut home,
        vec![LegalBasis::own_records("2020-01-01"), admins],
    );
    refused_read(
        &home,
        &person_ctx("root", "maintenance", "it-maintenance"),
        &id,
        "forbidden",
    );
}

/// N-5.6.5, AR-20.5: only administrators change the policy; the refusal is
/// journaled and nothing changes.
#[test]
fn policy_change_by_non_administrator_is_refused() {
    let mut home = Home::new();
    add(&mut home, "carol", false, &["case-handler"], "sensitive");
    let before_version = home.access.policy().version;
    let before = home.size();
    let err = home
        .access
        .apply_policy(
            &home.vault,
            &person_ctx("carol", "x", "own-records"),
            &PolicyCandidate {
                policies: Some("@id(\"all\") permit (principal, action, resource);".into()),
                ..PolicyCandidate::default()
            },
        )
        .unwrap_err();
    assert_eq!(denied(&err), Some("not-permitted"), "{err}");
    assert_eq!(home.access.policy().version, before_version);
    assert_eq!(home.size(), before + 1);
    assert_eq!(home.last_entry()["details"]["requested"], "policy.apply");
    assert!(!home.dir().join("access/policy/v000002.sealed").exists());
}

/// AR-20.5: a policy change is validated whole, stored as a new version and
/// journaled with the old and new hashes; an invalid one changes nothing.
#[test]
fn policy_changes_are_versioned_validated_and_journaled() {
    let mut home = Home::new();
    let admin = person_ctx(ADMIN, "policy management", "own-records");
    let old = home.access.policy().hash();
    let bad = home.access.apply_policy(
        &home.vault,
        &admin,
        &PolicyCandidate {
            policies: Some("permit (principal, action, resource) when { nonsense };".into()),
            ..PolicyCandidate::default()
        },
    );
    assert!(
        matches!(bad, Err(probant_access::Error::Policy(_))),
        "{bad:?}"
    );
    assert_eq!(home.access.policy().hash(), old);
    let change = home
        .access
        .apply_policy(
            &home.vault,
            &admin,
            &PolicyCandidate {
                legal_bases: Some(vec![
                    LegalBasis::own_records("2020-01-01"),
                    basis("delib-24-044", &["*"], "2024-01-01", None),
                ]),
                ..PolicyCandidate::default()
            },
        )
        .unwrap();
    assert_eq!((change.old_version, change.new_version), (1, 2));
    assert_eq!(change.old_hash, old);
    let e = home.last_entry();
    assert_eq!(e["action"], "policy.apply");
    assert_eq!(e["details"]["old_hash"], old);
    assert_eq!(e["details"]["new_hash"], change.new_hash);
    // Reopened, the chain holds and the new version is in force.
    let ring = KeyRing::open(
        &home.dir().join("keyring.json"),
        HOME_ID,
        &MasterKeySource::KeyFile(home.tmp.path().join("keys/home.key")),
    )
    .unwrap();
    let levels = probant_vault::Policy::default_classifications();
    let reopened = Access::open(&home.dir(), HOME_ID, &ring, levels.clone()).unwrap();
    assert_eq!(reopened.policy().hash(), change.new_hash);
    // A swapped version file breaks the chain: refused, fail closed.
    let v1 = home.dir().join("access/policy/v000001.sealed");
    let v2 = home.dir().join("access/policy/v000002.sealed");
    let (b1, b2) = (std::fs::read(&v1).unwrap(), std::fs::read(&v2).unwrap());
    std::fs::write(&v1, &b2).unwrap();
    std::fs::write(&v2, &b1).unwrap();
    assert!(Access::open(&home.dir(), HOME_ID, &ring, levels.clone()).is_err());
    // A flipped byte: refused as damaged.
    let mut b = b2.clone();
    b[40] ^= 1;
    std::fs::write(&v1, &b1).unwrap();
    std::fs::write(&v2, &b).unwrap();
    let err = Access::open(&home.dir(), HOME_ID, &ring, levels)
        .err()
        .unwrap();
    assert!(err.to_string().contains("damaged or was altered"), "{err}");
}

/// N-5.9.5, contract 7: approver equal to requester is refused; a
/// different approver approves; the requester runs once; others cannot run.
#[test]
fn approver_equal_to_requester_is_refused() {
    let home = Home::new();
    home.ingest("attestation", "internal");
    let alice = person_ctx(ADMIN, "DPO request", "own-records");
    let bob = person_ctx(APPROVER, "decision", "own-records");
    let c = home
        .access
        .consult_request(
            &home.vault,
            &alice,
            "data subject request",
            Scope::default(),
        )
        .unwrap();
    let err = home
        .access
        .consult_decide(&home.vault, &alice, &c.id, None)
        .unwrap_err();
    assert_eq!(denied(&err), Some("self-approval"));
    let mut sink = |_: u64, _: &[u8]| Ok(());
    let err = home
        .access
        .consult_run(&home.vault, &alice, &c.id, (0, None), &mut sink)
        .unwrap_err();
    assert!(err.to_string().contains("not approved yet"), "{err}");
    let approved = home
        .access
        .consult_decide(&home.vault, &bob, &c.id, None)
        .unwrap();
    assert!(matches!(approved.state, State::Approved { .. }));
    let err = home
        .access
        .consult_run(&home.vault, &bob, &c.id, (0, None), &mut sink)
        .unwrap_err();
    assert_eq!(denied(&err), Some("not-requester"));
    let mut shown = Vec::new();
    let n = home
        .access
        .consult_run(&home.vault, &alice, &c.id, (0, None), &mut |i, _| {
            shown.push(i);
            Ok(())
        })
        .unwrap();
    assert_eq!(n as usize, shown.len());
    assert!(n >= 4, "init-time ingest, request, refusals, approval");
    let again = home
        .access
        .consult_run(&home.vault, &alice, &c.id, (0, None), &mut sink);
    assert!(again.unwrap_err().to_string().contains("runs once"));
    let actions: Vec<String> = home
        .entries()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    for step in ["consult.request", "consult.approve", "consult.run"] {
        assert!(actions.iter().any(|a| a == step), "{step} journaled");
    }
}

/// GDPR art. 15 via contract 7: the report for a subject lists every access
/// to their records — by whom, for whom, why, under which basis — and no
/// access to someone else's.
#[test]
fn who_accessed_person_x_lists_every_access_to_their_records() {
    let mut home = Home::new();
    let id = home.ingest("attestation", "internal");
    add(&mut home, "app-1", true, &["case-handler"], "sensitive");
    add(&mut home, "dave", false, &["case-handler"], "confidential");
    let out = home.out("r");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    home.vault
        .get(
            &ctx(
                program("app-1", Some("dave")),
                "benefit check",
                "own-records",
            ),
            &id,
            None,
            &out,
        )
        .unwrap();
    // Someone else's record: not in the report.
    let other = probant_vault::IngestRequest {
        source: home.file("other.txt", b"other\n"),
        subject: "93051822361".into(),
        doc_type: "attestation".into(),
        original_id: "O-2".into(),
        classification: "internal".into(),
        retention: "default".into(),
        ..Default::default()
    };
    let other_id = home
        .vault
        .ingest(&person_ctx(ADMIN, "capture", "own-records"), &other)
        .unwrap()
        .record_id;
    let alice = person_ctx(ADMIN, "DPO request", "own-records");
    let pseudonym = home
        .vault
        .subject_pseudonym(&probant_identifiers::parse_person(NISS).unwrap());
    let c = home
        .access
        .consult_request(
            &home.vault,
            &alice,
            "art. 15 request",
            Scope {
                subject: Some(pseudonym),
                ..Scope::default()
            },
        )
        .unwrap();
    home.access
        .consult_decide(
            &home.vault,
            &person_ctx(APPROVER, "d", "own-records"),
            &c.id,
            None,
        )
        .unwrap();
    let mut lines = Vec::new();
    home.access
        .consult_run(&home.vault, &alice, &c.id, (0, None), &mut |i, bytes| {
            let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            lines.extend(probant_access::AccessEvent::of(i, &v));
            Ok(())
        })
        .unwrap();
    let read = lines
        .iter()
        .find(|l| l.action == "record.read")
        .expect("the read");
    assert_eq!(read.actor, "app-1");
    assert_eq!(read.on_behalf_of.as_deref(), Some("dave"));
    assert_eq!(read.purpose.as_deref(), Some("benefit check"));
    assert_eq!(read.legal_basis.as_deref(), Some("own-records"));
    assert_eq!(read.record.as_deref(), Some(id.as_str()));
    assert!(lines
        .iter()
        .all(|l| l.record.as_deref() != Some(other_id.as_str())));
}

/// N-5.6.3: an unregistered actor, another user's credential, a credential
/// of another home and a person claiming to act for someone are refused.
#[test]
fn authentication_refuses_unknown_actors_and_foreign_credentials() {
    let tmp = tempfile::tempdir().unwrap();
    let home = Home::new();
    let dir = home.dir();
    let _ = &dir;
    let bob_cred = Credential::generate(HOME_ID, APPROVER).unwrap();
    let err = home
        .access
        .authenticate("mallory", Credential::generate(HOME_ID, "mallory"), None);
    assert_eq!(err.unwrap_err().code, "unknown-principal");
    let err = home.access.authenticate(ADMIN, Ok(bob_cred), None);
    assert_eq!(err.unwrap_err().code, "bad-credential");
    let foreign = Credential::generate("another-home", ADMIN).unwrap();
    assert_eq!(
        home.access
            .authenticate(ADMIN, Ok(foreign), None)
            .unwrap_err()
            .code,
        "bad-credential"
    );
    let missing = Credential::read(&tmp.path().join("none"));
    assert_eq!(
        home.access
            .authenticate(ADMIN, missing, None)
            .unwrap_err()
            .code,
        "no-credential"
    );
}

/// CC-7.a: the access state is sealed: no user id appears in clear.
#[test]
fn access_state_is_sealed_at_rest() {
    let mut home = Home::new();
    add(
        &mut home,
        "marker-user-4711",
        false,
        &["case-handler"],
        "internal",
    );
    for f in walk(&home.dir().join("access")) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(16).any(|w| w == b"marker-user-4711"),
            "{} holds a user id in clear",
            f.display()
        );
    }
}

/// CC-8: the report lists the legal bases with roles, categories and
/// actions, and who holds each role.
#[test]
fn access_report_lists_grants_and_role_holders() {
    let home = Home::new();
    let r = home
        .access
        .access_report(&home.vault, &person_ctx(ADMIN, "CC-8", "own-records"))
        .unwrap();
    let line = r
        .grants
        .iter()
        .find(|g| g.legal_basis == "own-records")
        .unwrap();
    assert_eq!(line.role.as_deref(), Some("case-handler"));
    assert_eq!(r.roles["approver"], [APPROVER]);
    assert!(r.roles["administrator"].contains(&ADMIN.to_owned()));
    let err = home
        .access
        .access_report(&home.vault, &person_ctx(APPROVER, "CC-8", "own-records"))
        .unwrap_err();
    assert_eq!(denied(&err), Some("not-permitted"));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[allow(dead_code)]
fn unused(_: CedarGate, _: Users, _: PolicyVersion) {}
