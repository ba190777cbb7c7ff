//! One test per deny reason and per case of the issue, plus the permits and
//! the bootstrap of DESIGN contract 6. Requirement ids in each test's doc.
mod common;

use common::*;
use probant_policy::{
    Action, Decision, DenyReason, LegalBasis, PrincipalKind, Request, ResourceAttrs,
    BOOTSTRAP_ROLES,
};

const DAY: &str = "2025-06-01";

fn deny(d: Decision) -> DenyReason {
    match d {
        Decision::Deny { reason } => reason,
        Decision::Permit { policy_ids, .. } => {
            panic!("expected a denial, got a permit by {policy_ids:?}")
        }
    }
}

/// A register with the bootstrap basis and a deliberation for case handlers.
fn register() -> Vec<LegalBasis> {
    vec![
        LegalBasis::own_records("2024-01-01"),
        basis(
            "22/123",
            &["unemployment-benefit"],
            &["c4", "medical-certificate"],
            &["case-handler"],
            "2022-01-01",
            Some("2024-12-31"),
        ),
        basis(
            "23/001",
            &["unemployment-benefit", "control"],
            &["c4"],
            &["case-handler", "archivist"],
            "2023-01-01",
            None,
        ),
    ]
}

/// N-5.6.4, N-5.6.6, N-5.11.2: a permit names the Cedar policy that allowed
/// it and the legal basis that covered it.
#[test]
fn permit_names_policy_and_legal_basis() {
    let a = authorizer(register());
    let alice = person("alice", &["case-handler"], "confidential");
    let rec = ResourceAttrs::record("c4", "confidential");
    for (action, lb) in [
        (Action::Read, "23/001"),
        (Action::Show, "own-records"),
        (Action::Search, "23/001"),
    ] {
        let d = a.decide(&content(
            &alice,
            action,
            &rec,
            Some("control"),
            Some(lb),
            DAY,
        ));
        assert_permit(&d, &["case-handler-records"], Some(lb));
    }
    // Non-content actions carry no legal basis.
    let d = a.decide(&plain(&alice, Action::Ingest, &rec));
    assert_permit(&d, &["case-handler-records"], None);
    // An archivist exports.
    let bob = person("bob", &["archivist"], "sensitive");
    let d = a.decide(&content(
        &bob,
        Action::Export,
        &rec,
        Some("control"),
        Some("23/001"),
        DAY,
    ));
    assert_permit(&d, &["archivist-records"], Some("23/001"));
    // Both roles: both permits named.
    let both = person("carol", &["case-handler", "archivist"], "sensitive");
    let d = a.decide(&content(
        &both,
        Action::Show,
        &rec,
        Some("control"),
        Some("23/001"),
        DAY,
    ));
    assert_permit(
        &d,
        &["archivist-records", "case-handler-records"],
        Some("23/001"),
    );
}

/// N-5.6.4: an expired legal basis covers nothing; validity bounds are
/// inclusive.
#[test]
fn expired_legal_basis() {
    let a = authorizer(register());
    let alice = person("alice", &["case-handler"], "sensitive");
    let rec = ResourceAttrs::record("c4", "internal");
    let at = |date| {
        a.decide(&content(
            &alice,
            Action::Read,
            &rec,
            Some("unemployment-benefit"),
            Some("22/123"),
            date,
        ))
    };
    let reason = deny(at("2025-01-01"));
    assert_eq!(
        reason,
        DenyReason::LegalBasisNotValidOn {
            reference: "22/123".into(),
            valid_from: "2022-01-01".into(),
            valid_until: Some("2024-12-31".into()),
        }
    );
    assert!(reason
        .to_string()
        .contains("valid from 2022-01-01 until 2024-12-31"));
    assert!(matches!(
        deny(at("2021-12-31")),
        DenyReason::LegalBasisNotValidOn { .. }
    ));
    assert_permit(&at("2024-12-31"), &["case-handler-records"], Some("22/123"));
    assert_permit(&at("2022-01-01"), &["case-handler-records"], Some("22/123"));
}

