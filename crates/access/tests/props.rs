//! Property tests over random principals, records, legal bases and dates
//! (issue 5): through the real vault and the real Cedar gate,
//! - no content or metadata leaves without a covering, valid legal basis, a
//!   Cedar permit and a sufficient clearance (for a program: capped by the
//!   person it acts for), and everything that satisfies them does leave;
//! - every request, allowed or denied, yields exactly one journal entry
//!   carrying its decision.
//!
//! The oracle below restates the rules from the issue and the shipped
//! policies independently of the implementation.
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::*;
use probant_access::{CedarGate, PolicyVersion, User, Users};
use probant_policy::{LegalBasis, PrincipalKind};
use probant_vault::{Policy, SearchRequest};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const DATE: &str = "2025-06-15";
const ROLES: [&str; 4] = ["case-handler", "archivist", "administrator", "dpo"];
const PURPOSES: [&str; 3] = ["benefits", "audit", "other"];
/// (valid_from, valid_until): expired, current, not yet valid.
const WINDOWS: [(&str, Option<&str>); 3] = [
    ("2020-01-01", Some("2024-12-31")),
    ("2025-01-01", None),
    ("2026-01-01", None),
];

#[derive(Clone, Debug)]
struct Basis {
    purposes: Vec<&'static str>,
    categories: Vec<&'static str>,
    roles: Vec<&'static str>,
    window: usize,
}

#[derive(Clone, Debug)]
struct Case {
    program: bool,
    roles: Vec<&'static str>,
    clearance: usize,
    /// For a program: 0 none, 1 the registered person, 2 an unknown one.
    behalf: usize,
    person_clearance: usize,
    bases: [Basis; 2],
    op: usize,
    record: usize,
    purpose: usize,
    basis_ref: usize,
    filter_type: bool,
}

fn subset<T: Clone + std::fmt::Debug + 'static>(
    items: &'static [T],
) -> impl Strategy<Value = Vec<T>> {
    proptest::sample::subsequence(items.to_vec(), 0..=items.len())
}

fn basis() -> impl Strategy<Value = Basis> {
    static PURPOSE_CHOICES: [&str; 3] = ["*", "benefits", "audit"];
    static CATEGORY_CHOICES: [&str; 3] = ["*", "t1", "t2"];
    static ROLE_CHOICES: [&str; 3] = ["case-handler", "archivist", "administrator"];
    (
        subset(&PURPOSE_CHOICES).prop_filter("non-empty", |v| !v.is_empty()),
        subset(&CATEGORY_CHOICES).prop_filter("non-empty", |v| !v.is_empty()),
        subset(&ROLE_CHOICES).prop_filter("non-empty", |v| !v.is_empty()),
        0..3usize,
    )
        .prop_map(|(purposes, categories, roles, window)| Basis {
            purposes,
            categories,
            roles,
            window,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            any::<bool>(),
            subset(&ROLES),
            any::<bool>(),
            0..4usize,
            0..3usize,
            0..4usize,
        ),
        (basis(), basis()),
        (
            0..3usize,
            0..4usize,
            0..3usize,
            // Mostly registered bases, so that permits are frequent too.
            prop_oneof![3 => Just(0usize), 3 => 1..3usize, 1 => Just(3usize)],
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (program, mut roles, handler, clearance, behalf, person_clearance),
                (a, b),
                (op, record, purpose, basis_ref, filter_type),
            )| {
                if handler && !roles.contains(&"case-handler") {
                    roles.push("case-handler");
                }
                Case {
                    program,
                    roles,
                    clearance,
                    behalf,
                    person_clearance,
                    bases: [a, b],
                    op,
                    record,
                    purpose,
                    basis_ref,
                    filter_type,
                }
            },
        )
}

/// The records every case runs against: (type, classification).
const RECORDS: [(&str, usize); 4] = [("t1", 1), ("t2", 2), ("t1", 3), ("t2", 0)];

fn levels() -> Vec<String> {
    Policy::default_classifications()
}

fn legal_bases(c: &Case) -> Vec<LegalBasis> {
    let mut out = vec![LegalBasis::own_records("2020-01-01")];
    for (name, b) in ["lb-a", "lb-b"].iter().zip(&c.bases) {
        let (from, until) = WINDOWS[b.window];
        out.push(LegalBasis {
            reference: (*name).into(),
            purposes: b.purposes.iter().map(|s| s.to_string()).collect(),
            data_categories: b.categories.iter().map(|s| s.to_string()).collect(),
            roles: b.roles.iter().map(|s| s.to_string()).collect(),
            institutions: Vec::new(),
            valid_from: from.into(),
            valid_until: until.map(str::to_owned),
        });
    }
    out
}

fn user(id: &str, kind: PrincipalKind, roles: &[&str], clearance: usize) -> User {
    User {
        id: id.into(),
        kind,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        clearance: levels()[clearance].clone(),
        institution: String::new(),
        insz: None,
        credential_verifier: String::new(),
        registered: String::new(),
        registered_by: String::new(),
    }
}

fn gate_for(c: &Case) -> CedarGate {
    let kind = if c.program {
        PrincipalKind::Program
    } else {
        PrincipalKind::Person
    };
    let mut users = BTreeMap::new();
    users.insert(
        "subject-x".to_owned(),
        user("subject-x", kind, &c.roles, c.clearance),
    );
    users.insert(
        "person-y".to_owned(),
        user(
            "person-y",
            PrincipalKind::Person,
            &["case-handler"],
            c.person_clearance,
        ),
    );
    let users = Users { format: 1, users };
    let mut version = PolicyVersion::bootstrap("2020-01-01", "", "");
    version.legal_bases = legal_bases(c);
    let authorizer = version.authorizer(&levels()).unwrap();
    CedarGate::with_date(authorizer, Arc::new(users), Box::new(|| DATE.to_owned()))
}