/// N-5.6.4: the stated purpose must be one the legal basis covers.
#[test]
fn purpose_not_covered() {
    let a = authorizer(register());
    let alice = person("alice", &["case-handler"], "sensitive");
    let rec = ResourceAttrs::record("c4", "internal");
    let d = a.decide(&content(
        &alice,
        Action::Read,
        &rec,
        Some("marketing of Jan Peeters"),
        Some("23/001"),
        DAY,
    ));
    let reason = deny(d);
    assert_eq!(
        reason,
        DenyReason::PurposeNotCovered {
            reference: "23/001".into()
        }
    );
    // The purpose text (possibly personal) is not echoed.
    assert!(!reason.to_string().contains("Peeters"));
    // No purpose at all.
    let d = a.decide(&content(
        &alice,
        Action::Read,
        &rec,
        None,
        Some("23/001"),
        DAY,
    ));
    assert_eq!(deny(d), DenyReason::NoPurpose);
    let d = a.decide(&content(
        &alice,
        Action::Read,
        &rec,
        Some("  "),
        Some("23/001"),
        DAY,
    ));
    assert_eq!(deny(d), DenyReason::NoPurpose);
}

/// N-5.6.4: the record's document type must be a category the basis
/// covers; a request without a type is covered only by "*".
#[test]
fn category_not_covered() {
    let a = authorizer(register());
    let alice = person("alice", &["case-handler"], "sensitive");
    let rec = ResourceAttrs::record("medical-certificate", "internal");
    let d = a.decide(&content(
        &alice,
        Action::Read,
        &rec,
        Some("control"),
        Some("23/001"),
        DAY,
    ));
    assert_eq!(
        deny(d),
        DenyReason::CategoryNotCovered {
            reference: "23/001".into(),
            category: "medical-certificate".into()
        }
    );
    let untyped = ResourceAttrs {
        doc_type: None,
        ..ResourceAttrs::record("x", "internal")
    };
    let d = a.decide(&content(
        &alice,
        Action::Search,
        &untyped,
        Some("control"),
        Some("23/001"),
        DAY,
    ));
    assert_eq!(
        deny(d),
        DenyReason::CategoryNotCovered {
            reference: "23/001".into(),
            category: "*".into()
        }
    );
    let d = a.decide(&content(
        &alice,
        Action::Search,
        &untyped,
        Some("control"),
        Some("own-records"),
        DAY,
    ));
    assert_permit(&d, &["case-handler-records"], Some("own-records"));
}

/// N-5.6.4, N-5.6.6: the basis must cover one of the principal's roles or
/// its institution.
#[test]
fn role_not_covered() {
    let mut reg = register();
    reg.push(LegalBasis {
        institutions: vec!["inst-b".into()],
        roles: Vec::new(),
        ..basis("24/777", &["control"], &["c4"], &[], "2024-01-01", None)
    });
    let a = authorizer(reg);
    let rec = ResourceAttrs::record("c4", "internal");
    let bob = person("bob", &["archivist"], "sensitive");
    let d = a.decide(&content(
        &bob,
        Action::Export,
        &rec,
        Some("control"),
        Some("own-records"),
        DAY,
    ));
    assert_eq!(
        deny(d),
        DenyReason::RoleNotCovered {
            reference: "own-records".into()
        }
    );
    // Covered through the institution.
    let mut bob_b = bob.clone();
    bob_b.institution = "inst-b".into();
    let d = a.decide(&content(
        &bob_b,
        Action::Export,
        &rec,
        Some("control"),
        Some("24/777"),
        DAY,
    ));
    assert_permit(&d, &["archivist-records"], Some("24/777"));
    let d = a.decide(&content(
        &bob,
        Action::Export,
        &rec,
        Some("control"),
        Some("24/777"),
        DAY,
    ));
    assert_eq!(
        deny(d),
        DenyReason::RoleNotCovered {
            reference: "24/777".into()
        }
    );
}

/// N-5.9.6, N-5.11.2e: a program acts only on behalf of a named natural
/// person; without one it is refused, whatever the action, before anything
/// else is checked.
#[test]
fn program_without_on_behalf_of() {
    let a = authorizer(register());
    let rec = ResourceAttrs::record("c4", "internal");
    for obo in [None, Some(""), Some("   ")] {
        let app = program("app-1", obo, &["case-handler"], "sensitive");
        for action in [Action::Read, Action::Ingest, Action::Search] {
            let d = a.decide(&content(
                &app,
                action,
                &rec,
                Some("control"),
                Some("23/001"),
                DAY,
            ));
            assert_eq!(deny(d), DenyReason::NoOnBehalfOf);
        }
        // First check: even with an expired basis and a bad date.
        let d = a.decide(&content(
            &app,
            Action::Read,
            &rec,
            Some("x"),
            Some("22/123"),
            "nope",
        ));
        assert_eq!(deny(d), DenyReason::NoOnBehalfOf);
    }
    let app = program("app-1", Some("alice"), &["case-handler"], "sensitive");
    let d = a.decide(&content(
        &app,
        Action::Read,
        &rec,
        Some("control"),
        Some("23/001"),
        DAY,
    ));
    assert_permit(&d, &["case-handler-records"], Some("23/001"));
    // A person's on_behalf_of is ignored.
    let mut p = person("alice", &["case-handler"], "sensitive");
    p.on_behalf_of = Some("someone".into());
    assert_eq!(p.kind, PrincipalKind::Person);
    assert!(a
        .decide(&content(
            &p,
            Action::Read,
            &rec,
            Some("control"),
            Some("23/001"),
            DAY
        ))
        .is_permit());
}

/// N-5.9.5, contract 7: a consultation is approved by someone other than its
/// requester (a program acting for the requester counts as the requester),
/// and run only by its requester.
#[test]
fn approver_equal_to_requester() {
    let a = authorizer(register());
    let journal = ResourceAttrs::journal();
    let dpo = person("dora", &["dpo", "approver"], "sensitive");
    let approve = |p, requester| Request {
        requester,
        ..plain(p, Action::ConsultApprove, &journal)
    };
    assert_eq!(
        deny(a.decide(&approve(&dpo, Some("dora")))),
        DenyReason::SelfApproval
    );
    let app = program("console", Some("dora"), &["approver"], "sensitive");
    assert_eq!(
        deny(a.decide(&approve(&app, Some("dora")))),
        DenyReason::SelfApproval
    );
    assert_eq!(
        deny(a.decide(&approve(&dpo, None))),
        DenyReason::MissingRequester
    );
    assert_eq!(
        deny(a.decide(&approve(&dpo, Some(" ")))),
        DenyReason::MissingRequester
    );
    let victor = person("victor", &["approver"], "internal");
    assert_permit(
        &a.decide(&approve(&victor, Some("dora"))),
        &["approver-consultation"],
        None,
    );
    // Approving without the approver role.
    let eve = person("eve", &["case-handler"], "internal");
    assert_eq!(
        deny(a.decide(&approve(&eve, Some("dora")))),
        DenyReason::NotPermitted
    );

    // Requesting and running.
    let d = a.decide(&plain(&dpo, Action::ConsultRequest, &journal));
    assert_permit(&d, &["dpo-consultation"], None);
    let run = |p, requester| Request {
        requester,
        ..plain(p, Action::ConsultRun, &journal)
    };
    assert_permit(
        &a.decide(&run(&dpo, Some("dora"))),
        &["dpo-consultation"],
        None,
    );
    let other_dpo = person("dirk", &["dpo"], "sensitive");
    assert_eq!(
        deny(a.decide(&run(&other_dpo, Some("dora")))),
        DenyReason::NotRequester
    );
    assert_eq!(
        deny(a.decide(&run(&dpo, None))),
        DenyReason::MissingRequester
    );
}