const OPS: [&str; 3] = ["read", "show", "search"];

/// What the issue and the shipped policies say about (principal, record).
fn allowed(c: &Case, op: &str, doc_type: Option<&str>, class: usize) -> bool {
    let roles = &c.roles;
    let has = |r: &str| roles.contains(&r);
    let on_behalf_ok = !c.program || c.behalf == 1;
    let clearance = if c.program && c.behalf == 1 {
        c.clearance.min(c.person_clearance)
    } else {
        c.clearance
    };
    let basis_ok = match c.basis_ref {
        0 => has("case-handler"), // own-records: every purpose and category, case handlers
        1 | 2 => {
            let b = &c.bases[c.basis_ref - 1];
            let (from, until) = WINDOWS[b.window];
            let valid = from <= DATE && until.is_none_or(|u| DATE <= u);
            let purpose = b.purposes.contains(&"*") || b.purposes.contains(&PURPOSES[c.purpose]);
            let category =
                b.categories.contains(&"*") || doc_type.is_some_and(|t| b.categories.contains(&t));
            let grantee = b.roles.iter().any(|r| has(r));
            valid && purpose && category && grantee
        }
        _ => false, // not in the register
    };
    let cedar = match op {
        "read" => has("case-handler"),
        _ => has("case-handler") || has("archivist"),
    };
    on_behalf_ok && clearance >= class && basis_ok && cedar
}

fn ctx_of(c: &Case) -> probant_vault::Ctx {
    let actor = if c.program {
        program(
            "subject-x",
            [None, Some("person-y"), Some("ghost")][c.behalf],
        )
    } else {
        person("subject-x")
    };
    let basis = ["own-records", "lb-a", "lb-b", "unregistered"][c.basis_ref];
    ctx(actor, PURPOSES[c.purpose], basis)
}

#[test]
fn content_leaves_only_when_covered_and_every_request_is_journaled_once() {
    let home = Home::new();
    let ids: Vec<String> = RECORDS
        .iter()
        .map(|(t, class)| home.ingest(t, &levels()[*class]))
        .collect();
    std::fs::create_dir_all(home.out("x").parent().unwrap()).unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 256,
        ..Config::default()
    });
    let n = std::sync::atomic::AtomicU32::new(0);
    let permits = std::sync::atomic::AtomicU32::new(0);
    runner
        .run(&case(), |c| {
            let n = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            home.set_gate(gate_for(&c));
            let ctx = ctx_of(&c);
            let op = OPS[c.op];
            let (doc_type, class) = RECORDS[c.record];
            let before = home.size();
            match op {
                "read" | "show" => {
                    let out = home.out(&format!("case-{n}"));
                    let got = if op == "read" {
                        home.vault.get(&ctx, &ids[c.record], None, &out).map(|_| ())
                    } else {
                        home.vault.show(&ctx, &ids[c.record]).map(|_| ())
                    };
                    let expect = allowed(&c, op, Some(doc_type), class);
                    prop_assert_eq!(got.is_ok(), expect, "{} {:?}: {:?}", op, c, got.err());
                    prop_assert_eq!(out.exists(), expect && op == "read");
                }
                _ => {
                    let filter = c.filter_type.then_some(doc_type);
                    let q = SearchRequest {
                        doc_type: filter.map(str::to_owned),
                        ..SearchRequest::default()
                    };
                    // The query itself is decided at the lowest level.
                    let query_ok = allowed(&c, op, filter, 0);
                    match home.vault.search(&ctx, &q) {
                        Ok(found) => {
                            prop_assert!(query_ok, "search allowed: {:?}", c);
                            for (i, (t, class)) in RECORDS.iter().enumerate() {
                                let matches = filter.is_none_or(|f| f == *t);
                                let visible = found.iter().any(|r| r.record_id == ids[i]);
                                prop_assert_eq!(
                                    visible,
                                    matches && allowed(&c, op, Some(t), *class),
                                    "record {} in results: {:?}",
                                    i,
                                    c
                                );
                            }
                        }
                        Err(e) => prop_assert!(!query_ok, "search refused ({}): {:?}", e, c),
                    }
                }
            }
            prop_assert_eq!(
                home.size(),
                before + 1,
                "exactly one decision entry: {:?}",
                c
            );
            let last = home.last_entry();
            let action = last["action"].as_str().unwrap_or_default().to_owned();
            if last["outcome"] == "success" {
                permits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                prop_assert_eq!(action, format!("record.{op}"));
                prop_assert!(last["details"]["authz"]["policies"]
                    .as_array()
                    .is_some_and(|p| !p.is_empty()));
                prop_assert_eq!(&last["legal_basis"], &serde_json::json!(ctx.legal_basis));
            } else {
                prop_assert_eq!(action, "authz.deny");
                prop_assert_eq!(
                    &last["details"]["requested"],
                    &serde_json::json!(format!("record.{op}"))
                );
                prop_assert!(last["details"]["reason"]
                    .as_str()
                    .is_some_and(|r| !r.is_empty()));
            }
            Ok(())
        })
        .unwrap();
    // The generator must exercise both sides, or the test proves little.
    let (total, permitted) = (n.into_inner(), permits.into_inner());
    assert!(
        permitted >= 20 && total - permitted >= 20,
        "{permitted} permits of {total}"
    );
}