/// N-5.6.5: administrators do not read record content by virtue of being
/// administrators; an administrator who is also a case handler reads as a
/// case handler.
#[test]
fn administrator_reading_content() {
    let mut reg = register();
    reg.push(basis(
        "admin-basis",
        &["*"],
        &["*"],
        &["administrator"],
        "2020-01-01",
        None,
    ));
    let a = authorizer(reg);
    let rec = ResourceAttrs::record("c4", "internal");
    let admin = person("root", &["administrator"], "sensitive");
    // Under a basis that does not cover administrators: refused there.
    let d = a.decide(&content(
        &admin,
        Action::Read,
        &rec,
        Some("control"),
        Some("own-records"),
        DAY,
    ));
    assert_eq!(
        deny(d),
        DenyReason::RoleNotCovered {
            reference: "own-records".into()
        }
    );
    // Even under a basis that does cover them, Cedar's forbid wins.
    for action in Action::CONTENT {
        let d = a.decide(&content(
            &admin,
            action,
            &rec,
            Some("control"),
            Some("admin-basis"),
            DAY,
        ));
        assert_eq!(
            deny(d),
            DenyReason::Forbidden {
                policy_ids: vec!["administrator-no-content".into()]
            },
            "{action}"
        );
    }
    // Even if a later permit grants administrators content, the forbid wins.
    let a2 = authorizer_with(
        r#"@id("too-broad") permit (principal in Role::"administrator", action, resource);"#,
        vec![basis(
            "admin-basis",
            &["*"],
            &["*"],
            &["administrator"],
            "2020-01-01",
            None,
        )],
    );
    let d = a2.decide(&content(
        &admin,
        Action::Read,
        &rec,
        Some("control"),
        Some("admin-basis"),
        DAY,
    ));
    assert_eq!(
        deny(d),
        DenyReason::Forbidden {
            policy_ids: vec!["administrator-no-content".into()]
        }
    );
    // Administrator and case handler: reads as a case handler.
    let both = person("root", &["administrator", "case-handler"], "sensitive");
    let d = a.decide(&content(
        &both,
        Action::Read,
        &rec,
        Some("control"),
        Some("own-records"),
        DAY,
    ));
    assert_permit(&d, &["case-handler-records"], Some("own-records"));
    // But not what only the administrator-bypassing role would give: export.
    let d = a.decide(&content(
        &both,
        Action::Export,
        &rec,
        Some("control"),
        Some("own-records"),
        DAY,
    ));
    assert_eq!(deny(d), DenyReason::NotPermitted);
    // Administrators do administer.
    for action in [
        Action::ManageKeys,
        Action::ManagePolicy,
        Action::ManageUsers,
        Action::VerifyVault,
    ] {
        let d = a.decide(&plain(&admin, action, &ResourceAttrs::system()));
        assert_permit(&d, &["administrator-system"], None);
    }
}

/// N-5.6.5, AR-20.5: only administrators change policies, keys and users.
#[test]
fn policy_change_by_non_administrator() {
    let a = authorizer(register());
    let system = ResourceAttrs::system();
    for roles in [
        &["case-handler"][..],
        &["archivist"],
        &["dpo", "approver"],
        &[],
    ] {
        let p = person("alice", roles, "sensitive");
        for action in [
            Action::ManagePolicy,
            Action::ManageKeys,
            Action::ManageUsers,
        ] {
            assert_eq!(
                deny(a.decide(&plain(&p, action, &system))),
                DenyReason::NotPermitted,
                "{roles:?} {action}"
            );
        }
    }
    let admin = person("root", &["administrator"], "public");
    assert_permit(
        &a.decide(&plain(&admin, Action::ManagePolicy, &system)),
        &["administrator-system"],
        None,
    );
}

/// N-5.5.1: a principal never obtains a record above its clearance; levels
/// are configured and ordered; unknown levels fail closed.
#[test]
fn clearance_too_low() {
    let a = authorizer(register());
    let alice = person("alice", &["case-handler"], "internal");
    let rec = ResourceAttrs::record("c4", "confidential");
    let d = a.decide(&content(
        &alice,
        Action::Read,
        &rec,
        Some("control"),
        Some("23/001"),
        DAY,
    ));
    let reason = deny(d);
    assert_eq!(
        reason,
        DenyReason::ClearanceTooLow {
            needed: "confidential".into(),
            held: "internal".into()
        }
    );
    assert!(reason.to_string().contains("at least \"confidential\""));
    // Equal is enough.
    let eq = person("alice", &["case-handler"], "confidential");
    assert!(a
        .decide(&content(
            &eq,
            Action::Read,
            &rec,
            Some("control"),
            Some("23/001"),
            DAY
        ))
        .is_permit());
    // A clearance that is not a level is below every level.
    let odd = person("alice", &["case-handler"], "top-secret");
    let low = ResourceAttrs::record("c4", "public");
    let d = a.decide(&content(
        &odd,
        Action::Read,
        &low,
        Some("control"),
        Some("23/001"),
        DAY,
    ));
    assert_eq!(
        deny(d),
        DenyReason::ClearanceTooLow {
            needed: "public".into(),
            held: "top-secret".into()
        }
    );
    // Clearance is checked before the legal basis.
    let d = a.decide(&content(&alice, Action::Read, &rec, None, None, DAY));
    assert!(matches!(deny(d), DenyReason::ClearanceTooLow { .. }));
    // Unknown or missing classification.
    let unknown = ResourceAttrs::record("c4", "secret");
    let d = a.decide(&content(
        &eq,
        Action::Read,
        &unknown,
        Some("control"),
        Some("23/001"),
        DAY,
    ));
    assert_eq!(deny(d), DenyReason::UnknownClassification);
    let d = a.decide(&plain(&eq, Action::Ingest, &unknown));
    assert_eq!(deny(d), DenyReason::UnknownClassification);
    let none = ResourceAttrs {
        classification: None,
        ..ResourceAttrs::record("c4", "x")
    };
    let d = a.decide(&content(
        &eq,
        Action::Show,
        &none,
        Some("control"),
        Some("23/001"),
        DAY,
    ));
    assert_eq!(deny(d), DenyReason::UnknownClassification);
    // Ingest needs no clearance (nothing leaves).
    assert!(a
        .decide(&plain(
            &person("i", &["case-handler"], "public"),
            Action::Ingest,
            &rec
        ))
        .is_permit());
}

/// N-5.5.1: configured levels replace the default ones, in their order.
#[test]
fn configured_levels() {
    let levels = vec!["open".to_string(), "restricted".to_string()];
    let a = probant_policy::Authorizer::new(
        probant_policy::Authorizer::default_schema(),
        probant_policy::Authorizer::default_policies(),
        levels,
        vec![LegalBasis::own_records("2024-01-01")],
    )
    .unwrap();
    let rec = ResourceAttrs::record("c4", "restricted");
    let lo = person("a", &["case-handler"], "open");
    let hi = person("a", &["case-handler"], "restricted");
    let req = |p| {
        a.decide(&content(
            p,
            Action::Read,
            &rec,
            Some("x"),
            Some("own-records"),
            DAY,
        ))
    };
    assert!(matches!(deny(req(&lo)), DenyReason::ClearanceTooLow { .. }));
    assert!(req(&hi).is_permit());
    let default_level = ResourceAttrs::record("c4", "confidential");
    let d = a.decide(&content(
        &hi,
        Action::Read,
        &default_level,
        Some("x"),
        Some("own-records"),
        DAY,
    ));
    assert_eq!(deny(d), DenyReason::UnknownClassification);
}

/// N-5.6.4: content needs a named, registered legal basis.
#[test]
fn unknown_legal_basis() {
    let a = authorizer(register());
    let alice = person("alice", &["case-handler"], "sensitive");
    let rec = ResourceAttrs::record("c4", "internal");
    let d = a.decide(&content(
        &alice,
        Action::Read,
        &rec,
        Some("control"),
        Some("99/999"),
        DAY,
    ));
    let reason = deny(d);
    assert_eq!(
        reason,
        DenyReason::LegalBasisUnknown {
            reference: "99/999".into()
        }
    );
    assert!(reason.to_string().contains("not in the register"));
    for lb in [None, Some(""), Some(" ")] {
        let d = a.decide(&content(
            &alice,
            Action::Export,
            &rec,
            Some("control"),
            lb,
            DAY,
        ));
        assert_eq!(deny(d), DenyReason::NoLegalBasis);
    }
}

/// The decision date is the caller's, and must be a real date.
#[test]
fn invalid_date() {
    let a = authorizer(register());
    let alice = person("alice", &["case-handler"], "sensitive");
    let rec = ResourceAttrs::record("c4", "internal");
    for date in [
        "",
        "2025-02-30",
        "2025-6-1",
        "01/06/2025",
        "2025-06-01T00:00:00Z",
    ] {
        let d = a.decide(&content(
            &alice,
            Action::Read,
            &rec,
            Some("control"),
            Some("own-records"),
            date,
        ));
        assert_eq!(deny(d), DenyReason::InvalidDate, "{date:?}");
        let d = a.decide(&content(&alice, Action::Ingest, &rec, None, None, date));
        assert_eq!(deny(d), DenyReason::InvalidDate, "{date:?}");
    }
}

/// N-5.6.6: an action applies only to the resources the schema says
/// (reading the journal goes through a consultation, contract 7).
#[test]
fn action_on_the_wrong_resource() {
    let a = authorizer(register());
    let alice = person(
        "alice",
        &["case-handler", "dpo", "administrator"],
        "sensitive",
    );
    let d = a.decide(&content(
        &alice,
        Action::Read,
        &ResourceAttrs::journal(),
        Some("x"),
        Some("own-records"),
        DAY,
    ));
    assert_eq!(deny(d), DenyReason::NotPermitted);
    let d = a.decide(&plain(
        &alice,
        Action::ManageKeys,
        &ResourceAttrs::record("c4", "public"),
    ));
    assert_eq!(deny(d), DenyReason::NotPermitted);
    let d = a.decide(&plain(
        &alice,
        Action::ConsultRequest,
        &ResourceAttrs::system(),
    ));
    assert_eq!(deny(d), DenyReason::NotPermitted);
}

/// Destroy has no default grant: default deny.
#[test]
fn default_deny() {
    let a = authorizer(register());
    let all = person(
        "x",
        &[
            "case-handler",
            "archivist",
            "administrator",
            "dpo",
            "approver",
        ],
        "sensitive",
    );
    let d = a.decide(&plain(
        &all,
        Action::Destroy,
        &ResourceAttrs::record("c4", "public"),
    ));
    assert_eq!(deny(d), DenyReason::NotPermitted);
    let nobody = person("stranger", &[], "sensitive");
    let d = a.decide(&plain(
        &nobody,
        Action::Ingest,
        &ResourceAttrs::record("c4", "public"),
    ));
    assert_eq!(deny(d), DenyReason::NotPermitted);
}

/// DESIGN contract 6: the bootstrap actor may ingest, search, show, read and
/// export under `own-records`, and administer the home.
#[test]
fn bootstrap_actor() {
    let a = authorizer(vec![LegalBasis::own_records("2025-01-01")]);
    let actor = person("operator", &BOOTSTRAP_ROLES, "sensitive");
    let rec = ResourceAttrs::record("letter", "sensitive");
    assert!(a.decide(&plain(&actor, Action::Ingest, &rec)).is_permit());
    for action in Action::CONTENT {
        let d = a.decide(&content(
            &actor,
            action,
            &rec,
            Some("check"),
            Some(LegalBasis::OWN_RECORDS),
            "2025-01-01",
        ));
        assert!(d.is_permit(), "{action}: {d:?}");
    }
    for action in [
        Action::ManageKeys,
        Action::ManagePolicy,
        Action::ManageUsers,
        Action::VerifyVault,
    ] {
        assert!(
            a.decide(&plain(&actor, action, &ResourceAttrs::system()))
                .is_permit(),
            "{action}"
        );
    }
    // Before the home existed, own-records was not valid.
    let d = a.decide(&content(
        &actor,
        Action::Read,
        &rec,
        Some("check"),
        Some("own-records"),
        "2024-12-31",
    ));
    assert!(matches!(deny(d), DenyReason::LegalBasisNotValidOn { .. }));
    // Any other actor gets nothing until registered.
    let other = person("someone-else", &[], "public");
    assert_eq!(
        deny(a.decide(&plain(&other, Action::Ingest, &rec))),
        DenyReason::NotPermitted
    );
}

/// Cedar sees the context (purpose, legal basis, date as YYYYMMDD), the
/// institution as a parent, the subject pseudonym and the on-behalf-of
/// person, so institutions can write finer policies.
#[test]
fn cedar_sees_context_and_attributes() {
    let extra = r#"
@id("no-reads-from-2030")
forbid (principal, action == Action::"read", resource is Record)
when { context.date >= 20300101 };

@id("no-purpose-test")
forbid (principal, action == Action::"show", resource is Record)
when { context has purpose && context.purpose == "test" && context has legal_basis && context.legal_basis == "own-records" };

@id("inst-b-verify")
permit (principal in Institution::"inst-b", action == Action::"verify-vault", resource is System);

@id("no-subject-x")
forbid (principal, action == Action::"search", resource is Record)
when { resource has subject && resource.subject == "pseudo-x" };

@id("no-program-for-mallory")
forbid (principal is Program, action, resource)
when { principal.on_behalf_of == "mallory" };

@id("pension-careers-not-read")
forbid (principal, action == Action::"read", resource is Record)
when { resource has retention && resource.retention == "pension-career" };
"#;
    let a = authorizer_with(extra, vec![LegalBasis::own_records("2024-01-01")]);
    let alice = person("alice", &["case-handler"], "sensitive");
    let rec = ResourceAttrs::record("c4", "internal");
    let read = |date| {
        a.decide(&content(
            &alice,
            Action::Read,
            &rec,
            Some("x"),
            Some("own-records"),
            date,
        ))
    };
    assert!(read("2029-12-31").is_permit());
    assert_eq!(
        deny(read("2030-01-01")),
        DenyReason::Forbidden {
            policy_ids: vec!["no-reads-from-2030".into()]
        }
    );
    let d = a.decide(&content(
        &alice,
        Action::Show,
        &rec,
        Some("test"),
        Some("own-records"),
        DAY,
    ));
    assert_eq!(
        deny(d),
        DenyReason::Forbidden {
            policy_ids: vec!["no-purpose-test".into()]
        }
    );
    let mut b = person("bea", &[], "public");
    assert_eq!(
        deny(a.decide(&plain(&b, Action::VerifyVault, &ResourceAttrs::system()))),
        DenyReason::NotPermitted
    );
    b.institution = "inst-b".into();
    assert_permit(
        &a.decide(&plain(&b, Action::VerifyVault, &ResourceAttrs::system())),
        &["inst-b-verify"],
        None,
    );
    let subj = ResourceAttrs {
        subject: Some("pseudo-x".into()),
        retention: None,
        ..rec.clone()
    };
    let d = a.decide(&content(
        &alice,
        Action::Search,
        &subj,
        Some("x"),
        Some("own-records"),
        DAY,
    ));
    assert_eq!(
        deny(d),
        DenyReason::Forbidden {
            policy_ids: vec!["no-subject-x".into()]
        }
    );
    let pension = ResourceAttrs {
        retention: Some("pension-career".into()),
        ..rec.clone()
    };
    let d = a.decide(&content(
        &alice,
        Action::Read,
        &pension,
        Some("x"),
        Some("own-records"),
        DAY,
    ));
    assert_eq!(
        deny(d),
        DenyReason::Forbidden {
            policy_ids: vec!["pension-careers-not-read".into()]
        }
    );
    let app = program("app", Some("mallory"), &["case-handler"], "sensitive");
    let d = a.decide(&plain(&app, Action::Ingest, &rec));
    assert_eq!(
        deny(d),
        DenyReason::Forbidden {
            policy_ids: vec!["no-program-for-mallory".into()]
        }
    );
}

/// Fail closed: a forbid that raises an error at evaluation refuses the
/// request instead of being skipped.
#[test]
fn erroring_forbid_fails_closed() {
    let extra = r#"
@id("overflowing-forbid")
forbid (principal, action == Action::"read", resource is Record)
when { principal.clearance * 4611686018427387904 > 4611686018427387904 };
"#;
    let a = authorizer_with(extra, vec![LegalBasis::own_records("2024-01-01")]);
    let rec = ResourceAttrs::record("c4", "public");
    // clearance rank 0 (public): 0 > 2^62 is false, no error.
    let low = person("a", &["case-handler"], "public");
    assert!(a
        .decide(&content(
            &low,
            Action::Read,
            &rec,
            Some("x"),
            Some("own-records"),
            DAY
        ))
        .is_permit());
    // clearance rank 3: 3 * 2^62 overflows.
    let high = person("a", &["case-handler"], "sensitive");
    let d = a.decide(&content(
        &high,
        Action::Read,
        &rec,
        Some("x"),
        Some("own-records"),
        DAY,
    ));
    match deny(d) {
        DenyReason::EvaluationFailed { detail } => {
            assert!(detail.contains("overflowing-forbid"), "{detail}")
        }
        other => panic!("expected EvaluationFailed, got {other:?}"),
    }
}

/// N-5.9.5 / contract 3: deny messages and codes carry no personal data (no
/// principal id, no purpose text, no subject pseudonym, no record id).
#[test]
fn deny_reasons_carry_no_personal_data() {
    let mut reg = register();
    reg.push(basis(
        "admin-basis",
        &["*"],
        &["*"],
        &["administrator"],
        "2020-01-01",
        None,
    ));
    let a = authorizer(reg);
    let secret = "85073003328";
    let principals = [
        person(secret, &["case-handler"], "internal"),
        person(secret, &["administrator"], "sensitive"),
        program(secret, None, &["case-handler"], "sensitive"),
        program(secret, Some(secret), &["approver"], "sensitive"),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for p in &principals {
        for class in ["public", "sensitive", "nope"] {
            let rec = ResourceAttrs {
                record_id: Some(secret.into()),
                subject: Some(secret.into()),
                retention: None,
                ..ResourceAttrs::record("c4", class)
            };
            for lb in [
                None,
                Some("own-records"),
                Some("22/123"),
                Some("23/001"),
                Some("admin-basis"),
                Some("x"),
            ] {
                for action in Action::ALL {
                    let res = match action {
                        Action::ConsultRequest | Action::ConsultApprove | Action::ConsultRun => {
                            ResourceAttrs::journal()
                        }
                        Action::ManageKeys
                        | Action::ManagePolicy
                        | Action::ManageUsers
                        | Action::VerifyVault => ResourceAttrs::system(),
                        _ => rec.clone(),
                    };
                    let req = Request {
                        requester: Some(secret),
                        ..content(p, action, &res, Some(secret), lb, DAY)
                    };
                    if let Decision::Deny { reason } = a.decide(&req) {
                        let text = format!("{reason} {}", serde_json::to_string(&reason).unwrap());
                        assert!(!text.contains(secret), "{text}");
                        assert!(!reason.code().is_empty());
                        seen.insert(reason.code());
                    }
                }
            }
        }
    }
    for code in [
        "no-on-behalf-of",
        "self-approval",
        "clearance-too-low",
        "unknown-classification",
        "no-legal-basis",
        "legal-basis-unknown",
        "legal-basis-not-valid-on",
        "forbidden",
        "not-permitted",
        "role-not-covered",
    ] {
        assert!(seen.contains(code), "{code} not exercised: {seen:?}");
    }
}

/// Decisions serialise for the journal's details (contract 3).
#[test]
fn decisions_serialise() {
    let d = Decision::Permit {
        policy_ids: vec!["p".into()],
        legal_basis: Some("own-records".into()),
    };
    assert_eq!(
        serde_json::to_value(&d).unwrap(),
        serde_json::json!({"decision": "permit", "policy_ids": ["p"], "legal_basis": "own-records"})
    );
    let d = Decision::Deny {
        reason: DenyReason::ClearanceTooLow {
            needed: "sensitive".into(),
            held: "internal".into(),
        },
    };
    assert_eq!(
        serde_json::to_value(&d).unwrap(),
        serde_json::json!({"decision": "deny", "reason": {"code": "clearance-too-low", "needed": "sensitive", "held": "internal"}})
    );
    let back: Decision = serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
    assert_eq!(back, d);
    assert_eq!(
        serde_json::to_value(Action::ConsultApprove).unwrap(),
        "consult-approve"
    );
    assert_eq!(
        "manage-policy".parse::<Action>().unwrap(),
        Action::ManagePolicy
    );
    assert!("delete-everything".parse::<Action>().is_err());
}

/// CC-8: which roles may access which data categories under which basis.
#[test]
fn access_report() {
    let mut reg = register();
    reg.push(basis(
        "admin-basis",
        &["audit"],
        &["*"],
        &["administrator"],
        "2020-01-01",
        None,
    ));
    reg.push(LegalBasis {
        institutions: vec!["inst-b".into()],
        roles: Vec::new(),
        ..basis("24/777", &["control"], &["c4"], &[], "2024-01-01", None)
    });
    let a = authorizer(reg);
    let lines = a.access_report();
    let find = |lb: &str, role: Option<&str>, inst: Option<&str>, cat: &str| {
        lines
            .iter()
            .find(|l| {
                l.legal_basis == lb
                    && l.role.as_deref() == role
                    && l.institution.as_deref() == inst
                    && l.data_category == cat
            })
            .unwrap_or_else(|| panic!("no line {lb} {role:?} {inst:?} {cat}: {lines:#?}"))
    };
    let own = find("own-records", Some("case-handler"), None, "*");
    assert_eq!(
        own.actions,
        vec![Action::Read, Action::Search, Action::Show]
    );
    assert_eq!(own.purposes, vec!["*"]);
    let l = find("23/001", Some("archivist"), None, "c4");
    assert_eq!(
        l.actions,
        vec![Action::Search, Action::Show, Action::Export]
    );
    assert_eq!(
        find("22/123", Some("case-handler"), None, "medical-certificate")
            .valid_until
            .as_deref(),
        Some("2024-12-31")
    );
    // Separation of duties shows: administrators get no content.
    assert!(find("admin-basis", Some("administrator"), None, "*")
        .actions
        .is_empty());
    // Institution lines, per role that the policies grant something.
    assert_eq!(
        find("24/777", Some("archivist"), Some("inst-b"), "c4").actions,
        vec![Action::Search, Action::Show, Action::Export]
    );
    assert!(!lines
        .iter()
        .any(|l| l.institution.is_some() && l.actions.is_empty()));
}
